// Package convoys is the Convoys panel: convoys with progress bars, landed
// ones dimmed, each expandable to its tracked beads, with the editing keys
// of spec §8 emitted as intent messages.
package convoys

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Tracked is one bead a convoy tracks.
type Tracked struct {
	ID, Title string
	Status    models.Status
	Assignee  string
}

// Glyph is the bead's status as gt convoy show marks it.
func (t Tracked) Glyph() string { return t.Status.ProgressGlyph() }

// Convoy is one convoy as the panel shows it.
type Convoy struct {
	ID, Title        string
	Landed           bool
	Completed, Total int
	Tracked          []Tracked
}

// row is one visible line: a convoy or one of its tracked beads.
type row struct {
	convoy  int
	tracked int // -1 for the convoy line
}

// Model is the Convoys panel.
type Model struct {
	c        common.Common
	keys     KeyMap
	convoys  []Convoy
	expanded map[string]bool
	cursor   int
	top      int
	w, h     int
	focused  bool
}

// New returns an empty panel.
func New(c common.Common) Model {
	return Model{c: c, keys: DefaultKeyMap(), expanded: map[string]bool{}}
}

// SetSize sets the panel's outer size (frame included).
func (m *Model) SetSize(w, h int) { m.w, m.h = max(w, 0), max(h, 0) }

// Focus focuses the panel.
func (m *Model) Focus() { m.focused = true }

// Blur unfocuses the panel.
func (m *Model) Blur() { m.focused = false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// KeyMap returns the panel's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetConvoys replaces the data, keeping the cursor on the same convoy.
func (m *Model) SetConvoys(cs []Convoy) {
	cur, _ := m.Current()
	m.convoys = cs
	rows := m.rows()
	m.cursor = min(m.cursor, max(len(rows)-1, 0))
	for i, r := range rows {
		if r.tracked < 0 && cs[r.convoy].ID == cur.ID {
			m.cursor = i
			break
		}
	}
}

// Convoys returns the data.
func (m Model) Convoys() []Convoy { return m.convoys }

// Current returns the convoy under the cursor (or owning the bead under it).
func (m Model) Current() (Convoy, bool) {
	rows := m.rows()
	if m.cursor < 0 || m.cursor >= len(rows) {
		return Convoy{}, false
	}
	return m.convoys[rows[m.cursor].convoy], true
}

// CurrentTracked returns the tracked bead under the cursor, if any.
func (m Model) CurrentTracked() (Convoy, Tracked, bool) {
	rows := m.rows()
	if m.cursor < 0 || m.cursor >= len(rows) || rows[m.cursor].tracked < 0 {
		return Convoy{}, Tracked{}, false
	}
	r := rows[m.cursor]
	c := m.convoys[r.convoy]
	return c, c.Tracked[r.tracked], true
}

func (m Model) rows() []row {
	var rs []row
	for i, c := range m.convoys {
		rs = append(rs, row{convoy: i, tracked: -1})
		if m.expanded[c.ID] {
			for j := range c.Tracked {
				rs = append(rs, row{convoy: i, tracked: j})
			}
		}
	}
	return rs
}

// Update handles the panel's keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	n := len(m.rows())
	k := m.keys
	switch {
	case key.Matches(kp, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(kp, k.Down):
		m.cursor = max(min(m.cursor+1, n-1), 0)
	case key.Matches(kp, k.Toggle):
		if c, ok := m.Current(); ok {
			m.expanded = cloneSet(m.expanded)
			m.expanded[c.ID] = !m.expanded[c.ID]
			m.cursor = m.convoyRow(c.ID)
		}
	case key.Matches(kp, k.Rename):
		return m, m.emitCurrent(func(c Convoy) tea.Msg { return RenameMsg{ID: c.ID, Title: c.Title} })
	case key.Matches(kp, k.Add):
		return m, m.emitCurrent(func(c Convoy) tea.Msg { return AddMsg{ID: c.ID} })
	case key.Matches(kp, k.Close):
		return m, m.emitCurrent(func(c Convoy) tea.Msg { return CloseMsg{ID: c.ID, Title: c.Title} })
	case key.Matches(kp, k.Remove):
		if c, t, ok := m.CurrentTracked(); ok {
			return m, emit(RemoveMsg{Convoy: c.ID, Bead: t.ID})
		}
	case key.Matches(kp, k.New):
		return m, emit(NewMsg{})
	}
	return m, nil
}

func (m Model) emitCurrent(f func(Convoy) tea.Msg) tea.Cmd {
	c, ok := m.Current()
	if !ok {
		return nil
	}
	return emit(f(c))
}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func (m Model) convoyRow(id string) int {
	for i, r := range m.rows() {
		if r.tracked < 0 && m.convoys[r.convoy].ID == id {
			return i
		}
	}
	return 0
}

func cloneSet(s map[string]bool) map[string]bool {
	out := make(map[string]bool, len(s)+1)
	for k, v := range s {
		out[k] = v
	}
	return out
}

// Lines renders the panel as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	iw, ih := max(m.w-2, 0), max(m.h-2, 0)
	s := m.c.Styles
	rows := m.rows()
	top := scrollTop(m.cursor, len(rows), ih)
	var body []string
	if len(rows) == 0 {
		body = append(body, s.MutedPaint.Render(common.Fit(" No convoys. Sling work or press N.", iw)))
	}
	for i := top; i < len(rows) && len(body) < ih; i++ {
		r := rows[i]
		c := m.convoys[r.convoy]
		var line string
		if r.tracked < 0 {
			line = m.convoyLine(c, iw)
		} else {
			t := c.Tracked[r.tracked]
			line = common.Fit("    "+t.Glyph()+" "+t.ID+" "+t.Title, iw)
			if c.Landed {
				line = s.MutedPaint.Render(line)
			}
		}
		if m.focused && i == m.cursor {
			line = s.SelectionPaint.Render(line)
		}
		body = append(body, line)
	}
	body = common.FitLines(body, iw, ih)
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	return common.Frame(s.Title.Render("Convoys"), body, m.w, m.h, border)
}

