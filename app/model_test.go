package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
	"github.com/gastown/gt/views/dialogs"
)

func twoAgents() (*fakeTerm, *fakeTerm, []Agent) {
	mt := newFakeTerm(80, 24, "demo agent mayor ready\r\ndemo> ")
	pt := newFakeTerm(80, 24, "demo agent demo/polecats/nux ready\r\ndemo> ")
	return mt, pt, []Agent{mayorAgent(mt), polecatAgent("nux", pt, models.StateWorking)}
}

func TestFocusRoutingAndPrefix(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	m := hs.m
	if m.focus != focusBeads {
		t.Fatalf("initial focus = %v, want beads", m.focus)
	}
	// A focused panel takes global keys without the prefix: 1 focuses pane 1.
	hs.key("1")
	if m.focus != focusPane || m.focusAddr != "mayor" {
		t.Fatalf("after 1: focus %v %q", m.focus, m.focusAddr)
	}
	// Keys go to the focused pane, including letters that are global keys.
	hs.typeText("ls q")
	hs.key("enter")
	if got := mt.typed(); got != "ls q<enter>" {
		t.Fatalf("mayor got %q", got)
	}
	if pt.typed() != "" {
		t.Fatalf("polecat got %q", pt.typed())
	}
	// The prefix arms one command key; the status bar says PREFIX.
	hs.key("ctrl+space")
	if !m.armed || !strings.Contains(ansi.Strip(hs.screen()), "PREFIX") {
		t.Fatal("prefix not armed / not shown")
	}
	hs.key("2")
	if m.focusAddr != "demo/polecats/nux" || m.armed {
		t.Fatalf("after prefix 2: focus %q armed %v", m.focusAddr, m.armed)
	}
	// Prefix twice sends the literal ctrl+space (NUL).
	hs.key("ctrl+space", "ctrl+space")
	pt.mu.Lock()
	last := pt.keys[len(pt.keys)-1]
	pt.mu.Unlock()
	if enc := ptyhost.EncodeKey(last, false); string(enc) != "\x00" {
		t.Fatalf("prefix twice sent %q, want NUL", enc)
	}
	// esc disarms without sending anything.
	n := len(pt.keys)
	hs.key("ctrl+space", "esc")
	if m.armed || len(pt.keys) != n {
		t.Fatalf("esc: armed=%v keys %d→%d", m.armed, n, len(pt.keys))
	}
	// tab after the prefix cycles focus: panes, then Convoys, Beads, Feed.
	hs.key("ctrl+space", "tab")
	if m.focus != focusConvoys {
		t.Fatalf("tab from last pane: focus %v", m.focus)
	}
	hs.key("tab", "tab", "tab")
	if m.focus != focusPane || m.focusAddr != "mayor" {
		t.Fatalf("tab wrap: focus %v %q", m.focus, m.focusAddr)
	}
	hs.key("ctrl+space", "shift+tab")
	if m.focus != focusFeed {
		t.Fatalf("shift+tab: focus %v", m.focus)
	}
	// Arrows move spatially: from the Feed (bottom right) left reaches a
	// pane, up from the polecat reaches the Mayor.
	hs.key("left")
	if m.focus != focusPane || m.focusAddr != "demo/polecats/nux" {
		t.Fatalf("left from feed: %v %q", m.focus, m.focusAddr)
	}
	hs.key("ctrl+space", "up")
	if m.focusAddr != "mayor" {
		t.Fatalf("up from polecat: %q", m.focusAddr)
	}
	hs.key("ctrl+space", "right")
	if m.focus != focusConvoys && m.focus != focusBeads {
		t.Fatalf("right from mayor: %v", m.focus)
	}
	// c/b/f/p focus panels; p opens Problems.
	hs.key("f")
	if m.focus != focusFeed {
		t.Fatalf("f: %v", m.focus)
	}
	hs.key("p")
	if !m.feed.problems {
		t.Fatal("p in the feed did not toggle problems")
	}
}

