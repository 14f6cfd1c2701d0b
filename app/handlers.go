package app

import (
	"strconv"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/beadlist"
	"github.com/gastown/gt/views/convoys"
	"github.com/gastown/gt/views/pane"
)

// noticeTTL is how long a notice stays in the status bar.
const noticeTTL = 8 * time.Second

func (m *Model) handleResize(w, h int) tea.Cmd {
	m.w, m.h = w, h
	return m.relayout()
}

// relayout recomputes the layout, sizes every view, resizes the PTYs of
// shown panes whose inside changed, and repaints every shown pane.
func (m *Model) relayout() tea.Cmd {
	fi := m.focusedPaneIndex()
	if m.focus != focusPane {
		fi = -1
	}
	if m.lay = layout(m.w, m.h, len(m.panes), layoutOpts{
		Mayor: len(m.panes) > 0 && m.panes[0].agent.Address == "mayor",
		Focus: max(fi, m.fallbackPane()), Zoom: m.zoom, Tabs: m.tabs,
	}); m.lay.Mode == modeTooSmall {
		return nil
	}
	m.convoys.SetSize(m.lay.Convoys.W, m.lay.Convoys.H)
	m.beads.SetSize(m.lay.Beads.W, m.lay.Beads.H)
	m.feed.SetSize(m.lay.Feed.W, m.lay.Feed.H)
	if !m.lay.Side || m.lay.Mode == modeSingle {
		// Narrow: a panel is shown over the pane area.
		m.convoys.SetSize(m.lay.Main.W, m.lay.Main.H)
		m.beads.SetSize(m.lay.Main.W, m.lay.Main.H)
		m.feed.SetSize(m.lay.Main.W, m.lay.Main.H)
	}
	m.status.SetSize(m.lay.Status.W, 1)
	if m.dialog != nil {
		m.dialog.SetSize(m.w, m.h-1)
	}
	var cmds []tea.Cmd
	for i, p := range m.panes {
		r := m.lay.Panes[i]
		if r.Empty() {
			continue
		}
		w0, h0 := p.view.Size()
		p.view.SetSize(r.W, r.H)
		if _, cached := m.rendered[p.agent.Address]; !cached || w0 != r.W || h0 != r.H {
			// Only panes whose size changed are repainted here; the rest
			// keep their cached render until their screen changes.
			m.renderPane(p)
		}
		iw, ih := p.view.InnerSize()
		m.sizes.set(p.agent.Address, iw, ih)
		if (iw != p.innerW || ih != p.innerH) && p.agent.Live() {
			p.innerW, p.innerH = iw, ih
			cmds = append(cmds, resizeCmd(m.host, p.agent.Address, iw, ih))
		}
	}
	m.sizes.setDefault(m.newPaneSize())
	return tea.Batch(cmds...)
}

// newPaneSize estimates the inside of the pane a new agent would get.
func (m *Model) newPaneSize() (int, int) {
	l := layout(m.w, m.h, len(m.panes)+1, layoutOpts{Mayor: len(m.panes) > 0 && m.panes[0].agent.Address == "mayor", Focus: len(m.panes), Tabs: m.tabs})
	r := l.Panes[len(m.panes)]
	if r.Empty() {
		r = l.Main
	}
	return max(r.W-2, 1), max(r.H-2, 1)
}

func (m *Model) fallbackPane() int {
	if len(m.panes) == 0 {
		return -1
	}
	if i := m.paneIndex(m.focusAddr); i >= 0 {
		return i
	}
	return 0
}

// handleKey routes a key: dialog → prefix/global → focused view.
func (m *Model) handleKey(kp tea.KeyPressMsg) tea.Cmd {
	if m.dialog != nil {
		d, cmd := m.dialog.Update(kp)
		m.dialog = &d
		return cmd
	}
	k := m.keys
	if m.focus == focusPane && m.focusedPane() != nil {
		p := m.focusedPane()
		switch {
		case m.armed:
			m.armed = false
			if key.Matches(kp, k.Prefix) {
				// Prefix twice: the literal key (NUL for ctrl+space).
				return m.sendKey(p, kp)
			}
			if key.Matches(kp, k.Esc) {
				return nil
			}
			return m.handleGlobal(kp)
		case key.Matches(kp, k.Prefix):
			m.armed = true
			return nil
		case p.view.InCopyMode():
			v, cmd := p.view.Update(kp)
			p.view = v
			m.renderPane(p)
			return cmd
		}
		return m.sendKey(p, kp)
	}
	if m.armed {
		m.armed = false
		if key.Matches(kp, k.Esc) {
			return nil
		}
		return m.handleGlobal(kp)
	}
	if key.Matches(kp, k.Prefix) {
		m.armed = true
		return nil
	}
	// A focused panel: its own keys win over globals (filter typing takes
	// every key).
	if m.panelOwns(kp) {
		return m.updatePanel(kp)
	}
	if key.Matches(kp, k.Esc) && m.showPanel {
		m.showPanel = false
		m.focusFirstPane()
		return m.relayout()
	}
	return m.handleGlobal(kp)
}

