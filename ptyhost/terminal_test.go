package ptyhost

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func feedString(t *testing.T, term *Terminal, s string) {
	t.Helper()
	if _, err := term.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	term.Flush()
}

func TestTitleWith9CByteLeavesNoStrayText(t *testing.T) {
	t.Parallel()
	// ✳ is E2 9C B3: x/vt's parser takes the 0x9C as ST.
	stream := "\x1b]0;✳ Claude Code\x07hello\r\n\x1b]2;⠂ Working; still\x1b\\world"
	for _, chunk := range []int{len(stream), 1, 2, 3, 7} {
		term := NewTerminal(40, 5, TerminalOptions{})
		sigTitles := []string{}
		b := []byte(stream)
		for len(b) > 0 {
			n := min(chunk, len(b))
			sig := term.feed(b[:n])
			if sig.titleSet {
				sigTitles = append(sigTitles, sig.title)
			}
			b = b[n:]
		}
		term.Flush()
		got := term.Snapshot().PlainLines()
		if got[0] != "hello" || got[1] != "world" || got[2] != "" {
			t.Fatalf("chunk %d: screen = %q", chunk, got)
		}
		if term.Title() != "⠂ Working; still" {
			t.Fatalf("chunk %d: title %q", chunk, term.Title())
		}
		want := []string{"✳ Claude Code", "⠂ Working; still"}
		if chunk == len(stream) {
			want = want[1:] // one feed reports its last title
		}
		if !reflect.DeepEqual(sigTitles, want) {
			t.Fatalf("chunk %d: titles %q, want %q", chunk, sigTitles, want)
		}
	}
	term := NewTerminal(40, 5, TerminalOptions{})
	feedString(t, term, "\x1b]0;✳ Claude Code\x07")
	if got := term.Title(); got != "✳ Claude Code" {
		t.Fatalf("title = %q", got)
	}
	if got := term.Snapshot().PlainText(); got != "" {
		t.Fatalf("stray text %q", got)
	}
}

func TestFilterSignals(t *testing.T) {
	t.Parallel()
	term := NewTerminal(40, 5, TerminalOptions{})
	sig := term.feed([]byte("a\x07b\x1b]9;Build done\x07c\x1b]9;4;1;50\x07\x1b]777;notify;Claude;Needs input\x1b\\" +
		"\x1b]52;c;aGVsbG8=\x07\x1bP+q544e\x1b\\\x1b_Gf=1;AAAA\x1b\\\x1b[31m\x07d"))
	term.Flush()
	if sig.bells != 2 {
		t.Errorf("bells = %d, want 2", sig.bells)
	}
	want := []Notification{{Body: "Build done"}, {Title: "Claude", Body: "Needs input"}}
	if !reflect.DeepEqual(sig.notifications, want) {
		t.Errorf("notifications = %+v, want %+v", sig.notifications, want)
	}
	if got := term.Snapshot().PlainLines()[0]; got != "abcd" {
		t.Errorf("screen = %q, want abcd", got)
	}
}

func TestInvalidUTF8BecomesReplacement(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 3, TerminalOptions{})
	feedString(t, term, "a\xffb\xe2\x28c\x9dd\xc3")
	feedString(t, term, "\xa9!")
	if got, want := term.Snapshot().PlainLines()[0], "a\uFFFDb\uFFFD(c\uFFFDdé!"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestOSC8HyperlinkWithUTF8(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 3, TerminalOptions{})
	feedString(t, term, "\x1b]8;;https://x.test/✳\x1b\\link\x1b]8;;\x1b\\ ok")
	if got := term.Snapshot().PlainLines()[0]; got != "link ok" {
		t.Fatalf("got %q", got)
	}
}

func TestANSILinesPaddedAndStyled(t *testing.T) {
	t.Parallel()
	term := NewTerminal(10, 3, TerminalOptions{})
	feedString(t, term, "\x1b[1;31mred\x1b[0m 世界\x1b[48;2;1;2;3mX\x1b[m\r\n\x1b[38;5;200mabcdefghijklm")
	scr := term.Snapshot()
	lines := scr.ANSILines()
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 10 {
			t.Errorf("line %d width %d: %q", i, w, l)
		}
	}
	if !strings.HasPrefix(lines[0], "\x1b[0;1;31mred\x1b[m 世界\x1b[0;48;2;1;2;3mX\x1b[m") {
		t.Errorf("line 0 = %q", lines[0])
	}
	if scr.Lines[0][4].Width != 2 || scr.Lines[0][5].Width != 0 {
		t.Errorf("wide cell widths %d %d", scr.Lines[0][4].Width, scr.Lines[0][5].Width)
	}
	if got := scr.PlainLines(); got[0] != "red 世界X" || got[1] != "abcdefghij" || got[2] != "klm" {
		t.Errorf("plain = %q", got)
	}
	if c, ok := scr.Lines[1][0].Style.Fg.Index(); !ok || c != 200 {
		t.Errorf("fg = %v", scr.Lines[1][0].Style.Fg)
	}
}

func TestResizeTinyAndBack(t *testing.T) {
	t.Parallel()
	term := NewTerminal(80, 24, TerminalOptions{})
	for i := range 40 {
		feedString(t, term, fmt.Sprintf("\x1b[%d;%dr\x1b[44mline %d 世界\r\n", i%20+1, 24, i))
	}
	for _, sz := range [][2]int{{1, 1}, {0, 0}, {2, 1}, {1, 30}, {80, 24}, {3, 2}, {120, 50}} {
		term.Resize(sz[0], sz[1])
		feedString(t, term, "\x1b[5;10r\x1b[10;1H\x1bMxyz世\x1b[2J\x1b[3;1Habc\r\n")
		scr := term.Snapshot()
		for _, l := range scr.ANSILines() {
			if w := ansi.StringWidth(l); w != scr.Cols {
				t.Fatalf("size %v: width %d", sz, w)
			}
		}
		_ = term.View(5)
	}
	if term.Panics() != 0 {
		t.Fatalf("%d emulator panics", term.Panics())
	}
}

