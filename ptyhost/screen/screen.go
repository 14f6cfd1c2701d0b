package screen

import (
	"image/color"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/ansi/parser"
)

// DefaultScrollback is the scrollback length used when Options.Scrollback
// is 0.
const DefaultScrollback = 10000

// maxStyles bounds the style table (cells hold a 16-bit index); when it is
// full the table is rebuilt from the styles still on screen.
const maxStyles = 1 << 16

// maxClusters bounds the grapheme-cluster table the same way.
const maxClusters = 1 << 16

// CursorShape is the DECSCUSR cursor shape.
type CursorShape uint8

// Cursor shapes.
const (
	CursorBlock CursorShape = iota
	CursorUnderline
	CursorBar
)

// String names the shape.
func (c CursorShape) String() string {
	switch c {
	case CursorUnderline:
		return "underline"
	case CursorBar:
		return "bar"
	default:
		return "block"
	}
}

// Cursor is the cursor of the active screen.
type Cursor struct {
	X, Y    int
	Visible bool
	Shape   CursorShape
	Blink   bool
	// PendingWrap: the last character was printed in the last column and
	// the next one wraps first (DECAWM).
	PendingWrap bool
}

// Options configure a Screen.
type Options struct {
	// Scrollback is the number of rows kept after they scroll off the top
	// of the main screen (0 means DefaultScrollback, negative means none).
	Scrollback int
	// Reply receives answers to queries (DA1, DA2, DSR, DECRQM), in order,
	// synchronously from Write; nil discards them. The slice is only valid
	// during the call.
	Reply func([]byte)
	// Bell is called for each BEL; nil ignores it.
	Bell func()
	// Reflow rewraps soft-wrapped lines of the main screen and the
	// scrollback when the width changes (as tmux does), instead of cutting
	// or padding rows (as x/vt does). The alternate screen is never
	// reflowed; the main screen behind it is, when the application leaves
	// it (as tmux does).
	Reflow bool
}

// Screen is a terminal screen engine. The zero value is not usable; call
// New.
type Screen struct {
	cols, rows int
	bufs       [2]buffer
	cur        *buffer // &bufs[0] or &bufs[1]
	alt        bool

	styles     []Style
	styleIdx   map[Style]uint16
	clusters   []string
	clusterIdx map[string]uint32
	// penStyle caches the style index of the active pen.
	penStyle   uint16
	penStyleOK bool

	parser *ansi.Parser

	modes    modeSet
	otherDEC map[int]bool // DEC modes without a field, for DECRQM
	pending  bool         // pending wrap (xterm's "last column flag")
	tabs     []bool
	charsets [4]uint8 // charsetASCII, charsetUK, charsetSpecial
	gl, gr   int
	single   int
	grapheme []byte
	lastChar rune
	title    string
	gen      uint64
	sb       scrollback
	reply    func([]byte)
	bell     func()
	reflow   bool
	// deferred is the main screen waiting to be reflowed when the
	// alternate screen is left (reflow.go).
	deferred *deferredMain
	replyBuf []byte
	// dynColors are the OSC 10/11/12 colours (nil: the default).
	dynColors [3]color.Color
	// quirks records which behaviours where x/vt v0.1.0 differs from
	// xterm this stream has used (the differential tests skip those
	// streams; each has a TestXVTBug_* test).
	quirks quirk
}

// quirk is a set of behaviours where x/vt v0.1.0 is documented to differ.
type quirk uint32

// The documented x/vt differences.
const (
	quirkWideLastColumn        quirk = 1 << iota // TestXVTBug_WideCharAtLastColumn
	quirkWideNoWrap                              // TestXVTBug_WideCharAtMarginNoPendingWrap
	quirkMarginBeyond                            // TestXVTBug_DECSTBMBeyondScreen
	quirkSCORC                                   // TestXVTBug_SCORCIgnored
	quirkNEL                                     // TestXVTBug_NELIgnored
	quirkDECSTR                                  // TestXVTBug_DECSTRIgnored
	quirkMode47                                  // TestXVTBug_Mode47Ignored
	quirkED3                                     // TestXVTBug_ED3ClearsScreen
	quirkIRM                                     // TestXVTBug_InsertModeIgnored
	quirkED1                                     // TestXVTBug_ED1ErasesWholeRow
	quirkOrigin                                  // TestXVTBug_OriginModeRelativeMoves
	quirkRegionScrollback                        // TestXVTBug_RegionScrollFillsScrollback
	quirkShiftOut                                // TestXVTBug_ShiftOutIgnored
	quirkCharEditOutsideRegion                   // TestXVTBug_CharEditOutsideRegion
	quirkLineEditMovesDown                       // TestXVTBug_LineEditMovesCursorDown
)

