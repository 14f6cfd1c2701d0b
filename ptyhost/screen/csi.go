package screen

import (
	"github.com/charmbracelet/x/ansi"
)

// TerminalName is how the engine answers XTVERSION (CSI > q).
const TerminalName = "gt"

// handleCsi runs a CSI sequence.
func (s *Screen) handleCsi(cmd ansi.Cmd, params ansi.Params) {
	s.flushGrapheme()
	b := s.cur
	param := func(i, def int) int {
		n, _, _ := params.Param(i, def)
		return min(n, maxRepeat)
	}
	switch cmd.Prefix() {
	case '?':
		s.handleDECCsi(cmd, params)
		return
	case '>':
		switch {
		case cmd.Intermediate() != 0 || param(0, 0) != 0:
		case cmd.Final() == 'c': // DA2
			s.sendReply(ansi.SecondaryDeviceAttributes(1, 10, 0))
		case cmd.Final() == 'q': // XTVERSION
			s.sendReply("\x1bP>|" + TerminalName + "\x1b\\")
		}
		return
	case 0:
	default:
		return
	}
	switch cmd.Intermediate() {
	case 0:
	case ' ':
		if cmd.Final() == 'q' { // DECSCUSR
			n := 1
			if p, _, ok := params.Param(0, 0); ok && p > n {
				n = p
			}
			blink := n%2 == 1
			shape := n / 2
			if !blink {
				shape--
			}
			b.cur.shape, b.cur.steady = CursorShape(clamp(shape, 0, 2)), !blink
		}
		return
	case '$':
		if cmd.Final() == 'p' { // DECRQM, ANSI modes
			s.reportMode(param(0, 0), false)
		}
		return
	case '!':
		if cmd.Final() == 'p' {
			s.softReset()
		}
		return
	default:
		return
	}
	x, y := b.cur.x, b.cur.y
	switch cmd.Final() {
	case '@', 'P':
		if y < b.mtop || y >= b.mbot {
			s.quirks |= quirkCharEditOutsideRegion
		}
	case 'L', 'M':
		if b.mtop > 0 {
			s.quirks |= quirkLineEditMovesDown
		}
	}
	switch cmd.Final() {
	case '@': // ICH
		if n := param(0, 1); n > 0 {
			s.insertCells(b.row(y), x, n)
			s.touch(y)
		}
	case 'A': // CUU
		s.moveCursor(0, -param(0, 1))
	case 'B': // CUD
		s.moveCursor(0, param(0, 1))
	case 'C': // CUF
		s.moveCursor(param(0, 1), 0)
	case 'D': // CUB
		s.moveCursor(-param(0, 1), 0)
	case 'E': // CNL
		s.moveCursor(0, param(0, 1))
		s.carriageReturn()
	case 'F': // CPL
		s.moveCursor(0, -param(0, 1))
		s.carriageReturn()
	case 'G': // CHA
		s.setCursor(param(0, 1)-1, y)
	case 'H', 'f': // CUP, HVP
		if s.modes.origin && cmd.Final() == 'f' {
			s.quirks |= quirkOrigin
		}
		s.setCursorOrigin(max(param(1, 1), 1)-1, max(param(0, 1), 1)-1)
	case 'I': // CHT
		s.nextTab(param(0, 1))
	case 'J': // ED
		s.eraseDisplay(param(0, 0))
	case 'K': // EL
		bl := s.blank()
		switch param(0, 0) {
		case 0:
			s.erase(y, x, s.cols, bl)
			s.pending = false
		case 1:
			s.erase(y, 0, x+1, bl)
		case 2:
			s.erase(y, 0, s.cols, bl)
		}
	case 'L': // IL
		if n := param(0, 1); n > 0 && y >= b.mtop && y < b.mbot {
			s.scrollDown(y, b.mbot, n)
			b.cur.x = 0
		}
	case 'M': // DL
		if n := param(0, 1); n > 0 && y >= b.mtop && y < b.mbot {
			s.scrollUp(y, b.mbot, n)
			b.cur.x = 0
		}
	case 'P': // DCH
		if n := param(0, 1); n > 0 {
			s.deleteCells(y, x, n)
		}
	case 'S': // SU
		if n := param(0, 1); n > 0 {
			s.scrollUp(b.mtop, b.mbot, n)
		}
	case 'T': // SD
		if n := param(0, 1); n > 0 {
			s.scrollDown(b.mtop, b.mbot, n)
		}
	case 'X': // ECH
		s.erase(y, x, x+max(param(0, 1), 1), s.blank())
		s.pending = false
	case 'Z': // CBT
		s.prevTab(param(0, 1))
	case '`', 'a', 'e': // HPA, HPR, VPR
		if s.modes.origin {
			s.quirks |= quirkOrigin
		}
	}
	switch cmd.Final() {
	case '`': // HPA
		s.setCursor(param(0, 1)-1, y)
	case 'a': // HPR
		s.setCursor(x+param(0, 1), y)
	case 'b': // REP
		if s.lastChar != 0 {
			for range param(0, 1) {
				s.handlePrint(s.lastChar)
			}
		}
	case 'c': // DA1
		if param(0, 0) == 0 {
			s.sendReply(ansi.PrimaryDeviceAttributes(62, 1, 6, 22))
		}
	case 'd': // VPA
		s.setCursorOrigin(x, param(0, 1)-1)
	case 'e': // VPR
		s.setCursor(x, y+param(0, 1))
	case 'g': // TBC
		switch param(0, 0) {
		case 0:
			s.tabs[x] = false
		case 3:
			clear(s.tabs)
		}
	case 'h', 'l': // SM, RM (ANSI)
		on := cmd.Final() == 'h'
		for _, p := range params {
			switch p.Param(-1) {
			case 4:
				s.modes.insert = on
			case 20:
				s.modes.newline = on
			}
		}
	case 'm': // SGR
		applySGR(&b.cur.pen, params)
		s.penStyleOK = false
	case 'n': // DSR
		switch n, _, ok := params.Param(0, 1); {
		case !ok:
		case n == 5:
			// xterm answers "ready" as CSI 0 n (x/vt sends CSI ? 0 n, see
			// TestXVTBug_DSR5Reply).
			s.sendReply("\x1b[0n")
		case n == 6:
			s.sendReply(ansi.CursorPositionReport(y+1, x+1))
		}
	case 'r': // DECSTBM
		top := max(param(0, 1), 1)
		bot := param(1, s.rows)
		if bot > s.rows {
			s.quirks |= quirkMarginBeyond
		}
		if bot < 1 || bot > s.rows {
			bot = s.rows
		}
		if top < bot {
			b.mtop, b.mbot = top-1, bot
			s.setCursorOrigin(0, 0)
		}
	case 's': // SCOSC
		b.saved = b.cur
	case 'u': // SCORC
		s.quirks |= quirkSCORC
		s.restoreCursor()
	}
}

