// Package agenttree is the Agents panel of gt feed (and the TUI's side
// panels): every agent as a tree Town → Mayor, then per rig its crew and
// polecats, each row with the §9 state glyph, state, hooked bead and idle
// time. The cursor moves over agents; n and enter emit intent messages.
package agenttree

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Agent is one agent as the tree shows it.
type Agent struct {
	Address string
	Role    models.Role
	Rig     string
	Name    string
	State   models.AgentState
	Hook    string
	// Idle is already formatted (12s, 4m, 2h, -).
	Idle string
	// Reason explains a problem state.
	Reason string
}

// row is one visible line: a heading or an agent.
type row struct {
	text  string // heading text, or the tree prefix of an agent row
	agent int    // index into agents; -1 for headings
}

// Model is the Agents panel.
type Model struct {
	c       common.Common
	keys    KeyMap
	agents  []Agent
	rows    []row
	cursor  int // index into rows (always an agent row when any exists)
	top     int
	w, h    int
	focused bool
	title   string
}

// New returns an empty panel.
func New(c common.Common) Model {
	return Model{c: c, keys: DefaultKeyMap(), title: "Agents"}
}

// SetSize sets the panel's outer size (frame included).
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.scroll()
}

// Focus focuses the panel.
func (m *Model) Focus() { m.focused = true }

// Blur unfocuses the panel.
func (m *Model) Blur() { m.focused = false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// KeyMap returns the panel's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetTitle replaces the frame title (default "Agents").
func (m *Model) SetTitle(t string) { m.title = t }

// SetAgents replaces the agents (Mayor first, then by rig, crew before
// polecats, as gt agents sorts them), keeping the cursor on the same agent.
func (m *Model) SetAgents(as []Agent) {
	cur, hadCur := m.Current()
	m.agents = as
	m.rows = buildRows(as)
	m.cursor = m.firstAgentRow(0, 1)
	if hadCur {
		for i, r := range m.rows {
			if r.agent >= 0 && as[r.agent].Address == cur.Address {
				m.cursor = i
			}
		}
	}
	m.scroll()
}

// Agents returns the data.
func (m Model) Agents() []Agent { return m.agents }

// Current returns the agent under the cursor.
func (m Model) Current() (Agent, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) || m.rows[m.cursor].agent < 0 {
		return Agent{}, false
	}
	return m.agents[m.rows[m.cursor].agent], true
}

// buildRows lays out the tree: "Town" with the Mayor (and any agent
// without a rig), then each rig with "crew" and "polecats" groups.
func buildRows(as []Agent) []row {
	var rows []row
	var town []int
	type rigGroup struct{ crew, polecats []int }
	groups := map[string]*rigGroup{}
	var rigs []string
	for i, a := range as {
		if a.Rig == "" || a.Role == models.RoleMayor {
			town = append(town, i)
			continue
		}
		g := groups[a.Rig]
		if g == nil {
			g = &rigGroup{}
			groups[a.Rig] = g
			rigs = append(rigs, a.Rig)
		}
		if a.Role == models.RoleCrew {
			g.crew = append(g.crew, i)
		} else {
			g.polecats = append(g.polecats, i)
		}
	}
	rows = append(rows, row{text: "Town", agent: -1})
	for j, i := range town {
		rows = append(rows, row{text: branch(j == len(town)-1), agent: i})
	}
	for _, rig := range rigs {
		g := groups[rig]
		rows = append(rows, row{text: rig, agent: -1})
		sections := []struct {
			name string
			ids  []int
		}{{"crew", g.crew}, {"polecats", g.polecats}}
		var present []int
		for k, s := range sections {
			if len(s.ids) > 0 {
				present = append(present, k)
			}
		}
		for n, k := range present {
			s := sections[k]
			last := n == len(present)-1
			rows = append(rows, row{text: branch(last) + s.name, agent: -1})
			indent := "│ "
			if last {
				indent = "  "
			}
			for j, i := range s.ids {
				rows = append(rows, row{text: indent + branch(j == len(s.ids)-1), agent: i})
			}
		}
	}
	return rows
}

func branch(last bool) string {
	if last {
		return "└ "
	}
	return "├ "
}

// firstAgentRow returns the first agent row from i going in direction dir
// (+1/-1); if none, the nearest agent row the other way, else 0.
func (m Model) firstAgentRow(i, dir int) int {
	for j := i; j >= 0 && j < len(m.rows); j += dir {
		if m.rows[j].agent >= 0 {
			return j
		}
	}
	for j := i; j >= 0 && j < len(m.rows); j -= dir {
		if m.rows[j].agent >= 0 {
			return j
		}
	}
	return 0
}

