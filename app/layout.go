package app

import "math"

// rect is a screen rectangle in cells.
type rect struct{ X, Y, W, H int }

// Empty reports whether r has no area.
func (r rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Contains reports whether the cell (x, y) is inside r.
func (r rect) Contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// layoutMode is how much of the UI a window size allows (spec §8 Layout).
type layoutMode int

const (
	// modeTooSmall: below 20x5 only `terminal too small` is shown.
	modeTooSmall layoutMode = iota
	// modeSingle: below 40x10 only the focused pane or panel and the
	// status bar.
	modeSingle
	// modeFull: pane area, side column (when wide enough) and status bar.
	modeFull
)

// String names the mode.
func (m layoutMode) String() string {
	return [...]string{"too-small", "single", "full"}[m]
}

// Size thresholds of spec §8.
const (
	minW, minH         = 20, 5
	fullW, fullH       = 40, 10
	sideMinWindow      = 100
	sideMinW, sideMaxW = 28, 60
	// minPaneW and minPaneH are the smallest inside of a tiled pane; below
	// it the pane area becomes tabs.
	minPaneW, minPaneH = 20, 5
)

// layoutOpts are the layout's inputs besides the window size.
type layoutOpts struct {
	// Mayor: pane 0 is the Mayor (it goes on top).
	Mayor bool
	// Focus is the focused pane's index (-1: a panel has focus).
	Focus int
	Zoom  bool
	// Tabs: the user chose tabs (t).
	Tabs bool
}

// Layout is every rectangle of one frame.
type Layout struct {
	Mode   layoutMode
	Status rect
	// Main is the single area of modeSingle, and the pane area otherwise.
	Main rect
	// Side is set when the side column is shown (width ≥ 100).
	Side                 bool
	Convoys, Beads, Feed rect
	// Tabs is set when panes are shown as tabs; TabBar is then the row of
	// tab names and only the focused pane has a rectangle.
	Tabs   bool
	TabBar rect
	// Panes holds one rectangle per pane, empty for hidden panes.
	Panes []rect
}

// layout computes the frame's rectangles for a w×h window with n panes. It
// is pure and never panics, whatever the inputs.
func layout(w, h, n int, o layoutOpts) Layout {
	w, h, n = max(w, 0), max(h, 0), max(n, 0)
	l := Layout{Panes: make([]rect, n)}
	focus := o.Focus
	if focus >= n {
		focus = n - 1
	}
	switch {
	case w < minW || h < minH:
		l.Mode = modeTooSmall
		return l
	case w < fullW || h < fullH:
		l.Mode = modeSingle
		l.Main = rect{0, 0, w, h - 1}
		l.Status = rect{0, h - 1, w, 1}
		if focus >= 0 {
			l.Panes[focus] = l.Main
		}
		return l
	}
	l.Mode = modeFull
	l.Status = rect{0, h - 1, w, 1}
	bodyH := h - 1
	area := rect{0, 0, w, bodyH}
	if w >= sideMinWindow {
		sw := min(max(w*30/100, sideMinW), sideMaxW)
		l.Side = true
		area.W = w - sw
		ch := bodyH * 30 / 100
		bh := bodyH * 35 / 100
		l.Convoys = rect{area.W, 0, sw, ch}
		l.Beads = rect{area.W, ch, sw, bh}
		l.Feed = rect{area.W, ch + bh, sw, bodyH - ch - bh}
	}
	l.Main = area
	if n == 0 {
		return l
	}
	if o.Zoom && focus >= 0 {
		l.Panes[focus] = area
		return l
	}
	if !o.Tabs {
		if grid, ok := tile(area, n, o.Mayor); ok {
			l.Panes = grid
			return l
		}
	}
	l.Tabs = true
	l.TabBar = rect{area.X, area.Y, area.W, 1}
	if focus < 0 {
		focus = 0
	}
	l.Panes[focus] = rect{area.X, area.Y + 1, area.W, area.H - 1}
	return l
}

// tile lays n panes out in area: the Mayor (when mayor) on top with 40% of
// the height, the others in ceil(√k) columns. ok is false when a pane's
// inside would be smaller than minPaneW×minPaneH.
func tile(area rect, n int, mayor bool) ([]rect, bool) {
	out := make([]rect, 0, n)
	rest := area
	k := n
	if mayor && n > 1 {
		mh := area.H * 40 / 100
		out = append(out, rect{area.X, area.Y, area.W, mh})
		rest = rect{area.X, area.Y + mh, area.W, area.H - mh}
		k = n - 1
	}
	cols := int(math.Ceil(math.Sqrt(float64(k))))
	rows := (k + cols - 1) / cols
	for i := 0; i < k; i++ {
		r, c := i/cols, i%cols
		// The last row may hold fewer panes: they share its width.
		rowCols := cols
		if r == rows-1 && k%cols != 0 {
			rowCols = k % cols
		}
		x0 := rest.X + rest.W*c/rowCols
		x1 := rest.X + rest.W*(c+1)/rowCols
		y0 := rest.Y + rest.H*r/rows
		y1 := rest.Y + rest.H*(r+1)/rows
		out = append(out, rect{x0, y0, x1 - x0, y1 - y0})
	}
	for _, r := range out {
		if r.W-2 < minPaneW || r.H-2 < minPaneH {
			return nil, false
		}
	}
	return out, true
}