// eraseDisplay is ED.
func (s *Screen) eraseDisplay(mode int) {
	b := s.cur
	x, y := b.cur.x, b.cur.y
	bl := s.blank()
	switch mode {
	case 0:
		s.erase(y, x, s.cols, bl)
		for yy := y + 1; yy < s.rows; yy++ {
			s.erase(yy, 0, s.cols, bl)
		}
	case 1:
		s.quirks |= quirkED1
		for yy := range y {
			s.erase(yy, 0, s.cols, bl)
		}
		s.erase(y, 0, x+1, bl)
	case 2:
		// Like x/vt (and tmux's scroll-on-clear), the main screen's
		// non-blank rows go to the scrollback before the clear.
		if !s.alt {
			for yy := range s.rows {
				r := b.row(yy)
				if !rowBlank(r.cells) {
					s.pushScrollback(r)
				}
			}
		}
		for yy := range s.rows {
			s.erase(yy, 0, s.cols, cell{})
			b.row(yy).wrapped = false
		}
	case 3:
		s.quirks |= quirkED3
		s.sb.clear()
	}
}

// rowBlank reports whether a row shows nothing but spaces (any style).
func rowBlank(c []cell) bool {
	for _, v := range c {
		if v.ch != 0 && v.ch != ' ' {
			return false
		}
	}
	return true
}

// deleteCells is DCH: cells right of the cursor move left by n.
func (s *Screen) deleteCells(y, x, n int) {
	r := s.cur.row(y)
	c := r.cells
	n = min(n, s.cols-x)
	s.prepareOverwrite(r, x, x)
	copy(c[x:], c[x+n:])
	fillCells(c[s.cols-n:], s.blank())
	fixRowEdges(c)
	s.touch(y)
}

