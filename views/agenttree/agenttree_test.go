package agenttree

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

func sampleAgents() []Agent {
	return []Agent{
		{Address: "mayor", Role: models.RoleMayor, Name: "mayor", State: models.StateWorking, Hook: "hq-x7k2m", Idle: "12s"},
		{Address: "alpha/polecats/toast", Role: models.RolePolecat, Rig: "alpha", Name: "toast", State: models.StateZombie, Hook: "al-q1w2e", Idle: "-"},
		{Address: "myproject/crew/joe", Role: models.RoleCrew, Rig: "myproject", Name: "joe", State: models.StateIdle, Idle: "2h"},
		{Address: "myproject/polecats/furiosa", Role: models.RolePolecat, Rig: "myproject", Name: "furiosa", State: models.StateWaiting, Hook: "mp-7q2xw", Idle: "5s"},
		{Address: "myproject/polecats/nux", Role: models.RolePolecat, Rig: "myproject", Name: "nux", State: models.StateStalled, Hook: "mp-k3v9a", Idle: "16m"},
	}
}

func TestAgentTreeGolden(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{60, 14}, {40, 12}, {20, 5}, {2, 2}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			m := newModel()
			m.SetAgents(sampleAgents())
			m.Focus()
			m.SetSize(sz.w, sz.h)
			m, _ = m.Update(tea.KeyPressMsg{Code: 'G', Text: "G"})
			lines := m.Lines()
			if len(lines) != sz.h {
				t.Fatalf("%d lines", len(lines))
			}
			for i, l := range lines {
				if ansi.StringWidth(l) != sz.w {
					t.Fatalf("line %d: %d cells %q", i, ansi.StringWidth(l), ansi.Strip(l))
				}
			}
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
	}
	t.Run("empty", func(t *testing.T) {
		m := newModel()
		m.SetSize(30, 4)
		golden.RequireEqual(t, ansi.Strip(m.View()))
	})
	t.Run("colour", func(t *testing.T) {
		m := newModel()
		m.SetAgents(sampleAgents()[:3])
		m.Focus()
		m.SetSize(50, 8)
		golden.RequireEqual(t, m.View())
	})
}

func kp(s string) tea.KeyPressMsg {
	if s == "enter" {
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	return tea.KeyPressMsg{Code: rune(s[0]), Text: s}
}

func TestAgentTreeCursorAndIntents(t *testing.T) {
	m := newModel()
	m.SetSize(60, 20)
	if _, cmd := m.Update(kp("n")); cmd != nil {
		t.Fatal("empty tree emitted a nudge")
	}
	m.SetAgents(sampleAgents())
	cur := func() string { a, _ := m.Current(); return a.Address }
	if cur() != "mayor" {
		t.Fatalf("start on %s", cur())
	}
	var order []string
	for range 6 {
		order = append(order, cur())
		m, _ = m.Update(kp("j"))
	}
	want := "mayor,alpha/polecats/toast,myproject/crew/joe,myproject/polecats/furiosa,myproject/polecats/nux,myproject/polecats/nux"
	if got := fmt.Sprint(order); got != fmt.Sprint([]string{"mayor", "alpha/polecats/toast", "myproject/crew/joe", "myproject/polecats/furiosa", "myproject/polecats/nux", "myproject/polecats/nux"}) {
		t.Fatalf("j walk %s, want %s", got, want)
	}
	m, cmd := m.Update(kp("n"))
	if cmd == nil || cmd() != (NudgeMsg{Address: "myproject/polecats/nux"}) {
		t.Fatal("n did not nudge nux")
	}
	m, _ = m.Update(kp("k"))
	_, cmd = m.Update(kp("enter"))
	if cmd == nil || cmd() != (FocusMsg{Address: "myproject/polecats/furiosa"}) {
		t.Fatal("enter did not focus furiosa")
	}
	// Reloading keeps the cursor on furiosa even when rows move.
	m.SetAgents(sampleAgents()[2:])
	if cur() != "myproject/polecats/furiosa" {
		t.Fatalf("after reload on %s", cur())
	}
	m, _ = m.Update(kp("g"))
	if cur() != "myproject/crew/joe" {
		t.Fatalf("g: %s", cur())
	}
	// The tree groups crew before polecats under each rig.
	v := ansi.Strip(m.View())
	for _, s := range []string{"Town", "myproject", "├ crew", "└ polecats"} {
		if !contains(v, s) {
			t.Fatalf("missing %q in\n%s", s, v)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