// modeSet holds the modes the engine acts on or reports.
type modeSet struct {
	autoWrap       bool // DECAWM ?7
	insert         bool // IRM 4
	newline        bool // LNM 20
	origin         bool // DECOM ?6
	appCursor      bool // DECCKM ?1
	appKeypad      bool // DECNKM ?66 / DECKPAM
	bracketedPaste bool // ?2004
	focus          bool // ?1004
	mouseX10       bool // ?9
	mouseNormal    bool // ?1000
	mouseButton    bool // ?1002
	mouseAny       bool // ?1003
	mouseUTF8      bool // ?1005
	mouseSGR       bool // ?1006
	mouseURXVT     bool // ?1015
}

// New returns a screen of cols x rows (each at least 1).
func New(cols, rows int, opts Options) *Screen {
	cols, rows = max(cols, 1), max(rows, 1)
	s := &Screen{
		cols:       cols,
		rows:       rows,
		styles:     []Style{{}},
		styleIdx:   map[Style]uint16{{}: 0},
		clusterIdx: map[string]uint32{},
		parser:     ansi.NewParser(),
		reply:      opts.Reply,
		bell:       opts.Bell,
		reflow:     opts.Reflow,
	}
	n := opts.Scrollback
	if n == 0 {
		n = DefaultScrollback
	}
	s.sb.max = max(n, 0)
	s.parser.SetParamsSize(32)
	s.parser.SetDataSize(4096)
	s.parser.SetHandler(ansi.Handler{
		Print:     s.handlePrint,
		Execute:   s.handleControl,
		HandleCsi: s.handleCsi,
		HandleEsc: s.handleEsc,
		HandleOsc: s.handleOsc,
		HandleDcs: func(ansi.Cmd, ansi.Params, []byte) { s.flushGrapheme() },
		HandleApc: func([]byte) { s.flushGrapheme() },
		HandlePm:  func([]byte) { s.flushGrapheme() },
		HandleSos: func([]byte) { s.flushGrapheme() },
	})
	s.reset()
	return s
}

// reset puts everything but the scrollback and size in the power-on state.
func (s *Screen) reset() {
	// The scrollback stays: bring it to the current width first.
	s.leaveAltScreen()
	s.bufs[0] = newBuffer(s.cols, s.rows)
	s.bufs[1] = newBuffer(s.cols, s.rows)
	s.cur = &s.bufs[0]
	s.alt = false
	s.modes = modeSet{autoWrap: true}
	s.otherDEC = nil
	s.pending = false
	s.resetTabs()
	s.charsets = [4]uint8{}
	s.gl, s.gr, s.single = 0, 1, 0
	s.grapheme = s.grapheme[:0]
	s.lastChar = 0
	s.penStyleOK = false
	s.compactTables()
	s.touchAll()
}

func (s *Screen) resetTabs() {
	s.tabs = make([]bool, s.cols)
	for x := 8; x < s.cols; x += 8 {
		s.tabs[x] = true
	}
}

// Size returns the grid size.
func (s *Screen) Size() (cols, rows int) { return s.cols, s.rows }

// AltScreen reports whether the alternate screen is active.
func (s *Screen) AltScreen() bool { return s.alt }

// Title returns the last OSC 0/2 title.
func (s *Screen) Title() string { return s.title }

// Generation returns a counter that grows whenever anything on the visible
// grid changes; RowGeneration tells which rows.
func (s *Screen) Generation() uint64 { return s.gen }

// RowGeneration returns the generation at which visible row y last changed
// (0 for a row out of range).
func (s *Screen) RowGeneration(y int) uint64 {
	if y < 0 || y >= s.rows {
		return 0
	}
	return s.cur.row(y).gen
}

// DirtyRows appends to dst the visible rows changed after generation since.
func (s *Screen) DirtyRows(dst []int, since uint64) []int {
	for y := range s.rows {
		if s.cur.row(y).gen > since {
			dst = append(dst, y)
		}
	}
	return dst
}

// Cursor returns the active screen's cursor.
func (s *Screen) Cursor() Cursor {
	c := s.cur.cur
	return Cursor{X: c.x, Y: c.y, Visible: !c.hidden, Shape: c.shape, Blink: !c.steady, PendingWrap: s.pending}
}

