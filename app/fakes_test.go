package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
)

// fakeTerm is a Terminal backed by a real emulator (no process) that
// records what the TUI sends.
type fakeTerm struct {
	*ptyhost.Terminal
	mu     sync.Mutex
	keys   []ptyhost.Key
	writes []string
	pastes []string
	mouse  []ptyhost.MouseEvent
	focus  []bool
	modes  ptyhost.Modes
}

func newFakeTerm(cols, rows int, text string) *fakeTerm {
	ft := &fakeTerm{Terminal: ptyhost.NewTerminal(cols, rows, ptyhost.TerminalOptions{Scrollback: 100})}
	_, _ = ft.Terminal.Write([]byte(text))
	ft.Terminal.Flush()
	return ft
}

func (f *fakeTerm) Title() string { return f.Terminal.Title() }
func (f *fakeTerm) Size() (int, int) {
	return f.Terminal.Size()
}
func (f *fakeTerm) Modes() ptyhost.Modes { return f.modes }
func (f *fakeTerm) SendKey(k ptyhost.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, k)
	return nil
}

func (f *fakeTerm) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = append(f.writes, string(p))
	return len(p), nil
}

func (f *fakeTerm) Paste(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pastes = append(f.pastes, s)
	return nil
}

func (f *fakeTerm) SendMouse(ev ptyhost.MouseEvent) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mouse = append(f.mouse, ev)
	return true, nil
}

func (f *fakeTerm) SendFocus(in bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.focus = append(f.focus, in)
	return nil
}

// typed returns the keys received as text (runes) and <names>.
func (f *fakeTerm) typed() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var sb strings.Builder
	for _, k := range f.keys {
		if k.Code == ptyhost.KeyRune && k.Mod == 0 {
			sb.WriteRune(k.Rune)
			continue
		}
		sb.WriteString("<" + k.Code.String())
		if k.Mod != 0 {
			fmt.Fprintf(&sb, "+%d", k.Mod)
		}
		sb.WriteString(">")
	}
	return sb.String()
}

// fakeHost is a Host with scripted agents that records calls.
type fakeHost struct {
	mu      sync.Mutex
	agents  []Agent
	updates chan town.HostUpdate
	calls   []string
}

func newFakeHost(agents ...Agent) *fakeHost {
	return &fakeHost{agents: agents, updates: make(chan town.HostUpdate, 16)}
}

func (h *fakeHost) Agents() []Agent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Agent(nil), h.agents...)
}

func (h *fakeHost) setAgents(a ...Agent) {
	h.mu.Lock()
	h.agents = a
	h.mu.Unlock()
}

func (h *fakeHost) Updates() <-chan town.HostUpdate { return h.updates }
func (h *fakeHost) Poke()                           { h.record("poke") }
func (h *fakeHost) record(s string) {
	h.mu.Lock()
	h.calls = append(h.calls, s)
	h.mu.Unlock()
}

func (h *fakeHost) callList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

// Resize records the call and resizes the fake terminal, as the host
// resizes the PTY and emulator.
func (h *fakeHost) Resize(addr string, c, r int) error {
	h.record(fmt.Sprintf("resize %s %dx%d", addr, c, r))
	for _, a := range h.Agents() {
		if ft, ok := a.Term.(*fakeTerm); ok && a.Address == addr {
			ft.Terminal.Resize(c, r)
		}
	}
	return nil
}

func (h *fakeHost) StartAgent(_ context.Context, addr, rt string) error {
	h.record("start " + addr)
	return nil
}

func (h *fakeHost) StopAgent(_ context.Context, addr string) error {
	h.record("stop " + addr)
	return nil
}

func (h *fakeHost) RestartAgent(_ context.Context, addr, _ string) error {
	h.record("restart " + addr)
	return nil
}

func (h *fakeHost) Nudge(_ context.Context, addr, text, _ string) error {
	h.record("nudge " + addr + " " + text)
	return nil
}

// fakeTown is a Town over an in-memory snapshot that records calls.
type fakeTown struct {
	mu     sync.Mutex
	snap   Snapshot
	calls  []string
	slings []town.SlingOptions
	beads  []NewBead
}

func (t *fakeTown) record(s string) {
	t.mu.Lock()
	t.calls = append(t.calls, s)
	t.mu.Unlock()
}

func (t *fakeTown) callList() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.calls...)
}

func (t *fakeTown) Load(context.Context) (Snapshot, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snap, nil
}

func (t *fakeTown) Targets(context.Context) ([]Target, error) {
	return []Target{{"demo (new polecat)", "demo"}, {"demo/nux (polecat)", "demo/polecats/nux"}, {"mayor", "mayor"}}, nil
}

func (t *fakeTown) AgentAliases() ([]string, error) { return []string{"demo", "claude", "shell"}, nil }

func (t *fakeTown) Sling(_ context.Context, o town.SlingOptions) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.slings = append(t.slings, o)
	return []string{"🎯 Sling " + o.Args[0] + " → " + o.Args[len(o.Args)-1], "🪝 Hooked"}, nil
}

func (t *fakeTown) CreateConvoy(_ context.Context, name string, ids []string) (string, error) {
	t.record("create " + name + " [" + strings.Join(ids, " ") + "]")
	return "✓ Created convoy 🚚 hq-cv-new", nil
}