// handleDECCsi runs CSI ? sequences.
func (s *Screen) handleDECCsi(cmd ansi.Cmd, params ansi.Params) {
	switch {
	case cmd.Intermediate() == 0 && (cmd.Final() == 'h' || cmd.Final() == 'l'):
		on := cmd.Final() == 'h'
		for _, p := range params {
			if m := p.Param(-1); m >= 0 {
				s.setDECMode(m, on)
			}
		}
	case cmd.Intermediate() == '$' && cmd.Final() == 'p':
		n, _, _ := params.Param(0, 0)
		s.reportMode(n, true)
	case cmd.Intermediate() == 0 && cmd.Final() == 'n':
		if n, _, ok := params.Param(0, 1); ok && n == 6 {
			c := s.cur.cur
			s.sendReply(ansi.ExtendedCursorPositionReport(c.y+1, c.x+1, 0))
		}
	case cmd.Intermediate() == 0 && cmd.Final() == 'W':
		if len(params) == 1 && params[0] == 5 {
			s.resetTabs()
		}
	}
}

// setDECMode sets or resets DEC private mode m.
func (s *Screen) setDECMode(m int, on bool) {
	md := &s.modes
	switch m {
	case 1:
		md.appCursor = on
	case 6:
		md.origin = on
	case 7:
		md.autoWrap = on
	case 9:
		md.mouseX10 = on
	case 25:
		s.cur.cur.hidden = !on
	case 47, 1047:
		if m == 47 {
			s.quirks |= quirkMode47
		}
		s.setAltScreen(on)
	case 66:
		md.appKeypad = on
	case 1000:
		md.mouseNormal = on
	case 1002:
		md.mouseButton = on
	case 1003:
		md.mouseAny = on
	case 1004:
		md.focus = on
	case 1005:
		md.mouseUTF8 = on
	case 1006:
		md.mouseSGR = on
	case 1015:
		md.mouseURXVT = on
	case 1048:
		if on {
			s.cur.saved = s.cur.cur
		} else {
			s.restoreCursor()
		}
	case 1049:
		if on {
			s.cur.saved = s.cur.cur
		}
		s.setAltScreen(on)
	case 2004:
		md.bracketedPaste = on
	default:
		if s.otherDEC == nil {
			s.otherDEC = map[int]bool{}
		}
		if len(s.otherDEC) < 64 {
			s.otherDEC[m] = on
		}
	}
}

// setAltScreen switches screens. Entering copies the cursor and clears the
// alternate screen.
func (s *Screen) setAltScreen(on bool) {
	if on == s.alt {
		return
	}
	if on {
		s.bufs[1].cur = s.bufs[0].cur
		s.cur = &s.bufs[1]
		s.alt = true
		for y := range s.rows {
			r := s.cur.row(y)
			fillCells(r.cells, cell{})
			r.wrapped = false
		}
		s.setCursor(0, 0)
	} else {
		s.leaveAltScreen()
		s.cur = &s.bufs[0]
		s.alt = false
	}
	s.penStyleOK = false
	s.touchAll()
}

// reportMode answers DECRQM for mode n.
func (s *Screen) reportMode(n int, dec bool) {
	if n <= 0 {
		return
	}
	setting := ansi.ModeNotRecognized
	on, known := s.modeValue(n, dec)
	if known {
		setting = ansi.ModeReset
		if on {
			setting = ansi.ModeSet
		}
	}
	var mode ansi.Mode = ansi.ANSIMode(n)
	if dec {
		mode = ansi.DECMode(n)
	}
	s.sendReply(ansi.ReportMode(mode, setting))
}

// modeValue returns a mode's state and whether the engine knows it.
func (s *Screen) modeValue(n int, dec bool) (on, known bool) {
	md := &s.modes
	if !dec {
		switch n {
		case 4:
			return md.insert, true
		case 20:
			return md.newline, true
		}
		return false, false
	}
	switch n {
	case 1:
		return md.appCursor, true
	case 6:
		return md.origin, true
	case 7:
		return md.autoWrap, true
	case 9:
		return md.mouseX10, true
	case 25:
		return !s.cur.cur.hidden, true
	case 66:
		return md.appKeypad, true
	case 1000:
		return md.mouseNormal, true
	case 1002:
		return md.mouseButton, true
	case 1003:
		return md.mouseAny, true
	case 1004:
		return md.focus, true
	case 1006:
		return md.mouseSGR, true
	case 47, 1047, 1049:
		return s.alt, true
	case 2004:
		return md.bracketedPaste, true
	}
	v, ok := s.otherDEC[n]
	return v, ok
}
