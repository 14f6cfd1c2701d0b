package convoys

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

func sample() []Convoy {
	return []Convoy{
		{ID: "hq-cv-w3nm6", Title: "Feature X", Completed: 1, Total: 2, Tracked: []Tracked{
			{ID: "mp-k3v9a", Title: "Add retry", Status: models.StatusClosed},
			{ID: "mp-7q2xw", Title: "Fix flaky test", Status: models.StatusInProgress, Assignee: "myproject/polecats/nux"},
		}},
		{ID: "hq-cv-k3x7q", Title: "Work: Fix the upload client for flaky networks", Completed: 0, Total: 1,
			Tracked: []Tracked{{ID: "mp-aaaaa", Title: "Upload", Status: models.StatusOpen}}},
		{ID: "hq-cv-done1", Title: "Landed convoy", Landed: true, Completed: 3, Total: 3},
	}
}

func newModel() Model {
	st := styles.Default()
	m := New(common.New(&st))
	m.SetConvoys(sample())
	return m
}

func press(m Model, keys ...string) (Model, tea.Msg) {
	var cmd tea.Cmd
	var msg tea.Msg
	for _, k := range keys {
		kp := tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		if k == "enter" {
			kp = tea.KeyPressMsg{Code: tea.KeyEnter}
		}
		m, cmd = m.Update(kp)
		if cmd != nil {
			msg = cmd()
		}
	}
	return m, msg
}

func TestGoldenConvoys(t *testing.T) {
	for _, sz := range [][2]int{{20, 5}, {40, 12}, {60, 14}, {100, 20}} {
		for _, expanded := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d_expanded=%v", sz[0], sz[1], expanded), func(t *testing.T) {
				m := newModel()
				m.Focus()
				if expanded {
					m, _ = press(m, "enter")
				}
				m.SetSize(sz[0], sz[1])
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%d lines", len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) != sz[0] {
						t.Fatalf("line width %d: %q", ansi.StringWidth(l), l)
					}
				}
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

func TestGoldenConvoysColour(t *testing.T) {
	m := newModel()
	m.Focus()
	m.SetSize(60, 8)
	golden.RequireEqual(t, m.View())
}

func TestKeysEmitIntents(t *testing.T) {
	m := newModel()
	m.Focus()
	cases := []struct {
		keys []string
		want tea.Msg
	}{
		{[]string{"R"}, RenameMsg{ID: "hq-cv-w3nm6", Title: "Feature X"}},
		{[]string{"A"}, AddMsg{ID: "hq-cv-w3nm6"}},
		{[]string{"X"}, CloseMsg{ID: "hq-cv-w3nm6", Title: "Feature X"}},
		{[]string{"N"}, NewMsg{}},
		{[]string{"j", "X"}, CloseMsg{ID: "hq-cv-k3x7q", Title: "Work: Fix the upload client for flaky networks"}},
		{[]string{"enter", "j", "j", "d"}, RemoveMsg{Convoy: "hq-cv-w3nm6", Bead: "mp-7q2xw"}},
	}
	for _, c := range cases {
		_, got := press(m, c.keys...)
		if got != c.want {
			t.Errorf("%v: got %#v, want %#v", c.keys, got, c.want)
		}
	}
	// d on a convoy line (not a tracked bead) does nothing.
	if _, got := press(m, "d"); got != nil {
		t.Errorf("d on a convoy emitted %#v", got)
	}
}

func TestSetConvoysKeepsCursor(t *testing.T) {
	m := newModel()
	m, _ = press(m, "j")
	cs := sample()
	cs = append([]Convoy{{ID: "hq-cv-first", Title: "New first"}}, cs...)
	m.SetConvoys(cs)
	if c, _ := m.Current(); c.ID != "hq-cv-k3x7q" {
		t.Fatalf("cursor moved to %s", c.ID)
	}
}