// convoyLine is `▸🚚 <id> <title>  ██░ x/y`, the bar and count right-aligned.
func (m Model) convoyLine(c Convoy, w int) string {
	s := m.c.Styles
	mark := " "
	if m.expanded[c.ID] {
		mark = "▾"
	} else if len(c.Tracked) > 0 {
		mark = "▸"
	}
	count := " " + strconv.Itoa(c.Completed) + "/" + strconv.Itoa(c.Total)
	barW := min(10, max(w/6, 3))
	glyph := "🚚"
	if c.Landed {
		glyph = "✓ "
	}
	left := mark + glyph + " " + c.ID + " " + c.Title
	rightW := barW + common.Width(count) + 1
	if w-rightW < 12 {
		// Too narrow for a bar: keep the count only.
		return dim(common.Fit(left, w-common.Width(count))+count, c.Landed, m)
	}
	done := 0
	if c.Total > 0 {
		done = c.Completed * barW / c.Total
	}
	bar := s.ProgressDone.Render(strings.Repeat("█", done)) + s.ProgressTodo.Render(strings.Repeat("░", barW-done))
	if c.Landed {
		bar = strings.Repeat("█", done) + strings.Repeat("░", barW-done)
	}
	return dim(common.Fit(left, w-rightW)+" "+bar+count, c.Landed, m)
}

func dim(line string, landed bool, m Model) string {
	if landed {
		return m.c.Styles.MutedPaint.Render(line)
	}
	return line
}

// View renders the panel.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }

// scrollTop keeps the cursor visible in a window of h rows.
func scrollTop(cursor, n, h int) int {
	if h <= 0 || n <= h {
		return 0
	}
	top := cursor - h/2
	return max(0, min(top, n-h))
}
