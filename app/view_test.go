package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
)

// TestGoldenApp renders the whole TUI over a table of window sizes.
func TestGoldenApp(t *testing.T) {
	for _, sz := range [][2]int{{20, 5}, {40, 12}, {80, 24}, {120, 40}, {200, 50}} {
		for _, n := range []int{0, 2} {
			t.Run(fmt.Sprintf("%dx%d_%dpanes", sz[0], sz[1], n), func(t *testing.T) {
				_, _, agents := twoAgents()
				hs := newHarness(t, sz[0], sz[1], agents[:n]...)
				if n > 0 {
					hs.key("1")
				}
				out := hs.screen()
				lines := strings.Split(out, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%d lines, want %d", len(lines), sz[1])
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w != sz[0] {
						t.Fatalf("line %d is %d wide, want %d: %q", i, w, sz[0], ansi.Strip(l))
					}
				}
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

func TestGoldenAppTooSmall(t *testing.T) {
	hs := newHarness(t, 19, 4)
	golden.RequireEqual(t, hs.screen())
}

// TestGoldenAppTabs: three polecats and the Mayor at 60x20 do not fit as a
// grid (a pane would be under 20x5 inside), so the area becomes tabs.
func TestGoldenAppTabs(t *testing.T) {
	mt, pt, _ := twoAgents()
	agents := []Agent{mayorAgent(mt), polecatAgent("nux", pt, models.StateWorking),
		polecatAgent("slit", newFakeTerm(80, 24, "slit here"), models.StateWaiting),
		polecatAgent("toast", newFakeTerm(80, 24, "toast here"), models.StateIdle)}
	hs := newHarness(t, 60, 20, agents...)
	hs.key("3")
	if !hs.m.lay.Tabs {
		t.Fatal("not tabs")
	}
	golden.RequireEqual(t, ansi.Strip(hs.screen()))
}

func TestGoldenAppColour(t *testing.T) {
	_, _, agents := twoAgents()
	hs := newHarness(t, 120, 30, agents...)
	hs.key("1", "ctrl+space")
	golden.RequireEqual(t, hs.screen())
}
