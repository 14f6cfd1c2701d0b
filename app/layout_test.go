package app

import (
	"fmt"
	"testing"
)

func TestLayoutModes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		w, h int
		want layoutMode
	}{
		{0, 0, modeTooSmall}, {1, 1, modeTooSmall}, {19, 40, modeTooSmall}, {80, 4, modeTooSmall},
		{20, 5, modeSingle}, {39, 30, modeSingle}, {60, 9, modeSingle},
		{40, 10, modeFull}, {40, 12, modeFull}, {240, 70, modeFull},
	}
	for _, c := range cases {
		for _, n := range []int{0, 1, 5, 17} {
			l := layout(c.w, c.h, n, layoutOpts{Mayor: true, Focus: 0})
			if l.Mode != c.want {
				t.Errorf("layout(%d,%d,%d).Mode = %v, want %v", c.w, c.h, n, l.Mode, c.want)
			}
			if len(l.Panes) != n {
				t.Errorf("layout(%d,%d,%d) has %d pane rects", c.w, c.h, n, len(l.Panes))
			}
		}
	}
}

func TestLayoutTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		w, h, n int
		o       layoutOpts
		side    bool
		tabs    bool
		main    rect
		panes   []rect
		convoys rect
		beads   rect
		feed    rect
	}{
		{name: "20x5 single", w: 20, h: 5, n: 2, o: layoutOpts{Focus: 1},
			main: rect{0, 0, 20, 4}, panes: []rect{{}, {0, 0, 20, 4}}},
		{name: "40x12 one pane", w: 40, h: 12, n: 1, o: layoutOpts{Mayor: true},
			main: rect{0, 0, 40, 11}, panes: []rect{{0, 0, 40, 11}}},
		{name: "40x12 three panes become tabs", w: 40, h: 12, n: 3, o: layoutOpts{Mayor: true, Focus: 2},
			tabs: true, main: rect{0, 0, 40, 11}, panes: []rect{{}, {}, {0, 1, 40, 10}}},
		{name: "40x12 tabs chosen", w: 40, h: 12, n: 1, o: layoutOpts{Tabs: true},
			tabs: true, main: rect{0, 0, 40, 11}, panes: []rect{{0, 1, 40, 10}}},
		{name: "99 wide has no side column", w: 99, h: 30, n: 0, main: rect{0, 0, 99, 29}},
		{name: "100x30 side column clamp 30", w: 100, h: 30, n: 1, o: layoutOpts{Mayor: true},
			side: true, main: rect{0, 0, 70, 29}, panes: []rect{{0, 0, 70, 29}},
			convoys: rect{70, 0, 30, 8}, beads: rect{70, 8, 30, 10}, feed: rect{70, 18, 30, 11}},
		{name: "200x50 mayor and three polecats", w: 200, h: 50, n: 4, o: layoutOpts{Mayor: true},
			side: true, main: rect{0, 0, 140, 49},
			panes:   []rect{{0, 0, 140, 19}, {0, 19, 70, 15}, {70, 19, 70, 15}, {0, 34, 140, 15}},
			convoys: rect{140, 0, 60, 14}, beads: rect{140, 14, 60, 17}, feed: rect{140, 31, 60, 18}},
		{name: "zoom", w: 200, h: 50, n: 4, o: layoutOpts{Mayor: true, Zoom: true, Focus: 2},
			side: true, main: rect{0, 0, 140, 49}, panes: []rect{{}, {}, {0, 0, 140, 49}, {}},
			convoys: rect{140, 0, 60, 14}, beads: rect{140, 14, 60, 17}, feed: rect{140, 31, 60, 18}},
		{name: "no mayor tiles in ceil(sqrt n) columns", w: 120, h: 40, n: 4, o: layoutOpts{},
			side: true, main: rect{0, 0, 84, 39},
			panes:   []rect{{0, 0, 42, 19}, {42, 0, 42, 19}, {0, 19, 42, 20}, {42, 19, 42, 20}},
			convoys: rect{84, 0, 36, 11}, beads: rect{84, 11, 36, 13}, feed: rect{84, 24, 36, 15}},
		{name: "wide side column clamps at 60", w: 300, h: 20, n: 0, side: true, main: rect{0, 0, 240, 19},
			convoys: rect{240, 0, 60, 5}, beads: rect{240, 5, 60, 6}, feed: rect{240, 11, 60, 8}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := layout(c.w, c.h, c.n, c.o)
			if l.Side != c.side || l.Tabs != c.tabs || l.Main != c.main {
				t.Fatalf("side=%v tabs=%v main=%+v, want side=%v tabs=%v main=%+v", l.Side, l.Tabs, l.Main, c.side, c.tabs, c.main)
			}
			if c.panes != nil && fmt.Sprint(l.Panes) != fmt.Sprint(c.panes) {
				t.Errorf("panes = %v, want %v", l.Panes, c.panes)
			}
			if l.Convoys != c.convoys || l.Beads != c.beads || l.Feed != c.feed {
				t.Errorf("side panels %+v %+v %+v, want %+v %+v %+v", l.Convoys, l.Beads, l.Feed, c.convoys, c.beads, c.feed)
			}
			if l.Status != (rect{0, c.h - 1, c.w, 1}) {
				t.Errorf("status = %+v", l.Status)
			}
		})
	}
}

// TestLayoutInvariants checks, over many sizes, that rectangles stay inside
// the window, never overlap, and tiled panes are at least 20x5 inside.
func TestLayoutInvariants(t *testing.T) {
	t.Parallel()
	for w := 0; w <= 260; w += 7 {
		for h := 0; h <= 80; h += 3 {
			for n := 0; n <= 17; n += 4 {
				for _, o := range []layoutOpts{{Mayor: true}, {Tabs: true, Focus: n - 1}, {Zoom: true, Focus: 0}} {
					l := layout(w, h, n, o)
					var rs []rect
					for _, r := range append([]rect{l.Status, l.Convoys, l.Beads, l.Feed, l.TabBar}, l.Panes...) {
						if r.Empty() {
							continue
						}
						if r.X < 0 || r.Y < 0 || r.X+r.W > w || r.Y+r.H > h {
							t.Fatalf("layout(%d,%d,%d,%+v): %+v outside the window", w, h, n, o, r)
						}
						for _, q := range rs {
							if overlaps(r, q) {
								t.Fatalf("layout(%d,%d,%d,%+v): %+v overlaps %+v", w, h, n, o, r, q)
							}
						}
						rs = append(rs, r)
					}
					if l.Mode == modeFull && !l.Tabs && !o.Zoom {
						for _, r := range l.Panes {
							if r.W-2 < minPaneW || r.H-2 < minPaneH {
								t.Fatalf("layout(%d,%d,%d): tiled pane %+v smaller than 20x5 inside", w, h, n, r)
							}
						}
					}
				}
			}
		}
	}
}

func overlaps(a, b rect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}