// Pen returns the style the next printed character gets.
func (s *Screen) Pen() Style { return s.cur.cur.pen }

// touch marks row y changed.
func (s *Screen) touch(y int) {
	s.gen++
	s.cur.row(y).gen = s.gen
}

// touchRange marks rows [y0, y1) changed.
func (s *Screen) touchRange(y0, y1 int) {
	s.gen++
	for y := y0; y < y1; y++ {
		s.cur.row(y).gen = s.gen
	}
}

func (s *Screen) touchAll() { s.touchRange(0, s.rows) }

// Write feeds application output to the screen. It never fails; it
// implements io.Writer. A grapheme cluster is completed at the end of each
// Write (as x/vt does): callers that may split clusters across writes hold
// the tail back (ptyhost's stream filter does).
func (s *Screen) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if s.parser.State() == parser.GroundState && p[0] >= 0x20 && p[0] < 0x7f {
			i := 1
			for i < len(p) && p[i] >= 0x20 && p[i] < 0x7f {
				i++
			}
			s.printASCII(p[:i])
			p = p[i:]
			continue
		}
		if p[0] >= 0xc2 && p[0] <= 0xf4 && s.parser.State() == parser.GroundState {
			// A whole, valid UTF-8 character in the ground state: what the
			// parser would hand to Print, without its byte-at-a-time walk.
			if r, n := utf8.DecodeRune(p); r != utf8.RuneError && r >= 0xa0 {
				s.handlePrint(r)
				p = p[n:]
				continue
			}
		}
		s.parser.Advance(p[0])
		p = p[1:]
	}
	s.flushGrapheme()
	return n, nil
}

// Ground reports whether the parser is between sequences (not inside an
// unfinished escape sequence or UTF-8 character), so bytes written next are
// read on their own.
func (s *Screen) Ground() bool { return s.parser.State() == parser.GroundState }

// WriteString is Write for a string.
func (s *Screen) WriteString(str string) (int, error) { return s.Write([]byte(str)) }

// printASCII prints a run of printable ASCII bytes. It keeps x/vt's
// grapheme semantics: the last byte stays buffered because a following
// combining mark may extend it.
func (s *Screen) printASCII(run []byte) {
	if len(s.grapheme) > 0 {
		if len(s.grapheme) == 1 && s.grapheme[0] < 0x80 {
			s.printRune(rune(s.grapheme[0]))
			s.grapheme = s.grapheme[:0]
		} else {
			s.flushGrapheme()
		}
	}
	last := len(run) - 1
	if s.modes.insert || s.single != 0 || s.charsets[s.gl] != charsetASCII {
		for _, b := range run[:last] {
			s.printRune(rune(b))
		}
	} else {
		s.printPlain(run[:last])
	}
	s.grapheme = append(s.grapheme, run[last])
}

// printPlain writes ASCII bytes with no charset, insert mode or single
// shift in effect: whole row spans at a time.
func (s *Screen) printPlain(run []byte) {
	if len(run) == 0 {
		return
	}
	st := s.pen()
	b := s.cur
	for len(run) > 0 {
		if s.pending && s.modes.autoWrap {
			s.wrap()
		}
		x, y := b.cur.x, b.cur.y
		r := b.row(y)
		n := min(len(run), s.cols-x)
		s.prepareOverwrite(r, x, x+n)
		cells := r.cells[x : x+n]
		for i, c := range run[:n] {
			cells[i] = cell{ch: uint32(c), style: st}
		}
		s.lastChar = rune(run[n-1])
		run = run[n:]
		s.touch(y)
		if x+n >= s.cols {
			b.cur.x = s.cols - 1
			if s.modes.autoWrap {
				s.pending = true
			} else if len(run) > 0 {
				// Without auto-wrap the rest overwrites the last column;
				// only the final byte remains.
				last := run[len(run)-1]
				r.cells[s.cols-1] = cell{ch: uint32(last), style: st}
				s.lastChar = rune(last)
				run = nil
			}
		} else {
			b.cur.x = x + n
			s.pending = false
		}
	}
}

// prepareOverwrite breaks wide characters cut by writing [x0, x1) of r:
// their other halves become blanks in their own style.
func (s *Screen) prepareOverwrite(r *row, x0, x1 int) {
	c := r.cells
	if x0 < len(c) && c[x0].kind == kindCont && x0 > 0 {
		c[x0-1] = cell{style: c[x0-1].style}
	}
	if x1 > 0 && x1 < len(c) && c[x1-1].kind == kindWide {
		c[x1] = cell{style: c[x1].style}
	}
	if x1 < len(c) && c[x1].kind == kindCont && (x1 == x0 || c[x1-1].kind != kindWide) {
		c[x1] = cell{style: c[x1].style}
	}
}

