package screen

import (
	"fmt"
	"io"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/vt"
)

// state is what the differential tests compare: the visible grid, the
// cursor, the screen in use and the scrollback, all normalized to Cells.
type state struct {
	cols, rows int
	lines      []Line
	cx, cy     int
	hidden     bool
	alt        bool
	sb         []Line
	panicked   bool // the engine panicked (x/vt only)
}

// reference wraps an x/vt emulator with its reply pipe drained.
type reference struct {
	e       *vt.Emulator
	replies chan []byte
}

func newReference(cols, rows int) *reference {
	e := vt.NewEmulator(cols, rows)
	r := &reference{e: e, replies: make(chan []byte, 1024)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := e.Read(buf)
			if n > 0 {
				select {
				case r.replies <- append([]byte(nil), buf[:n]...):
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

// close ends the reply pipe, which stops the pump. Emulator.Close sets a
// flag the pump's concurrent Read checks unsynchronized (a data race in
// x/vt); closing the pipe's write end has the same effect, synchronized.
func (r *reference) close() {
	if pw, ok := r.e.InputPipe().(*io.PipeWriter); ok {
		_ = pw.CloseWithError(io.EOF)
		return
	}
	_ = r.e.Close()
}

// fromUV converts a row of x/vt cells (nil past the end).
func fromUV(cols int, at func(x int) *uv.Cell) Line {
	dst := make(Line, cols)
	for x := range dst {
		c := at(x)
		if c == nil {
			dst[x] = Cell{Content: " ", Width: 1}
			continue
		}
		dst[x] = Cell{Content: c.Content, Width: c.Width, Style: styleOf(&c.Style)}
	}
	return normalize(dst)
}

// normalize rewrites a row the way ptyhost renders it: empty cells are
// blanks, a continuation takes its wide character's style, and halves of
// wide characters that lost their partner are blanks in their own style.
func normalize(l Line) Line {
	dst := make(Line, len(l))
	for x, c := range l {
		switch {
		case c.Content == "" && c.Width == 0:
			if x > 0 && dst[x-1].Width == 2 {
				dst[x] = Cell{Style: dst[x-1].Style}
			} else {
				dst[x] = Cell{Content: " ", Width: 1, Style: c.Style}
			}
		default:
			w := min(max(c.Width, 1), 2)
			content := c.Content
			if content == "" {
				content = " "
			}
			dst[x] = Cell{Content: content, Width: w, Style: c.Style}
		}
	}
	for x := range dst {
		if dst[x].Width == 2 && (x+1 >= len(dst) || dst[x+1].Width != 0) {
			dst[x] = Cell{Content: " ", Width: 1, Style: dst[x].Style}
		}
	}
	return dst
}

// styleOf converts an ultraviolet style.
func styleOf(s *uv.Style) Style {
	if s.IsZero() {
		return Style{}
	}
	var a Attr
	for _, m := range [...]struct {
		uv uint8
		us Attr
	}{
		{uv.AttrBold, AttrBold}, {uv.AttrFaint, AttrFaint}, {uv.AttrItalic, AttrItalic},
		{uv.AttrBlink, AttrBlink}, {uv.AttrRapidBlink, AttrBlink}, {uv.AttrReverse, AttrReverse},
		{uv.AttrConceal, AttrConceal}, {uv.AttrStrikethrough, AttrStrikethrough},
	} {
		if s.Attrs&m.uv != 0 {
			a |= m.us
		}
	}
	return Style{
		Fg: ColorFrom(s.Fg), Bg: ColorFrom(s.Bg), UnderlineColor: ColorFrom(s.UnderlineColor),
		Attrs: a, Underline: UnderlineStyle(s.Underline),
	}
}

func (r *reference) state() state {
	e := r.e
	st := state{cols: e.Width(), rows: e.Height(), alt: e.IsAltScreen()}
	for y := range st.rows {
		st.lines = append(st.lines, fromUV(st.cols, func(x int) *uv.Cell { return e.CellAt(x, y) }))
	}
	p := e.CursorPosition()
	st.cx, st.cy, st.hidden = p.X, p.Y, e.CursorHidden()
	if sb := e.Scrollback(); sb != nil {
		for _, l := range sb.Lines() {
			st.sb = append(st.sb, fromUV(st.cols, func(x int) *uv.Cell {
				if x < len(l) {
					return &l[x]
				}
				if x == len(l) && x > 0 && l[x-1].Width == 2 {
					// x/vt trims a trailing continuation cell.
					return &uv.Cell{}
				}
				return nil
			}))
		}
	}
	return st
}

func ourState(s *Screen) state {
	st := state{cols: s.cols, rows: s.rows, alt: s.AltScreen()}
	for y := range s.rows {
		st.lines = append(st.lines, normalize(s.AppendLine(nil, y)))
	}
	c := s.Cursor()
	st.cx, st.cy, st.hidden = c.X, c.Y, !c.Visible
	for i := range s.ScrollbackLen() {
		st.sb = append(st.sb, normalize(s.AppendScrollbackLine(nil, i)))
	}
	return st
}

// diffStates describes the differences between want (x/vt) and got (ours);
// "" when they agree.
func diffStates(want, got state) string {
	var b strings.Builder
	if want.panicked {
		b.WriteString("x/vt panicked\n")
	}
	if want.cx != got.cx || want.cy != got.cy {
		fmt.Fprintf(&b, "cursor: x/vt (%d,%d), ours (%d,%d)\n", want.cx, want.cy, got.cx, got.cy)
	}
	if want.hidden != got.hidden {
		fmt.Fprintf(&b, "cursor hidden: x/vt %v, ours %v\n", want.hidden, got.hidden)
	}
	if want.alt != got.alt {
		fmt.Fprintf(&b, "alt screen: x/vt %v, ours %v\n", want.alt, got.alt)
	}
	diffLines(&b, "row", want.lines, got.lines)
	if len(want.sb) != len(got.sb) {
		fmt.Fprintf(&b, "scrollback: x/vt %d rows, ours %d\n", len(want.sb), len(got.sb))
	}
	n := min(len(want.sb), len(got.sb))
	diffLines(&b, "scrollback row", want.sb[len(want.sb)-n:], got.sb[len(got.sb)-n:])
	return b.String()
}

func diffLines(b *strings.Builder, what string, want, got []Line) {
	shown := 0
	for y := range min(len(want), len(got)) {
		w, g := want[y], got[y]
		for x := range min(len(w), len(g)) {
			if w[x] != g[x] {
				if shown < 6 {
					fmt.Fprintf(b, "%s %d col %d: x/vt %+v, ours %+v\n  x/vt %q\n  ours %q\n", what, y, x, w[x], g[x], w.Plain(), g.Plain())
				}
				shown++
				break
			}
		}
	}
	if shown > 6 {
		fmt.Fprintf(b, "… %d %ss differ\n", shown, what)
	}
}

// feedBoth writes the chunks to both engines (same chunking) and returns
// their states.
func feedBoth(t testing.TB, cols, rows int, chunks ...[]byte) (ref, ours state, s *Screen) {
	t.Helper()
	r := newReference(cols, rows)
	defer r.close()
	s = New(cols, rows, Options{Scrollback: vt.DefaultScrollbackSize})
	panicked := false
	for _, c := range chunks {
		_, _ = s.Write(c)
		if !panicked {
			func() {
				defer func() {
					if p := recover(); p != nil {
						panicked = true
					}
				}()
				_, _ = r.e.Write(c)
			}()
		}
	}
	ref = r.state()
	if panicked {
		ref.panicked = true
	}
	return ref, ourState(s), s
}

// requireSame fails the test when the engines disagree.
func requireSame(t *testing.T, name string, cols, rows int, chunks ...[]byte) {
	t.Helper()
	ref, ours, _ := feedBoth(t, cols, rows, chunks...)
	if d := diffStates(ref, ours); d != "" {
		t.Errorf("%s: engines differ:\n%s", name, d)
	}
}
