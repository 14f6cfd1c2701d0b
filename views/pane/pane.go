// Package pane renders one agent's terminal: the emulator's screen inside a
// box-drawing frame whose title names the agent, its app title, runtime,
// state glyph and hooked bead, coloured by state and bright when focused. It
// also implements copy mode (scrollback navigation, search, line selection,
// copy). The screen comes through the small Screen interface, so this
// package never sees a PTY.
package pane

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Screen is what a pane renders: a history of rows, the oldest scrollback
// row first and the live screen last.
type Screen interface {
	// Len is the number of rows: scrollback plus the visible screen.
	Len() int
	// Render returns rows [from, from+n) styled with SGR, each exactly width
	// cells wide. Rows out of range are omitted.
	Render(from, n, width int) []string
	// Plain returns rows [from, from+n) as plain text.
	Plain(from, n int) []string
	// Title is the application's OSC 0/2 title.
	Title() string
}

// Info is what the title bar says about the agent.
type Info struct {
	// Name is the pane title of spec §5.1 (mayor, <rig>/<name>, <rig>/crew/<name>).
	Name    string
	Runtime string
	State   models.AgentState
	// Hook is the hooked bead's ID ("" when none).
	Hook string
	// ExitCode is shown for exited agents.
	ExitCode int
	// Attention marks an agent that started waiting and has not been
	// focused since (spec §8 notifications).
	Attention bool
}

// maxAppTitle bounds the application's title in the title bar (spec §8).
const maxAppTitle = 40

// Model is one pane.
type Model struct {
	c       common.Common
	keys    KeyMap
	info    Info
	screen  Screen
	w, h    int
	focused bool
	// offset is how many rows the view is scrolled back from the bottom.
	offset int
	cp     copyState
}

// New returns a pane showing screen.
func New(c common.Common, info Info, screen Screen) Model {
	return Model{c: c, keys: DefaultKeyMap(), info: info, screen: screen}
}

// SetSize sets the pane's outer size, frame included.
func (m *Model) SetSize(w, h int) { m.w, m.h = max(w, 0), max(h, 0) }

// Size returns the outer size.
func (m Model) Size() (int, int) { return m.w, m.h }

// InnerSize is the size of the terminal inside the frame (at least 1×1):
// what the PTY is resized to.
func (m Model) InnerSize() (int, int) { return max(m.w-2, 1), max(m.h-2, 1) }

// SetInfo replaces the title bar's data.
func (m *Model) SetInfo(i Info) { m.info = i }

// Info returns the title bar's data.
func (m Model) Info() Info { return m.info }

// SetScreen replaces the screen (a restarted session).
func (m *Model) SetScreen(s Screen) { m.screen = s }

// Focus marks the pane focused.
func (m *Model) Focus() { m.focused = true }