func TestPasteAndMouse(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.key("1")
	hs.send(tea.PasteMsg{Content: "hello\nworld"})
	if len(mt.pastes) != 1 || mt.pastes[0] != "hello\nworld" {
		t.Fatalf("pastes = %q", mt.pastes)
	}
	// A click on the polecat pane focuses it.
	r := hs.m.lay.Panes[1]
	hs.send(tea.MouseClickMsg{X: r.X + 3, Y: r.Y + 3, Button: tea.MouseLeft})
	if hs.m.focusAddr != "demo/polecats/nux" {
		t.Fatalf("click focused %q", hs.m.focusAddr)
	}
	// Without mouse reporting the wheel scrolls the scrollback.
	for i := 0; i < 40; i++ {
		_, _ = pt.Terminal.Write([]byte("line\r\n"))
	}
	hs.send(tea.MouseWheelMsg{X: r.X + 3, Y: r.Y + 3, Button: tea.MouseWheelUp})
	if off := hs.m.panes[1].view.Offset(); off != 3 {
		t.Fatalf("wheel offset = %d, want 3", off)
	}
	// With mouse reporting, later clicks go to the app, in pane coordinates.
	pt.modes.Mouse = ptyhost.MouseTrackingNormal
	hs.send(tea.MouseClickMsg{X: r.X + 5, Y: r.Y + 2, Button: tea.MouseLeft})
	if len(pt.mouse) != 1 || pt.mouse[0].X != 4 || pt.mouse[0].Y != 1 || pt.mouse[0].Button != ptyhost.MouseLeft {
		t.Fatalf("mouse = %+v", pt.mouse)
	}
}

func TestSlingWithKeyboard(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	m := hs.m
	// Beads has focus on the ready view: select both ready beads.
	hs.key("space", "space")
	if got := m.beads.Selected(); !slices.Equal(got, []string{"dm-aaaaa", "dm-bbbbb"}) {
		t.Fatalf("selected %v", got)
	}
	hs.key("s")
	if m.dialog == nil || m.dialog.Kind() != dialogs.KindSling {
		t.Fatal("s did not open the sling dialog")
	}
	scr := ansi.Strip(hs.screen())
	for _, want := range []string{"Sling", "dm-aaaaa, dm-bbbbb", "demo (new polecat)", "demo/nux (polecat)", "mayor", "demo (default)", "No convoy"} {
		if !strings.Contains(scr, want) {
			t.Errorf("sling dialog lacks %q:\n%s", want, scr)
		}
	}
	// Target: the second option; agent: claude; no convoy on; args.
	hs.key("down", "tab", "right", "tab", "space", "tab")
	hs.typeText("be quick")
	hs.key("enter")
	if m.dialog != nil {
		t.Fatal("dialog still open after enter")
	}
	if len(hs.town.slings) != 1 {
		t.Fatalf("slings = %+v", hs.town.slings)
	}
	o := hs.town.slings[0]
	if !slices.Equal(o.Args, []string{"dm-aaaaa", "dm-bbbbb", "demo/polecats/nux"}) || o.Agent != "claude" || !o.NoConvoy ||
		o.AgentArgs != "be quick" || o.Actor != "overseer" {
		t.Fatalf("sling options = %+v", o)
	}
	if !strings.Contains(m.notice, "🎯 Sling dm-aaaaa → demo/polecats/nux") {
		t.Fatalf("notice = %q", m.notice)
	}
	if len(m.beads.Selected()) != 1 {
		t.Fatalf("selection not cleared: %v", m.beads.Selected())
	}
	// esc cancels without slinging; the default agent sends no override.
	hs.key("s", "esc")
	hs.key("s", "enter")
	if len(hs.town.slings) != 2 || hs.town.slings[1].Agent != "" || hs.town.slings[1].Args[1] != "demo" {
		t.Fatalf("second sling = %+v", hs.town.slings)
	}
}

