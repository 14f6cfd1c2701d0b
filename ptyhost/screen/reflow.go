package screen

import (
	"unicode/utf8"
	"unsafe"
)

// Reflow (Options.Reflow): on a width change the main screen's logical
// lines (rows joined by the soft-wrap flag, across the scrollback/screen
// boundary) are rewrapped to the new width.
//
// The rows are read as one sequence, scrollback then screen. Each logical
// line is decoded into rcells, laid out again at the new width and
// encoded as scrollback lines (a single row that already fits is kept as
// it is). Of the resulting rows, the screen shows the last `rows` ones
// (blank rows below the cursor do not count), or fewer when the cursor's
// row would otherwise fall above the screen; the rows before go to the
// scrollback, whose limit drops the oldest.

// rcell is one column of a logical line while it is rewrapped: width
// independent, styles and clusters by value, so that building the result
// never interns anything until the new grid is in place.
type rcell struct {
	// str is the content when it is not ch (clusters, scrollback text).
	str string
	st  Style
	// ch is the content when str is "": 0 for an erased blank, or a rune.
	ch uint32
	// w is the width: 1, 2 for a wide character, 0 for its right half.
	w uint8
}

// blank reports whether c is an erased (never written) cell.
func (c *rcell) blank() bool { return c.str == "" && c.ch == 0 && c.w == 1 }

// space reports whether c shows nothing (an erased cell or a space).
func (c *rcell) space() bool {
	return c.w == 1 && (c.blank() || c.str == " " || (c.str == "" && c.ch == ' '))
}

// appendRcells appends the cells of l, cols of them, to dst: its text,
// then erased blanks.
func (l *sbLine) appendRcells(dst []rcell, cols int) []rcell {
	l.cells(cols, func(content string, w int, st Style, _ bool) {
		dst = append(dst, rcell{str: content, st: st, w: uint8(w)})
		if w == 2 {
			dst = append(dst, rcell{st: st})
		}
	})
	return dst
}

// width returns the number of columns l's text takes.
func (l *sbLine) width() int {
	if !l.cellLens {
		return int(l.textLen)
	}
	n := (len(l.data) - int(l.textLen) - int(l.nRuns)*runSize) / cellSize
	w := 0
	for i := range n {
		_, cw := l.cellLen(i)
		w += cw
	}
	return w
}

// startsWide reports whether l's first cell is a wide character.
func (l *sbLine) startsWide() bool {
	if !l.cellLens || l.textLen == 0 {
		return false
	}
	_, w := l.cellLen(0)
	return w == 2
}

// encodeRcells encodes cells as a scrollback line in sb's arena, the same
// layout encodeRow writes (trailing default blanks trimmed).
func encodeRcells(sb *scrollback, c []rcell) sbLine {
	end := len(c)
	for end > 0 && c[end-1].blank() && c[end-1].st.IsZero() {
		end--
	}
	e := newLineEncoder(sb)
	cur := Style{}
	for x := 0; x < end; x++ {
		v := &c[x]
		if v.w == 0 {
			continue
		}
		if v.st != cur {
			e.style(x, v.st)
			cur = v.st
		}
		before := len(e.text)
		switch {
		case v.str != "":
			e.text = append(e.text, v.str[:min(len(v.str), cellWide-1)]...)
		case v.ch == 0:
			e.text = append(e.text, ' ')
		case v.ch < utf8.RuneSelf:
			e.text = append(e.text, byte(v.ch))
		default:
			e.text = utf8.AppendRune(e.text, rune(v.ch))
		}
		e.cellAdded(before, v.w == 2)
	}
	return e.finish(end, !cur.IsZero())
}

// reflowState is the output side of a reflow: finished rows go to the new
// scrollback as soon as they are certain to end above the screen.
type reflowState struct {
	ns      scrollback
	pending []sbLine // rows not yet placed, from index head
	head    int
	placed  int // rows pushed to ns (or dropped by its limit)
	rows    int
	// curRow, curX: where the cursor went (curRow -1 until known); savRow,
	// savX the same for the saved cursor (DECSC).
	curRow, curX int
	savRow, savX int
	out          []rcell // scratch: the row being laid out
}

// next is the index of the next row emitted.
func (r *reflowState) next() int { return r.placed + len(r.pending) - r.head }

// emit appends a finished row.
func (r *reflowState) emit(l sbLine) {
	r.pending = append(r.pending, l)
	limit := r.placed + len(r.pending) - r.head - r.rows
	if r.curRow >= 0 {
		limit = min(limit, r.curRow)
	}
	r.flush(limit)
}

// flush moves rows to the scrollback until limit rows are there.
func (r *reflowState) flush(limit int) {
	for r.placed < limit && r.head < len(r.pending) {
		if r.ns.max > 0 {
			r.ns.push(r.pending[r.head])
		}
		r.head++
		r.placed++
	}
	if r.head > 256 && r.head*2 > len(r.pending) {
		n := copy(r.pending, r.pending[r.head:])
		r.pending = r.pending[:n]
		r.head = 0
	}
}