// panelOwns reports whether the focused panel binds kp.
func (m *Model) panelOwns(kp tea.KeyPressMsg) bool {
	switch m.focus {
	case focusBeads:
		if m.beads.Filtering() {
			return true
		}
		return matchesAny(kp, m.beads.KeyMap().FullHelp())
	case focusConvoys:
		return matchesAny(kp, m.convoys.KeyMap().FullHelp())
	case focusFeed:
		return m.feed.Owns(kp)
	}
	return false
}

func matchesAny(kp tea.KeyPressMsg, groups [][]key.Binding) bool {
	for _, g := range groups {
		if key.Matches(kp, g...) {
			return true
		}
	}
	return false
}

func (m *Model) updatePanel(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	switch m.focus {
	case focusBeads:
		m.beads, cmd = m.beads.Update(msg)
	case focusConvoys:
		m.convoys, cmd = m.convoys.Update(msg)
	case focusFeed:
		m.feed, cmd = m.feed.Update(msg)
	}
	return cmd
}

// handleGlobal runs a global command key.
func (m *Model) handleGlobal(kp tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(kp, k.Next):
		m.cycleFocus(1)
	case key.Matches(kp, k.Prev):
		m.cycleFocus(-1)
	case key.Matches(kp, k.Left, k.Right, k.Up, k.Down):
		m.moveFocus(kp.String())
	case key.Matches(kp, k.PaneN):
		n, _ := strconv.Atoi(kp.String())
		if n-1 < len(m.panes) {
			m.focusAgent(m.panes[n-1].agent.Address)
		}
	case key.Matches(kp, k.Mayor):
		return m.focusMayor()
	case key.Matches(kp, k.Zoom):
		m.zoom = !m.zoom
	case key.Matches(kp, k.Tabs):
		m.tabs = !m.tabs
	case key.Matches(kp, k.Copy):
		if p := m.focusedPane(); p != nil && m.focus == focusPane {
			p.view.EnterCopyMode()
			m.renderPane(p)
		}
		return nil
	case key.Matches(kp, k.Convoys):
		m.focusPanel(focusConvoys)
	case key.Matches(kp, k.Beads):
		m.focusPanel(focusBeads)
	case key.Matches(kp, k.Feed):
		m.feed.SetProblems(false)
		m.focusPanel(focusFeed)
	case key.Matches(kp, k.Problems):
		m.feed.SetProblems(true)
		m.focusPanel(focusFeed)
	case key.Matches(kp, k.NewBead):
		return m.openNewBead()
	case key.Matches(kp, k.Sling):
		ids := m.beads.Selected()
		return loadSlingDataCmd(m.ctx, m.town, ids)
	case key.Matches(kp, k.Restart), key.Matches(kp, k.Stop):
		return m.confirmAgentOp(key.Matches(kp, k.Restart))
	case key.Matches(kp, k.Help):
		return m.openHelp()
	case key.Matches(kp, k.Quit):
		return m.confirmQuit()
	default:
		return nil
	}
	return m.relayout()
}

// sendKey writes a key to the pane's PTY through the ordered input queue.
func (m *Model) sendKey(p *paneEntry, kp tea.KeyPressMsg) tea.Cmd {
	t := p.agent.Term
	if t == nil || p.agent.Exited {
		return nil
	}
	m.acknowledge(p.agent.Address)
	if p.view.Offset() > 0 {
		// Typing returns to the live screen, as terminals do.
		p.view.ScrollBy(-p.view.Offset())
		m.renderPane(p)
	}
	pk, text, ok := toPTYKey(kp)
	if !ok {
		return nil
	}
	if text != "" {
		m.input(func() { _, _ = t.Write([]byte(text)) })
		return nil
	}
	m.input(func() { _ = t.SendKey(pk) })
	return nil
}

func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	if m.dialog != nil {
		d, cmd := m.dialog.Update(msg)
		m.dialog = &d
		return cmd
	}
	if p := m.focusedPane(); m.focus == focusPane && p != nil && p.agent.Live() {
		t, text := p.agent.Term, msg.Content
		m.acknowledge(p.agent.Address)
		m.input(func() { _ = t.Paste(text) })
	}
	return nil
}