func TestConvoyEditing(t *testing.T) {
	hs := newHarness(t, 200, 50)
	m := hs.m
	// From the beads panel: C creates a convoy from the selection.
	hs.key("space", "C")
	if m.dialog == nil || m.dialog.Kind() != dialogs.KindConvoyName {
		t.Fatal("C did not open the name dialog")
	}
	hs.key("enter")
	// A adds the selection to a convoy picked from open ones.
	hs.key("A")
	if m.dialog == nil || m.dialog.Kind() != dialogs.KindConvoyPicker {
		t.Fatal("A did not open the picker")
	}
	if strings.Contains(ansi.Strip(m.dialog.View()), "hq-cv-zzzzz") || !strings.Contains(ansi.Strip(m.dialog.View()), "hq-cv-abcde") {
		t.Error("picker offers a landed convoy")
	}
	hs.key("enter")
	// Convoys panel: expand, remove the tracked bead under the cursor,
	// rename, close (confirm), new.
	hs.key("c")
	if m.focus != focusConvoys {
		t.Fatalf("c: focus %v", m.focus)
	}
	hs.key("enter", "j", "d")
	hs.key("k", "R", "ctrl+u")
	hs.typeText("Renamed")
	hs.key("enter")
	hs.key("X")
	if m.dialog == nil || !strings.Contains(ansi.Strip(hs.screen()), "Close convoy 🚚 hq-cv-abcde (Demo convoy)?") {
		t.Fatalf("X confirm missing:\n%s", ansi.Strip(hs.screen()))
	}
	hs.key("y")
	hs.key("N")
	hs.typeText("Empty one")
	hs.key("enter")
	hs.key("A", "down", "enter")
	want := []string{
		"create Work: Add a greeting [dm-aaaaa]",
		"add hq-cv-abcde [dm-aaaaa]",
		"remove hq-cv-abcde [dm-aaaaa]",
		"rename hq-cv-abcde Renamed",
		"close hq-cv-abcde",
		"create Empty one []",
		"add hq-cv-abcde [dm-bbbbb]", // the one bead it does not track yet
	}
	if got := hs.town.callList(); !slices.Equal(got, want) {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestNewBeadDialog(t *testing.T) {
	hs := newHarness(t, 120, 40)
	hs.key("n")
	// Empty title is refused in the dialog.
	hs.key("enter")
	if hs.m.dialog == nil || !strings.Contains(ansi.Strip(hs.screen()), "title is required") {
		t.Fatal("empty title accepted")
	}
	hs.typeText("Add retry")
	hs.key("tab", "left", "tab", "left", "tab", "tab")
	hs.typeText("Uploads fail")
	hs.key("enter")
	if len(hs.town.beads) != 1 {
		t.Fatalf("beads = %+v", hs.town.beads)
	}
	b := hs.town.beads[0]
	if b.Title != "Add retry" || b.Type != models.TypeFeature || b.Priority != 1 || b.Prefix != "dm" || b.Description != "Uploads fail" {
		t.Fatalf("bead = %+v", b)
	}
	if hs.m.notice != "✓ Created issue: dm-new" {
		t.Fatalf("notice %q", hs.m.notice)
	}
}

func TestWaitingNotification(t *testing.T) {
	_, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.m.cfg.Bell = true
	waiting := polecatAgent("nux", pt, models.StateWaiting)
	waiting.Reason = "question: Allow demo agent to commit? [y/n]"
	hs.host.setAgents(agents[0], waiting)
	_, cmd := hs.m.Update(hostUpdateMsg{town.HostUpdate{Kind: town.UpdateState}})
	// The state update refreshes the agents; that raises the notice and
	// returns the bell.
	hs.run(cmd)
	if !hs.m.attention["demo/polecats/nux"] {
		t.Fatal("no attention mark")
	}
	scr := ansi.Strip(hs.screen())
	if !strings.Contains(scr, "demo/nux · demo · ◐ waiting — needs you") {
		t.Errorf("pane title lacks waiting:\n%s", scr)
	}
	if !strings.Contains(scr, "◐ demo/nux is waiting") || !strings.Contains(scr, "◐ 1 waiting") {
		t.Errorf("status bar lacks waiting:\n%s", scr)
	}
	_, cmd = hs.m.Update(agentsMsg{hs.host.Agents()})
	if cmd != nil {
		if msg := runSync(cmd); containsRaw(msg, "\a") {
			t.Error("bell rang twice for one waiting episode")
		}
	}
	// Focusing the pane acknowledges.
	hs.key("2")
	if hs.m.attention["demo/polecats/nux"] || strings.Contains(ansi.Strip(hs.screen()), "needs you") {
		t.Fatal("focus did not acknowledge")
	}
	// Answer through the pane.
	hs.key("y", "enter")
	if pt.typed() != "y<enter>" {
		t.Fatalf("typed %q", pt.typed())
	}
}

func runSync(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case m := <-done:
		return m
	case <-time.After(cmdDeadline):
		return nil
	}
}

func containsRaw(msg tea.Msg, s string) bool {
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if c != nil && containsRaw(runSync(c), s) {
				return true
			}
		}
		return false
	}
	r, ok := msg.(tea.RawMsg)
	return ok && r.Msg == s
}