// reflowMain rewraps b, a main screen of oldCols x oldRows, and the
// scrollback to cols x rows, installs the result as the main buffer and
// reports whether the cursor ends after the last column (a pending wrap).
// pend says it was on a pending wrap.
func (s *Screen) reflowMain(b *buffer, oldCols, oldRows, cols, rows int, pend bool) (pending bool) {
	nsb := s.sb.len()
	curRow := nsb + b.cur.y
	curOff := b.cur.x
	if pend {
		curOff++ // the cursor is after the last column
	}
	savRow, savOff := nsb+b.saved.y, b.saved.x
	wrapped := func(i int) bool {
		if i < nsb {
			return s.sb.at(i).wrapped
		}
		return b.row(i - nsb).wrapped
	}
	// Blank rows below the cursor are not content: drop them (the screen
	// is padded again at the bottom).
	last := nsb + oldRows - 1
	for last > max(curRow, savRow) && !wrapped(last) && !wrapped(last-1) && blankRow(b.row(last-nsb).cells) {
		last--
	}

	st := &reflowState{rows: rows, curRow: -1, savRow: -1}
	st.ns.max = s.sb.max
	st.ns.text, st.ns.runs, st.ns.cells = s.sb.text, s.sb.runs, s.sb.cells
	var line []rcell
	for i := 0; i <= last; {
		start := i
		for i < last && wrapped(i) {
			i++
		}
		end := i
		i++
		if start == end && start < nsb && start != curRow && start != savRow {
			if l := s.sb.at(start); l.width() <= cols {
				// One row that fits: keep it, copied to the new arena.
				nl := *l
				nl.wrapped = false
				if len(l.data) > 0 {
					nl.data = st.ns.store(unsafe.Slice(unsafe.StringData(l.data), len(l.data)))
				}
				st.emit(nl)
				continue
			}
		}
		// Decode the logical line.
		line = line[:0]
		curIdx, savIdx := -1, -1
		for r := start; r <= end; r++ {
			rowStart := len(line)
			var next func() bool
			if r < nsb {
				line = s.sb.at(r).appendRcells(line, oldCols)
			} else {
				for _, v := range b.row(r - nsb).cells {
					line = append(line, s.rcellOf(v))
				}
			}
			if r == curRow {
				curIdx = rowStart + curOff
			}
			if r == savRow {
				savIdx = rowStart + savOff
			}
			if r < end {
				// A blank in the last column before a wide character that
				// starts the next row is the padding left by a wrap.
				if r+1 < nsb {
					next = s.sb.at(r + 1).startsWide
				} else {
					next = func() bool { return b.row(r + 1 - nsb).cells[0].kind == kindWide }
				}
				if n := len(line); n > rowStart && line[n-1].blank() && next() {
					line = line[:n-1]
				}
			}
		}
		// Trailing default blanks are not content, but the cursors' cells
		// are.
		keep := max(curIdx, savIdx)
		n := len(line)
		for n > 0 && n > keep && line[n-1].blank() && line[n-1].st.IsZero() {
			n--
		}
		line = line[:n]
		// Blanks before the last written cell are shown the same as
		// spaces; make them spaces so that no later layout takes one for
		// wrap padding.
		lastText := n - 1
		for lastText >= 0 && line[lastText].blank() {
			lastText--
		}
		for j := 0; j < lastText; j++ {
			if line[j].blank() {
				line[j].ch = ' '
			}
		}
		// Trailing default spaces after the cursor are soft: kept as far
		// as they fit on the line's last row, never the cause of another
		// row (styled ones show, they are content).
		soft := n
		for soft > 0 && soft-1 > keep && line[soft-1].space() && line[soft-1].st.IsZero() {
			soft--
		}
		st.layoutLine(line, cols, curIdx, savIdx, soft)
	}

	// Place the screen: the last rows (the cursor's row at least).
	total := st.next()
	if st.curRow < 0 {
		st.curRow, st.curX = total-1, 0
	}
	if st.savRow < 0 {
		st.savRow, st.savX = st.curRow, st.curX
	}
	w0 := max(0, min(total-rows, st.curRow))
	st.flush(w0)
	nb := newBuffer(cols, rows)
	nb.cur, nb.saved = b.cur, b.saved
	s.bufs[0] = nb // before interning: a table compaction sees the new grid
	nb2 := &s.bufs[0]
	var tmp []rcell
	for y := 0; y < rows && st.head+y < len(st.pending); y++ {
		l := &st.pending[st.head+y]
		tmp = l.appendRcells(tmp[:0], l.width())
		s.setRow(nb2.row(y), tmp)
		nb2.row(y).wrapped = l.wrapped
	}
	pending = st.curX >= cols
	nb2.cur.x, nb2.cur.y = clamp(st.curX, 0, cols-1), clamp(st.curRow-w0, 0, rows-1)
	nb2.saved.x, nb2.saved.y = clamp(st.savX, 0, cols-1), clamp(st.savRow-w0, 0, rows-1)
	s.sb.text, s.sb.runs, s.sb.cells = st.ns.text, st.ns.runs, st.ns.cells
	s.sb.lines, s.sb.head, s.sb.arena = st.ns.lines, st.ns.head, st.ns.arena
	return pending
}