func TestShrinkKeepsCursorLine(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 10, TerminalOptions{})
	for i := range 9 {
		feedString(t, term, fmt.Sprintf("out %d\r\n", i))
	}
	feedString(t, term, "$ ")
	term.Resize(20, 4)
	got := term.Snapshot().PlainLines()
	if want := []string{"out 6", "out 7", "out 8", "$"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after shrink %q, want %q", got, want)
	}
	if c := term.CursorPosition(); c.X != 2 || c.Y != 3 {
		t.Fatalf("cursor %+v", c)
	}
	sb := term.Scrollback(0, term.ScrollbackLen())
	if len(sb) != 6 || sb[5].Plain() != "out 5" {
		t.Fatalf("scrollback %d lines, last %q", len(sb), sb[len(sb)-1].Plain())
	}
	feedString(t, term, "echo\r\n")
	if got := term.Snapshot().PlainLines(); got[2] != "$ echo" {
		t.Fatalf("typing after shrink: %q", got)
	}
}

func TestScrollbackRingAndClear(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 5, TerminalOptions{Scrollback: 50})
	for i := range 200 {
		feedString(t, term, fmt.Sprintf("\x1b[3%dmline %d\x1b[m\r\n", i%8, i))
	}
	if n := term.ScrollbackLen(); n != 50 {
		t.Fatalf("scrollback len %d, want 50", n)
	}
	sb := term.Scrollback(0, 50)
	if sb[0].Plain() != "line 146" || sb[49].Plain() != "line 195" {
		t.Fatalf("scrollback = %q .. %q", sb[0].Plain(), sb[49].Plain())
	}
	if a := sb[49].ANSI(20); ansi.StringWidth(a) != 20 || !strings.Contains(a, "\x1b[0;33m") {
		t.Fatalf("ansi = %q", a)
	}
	if a := sb[49].ANSI(4); ansi.Strip(a) != "line" {
		t.Fatalf("cut = %q", a)
	}
	view := term.View(2)
	if ansi.Strip(view[0]) != "line 194"+strings.Repeat(" ", 12) {
		t.Fatalf("view = %q", view)
	}
	feedString(t, term, "\x1b[3J")
	if n := term.ScrollbackLen(); n != 0 {
		t.Fatalf("after ED 3: %d", n)
	}
}

func TestAltScreenKeepsNoScrollback(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 5, TerminalOptions{})
	feedString(t, term, "main\r\n\x1b[?1049h")
	for i := range 100 {
		feedString(t, term, fmt.Sprintf("alt %d\r\n", i))
	}
	if n := term.ScrollbackLen(); n != 0 {
		t.Fatalf("main scrollback grew to %d in the alternate screen", n)
	}
	if !term.Modes().AltScreen {
		t.Fatal("alt screen mode not tracked")
	}
	feedString(t, term, "\x1b[?1049l")
	if got := term.Snapshot().PlainLines()[0]; got != "main" {
		t.Fatalf("back on main: %q", got)
	}
}

func TestModesTracked(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 5, TerminalOptions{})
	feedString(t, term, "\x1b[?1h\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h")
	m := term.Modes()
	want := Modes{AppCursorKeys: true, BracketedPaste: true, FocusEvents: true, Mouse: MouseTrackingButton, MouseEncoding: MouseEncodingSGR}
	if m != want {
		t.Fatalf("modes %+v, want %+v", m, want)
	}
	feedString(t, term, "\x1bc")
	if m := term.Modes(); m != (Modes{}) {
		t.Fatalf("after RIS %+v", m)
	}
}

func TestRepliesToQueries(t *testing.T) {
	t.Parallel()
	got := make(chan []byte, 10)
	term := NewTerminal(20, 5, TerminalOptions{Replies: func(b []byte) { got <- b }})
	// A split query, and a colour query the filter re-emits to the emulator.
	feedString(t, term, "ab\x1b[")
	feedString(t, term, "6n\x1b]11;?\x07\x1b[c")
	var all []byte
	deadline := time.After(5 * time.Second)
	for !strings.Contains(string(all), "\x1b[?") {
		select {
		case b := <-got:
			all = append(all, b...)
		case <-deadline:
			t.Fatalf("replies so far %q", all)
		}
	}
	if !strings.HasPrefix(string(all), "\x1b[1;3R\x1b]11;rgb:0000/0000/0000") {
		t.Fatalf("reply %q", all)
	}
}

// TestEmulatorPanicResetsOnlyThatPane forces a panic inside the emulator.
func TestEmulatorPanicResetsOnlyThatPane(t *testing.T) {
	t.Parallel()
	term := NewTerminal(20, 3, TerminalOptions{Logger: slog.New(slog.DiscardHandler)})
	other := NewTerminal(20, 3, TerminalOptions{})
	feedString(t, term, "before\r\n")
	feedString(t, other, "untouched")
	term.panicHook = func(p []byte) {
		if strings.Contains(string(p), "\x1b[z") {
			panic("boom")
		}
	}
	feedString(t, term, "x\x1b[zafter")
	if term.Panics() != 1 {
		t.Fatalf("panics = %d", term.Panics())
	}
	feedString(t, term, "fresh")
	if got := term.Snapshot().PlainLines()[0]; got != "fresh" {
		t.Fatalf("after reset: %q", got)
	}
	if got := other.Snapshot().PlainLines()[0]; got != "untouched" || other.Panics() != 0 {
		t.Fatalf("other pane: %q", got)
	}
}