func (t *fakeTown) AddToConvoy(_ context.Context, c string, ids []string) (string, error) {
	t.record("add " + c + " [" + strings.Join(ids, " ") + "]")
	return "✓ Convoy 🚚 " + c + " now tracks 1 more issue(s)", nil
}

func (t *fakeTown) RemoveFromConvoy(_ context.Context, c string, ids []string) (string, error) {
	t.record("remove " + c + " [" + strings.Join(ids, " ") + "]")
	return "✓ Removed", nil
}

func (t *fakeTown) RenameConvoy(_ context.Context, c, name string) (string, error) {
	t.record("rename " + c + " " + name)
	return "✓ Renamed", nil
}

func (t *fakeTown) CloseConvoy(_ context.Context, c string) (string, error) {
	t.record("close " + c)
	return "✓ Closed convoy 🚚 " + c, nil
}

func (t *fakeTown) CreateBead(_ context.Context, b NewBead) (string, error) {
	t.mu.Lock()
	t.beads = append(t.beads, b)
	t.mu.Unlock()
	return "✓ Created issue: dm-new", nil
}

func (t *fakeTown) WantMayor(context.Context) error {
	t.record("want mayor")
	return nil
}

func (t *fakeTown) Nudge(_ context.Context, addr, msg string) (string, error) {
	t.record("nudge " + addr + " " + msg)
	return "✓ Nudged " + addr, nil
}

// demoSnapshot is a small town: two ready beads, one hooked, one convoy.
func demoSnapshot() Snapshot {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	return Snapshot{
		TownName: "demo",
		Beads: []models.Bead{
			{ID: "dm-aaaaa", Title: "Add a greeting", Status: models.StatusOpen, Priority: 1, IssueType: models.TypeFeature, CreatedAt: at},
			{ID: "dm-bbbbb", Title: "Fix flaky test", Status: models.StatusOpen, Priority: 2, IssueType: models.TypeBug, CreatedAt: at},
			{ID: "dm-ccccc", Title: "Write docs", Status: models.StatusHooked, Priority: 2, IssueType: models.TypeTask,
				Assignee: "demo/polecats/nux", CreatedAt: at},
		},
		Ready: map[string]bool{"dm-aaaaa": true, "dm-bbbbb": true},
		Convoys: []town.ConvoyView{
			{ID: "hq-cv-abcde", Title: "Demo convoy", Status: models.StatusOpen, Completed: 1, Total: 3,
				Tracked: []town.TrackedIssue{
					{ID: "dm-aaaaa", Title: "Add a greeting", Status: models.StatusOpen},
					{ID: "dm-ccccc", Title: "Write docs", Status: models.StatusHooked},
					{ID: "dm-ddddd", Title: "Old work", Status: models.StatusClosed},
				}},
			{ID: "hq-cv-zzzzz", Title: "Landed one", Status: models.StatusClosed, Completed: 1, Total: 1},
		},
		Unread:   1,
		Prefixes: []string{"dm", "hq"},
	}
}

func mayorAgent(t Terminal) Agent {
	return Agent{Address: "mayor", Role: models.RoleMayor, PaneTitle: "mayor", Runtime: "demo", State: models.StateIdle, Term: t}
}

func polecatAgent(name string, t Terminal, st models.AgentState) Agent {
	return Agent{Address: "demo/polecats/" + name, Role: models.RolePolecat, PaneTitle: "demo/" + name, Runtime: "demo",
		State: st, Hook: "dm-ccccc", Term: t}
}

// harness drives a Model the way bubbletea would: it delivers messages and
// runs the Cmds they return (each with a short deadline, so ticks that are
// not due yet are simply dropped).
type harness struct {
	t    *testing.T
	m    *Model
	host *fakeHost
	town *fakeTown
	quit bool
}

func newHarness(t *testing.T, w, h int, agents ...Agent) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	host := newFakeHost(agents...)
	tw := &fakeTown{snap: demoSnapshot()}
	m := New(ctx, Config{RefreshEvery: time.Hour}, host, tw, nil)
	hs := &harness{t: t, m: m, host: host, town: tw}
	t.Cleanup(func() {
		cancel()
		close(host.updates)
	})
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(tea.Batch(refreshAgentsCmd(host), loadSnapshotCmd(ctx, tw)))
	return hs
}

// cmdDeadline bounds how long one Cmd may take in the harness.
const cmdDeadline = 150 * time.Millisecond

func (hs *harness) send(msg tea.Msg) {
	hs.t.Helper()
	_, cmd := hs.m.Update(msg)
	hs.run(cmd)
}

func (hs *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(cmdDeadline):
		return
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range msg {
			hs.run(c)
		}
	case tea.QuitMsg:
		hs.quit = true
	default:
		if fmt.Sprintf("%T", msg) == "tea.sequenceMsg" {
			return
		}
		hs.send(msg)
	}
}

func (hs *harness) key(keys ...string) {
	hs.t.Helper()
	for _, k := range keys {
		hs.send(keyMsg(k))
	}
}

// typeText sends each rune as a key press.
func (hs *harness) typeText(s string) {
	for _, r := range s {
		hs.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (hs *harness) screen() string { return hs.m.render() }

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "ctrl+space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Mod: tea.ModCtrl}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("keyMsg: unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}
