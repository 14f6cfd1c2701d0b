package ptyhost

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// DefaultScrollback is the scrollback length used when a size of 0 is given
// (spec §8 tui.scrollback_lines).
const DefaultScrollback = 10000

// storedLine is one scrollback row in compact form: its SGR-styled text
// (no padding) and its width in cells. A plain 80-column line costs about
// 100 bytes instead of the emulator's ~9 KB of cells.
type storedLine struct {
	text  string
	width int
}

// ring is a fixed-capacity FIFO of scrollback rows. Push is O(1); the oldest
// row is overwritten when full.
type ring struct {
	lines []storedLine
	head  int // index of the oldest row once full
	max   int
}

func newRing(max int) *ring {
	if max <= 0 {
		max = DefaultScrollback
	}
	return &ring{max: max}
}

func (r *ring) len() int { return len(r.lines) }

func (r *ring) push(l storedLine) {
	if len(r.lines) < r.max {
		r.lines = append(r.lines, l)
		return
	}
	r.lines[r.head] = l
	r.head++
	if r.head == r.max {
		r.head = 0
	}
}

// at returns row i, 0 being the oldest.
func (r *ring) at(i int) storedLine {
	if len(r.lines) < r.max {
		return r.lines[i]
	}
	return r.lines[(r.head+i)%r.max]
}

func (r *ring) clear() {
	r.lines = r.lines[:0]
	r.head = 0
}

// ScrollbackLine is one row that scrolled off the top of the screen.
type ScrollbackLine struct {
	text  string
	width int
}

// Width is the row's width in cells when it scrolled off (trailing blanks
// trimmed).
func (l ScrollbackLine) Width() int { return l.width }

// ANSI renders the row with SGR styling, exactly width cells wide.
func (l ScrollbackLine) ANSI(width int) string {
	switch {
	case width <= 0:
		return ""
	case l.width == width:
		return l.text
	case l.width < width:
		return l.text + strings.Repeat(" ", width-l.width)
	default:
		t := ansi.Truncate(l.text, width, "")
		if strings.Contains(t, "\x1b[") {
			t += "\x1b[m"
		}
		if w := ansi.StringWidth(t); w < width {
			t += strings.Repeat(" ", width-w)
		}
		return t
	}
}

// Plain returns the row's text without styling.
func (l ScrollbackLine) Plain() string { return ansi.Strip(l.text) }
