package beadlist

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func items() []Item {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	b := func(id, title string, st models.Status, p int, typ models.IssueType) models.Bead {
		return models.Bead{ID: id, Title: title, Status: st, Priority: p, IssueType: typ, CreatedAt: at}
	}
	return []Item{
		{Bead: b("mp-k3v9a", "Add retry to upload client", models.StatusOpen, 1, models.TypeBug), Ready: true},
		{Bead: b("mp-7q2xw", "Fix flaky test", models.StatusOpen, 2, models.TypeTask), Ready: true},
		{Bead: b("mp-blkd1", "Blocked work", models.StatusOpen, 2, models.TypeTask)},
		{Bead: b("mp-hook1", "Hooked work", models.StatusHooked, 0, models.TypeFeature)},
		{Bead: b("mp-prog1", "In progress", models.StatusInProgress, 3, models.TypeChore)},
	}
}

func newModel() Model {
	st := styles.Default()
	m := New(common.New(&st))
	m.SetItems(items())
	m.Focus()
	return m
}

func press(m Model, keys ...string) (Model, tea.Msg) {
	var cmd tea.Cmd
	var msg tea.Msg
	for _, k := range keys {
		var kp tea.KeyPressMsg
		switch k {
		case "enter":
			kp = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			kp = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "space":
			kp = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		default:
			kp = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		m, cmd = m.Update(kp)
		msg = nil
		if cmd != nil {
			msg = cmd()
		}
	}
	return m, msg
}

func TestGoldenBeadlist(t *testing.T) {
	for _, sz := range [][2]int{{20, 5}, {40, 12}, {60, 10}, {100, 20}} {
		for _, v := range []View{ViewReady, ViewOpen, ViewHooked, ViewAll} {
			t.Run(fmt.Sprintf("%dx%d_%s", sz[0], sz[1], v), func(t *testing.T) {
				m := newModel()
				for m.CurrentView() != v {
					m, _ = press(m, "v")
				}
				m, _ = press(m, "space")
				m.SetSize(sz[0], sz[1])
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%d lines", len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) != sz[0] {
						t.Fatalf("width %d: %q", ansi.StringWidth(l), l)
					}
				}
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

func TestGoldenBeadlistColour(t *testing.T) {
	m := newModel()
	m.SetSize(60, 8)
	golden.RequireEqual(t, m.View())
}

func TestViewsFilterAndSelection(t *testing.T) {
	m := newModel()
	ids := func(m Model) []string {
		var out []string
		for _, it := range m.Visible() {
			out = append(out, it.Bead.ID)
		}
		return out
	}
	if got := ids(m); !slices.Equal(got, []string{"mp-k3v9a", "mp-7q2xw"}) {
		t.Fatalf("ready = %v", got)
	}
	m, _ = press(m, "v")
	if got := ids(m); !slices.Equal(got, []string{"mp-k3v9a", "mp-7q2xw", "mp-blkd1"}) {
		t.Fatalf("open = %v", got)
	}
	m, _ = press(m, "v")
	if got := ids(m); !slices.Equal(got, []string{"mp-hook1", "mp-prog1"}) {
		t.Fatalf("hooked = %v", got)
	}
	m, _ = press(m, "v")
	if len(ids(m)) != 5 {
		t.Fatalf("all = %v", ids(m))
	}
	m, _ = press(m, "/", "f", "l", "a", "enter")
	if got := ids(m); !slices.Equal(got, []string{"mp-7q2xw"}) {
		t.Fatalf("filter fla = %v", got)
	}
	m, _ = press(m, "/", "esc")
	if len(ids(m)) != 5 {
		t.Fatal("esc did not clear the filter")
	}
	// Nothing selected: s slings the current bead.
	m, msg := press(m, "s")
	if got, ok := msg.(SlingMsg); !ok || !slices.Equal(got.IDs, []string{"mp-k3v9a"}) {
		t.Fatalf("s = %#v", msg)
	}
	m, _ = press(m, "space", "j", "space")
	_, msg = press(m, "C")
	if got, ok := msg.(CreateConvoyMsg); !ok || !slices.Equal(got.IDs, []string{"mp-k3v9a", "mp-blkd1"}) {
		t.Fatalf("C = %#v", msg)
	}
	_, msg = press(m, "A")
	if _, ok := msg.(AddToConvoyMsg); !ok {
		t.Fatalf("A = %#v", msg)
	}
	_, msg = press(m, "enter")
	if got, ok := msg.(ShowMsg); !ok || got.Bead.ID == "" {
		t.Fatalf("enter = %#v", msg)
	}
	// Selections of beads that disappear are dropped.
	m.SetItems(items()[3:])
	if got := m.Selected(); len(got) != 1 || got[0] == "mp-k3v9a" {
		t.Fatalf("selection after reload = %v", got)
	}
}
