package app

import (
	tea "charm.land/bubbletea/v2"
)

func (m *Model) paneIndex(addr string) int {
	for i, p := range m.panes {
		if p.agent.Address == addr {
			return i
		}
	}
	return -1
}

func (m *Model) focusedPaneIndex() int { return m.paneIndex(m.focusAddr) }

// focusedPane is the focused (or, with a panel focused, the last focused)
// pane; nil when there are no panes.
func (m *Model) focusedPane() *paneEntry {
	if i := m.focusedPaneIndex(); i >= 0 {
		return m.panes[i]
	}
	return nil
}

func (m *Model) focusFirstPane() {
	if len(m.panes) == 0 {
		m.focusPanel(focusBeads)
		m.showPanel = false
		return
	}
	m.focusAgent(m.panes[0].agent.Address)
}

// focusAgent focuses an agent's pane (if it has one), acknowledging its
// waiting notification.
func (m *Model) focusAgent(addr string) {
	if m.paneIndex(addr) < 0 {
		return
	}
	m.focus, m.focusAddr, m.showPanel = focusPane, addr, false
	m.acknowledge(addr)
	m.syncFocus()
}

// focusPanel focuses a side panel; on narrow windows it is shown over the
// pane area until esc.
func (m *Model) focusPanel(f focusKind) {
	m.focus = f
	m.overlay, m.showPanel = f, !m.lay.Side
	m.syncFocus()
}

// syncFocus tells every view whether it has focus.
func (m *Model) syncFocus() {
	for _, p := range m.panes {
		if m.focus == focusPane && p.agent.Address == m.focusAddr {
			if !p.view.Focused() {
				p.view.Focus()
				m.renderPane(p)
				m.sendFocus(p, true)
			}
		} else if p.view.Focused() {
			p.view.Blur()
			m.renderPane(p)
			m.sendFocus(p, false)
		}
	}
	m.convoys.Blur()
	m.beads.Blur()
	m.feed.Blur()
	switch m.focus {
	case focusConvoys:
		m.convoys.Focus()
	case focusBeads:
		m.beads.Focus()
	case focusFeed:
		m.feed.Focus()
	}
}

// focusTarget is one stop of the tab order: a pane or a panel.
type focusTarget struct {
	kind focusKind
	addr string
	r    rect
}

// targets lists focus stops in tab order: panes, then the panels.
func (m *Model) targets() []focusTarget {
	var out []focusTarget
	for i, p := range m.panes {
		out = append(out, focusTarget{focusPane, p.agent.Address, m.lay.Panes[i]})
	}
	out = append(out, focusTarget{kind: focusConvoys, r: m.lay.Convoys},
		focusTarget{kind: focusBeads, r: m.lay.Beads}, focusTarget{kind: focusFeed, r: m.lay.Feed})
	return out
}

func (m *Model) currentTarget(ts []focusTarget) int {
	for i, t := range ts {
		if t.kind == m.focus && (t.kind != focusPane || t.addr == m.focusAddr) {
			return i
		}
	}
	return 0
}

func (m *Model) focusTo(t focusTarget) {
	if t.kind == focusPane {
		m.focusAgent(t.addr)
		return
	}
	m.focusPanel(t.kind)
}

// cycleFocus moves to the next (dir 1) or previous (-1) focus stop.
func (m *Model) cycleFocus(dir int) {
	ts := m.targets()
	i := m.currentTarget(ts)
	n := len(ts)
	m.focusTo(ts[((i+dir)%n+n)%n])
}

// moveFocus moves focus spatially to the nearest visible stop in the
// arrow's direction.
func (m *Model) moveFocus(dir string) {
	ts := m.targets()
	cur := ts[m.currentTarget(ts)].r
	if cur.Empty() {
		m.cycleFocus(1)
		return
	}
	cx, cy := cur.X+cur.W/2, cur.Y+cur.H/2
	best, bestD := -1, 0
	for i, t := range ts {
		r := t.r
		if r.Empty() || r == cur {
			continue
		}
		x, y := r.X+r.W/2, r.Y+r.H/2
		var ok bool
		switch dir {
		case "left":
			ok = r.X+r.W <= cur.X
		case "right":
			ok = r.X >= cur.X+cur.W
		case "up":
			ok = r.Y+r.H <= cur.Y
		case "down":
			ok = r.Y >= cur.Y+cur.H
		}
		if !ok {
			continue
		}
		d := abs(x-cx) + abs(y-cy)
		if best < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	if best >= 0 {
		m.focusTo(ts[best])
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// focusMayor focuses the Mayor, marking it wanted and starting it if
// needed (`m`).
func (m *Model) focusMayor() tea.Cmd {
	if i := m.paneIndex("mayor"); i >= 0 && m.panes[i].agent.Live() {
		m.focusAgent("mayor")
		return m.relayout()
	}
	i := m.paneIndex("mayor")
	m.wantFocus = "mayor"
	if i >= 0 {
		m.focusAgent("mayor")
	}
	return tea.Batch(wantMayorCmd(m.ctx, m.town, m.host, i >= 0 && m.panes[i].agent.Exited), m.relayout())
}

// sendFocus tells a live pane's application it gained or lost focus (only
// sent when it enabled focus events).
func (m *Model) sendFocus(p *paneEntry, in bool) {
	if t := p.agent.Term; t != nil && p.agent.Live() {
		m.input(func() { _ = t.SendFocus(in) })
	}
}
