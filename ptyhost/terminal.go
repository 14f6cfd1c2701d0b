package ptyhost

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"
	"unsafe"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// emuWriteChunk bounds one emulator Write, so the lines it pushes into the
// emulator's own scrollback (drained into ours after every write) stay few.
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
	// colour queries …), in order. It is called from the terminal's reply
	// goroutine and must not block for long; nil discards replies.
	Replies func([]byte)
	// Logger receives emulator panics; nil means slog.Default().
	Logger *slog.Logger
}

// Terminal is one pane's screen state: the stream filter, the x/vt emulator
// and a compact scrollback. It is safe for concurrent use; Write is meant to
// be called from one reader goroutine while any goroutine takes snapshots.
type Terminal struct {
	mu sync.Mutex

	emu      *vt.Emulator
	emuGen   int // bumps on every emulator replacement (stale pumps ignore it)
	filter   *streamFilter
	sb       *ring
	cols     int
	rows     int
	title    string
	decModes map[int]bool
	alt      bool
	panics   int
	closed   bool

	lineBuf     []byte
	lineScratch Line
	uvScratch   uv.Line

	// screens are the emulator's main/alternate Screens (for scroll
	// batching); nil if unavailable.
	screens [2]*vt.Screen
	// emuMidSeq: the last emulator write ended inside an escape sequence
	// (only when the filter had to release a huge unfinished one), so the
	// next write cannot be scanned for plain lines.
	emuMidSeq bool
	// batches counts batched scrolls (tests check the fast path is taken).
	batches int

	replies func([]byte)
	log     *slog.Logger
}

// NewTerminal creates a terminal of the given size (each at least 1).
func NewTerminal(cols, rows int, opts TerminalOptions) *Terminal {
	cols, rows = clampSize(cols, rows)
	t := &Terminal{
		filter:  newStreamFilter(),
		sb:      newRing(opts.Scrollback),
		cols:    cols,
		rows:    rows,
		replies: opts.Replies,
		log:     opts.Logger,
	}
	if t.log == nil {
		t.log = slog.Default()
	}
	t.newEmulatorLocked()
	return t
}

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, 1), math.MaxUint16), min(max(rows, 1), math.MaxUint16)
}

// newEmulatorLocked (re)creates the emulator and starts its reply pump.
func (t *Terminal) newEmulatorLocked() {
	if t.emu != nil {
		closeEmulator(t.emu)
	}
	e := vt.NewEmulator(t.cols, t.rows)
	t.emuGen++
	t.emu = e
	t.decModes = map[int]bool{}
	t.alt = false
	gen := t.emuGen
	e.SetCallbacks(vt.Callbacks{
		EnableMode:  func(m ansi.Mode) { t.modeChanged(gen, m, true) },
		DisableMode: func(m ansi.Mode) { t.modeChanged(gen, m, false) },
		AltScreen:   func(on bool) { t.alt = on },
	})
	// Our ring keeps the scrollback; the emulator's list is only a hand-off
	// that is drained after every write, so it must never hit its own cap
	// (its eviction is O(n) per line).
	e.SetScrollbackSize(math.MaxInt32)
	if err := disableAltScrollback(e); err != nil {
		t.log.Debug("ptyhost: alternate screen scrollback left enabled", "err", err)
	}
	t.screens[0], t.screens[1] = screensOf(e)
	if err := shrinkParserData(e); err != nil {
		t.log.Debug("ptyhost: emulator parser buffer left at 4 MiB", "err", err)
	}
	t.emuMidSeq = false
	// ED 3 clears the scrollback: ours too. Returning false lets the
	// emulator's own handler run after this one.
	e.RegisterCsiHandler('J', func(params ansi.Params) bool {
		if n, _, _ := params.Param(0, 0); n == 3 && !t.alt {
			t.drainLocked()
			t.sb.clear()
		}
		return false
	})
	// The emulator answers queries by writing into a pipe, synchronously,
	// inside Write. Start draining it before the first Write or the first
	// query would block forever.
	go t.pumpReplies(e)
}

// pumpReplies copies the emulator's replies out until it is closed.
func (t *Terminal) pumpReplies(e *vt.Emulator) {
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("ptyhost: reply pump panic", "panic", r)
		}
	}()
	buf := make([]byte, 4096)
	for {
		n, err := e.Read(buf)
		if n > 0 && t.replies != nil {
			t.replies(append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			return
		}
	}
}

func (t *Terminal) modeChanged(gen int, m ansi.Mode, on bool) {
	if gen != t.emuGen {
		return
	}
	if d, ok := m.(ansi.DECMode); ok {
		t.decModes[int(d)] = on
	}
}

// disableAltScrollback turns off the scrollback of x/vt's alternate screen.
// x/vt v0.1.0 gives both screens a 10,000-line scrollback of full cells
// (~9 KB a row) but only exposes the main one, so a pager or editor scrolling
// in the alternate screen would slowly pin ~90 MB per pane.
func disableAltScrollback(e *vt.Emulator) error {
	scrs, err := emulatorScreens(e)
	if err != nil {
		return err
	}
	scrs[1].SetScrollback(nil)
	return nil
}

