package screen

import (
	"strings"
	"unicode/utf8"
)

// Cell is one cell as a renderer sees it. A wide character occupies its
// cell (Width 2) and the next one, which has Width 0 and empty Content.
type Cell struct {
	Content string
	Width   int
	Style   Style
}

// Line is one row: exactly as many cells as the screen has columns.
type Line []Cell

// Modes are the input-related modes the application enabled.
type Modes struct {
	AppCursorKeys  bool // DECCKM
	AppKeypad      bool // DECKPAM / ?66
	BracketedPaste bool // ?2004
	FocusEvents    bool // ?1004
	AltScreen      bool // ?47/?1047/?1049
	MouseX10       bool // ?9
	MouseNormal    bool // ?1000
	MouseButton    bool // ?1002
	MouseAny       bool // ?1003
	MouseUTF8      bool // ?1005
	MouseSGR       bool // ?1006
	MouseURXVT     bool // ?1015
	AutoWrap       bool // DECAWM
	Insert         bool // IRM
	Origin         bool // DECOM
}

// Modes returns the current modes.
func (s *Screen) Modes() Modes {
	m := s.modes
	return Modes{
		AppCursorKeys: m.appCursor, AppKeypad: m.appKeypad, BracketedPaste: m.bracketedPaste,
		FocusEvents: m.focus, AltScreen: s.alt, MouseX10: m.mouseX10, MouseNormal: m.mouseNormal,
		MouseButton: m.mouseButton, MouseAny: m.mouseAny, MouseUTF8: m.mouseUTF8,
		MouseSGR: m.mouseSGR, MouseURXVT: m.mouseURXVT, AutoWrap: m.autoWrap,
		Insert: m.insert, Origin: m.origin,
	}
}

// CellAt returns the cell at (x, y) of the visible grid.
func (s *Screen) CellAt(x, y int) Cell {
	if x < 0 || y < 0 || x >= s.cols || y >= s.rows {
		return Cell{}
	}
	return s.cellOf(s.cur.row(y).cells[x])
}

func (s *Screen) cellOf(v cell) Cell {
	st := s.styles[v.style]
	switch v.kind {
	case kindCont:
		return Cell{Style: st}
	case kindWide:
		return Cell{Content: s.content(v.ch), Width: 2, Style: st}
	}
	return Cell{Content: s.content(v.ch), Width: 1, Style: st}
}

// AppendLine appends visible row y (exactly Cols cells) to dst.
func (s *Screen) AppendLine(dst Line, y int) Line {
	if y < 0 || y >= s.rows {
		return dst
	}
	for _, v := range s.cur.row(y).cells {
		dst = append(dst, s.cellOf(v))
	}
	return dst
}

// RowWrapped reports whether visible row y continues on the next row (it
// ended in an automatic wrap).
func (s *Screen) RowWrapped(y int) bool {
	return y >= 0 && y < s.rows && s.cur.row(y).wrapped
}

// ScrollbackLen returns the number of rows in the scrollback.
func (s *Screen) ScrollbackLen() int { return s.sb.len() }

// AppendScrollbackLine appends scrollback row i (0 = the oldest) as
// exactly Cols cells to dst.
func (s *Screen) AppendScrollbackLine(dst Line, i int) Line {
	if i < 0 || i >= s.sb.len() {
		return dst
	}
	return s.sb.at(i).decode(dst, s.cols)
}

// ScrollbackWrapped reports whether scrollback row i (0 = the oldest)
// continues on the next row (it ended in an automatic wrap).
func (s *Screen) ScrollbackWrapped(i int) bool {
	return i >= 0 && i < s.sb.len() && s.sb.at(i).wrapped
}

// ScrollbackText returns scrollback row i's text, trailing blanks trimmed.
func (s *Screen) ScrollbackText(i int) string {
	if i < 0 || i >= s.sb.len() {
		return ""
	}
	return strings.TrimRight(s.sb.at(i).text(), " ")
}

// ClearScrollback drops the scrollback.
func (s *Screen) ClearScrollback() { s.sb.clear() }

