package screen

import (
	"bytes"
	"image/color"

	"github.com/charmbracelet/x/ansi"
)

// maxRepeat bounds REP and similar counts so one sequence cannot stall the
// reader.
const maxRepeat = 1 << 16

// handleControl runs a C0/C1 control character.
func (s *Screen) handleControl(c byte) {
	s.flushGrapheme()
	switch c {
	case ansi.BEL:
		if s.bell != nil {
			s.bell()
		}
	case ansi.BS:
		s.moveCursor(-1, 0)
	case ansi.HT:
		s.nextTab(1)
	case ansi.LF, ansi.VT, ansi.FF:
		s.index()
		if s.modes.newline {
			s.carriageReturn()
		}
	case ansi.CR:
		s.carriageReturn()
	case ansi.SO:
		s.quirks |= quirkShiftOut
		s.gl = 1
	case ansi.SI:
		s.quirks |= quirkShiftOut
		s.gl = 0
	case ansi.IND:
		s.index()
	case ansi.NEL:
		// x/vt has no C1 NEL; ESC E is handled in handleEsc.
	case ansi.HTS:
		s.tabs[s.cur.cur.x] = true
	case ansi.RI:
		s.reverseIndex()
	case ansi.SS2:
		s.single = 2
	case ansi.SS3:
		s.single = 3
	}
}

// index moves the cursor down, scrolling at the bottom margin (IND, LF).
func (s *Screen) index() {
	b := s.cur
	switch {
	case b.cur.y == b.mbot-1:
		s.scrollUp(b.mtop, b.mbot, 1)
	case b.cur.y < b.mbot-1 || b.cur.y >= b.mbot:
		s.moveCursor(0, 1)
	}
	s.pending = false
}

// reverseIndex moves the cursor up, scrolling down at the top margin (RI).
func (s *Screen) reverseIndex() {
	b := s.cur
	if b.cur.y == b.mtop {
		s.scrollDown(b.mtop, b.mbot, 1)
	} else {
		// x/vt keeps the pending wrap across RI.
		p := s.pending
		s.moveCursor(0, -1)
		s.pending = p
	}
}

// carriageReturn moves to column 0.
func (s *Screen) carriageReturn() {
	s.cur.cur.x = 0
	s.pending = false
}

// moveCursor moves relative to the cursor, stopping at the scroll margins
// when the cursor is inside them (CUU, CUD, CUF, CUB, BS).
func (s *Screen) moveCursor(dx, dy int) {
	b := s.cur
	top, bot := 0, s.rows
	if b.cur.y >= b.mtop && b.cur.y < b.mbot {
		top, bot = b.mtop, b.mbot
	}
	b.cur.x = clamp(b.cur.x+dx, 0, s.cols-1)
	b.cur.y = clamp(b.cur.y+dy, top, bot-1)
	s.pending = false
}

// setCursor moves to an absolute screen position (clamped).
func (s *Screen) setCursor(x, y int) {
	s.cur.cur.x = clamp(x, 0, s.cols-1)
	s.cur.cur.y = clamp(y, 0, s.rows-1)
	s.pending = false
}

// setCursorOrigin moves to a position relative to the origin: the top
// margin in origin mode (DECOM), else the screen.
func (s *Screen) setCursorOrigin(x, y int) {
	b := s.cur
	if s.modes.origin {
		b.cur.x = clamp(x, 0, s.cols-1)
		b.cur.y = clamp(b.mtop+y, b.mtop, b.mbot-1)
		s.pending = false
		return
	}
	s.setCursor(x, y)
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }

// nextTab moves to the n-th next tab stop (the last column if none).
func (s *Screen) nextTab(n int) {
	x := s.cur.cur.x
	for range min(n, s.cols) {
		nx := x + 1
		for nx < s.cols && !s.tabs[nx] {
			nx++
		}
		if nx >= s.cols {
			x = s.cols - 1
			break
		}
		x = nx
	}
	s.cur.cur.x = min(x, s.cols-1)
}

// prevTab moves to the n-th previous tab stop (column 0 if none).
func (s *Screen) prevTab(n int) {
	x := s.cur.cur.x
	for range min(n, s.cols) {
		px := x - 1
		for px > 0 && !s.tabs[px] {
			px--
		}
		if px <= 0 {
			x = 0
			break
		}
		x = px
	}
	s.cur.cur.x = max(x, 0)
}

// scrollUp moves rows [top, bot) up by n, blanking n rows at the bottom.
// Rows scrolled off the top of the main screen go to the scrollback.
func (s *Screen) scrollUp(top, bot, n int) {
	n = min(n, bot-top)
	if n <= 0 {
		return
	}
	b := s.cur
	if !s.alt && top == 0 {
		for y := range n {
			s.pushScrollback(b.row(y))
		}
	} else if !s.alt && top == b.mtop && top > 0 {
		s.quirks |= quirkRegionScrollback
	}
	bl := s.blank()
	if top == 0 && bot == s.rows {
		// The whole screen: rotate the ring, O(n) rows.
		for y := range n {
			r := b.row(y)
			fillCells(r.cells, bl)
			r.wrapped = false
		}
		b.top = (b.top + n) % len(b.rows)
	} else {
		s.rotate(top, bot, n)
		for y := bot - n; y < bot; y++ {
			r := b.row(y)
			fillCells(r.cells, bl)
			r.wrapped = false
		}
	}
	s.touchRange(top, bot)
}

// scrollDown moves rows [top, bot) down by n, blanking n rows at the top.
func (s *Screen) scrollDown(top, bot, n int) {
	n = min(n, bot-top)
	if n <= 0 {
		return
	}
	b := s.cur
	s.rotate(top, bot, bot-top-n)
	bl := s.blank()
	for y := top; y < top+n; y++ {
		r := b.row(y)
		fillCells(r.cells, bl)
		r.wrapped = false
	}
	s.touchRange(top, bot)
}