// layoutLine lays a logical line out in rows of cols columns and emits
// them; curIdx and savIdx (-1: none) are the cursor's and the saved
// cursor's cells, soft where the trailing spaces that may be dropped
// start. Rows are encoded straight from slices of line (which it may
// modify).
func (st *reflowState) layoutLine(line []rcell, cols, curIdx, savIdx, soft int) {
	if cols == 1 {
		// A wide character cannot show in one column: dropped, as on
		// output. An index moves with the cells before it (one on a
		// dropped character goes to the next cell).
		n := len(line)
		nc, ns, nso := curIdx, savIdx, soft
		j := 0
		for k := range n {
			if k == curIdx {
				nc = j
			}
			if k == savIdx {
				ns = j
			}
			if k == soft {
				nso = j
			}
			if line[k].w == 1 {
				line[j] = line[k]
				j++
			}
		}
		after := func(idx, nidx int) int {
			if idx >= n {
				return j + idx - n
			}
			return nidx
		}
		curIdx, savIdx, soft = after(curIdx, nc), after(savIdx, ns), after(soft, nso)
		line = line[:j]
	}
	x, rowStart := 0, 0
	emit := func(end int, wrapped bool) {
		l := encodeRcells(&st.ns, line[rowStart:end])
		l.wrapped = wrapped
		st.emit(l)
		rowStart, x = end, 0
	}
	i := 0
	for i < len(line) {
		w := int(line[i].w)
		switch {
		case w == 0: // a stray right half: a blank
			line[i] = rcell{st: line[i].st, w: 1}
			w = 1
		case w == 2 && (i+1 >= len(line) || line[i+1].w != 0):
			line[i].w = 1 // a left half without its right one
			w = 1
		}
		if i >= soft && ((x == 0 && i > rowStart) || x+w > cols) {
			break
		}
		if x+w > cols {
			emit(i, true)
		}
		if curIdx >= i && curIdx < i+w {
			st.curRow, st.curX = st.next(), x+curIdx-i
		}
		if savIdx >= i && savIdx < i+w {
			st.savRow, st.savX = st.next(), x+savIdx-i
		}
		x += w
		i += w
	}
	if curIdx >= i {
		st.curRow, st.curX = st.next(), x
	}
	if savIdx >= i {
		st.savRow, st.savX = st.next(), x
	}
	emit(i, false)
}

// rcellOf converts a grid cell.
func (s *Screen) rcellOf(v cell) rcell {
	st := s.styles[v.style]
	switch {
	case v.kind == kindCont:
		return rcell{st: st}
	case v.ch&clusterBit != 0:
		c := rcell{str: s.content(v.ch), st: st, w: 1}
		if v.kind == kindWide {
			c.w = 2
		}
		return c
	case v.kind == kindWide:
		return rcell{ch: v.ch, st: st, w: 2}
	}
	return rcell{ch: v.ch, st: st, w: 1}
}

// setRow writes cells (at most the row's width) into a grid row.
func (s *Screen) setRow(r *row, c []rcell) {
	lastSt, lastIdx := Style{}, uint16(0)
	for x := 0; x < len(c) && x < len(r.cells); x++ {
		v := &c[x]
		if v.st != lastSt {
			lastSt, lastIdx = v.st, s.intern(v.st)
		}
		var ch uint32
		switch {
		case v.w == 0:
			r.cells[x] = cell{style: lastIdx, kind: kindCont}
			continue
		case v.str == "":
			ch = v.ch
		case v.str == " " && v.w == 1:
			ch = ' '
		default:
			if rr, n := utf8.DecodeRuneInString(v.str); n == len(v.str) {
				ch = uint32(rr)
			} else {
				ch = s.internCluster([]byte(v.str))
				lastSt, lastIdx = Style{}, 0 // a compaction renumbers styles
				lastIdx = s.intern(v.st)
				lastSt = v.st
			}
		}
		k := kindNarrow
		if v.w == 2 {
			k = kindWide
		}
		r.cells[x] = cell{ch: ch, style: lastIdx, kind: k}
	}
	fixRowEdges(r.cells)
}

// blankRow reports whether a row holds only default erased cells.
func blankRow(c []cell) bool {
	for _, v := range c {
		if v != (cell{}) {
			return false
		}
	}
	return true
}

// deferredMain is the main screen as it was when the first resize with the
// alternate screen active came: tmux keeps the main screen and its history
// untouched while an application owns the alternate screen, and reflows
// them once it leaves.
type deferredMain struct {
	buf        buffer
	cols, rows int
}

// leaveAltScreen brings the main screen to the current size when the
// alternate screen is left after resizes.
func (s *Screen) leaveAltScreen() {
	d := s.deferred
	if d == nil {
		return
	}
	s.deferred = nil
	if d.cols == s.cols && d.rows == s.rows {
		s.bufs[0] = d.buf
		return
	}
	// Also for a height-only change: the cursor's row stays on screen
	// (the rows above it go to the scrollback, blank rows below it first).
	s.reflowMain(&d.buf, d.cols, d.rows, s.cols, s.rows, false)
}