// handleMouse: a click focuses what is under it; later clicks and the
// wheel go to the app if it enabled mouse reporting, else the wheel scrolls
// the pane's scrollback.
func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.dialog != nil || m.lay.Mode == modeTooSmall {
		return nil
	}
	mo := msg.Mouse()
	_, click := msg.(tea.MouseClickMsg)
	_, wheel := msg.(tea.MouseWheelMsg)
	if click && m.lay.Tabs && m.lay.TabBar.Contains(mo.X, mo.Y) {
		g := m.grid
		g.SetTabs(m.gridTabs())
		if i := g.TabAt(mo.X - m.lay.TabBar.X); i >= 0 {
			m.focusAgent(m.panes[i].agent.Address)
			return m.relayout()
		}
		return nil
	}
	for i, r := range m.lay.Panes {
		if !r.Contains(mo.X, mo.Y) {
			continue
		}
		p := m.panes[i]
		if click && (m.focus != focusPane || m.focusAddr != p.agent.Address) {
			m.focusAgent(p.agent.Address)
			return m.relayout()
		}
		t := p.agent.Term
		inner := r.X+1 <= mo.X && mo.X < r.X+r.W-1 && r.Y+1 <= mo.Y && mo.Y < r.Y+r.H-1
		if t != nil && p.agent.Live() && inner && t.Modes().Mouse != 0 {
			ev := toPTYMouse(msg, r.X+1, r.Y+1)
			m.input(func() { _, _ = t.SendMouse(ev) })
			return nil
		}
		if wheel {
			d := 3
			if mo.Button == tea.MouseWheelDown {
				d = -3
			}
			p.view.ScrollBy(d)
			m.renderPane(p)
		}
		return nil
	}
	if !click {
		return nil
	}
	for _, pr := range []struct {
		r rect
		f focusKind
	}{{m.lay.Convoys, focusConvoys}, {m.lay.Beads, focusBeads}, {m.lay.Feed, focusFeed}} {
		if m.lay.Side && pr.r.Contains(mo.X, mo.Y) {
			m.focusPanel(pr.f)
			return m.relayout()
		}
	}
	return nil
}

// handleFrame repaints the panes whose screens changed since the last frame.
func (m *Model) handleFrame() tea.Cmd {
	m.frameArmed = false
	for addr := range m.dirty {
		if i := m.paneIndex(addr); i >= 0 && !m.lay.Panes[i].Empty() {
			m.renderPane(m.panes[i])
		}
		delete(m.dirty, addr)
	}
	return nil
}

func (m *Model) markDirty(addr string) { m.dirty[addr] = true }

// armFrame schedules a frame unless one is pending: at most MaxFPS frames
// a second, however many notices arrive.
func (m *Model) armFrame() tea.Cmd {
	if m.frameArmed {
		return nil
	}
	m.frameArmed = true
	return frameTick(m.cfg.MaxFPS)
}

func (m *Model) handleHostUpdate(msg hostUpdateMsg) tea.Cmd {
	next := waitForHostEvent(m.host)
	u := msg.u
	switch u.Kind {
	case town.UpdatePaneOutput:
		m.markDirty(u.Agent)
		return tea.Batch(next, m.armFrame())
	case town.UpdateAgents, town.UpdateState, town.UpdateExit:
		return tea.Batch(next, refreshAgentsCmd(m.host))
	case town.UpdateFocus:
		if m.paneIndex(u.Agent) < 0 {
			// Not started yet (gt mayor attach marks it wanted first).
			m.wantFocus = u.Agent
		}
		m.focusAgent(u.Agent)
		if u.Zoom {
			m.zoom = true
		}
		return tea.Batch(next, m.relayout())
	case town.UpdateNotice:
		m.setNotice(u.Text, false)
	}
	return next
}

// handleAgents reconciles the pane list with the host's agents and raises
// waiting notifications.
func (m *Model) handleAgents(agents []Agent) tea.Cmd {
	m.agents = agents
	var cmds []tea.Cmd
	byAddr := make(map[string]*paneEntry, len(m.panes))
	for _, p := range m.panes {
		byAddr[p.agent.Address] = p
	}
	var panes []*paneEntry
	for _, a := range agents {
		prev, seen := m.states[a.Address]
		m.states[a.Address] = int(a.State)
		if a.State == models.StateWaiting && (!seen || prev != int(models.StateWaiting)) && a.Live() {
			cmds = append(cmds, m.notifyWaiting(a))
		}
		if a.State != models.StateWaiting {
			delete(m.attention, a.Address)
		}
		if !a.HasPane() {
			continue
		}
		p := byAddr[a.Address]
		if p == nil {
			p = &paneEntry{view: pane.New(m.c, pane.Info{}, nil)}
		}
		if p.agent.Term != a.Term || p.view.Info().Name == "" {
			p.view.SetScreen(screenOf(a))
			p.innerW, p.innerH = 0, 0
			m.markDirty(a.Address)
		}
		p.agent = a
		info := pane.Info{Name: a.PaneTitle, Runtime: a.Runtime, State: a.State, Hook: a.Hook,
			ExitCode: a.ExitCode, Attention: m.attention[a.Address]}
		if info != p.view.Info() {
			p.view.SetInfo(info)
			m.markDirty(a.Address)
		}
		panes = append(panes, p)
	}
	m.panes = panes
	m.feed.SetAgents(agents)
	if m.wantFocus != "" && m.paneIndex(m.wantFocus) >= 0 {
		m.focusAgent(m.wantFocus)
		m.wantFocus = ""
	}
	if m.focus == focusPane && m.paneIndex(m.focusAddr) < 0 {
		m.focusFirstPane()
	}
	m.syncFocus()
	if len(m.dirty) > 0 {
		cmds = append(cmds, m.armFrame())
	}
	return tea.Batch(append(cmds, m.relayout())...)
}

