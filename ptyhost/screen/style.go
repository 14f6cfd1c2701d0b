package screen

import (
	"image/color"
	"strconv"

	"github.com/charmbracelet/x/ansi"
)

// Color is a compact terminal colour: the default colour, one of the 256
// indexed colours, or 24-bit RGB. Its encoding is the same as ptyhost.Color.
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

// ColorFrom converts an image/color value as x/ansi produces it (BasicColor,
// IndexedColor, TrueColor, RGBA) into a Color; nil is the default colour.
func ColorFrom(c color.Color) Color {
	switch v := c.(type) {
	case nil:
		return DefaultColor
	case ansi.BasicColor:
		return IndexedColor(uint8(v))
	case ansi.IndexedColor:
		return IndexedColor(uint8(v))
	case ansi.TrueColor:
		return RGBColor(uint8(v>>16), uint8(v>>8), uint8(v))
	case color.RGBA:
		if v.A == 0 {
			return DefaultColor
		}
		return RGBColor(v.R, v.G, v.B)
	default:
		r, g, b, a := c.RGBA()
		if a == 0 {
			return DefaultColor
		}
		return RGBColor(uint8(r>>8), uint8(g>>8), uint8(b>>8))
	}
}

// Attr is a set of text attributes.
type Attr uint8

// Text attributes (the same bits as ptyhost.Attr).
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

// String names the underline style.
func (u UnderlineStyle) String() string {
	switch u {
	case UnderlineSingle:
		return "single"
	case UnderlineDouble:
		return "double"
	case UnderlineCurly:
		return "curly"
	case UnderlineDotted:
		return "dotted"
	case UnderlineDashed:
		return "dashed"
	default:
		return "none"
	}
}

// Style is the look of one cell.
type Style struct {
	Fg, Bg, UnderlineColor Color
	Attrs                  Attr
	Underline              UnderlineStyle
}

// IsZero reports whether s is the default style.
func (s Style) IsZero() bool { return s == Style{} }

// applySGR updates the pen from SGR parameters the way xterm (and x/vt's
// ultraviolet ReadStyle) does.
func applySGR(pen *Style, params ansi.Params) {
	if len(params) == 0 {
		*pen = Style{}
		return
	}
	for i := 0; i < len(params); i++ {
		p, more, _ := params.Param(i, 0)
		switch {
		case p == 0:
			*pen = Style{}
		case p == 1:
			pen.Attrs |= AttrBold
		case p == 2:
			pen.Attrs |= AttrFaint
		case p == 3:
			pen.Attrs |= AttrItalic
		case p == 4:
			next, _, ok := params.Param(i+1, 0)
			if more && ok {
				if next >= 0 && next <= 5 {
					i++
					pen.Underline = UnderlineStyle(next)
				}
			} else {
				pen.Underline = UnderlineSingle
			}
		case p == 5 || p == 6:
			pen.Attrs |= AttrBlink
		case p == 7:
			pen.Attrs |= AttrReverse
		case p == 8:
			pen.Attrs |= AttrConceal
		case p == 9:
			pen.Attrs |= AttrStrikethrough
		case p == 22:
			pen.Attrs &^= AttrBold | AttrFaint
		case p == 23:
			pen.Attrs &^= AttrItalic
		case p == 24:
			pen.Underline = UnderlineNone
		case p == 25:
			pen.Attrs &^= AttrBlink
		case p == 27:
			pen.Attrs &^= AttrReverse
		case p == 28:
			pen.Attrs &^= AttrConceal
		case p == 29:
			pen.Attrs &^= AttrStrikethrough
		case p >= 30 && p <= 37:
			pen.Fg = IndexedColor(uint8(p - 30))
		case p == 38 || p == 48 || p == 58:
			var c color.Color
			if n := ansi.ReadStyleColor(params[i:], &c); n > 0 {
				switch p {
				case 38:
					pen.Fg = ColorFrom(c)
				case 48:
					pen.Bg = ColorFrom(c)
				default:
					pen.UnderlineColor = ColorFrom(c)
				}
				i += n - 1
			}
		case p == 39:
			pen.Fg = DefaultColor
		case p >= 40 && p <= 47:
			pen.Bg = IndexedColor(uint8(p - 40))
		case p == 49:
			pen.Bg = DefaultColor
		case p == 59:
			pen.UnderlineColor = DefaultColor
		case p >= 90 && p <= 97:
			pen.Fg = IndexedColor(uint8(p - 90 + 8))
		case p >= 100 && p <= 107:
			pen.Bg = IndexedColor(uint8(p - 100 + 8))
		}
	}
}

// appendColor appends the SGR parameters for c (base 30 for fg, 40 for bg,
// 58 for the underline colour, which has only the extended 58;5;n and
// 58;2;r;g;b forms).
func appendColor(b []byte, c Color, base int) []byte {
	ext := base + 8 // 38, 48
	if base == 58 {
		ext = 58
	}
	if i, ok := c.Index(); ok {
		switch {
		case i < 8 && base != 58:
			return strconv.AppendInt(append(b, ';'), int64(base+int(i)), 10)
		case i < 16 && base != 58:
			return strconv.AppendInt(append(b, ';'), int64(base+60+int(i)-8), 10)
		default:
			b = strconv.AppendInt(append(b, ';'), int64(ext), 10)
			b = append(b, ";5;"...)
			return strconv.AppendInt(b, int64(i), 10)
		}
	}
	if r, g, bl, ok := c.RGB(); ok {
		b = strconv.AppendInt(append(b, ';'), int64(ext), 10)
		b = append(b, ";2;"...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, ';')
		b = strconv.AppendInt(b, int64(g), 10)
		b = append(b, ';')
		return strconv.AppendInt(b, int64(bl), 10)
	}
	return b
}

// AppendSGR appends the escape sequence that selects s from any state:
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
