package ptyhost

import (
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/gastown/gt/ptyhost/screen"
)

// emuWriteChunk bounds how much output is filtered and handed to the screen
// engine at a time.
const emuWriteChunk = 16 << 10

// MouseTracking is the mouse reporting mode an application enabled.
type MouseTracking uint8

// Mouse tracking modes, weakest first.
const (
	MouseTrackingOff    MouseTracking = iota
	MouseTrackingX10                  // ?9: presses only
	MouseTrackingNormal               // ?1000: presses and releases
	MouseTrackingButton               // ?1002: plus motion while a button is down
	MouseTrackingAny                  // ?1003: plus all motion
)

// String names the mode.
func (m MouseTracking) String() string {
	switch m {
	case MouseTrackingX10:
		return "x10"
	case MouseTrackingNormal:
		return "normal"
	case MouseTrackingButton:
		return "button"
	case MouseTrackingAny:
		return "any"
	default:
		return "off"
	}
}

// MouseEncoding is the wire format of mouse reports.
type MouseEncoding uint8

// Mouse encodings.
const (
	MouseEncodingX10   MouseEncoding = iota // CSI M b x y, bytes offset by 32
	MouseEncodingUTF8                       // ?1005
	MouseEncodingSGR                        // ?1006: CSI < b;x;y M/m
	MouseEncodingURXVT                      // ?1015: CSI b;x;y M
)

// String names the encoding.
func (e MouseEncoding) String() string {
	switch e {
	case MouseEncodingUTF8:
		return "utf8"
	case MouseEncodingSGR:
		return "sgr"
	case MouseEncodingURXVT:
		return "urxvt"
	default:
		return "x10"
	}
}

// Modes are the input-related modes the application in a terminal enabled.
type Modes struct {
	AppCursorKeys  bool // DECCKM: plain arrows send SS3
	AppKeypad      bool
	BracketedPaste bool // ?2004
	FocusEvents    bool // ?1004
	AltScreen      bool
	Mouse          MouseTracking
	MouseEncoding  MouseEncoding
}

// TerminalOptions configure a Terminal.
type TerminalOptions struct {
	// Scrollback is the number of rows kept after they scroll off the top
	// (0 means DefaultScrollback).
	Scrollback int
	// Replies receives the emulator's answers to terminal queries (DA, DSR,
	// colour queries …), in order. It is called synchronously from Write
	// with the terminal locked, so it must only queue the bytes (Session's
	// input queue does); nil discards replies.
	Replies func([]byte)
	// Logger receives emulator panics; nil means slog.Default().
	Logger *slog.Logger
}

// Terminal is one pane's screen state: the stream filter and the screen
// engine (ptyhost/screen: compact cells, a ring of rows, a compact
// scrollback). It is safe for concurrent use; Write is meant to be called
// from one reader goroutine while any goroutine takes snapshots.
type Terminal struct {
	mu sync.Mutex

	scr    *screen.Screen
	filter *streamFilter
	sbMax  int
	cols   int
	rows   int
	title  string
	panics int
	closed bool
	// repliesOff: the process exited, queries are no longer answered.
	repliesOff bool

	lineBuf []Cell // scratch for snapshots and scrollback rendering
	sgrBuf  []byte
	rowMemo rowMemo

	replies func([]byte)
	log     *slog.Logger
	// panicHook, if set, runs inside every guarded write (tests inject
	// emulator panics with it).
	panicHook func([]byte)
}

// NewTerminal creates a terminal of the given size (each at least 1).
func NewTerminal(cols, rows int, opts TerminalOptions) *Terminal {
	cols, rows = clampSize(cols, rows)
	t := &Terminal{
		filter:  newStreamFilter(),
		sbMax:   opts.Scrollback,
		cols:    cols,
		rows:    rows,
		replies: opts.Replies,
		log:     opts.Logger,
	}
	if t.sbMax <= 0 {
		t.sbMax = DefaultScrollback
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	t.newScreenLocked()
	return t
}

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, 1), math.MaxUint16), min(max(rows, 1), math.MaxUint16)
}