// wrap moves to the start of the next row for a pending auto-wrap.
func (s *Screen) wrap() {
	b := s.cur
	b.row(b.cur.y).wrapped = true
	s.index()
	b.cur.x = 0
	s.pending = false
}

// pen returns the style index of the pen.
func (s *Screen) pen() uint16 {
	if !s.penStyleOK {
		s.penStyle = s.intern(s.cur.cur.pen)
		s.penStyleOK = true
	}
	return s.penStyle
}

// blank returns an erased cell: the pen's background only (BCE).
func (s *Screen) blank() cell {
	bg := s.cur.cur.pen.Bg
	if bg == DefaultColor {
		return cell{}
	}
	return cell{style: s.intern(Style{Bg: bg})}
}

// intern returns the index of st in the style table.
func (s *Screen) intern(st Style) uint16 {
	if i, ok := s.styleIdx[st]; ok {
		return i
	}
	if len(s.styles) >= maxStyles {
		s.compactTables()
		if i, ok := s.styleIdx[st]; ok {
			return i
		}
		if len(s.styles) >= maxStyles {
			return 0 // every index is on screen: fall back to the default
		}
	}
	i := uint16(len(s.styles))
	s.styles = append(s.styles, st)
	s.styleIdx[st] = i
	return i
}

// internCluster returns the cell value for a multi-rune cluster.
func (s *Screen) internCluster(c []byte) uint32 {
	if i, ok := s.clusterIdx[string(c)]; ok { // no allocation for the lookup
		return clusterBit | i
	}
	if len(s.clusters) >= maxClusters {
		s.compactTables()
	}
	i := uint32(len(s.clusters))
	str := string(c)
	s.clusters = append(s.clusters, str)
	s.clusterIdx[str] = i
	return clusterBit | i
}

// compactTables rebuilds the style and cluster tables from what the two
// grids and the cursors still use.
func (s *Screen) compactTables() {
	oldStyles, oldClusters := s.styles, s.clusters
	s.styles = append(make([]Style, 0, 64), Style{})
	s.styleIdx = map[Style]uint16{{}: 0}
	s.clusters = nil
	s.clusterIdx = map[string]uint32{}
	bufs := []*buffer{&s.bufs[0], &s.bufs[1]}
	if s.deferred != nil {
		bufs = append(bufs, &s.deferred.buf)
	}
	for _, b := range bufs {
		for ri := range b.rows {
			cells := b.rows[ri].cells
			for i := range cells {
				c := &cells[i]
				if int(c.style) < len(oldStyles) {
					c.style = s.intern(oldStyles[c.style])
				} else {
					c.style = 0
				}
				if c.ch&clusterBit != 0 {
					if j := int(c.ch &^ clusterBit); j < len(oldClusters) {
						c.ch = s.internCluster([]byte(oldClusters[j]))
					} else {
						c.ch = ' '
					}
				}
			}
		}
	}
	s.penStyleOK = false
}

// printRune is the slow path for one printable rune (charsets, insert
// mode, single shifts), keeping x/vt's grapheme buffering.
func (s *Screen) handlePrint(r rune) {
	if r >= 0x20 && r < 0x7f {
		if len(s.grapheme) == 1 && s.grapheme[0] >= 0x20 && s.grapheme[0] < 0x7f {
			s.printRune(rune(s.grapheme[0]))
			s.grapheme = append(s.grapheme[:0], byte(r))
			return
		}
		s.flushGrapheme()
	}
	s.grapheme = utf8.AppendRune(s.grapheme, r)
}

// flushGrapheme prints the buffered runes as grapheme clusters.
func (s *Screen) flushGrapheme() {
	g := s.grapheme
	if len(g) == 0 {
		return
	}
	if len(g) == 1 {
		s.printRune(rune(g[0]))
		s.grapheme = g[:0]
		return
	}
	for len(g) > 0 {
		cl, w := ansi.FirstGraphemeCluster(g, ansi.GraphemeWidth)
		if len(cl) == 0 {
			break
		}
		s.printCluster(cl, w)
		g = g[len(cl):]
	}
	s.grapheme = s.grapheme[:0]
}

// printRune prints a single-rune cluster of width 1.
func (s *Screen) printRune(r rune) {
	s.printCell(uint32(r), 1, true)
}