func TestBellOnWaiting(t *testing.T) {
	_, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.m.cfg.Bell = true
	w := polecatAgent("nux", pt, models.StateWaiting)
	_, cmd := hs.m.Update(agentsMsg{[]Agent{agents[0], w}})
	if !containsRaw(runSync(cmd), "\a") {
		t.Fatal("no bell when an agent started waiting")
	}
	hs.m.cfg.Bell = false
	hs.m.Update(agentsMsg{agents})
	_, cmd = hs.m.Update(agentsMsg{[]Agent{agents[0], w}})
	if containsRaw(runSync(cmd), "\a") {
		t.Fatal("bell rang with tui.bell off")
	}
}

// TestFrameGating: pane-output notices mark panes dirty; one frame (at most
// MaxFPS a second) repaints only the dirty panes.
func TestFrameGating(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	m := hs.m
	before := m.renders
	var armed int
	for i := 0; i < 10; i++ {
		_, _ = pt.Terminal.Write([]byte("x"))
		pt.Terminal.Flush()
		_, cmd := m.Update(hostUpdateMsg{town.HostUpdate{Kind: town.UpdatePaneOutput, Agent: "demo/polecats/nux"}})
		if cmd != nil && m.frameArmed {
			armed++
		}
	}
	if m.renders != before {
		t.Fatalf("rendered %d times before the frame", m.renders-before)
	}
	if !m.frameArmed || len(m.dirty) != 1 {
		t.Fatalf("frameArmed=%v dirty=%v", m.frameArmed, m.dirty)
	}
	hs.send(frameMsg{})
	if got := m.renders - before; got != 1 {
		t.Fatalf("frame rendered %d panes, want 1 (only the dirty one)", got)
	}
	if !strings.Contains(ansi.Strip(strings.Join(m.rendered["demo/polecats/nux"], "\n")), "demo> xxxxxxxxxx") {
		t.Fatal("polecat pane not repainted with its output")
	}
	_ = mt
	// A frame with nothing dirty renders nothing.
	hs.send(frameMsg{})
	if got := m.renders - before; got != 1 {
		t.Fatalf("idle frame rendered %d", got-1)
	}
}