// AppendRowANSI appends visible row y rendered with SGR styling, exactly
// width cells wide (truncated or padded with default blanks), ending in the
// default style. It reads the grid directly: no Cell values are built.
func (s *Screen) AppendRowANSI(b []byte, y, width int) []byte {
	if y < 0 || y >= s.rows {
		return b
	}
	cells := s.cur.row(y).cells
	cur := uint16(0)
	x := 0
	for x < width && x < len(cells) {
		v := cells[x]
		w := 1
		if v.kind == kindWide {
			w = 2
		}
		if v.style != cur {
			b = s.styles[v.style].AppendSGR(b)
			cur = v.style
		}
		switch {
		case v.kind == kindCont || (w == 2 && x+1 >= width):
			b = append(b, ' ')
			w = 1
		case v.ch == 0:
			b = append(b, ' ')
		case v.ch < utf8.RuneSelf:
			b = append(b, byte(v.ch))
		case v.ch&clusterBit == 0:
			b = utf8.AppendRune(b, rune(v.ch))
		default:
			b = append(b, s.content(v.ch)...)
		}
		x += w
	}
	if cur != 0 {
		b = append(b, "\x1b[m"...)
	}
	for ; x < width; x++ {
		b = append(b, ' ')
	}
	return b
}

// ANSI renders the line with SGR styling, exactly width cells wide.
func (l Line) ANSI(width int) string {
	return string(l.AppendANSI(nil, width))
}

// AppendANSI appends what ANSI returns.
func (l Line) AppendANSI(b []byte, width int) []byte {
	cur := Style{}
	x := 0
	for i := 0; i < len(l) && x < width; {
		c := l[i]
		w, content := c.Width, c.Content
		if w <= 0 || content == "" {
			w, content = 1, " "
		}
		if x+w > width {
			content = strings.Repeat(" ", width-x)
			w = width - x
		}
		if c.Style != cur {
			b = c.Style.AppendSGR(b)
			cur = c.Style
		}
		b = append(b, content...)
		x += w
		i += max(c.Width, 1)
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

// Resize changes the grid size (each at least 1). Without
// Options.Reflow, rows keep their content from the top, cut or padded at
// the right and bottom (no reflow, as x/vt). With it, a width change
// rewraps the main screen and its scrollback (reflow.go); a height-only
// change and the alternate screen are cut or padded. Margins and tab stops
// reset and the cursor is clamped.
func (s *Screen) Resize(cols, rows int) {
	cols, rows = max(cols, 1), max(rows, 1)
	if cols == s.cols && rows == s.rows {
		return
	}
	s.flushGrapheme()
	// With the alternate screen active the main screen is reflowed when
	// the application leaves it (leaveAltScreen); until then it is cut or
	// padded like the alternate one.
	reflow := s.reflow && cols != s.cols && !s.alt
	if s.reflow && s.alt && s.deferred == nil && (cols != s.cols || rows != s.rows) {
		s.deferred = &deferredMain{buf: s.bufs[0], cols: s.cols, rows: s.rows}
	}
	pending := false
	if reflow {
		pending = s.reflowMain(&s.bufs[0], s.cols, s.rows, cols, rows, s.pending) && s.modes.autoWrap
	}
	if s.pending && s.cur.cur.x < cols-1 && !reflow {
		s.pending = false
		s.cur.cur.x++
	}
	for i := range s.bufs {
		if i == 0 && reflow {
			continue
		}
		s.bufs[i] = resizeBuffer(&s.bufs[i], cols, rows)
	}
	s.cols, s.rows = cols, rows
	s.resetTabs()
	s.setCursor(s.cur.cur.x, s.cur.cur.y)
	s.pending = pending
	s.touchAll()
}

// resizeBuffer copies b into a buffer of the new size.
func resizeBuffer(b *buffer, cols, rows int) buffer {
	nb := newBuffer(cols, rows)
	for y := range min(rows, len(b.rows)) {
		src := b.row(y)
		dst := nb.row(y)
		copy(dst.cells, src.cells)
		dst.wrapped = src.wrapped
		fixRowEdges(dst.cells)
	}
	// Both screens' cursors must fit, not only the active one: the other
	// becomes active on the next switch.
	nb.cur, nb.saved = b.cur, b.saved
	nb.cur.x, nb.cur.y = clamp(nb.cur.x, 0, cols-1), clamp(nb.cur.y, 0, rows-1)
	nb.saved.x, nb.saved.y = clamp(nb.saved.x, 0, cols-1), clamp(nb.saved.y, 0, rows-1)
	return nb
}