// Update handles the panel's keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	k := m.keys
	half := max(m.innerH()/2, 1)
	switch {
	case key.Matches(kp, k.Up):
		m.move(-1)
	case key.Matches(kp, k.Down):
		m.move(1)
	case key.Matches(kp, k.HalfUp):
		m.move(-half)
	case key.Matches(kp, k.HalfDown):
		m.move(half)
	case key.Matches(kp, k.Top):
		m.cursor = m.firstAgentRow(0, 1)
	case key.Matches(kp, k.Bottom):
		m.cursor = m.firstAgentRow(len(m.rows)-1, -1)
	case key.Matches(kp, k.Nudge):
		if a, ok := m.Current(); ok {
			return m, emit(NudgeMsg{Address: a.Address})
		}
	case key.Matches(kp, k.Focus):
		if a, ok := m.Current(); ok {
			return m, emit(FocusMsg{Address: a.Address})
		}
	}
	m.scroll()
	return m, nil
}

// move steps the cursor over n agent rows (negative: up).
func (m *Model) move(n int) {
	dir := 1
	if n < 0 {
		dir, n = -1, -n
	}
	for ; n > 0; n-- {
		next := -1
		for j := m.cursor + dir; j >= 0 && j < len(m.rows); j += dir {
			if m.rows[j].agent >= 0 {
				next = j
				break
			}
		}
		if next < 0 {
			return
		}
		m.cursor = next
	}
}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func (m Model) innerH() int { return max(m.h-2, 0) }

// scroll keeps the cursor row, and the heading above it when it fits, in
// view.
func (m *Model) scroll() {
	ih := m.innerH()
	if ih <= 0 || len(m.rows) <= ih {
		m.top = 0
		return
	}
	if m.cursor < m.top {
		m.top = m.cursor
		if m.top > 0 && m.rows[m.top-1].agent < 0 {
			m.top--
		}
	}
	if m.cursor >= m.top+ih {
		m.top = m.cursor - ih + 1
	}
	m.top = max(0, min(m.top, len(m.rows)-ih))
}

// Lines renders the panel as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	s := m.c.Styles
	iw, ih := max(m.w-2, 0), m.innerH()
	nameW, hookW := 4, 1
	for _, a := range m.agents {
		nameW = max(nameW, common.Width(label(a)))
		hookW = max(hookW, common.Width(a.Hook))
	}
	nameW, hookW = min(nameW, 24), min(hookW, 12)
	var body []string
	if len(m.agents) == 0 {
		body = append(body, s.MutedPaint.Render(common.Fit(" No agents yet.", iw)))
	}
	for i := m.top; i < len(m.rows) && len(body) < ih && len(m.agents) > 0; i++ {
		r := m.rows[i]
		var line string
		if r.agent < 0 {
			line = common.Fit(" "+r.text, iw)
			if !strings.HasPrefix(r.text, "├") && !strings.HasPrefix(r.text, "└") {
				line = s.Title.Render(line)
			} else {
				line = s.MutedPaint.Render(line)
			}
		} else {
			line = m.agentLine(r, iw, nameW, hookW)
		}
		if m.focused && i == m.cursor {
			line = s.SelectionPaint.Render(line)
		}
		body = append(body, line)
	}
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	return common.Frame(s.Title.Render(m.title), common.FitLines(body, iw, ih), m.w, m.h, border)
}

// label is the agent's name in the tree (the Mayor's is "mayor").
func label(a Agent) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Address
}

// agentLine is ` <tree> <glyph> <name>  <state>  <hook>  <idle>`.
func (m Model) agentLine(r row, w, nameW, hookW int) string {
	a := m.agents[r.agent]
	st := m.c.Styles.StateText.Of(a.State)
	glyph := a.State.Glyph()
	if gw := common.Width(glyph); gw < 2 {
		glyph += strings.Repeat(" ", 2-gw)
	}
	hook := a.Hook
	if hook == "" {
		hook = "-"
	}
	plain := " " + r.text
	cells := []string{
		padRight(common.Cut(label(a), nameW), nameW),
		padRight(a.State.String(), 7),
		padRight(common.Cut(hook, hookW), hookW),
		a.Idle,
	}
	line := plain + st.Render(glyph) + " " + cells[0] + "  " + st.Render(cells[1]) + "  " + cells[2] + "  " + cells[3]
	return common.Fit(line, w)
}

func padRight(s string, w int) string {
	if sw := common.Width(s); sw < w {
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

// View renders the panel.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }
