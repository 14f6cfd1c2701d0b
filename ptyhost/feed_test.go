package ptyhost

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// termState is everything R7 compares.
type termState struct {
	Screen     []string
	Cursor     Cursor
	Title      string
	Scrollback []string
	Modes      Modes
}

func stateOf(t *Terminal) termState {
	scr := t.Snapshot()
	var sb []string
	for _, l := range t.Scrollback(0, t.ScrollbackLen()) {
		sb = append(sb, l.text)
	}
	return termState{Screen: scr.ANSILines(), Cursor: scr.Cursor, Title: t.Title(), Scrollback: sb, Modes: t.Modes()}
}

func diffStates(t *testing.T, got, want termState) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	for i := range min(len(got.Screen), len(want.Screen)) {
		if got.Screen[i] != want.Screen[i] {
			t.Errorf("screen row %d:\n got %q\nwant %q", i, got.Screen[i], want.Screen[i])
			break
		}
	}
	if got.Cursor != want.Cursor || got.Title != want.Title || got.Modes != want.Modes {
		t.Errorf("cursor/title/modes: got %+v %q %+v, want %+v %q %+v", got.Cursor, got.Title, got.Modes, want.Cursor, want.Title, want.Modes)
	}
	if len(got.Scrollback) != len(want.Scrollback) {
		t.Errorf("scrollback: %d rows, want %d", len(got.Scrollback), len(want.Scrollback))
	}
	for i := range min(len(got.Scrollback), len(want.Scrollback)) {
		if got.Scrollback[i] != want.Scrollback[i] {
			t.Errorf("scrollback row %d:\n got %q\nwant %q", i, got.Scrollback[i], want.Scrollback[i])
			break
		}
	}
	t.FailNow()
}

// TestR7ChunkedEqualsOneWrite: no byte is dropped or reordered, whatever the
// read boundaries (spec R7).
func TestR7ChunkedEqualsOneWrite(t *testing.T) {
	t.Parallel()
	size := 10 << 20
	if testing.Short() || raceEnabled {
		size = 1 << 20
	}
	stream := mixedStream(size, 7)
	ref := NewTerminal(80, 24, TerminalOptions{Scrollback: 10000})
	_, _ = ref.Write(stream)
	ref.Flush()
	want := stateOf(ref)
	if len(want.Scrollback) < 1000 {
		t.Fatalf("stream too tame: %d scrollback rows", len(want.Scrollback))
	}

	r := rand.New(rand.NewPCG(11, 13))
	got := NewTerminal(80, 24, TerminalOptions{Scrollback: 10000})
	for b := stream; len(b) > 0; {
		n := 1 + r.IntN(9000)
		if r.IntN(4) == 0 {
			n = 1 + r.IntN(4) // tiny reads split sequences and clusters
		}
		n = min(n, len(b))
		_, _ = got.Write(b[:n])
		b = b[n:]
	}
	got.Flush()
	diffStates(t, stateOf(got), want)
	if ref.Panics()+got.Panics() != 0 {
		t.Fatalf("emulator panics: %d, %d", ref.Panics(), got.Panics())
	}
}