func TestResizeResizesShownPanes(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	calls := hs.host.callList()
	// 200x50: pane area 140 wide; the Mayor 140x19, the polecat below.
	if !slices.Contains(calls, "resize mayor 138x17") || !slices.Contains(calls, "resize demo/polecats/nux 138x28") {
		t.Fatalf("resize calls %v", calls)
	}
	hs.key("1", "ctrl+space", "z")
	if last := hs.host.callList(); !slices.Contains(last, "resize mayor 138x47") {
		t.Fatalf("zoom did not resize the Mayor: %v", last)
	}
	// Hidden panes keep their size: no resize for the polecat on zoom.
	n := 0
	for _, c := range hs.host.callList() {
		if strings.HasPrefix(c, "resize demo/polecats/nux") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("polecat resized %d times", n)
	}
	// The host is told the size of each pane (for spawning).
	if c, r, ok := hs.m.sizes.PaneSize("mayor"); !ok || c != 138 || r != 47 {
		t.Fatalf("PaneSize(mayor) = %d %d %v", c, r, ok)
	}
}

func TestQuitConfirm(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.key("q")
	scr := ansi.Strip(hs.screen())
	if !strings.Contains(scr, "2 agents running. Quit and stop them?") || !strings.Contains(scr, "resumes the next time") {
		t.Fatalf("quit confirm:\n%s", scr)
	}
	hs.key("n")
	if hs.quit || hs.m.dialog != nil {
		t.Fatal("n did not cancel")
	}
	hs.key("q", "y")
	if !hs.quit {
		t.Fatal("y did not quit")
	}
	// Without live sessions q quits at once.
	hs2 := newHarness(t, 100, 30)
	hs2.key("q")
	if !hs2.quit {
		t.Fatal("q with no sessions did not quit")
	}
}

func TestAgentOpsAndMayor(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents[1])
	hs.key("1", "ctrl+space", "r")
	if hs.m.dialog == nil {
		t.Fatal("r did not ask")
	}
	hs.key("y", "ctrl+space", "x", "y")
	calls := hs.host.callList()
	if !slices.Contains(calls, "restart demo/polecats/nux") || !slices.Contains(calls, "stop demo/polecats/nux") {
		t.Fatalf("host calls %v", calls)
	}
	// m marks the Mayor wanted; its pane gets focus when it appears.
	hs.key("ctrl+space", "m")
	if !slices.Contains(hs.town.callList(), "want mayor") {
		t.Fatalf("town calls %v", hs.town.callList())
	}
	hs.host.setAgents(agents...)
	hs.send(agentsMsg{hs.host.Agents()})
	if hs.m.focusAddr != "mayor" {
		t.Fatalf("mayor not focused: %q", hs.m.focusAddr)
	}
	// Problems view: n nudges the selected agent with "continue".
	stalled := polecatAgent("nux", agents[1].Term, models.StateStalled)
	hs.host.setAgents(agents[0], stalled)
	hs.send(agentsMsg{hs.host.Agents()})
	hs.key("ctrl+space", "p", "n")
	if !slices.Contains(hs.town.callList(), "nudge demo/polecats/nux continue") {
		t.Fatalf("nudge not sent: %v", hs.town.callList())
	}
	hs.key("enter")
	if hs.m.focusAddr != "demo/polecats/nux" || hs.m.focus != focusPane {
		t.Fatal("enter in problems did not focus the agent")
	}
}

func TestCopyMode(t *testing.T) {
	mt := newFakeTerm(60, 10, "")
	for i := 0; i < 30; i++ {
		_, _ = mt.Terminal.Write([]byte("row " + string(rune('a'+i%26)) + "\r\n"))
	}
	hs := newHarness(t, 100, 30, mayorAgent(mt))
	hs.key("1", "ctrl+space", "[")
	if !hs.m.panes[0].view.InCopyMode() {
		t.Fatal("not in copy mode")
	}
	hs.key("/")
	hs.typeText("row c")
	hs.key("enter", "v", "j", "y")
	var got string
	// y produced the OSC 52 clipboard command and left copy mode.
	if hs.m.panes[0].view.InCopyMode() {
		t.Fatal("still in copy mode after y")
	}
	if !strings.Contains(hs.m.notice, "Copied") {
		t.Fatalf("notice %q", hs.m.notice)
	}
	got = hs.m.notice
	if got != "✓ Copied 11 characters" {
		t.Fatalf("copied %q", got)
	}
	if mt.typed() != "" {
		t.Fatalf("copy mode keys leaked to the pane: %q", mt.typed())
	}
}

