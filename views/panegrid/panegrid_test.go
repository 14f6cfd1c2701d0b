package panegrid

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func newModel() Model {
	st := styles.Default()
	return New(common.New(&st), "ctrl+space")
}

// box is a stand-in for a rendered pane frame.
func box(name string, w, h int) []string {
	st := styles.Default()
	body := common.FitLines([]string{"output of " + name}, max(w-2, 0), max(h-2, 0))
	return common.Frame(name, body, w, h, st.Border)
}

func check(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

func TestGoldenPanegrid(t *testing.T) {
	for _, sz := range [][2]int{{20, 5}, {40, 12}, {80, 24}, {120, 40}} {
		w, h := sz[0], sz[1]
		t.Run(fmt.Sprintf("welcome_%dx%d", w, h), func(t *testing.T) {
			m := newModel()
			m.SetSize(w, h)
			check(t, m.View(), w, h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
		t.Run(fmt.Sprintf("grid_%dx%d", w, h), func(t *testing.T) {
			m := newModel()
			m.SetSize(w, h)
			top := h * 40 / 100
			m.SetTiles([]Tile{
				{0, 0, w, top, box("mayor", w, top)},
				{0, top, w / 2, h - top, box("rig/nux", w/2, h-top)},
				{w / 2, top, w - w/2, h - top, box("rig/slit", w-w/2, h-top)},
			})
			check(t, m.View(), w, h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
		t.Run(fmt.Sprintf("tabs_%dx%d", w, h), func(t *testing.T) {
			m := newModel()
			m.SetSize(w, h)
			m.SetTabs([]Tab{{1, "mayor", models.StateIdle, false}, {2, "rig/nux", models.StateWaiting, true}, {3, "rig/slit", models.StateWorking, false}})
			m.SetTiles([]Tile{{0, 1, w, h - 1, box("rig/nux", w, h-1)}})
			check(t, m.View(), w, h)
			golden.RequireEqual(t, ansi.Strip(m.View()))
		})
	}
}

func TestGoldenPanegridColour(t *testing.T) {
	m := newModel()
	m.SetSize(60, 8)
	m.SetTabs([]Tab{{1, "mayor", models.StateIdle, true}, {2, "rig/nux", models.StateWaiting, false}})
	m.SetTiles([]Tile{{0, 1, 60, 7, box("mayor", 60, 7)}})
	golden.RequireEqual(t, m.View())
}

func TestTabAt(t *testing.T) {
	m := newModel()
	m.SetTabs([]Tab{{N: 1, Title: "mayor"}, {N: 2, Title: "rig/nux"}})
	// " 1 mayor ○ " is 11 cells, then │, then " 2 rig/nux ○ ".
	for x, want := range map[int]int{0: 0, 10: 0, 11: -1, 12: 1, 24: 1, 25: -1} {
		if got := m.TabAt(x); got != want {
			t.Errorf("TabAt(%d) = %d, want %d", x, got, want)
		}
	}
}