// TestFilterMatchesRawEngine: for streams without string sequences or
// invalid UTF-8, the filter and the chunking change nothing: screen and
// scrollback equal those of a bare screen engine fed in one write. (The
// engine itself is compared with x/vt in ptyhost/screen.)
func TestFilterMatchesRawEngine(t *testing.T) {
	t.Parallel()
	var stream []byte
	stream = append(stream, plainLinesStream(200<<10)...)
	stream = append(stream, buildLogStream(300<<10, 3)...)
	stream = append(stream, []byte("\x1b[5;20r\x1b[20;1H")...)
	stream = append(stream, plainLinesStream(20<<10)...)
	stream = append(stream, []byte("\x1b[r\x1b[2J\x1b[H")...)
	stream = append(stream, buildLogStream(100<<10, 4)...)

	wantScreen, wantSB := rawEngineState(stream, 80, 24)
	term := NewTerminal(80, 24, TerminalOptions{Scrollback: len(wantSB) + 10})
	_, _ = term.Write(stream)
	term.Flush()
	got := stateOf(term)
	if !reflect.DeepEqual(got.Screen, wantScreen) {
		diffStates(t, got, termState{Screen: wantScreen, Cursor: got.Cursor, Title: got.Title, Scrollback: got.Scrollback, Modes: got.Modes})
	}
	if len(got.Scrollback) != len(wantSB) {
		t.Fatalf("scrollback %d rows, raw emulator %d", len(got.Scrollback), len(wantSB))
	}
	for i := range wantSB {
		if got.Scrollback[i] != wantSB[i] {
			t.Fatalf("scrollback row %d: %q, raw %q", i, got.Scrollback[i], wantSB[i])
		}
	}
}

// TestRandomBytesNeverPanic feeds 64 MiB of random bytes (R5).
func TestRandomBytesNeverPanic(t *testing.T) {
	t.Parallel()
	size := 64 << 20
	if testing.Short() || raceEnabled {
		size = 2 << 20
	}
	r := rand.New(rand.NewPCG(1, 2))
	term := NewTerminal(80, 24, TerminalOptions{Scrollback: 1000})
	buf := make([]byte, 64<<10)
	start := time.Now()
	for fed := 0; fed < size; fed += len(buf) {
		for i := range buf {
			buf[i] = byte(r.Uint32())
		}
		_, _ = term.Write(buf)
		if fed%(8<<20) == 0 {
			term.Resize(1+r.IntN(120), 1+r.IntN(50))
			_ = term.Snapshot().ANSILines()
		}
	}
	term.Flush()
	_ = term.View(3)
	t.Logf("%d MiB random in %v, %d emulator panics recovered", size>>20, time.Since(start), term.Panics())
}

func FuzzFeed(f *testing.F) {
	for _, s := range []string{
		"hello\r\nworld",
		"\x1b]0;✳ Claude Code\x07x",
		"\x1b[5;10r\x1b[10;1H\n\n\x1b[1;1r",
		"\x1b[?1049h\x1b[2J\x1b[?1049l",
		"e\u0301👩‍👩‍👧世界\xff\xc3",
		"\x1bP+q544e\x1b\\\x1b_G\x1b\\\x1b]52;c;YQ==\x07",
		"\x1b[38;2;1;2;3;48;5;9;4:3mX\x1b[3J\x1b[6n\x1b[c",
	} {
		f.Add([]byte(s), uint8(80), uint8(24))
	}
	f.Fuzz(func(t *testing.T, data []byte, cols, rows uint8) {
		term := NewTerminal(int(cols%100)+1, int(rows%40)+1, TerminalOptions{Scrollback: 100})
		half := len(data) / 2
		_, _ = term.Write(data[:half])
		term.Resize(int(rows%50)+1, int(cols%30)+1)
		_, _ = term.Write(data[half:])
		term.Flush()
		scr := term.Snapshot()
		for _, l := range scr.ANSILines() {
			_ = l
		}
		_ = scr.PlainText()
		_ = term.View(2)
		_ = term.Close()
	})
}

// TestR7ThroughRealSession: the same check through a real PTY and the
// session's reader goroutine (output post-processing off, so the bytes the
// emulator sees are exactly the file's).
func TestR7ThroughRealSession(t *testing.T) {
	skipShort(t)
	t.Parallel()
	size := 3 << 20
	if raceEnabled {
		size = 256 << 10
	}
	stream := mixedStream(size, 21)
	file := filepath.Join(t.TempDir(), "stream.bin")
	if err := os.WriteFile(file, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, Spec{Argv: []string{"/bin/sh", "-c", "stty -opost -echo && cat " + file}, Env: testEnv(t), Cols: 80, Rows: 24, Scrollback: 10000})
	if st := waitExitWithin(t, s, 2*time.Minute); st.Code != 0 {
		t.Fatalf("exit %+v", st)
	}
	ref := NewTerminal(80, 24, TerminalOptions{Scrollback: 10000})
	_, _ = ref.Write(stream)
	ref.Flush()
	diffStates(t, stateOf(s.Terminal()), stateOf(ref))
}

