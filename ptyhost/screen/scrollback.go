package screen

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

// sbLine is one scrollback row in compact form, packed into one string in
// the scrollback's arena: the row's text (trailing default blanks trimmed),
// then its style runs, then (only for rows with anything but one-byte
// narrow cells) each cell's byte length. A plain 80-column log line costs
// its text plus this 24-byte header; no allocation per line.
type sbLine struct {
	data    string
	textLen uint32
	nRuns   uint16
	// cellLens says per-cell lengths follow the runs.
	cellLens bool
	// wrapped says the row ended in an automatic wrap: its logical line
	// continues on the next row (what reflow joins). It fits in the
	// header's padding, so a line costs no more.
	wrapped bool
}

// Packed layout sizes.
const (
	runSize  = 16 // col uint16, Fg, Bg, UnderlineColor uint32, Attrs, Underline uint8
	cellSize = 2  // byte length, cellWide set for a two-column cell
	// cellWide marks a two-column cell in the per-cell lengths.
	cellWide = 1 << 15
	// arenaChunk is the size of one arena allocation. A chunk lives until
	// the last row in it leaves the scrollback.
	arenaChunk = 64 << 10
)

// scrollback is a fixed-capacity FIFO of rows; push is O(1).
type scrollback struct {
	lines []sbLine
	head  int // index of the oldest row once full
	max   int
	arena []byte // the chunk being filled; earlier bytes are never written again
	// scratch buffers for encoding a row
	text, runs, cells []byte
}

func (r *scrollback) len() int { return len(r.lines) }

func (r *scrollback) push(l sbLine) {
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

func (r *scrollback) at(i int) *sbLine {
	if len(r.lines) < r.max {
		return &r.lines[i]
	}
	return &r.lines[(r.head+i)%r.max]
}

func (r *scrollback) clear() {
	r.lines = nil
	r.head = 0
	r.arena = nil
}

// store copies parts into the arena and returns them as one string that
// shares the arena's memory. Bytes handed out are never modified again,
// so the string stays immutable.
func (r *scrollback) store(parts ...[]byte) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	if cap(r.arena)-len(r.arena) < n {
		r.arena = make([]byte, 0, max(arenaChunk, n))
	}
	off := len(r.arena)
	for _, p := range parts {
		r.arena = append(r.arena, p...)
	}
	return unsafe.String(&r.arena[off], n)
}

// encodeRow turns grid cells into a scrollback line in the scrollback's
// arena.
func (s *Screen) encodeRow(c []cell) sbLine { return s.encodeRowTo(&s.sb, c) }

// lineEncoder packs one scrollback line (text, style runs, per-cell
// lengths once a cell is not one narrow byte) in a scrollback's scratch
// buffers; finish stores it in the arena. Grid rows and reflowed lines are
// both encoded with it.
type lineEncoder struct {
	sb                *scrollback
	text, runs, cells []byte
	nRuns             int
	haveLens          bool
}

func newLineEncoder(sb *scrollback) lineEncoder {
	return lineEncoder{sb: sb, text: sb.text[:0], runs: sb.runs[:0], cells: sb.cells[:0]}
}

// style starts style st at column col.
func (e *lineEncoder) style(col int, st Style) {
	e.runs = appendRun(e.runs, col, st)
	e.nRuns++
}

// cellAdded records the cell whose bytes were appended to e.text from
// offset before on: from the first cell that is not one narrow byte on,
// every cell's length is kept (the earlier ones were 1).
func (e *lineEncoder) cellAdded(before int, wide bool) {
	n := len(e.text) - before
	if (n != 1 || wide) && !e.haveLens {
		e.haveLens = true
		for range before {
			e.cells = binary.LittleEndian.AppendUint16(e.cells, 1)
		}
	}
	if e.haveLens {
		w := uint16(n)
		if wide {
			w |= cellWide
		}
		e.cells = binary.LittleEndian.AppendUint16(e.cells, w)
	}
}

// finish stores the line in the arena, ending in the default style at
// column end when another style was in force (the line may be decoded
// wider after a resize).
func (e *lineEncoder) finish(end int, styled bool) sbLine {
	if styled {
		e.style(end, Style{})
	}
	sb := e.sb
	sb.text, sb.runs, sb.cells = e.text, e.runs, e.cells
	return sbLine{
		data:     sb.store(e.text, e.runs, e.cells),
		textLen:  uint32(len(e.text)),
		nRuns:    uint16(min(e.nRuns, 1<<16-1)),
		cellLens: e.haveLens,
	}
}