// newScreenLocked (re)creates the screen engine.
func (t *Terminal) newScreenLocked() {
	t.scr = screen.New(t.cols, t.rows, screen.Options{
		Scrollback: t.sbMax,
		Reply:      t.reply,
		Reflow:     true,
	})
}

// reply forwards an answer to a query (called by the engine inside Write,
// with t.mu held).
func (t *Terminal) reply(p []byte) {
	if t.replies != nil && !t.repliesOff && !t.closed {
		t.replies(append([]byte(nil), p...))
	}
}

// guard runs fn on the engine, turning a panic into a reset of this
// terminal only (spec §8: an emulator panic resets only that pane).
func (t *Terminal) guard(what string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			t.panics++
			t.log.Error("ptyhost: emulator panic; pane reset", "op", what, "panic", r, "stack", string(debug.Stack()))
			t.filter.reset()
			t.newScreenLocked()
			ok = false
		}
	}()
	fn()
	return true
}

// writeEmuLocked hands filtered bytes to the engine.
func (t *Terminal) writeEmuLocked(p []byte) {
	if len(p) == 0 {
		return
	}
	t.guard("write", func() {
		if t.panicHook != nil {
			t.panicHook(p)
		}
		_, _ = t.scr.Write(p)
	})
}

// Write feeds output from the application into the terminal. It never
// fails; it implements io.Writer.
func (t *Terminal) Write(p []byte) (int, error) {
	t.feed(p)
	return len(p), nil
}

// feed runs p through the filter and the engine and returns the signals
// the filter saw (title, bells, notifications).
func (t *Terminal) feed(p []byte) feedSignals {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return feedSignals{}
	}
	f := t.filter
	for len(p) > 0 {
		n := min(len(p), emuWriteChunk)
		f.process(p[:n])
		p = p[n:]
		if h := f.holdPoint(); h > 0 {
			t.writeEmuLocked(f.out[:h])
			f.consume(h)
		}
	}
	sig := f.sig
	f.sig = feedSignals{}
	if sig.titleSet {
		t.title = sig.title
	}
	return sig
}

// Pending reports whether bytes are held back waiting for more output (an
// unfinished grapheme cluster); Flush releases them.
func (t *Terminal) Pending() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.filter.flushPoint() > 0
}

// Flush shows what the filter holds back for a possible continuation: the
// last grapheme cluster of the output so far. The reader calls it when the
// output pauses; an unfinished escape sequence stays held.
func (t *Terminal) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushLocked()
}

func (t *Terminal) flushLocked() {
	if t.closed {
		return
	}
	f := t.filter
	if h := f.flushPoint(); h > 0 {
		t.writeEmuLocked(f.out[:h])
		f.consume(h)
		f.flushGrapheme()
	}
}

// Resize changes the grid size (each at least 1). A width change reflows
// the main screen and its scrollback (long lines rewrap, the cursor stays
// on its character, the cursor's line stays visible). On the main screen a
// height-only shrink first scrolls the rows above the cursor into the
// scrollback, so the cursor's line (a shell prompt) stays visible, as xterm
// does.
func (t *Terminal) Resize(cols, rows int) {
	cols, rows = clampSize(cols, rows)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || (cols == t.cols && rows == t.rows) {
		return
	}
	t.flushLocked()
	// A width change reflows the main screen (screen.Options.Reflow),
	// which keeps the cursor's row on screen itself: rows above it go to
	// the scrollback as they do here, blank rows below it go first.
	if !t.scr.AltScreen() && rows < t.rows && cols == t.cols && t.scr.Ground() {
		c := t.scr.Cursor()
		if k := c.Y - rows + 1; k > 0 {
			// Reset the margins, go to the last row, scroll k lines with LF,
			// then put the cursor back on its (moved) line. The engine is in
			// its ground state here: the filter never leaves a partial
			// escape sequence in it.
			seq := "\x1b[r\x1b[" + strconv.Itoa(t.rows) + ";1H"
			for range k {
				seq += "\n"
			}
			seq += "\x1b[" + strconv.Itoa(c.Y-k+1) + ";" + strconv.Itoa(c.X+1) + "H"
			t.writeEmuLocked([]byte(seq))
		}
	}
	t.cols, t.rows = cols, rows
	t.guard("resize", func() { t.scr.Resize(cols, rows) })
}