// Blur marks the pane unfocused.
func (m *Model) Blur() { m.focused = false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// KeyMap returns copy mode's keys (for the help overlay).
func (m Model) KeyMap() KeyMap { return m.keys }

// Offset is the scrollback offset (0 = live screen).
func (m Model) Offset() int { return m.offset }

// ScrollBy scrolls the view back (positive) or forward (negative).
func (m *Model) ScrollBy(n int) {
	m.offset = clamp(m.offset+n, 0, m.maxOffset())
}

func (m Model) maxOffset() int {
	if m.screen == nil {
		return 0
	}
	_, ih := m.InnerSize()
	return max(m.screen.Len()-ih, 0)
}

// TitleText is the title bar's text without styling: `<name> <app title> ·
// <runtime> · <glyph> <state> · <hook>`.
func (m Model) TitleText() string { return m.titleText(true, true, true) }

// titleFor drops the app title, then the runtime, then the hook, so the
// state stays visible in narrow panes.
func (m Model) titleFor(w int) string {
	for _, v := range [][3]bool{{true, true, true}, {false, true, true}, {false, false, true}, {false, false, false}} {
		if t := m.titleText(v[0], v[1], v[2]); common.Width(t) <= w {
			return t
		}
	}
	return m.info.Name + " " + m.info.State.Glyph()
}

func (m Model) titleText(appTitle, runtime, hook bool) string {
	var b strings.Builder
	b.WriteString(m.info.Name)
	if m.screen != nil && appTitle {
		if t := strings.TrimSpace(m.screen.Title()); t != "" {
			b.WriteString(" ")
			b.WriteString(common.Cut(t, maxAppTitle))
		}
	}
	if m.info.Runtime != "" && runtime {
		b.WriteString(" · ")
		b.WriteString(m.info.Runtime)
	}
	b.WriteString(" · ")
	b.WriteString(m.stateLabel())
	if m.info.Hook != "" && hook {
		b.WriteString(" · ")
		b.WriteString(m.info.Hook)
	}
	if m.cp.active {
		b.WriteString(" · COPY")
		if m.cp.status != "" {
			b.WriteString(" " + m.cp.status)
		}
	} else if m.offset > 0 {
		b.WriteString(" · ↑")
		b.WriteString(strconv.Itoa(m.offset))
	}
	return b.String()
}

func (m Model) stateLabel() string {
	st := m.info.State
	s := st.Glyph() + " " + st.String()
	if st == models.StateExited {
		s += " (" + strconv.Itoa(m.info.ExitCode) + ")"
	}
	if st == models.StateWaiting && m.info.Attention {
		s += " — needs you"
	}
	return s
}

// Lines renders the pane as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	iw, ih := m.InnerSize()
	var body []string
	if m.screen != nil {
		n := m.screen.Len()
		from := max(n-ih-m.offset, 0)
		body = m.screen.Render(from, ih, iw)
		if m.cp.active {
			body = m.cp.decorate(body, from, iw, m.c)
		}
	}
	body = common.FitLines(body, iw, ih)
	sp := m.c.Styles.StateBorder
	if m.focused {
		sp = m.c.Styles.StateBorderFocus
	}
	border := sp.Of(m.info.State)
	title := m.titleFor(max(m.w-4, 0))
	if m.focused {
		title = m.c.Styles.Bold.Render(title)
	}
	return common.Frame(title, body, m.w, m.h, border)
}

// View renders the pane.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }

// Update handles copy-mode keys; outside copy mode it does nothing (app
// writes keys to the PTY itself).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok || !m.cp.active {
		return m, nil
	}
	if m.cp.searching {
		return m.updateSearch(kp)
	}
	return m.updateCopy(kp)
}

// InCopyMode reports whether copy mode is on.
func (m Model) InCopyMode() bool { return m.cp.active }

// EnterCopyMode starts copy mode with the cursor on the bottom visible row.
func (m *Model) EnterCopyMode() {
	if m.screen == nil {
		return
	}
	n := m.screen.Len()
	// The cursor starts on the bottom visible row.
	m.cp = copyState{active: true, cursor: max(n-1-m.offset, 0), anchor: -1}
}

func (m Model) updateCopy(kp tea.KeyPressMsg) (Model, tea.Cmd) {
	_, ih := m.InnerSize()
	k := m.keys
	switch {
	case key.Matches(kp, k.Quit):
		m.cp = copyState{}
		m.offset = 0
		name := m.info.Name
		return m, func() tea.Msg { return CopyModeExitedMsg{Pane: name} }
	case key.Matches(kp, k.Up):
		m.moveCursor(-1)
	case key.Matches(kp, k.Down):
		m.moveCursor(1)
	case key.Matches(kp, k.HalfUp):
		m.moveCursor(-max(ih/2, 1))
	case key.Matches(kp, k.HalfDown):
		m.moveCursor(max(ih/2, 1))
	case key.Matches(kp, k.PageUp):
		m.moveCursor(-ih)
	case key.Matches(kp, k.PageDown):
		m.moveCursor(ih)
	case key.Matches(kp, k.Top):
		m.moveCursor(-m.screen.Len())
	case key.Matches(kp, k.Bottom):
		m.moveCursor(m.screen.Len())
	case key.Matches(kp, k.Search):
		m.cp.searching, m.cp.query = true, ""
		m.cp.status = "/"
	case key.Matches(kp, k.Next):
		m.findNext(1)
	case key.Matches(kp, k.Prev):
		m.findNext(-1)
	case key.Matches(kp, k.Select):
		m.cp.anchor = m.cp.cursor
	case key.Matches(kp, k.Yank):
		text := m.selectionText()
		m.cp = copyState{}
		m.offset = 0
		name := m.info.Name
		return m, func() tea.Msg { return CopyMsg{Pane: name, Text: text} }
	}
	return m, nil
}