// parserDataSize is the emulator parser's string buffer. x/vt allocates
// 4 MiB per emulator for OSC/DCS data; the filter only ever passes it
// re-emitted OSC 7/8/10-12 of at most 3x maxStringPayload bytes.
const parserDataSize = 3*maxStringPayload + 1024

// shrinkParserData replaces the emulator parser's 4 MiB string buffer with
// one of parserDataSize (a longer sequence would be cut, never overflow).
func shrinkParserData(e *vt.Emulator) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reflect on vt.Emulator: %v", r)
		}
	}()
	v := reflect.ValueOf(e).Elem().FieldByName("parser")
	if !v.IsValid() || v.Type() != reflect.TypeFor[*ansi.Parser]() || v.IsNil() {
		return errors.New("vt.Emulator has no *ansi.Parser field parser")
	}
	(*ansi.Parser)(unsafe.Pointer(v.Pointer())).SetDataSize(parserDataSize)
	return nil
}

// emulatorScreens returns pointers to the emulator's main and alternate
// Screen values. x/vt keeps them in an unexported [2]Screen array; they are
// reached through reflection, and if the emulator's layout ever changes this
// reports an error and the callers fall back (no alternate-screen scrollback
// fix, no scroll batching).
func emulatorScreens(e *vt.Emulator) (scrs [2]*vt.Screen, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reflect on vt.Emulator: %v", r)
		}
	}()
	v := reflect.ValueOf(e).Elem().FieldByName("scrs")
	if !v.IsValid() || v.Kind() != reflect.Array || v.Len() != 2 || v.Type().Elem() != reflect.TypeFor[vt.Screen]() {
		return scrs, errors.New("vt.Emulator has no [2]Screen field scrs")
	}
	for i := range scrs {
		scrs[i] = (*vt.Screen)(unsafe.Pointer(v.Index(i).UnsafeAddr()))
	}
	return scrs, nil
}

// guard runs fn on the emulator, turning a panic into a reset of this
// terminal only (spec §8: an emulator panic resets only that pane).
func (t *Terminal) guard(what string, fn func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			t.panics++
			t.log.Error("ptyhost: emulator panic; pane reset", "op", what, "panic", r, "stack", string(debug.Stack()))
			t.filter.reset()
			t.newEmulatorLocked()
			ok = false
		}
	}()
	fn()
	return true
}

// writeEmuLocked hands filtered bytes to the emulator, batching runs of
// plain lines at the bottom of the screen (batch.go). endsMidSeq says p ends
// inside an unfinished escape sequence.
func (t *Terminal) writeEmuLocked(p []byte, endsMidSeq bool) {
	if !t.emuMidSeq && t.screens[0] != nil && t.cols >= 2 && t.rows >= 3 {
		for len(p) > 0 {
			start, end, lines := nextLineRun(p, t.cols, t.rows-1)
			if lines == 0 {
				break
			}
			t.rawWriteLocked(p[:start])
			if t.canBatchLocked() {
				t.batchLocked(p[start:end], lines)
				p = p[end:]
				continue
			}
			// Not at the bottom-left corner yet (a line continued from the
			// last read, or a screen still filling): write one line as it
			// is and look again.
			j := start
			for p[j] != '\n' {
				j++
			}
			t.rawWriteLocked(p[start : j+1])
			p = p[j+1:]
		}
	}
	t.rawWriteLocked(p)
	t.emuMidSeq = endsMidSeq
}

// rawWriteLocked hands bytes to the emulator as they are and moves the lines
// it scrolled off into our ring.
func (t *Terminal) rawWriteLocked(p []byte) {
	for len(p) > 0 {
		n := min(len(p), emuWriteChunk)
		chunk := p[:n]
		p = p[n:]
		if !t.guard("write", func() { _, _ = t.emu.Write(chunk) }) {
			return
		}
		t.drainLocked()
	}
}

// drainLocked moves rows from the emulator's scrollback into the ring.
func (t *Terminal) drainLocked() {
	sb := t.emu.Scrollback()
	if sb == nil || sb.Len() == 0 {
		return
	}
	lines := sb.Lines()
	for _, l := range lines {
		var w int
		t.lineBuf, w = encodeStoredLine(t.lineBuf[:0], l, &t.lineScratch)
		t.sb.push(storedLine{text: string(t.lineBuf), width: w})
	}
	clear(lines) // let the emulator's cell slices be collected
	sb.Clear()
}

// Write feeds output from the application into the terminal. It never
// fails; it implements io.Writer.
func (t *Terminal) Write(p []byte) (int, error) {
	t.feed(p)
	return len(p), nil
}

// feed runs p through the filter and the emulator and returns the signals
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
			t.writeEmuLocked(f.out[:h], f.escStart >= 0 && h > f.escStart)
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
		t.writeEmuLocked(f.out[:h], f.escStart >= 0 && h > f.escStart)
		f.consume(h)
		f.flushGrapheme()
	}
}

