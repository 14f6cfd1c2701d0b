package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// fakeFeed is a FeedSource with canned data that records the actions
// asked of it.
type fakeFeed struct {
	mu      sync.Mutex
	snap    town.FeedSnapshot
	batches [][]town.FeedEvent
	actions []string
	failOn  string
}

func (f *fakeFeed) Load(context.Context, time.Time) (town.FeedSnapshot, error) { return f.snap, nil }

func (f *fakeFeed) Poll() ([]town.FeedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.batches) == 0 {
		return nil, nil
	}
	b := f.batches[0]
	f.batches = f.batches[1:]
	return b, nil
}

func (f *fakeFeed) act(what, addr string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.actions = append(f.actions, what+" "+addr)
	if what == f.failOn {
		return "", errors.New(what + " failed")
	}
	return "✓ " + what + " " + addr, nil
}

func (f *fakeFeed) Nudge(_ context.Context, a string) (string, error)   { return f.act("nudge", a) }
func (f *fakeFeed) Focus(_ context.Context, a string) (string, error)   { return f.act("focus", a) }
func (f *fakeFeed) Restart(_ context.Context, a string) (string, error) { return f.act("restart", a) }

func secs(n int64) *int64 { return &n }

func feedRows() []town.AgentRow {
	return []town.AgentRow{
		{Address: "mayor", Role: "mayor", Name: "mayor", State: "working", Hook: "hq-x7k2m", IdleSeconds: secs(12)},
		{Address: "myproject/crew/joe", Role: "crew", Rig: "myproject", Name: "joe", State: "idle", IdleSeconds: secs(7200)},
		{Address: "myproject/polecats/furiosa", Role: "polecat", Rig: "myproject", Name: "furiosa", State: "waiting",
			Hook: "mp-7q2xw", IdleSeconds: secs(5), Reason: "question on screen", NeedsAttention: true},
		{Address: "myproject/polecats/nux", Role: "polecat", Rig: "myproject", Name: "nux", State: "stalled",
			Hook: "mp-k3v9a", IdleSeconds: secs(960), Reason: "Stalled: no progress for 16m", NeedsAttention: true},
		{Address: "myproject/polecats/slit", Role: "polecat", Rig: "myproject", Name: "slit", State: "exited",
			IdleSeconds: secs(60), Reason: "exited with code 1", NeedsAttention: true},
	}
}

func sampleFeedEvents() []town.FeedEvent {
	at := func(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, time.Local) }
	mk := func(ts time.Time, typ, actor string, payload map[string]any) town.FeedEvent {
		raw, _ := json.Marshal(payload)
		return town.DescribeEvent(models.Event{TS: ts, Source: "gt", Type: typ, Actor: actor, Payload: raw, Visibility: models.VisibilityBoth})
	}
	return []town.FeedEvent{
		mk(at(10, 15, 4), "bead_created", "mayor", map[string]any{"bead": "mp-k3v9a", "title": "Add retry to upload client"}),
		mk(at(10, 15, 10), "sling", "mayor", map[string]any{"bead": "mp-k3v9a", "target": "myproject/polecats/nux", "convoy": "hq-cv-w3nm6"}),
		mk(at(10, 15, 11), "session_start", "host", map[string]any{"agent": "myproject/polecats/nux", "runtime": "claude", "pid": 4242}),
		mk(at(10, 16, 30), "nudge", "overseer", map[string]any{"to": "myproject/polecats/nux", "message": "continue"}),
		mk(at(10, 20, 12), "merge_started", "myproject/refinery", map[string]any{"mr": "mp-mr001", "branch": "polecat/nux/mp-k3v9a"}),
		mk(at(10, 20, 19), "session_end", "host", map[string]any{"agent": "myproject/polecats/slit", "exit_code": 1}),
	}
}

func newFakeFeed() *fakeFeed {
	return &fakeFeed{
		snap: town.FeedSnapshot{
			Agents: town.AgentsReport{Agents: feedRows(), HostLive: true},
			Convoys: []town.FeedConvoy{
				{ID: "hq-cv-w3nm6", Title: "Feature X", Completed: 1, Total: 2},
				{ID: "hq-cv-aaaaa", Title: "Demo convoy", Landed: true, Completed: 3, Total: 3},
			},
			Queues: []town.MergeQueueLine{{Rig: "myproject", Queued: 2, Merging: "mp-mr001"}},
		},
		batches: [][]town.FeedEvent{sampleFeedEvents()},
	}
}

