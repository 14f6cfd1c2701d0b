package feed

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func newModel() Model {
	st := styles.Default()
	return New(common.New(&st))
}

func sampleEvents() []Event {
	return []Event{
		{Clock: "10:15:04", Symbol: "+", Actor: "mayor", Type: "bead_created", Summary: "created mp-k3v9a: Add retry to upload client"},
		{Clock: "10:15:09", Symbol: "🚚", Actor: "mayor", Type: "convoy_created", Summary: "convoy hq-cv-w3nm6 created: Feature X"},
		{Clock: "10:15:10", Symbol: "🎯", Actor: "mayor", Type: "sling", Summary: "slung mp-k3v9a → myproject/polecats/nux (convoy hq-cv-w3nm6)"},
		{Clock: "10:15:11", Symbol: "▶", Actor: "host", Type: "session_start", Summary: "myproject/polecats/nux started (claude, pid 4242)"},
		{Clock: "10:16:30", Symbol: "⚡", Actor: "overseer", Type: "nudge", Summary: "nudged myproject/polecats/nux: continue"},
		{Clock: "10:20:11", Symbol: "✓", Actor: "myproject/polecats/nux", Type: "done", Summary: "done mp-k3v9a (COMPLETED), MR mp-mr001"},
		{Clock: "10:20:12", Symbol: "⚙", Actor: "myproject/refinery", Type: "merge_started", Summary: "merging mp-mr001 (polecat/nux/mp-k3v9a@m1)"},
		{Clock: "10:20:19", Symbol: "✗", Actor: "host", Type: "session_end", Summary: "myproject/polecats/nux exited (code 1)"},
	}
}

func shape(t *testing.T, lines []string, w, h int) {
	t.Helper()
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) != w {
			t.Fatalf("line %d: %d cells, want %d: %q", i, ansi.StringWidth(l), w, ansi.Strip(l))
		}
	}
}

func kp(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

func TestEventsGolden(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 10}, {40, 12}, {20, 5}, {1, 1}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newModel()
			m.SetSize(sz.w, sz.h)
			m.SetEvents(sampleEvents())
			shape(t, m.Lines(), sz.w, sz.h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
	}
	t.Run("paused-search", func(t *testing.T) {
		m := newModel()
		m.Focus()
		m.SetSize(70, 6)
		m.SetEvents(sampleEvents())
		for _, k := range []string{"/", "n", "u", "x", "enter", "k"} {
			m, _ = m.Update(kp(k))
		}
		golden.RequireEqual(t, ansi.Strip(m.View()))
	})
	t.Run("empty", func(t *testing.T) {
		m := newModel()
		m.SetSize(30, 4)
		golden.RequireEqual(t, ansi.Strip(m.View()))
	})
	t.Run("colour", func(t *testing.T) {
		m := newModel()
		m.SetSize(70, 5)
		m.SetEvents(sampleEvents()[:3])
		golden.RequireEqual(t, m.View())
	})
}

func TestEventsFollowAndPause(t *testing.T) {
	m := newModel()
	m.Focus()
	m.SetSize(60, 5) // 3 rows inside
	m.SetEvents(sampleEvents()[:4])
	last := func() string {
		ls := m.Lines()
		return ansi.Strip(ls[len(ls)-2])
	}
	if !m.Following() || !strings.Contains(last(), "started") {
		t.Fatalf("not following the tail: %q", last())
	}
	m.Append(sampleEvents()[4])
	if !strings.Contains(last(), "nudged") {
		t.Fatalf("new event not shown at the bottom: %q", last())
	}
	// Moving up pauses; new events then do not scroll the view.
	m, _ = m.Update(kp("k"))
	if m.Following() {
		t.Fatal("k did not pause")
	}
	before := m.View()
	cur, _ := m.Current()
	m.Append(sampleEvents()[5])
	if m.View() != before {
		t.Fatal("paused view scrolled")
	}
	if c, _ := m.Current(); c != cur {
		t.Fatalf("cursor moved to %v", c)
	}
	// G follows again and shows the newest.
	m, _ = m.Update(kp("G"))
	if !m.Following() || !strings.Contains(last(), "done mp-k3v9a") {
		t.Fatalf("G: following=%v %q", m.Following(), last())
	}
	m, _ = m.Update(kp("g"))
	if c, _ := m.Current(); c.Type != "bead_created" || m.Following() {
		t.Fatalf("g: %v", c)
	}
	// The panel keeps at most max events, dropping the oldest.
	m.SetMax(3)
	if n := len(m.Events()); n != 3 || m.Events()[0].Type != "session_start" {
		t.Fatalf("trim: %d %v", n, m.Events())
	}
}