func TestTinyWindowsNeverPanic(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	for _, sz := range [][2]int{{1, 1}, {0, 0}, {19, 4}, {20, 5}, {39, 9}, {40, 10}, {2, 30}, {300, 2}, {99, 12}} {
		hs.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
		out := hs.screen()
		for _, l := range strings.Split(out, "\n") {
			if w := ansi.StringWidth(l); w > sz[0] {
				t.Fatalf("%dx%d: line %d wide: %q", sz[0], sz[1], w, l)
			}
		}
		if sz[0] >= 20 && sz[1] >= 5 {
			if n := len(strings.Split(out, "\n")); n != sz[1] {
				t.Fatalf("%dx%d: %d lines", sz[0], sz[1], n)
			}
		}
	}
	hs.send(tea.WindowSizeMsg{Width: 19, Height: 4})
	if got := hs.screen(); got != "terminal too small…" {
		// 19 cells cut the message.
		if !strings.HasPrefix(got, "terminal too small") {
			t.Fatalf("19x4: %q", got)
		}
	}
	hs.send(tea.WindowSizeMsg{Width: 60, Height: 5})
	if !strings.Contains(hs.screen(), "terminal too small") && hs.m.lay.Mode != modeSingle {
		t.Fatal("60x5 not single")
	}
}

// TestProblemsStartsAtTheTop: opening Problems puts the cursor on the most
// urgent agent even when the view's cursor followed another agent before.
func TestProblemsStartsAtTheTop(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.key("p", "p") // open and close: the cursor sits on the Mayor (first ok row)
	w := polecatAgent("nux", pt, models.StateWaiting)
	hs.host.setAgents(mayorAgent(mt), w)
	hs.send(agentsMsg{hs.host.Agents()})
	hs.key("b", "p", "enter")
	if hs.m.focus != focusPane || hs.m.focusAddr != "demo/polecats/nux" {
		t.Fatalf("enter focused %v %q, want the waiting polecat", hs.m.focus, hs.m.focusAddr)
	}
}

// TestNarrowPanels: below 100 columns there is no side column; c/b/f show
// that panel over the pane area until esc.
func TestNarrowPanels(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 80, 30, agents...)
	if hs.m.lay.Side {
		t.Fatal("side column at 80 columns")
	}
	hs.key("1", "ctrl+space", "c")
	scr := ansi.Strip(hs.screen())
	if !hs.m.showPanel || !strings.Contains(scr, "┌ Convoys") || strings.Contains(scr, "┌ mayor") {
		t.Fatalf("c did not show Convoys over the panes:\n%s", scr)
	}
	hs.key("b")
	if scr := ansi.Strip(hs.screen()); !strings.Contains(scr, "┌ Beads [ready]") {
		t.Fatalf("b:\n%s", scr)
	}
	hs.key("esc")
	scr = ansi.Strip(hs.screen())
	if hs.m.showPanel || !strings.Contains(scr, "┌ mayor") || hs.m.focus != focusPane {
		t.Fatalf("esc did not return to the panes:\n%s", scr)
	}
}

func TestWelcomeCard(t *testing.T) {
	hs := newHarness(t, 120, 30)
	scr := ansi.Strip(hs.screen())
	for _, want := range []string{"Welcome to Gas Town", "ctrl+space m  start the Mayor", "s             sling"} {
		if !strings.Contains(scr, want) {
			t.Errorf("welcome lacks %q:\n%s", want, scr)
		}
	}
}

func TestMayorKeyRestartsAnExitedMayor(t *testing.T) {
	mt, pt, _ := twoAgents()
	mayor := mayorAgent(mt)
	mayor.Exited, mayor.State, mayor.ExitCode = true, models.StateExited, 1
	hs := newHarness(t, 200, 50, mayor, polecatAgent("nux", pt, models.StateWorking))
	hs.key("m")
	if !slices.Contains(hs.host.callList(), "start mayor") || !slices.Contains(hs.town.callList(), "want mayor") {
		t.Fatalf("host %v town %v", hs.host.callList(), hs.town.callList())
	}
	if hs.m.focusAddr != "mayor" {
		t.Fatalf("focus %q", hs.m.focusAddr)
	}
}