// encodeRowTo is encodeRow into sb's arena.
func (s *Screen) encodeRowTo(sb *scrollback, c []cell) sbLine {
	end := len(c)
	for end > 0 && c[end-1].ch == 0 && c[end-1].kind == kindNarrow && c[end-1].style == 0 {
		end--
	}
	e := newLineEncoder(sb)
	cur := uint16(0)
	for x := 0; x < end; x++ {
		v := c[x]
		if v.style == cur && v.kind == kindNarrow && v.ch < utf8.RuneSelf && !e.haveLens {
			// The common case: a one-byte cell in the current style.
			b := byte(v.ch)
			if b == 0 {
				b = ' '
			}
			e.text = append(e.text, b)
			continue
		}
		if v.kind == kindCont {
			continue
		}
		if v.style != cur {
			e.style(x, s.styles[v.style])
			cur = v.style
		}
		before := len(e.text)
		switch {
		case v.ch == 0:
			e.text = append(e.text, ' ')
		case v.ch < utf8.RuneSelf:
			e.text = append(e.text, byte(v.ch))
		case v.ch&clusterBit == 0:
			e.text = utf8.AppendRune(e.text, rune(v.ch))
		default:
			str := s.content(v.ch)
			e.text = append(e.text, str[:min(len(str), cellWide-1)]...)
		}
		e.cellAdded(before, v.kind == kindWide)
	}
	return e.finish(end, cur != 0)
}

// appendRun appends the encoding that run reads: the column the style starts
// at, then the style (runSize bytes).
func appendRun(b []byte, col int, st Style) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(col))
	b = binary.LittleEndian.AppendUint32(b, uint32(st.Fg))
	b = binary.LittleEndian.AppendUint32(b, uint32(st.Bg))
	b = binary.LittleEndian.AppendUint32(b, uint32(st.UnderlineColor))
	return append(b, byte(st.Attrs), byte(st.Underline))
}

// run returns style run i of l.
func (l *sbLine) run(i int) (col int, st Style) {
	p := l.data[int(l.textLen)+i*runSize:]
	u16 := func(o int) uint16 { return uint16(p[o]) | uint16(p[o+1])<<8 }
	u32 := func(o int) uint32 { return uint32(u16(o)) | uint32(u16(o+2))<<16 }
	return int(u16(0)), Style{
		Fg: Color(u32(2)), Bg: Color(u32(6)), UnderlineColor: Color(u32(10)),
		Attrs: Attr(p[14]), Underline: UnderlineStyle(p[15]),
	}
}

// cellLen returns the byte length and width of cell i, for rows with
// per-cell lengths.
func (l *sbLine) cellLen(i int) (n, w int) {
	o := int(l.textLen) + int(l.nRuns)*runSize + i*cellSize
	if o+1 >= len(l.data) {
		return 1, 1
	}
	v := uint16(l.data[o]) | uint16(l.data[o+1])<<8
	if v&cellWide != 0 {
		return int(v &^ cellWide), 2
	}
	return int(v), 1
}

// content returns the text of a cell value.
func (s *Screen) content(ch uint32) string {
	switch {
	case ch == 0:
		return " "
	case ch&clusterBit != 0:
		if i := int(ch &^ clusterBit); i < len(s.clusters) {
			return s.clusters[i]
		}
		return " "
	case ch < utf8.RuneSelf:
		return asciiStrings[ch : ch+1]
	default:
		return string(rune(ch))
	}
}

// asciiStrings lets one-byte cell contents be sliced without allocating.
const asciiStrings = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// cells calls fn for each of the first cols columns of l, left to right:
// the text's cells (a wide character once, with w 2; one cut by the right
// edge ends the text), then erased blanks (blank set, content "") up to
// cols, each with the style in force at its column.
func (l *sbLine) cells(cols int, fn func(content string, w int, st Style, blank bool)) {
	ri := 0
	nextCol, nextSt := -1, Style{}
	if l.nRuns > 0 {
		nextCol, nextSt = l.run(0)
	}
	st := Style{}
	advance := func(x int) {
		for nextCol >= 0 && nextCol <= x {
			st = nextSt
			ri++
			if ri < int(l.nRuns) {
				nextCol, nextSt = l.run(ri)
			} else {
				nextCol = -1
			}
		}
	}
	x := 0
	text := l.data[:l.textLen]
	for i := 0; len(text) > 0 && x < cols; i++ {
		advance(x)
		n, w := 1, 1
		if l.cellLens {
			n, w = l.cellLen(i)
		}
		n = min(max(n, 1), len(text))
		cl := text[:n]
		text = text[n:]
		if x+w > cols {
			break
		}
		fn(cl, w, st, false)
		x += w
	}
	for ; x < cols; x++ {
		advance(x)
		fn("", 1, st, true)
	}
}

// decode appends the cells of l (exactly cols of them) to dst.
func (l *sbLine) decode(dst Line, cols int) Line {
	l.cells(cols, func(content string, w int, st Style, blank bool) {
		if blank {
			content = " "
		}
		dst = append(dst, Cell{Content: content, Width: w, Style: st})
		if w == 2 {
			dst = append(dst, Cell{Style: st})
		}
	})
	return dst
}

// text returns the row's text.
func (l *sbLine) text() string { return l.data[:l.textLen] }
