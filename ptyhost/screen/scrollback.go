package screen

import (
	"strings"
	"unicode/utf8"
)

// sbLine is one scrollback row in compact form: the row's text with
// trailing default blanks trimmed, and its styles as runs. A plain 80-column
// line costs its text plus a 40-byte header, not 80 cells.
type sbLine struct {
	text string
	// runs are the style changes, in column order; nil for a line all in
	// the default style.
	runs []styleRun
	// cells is nil when every cell is one ASCII byte; otherwise it holds,
	// per cell (continuations excluded), the content's byte length, with
	// cellWide set for a two-column character. Grapheme boundaries cannot
	// be recomputed from the text: a cluster ending in ZWJ would join its
	// neighbour.
	cells []uint16
}

// cellWide marks a two-column cell in sbLine.cells.
const cellWide = 1 << 15

// styleRun starts style st at column col.
type styleRun struct {
	col uint16
	st  Style
}

// scrollback is a fixed-capacity FIFO of rows; push is O(1).
type scrollback struct {
	lines []sbLine
	head  int // index of the oldest row once full
	max   int
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
}

// encodeRow turns grid cells into a scrollback line.
func (s *Screen) encodeRow(c []cell) sbLine {
	end := len(c)
	for end > 0 && c[end-1].ch == 0 && c[end-1].kind == kindNarrow && c[end-1].style == 0 {
		end--
	}
	var l sbLine
	var sb strings.Builder
	sb.Grow(end)
	cur := uint16(0)
	for x := 0; x < end; x++ {
		v := c[x]
		if v.kind == kindCont {
			continue
		}
		if v.style != cur {
			l.runs = append(l.runs, styleRun{col: uint16(x), st: s.styles[v.style]})
			cur = v.style
		}
		n := 1
		switch {
		case v.ch == 0:
			sb.WriteByte(' ')
		case v.ch < utf8.RuneSelf:
			sb.WriteByte(byte(v.ch))
		default:
			str := s.content(v.ch)
			n = min(len(str), cellWide-1)
			sb.WriteString(str[:n])
		}
		if (n != 1 || v.kind == kindWide) && l.cells == nil {
			// The first cell that is not one narrow byte: record every
			// cell's length from here on (the earlier ones were 1).
			l.cells = make([]uint16, 0, end)
			for range sb.Len() - n {
				l.cells = append(l.cells, 1)
			}
		}
		if l.cells != nil {
			w := uint16(n)
			if v.kind == kindWide {
				w |= cellWide
			}
			l.cells = append(l.cells, w)
		}
	}
	if cur != 0 && end < len(c) {
		l.runs = append(l.runs, styleRun{col: uint16(end)})
	}
	l.text = sb.String()
	if l.runs != nil {
		l.runs = append([]styleRun(nil), l.runs...) // drop spare capacity
	}
	return l
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

// decode appends the cells of l (exactly cols of them) to dst.
func (l *sbLine) decode(dst Line, cols int) Line {
	ri := 0
	st := Style{}
	x := 0
	text := l.text
	for i := 0; len(text) > 0 && x < cols; i++ {
		for ri < len(l.runs) && int(l.runs[ri].col) <= x {
			st = l.runs[ri].st
			ri++
		}
		n, w := 1, 1
		if l.cells != nil && i < len(l.cells) {
			n = int(l.cells[i] &^ cellWide)
			if l.cells[i]&cellWide != 0 {
				w = 2
			}
		}
		n = min(n, len(text))
		cl := text[:n]
		text = text[n:]
		if x+w > cols {
			break
		}
		dst = append(dst, Cell{Content: cl, Width: w, Style: st})
		if w == 2 {
			dst = append(dst, Cell{Style: st})
		}
		x += w
	}
	for x < cols {
		for ri < len(l.runs) && int(l.runs[ri].col) <= x {
			st = l.runs[ri].st
			ri++
		}
		dst = append(dst, Cell{Content: " ", Width: 1, Style: st})
		x++
	}
	return dst
}