// Size returns the grid size.
func (t *Terminal) Size() (cols, rows int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cols, t.rows
}

// Title returns the last OSC 0/2 title (control characters removed).
func (t *Terminal) Title() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.title
}

// Modes returns the input modes the application enabled.
func (t *Terminal) Modes() Modes {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.modesLocked()
}

func (t *Terminal) modesLocked() Modes {
	d := t.scr.Modes()
	m := Modes{
		AppCursorKeys:  d.AppCursorKeys,
		AppKeypad:      d.AppKeypad,
		BracketedPaste: d.BracketedPaste,
		FocusEvents:    d.FocusEvents,
		AltScreen:      d.AltScreen,
	}
	switch {
	case d.MouseAny:
		m.Mouse = MouseTrackingAny
	case d.MouseButton:
		m.Mouse = MouseTrackingButton
	case d.MouseNormal:
		m.Mouse = MouseTrackingNormal
	case d.MouseX10:
		m.Mouse = MouseTrackingX10
	}
	switch {
	case d.MouseSGR:
		m.MouseEncoding = MouseEncodingSGR
	case d.MouseURXVT:
		m.MouseEncoding = MouseEncodingURXVT
	case d.MouseUTF8:
		m.MouseEncoding = MouseEncodingUTF8
	}
	return m
}

// CursorPosition returns the cursor cell (0-based) and whether it is shown.
func (t *Terminal) CursorPosition() Cursor {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cursorLocked()
}

func (t *Terminal) cursorLocked() Cursor {
	c := t.scr.Cursor()
	return Cursor{X: min(max(c.X, 0), t.cols-1), Y: min(max(c.Y, 0), t.rows-1), Visible: c.Visible}
}

// Generation returns a counter that grows whenever the visible grid
// changes; RowGeneration says which rows (a renderer redraws only those).
func (t *Terminal) Generation() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.scr.Generation()
}

// RowGeneration returns the generation at which visible row y last changed.
func (t *Terminal) RowGeneration(y int) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.scr.RowGeneration(y)
}

// DirtyRows appends to dst the visible rows changed after generation since.
func (t *Terminal) DirtyRows(dst []int, since uint64) []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.scr.DirtyRows(dst, since)
}

// rowMemo keeps the last rendering of each visible row with the row's
// generation, valid for one screen, size, buffer (main or alt) and width.
type rowMemo struct {
	scr               *screen.Screen
	cols, rows, width int
	alt               bool
	gen               []uint64
	text              []string
	ok                []bool
}

// RenderRows appends the visible rows [from, to) (clamped to the screen)
// rendered with SGR styling, each exactly width cells wide (cut or padded
// with default blanks) and ending in the default style. A row that has not
// changed since the previous call with the same width comes from a memo, so
// a renderer pays only for the rows that changed; no Cell is built.
func (t *Terminal) RenderRows(dst []string, from, to, width int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.renderRowsLocked(dst, from, to, width)
}

