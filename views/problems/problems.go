// Package problems is the Problems view (spec §9): the agents that need
// attention first, in §9 order (gupp, waiting, stalled, zombie, exited;
// longer idle first) under `Needs attention (n)` — or
// `No agent needs attention` — then the others. Each row shows the state
// glyph, address, how long, the hooked bead and a hint; enter, n and r
// emit intent messages. gt feed --problems and the TUI's Problems mode
// both use it.
package problems

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Row is one agent.
type Row struct {
	Address string
	State   models.AgentState
	// Idle is already formatted (12s, 4m, 2h, -); IdleSecs orders ties
	// (-1: unknown).
	Idle     string
	IdleSecs int64
	Hook     string
	Reason   string
	// NeedsAttention is §9's column (exited: hooked or non-zero code).
	NeedsAttention bool
}

// Hint says what the overseer can do about the row.
func (r Row) Hint() string {
	switch r.State {
	case models.StateGUPP, models.StateStalled:
		return "n nudge"
	case models.StateWaiting:
		return "enter answer it"
	case models.StateZombie, models.StateExited:
		return "r restart"
	}
	return ""
}

// Model is the Problems view.
type Model struct {
	c         common.Common
	keys      KeyMap
	attention []Row
	ok        []Row
	cursor    int // index into attention ++ ok
	top       int
	w, h      int
	focused   bool
	title     string
}

// New returns an empty view.
func New(c common.Common) Model {
	return Model{c: c, keys: DefaultKeyMap(), title: "Problems"}
}

// SetSize sets the view's outer size (frame included).
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.scroll()
}

// Focus focuses the view.
func (m *Model) Focus() { m.focused = true }

// Blur unfocuses the view.
func (m *Model) Blur() { m.focused = false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// KeyMap returns the view's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetTitle replaces the frame title (default "Problems").
func (m *Model) SetTitle(t string) { m.title = t }

// SetRows replaces the agents, sorting them: those needing attention by
// state (gupp, waiting, stalled, zombie, exited) then longer idle first,
// then the others (working, idle) the same way. While the view is focused
// the cursor stays on the same agent; otherwise it rests on the first row,
// so the view opens on the most urgent agent.
func (m *Model) SetRows(rows []Row) {
	cur, had := m.Current()
	m.attention, m.ok = nil, nil
	for _, r := range rows {
		if r.NeedsAttention {
			m.attention = append(m.attention, r)
		} else {
			m.ok = append(m.ok, r)
		}
	}
	order := func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.State.ProblemRank(), b.State.ProblemRank()), cmp.Compare(b.IdleSecs, a.IdleSecs))
	}
	slices.SortStableFunc(m.attention, order)
	slices.SortStableFunc(m.ok, order)
	m.cursor = 0
	if had && m.focused {
		for i, r := range m.all() {
			if r.Address == cur.Address {
				m.cursor = i
			}
		}
	}
	m.scroll()
}

// Counts returns how many agents need attention and how many are ok.
func (m Model) Counts() (attention, ok int) { return len(m.attention), len(m.ok) }

// Header is gt feed's header line of the view:
// `GT Feed · Problems  <n> need attention · <m> ok`.
func (m Model) Header() string {
	return "GT Feed · Problems  " + strconv.Itoa(len(m.attention)) + " need attention · " + strconv.Itoa(len(m.ok)) + " ok"
}

func (m Model) all() []Row { return append(append([]Row(nil), m.attention...), m.ok...) }

// Current returns the agent under the cursor.
func (m Model) Current() (Row, bool) {
	all := m.all()
	if m.cursor < 0 || m.cursor >= len(all) {
		return Row{}, false
	}
	return all[m.cursor], true
}

// Update handles the view's keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	k := m.keys
	n := len(m.attention) + len(m.ok)
	half := max((m.h-2)/2, 1)
	switch pos, moved := k.Move(kp, m.cursor, n-1, half); {
	case moved:
		m.cursor = pos
	case key.Matches(kp, k.Focus), key.Matches(kp, k.Nudge), key.Matches(kp, k.Restart):
		return m, m.intent(kp)
	}
	m.cursor = max(0, min(m.cursor, n-1))
	m.scroll()
	return m, nil
}