// rawEngineState runs stream through a bare screen engine in one write and
// renders its screen and scrollback like stateOf does.
func rawEngineState(stream []byte, cols, rows int) (scr, scrollback []string) {
	raw := NewTerminal(cols, rows, TerminalOptions{Scrollback: math.MaxInt32})
	raw.mu.Lock()
	defer raw.mu.Unlock()
	_, _ = raw.scr.Write(stream)
	for i := range raw.scr.ScrollbackLen() {
		scrollback = append(scrollback, raw.scrollbackLineLocked(i).text)
	}
	for _, l := range raw.snapshotLocked().Lines {
		scr = append(scr, l.ANSI(cols))
	}
	return scr, scrollback
}

// TestChunkedMatchesRawEngine throws random mixes of plain lines (around
// the width limit), styled and wrapped lines, cursor addressing, scroll
// regions, modes and charsets, in random read sizes, at a Terminal and at a
// bare engine fed in one write.
func TestChunkedMatchesRawEngine(t *testing.T) {
	t.Parallel()
	seeds := 40
	if testing.Short() || raceEnabled {
		seeds = 8
	}
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 99))
		cols, rows := 2+r.IntN(100), 3+r.IntN(40)
		if seed == 0 {
			cols, rows = 80, 24
		}
		var b bytes.Buffer
		for b.Len() < 100<<10 {
			switch r.IntN(14) {
			case 0, 1, 2, 3, 4:
				for range 1 + r.IntN(3*rows) {
					n := r.IntN(cols + 3)
					for j := range n {
						switch r.IntN(12) {
						case 0:
							fmt.Fprintf(&b, "\x1b[%d;3%dm", r.IntN(2), r.IntN(8))
						case 1:
							b.WriteString([]string{"\x1b[m", "\x1b[0m", "\x1b[1;4:3m", "\x1b[38;5;200m", "\x1b[38;2;1;45;3m", "\x1b[44m", "\x1b[49m", "\x1b[K"}[r.IntN(8)])
						case 2:
							b.WriteString([]string{"世", "é", "e\u0301", "✓", "━", "👍🏽", "✳\ufe0f", "\u0301"}[r.IntN(8)])
						default:
							b.WriteByte(byte('!' + (j+n)%90))
						}
					}
					b.WriteString("\r\n")
				}
			case 5:
				fmt.Fprintf(&b, "\x1b[4%dmcoloured pen\r\n\r\n\r\n", r.IntN(8))
				if r.IntN(2) == 0 {
					b.WriteString("\x1b[m")
				}
			case 6:
				fmt.Fprintf(&b, "\x1b[%d;%dH", 1+r.IntN(rows+2), 1+r.IntN(cols+2))
			case 7:
				fmt.Fprintf(&b, "\x1b[%d;%dr", 1+r.IntN(rows), 1+r.IntN(rows))
			case 8:
				b.WriteString("\x1b[r")
			case 9:
				b.WriteString([]string{"\x1b(0", "\x1b(B", "\x1b[4h", "\x1b[4l", "\x1b[?6h", "\x1b[?6l", "\x1b[20h", "\x1b[20l", "\x1b[?7l", "\x1b[?7h", "\x1b[?1049h", "\x1b[?1049l", "\x1bN", "\x1b[3b", "\x1b[2J", "\x1b[3J"}[r.IntN(16)])
			case 10:
				b.WriteString("tab\there\n\nlf only\rcr\r\n")
			case 11:
				b.WriteString("wide 世界 é e\u0301 👍🏽\r\n")
			case 12:
				fmt.Fprintf(&b, "\x1b[%dA\x1b[%dB\x1b[K\x1b[%dL\x1b[%dM\x1bD\x1bM\x1bE", r.IntN(3), r.IntN(3), r.IntN(3), r.IntN(3))
			default:
				fmt.Fprintf(&b, "\x1b[%dS\x1b[%dT", r.IntN(4), r.IntN(4))
			}
		}
		stream := b.Bytes()
		wantScreen, wantSB := rawEngineState(stream, cols, rows)
		term := NewTerminal(cols, rows, TerminalOptions{Scrollback: len(wantSB) + 10})
		for p := stream; len(p) > 0; {
			n := min(1+r.IntN(20000), len(p))
			_, _ = term.Write(p[:n])
			p = p[n:]
		}
		term.Flush()
		got := stateOf(term)
		for y := range wantScreen {
			if got.Screen[y] != wantScreen[y] {
				t.Fatalf("seed %d (%dx%d) row %d:\n got %q\nwant %q", seed, cols, rows, y, got.Screen[y], wantScreen[y])
			}
		}
		if len(got.Scrollback) != len(wantSB) {
			t.Fatalf("seed %d: scrollback %d rows, raw %d", seed, len(got.Scrollback), len(wantSB))
		}
		for i := range wantSB {
			if got.Scrollback[i] != wantSB[i] {
				t.Fatalf("seed %d: scrollback row %d: %q, raw %q", seed, i, got.Scrollback[i], wantSB[i])
			}
		}
	}
}