// Resize changes the grid size (each at least 1). On the main screen a
// shrink first scrolls the rows above the cursor into the scrollback, so the
// cursor's line (a shell prompt) stays visible, as xterm does.
func (t *Terminal) Resize(cols, rows int) {
	cols, rows = clampSize(cols, rows)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || (cols == t.cols && rows == t.rows) {
		return
	}
	t.flushLocked()
	if !t.emu.IsAltScreen() && rows < t.rows && !t.emuMidSeq {
		pos := t.emu.CursorPosition()
		if k := pos.Y - rows + 1; k > 0 {
			// Reset the margins, go to the last row, scroll k lines with LF,
			// then put the cursor back on its (moved) line. The emulator is
			// in its ground state here: the filter never leaves a partial
			// escape sequence in it.
			seq := "\x1b[r\x1b[" + strconv.Itoa(t.rows) + ";1H"
			for range k {
				seq += "\n"
			}
			seq += "\x1b[" + strconv.Itoa(pos.Y-k+1) + ";" + strconv.Itoa(pos.X+1) + "H"
			t.rawWriteLocked([]byte(seq))
		}
	}
	t.cols, t.rows = cols, rows
	t.guard("resize", func() { t.emu.Resize(cols, rows) })
	t.drainLocked()
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
	d := t.decModes
	m := Modes{
		AppCursorKeys:  d[1],
		AppKeypad:      d[66],
		BracketedPaste: d[2004],
		FocusEvents:    d[1004],
		AltScreen:      t.alt,
	}
	switch {
	case d[1003]:
		m.Mouse = MouseTrackingAny
	case d[1002]:
		m.Mouse = MouseTrackingButton
	case d[1000]:
		m.Mouse = MouseTrackingNormal
	case d[9]:
		m.Mouse = MouseTrackingX10
	}
	switch {
	case d[1006]:
		m.MouseEncoding = MouseEncodingSGR
	case d[1015]:
		m.MouseEncoding = MouseEncodingURXVT
	case d[1005]:
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
	var c Cursor
	t.guard("cursor", func() {
		p := t.emu.CursorPosition()
		c = Cursor{X: min(max(p.X, 0), t.cols-1), Y: min(max(p.Y, 0), t.rows-1), Visible: !t.emu.CursorHidden()}
	})
	return c
}

// Snapshot copies the visible grid.
func (t *Terminal) Snapshot() *Screen {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked()
}

func (t *Terminal) snapshotLocked() *Screen {
	s := &Screen{Cols: t.cols, Rows: t.rows, Title: t.title, AltScreen: t.alt}
	cells := make([]Cell, t.cols*t.rows)
	s.Lines = make([]Line, t.rows)
	ok := t.guard("snapshot", func() {
		for y := 0; y < t.rows; y++ {
			l := Line(cells[y*t.cols : (y+1)*t.cols : (y+1)*t.cols])
			fillLineFromEmu(l, t.emu, y)
			s.Lines[y] = l
		}
	})
	if !ok {
		for y := range s.Lines {
			l := Line(cells[y*t.cols : (y+1)*t.cols : (y+1)*t.cols])
			for x := range l {
				l[x] = Cell{Content: " ", Width: 1}
			}
			s.Lines[y] = l
		}
	}
	s.Cursor = t.cursorLocked()
	return s
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

// ScrollbackLen returns the number of rows in the scrollback.
func (t *Terminal) ScrollbackLen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sb.len()
}

// Scrollback returns scrollback rows [from, to), 0 being the oldest; the
// range is clamped.
func (t *Terminal) Scrollback(from, to int) []ScrollbackLine {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.sb.len()
	from = min(max(from, 0), n)
	to = min(max(to, from), n)
	out := make([]ScrollbackLine, 0, to-from)
	for i := from; i < to; i++ {
		l := t.sb.at(i)
		out = append(out, ScrollbackLine{text: l.text, width: l.width})
	}
	return out
}

// View renders Rows lines for display, scrolled back by offset rows
// (0 = the live screen; clamped to the scrollback length), each exactly
// Cols cells wide with SGR styling.
func (t *Terminal) View(offset int) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	scr := t.snapshotLocked()
	offset = min(max(offset, 0), t.sb.len())
	out := make([]string, 0, t.rows)
	n := t.sb.len()
	for i := n - offset; i < n && len(out) < t.rows; i++ {
		l := t.sb.at(i)
		out = append(out, ScrollbackLine{text: l.text, width: l.width}.ANSI(t.cols))
	}
	var buf []byte
	for y := 0; len(out) < t.rows && y < len(scr.Lines); y++ {
		buf = scr.Lines[y].appendANSI(buf[:0], t.cols)
		out = append(out, string(buf))
	}
	return out
}

// Panics returns how many emulator panics were recovered (each reset the
// screen).
func (t *Terminal) Panics() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.panics
}

// stopReplies ends the reply pump once nothing will be fed any more (the
// process exited); the screen stays readable and resizable.
func (t *Terminal) stopReplies() {
	t.mu.Lock()
	defer t.mu.Unlock()
	closeEmulator(t.emu)
}

// Close releases the emulator; later writes are ignored.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	closeEmulator(t.emu)
	return nil
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

var _ io.Writer = (*Terminal)(nil)