// printCluster prints a grapheme cluster of the given width.
func (s *Screen) printCluster(cl []byte, w int) {
	r, n := utf8.DecodeRune(cl)
	if n == len(cl) {
		s.printCell(uint32(r), w, n == 1)
		return
	}
	s.printCell(s.internCluster(cl), w, false)
}

// Character sets a G0-G3 slot can hold.
const (
	charsetASCII   uint8 = iota
	charsetUK            // '$' is the pound sign
	charsetSpecial       // DEC special graphics (line drawing) for 0x60-0x7e
)

// specialGraphics maps 0x60-0x7e in the DEC special graphics set (the
// same table as x/vt's SpecialDrawing).
const specialGraphics = "◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│⩽⩾π≠£·"

// mapCharset returns what byte c prints as in charset cs.
func mapCharset(cs uint8, c uint32) (uint32, bool) {
	switch {
	case cs == charsetUK && c == '$':
		return '£', true
	case cs == charsetSpecial && c >= 0x60 && c <= 0x7e:
		i := int(c - 0x60)
		for _, r := range specialGraphics {
			if i == 0 {
				return uint32(r), true
			}
			i--
		}
	}
	return c, false
}

// printCell puts one character at the cursor and advances it.
func (s *Screen) printCell(ch uint32, w int, single bool) {
	b := s.cur
	if single {
		set := s.gl
		if s.single == 2 || s.single == 3 {
			set = s.single
		}
		if s.charsets[set] != charsetASCII {
			if m, ok := mapCharset(s.charsets[set], ch); ok {
				if w == 1 {
					s.lastChar = rune(ch)
				}
				ch, w = m, 1
				single = false
			}
		}
	}
	s.single = 0
	// A zero-width cluster (a lone joiner or mark) takes the cell without
	// advancing, as in x/vt.
	adv := w
	w = clamp(w, 1, 2)
	if s.pending && s.modes.autoWrap {
		s.wrap()
	}
	if w == 2 && b.cur.x == s.cols-1 {
		s.quirks |= quirkWideLastColumn
		if !s.modes.autoWrap || s.cols < 2 {
			return // xterm drops a wide character that cannot fit
		}
		// xterm wraps a wide character that does not fit in the last
		// column; the cell it leaves is blank.
		r := b.row(b.cur.y)
		s.prepareOverwrite(r, b.cur.x, b.cur.x+1)
		r.cells[b.cur.x] = s.blank()
		s.touch(b.cur.y)
		s.wrap()
	}
	if single && w == 1 {
		s.lastChar = rune(ch)
	}
	x, y := b.cur.x, b.cur.y
	r := b.row(y)
	if s.modes.insert {
		s.quirks |= quirkIRM
		s.insertCells(r, x, w)
	}
	s.prepareOverwrite(r, x, x+w)
	st := s.pen()
	if w == 2 {
		r.cells[x] = cell{ch: ch, style: st, kind: kindWide}
		r.cells[x+1] = cell{style: st, kind: kindCont}
	} else {
		r.cells[x] = cell{ch: ch, style: st}
	}
	s.touch(y)
	switch {
	case adv == 0:
		s.pending = s.modes.autoWrap && x >= s.cols-1
	case x+w >= s.cols:
		if w == 2 {
			s.quirks |= quirkWideNoWrap
		}
		b.cur.x = s.cols - 1
		s.pending = s.modes.autoWrap
	default:
		b.cur.x = x + w
		s.pending = false
	}
}

// insertCells shifts cells [x, cols) of r right by n, blanking [x, x+n).
func (s *Screen) insertCells(r *row, x, n int) {
	c := r.cells
	n = min(n, s.cols-x)
	if n <= 0 {
		return
	}
	s.prepareOverwrite(r, x, x)
	copy(c[x+n:], c[x:s.cols-n])
	bl := s.blank()
	for i := x; i < x+n; i++ {
		c[i] = bl
	}
	fixRowEdges(c)
}

// fixRowEdges turns wide-character halves that lost their partner into
// blanks of their own style.
func fixRowEdges(c []cell) {
	for i := range c {
		switch c[i].kind {
		case kindWide:
			if i+1 >= len(c) || c[i+1].kind != kindCont {
				c[i] = cell{style: c[i].style}
			}
		case kindCont:
			if i == 0 || c[i-1].kind != kindWide {
				c[i] = cell{style: c[i].style}
			}
		}
	}
}
