package ptyhost

import (
	"strings"

	"github.com/gastown/gt/ptyhost/screen"
)

// The style vocabulary is the screen engine's own: panes render cells whose
// styles come straight from ptyhost/screen, so there is one encoding and one
// SGR writer.
type (
	// Color is a compact terminal colour: the default colour, one of the
	// 256 indexed colours, or 24-bit RGB.
	Color = screen.Color
	// Attr is a set of text attributes.
	Attr = screen.Attr
	// UnderlineStyle is how text is underlined.
	UnderlineStyle = screen.UnderlineStyle
	// Style is the look of one cell.
	Style = screen.Style
)

// DefaultColor is the terminal's default foreground/background.
const DefaultColor = screen.DefaultColor

// Text attributes.
const (
	AttrBold          = screen.AttrBold
	AttrFaint         = screen.AttrFaint
	AttrItalic        = screen.AttrItalic
	AttrBlink         = screen.AttrBlink
	AttrReverse       = screen.AttrReverse
	AttrConceal       = screen.AttrConceal
	AttrStrikethrough = screen.AttrStrikethrough
)

// Underline styles (the SGR 4:n numbering).
const (
	UnderlineNone   = screen.UnderlineNone
	UnderlineSingle = screen.UnderlineSingle
	UnderlineDouble = screen.UnderlineDouble
	UnderlineCurly  = screen.UnderlineCurly
	UnderlineDotted = screen.UnderlineDotted
	UnderlineDashed = screen.UnderlineDashed
)

// IndexedColor returns the indexed colour i (0-15 are the ANSI colours).
func IndexedColor(i uint8) Color { return screen.IndexedColor(i) }

// RGBColor returns a 24-bit colour.
func RGBColor(r, g, b uint8) Color { return screen.RGBColor(r, g, b) }

// Cell is one cell of a rendered screen. A wide character occupies its cell
// (Width 2) and the next one, which has Width 0 and empty Content.
type Cell = screen.Cell

// Line is one screen row: exactly as many cells as the screen has columns.
// ANSI renders it exactly width cells wide; Plain gives its text.
type Line = screen.Line

// Cursor is the emulator's cursor.
type Cursor struct {
	X, Y    int
	Visible bool
}

// Screen is a snapshot of a terminal's visible grid, safe to use from any
// goroutine (it shares nothing with the live emulator).
type Screen struct {
	Cols, Rows int
	Lines      []Line
	Cursor     Cursor
	AltScreen  bool
	Title      string
}

// ANSILines renders every row padded to exactly Cols cells.
func (s *Screen) ANSILines() []string {
	out := make([]string, len(s.Lines))
	var buf []byte
	for i, l := range s.Lines {
		buf = l.AppendANSI(buf[:0], s.Cols)
		out[i] = string(buf)
	}
	return out
}

// PlainLines returns every row as plain text with trailing blanks trimmed.
func (s *Screen) PlainLines() []string {
	out := make([]string, len(s.Lines))
	for i, l := range s.Lines {
		out[i] = l.Plain()
	}
	return out
}

// PlainText is PlainLines joined by newlines, with trailing empty rows dropped.
func (s *Screen) PlainText() string {
	lines := s.PlainLines()
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