// runFeedCmd executes cmd and feeds back every message it produces except
// timers (tea.Tick sleeps), to a depth of a few steps.
func runFeedCmd(t *testing.T, m FeedModel, cmd tea.Cmd) FeedModel {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0 && steps < 20; steps++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(50 * time.Millisecond):
			continue // a timer: not followed
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		next, c2 := m.Update(msg)
		m = next.(FeedModel)
		queue = append(queue, c2)
	}
	return m
}

func startFeed(t *testing.T, src *fakeFeed, w, h int, problems bool) FeedModel {
	t.Helper()
	m := NewFeedModel(context.Background(), src, FeedOptions{Problems: problems})
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m = next.(FeedModel)
	return runFeedCmd(t, m, m.Init())
}

func feedKey(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

func press(t *testing.T, m FeedModel, keys ...string) FeedModel {
	t.Helper()
	for _, k := range keys {
		next, cmd := m.Update(feedKey(k))
		m = runFeedCmd(t, next.(FeedModel), cmd)
	}
	return m
}

func screenOfFeed(m FeedModel) string { return ansi.Strip(strings.Join(m.Lines(), "\n")) }

func TestFeedGolden(t *testing.T) {
	sizes := []struct{ w, h int }{{120, 30}, {80, 24}, {40, 12}, {20, 5}, {19, 4}}
	for _, sz := range sizes {
		for _, prob := range []bool{false, true} {
			name := fmt.Sprintf("feed-%dx%d", sz.w, sz.h)
			if prob {
				name = fmt.Sprintf("problems-%dx%d", sz.w, sz.h)
			}
			t.Run(name, func(t *testing.T) {
				m := startFeed(t, newFakeFeed(), sz.w, sz.h, prob)
				lines := m.Lines()
				if len(lines) != sz.h {
					t.Fatalf("%d lines, want %d", len(lines), sz.h)
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w != sz.w {
						t.Fatalf("line %d is %d cells, want %d: %q", i, w, sz.w, ansi.Strip(l))
					}
				}
				golden.RequireEqual(t, screenOfFeed(m))
			})
		}
	}
	t.Run("colour", func(t *testing.T) {
		m := startFeed(t, newFakeFeed(), 100, 16, false)
		golden.RequireEqual(t, strings.Join(m.Lines(), "\n"))
	})
	t.Run("help", func(t *testing.T) {
		m := press(t, startFeed(t, newFakeFeed(), 100, 16, false), "?")
		golden.RequireEqual(t, screenOfFeed(m))
	})
}

func TestFeedHeaderAndViews(t *testing.T) {
	m := startFeed(t, newFakeFeed(), 120, 30, false)
	s := screenOfFeed(m)
	first := strings.SplitN(s, "\n", 2)[0]
	if !strings.HasPrefix(first, "GT Feed") {
		t.Fatalf("header %q", first)
	}
	for _, want := range []string{"Agents", "Convoys", "Events", "✓  hq-cv-aaaaa", "⚙ myproject: 2 queued, merging mp-mr001",
		"10:15:10 🎯 mayor slung mp-k3v9a", "◐  furiosa", "⚠  nux"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	// Events are newest last.
	if strings.Index(s, "10:15:04") > strings.Index(s, "10:20:19") {
		t.Error("events not oldest first")
	}
	// p opens the Problems view with the §9 header.
	m = press(t, m, "p")
	s = screenOfFeed(m)
	if first := strings.SplitN(s, "\n", 2)[0]; !strings.HasPrefix(first, "GT Feed · Problems  3 need attention · 2 ok") {
		t.Fatalf("problems header %q", first)
	}
	if !strings.Contains(s, "Needs attention (3)") || strings.Index(s, "furiosa") > strings.Index(s, "nux") {
		t.Fatalf("problems view (waiting before stalled):\n%s", s)
	}
	m = press(t, m, "p")
	if strings.Contains(screenOfFeed(m), "Needs attention (") {
		t.Fatal("p did not toggle back")
	}
	// No host: the header says so.
	src := newFakeFeed()
	src.snap.Agents.HostLive = false
	m = startFeed(t, src, 120, 30, false)
	if !strings.Contains(strings.SplitN(screenOfFeed(m), "\n", 2)[0], "no gt host running") {
		t.Fatal("no-host header")
	}
}

func TestFeedKeys(t *testing.T) {
	src := newFakeFeed()
	m := startFeed(t, src, 120, 30, false)
	if m.focus != feedAgents || !m.agents.Focused() {
		t.Fatal("agents not focused at start")
	}
	m = press(t, m, "tab")
	if m.focus != feedConvoys || !m.convoys.Focused() || m.agents.Focused() {
		t.Fatal("tab")
	}
	m = press(t, m, "tab", "tab")
	if m.focus != feedAgents {
		t.Fatalf("tab wraps: %v", m.focus)
	}
	m = press(t, m, "shift+tab")
	if m.focus != feedEvents {
		t.Fatalf("shift+tab: %v", m.focus)
	}
	m = press(t, m, "2")
	if m.focus != feedConvoys {
		t.Fatal("2")
	}
	m = press(t, m, "3")
	if m.focus != feedEvents {
		t.Fatal("3")
	}
	// n outside the Agents panel says how to pick an agent.
	m = press(t, m, "n")
	if len(src.actions) != 0 || !strings.Contains(screenOfFeed(m), "Pick an agent first") {
		t.Fatalf("n on events: %v", src.actions)
	}
	// j/k/g/G reach the events panel: k pauses following.
	m = press(t, m, "k")
	if m.events.Following() {
		t.Fatal("k did not pause the events")
	}
	m = press(t, m, "G")
	if !m.events.Following() {
		t.Fatal("G did not follow")
	}
	// n and enter act on the agent under the Agents cursor.
	m = press(t, m, "1", "j", "j", "j", "n")
	if got := src.actions; len(got) != 1 || got[0] != "nudge myproject/polecats/nux" {
		t.Fatalf("actions %v", got)
	}
	if !strings.Contains(screenOfFeed(m), "✓ nudge myproject/polecats/nux") {
		t.Fatal("nudge notice not shown")
	}
	m = press(t, m, "enter")
	if got := src.actions[len(src.actions)-1]; got != "focus myproject/polecats/nux" {
		t.Fatalf("enter: %v", got)
	}
	// A failing action shows an error notice.
	src.failOn = "focus"
	m = press(t, m, "enter")
	if !strings.Contains(screenOfFeed(m), "✗ focus failed") {
		t.Fatal("error notice missing")
	}
	// In Problems: the first row is the waiting agent; r restarts only
	// exited/zombie agents.
	m = press(t, m, "p", "n")
	if got := src.actions[len(src.actions)-1]; got != "nudge myproject/polecats/furiosa" {
		t.Fatalf("problems n: %v", got)
	}
	n := len(src.actions)
	m = press(t, m, "r")
	if len(src.actions) != n {
		t.Fatalf("r restarted a waiting agent: %v", src.actions)
	}
	m = press(t, m, "j", "j", "r")
	if got := src.actions[len(src.actions)-1]; got != "restart myproject/polecats/slit" {
		t.Fatalf("problems r: %v", src.actions)
	}
	// / searches the events (from anywhere), typing q does not quit.
	m = press(t, m, "/", "q", "enter")
	if m.probMode || m.focus != feedEvents || m.events.Query() != "q" {
		t.Fatalf("search: prob=%v focus=%v query=%q", m.probMode, m.focus, m.events.Query())
	}
	m = press(t, m, "esc")
	// ? opens help; any key closes it.
	m = press(t, m, "?")
	if !strings.Contains(screenOfFeed(m), "any key closes this help") {
		t.Fatal("help not shown")
	}
	m = press(t, m, "x")
	if m.help {
		t.Fatal("help not closed")
	}
	// q quits.
	_, cmd := m.Update(feedKey("q"))
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
}

func TestFeedNewEventsAppear(t *testing.T) {
	src := newFakeFeed()
	m := startFeed(t, src, 120, 30, false)
	ev := town.DescribeEvent(models.Event{TS: time.Now(), Type: "mail", Actor: "mayor", Visibility: models.VisibilityFeed,
		Payload: json.RawMessage(`{"to":"overseer","subject":"Status"}`)})
	src.mu.Lock()
	src.batches = append(src.batches, []town.FeedEvent{ev})
	src.mu.Unlock()
	next, cmd := m.Update(feedPollMsg{})
	m = runFeedCmd(t, next.(FeedModel), cmd)
	if !strings.Contains(screenOfFeed(m), "✉ mayor mail to overseer: Status") {
		t.Fatalf("new event not shown:\n%s", screenOfFeed(m))
	}
}

func TestFeedLayoutTable(t *testing.T) {
	inside := func(r feedRect, w, h int) bool {
		return r.W == 0 || (r.X >= 0 && r.Y >= 1 && r.X+r.W <= w && r.Y+r.H <= h-1)
	}
	overlap := func(a, b feedRect) bool {
		if a.W == 0 || b.W == 0 || a.H == 0 || b.H == 0 {
			return false
		}
		return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
	}
	for _, c := range []struct {
		w, h         int
		single, tiny bool
	}{
		{200, 60, false, false}, {120, 30, false, false}, {100, 12, false, false}, {80, 24, false, false},
		{80, 15, true, false}, {40, 12, true, false}, {20, 5, true, false}, {19, 5, false, true}, {20, 4, false, true}, {0, 0, false, true},
	} {
		for f := feedAgents; f < feedPanelCount; f++ {
			l := feedLayout(c.w, c.h, f, false)
			if l.TooSmall != c.tiny || (!c.tiny && l.Single != c.single) {
				t.Fatalf("%dx%d: single=%v tiny=%v", c.w, c.h, l.Single, l.TooSmall)
			}
			if c.tiny {
				continue
			}
			rs := []feedRect{l.Agents, l.Convoys, l.Events}
			area := 0
			for i, r := range rs {
				if !inside(r, c.w, c.h) {
					t.Fatalf("%dx%d: rect %d %+v outside", c.w, c.h, i, r)
				}
				for j := i + 1; j < len(rs); j++ {
					if overlap(r, rs[j]) {
						t.Fatalf("%dx%d: rects %d and %d overlap", c.w, c.h, i, j)
					}
				}
				area += r.W * r.H
			}
			if area != c.w*(c.h-2) {
				t.Fatalf("%dx%d: panels cover %d cells of %d", c.w, c.h, area, c.w*(c.h-2))
			}
			if c.single && rs[f].W == 0 {
				t.Fatalf("%dx%d: focused panel %d hidden", c.w, c.h, f)
			}
			if p := feedLayout(c.w, c.h, f, true).Problems; p != (feedRect{0, 1, c.w, c.h - 2}) {
				t.Fatalf("problems rect %+v", p)
			}
		}
	}
}

// TestTownFeed drives the real FeedSource over an installed town with no
// host: preload and filters, merge tracking, nudges queued, focus notice.
func TestTownFeed(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	base, err := os.MkdirTemp("", "gtf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	ctx := context.Background()
	res, err := town.Install(ctx, town.InstallOptions{Path: filepath.Join(base, "t"), Getenv: func(k string) string {
		return map[string]string{"HOME": home, "USER": "ann"}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	tw := res.Town
	for i := range 250 {
		if err := eventlog.Emit(tw.Root, "gt", "mail", "mayor", map[string]any{"to": "overseer", "subject": fmt.Sprint("m", i)}, models.VisibilityFeed); err != nil {
			t.Fatal(err)
		}
	}
	_ = eventlog.Emit(tw.Root, "host", "merge_started", "x/refinery", map[string]any{"mr": "mp-mr9"}, models.VisibilityBoth)
	_ = eventlog.Emit(tw.Root, "gt", "audit_only", "mayor", nil, models.VisibilityAudit)

	f := NewTownFeed(tw, town.FeedFilter{Types: []string{"mail"}}, 0)
	evs, err := f.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != town.FeedPreload || evs[0].Summary != "mail to overseer: m50" || evs[len(evs)-1].Summary != "mail to overseer: m249" {
		t.Fatalf("preload: %d events, first %q", len(evs), evs[0].Summary)
	}
	if got := town.MergingMRs(f.merges); len(got) != 1 || got[0] != "mp-mr9" {
		t.Fatalf("merges tracked despite --type: %v", got)
	}
	_ = eventlog.Emit(tw.Root, "gt", "mail", "mayor", map[string]any{"to": "overseer", "subject": "late"}, models.VisibilityFeed)
	evs, _ = f.Poll()
	if len(evs) != 1 || evs[0].Summary != "mail to overseer: late" {
		t.Fatalf("follow: %v", evs)
	}
	snap, err := f.Load(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Agents.HostLive || len(snap.Agents.Agents) == 0 || snap.Agents.Agents[0].Address != "mayor" {
		t.Fatalf("snapshot agents: %+v", snap.Agents)
	}
	msg, err := f.Nudge(ctx, "mayor")
	if err != nil || msg != "✓ Queued nudge for mayor" {
		t.Fatalf("nudge: %q %v", msg, err)
	}
	if q, _ := town.PendingNudges(tw.Root, models.MayorAddress, time.Now()); len(q) != 1 || q[0].Text != "[from overseer] continue" {
		t.Fatalf("queued nudge: %+v", q)
	}
	msg, err = f.Focus(ctx, "mayor")
	if err != nil || msg != "No gt host running: run gt to see mayor" {
		t.Fatalf("focus: %q %v", msg, err)
	}
}
