package ptyhost

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// DefaultScrollback is the scrollback length used when a size of 0 is given
// (spec §8 tui.scrollback_lines).
const DefaultScrollback = 10000

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