func screenOf(a Agent) pane.Screen {
	if a.Term != nil {
		return termScreen{t: a.Term}
	}
	return newTextScreen(a.Message)
}

// notifyWaiting marks an agent that started waiting: its pane title and the
// status bar say so and the bell rings (when configured). Focusing the pane
// acknowledges it.
func (m *Model) notifyWaiting(a Agent) tea.Cmd {
	if m.focus == focusPane && m.focusAddr == a.Address {
		return nil
	}
	m.attention[a.Address] = true
	reason := ""
	if a.Reason != "" {
		reason = ": " + a.Reason
	}
	m.setNotice("◐ "+a.PaneTitle+" is waiting"+reason, false)
	if m.cfg.Bell {
		return bellCmd()
	}
	return nil
}

// acknowledge clears an agent's waiting notification.
func (m *Model) acknowledge(addr string) {
	if !m.attention[addr] {
		return
	}
	delete(m.attention, addr)
	if i := m.paneIndex(addr); i >= 0 {
		info := m.panes[i].view.Info()
		info.Attention = false
		m.panes[i].view.SetInfo(info)
		m.renderPane(m.panes[i])
	}
}

func (m *Model) handleSnapshot(msg snapshotMsg) tea.Cmd {
	m.loading = false
	if msg.err != nil {
		m.setNotice("✗ "+msg.err.Error(), true)
		return nil
	}
	m.snap = msg.snap
	m.convoys.SetConvoys(convoyRows(msg.snap.Convoys))
	items := make([]beadlist.Item, len(msg.snap.Beads))
	for i, b := range msg.snap.Beads {
		items[i] = beadlist.Item{Bead: b, Ready: msg.snap.Ready[b.ID]}
	}
	m.beads.SetItems(items)
	m.feed.SetEvents(msg.snap.Events)
	return nil
}

func convoyRows(vs []town.ConvoyView) []convoys.Convoy {
	out := make([]convoys.Convoy, len(vs))
	for i, v := range vs {
		c := convoys.Convoy{ID: v.ID, Title: v.Title, Landed: v.Closed(), Completed: v.Completed, Total: v.Total}
		for _, t := range v.Tracked {
			c.Tracked = append(c.Tracked, convoys.Tracked{ID: t.ID, Title: t.Title, Status: t.Status, Assignee: t.Assignee})
		}
		out[i] = c
	}
	return out
}

func (m *Model) handleRefresh() tea.Cmd {
	cmds := []tea.Cmd{refreshTick(m.cfg.RefreshEvery), refreshAgentsCmd(m.host)}
	if !m.loading {
		m.loading = true
		cmds = append(cmds, loadSnapshotCmd(m.ctx, m.town))
	}
	if m.notice != "" && m.now().Sub(m.noticeTime) > noticeTTL {
		m.notice = ""
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleOpDone(msg opDoneMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice("✗ "+firstLine(msg.err.Error()), true)
	} else if msg.notice != "" {
		m.setNotice(msg.notice, false)
	}
	m.loading = true
	return tea.Batch(loadSnapshotCmd(m.ctx, m.town), refreshAgentsCmd(m.host))
}

func (m *Model) setNotice(s string, isErr bool) {
	m.notice, m.noticeErr, m.noticeTime = s, isErr, m.now()
}

func (m *Model) handleCopy(msg pane.CopyMsg) tea.Cmd {
	m.markDirty(m.focusAddr)
	m.setNotice("✓ Copied "+strconv.Itoa(len([]rune(msg.Text)))+" characters", false)
	return tea.Batch(tea.SetClipboard(msg.Text), m.armFrame())
}

// renderPane re-renders one pane into the cache.
func (m *Model) renderPane(p *paneEntry) {
	m.rendered[p.agent.Address] = p.view.Lines()
	m.renders++
}
