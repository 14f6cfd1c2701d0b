package ptyhost

import (
	"strconv"
	"strings"
)

// Color is a compact terminal colour: the default colour, one of the 256
// indexed colours, or 24-bit RGB.
type Color uint32

const (
	colorKindShift        = 24
	colorIndexed   uint32 = 1 << colorKindShift
	colorRGB       uint32 = 2 << colorKindShift
)

// DefaultColor is the terminal's default foreground/background.
const DefaultColor Color = 0

// IndexedColor returns the indexed colour i (0-15 are the ANSI colours).
func IndexedColor(i uint8) Color { return Color(colorIndexed | uint32(i)) }

// RGBColor returns a 24-bit colour.
func RGBColor(r, g, b uint8) Color {
	return Color(colorRGB | uint32(r)<<16 | uint32(g)<<8 | uint32(b))
}

// IsDefault reports whether c is the default colour.
func (c Color) IsDefault() bool { return c == DefaultColor }

// Index returns the palette index and true for an indexed colour.
func (c Color) Index() (uint8, bool) {
	if uint32(c)&^0xffffff != colorIndexed {
		return 0, false
	}
	return uint8(c), true
}

// RGB returns the components and true for a 24-bit colour.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	if uint32(c)&^0xffffff != colorRGB {
		return 0, 0, 0, false
	}
	return uint8(c >> 16), uint8(c >> 8), uint8(c), true
}

// Attr is a set of text attributes.
type Attr uint8

// Text attributes.
const (
	AttrBold Attr = 1 << iota
	AttrFaint
	AttrItalic
	AttrBlink
	AttrReverse
	AttrConceal
	AttrStrikethrough
)

// UnderlineStyle is how text is underlined.
type UnderlineStyle uint8

// Underline styles (the SGR 4:n numbering).
const (
	UnderlineNone UnderlineStyle = iota
	UnderlineSingle
	UnderlineDouble
	UnderlineCurly
	UnderlineDotted
	UnderlineDashed
)

// Style is the look of one cell.
type Style struct {
	Fg, Bg, UnderlineColor Color
	Attrs                  Attr
	Underline              UnderlineStyle
}

// IsZero reports whether s is the default style.
func (s Style) IsZero() bool { return s == Style{} }

// appendColor appends the SGR parameters for c (base 30 for fg, 40 for bg).
func appendColor(b []byte, c Color, base int) []byte {
	if i, ok := c.Index(); ok {
		switch {
		case i < 8:
			return strconv.AppendInt(append(b, ';'), int64(base+int(i)), 10)
		case i < 16 && base != 58:
			return strconv.AppendInt(append(b, ';'), int64(base+60+int(i)-8), 10)
		default:
			b = strconv.AppendInt(append(b, ';'), int64(base+8), 10)
			b = append(b, ";5;"...)
			return strconv.AppendInt(b, int64(i), 10)
		}
	}
	if r, g, bl, ok := c.RGB(); ok {
		b = strconv.AppendInt(append(b, ';'), int64(base+8), 10)
		b = append(b, ";2;"...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, ';')
		b = strconv.AppendInt(b, int64(g), 10)
		b = append(b, ';')
		return strconv.AppendInt(b, int64(bl), 10)
	}
	return b
}

// AppendSGR appends the escape sequence that selects s from a reset state:
// "\x1b[0;…m" (or "\x1b[m" for the default style).
func (s Style) AppendSGR(b []byte) []byte {
	if s.IsZero() {
		return append(b, "\x1b[m"...)
	}
	b = append(b, "\x1b[0"...)
	for _, a := range [...]struct {
		bit  Attr
		code string
	}{
		{AttrBold, ";1"}, {AttrFaint, ";2"}, {AttrItalic, ";3"}, {AttrBlink, ";5"},
		{AttrReverse, ";7"}, {AttrConceal, ";8"}, {AttrStrikethrough, ";9"},
	} {
		if s.Attrs&a.bit != 0 {
			b = append(b, a.code...)
		}
	}
	switch s.Underline {
	case UnderlineNone:
	case UnderlineSingle:
		b = append(b, ";4"...)
	default:
		b = append(b, ";4:"...)
		b = strconv.AppendInt(b, int64(s.Underline), 10)
	}
	b = appendColor(b, s.Fg, 30)
	b = appendColor(b, s.Bg, 40)
	b = appendColor(b, s.UnderlineColor, 58)
	return append(b, 'm')
}

// Cell is one cell of a rendered screen. A wide character occupies its cell
// (Width 2) and the next one, which has Width 0 and empty Content.
type Cell struct {
	Content string
	Width   int
	Style   Style
}

// Line is one screen row: exactly as many cells as the screen has columns.
type Line []Cell

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

// ANSI renders the line as text with SGR styling, exactly width cells wide
// (truncated or padded with default-style spaces), ending in the default style.
func (l Line) ANSI(width int) string {
	var b []byte
	b = l.appendANSI(b, width)
	return string(b)
}

func (l Line) appendANSI(b []byte, width int) []byte {
	cur := Style{}
	x := 0
	for i := 0; i < len(l) && x < width; {
		c := l[i]
		w := c.Width
		content := c.Content
		if w <= 0 || content == "" {
			// A lone continuation or an empty cell still takes one column.
			w, content = 1, " "
		}
		if x+w > width {
			// A wide character cut by the right edge shows as blanks.
			content = strings.Repeat(" ", width-x)
			w = width - x
		}
		if c.Style != cur {
			b = c.Style.AppendSGR(b)
			cur = c.Style
		}
		b = append(b, content...)
		x += w
		step := c.Width
		if step < 1 {
			step = 1
		}
		i += step
	}
	if !cur.IsZero() {
		b = append(b, "\x1b[m"...)
	}
	for ; x < width; x++ {
		b = append(b, ' ')
	}
	return b
}

// Plain returns the line's text without styling, trailing blanks trimmed.
func (l Line) Plain() string {
	var sb strings.Builder
	for i := 0; i < len(l); {
		c := l[i]
		if c.Width <= 0 || c.Content == "" {
			sb.WriteByte(' ')
			i++
			continue
		}
		sb.WriteString(c.Content)
		i += c.Width
	}
	return strings.TrimRight(sb.String(), " ")
}

// ANSILines renders every row padded to exactly Cols cells.
func (s *Screen) ANSILines() []string {
	out := make([]string, len(s.Lines))
	var buf []byte
	for i, l := range s.Lines {
		buf = l.appendANSI(buf[:0], s.Cols)
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
