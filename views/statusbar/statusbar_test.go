package statusbar

import (
	"fmt"
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func data(armed bool) Data {
	return Data{
		Town: "~/gt", Agents: 3, Counts: map[models.AgentState]int{models.StateWorking: 1, models.StateWaiting: 1},
		Problems: 0, Unread: 1, Armed: armed, PrefixHelp: "ctrl+␣",
		Help: []key.Binding{key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sling"))},
	}
}

func TestLeftText(t *testing.T) {
	want := "~/gt · 3 agents · ● 1 working · ◐ 1 waiting · ⚠ 0 problems · ✉ 1"
	if got := data(false).LeftText(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestGoldenStatusbar(t *testing.T) {
	st := styles.Default()
	for _, w := range []int{20, 40, 80, 120, 200} {
		for _, armed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d_armed=%v", w, armed), func(t *testing.T) {
				m := New(common.New(&st))
				m.SetSize(w, 1)
				d := data(armed)
				if armed {
					d.Notice = "◐ demo/nux is waiting"
				}
				m.SetData(d)
				out := m.View()
				if got := ansi.StringWidth(out); got != w {
					t.Fatalf("width %d, want %d", got, w)
				}
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

func TestGoldenStatusbarColour(t *testing.T) {
	st := styles.Default()
	m := New(common.New(&st))
	m.SetSize(120, 1)
	m.SetData(data(true))
	golden.RequireEqual(t, m.View())
}