// intent turns enter/n/r on the current row into its message; restart
// only applies to exited and zombie agents.
func (m Model) intent(kp tea.KeyPressMsg) tea.Cmd {
	r, ok := m.Current()
	if !ok {
		return nil
	}
	var msg tea.Msg
	switch {
	case key.Matches(kp, m.keys.Focus):
		msg = FocusMsg{Address: r.Address}
	case key.Matches(kp, m.keys.Nudge):
		msg = NudgeMsg{Address: r.Address}
	case r.State == models.StateExited || r.State == models.StateZombie:
		msg = RestartMsg{Address: r.Address}
	default:
		return nil
	}
	return func() tea.Msg { return msg }
}

// line is one rendered line: a heading (row < 0) or an agent row.
type line struct {
	heading string
	row     int
}

func (m Model) lines() []line {
	var ls []line
	if len(m.attention) == 0 {
		ls = append(ls, line{heading: "No agent needs attention", row: -1})
	} else {
		ls = append(ls, line{heading: "Needs attention (" + strconv.Itoa(len(m.attention)) + ")", row: -1})
		for i := range m.attention {
			ls = append(ls, line{row: i})
		}
	}
	if len(m.ok) > 0 {
		ls = append(ls, line{heading: "OK (" + strconv.Itoa(len(m.ok)) + ")", row: -1})
		for i := range m.ok {
			ls = append(ls, line{row: len(m.attention) + i})
		}
	}
	return ls
}

// scroll keeps the cursor's line (and the heading above the first row)
// in view.
func (m *Model) scroll() {
	ih := max(m.h-2, 0)
	ls := m.lines()
	if ih <= 0 || len(ls) <= ih {
		m.top = 0
		return
	}
	at := 0
	for i, l := range ls {
		if l.row == m.cursor {
			at = i
		}
	}
	if at < m.top {
		m.top = at
	}
	if at > 0 && ls[at-1].row < 0 && at-1 < m.top {
		m.top = at - 1
	}
	if at >= m.top+ih {
		m.top = at - ih + 1
	}
	m.top = max(0, min(m.top, len(ls)-ih))
}

// Lines renders the view as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	s := m.c.Styles
	iw, ih := max(m.w-2, 0), max(m.h-2, 0)
	all := m.all()
	addrW, idleW, hookW := 8, 1, 1
	for _, r := range all {
		addrW = max(addrW, common.Width(r.Address))
		idleW = max(idleW, common.Width(r.Idle))
		hookW = max(hookW, common.Width(r.Hook))
	}
	addrW, hookW = min(addrW, 32, max(8, (iw-12)/2)), min(hookW, 12)
	ls := m.lines()
	var body []string
	for i := m.top; i < len(ls) && len(body) < ih; i++ {
		l := ls[i]
		var text string
		if l.row < 0 {
			text = s.Title.Render(common.Fit(" "+l.heading, iw))
			if len(m.attention) == 0 && i == 0 {
				text = s.Success.Render(common.Fit(" "+l.heading, iw))
			}
		} else {
			text = m.rowLine(all[l.row], iw, addrW, idleW, hookW)
			if m.focused && l.row == m.cursor {
				text = s.SelectionPaint.Render(text)
			}
		}
		body = append(body, text)
	}
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	title := s.Title.Render(m.title) + " " + strconv.Itoa(len(m.attention)) + " need attention · " + strconv.Itoa(len(m.ok)) + " ok"
	return common.Frame(title, common.FitLines(body, iw, ih), m.w, m.h, border)
}

// rowLine is `  <glyph> <address>  <idle>  <hook|->  <reason> · <hint>`.
func (m Model) rowLine(r Row, w, addrW, idleW, hookW int) string {
	s := m.c.Styles
	st := s.StateText.Of(r.State)
	glyph := r.State.Glyph()
	if gw := common.Width(glyph); gw < 2 {
		glyph += strings.Repeat(" ", 2-gw)
	}
	hook := r.Hook
	if hook == "" {
		hook = "-"
	}
	reason := r.Reason
	if reason == "" {
		reason = r.State.String()
	}
	text := "  " + st.Render(glyph) + " " + pad(common.Cut(r.Address, addrW), addrW) + "  " + padLeft(r.Idle, idleW) + "  " +
		pad(common.Cut(hook, hookW), hookW) + "  " + st.Render(reason)
	if h := r.Hint(); h != "" {
		text += s.MutedPaint.Render(" · " + h)
	}
	return common.Fit(text, w)
}

func pad(s string, w int) string {
	if sw := common.Width(s); sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

func padLeft(s string, w int) string {
	if sw := common.Width(s); sw < w {
		return strings.Repeat(" ", w-sw) + s
	}
	return s
}

// View renders the view.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }
