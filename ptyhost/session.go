package ptyhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/creack/pty"
)

// Errors returned by sessions.
var (
	ErrExited          = errors.New("session has exited")
	ErrInputFull       = errors.New("session input queue is full")
	ErrNoSize          = errors.New("session size must be at least 1x1")
	ErrNoCommand       = errors.New("session has no command")
	ErrCommandNotFound = errors.New("command not found")
	ErrNoEncoding      = errors.New("key has no terminal encoding")
	ErrNotSubmitted    = errors.New("typed text was not submitted")
)

// Defaults.
const (
	// DefaultStopGrace is how long Stop waits after SIGHUP before SIGKILL
	// (spec §5.4).
	DefaultStopGrace = 3 * time.Second
	// maxInputQueue bounds input waiting for a child that does not read.
	maxInputQueue = 16 << 20
	// readBufSize is one PTY read.
	readBufSize = 32 << 10
	// flushDelay is how long the reader waits for the rest of a grapheme
	// cluster before showing what it has.
	flushDelay = 10 * time.Millisecond
	// exitDrain bounds how long the exit event waits for the reader to
	// collect output written just before the process ended.
	exitDrain = 500 * time.Millisecond
	// batchFrame is the frame grid on which a streaming session reads: when
	// small reads follow each other closer than this, the reader waits for
	// the next frame boundary so one read (and one wake-up, shared by every
	// streaming session) collects what arrived meanwhile. The TUI redraws at
	// this rate anyway.
	batchFrame = time.Second / 60
	// batchSmallRead is the largest read that counts as "small": a bigger
	// one means the child writes faster than a frame of PTY buffer holds,
	// and the reader drains without waiting.
	batchSmallRead = 1 << 10
	// outputEventEvery spaces EventOutput events: a consumer that must see
	// every change uses Changed; Activity().LastOutput is always exact.
	outputEventEvery = 250 * time.Millisecond
)

// frameEpoch anchors the shared frame grid: every streaming session wakes
// on the same boundaries, so one thread wake-up serves them all.
var frameEpoch = time.Now()

// readPacer decides when the reader goes back to the PTY.
type readPacer struct {
	last  time.Time // when the previous read returned
	small int       // how many small reads in a row, up to this one
}

// next is when to read again after a read of n bytes returned at now: the
// next frame boundary when small reads keep coming less than two frames
// apart (a child printing lines), else at once (zero time): a keystroke's
// echo, or a child that fills whole reads (the odd short read among them
// included), goes on without delay.
func (p *readPacer) next(n int, now time.Time) time.Time {
	near := !p.last.IsZero() && now.Sub(p.last) < 2*batchFrame
	p.last = now
	if n >= batchSmallRead || !near {
		p.small = 0
		return time.Time{}
	}
	p.small++
	if p.small < 3 {
		return time.Time{}
	}
	return now.Add(batchFrame - now.Sub(frameEpoch)%batchFrame)
}

// Spec describes the process to run in a session.
type Spec struct {
	// Argv is the program and its arguments. A program name without a slash
	// is looked up on the PATH of Env.
	Argv []string
	// Env is the complete environment (nil: this process's). TERM defaults
	// to xterm-256color when absent.
	Env []string
	// Dir is the working directory ("" = this process's).
	Dir string
	// Cols and Rows are the pane's real size; the PTY has it before exec.
	Cols, Rows int
	// Scrollback is the number of scrollback rows (0 = DefaultScrollback).
	Scrollback int
	// StopGrace is the SIGHUP→SIGKILL delay of Stop (0 = DefaultStopGrace).
	StopGrace time.Duration
	// Delivery tunes TypeText (zero fields take the §5.9 defaults).
	Delivery DeliveryTiming
	// Logger receives emulator panics and I/O errors (nil = slog.Default()).
	Logger *slog.Logger
	// Record, if set, receives a copy of every byte read from the PTY, in
	// order, from the reader goroutine (for debugging and test fixtures). A
	// write error stops the recording.
	Record io.Writer
}

// Activity is what a session's output says about its agent.
type Activity struct {
	LastOutput time.Time
	LastInput  time.Time
	// OutputCount counts output chunks; it changes whenever output arrives.
	OutputCount uint64
	// Bells and Notifications count those since the last input.
	Bells            int
	Notifications    int
	LastNotification Notification
	Title            string
	TitleState       TitleState
}

// NotifiedSinceInput reports whether a bell or notification arrived since
// the last input (an input to the §9 waiting rule).
func (a Activity) NotifiedSinceInput() bool { return a.Bells > 0 || a.Notifications > 0 }

// Session is one process running in a pseudo-terminal, with its screen kept
// in a Terminal. All methods are safe for concurrent use.
type Session struct {
	spec   Spec
	log    *slog.Logger
	term   *Terminal
	master *os.File
	cmd    *exec.Cmd
	pid    int
	start  time.Time

	// sizeMu serializes Resize so the emulator and the PTY change together.
	sizeMu sync.Mutex

	// Input: one writer goroutine drains inQ into the PTY so callers (the UI
	// goroutine) never block on a child that is not reading.
	inMu    sync.Mutex
	inQ     [][]byte
	inBytes int
	inWake  chan struct{}

	// Events and activity, guarded by stMu.
	stMu sync.Mutex
	act  Activity
	evq  eventQueue
	// lastOutputEvent is when the last EventOutput was queued.
	lastOutputEvent time.Time
	evWake          chan struct{}
	events          chan Event
	changed         chan struct{}
	reaped          bool
	exit            ExitStatus
	exitDone        bool
	// answered holds the question lines on screen at the last input, by
	// absolute line (scrollback length + row): see maskAnswered.
	answered map[int]string

	jobs chan *deliveryJob

	readerDone chan struct{}
	done       chan struct{}
	// released stops the helper goroutines (Close).
	released    chan struct{}
	releaseOnce sync.Once
}

// Start runs spec.Argv in a new session and process group with a PTY of
// spec.Cols x spec.Rows as its controlling terminal.
func Start(ctx context.Context, spec Spec) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return nil, ErrNoCommand
	}
	if spec.Cols < 1 || spec.Rows < 1 {
		return nil, ErrNoSize
	}
	spec.Cols, spec.Rows = clampSize(spec.Cols, spec.Rows)
	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	env = withDefaultEnv(env, "TERM", "xterm-256color")
	path, err := lookPathIn(spec.Argv[0], envValue(env, "PATH"), spec.Dir)
	if err != nil {
		return nil, err
	}
	log := spec.Logger
	if log == nil {
		log = slog.Default()
	}

	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pty: %w", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: uint16(spec.Cols), Rows: uint16(spec.Rows)}); err != nil {
		_ = ptmx.Close()
		_ = tty.Close()
		return nil, fmt.Errorf("size pty: %w", err)
	}
	// creack/pty's ioctls call Fd(), which leaves the master in blocking
	// mode, where Close cannot interrupt a Read and deadlines do not work.
	// Re-open it through a close-on-exec duplicate in non-blocking mode so
	// it joins Go's poller.
	master, err := pollableDup(ptmx)
	_ = ptmx.Close()
	if err != nil {
		_ = tty.Close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:   path,
		Args:   spec.Argv,
		Env:    env,
		Dir:    spec.Dir,
		Stdin:  tty,
		Stdout: tty,
		Stderr: tty,
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:  true, // own session and process group (pgid = pid)
			Setctty: true, // the PTY (fd 0 in the child) is its terminal
			Ctty:    0,
		},
	}
	if err := cmd.Start(); err != nil {
		_ = tty.Close()
		_ = master.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Argv[0], err)
	}
	_ = tty.Close() // the child has its own copy; EIO on read then means it is gone

	s := &Session{
		spec:       spec,
		log:        log,
		master:     master,
		cmd:        cmd,
		pid:        cmd.Process.Pid,
		start:      time.Now(),
		inWake:     make(chan struct{}, 1),
		evWake:     make(chan struct{}, 1),
		events:     make(chan Event),
		changed:    make(chan struct{}, 1),
		jobs:       make(chan *deliveryJob, 64),
		readerDone: make(chan struct{}),
		done:       make(chan struct{}),
		released:   make(chan struct{}),
	}
	s.term = NewTerminal(spec.Cols, spec.Rows, TerminalOptions{
		Scrollback: spec.Scrollback,
		Logger:     log,
		Replies:    func(b []byte) { _ = s.enqueue(b, false) },
	})
	go s.readLoop()
	go s.writeLoop()
	go s.waitLoop()
	go s.dispatchLoop()
	go s.deliverLoop()
	return s, nil
}