func TestTabsClickAndToggle(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.key("1", "ctrl+space", "t")
	if !hs.m.lay.Tabs {
		t.Fatal("t did not switch to tabs")
	}
	bar := ansi.Strip(strings.Split(hs.screen(), "\n")[0])
	x := strings.Index(bar, "2 demo/nux")
	if x < 0 {
		t.Fatalf("tab bar %q", bar)
	}
	hs.send(tea.MouseClickMsg{X: ansi.StringWidth(bar[:x]), Y: 0, Button: tea.MouseLeft})
	if hs.m.focusAddr != "demo/polecats/nux" || hs.m.lay.Panes[1].Empty() || !hs.m.lay.Panes[0].Empty() {
		t.Fatalf("tab click: focus %q panes %v", hs.m.focusAddr, hs.m.lay.Panes)
	}
	hs.key("ctrl+space", "t")
	if hs.m.lay.Tabs {
		t.Fatal("t did not switch back to the grid")
	}
}

// TestAgentRefreshRepaintsOnlyChangedPanes: the periodic agents refresh
// repaints nothing when nothing changed, and only the pane whose state
// changed otherwise (at the next frame).
func TestAgentRefreshRepaintsOnlyChangedPanes(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	before := hs.m.renders
	hs.send(agentsMsg{agents})
	hs.send(refreshMsg{})
	if got := hs.m.renders - before; got != 0 {
		t.Fatalf("unchanged refresh rendered %d panes", got)
	}
	hs.send(agentsMsg{[]Agent{mayorAgent(mt), polecatAgent("nux", pt, models.StateStalled)}})
	if got := hs.m.renders - before; got != 1 {
		t.Fatalf("one changed state rendered %d panes", got)
	}
	if !strings.Contains(ansi.Strip(hs.screen()), "demo/nux · demo · ⚠ stalled") {
		t.Fatal("stalled state not shown")
	}
}

// TestHostFocusRequest: gt mayor attach against a running TUI asks the
// host to focus and zoom the Mayor, even before its pane exists.
func TestHostFocusRequest(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents[1])
	hs.send(hostUpdateMsg{town.HostUpdate{Kind: town.UpdateFocus, Agent: "mayor", Zoom: true}})
	if hs.m.focus == focusPane && hs.m.focusAddr == "mayor" {
		t.Fatal("focused a pane that does not exist")
	}
	hs.host.setAgents(mayorAgent(mt), polecatAgent("nux", pt, models.StateWorking))
	hs.send(agentsMsg{hs.host.Agents()})
	if hs.m.focusAddr != "mayor" || !hs.m.zoom {
		t.Fatalf("focus %q zoom %v", hs.m.focusAddr, hs.m.zoom)
	}
	if r := hs.m.lay.Panes[hs.m.paneIndex("mayor")]; r != hs.m.lay.Main {
		t.Fatalf("mayor not zoomed: %+v vs %+v", r, hs.m.lay.Main)
	}
}

// TestFocusEvents: panes hear focus in/out as focus moves, and when the
// outer terminal gains or loses focus.
func TestFocusEvents(t *testing.T) {
	mt, pt, agents := twoAgents()
	hs := newHarness(t, 200, 50, agents...)
	hs.key("1")
	hs.key("ctrl+space", "2")
	hs.send(tea.BlurMsg{})
	hs.send(tea.FocusMsg{})
	if fmt.Sprint(mt.focus) != "[true false]" || fmt.Sprint(pt.focus) != "[true false true]" {
		t.Fatalf("mayor %v polecat %v", mt.focus, pt.focus)
	}
}
