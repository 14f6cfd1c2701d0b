package ptyhost

// Conversions from x/vt's cells, used by the tests that compare the screen
// engine with x/vt (the reference implementation).

import (
	"io"
	"math"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"

	"github.com/gastown/gt/ptyhost/screen"
)

func styleFrom(s *uv.Style) Style {
	if s.IsZero() {
		return Style{}
	}
	var a Attr
	if s.Attrs&uv.AttrBold != 0 {
		a |= AttrBold
	}
	if s.Attrs&uv.AttrFaint != 0 {
		a |= AttrFaint
	}
	if s.Attrs&uv.AttrItalic != 0 {
		a |= AttrItalic
	}
	if s.Attrs&(uv.AttrBlink|uv.AttrRapidBlink) != 0 {
		a |= AttrBlink
	}
	if s.Attrs&uv.AttrReverse != 0 {
		a |= AttrReverse
	}
	if s.Attrs&uv.AttrConceal != 0 {
		a |= AttrConceal
	}
	if s.Attrs&uv.AttrStrikethrough != 0 {
		a |= AttrStrikethrough
	}
	return Style{
		Fg:             screen.ColorFrom(s.Fg),
		Bg:             screen.ColorFrom(s.Bg),
		UnderlineColor: screen.ColorFrom(s.UnderlineColor),
		Attrs:          a,
		Underline:      UnderlineStyle(s.Underline),
	}
}

func fillLineFromUV(dst Line, src uv.Line) {
	for x := range dst {
		if x >= len(src) {
			dst[x] = Cell{Content: " ", Width: 1}
			continue
		}
		c := &src[x]
		if c.Content == "" && c.Width == 0 {
			// Either the continuation of a wide cell or a zero cell.
			if x > 0 && dst[x-1].Width == 2 {
				dst[x] = Cell{Style: dst[x-1].Style}
				continue
			}
			dst[x] = Cell{Content: " ", Width: 1, Style: styleFrom(&c.Style)}
			continue
		}
		w := c.Width
		if w < 0 || w > 2 {
			w = 1
		}
		if w == 0 {
			w = 1 // a zero-width cluster left alone in a cell
		}
		dst[x] = Cell{Content: c.Content, Width: w, Style: styleFrom(&c.Style)}
	}
	// A wide cell whose continuation fell off the edge, or whose continuation
	// was overwritten, must not claim two columns.
	for x := range dst {
		if dst[x].Width == 2 && (x+1 >= len(dst) || dst[x+1].Width != 0) {
			dst[x].Width = 1
			dst[x].Content = " "
		}
	}
}

// encodeStoredLine renders a scrollback row compactly: SGR + text, no
// padding, trailing default blanks trimmed. It returns the text and its width.
// scratch is reused between calls to avoid an allocation per row.
func encodeStoredLine(buf []byte, src uv.Line, scratch *Line) ([]byte, int) {
	n := len(src)
	for n > 0 {
		c := &src[n-1]
		if (c.Content == " " || c.Content == "") && c.Style.IsZero() && c.Link.IsZero() {
			n--
			continue
		}
		break
	}
	if cap(*scratch) < n {
		*scratch = make(Line, n)
	}
	l := (*scratch)[:n]
	fillLineFromUV(l, src[:n])
	w := 0
	for i := 0; i < len(l); {
		step := l[i].Width
		if step < 1 {
			step = 1
		}
		w += step
		i += step
	}
	return l.AppendANSI(buf, w), w
}

// fillLineFromEmu copies row y of the emulator's active screen into dst.
func fillLineFromEmu(dst Line, e *vt.Emulator, y int) {
	for x := range dst {
		c := e.CellAt(x, y)
		switch {
		case c == nil:
			dst[x] = Cell{Content: " ", Width: 1}
		case c.Content == "" && c.Width == 0:
			if x > 0 && dst[x-1].Width == 2 {
				dst[x] = Cell{Style: dst[x-1].Style}
			} else {
				dst[x] = Cell{Content: " ", Width: 1, Style: styleFrom(&c.Style)}
			}
		default:
			w := c.Width
			if w < 1 || w > 2 {
				w = 1
			}
			dst[x] = Cell{Content: c.Content, Width: w, Style: styleFrom(&c.Style)}
		}
	}
	for x := range dst {
		if dst[x].Width == 2 && (x+1 >= len(dst) || dst[x+1].Width != 0) {
			dst[x] = Cell{Content: " ", Width: 1, Style: dst[x].Style}
		}
	}
}

// newRawEmulator returns a bare x/vt emulator with an unbounded scrollback
// and its reply pipe drained.
func newRawEmulator(cols, rows int) *vt.Emulator {
	e := vt.NewEmulator(cols, rows)
	e.SetScrollbackSize(math.MaxInt32)
	go func() { _, _ = io.Copy(io.Discard, e) }()
	return e
}

// closeEmulator ends the emulator's reply pipe, which stops its pump.
// Emulator.Close would do that too, but it sets a flag that the pump's
// concurrent Read checks without synchronization (a data race in x/vt);
// closing the pipe's write end is synchronized and has the same effect.
func closeEmulator(e *vt.Emulator) {
	if pw, ok := e.InputPipe().(*io.PipeWriter); ok {
		_ = pw.CloseWithError(io.EOF)
		return
	}
	_ = e.Close()
}