// rotate rotates the row structs of screen rows [top, bot) up by n (row
// top+n becomes row top). Only slice headers move.
func (s *Screen) rotate(top, bot, n int) {
	b := s.cur
	h := bot - top
	n %= h
	if n == 0 {
		return
	}
	tmp := make([]row, h)
	for i := range h {
		tmp[i] = *b.row(top + (i+n)%h)
	}
	for i := range h {
		*b.row(top + i) = tmp[i]
	}
}

func fillCells(c []cell, v cell) {
	for i := range c {
		c[i] = v
	}
}

// erase blanks cells [x0, x1) of row y with the blank cell v.
func (s *Screen) erase(y, x0, x1 int, v cell) {
	x0, x1 = max(x0, 0), min(x1, s.cols)
	if x0 >= x1 {
		return
	}
	r := s.cur.row(y)
	s.prepareOverwrite(r, x0, x1)
	fillCells(r.cells[x0:x1], v)
	s.touch(y)
}

// pushScrollback stores a row leaving the top of the main screen.
func (s *Screen) pushScrollback(r *row) {
	if s.sb.max == 0 {
		return
	}
	l := s.encodeRow(r.cells)
	l.wrapped = r.wrapped
	s.sb.push(l)
}

// handleEsc runs an ESC sequence.
func (s *Screen) handleEsc(cmd ansi.Cmd) {
	s.flushGrapheme()
	inter, final := cmd.Intermediate(), cmd.Final()
	if inter >= '(' && inter <= '+' {
		set := int(inter - '(')
		switch final {
		case 'A':
			s.charsets[set] = charsetUK
		case 'B':
			s.charsets[set] = charsetASCII
		case '0':
			s.charsets[set] = charsetSpecial
		}
		return
	}
	if inter != 0 {
		return
	}
	switch final {
	case '=':
		s.modes.appKeypad = true
	case '>':
		s.modes.appKeypad = false
	case '7':
		s.cur.saved = s.cur.cur
	case '8':
		s.restoreCursor()
	case 'D':
		s.index()
	case 'E': // NEL
		s.quirks |= quirkNEL
		s.index()
		s.carriageReturn()
	case 'H':
		s.tabs[s.cur.cur.x] = true
	case 'M':
		s.reverseIndex()
	case 'c':
		s.fullReset()
	case 'n':
		s.gl = 2
	case 'o':
		s.gl = 3
	case '|':
		s.gr = 3
	case '}':
		s.gr = 2
	case '~':
		s.gr = 1
	}
}

// restoreCursor restores what DECSC saved (the home position and default
// pen if nothing was saved).
func (s *Screen) restoreCursor() {
	s.cur.cur = s.cur.saved
	s.cur.cur.x = clamp(s.cur.cur.x, 0, s.cols-1)
	s.cur.cur.y = clamp(s.cur.cur.y, 0, s.rows-1)
	s.penStyleOK = false
}

// fullReset is RIS: everything but the scrollback and the title returns to
// the power-on state, on the main screen.
func (s *Screen) fullReset() {
	s.reset()
}

// softReset is DECSTR.
func (s *Screen) softReset() {
	s.quirks |= quirkDECSTR
	s.modes.insert = false
	s.modes.origin = false
	s.modes.autoWrap = true
	s.modes.appCursor = false
	s.modes.appKeypad = false
	for i := range s.bufs {
		b := &s.bufs[i]
		b.mtop, b.mbot = 0, s.rows
		b.cur.pen = Style{}
		b.cur.hidden = false
		b.saved = cursor{}
	}
	s.charsets = [4]uint8{}
	s.gl, s.gr, s.single = 0, 1, 0
	s.pending = false
	s.penStyleOK = false
}

// handleOsc runs an OSC sequence: titles (0, 2); everything else is the
// stream filter's business.
func (s *Screen) handleOsc(cmd int, data []byte) {
	s.flushGrapheme()
	switch cmd {
	case 0, 2:
		if i := bytes.IndexByte(data, ';'); i >= 0 {
			s.title = string(data[i+1:])
		}
	case 10, 11, 12, 110, 111, 112:
		s.handleDynamicColor(cmd, data)
	}
}

// handleDynamicColor sets, resets or reports the default foreground (10),
// background (11) or cursor (12) colour, as x/vt does (white on black,
// a white cursor).
func (s *Screen) handleDynamicColor(cmd int, data []byte) {
	slot := &s.dynColors[(cmd%100)-10]
	if cmd >= 110 {
		*slot = nil
		return
	}
	parts := bytes.Split(data, []byte{';'})
	if len(parts) != 2 {
		if len(parts) == 1 {
			*slot = nil
		}
		return
	}
	if string(parts[1]) != "?" {
		if c := ansi.XParseColor(string(parts[1])); c != nil {
			*slot = c
		}
		return
	}
	c := *slot
	if c == nil {
		switch cmd {
		case 11:
			c = color.Black
		default:
			c = color.White
		}
	}
	x := ansi.XRGBColor{Color: c}
	switch cmd {
	case 10:
		s.sendReply(ansi.SetForegroundColor(x.String()))
	case 11:
		s.sendReply(ansi.SetBackgroundColor(x.String()))
	case 12:
		s.sendReply(ansi.SetCursorColor(x.String()))
	}
}

// sendReply hands a reply to the Reply callback.
func (s *Screen) sendReply(str string) {
	if s.reply == nil {
		return
	}
	s.replyBuf = append(s.replyBuf[:0], str...)
	s.reply(s.replyBuf)
}