// FuzzBatchMatchesRaw builds streams from tokens that the filter passes
// through unchanged and checks the terminal (batching, scrollback hand-off)
// against a bare emulator fed the same bytes.
func FuzzBatchMatchesRaw(f *testing.F) {
	f.Add([]byte("aaaa\x00bbbb\x00\x00cc\x00"), uint8(10), uint8(4))
	f.Add([]byte("abc\x00\x01\x02\x03abc\x00\x04\x05\x00\x00\x00"), uint8(3), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, c, r uint8) {
		cols, rows := int(c%60)+2, int(r%20)+3
		tokens := []string{"\r\n", "\x1b[31m", "\x1b[44m", "\x1b[m", "世", "\x1b[2;4r", "\x1b[r", "\x1b[H", "\x1b[2J",
			"\x1bM", "\t", "\x1b[?1049h", "\x1b[?1049l", "\n", "\r", "e\u0301", "\x1b[3S", "\x1b[2b", "\x1b(0", "\x1b(B", "\x1b[4h", "\x1b[4l",
			"\x1b[38;5;44m", "\x1b[38;2;1;45;3m", "\x1b[38;2;1;45m", "\x1b[38:5:44m", "\x1b[48;5;1m", "\x1b[38;7;44m", "\x1b[0;38;5;100m"}
		var b bytes.Buffer
		for _, d := range data {
			if d >= 'a' && d <= 'z' {
				b.WriteByte(d)
				continue
			}
			b.WriteString(tokens[int(d)%len(tokens)])
		}
		stream := b.Bytes()
		wantScreen, wantSB := rawEngineState(stream, cols, rows)
		term := NewTerminal(cols, rows, TerminalOptions{Scrollback: len(wantSB) + 1})
		_, _ = term.Write(stream)
		term.Flush()
		got := stateOf(term)
		if !reflect.DeepEqual(got.Screen, wantScreen) {
			t.Fatalf("screen:\n got %q\nwant %q", got.Screen, wantScreen)
		}
		if len(wantSB) == 0 {
			wantSB = nil
		}
		if !reflect.DeepEqual(got.Scrollback, wantSB) {
			t.Fatalf("scrollback:\n got %q\nwant %q", got.Scrollback, wantSB)
		}
	})
}
