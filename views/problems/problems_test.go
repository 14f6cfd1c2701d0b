package problems

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func newModel() Model {
	st := styles.Default()
	return New(common.New(&st))
}

// sampleRows is one agent per state, given out of order.
func sampleRows() []Row {
	return []Row{
		{Address: "mayor", State: models.StateWorking, Idle: "12s", IdleSecs: 12, Hook: "hq-x7k2m"},
		{Address: "myproject/crew/joe", State: models.StateIdle, Idle: "2h", IdleSecs: 7200},
		{Address: "myproject/polecats/nux", State: models.StateStalled, Idle: "16m", IdleSecs: 960, Hook: "mp-k3v9a",
			Reason: "Stalled: no progress for 16m", NeedsAttention: true},
		{Address: "myproject/polecats/furiosa", State: models.StateWaiting, Idle: "5s", IdleSecs: 5, Hook: "mp-7q2xw",
			Reason: "question on screen", NeedsAttention: true},
		{Address: "myproject/polecats/slit", State: models.StateGUPP, Idle: "42m", IdleSecs: 2520, Hook: "mp-abc12",
			Reason: "GUPP: hooked work, no progress for 42m", NeedsAttention: true},
		{Address: "myproject/polecats/rictus", State: models.StateStalled, Idle: "25m", IdleSecs: 1500, Hook: "mp-zzz99",
			Reason: "Stalled: no progress for 25m", NeedsAttention: true},
		{Address: "alpha/polecats/toast", State: models.StateZombie, Idle: "-", IdleSecs: -1, Hook: "al-q1w2e",
			Reason: "hooked work but no session", NeedsAttention: true},
		{Address: "alpha/crew/max", State: models.StateExited, Idle: "3m", IdleSecs: 180, Reason: "exited with code 1", NeedsAttention: true},
	}
}

func TestProblemsGolden(t *testing.T) {
	sizes := []struct{ w, h int }{{100, 14}, {80, 20}, {40, 12}, {20, 5}, {1, 1}}
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newModel()
			m.SetRows(sampleRows())
			m.Focus()
			m.SetSize(sz.w, sz.h)
			m, _ = m.Update(tea.KeyPressMsg{Code: 'j', Text: "j"})
			checkShape(t, m.Lines(), sz.w, sz.h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
	}
	t.Run("none", func(t *testing.T) {
		m := newModel()
		m.SetRows([]Row{{Address: "mayor", State: models.StateIdle, Idle: "1m", IdleSecs: 60}})
		m.SetSize(60, 6)
		golden.RequireEqual(t, ansi.Strip(m.View()))
	})
	t.Run("colour", func(t *testing.T) {
		m := newModel()
		m.SetRows(sampleRows()[:4])
		m.Focus()
		m.SetSize(90, 8)
		golden.RequireEqual(t, m.View())
	})
}

func checkShape(t *testing.T, lines []string, w, h int) {
	t.Helper()
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

func TestProblemsOrderAndCounts(t *testing.T) {
	m := newModel()
	m.SetRows(sampleRows())
	var got []string
	for _, r := range m.all() {
		got = append(got, r.State.String()+":"+r.Address)
	}
	want := []string{
		"gupp:myproject/polecats/slit", "waiting:myproject/polecats/furiosa",
		"stalled:myproject/polecats/rictus", "stalled:myproject/polecats/nux",
		"zombie:alpha/polecats/toast", "exited:alpha/crew/max",
		"working:mayor", "idle:myproject/crew/joe",
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("order\n got %v\nwant %v", got, want)
	}
	if a, ok := m.Counts(); a != 6 || ok != 2 {
		t.Fatalf("counts %d %d", a, ok)
	}
	if h := m.Header(); h != "GT Feed · Problems  6 need attention · 2 ok" {
		t.Fatalf("header %q", h)
	}
	m.SetSize(80, 20)
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "Needs attention (6)") || strings.Index(v, "Needs attention (6)") > strings.Index(v, "OK (2)") {
		t.Fatalf("groups:\n%s", v)
	}
	m.SetRows([]Row{{Address: "mayor", State: models.StateWorking}})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "No agent needs attention") || strings.Contains(v, "Needs attention (") {
		t.Fatalf("no problems:\n%s", v)
	}
}

func press(m Model, k string) (Model, tea.Msg) {
	var kp tea.KeyPressMsg
	switch k {
	case "enter":
		kp = tea.KeyPressMsg{Code: tea.KeyEnter}
	default:
		kp = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	}
	m, cmd := m.Update(kp)
	if cmd == nil {
		return m, nil
	}
	return m, cmd()
}

func TestProblemsIntents(t *testing.T) {
	m := newModel()
	m.SetRows(sampleRows())
	m.SetSize(80, 20)
	m.Focus()
	if _, msg := press(m, "n"); msg != (NudgeMsg{Address: "myproject/polecats/slit"}) {
		t.Fatalf("n: %#v", msg)
	}
	if _, msg := press(m, "enter"); msg != (FocusMsg{Address: "myproject/polecats/slit"}) {
		t.Fatalf("enter: %#v", msg)
	}
	if _, msg := press(m, "r"); msg != nil {
		t.Fatalf("r on a gupp agent: %#v", msg)
	}
	m, _ = press(m, "G")
	m, _ = press(m, "k")
	m, _ = press(m, "k")
	if cur, _ := m.Current(); cur.Address != "alpha/crew/max" {
		t.Fatalf("cursor on %s", cur.Address)
	}
	if _, msg := press(m, "r"); msg != (RestartMsg{Address: "alpha/crew/max"}) {
		t.Fatalf("r: %#v", msg)
	}
	// New data keeps the cursor on the same agent.
	rows := sampleRows()
	rows[7].IdleSecs = 99999
	m.SetRows(rows)
	if cur, _ := m.Current(); cur.Address != "alpha/crew/max" {
		t.Fatalf("cursor moved to %s", cur.Address)
	}
	m, _ = press(m, "g")
	if cur, _ := m.Current(); cur.Address != "myproject/polecats/slit" {
		t.Fatalf("g: %s", cur.Address)
	}
	// Unfocused, new data puts the cursor back on the most urgent agent.
	m.Blur()
	m, _ = press(m, "G")
	m.SetRows(rows)
	if cur, _ := m.Current(); cur.Address != "myproject/polecats/slit" {
		t.Fatalf("unfocused reload: %s", cur.Address)
	}
	// An empty view emits nothing.
	e := newModel()
	if _, msg := press(e, "n"); msg != nil {
		t.Fatalf("empty n: %#v", msg)
	}
}