func (m Model) updateSearch(kp tea.KeyPressMsg) (Model, tea.Cmd) {
	switch kp.String() {
	case "esc":
		m.cp.searching, m.cp.status = false, ""
	case "enter":
		m.cp.searching = false
		m.cp.lastQuery = m.cp.query
		m.findNext(-1)
	case "backspace":
		if r := []rune(m.cp.query); len(r) > 0 {
			m.cp.query = string(r[:len(r)-1])
		}
		m.cp.status = "/" + m.cp.query
	default:
		if kp.Text != "" {
			m.cp.query += kp.Text
			m.cp.status = "/" + m.cp.query
		}
	}
	return m, nil
}

// moveCursor moves the copy cursor and scrolls so it stays visible.
func (m *Model) moveCursor(d int) {
	n := m.screen.Len()
	m.cp.cursor = clamp(m.cp.cursor+d, 0, max(n-1, 0))
	m.revealCursor()
}

func (m *Model) revealCursor() {
	n := m.screen.Len()
	_, ih := m.InnerSize()
	top := max(n-ih-m.offset, 0)
	switch {
	case m.cp.cursor < top:
		m.offset = n - ih - m.cp.cursor
	case m.cp.cursor >= top+ih:
		m.offset = n - 1 - m.cp.cursor
	}
	m.offset = clamp(m.offset, 0, m.maxOffset())
}

// findNext moves to the next match of the last query in direction dir
// (-1 = towards older rows, as less and tmux search backwards first).
func (m *Model) findNext(dir int) {
	q := strings.ToLower(m.cp.lastQuery)
	if q == "" {
		return
	}
	n := m.screen.Len()
	rows := m.screen.Plain(0, n)
	for i := 1; i <= n; i++ {
		r := ((m.cp.cursor+dir*i)%n + n) % n
		if r < len(rows) && strings.Contains(strings.ToLower(rows[r]), q) {
			m.cp.cursor = r
			m.cp.status = "/" + m.cp.lastQuery
			m.revealCursor()
			return
		}
	}
	m.cp.status = "/" + m.cp.lastQuery + " (no match)"
}

// selectionText is the selected rows (anchor to cursor), or the cursor row
// when no selection was started, trailing blanks trimmed.
func (m Model) selectionText() string {
	a, b := m.cp.cursor, m.cp.cursor
	if m.cp.anchor >= 0 {
		a = min(m.cp.anchor, m.cp.cursor)
		b = max(m.cp.anchor, m.cp.cursor)
	}
	rows := m.screen.Plain(a, b-a+1)
	for i := range rows {
		rows[i] = strings.TrimRight(rows[i], " ")
	}
	return strings.Join(rows, "\n")
}

// copyState is copy mode's cursor, selection and search.
type copyState struct {
	active    bool
	cursor    int // absolute row
	anchor    int // absolute row where v was pressed, -1 if none
	searching bool
	query     string
	lastQuery string
	status    string
}

// decorate highlights the cursor row and the selection in body, whose first
// row is absolute row from.
func (c copyState) decorate(body []string, from, w int, cm common.Common) []string {
	a, b := c.cursor, c.cursor
	if c.anchor >= 0 {
		a, b = min(c.anchor, c.cursor), max(c.anchor, c.cursor)
	}
	out := make([]string, len(body))
	copy(out, body)
	for i := range out {
		r := from + i
		if r < a || r > b {
			continue
		}
		// Selected rows are shown as plain reversed text: the styling of
		// the application would fight the highlight.
		plain := stripRow(out[i])
		out[i] = cm.Styles.Cursor.Render(common.Fit(plain, w))
	}
	return out
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