func withDefaultEnv(env []string, key, val string) []string {
	if envValue(env, key) != "" {
		return env
	}
	return append(env[:len(env):len(env)], key+"="+val)
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val // the last one wins, as for exec
		}
	}
	return v
}

// lookPathIn finds name like exec.LookPath, but on the child's PATH.
func lookPathIn(name, pathEnv, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if isExecutable(p) {
			return name, nil
		}
		return "", fmt.Errorf("%w: %s", ErrCommandNotFound, name)
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", ErrCommandNotFound, name)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&fs.ModePerm&0o111 != 0
}

// pollableDup returns a close-on-exec, non-blocking duplicate of f.
func pollableDup(f *os.File) (*os.File, error) {
	fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return nil, fmt.Errorf("dup pty: %w", errno)
	}
	if err := syscall.SetNonblock(int(fd), true); err != nil {
		_ = syscall.Close(int(fd))
		return nil, fmt.Errorf("pty non-blocking: %w", err)
	}
	return os.NewFile(fd, "/dev/ptmx"), nil
}

// setWinsize sets the PTY size without taking the file out of the poller.
func setWinsize(f *os.File, cols, rows int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	ws := struct{ rows, cols, x, y uint16 }{uint16(rows), uint16(cols), 0, 0}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSWINSZ, uintptr(unsafe.Pointer(&ws)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

// Pid returns the child's process id (also its process group id).
func (s *Session) Pid() int { return s.pid }

// StartedAt returns when the process was started.
func (s *Session) StartedAt() time.Time { return s.start }

// View renders the screen for display, scrolled back by offset rows (see
// Terminal.View).
func (s *Session) View(offset int) []string { return s.term.View(offset) }

// ScrollbackLen returns the number of scrollback rows.
func (s *Session) ScrollbackLen() int { return s.term.ScrollbackLen() }

// Scrollback returns scrollback rows [from, to), 0 being the oldest.
func (s *Session) Scrollback(from, to int) []ScrollbackLine { return s.term.Scrollback(from, to) }

// WaitQuiet returns once the application has printed something and then
// been quiet for at least quiet (spec §5.5: the beacon of a prompt_mode
// "none" runtime; §5.9: nudge wait-idle). Bound it with ctx.
func (s *Session) WaitQuiet(ctx context.Context, quiet time.Duration) error {
	for {
		a := s.Activity()
		wait := quiet
		if a.OutputCount > 0 {
			since := time.Since(a.LastOutput)
			if since >= quiet {
				return nil
			}
			wait = quiet - since
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.done:
			t.Stop()
			return ErrExited
		}
	}
}

// Terminal returns the session's screen state.
func (s *Session) Terminal() *Terminal { return s.term }

// Events returns the session's state signals. The channel must be drained;
// notices coalesce while nobody reads. EventExit is always delivered last and
// the channel is then closed (or when the session is closed).
func (s *Session) Events() <-chan Event { return s.events }

// Changed returns a capacity-1 channel that receives a value whenever the
// screen changed since the last receive (notices coalesce; data never does).
func (s *Session) Changed() <-chan struct{} { return s.changed }

// Done is closed when the process has exited and its output was read.
func (s *Session) Done() <-chan struct{} { return s.done }

// Wait blocks until the process exits or ctx ends.
func (s *Session) Wait(ctx context.Context) (ExitStatus, error) {
	select {
	case <-s.done:
		return s.ExitStatus(), nil
	case <-ctx.Done():
		return ExitStatus{Code: -1}, ctx.Err()
	}
}

// ExitStatus returns how the process ended (Code -1 while it runs).
func (s *Session) ExitStatus() ExitStatus {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	if !s.exitDone {
		return ExitStatus{Code: -1}
	}
	return s.exit
}

// Exited reports whether the process has ended.
func (s *Session) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Title returns the application's last OSC 0/2 title.
func (s *Session) Title() string { return s.term.Title() }

// CursorPosition returns the cursor cell and visibility.
func (s *Session) CursorPosition() Cursor { return s.term.CursorPosition() }

// RenderRows appends visible rows [from, to) rendered width cells wide
// (see Terminal.RenderRows).
func (s *Session) RenderRows(dst []string, from, to, width int) []string {
	return s.term.RenderRows(dst, from, to, width)
}

// Snapshot copies the visible screen for rendering.
func (s *Session) Snapshot() *Screen { return s.term.Snapshot() }

// Size returns the current size.
func (s *Session) Size() (cols, rows int) { return s.term.Size() }

// Modes returns the input modes the application enabled.
func (s *Session) Modes() Modes { return s.term.Modes() }

// Activity returns the output/input signals.
func (s *Session) Activity() Activity {
	title := s.term.Title() // not under stMu: keep lock order simple
	s.stMu.Lock()
	a := s.act
	s.stMu.Unlock()
	a.Title = title
	a.TitleState = ClassifyTitle(a.Title)
	return a
}

// Waiting applies the §9 waiting rule to this session now.
func (s *Session) Waiting(readyPrompt string, hooked bool, quietThreshold time.Duration) (bool, string) {
	if s.Exited() {
		return false, ""
	}
	a := s.Activity()
	scr := s.Snapshot()
	lines := scr.PlainLines()
	s.stMu.Lock()
	answered := s.answered
	s.stMu.Unlock()
	lines = maskAnswered(lines, answered, s.term.ScrollbackLen())
	cursorLine := ""
	if scr.Cursor.Y >= 0 && scr.Cursor.Y < len(lines) {
		cursorLine = lines[scr.Cursor.Y]
	}
	since := a.LastOutput
	if a.LastInput.After(since) {
		since = a.LastInput
	}
	return Waiting(lines, time.Since(since), a.NotifiedSinceInput(), readyPrompt, cursorLine, hooked, quietThreshold)
}

// Write sends raw bytes to the application as keyboard input. It does not
// block on the child: input is queued and written in order.
func (s *Session) Write(p []byte) (int, error) {
	if err := s.enqueue(p, true); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SendKey sends one key press encoded as xterm would.
func (s *Session) SendKey(k Key) error {
	b := EncodeKey(k, s.term.Modes().AppCursorKeys)
	if b == nil {
		return ErrNoEncoding
	}
	return s.enqueue(b, true)
}

// Paste sends text as a paste: bracketed when the application enabled mode
// 2004, otherwise with line breaks sent as CR, as terminals do.
func (s *Session) Paste(text string) error {
	return s.enqueue(pasteBytes(text, s.term.Modes().BracketedPaste), true)
}

func pasteBytes(text string, bracketed bool) []byte {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	if bracketed {
		// The end marker inside the text would end the paste early and let
		// the rest be read as keystrokes.
		text = strings.ReplaceAll(text, "\x1b[201~", "")
		return []byte("\x1b[200~" + text + "\x1b[201~")
	}
	return []byte(strings.ReplaceAll(text, "\n", "\r"))
}

// SendMouse reports a mouse event to the application if it enabled mouse
// reporting for that kind of event; it returns false when it did not (the
// caller may then use the event itself, e.g. scroll the scrollback).
func (s *Session) SendMouse(ev MouseEvent) (bool, error) {
	b := EncodeMouse(ev, s.term.Modes())
	if b == nil {
		return false, nil
	}
	return true, s.enqueue(b, false)
}

// SendFocus reports focus in/out if the application enabled focus events.
func (s *Session) SendFocus(focused bool) error {
	if !s.term.Modes().FocusEvents {
		return nil
	}
	if focused {
		return s.enqueue([]byte("\x1b[I"), false)
	}
	return s.enqueue([]byte("\x1b[O"), false)
}

// Resize changes the emulator and the PTY size together; the kernel sends
// SIGWINCH to the foreground process group.
func (s *Session) Resize(cols, rows int) error {
	if cols < 1 || rows < 1 {
		return ErrNoSize
	}
	cols, rows = clampSize(cols, rows)
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if c, r := s.term.Size(); c == cols && r == rows {
		return nil
	}
	// Emulator first: output the child draws after SIGWINCH must be parsed
	// at the new size.
	s.term.Resize(cols, rows)
	s.notifyChanged()
	if s.Exited() {
		return nil
	}
	if err := setWinsize(s.master, cols, rows); err != nil {
		return fmt.Errorf("resize pty: %w", err)
	}
	return nil
}

// enqueue queues input for the writer goroutine. user marks keyboard input,
// which resets the "notified since input" signal.
func (s *Session) enqueue(p []byte, user bool) error {
	if len(p) == 0 {
		return nil
	}
	select {
	case <-s.done:
		return ErrExited
	case <-s.released:
		return ErrExited
	default:
	}
	s.inMu.Lock()
	full := s.inBytes+len(p) > maxInputQueue
	s.inMu.Unlock()
	if full {
		return ErrInputFull
	}
	// Stamp user input before the writer can send it: the child's answer
	// (a bell, a notification) must not be counted and then wiped by a
	// stamp that lands after it.
	if user {
		// Whatever question is on screen now is being answered.
		answered := map[int]string{}
		base := s.term.ScrollbackLen()
		for row, text := range questionLines(s.term.Snapshot().PlainLines()) {
			answered[base+row] = text
		}
		s.stMu.Lock()
		s.answered = answered
		s.act.LastInput = time.Now()
		s.act.Bells = 0
		s.act.Notifications = 0
		s.stMu.Unlock()
	}
	s.inMu.Lock()
	if s.inBytes+len(p) > maxInputQueue {
		s.inMu.Unlock()
		return ErrInputFull
	}
	s.inQ = append(s.inQ, append([]byte(nil), p...))
	s.inBytes += len(p)
	s.inMu.Unlock()
	select {
	case s.inWake <- struct{}{}:
	default:
	}
	return nil
}

// writeLoop writes queued input to the PTY in order.
func (s *Session) writeLoop() {
	defer s.recoverGoroutine("writer")
	for {
		select {
		case <-s.inWake:
		case <-s.released:
			return
		case <-s.done:
			return
		}
		for {
			s.inMu.Lock()
			q := s.inQ
			s.inQ = nil
			s.inBytes = 0
			s.inMu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, b := range q {
				if _, err := s.master.Write(b); err != nil {
					// The child is gone (EIO) or we are closing: input has
					// nowhere to go.
					s.log.Debug("ptyhost: pty write", "pid", s.pid, "err", err)
					s.dropInput()
					return
				}
			}
		}
	}
}

func (s *Session) dropInput() {
	s.inMu.Lock()
	s.inQ = nil
	s.inBytes = 0
	s.inMu.Unlock()
}

// readLoop is the session's only reader: it feeds every byte, in order, to
// the terminal and raises the output signals.
func (s *Session) readLoop() {
	defer close(s.readerDone)
	defer s.recoverGoroutine("reader")
	buf := make([]byte, readBufSize)
	deadline := false
	record := s.spec.Record
	var pacer readPacer
	for {
		n, err := s.master.Read(buf)
		if n > 0 {
			now := time.Now()
			resume := pacer.next(n, now)
			if record != nil {
				if _, werr := record.Write(buf[:n]); werr != nil {
					s.log.Warn("ptyhost: recording stopped", "pid", s.pid, "err", werr)
					record = nil
				}
			}
			s.output(buf[:n], now)
			if s.term.Pending() {
				// Wait a moment for the rest of a grapheme cluster split by
				// the read; if none comes the deadline fires and we flush.
				if derr := s.master.SetReadDeadline(time.Now().Add(flushDelay)); derr != nil {
					s.term.Flush()
				} else {
					deadline = true
				}
			} else if deadline {
				_ = s.master.SetReadDeadline(time.Time{})
				deadline = false
			}
			s.notifyChanged()
			if !resume.IsZero() && !deadline && err == nil {
				time.Sleep(time.Until(resume))
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				_ = s.master.SetReadDeadline(time.Time{})
				deadline = false
				s.term.Flush()
				s.notifyChanged()
				continue
			}
			break
		}
	}
	s.term.Flush()
	s.notifyChanged()
}

// output handles one chunk read from the PTY at now.
func (s *Session) output(p []byte, now time.Time) {
	sig := s.term.feed(p)
	s.stMu.Lock()
	defer s.stMu.Unlock()
	s.act.LastOutput = now
	s.act.OutputCount++
	queued := len(s.evq.q)
	if now.Sub(s.lastOutputEvent) >= outputEventEvery {
		s.lastOutputEvent = now
		s.evq.push(Event{Kind: EventOutput, Time: now})
	}
	if sig.titleSet {
		s.evq.push(Event{Kind: EventTitle, Time: now, Title: sig.title, TitleState: ClassifyTitle(sig.title)})
	}
	if sig.bells > 0 {
		s.act.Bells += sig.bells
		s.evq.push(Event{Kind: EventBell, Time: now, Count: sig.bells})
	}
	for _, n := range sig.notifications {
		s.act.Notifications++
		s.act.LastNotification = n
		s.evq.push(Event{Kind: EventNotification, Time: now, Notification: n})
	}
	// An event merged into a queued one needs no wake-up: the dispatcher
	// drains the queue before it waits.
	if len(s.evq.q) != queued {
		s.wakeDispatcher()
	}
}

func (s *Session) wakeDispatcher() {
	select {
	case s.evWake <- struct{}{}:
	default:
	}
}

func (s *Session) notifyChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// dispatchLoop hands queued events to the Events channel.
func (s *Session) dispatchLoop() {
	defer close(s.events)
	defer s.recoverGoroutine("events")
	for {
		s.stMu.Lock()
		ev, ok := s.evq.pop()
		s.stMu.Unlock()
		if !ok {
			select {
			case <-s.evWake:
				continue
			case <-s.released:
				return
			}
		}
		select {
		case s.events <- ev:
		case <-s.released:
			return
		}
		if ev.Kind == EventExit {
			return
		}
	}
}

// waitLoop reaps the child and publishes its exit.
func (s *Session) waitLoop() {
	defer s.recoverGoroutine("wait")
	err := s.cmd.Wait()
	st := exitStatusOf(s.cmd.ProcessState, err)
	s.stMu.Lock()
	s.reaped = true // from now on the pid may be reused: never signal it
	s.stMu.Unlock()

	// Output written just before exit may still be in the PTY buffer; give
	// the reader a moment, then hang up the terminal so that processes the
	// child left behind lose it too.
	t := time.NewTimer(exitDrain)
	select {
	case <-s.readerDone:
	case <-t.C:
	}
	t.Stop()
	_ = s.master.Close()
	<-s.readerDone

	s.term.Flush()
	s.term.stopReplies()

	s.stMu.Lock()
	s.exit = st
	s.exitDone = true
	s.evq.push(Event{Kind: EventExit, Time: time.Now(), Exit: st})
	s.stMu.Unlock()
	close(s.done)
	s.wakeDispatcher()
	s.notifyChanged()
}

func exitStatusOf(ps *os.ProcessState, err error) ExitStatus {
	if ps == nil {
		return ExitStatus{Code: -1}
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			return ExitStatus{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
		}
		return ExitStatus{Code: ws.ExitStatus()}
	}
	_ = err
	return ExitStatus{Code: ps.ExitCode()}
}

// signal sends sig to the child's process group (and the child itself, in
// case it moved to another group), unless it was already reaped.
func (s *Session) signal(sig syscall.Signal) {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	if s.reaped {
		return
	}
	_ = syscall.Kill(-s.pid, sig)
	_ = syscall.Kill(s.pid, sig)
}

// Stop ends the process: SIGHUP to its process group, SIGKILL after the
// grace period (or at once when ctx ends first). It returns when the process
// has exited, or ctx's error.
func (s *Session) Stop(ctx context.Context) error {
	if s.Exited() {
		return nil
	}
	grace := s.spec.StopGrace
	if grace <= 0 {
		grace = DefaultStopGrace
	}
	s.signal(syscall.SIGHUP)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-s.done:
		return nil
	case <-t.C:
		s.signal(syscall.SIGKILL)
	case <-ctx.Done():
		s.signal(syscall.SIGKILL)
		return ctx.Err()
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the process (see Stop) and releases the session's goroutines
// and emulator. Events is closed; the screen stays readable. Every started
// session must be closed (or have its Events drained to the exit event),
// or its event goroutine stays blocked.
func (s *Session) Close(ctx context.Context) error {
	err := s.Stop(ctx)
	s.releaseOnce.Do(func() { close(s.released) })
	if err == nil {
		_ = s.term.Close()
	}
	return err
}

func (s *Session) recoverGoroutine(name string) {
	if r := recover(); r != nil {
		s.log.Error("ptyhost: goroutine panic", "goroutine", name, "pid", s.pid, "panic", r)
	}
}