func (t *Terminal) renderRowsLocked(dst []string, from, to, width int) []string {
	from, to = max(from, 0), min(to, t.rows)
	if width <= 0 || from >= to {
		return dst
	}
	m := &t.rowMemo
	if alt := t.scr.AltScreen(); m.scr != t.scr || m.cols != t.cols || m.rows != t.rows || m.width != width || m.alt != alt {
		*m = rowMemo{scr: t.scr, cols: t.cols, rows: t.rows, width: width, alt: alt,
			gen: make([]uint64, t.rows), text: make([]string, t.rows), ok: make([]bool, t.rows)}
	}
	for y := from; y < to; y++ {
		if g := t.scr.RowGeneration(y); !m.ok[y] || m.gen[y] != g {
			t.sgrBuf = t.scr.AppendRowANSI(t.sgrBuf[:0], y, width)
			m.text[y], m.gen[y], m.ok[y] = string(t.sgrBuf), g, true
		}
		dst = append(dst, m.text[y])
	}
	return dst
}

// Snapshot copies the visible grid.
func (t *Terminal) Snapshot() *Screen {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked()
}

func (t *Terminal) snapshotLocked() *Screen {
	s := &Screen{Cols: t.cols, Rows: t.rows, Title: t.title, AltScreen: t.scr.AltScreen()}
	cells := make([]Cell, 0, t.cols*t.rows)
	s.Lines = make([]Line, t.rows)
	for y := range t.rows {
		start := len(cells)
		cells = t.appendRowLocked(cells, y)
		s.Lines[y] = Line(cells[start:len(cells):len(cells)])
	}
	s.Cursor = t.cursorLocked()
	return s
}

// appendRowLocked appends visible row y as exactly t.cols Cells.
func (t *Terminal) appendRowLocked(dst []Cell, y int) []Cell {
	for x := range t.cols {
		dst = append(dst, t.scr.CellAt(x, y))
	}
	return dst
}

// ScrollbackLen returns the number of rows in the scrollback.
func (t *Terminal) ScrollbackLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.scr.ScrollbackLen()
}

// Scrollback returns scrollback rows [from, to), 0 being the oldest; the
// range is clamped.
func (t *Terminal) Scrollback(from, to int) []ScrollbackLine {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.scr.ScrollbackLen()
	from = min(max(from, 0), n)
	to = min(max(to, from), n)
	out := make([]ScrollbackLine, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, t.scrollbackLineLocked(i))
	}
	return out
}

// scrollbackLineLocked renders scrollback row i compactly: SGR + text, no
// padding, trailing default blanks trimmed.
func (t *Terminal) scrollbackLineLocked(i int) ScrollbackLine {
	sl := t.scr.AppendScrollbackLine(t.lineBuf[:0], i)
	t.lineBuf = sl
	n := len(sl)
	for n > 0 && (sl[n-1].Content == " " || sl[n-1].Content == "") && sl[n-1].Style.IsZero() {
		n--
	}
	l := sl[:n]
	w := 0
	for i := 0; i < len(l); {
		step := max(l[i].Width, 1)
		w += step
		i += step
	}
	t.sgrBuf = l.AppendANSI(t.sgrBuf[:0], w)
	return ScrollbackLine{text: string(t.sgrBuf), width: w}
}

// View renders Rows lines for display, scrolled back by offset rows
// (0 = the live screen; clamped to the scrollback length), each exactly
// Cols cells wide with SGR styling.
func (t *Terminal) View(offset int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.scr.ScrollbackLen()
	offset = min(max(offset, 0), n)
	out := make([]string, 0, t.rows)
	for i := n - offset; i < n && len(out) < t.rows; i++ {
		out = append(out, t.scrollbackLineLocked(i).ANSI(t.cols))
	}
	return t.renderRowsLocked(out, 0, t.rows-len(out), t.cols)
}

// Panics returns how many emulator panics were recovered (each reset the
// screen).
func (t *Terminal) Panics() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.panics
}

// stopReplies stops answering queries once nothing will be fed any more
// (the process exited); the screen stays readable and resizable.
func (t *Terminal) stopReplies() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.repliesOff = true
}

// Close releases the terminal; later writes are ignored.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}

var _ io.Writer = (*Terminal)(nil)