func TestEventsSearch(t *testing.T) {
	m := newModel()
	m.Focus()
	m.SetSize(80, 12)
	m.SetEvents(sampleEvents())
	m, _ = m.Update(kp("/"))
	if !m.Searching() {
		t.Fatal("/ did not start a search")
	}
	for _, k := range []string{"N", "U", "X", "x", "backspace"} {
		m, _ = m.Update(kp(k))
	}
	if m.Query() != "NUX" {
		t.Fatalf("query %q", m.Query())
	}
	// Search is case-insensitive over the line and the event type.
	if n := len(m.Visible()); n != 6 {
		t.Fatalf("%d matches for nux: %v", n, m.Visible())
	}
	m, _ = m.Update(kp("enter"))
	if m.Searching() || m.Query() != "NUX" {
		t.Fatal("enter did not keep the search")
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "/NUX (6)") || strings.Contains(v, "convoy hq-cv-w3nm6 created") {
		t.Fatalf("search view:\n%s", v)
	}
	m, _ = m.Update(kp("esc"))
	if m.Query() != "" || len(m.Visible()) != 8 {
		t.Fatal("esc did not clear the search")
	}
	m, _ = m.Update(kp("/"))
	m, _ = m.Update(kp("zzz"[:1]))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "No event matches.") {
		t.Fatalf("no-match view:\n%s", v)
	}
	m, _ = m.Update(kp("esc"))
	if m.Searching() || m.Query() != "" {
		t.Fatal("esc while typing did not cancel")
	}
}

func TestConvoysPanelGolden(t *testing.T) {
	st := styles.Default()
	data := []Convoy{
		{ID: "hq-cv-w3nm6", Title: "Feature X", Completed: 1, Total: 2},
		{ID: "hq-cv-k3x7q", Title: "Work: Fix the flaky upload test in CI", Completed: 0, Total: 1},
		{ID: "hq-cv-aaaaa", Title: "Demo convoy", Landed: true, Completed: 3, Total: 3},
	}
	queues := []string{"⚙ alpha: 0 queued", "⚙ myproject: 2 queued, merging mp-mr001"}
	for _, sz := range []struct{ w, h int }{{60, 8}, {40, 12}, {20, 5}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := NewConvoys(common.New(&st))
			m.SetSize(sz.w, sz.h)
			m.SetData(data, queues)
			shape(t, m.Lines(), sz.w, sz.h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
	}
	t.Run("scroll", func(t *testing.T) {
		m := NewConvoys(common.New(&st))
		m.SetSize(60, 4)
		m.SetData(data, queues)
		m, _ = m.Update(kp("G"))
		v := ansi.Strip(m.View())
		if !strings.Contains(v, "merging mp-mr001") || strings.Contains(v, "Feature X") {
			t.Fatalf("G did not scroll to the end:\n%s", v)
		}
		m, _ = m.Update(kp("g"))
		if v := ansi.Strip(m.View()); !strings.Contains(v, "Feature X") {
			t.Fatalf("g:\n%s", v)
		}
	})
	t.Run("empty", func(t *testing.T) {
		m := NewConvoys(common.New(&st))
		m.SetSize(40, 5)
		m.SetData(nil, []string{"⚙ myproject: 0 queued"})
		golden.RequireEqual(t, ansi.Strip(m.View()))
	})
}
