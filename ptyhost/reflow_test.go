package ptyhost

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// allPlain is the scrollback then the screen, one plain string a row.
func allPlain(term *Terminal) []string {
	var out []string
	for _, l := range term.Scrollback(0, term.ScrollbackLen()) {
		out = append(out, strings.TrimRight(l.Plain(), " "))
	}
	return append(out, term.Snapshot().PlainLines()...)
}

// TestTerminalReflow: a shell prompt after long output; the pane is
// narrowed (zoomed out), then widened back, with and without a height
// change in the same call. Long lines rewrap both ways, the prompt stays
// the last line with the cursor after it, nothing is lost.
func TestTerminalReflow(t *testing.T) {
	t.Parallel()
	long := func(i int) string { return fmt.Sprintf("%02d:%s", i, strings.Repeat("0123456789", 9)) } // 93 cells
	prompt := "\x1b[1;32mme@box\x1b[m:\x1b[34m~/gt\x1b[m$ "
	cases := []struct {
		name                   string
		cols, rows             int
		narrowCols, narrowRows int
	}{
		{"width only", 100, 12, 40, 12},
		{"narrower and shorter", 100, 12, 40, 5},
		{"narrower and taller", 100, 12, 30, 20},
		{"one column", 100, 12, 1, 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			term := NewTerminal(c.cols, c.rows, TerminalOptions{Scrollback: 5000})
			for i := range 20 {
				feedString(t, term, long(i)+"\r\n")
				if i%5 == 0 {
					feedString(t, term, "short\r\n")
				}
			}
			feedString(t, term, prompt+"git st")
			before := allPlain(term)
			beforeScreen := term.Snapshot().PlainLines()
			if cur := term.CursorPosition(); cur.X != 19 || cur.Y != c.rows-1 {
				t.Fatalf("cursor before %+v", cur)
			}

			term.Resize(c.narrowCols, c.narrowRows)
			scr := term.Snapshot()
			cur := term.CursorPosition()
			if cur.Y != scr.Rows-1 {
				t.Fatalf("narrow: cursor %+v not on the last row of %d", cur, scr.Rows)
			}
			// The prompt line is the screen's bottom, rewrapped.
			var tail string
			end := term.ScrollbackLen() + cur.Y + 1
			for _, r := range allPlain(term)[max(0, end-1-19/c.narrowCols):end] {
				tail += r + strings.Repeat(" ", c.narrowCols-len(r))
			}
			tail = strings.TrimRight(tail, " ")
			if !strings.HasSuffix(tail, "me@box:~/gt$ git st") {
				t.Fatalf("narrow: prompt rows %q", scr.PlainLines())
			}
			{
				if want := 19 % c.narrowCols; cur.X != want {
					t.Fatalf("narrow: cursor x %d, want %d (after \"git st\")", cur.X, want)
				}
				// Every long line is now rows of narrowCols cells.
				rows := allPlain(term)
				joined := strings.Join(rows, "")
				for i := range 20 {
					if !strings.Contains(joined, long(i)) {
						t.Fatalf("narrow: line %d lost", i)
					}
				}
				for _, r := range rows {
					if len(r) > c.narrowCols {
						t.Fatalf("narrow: row %q wider than %d", r, c.narrowCols)
					}
				}
			}

			term.Resize(c.cols, c.rows)
			if got := allPlain(term); !reflect.DeepEqual(got, before) {
				t.Fatalf("widened back:\n got %q\nwant %q", got, before)
			}
			if got := term.Snapshot().PlainLines(); !reflect.DeepEqual(got, beforeScreen) {
				t.Fatalf("screen after widening:\n got %q\nwant %q", got, beforeScreen)
			}
			if cur := term.CursorPosition(); cur.X != 19 || cur.Y != c.rows-1 {
				t.Fatalf("cursor after widening %+v, want 19,%d", cur, c.rows-1)
			}
			// Typing continues the prompt line.
			feedString(t, term, "atus")
			if got := term.Snapshot().PlainLines()[c.rows-1]; got != "me@box:~/gt$ git status" {
				t.Fatalf("prompt after typing %q", got)
			}
		})
	}
}

// TestTerminalReflowPromptMidScreen: a short session (the prompt in the
// middle of the screen, blank rows below): narrowing then widening keeps
// the prompt where it was; the blank rows below it are not pushed above.
func TestTerminalReflowPromptMidScreen(t *testing.T) {
	t.Parallel()
	term := NewTerminal(60, 10, TerminalOptions{})
	feedString(t, term, strings.Repeat("x", 50)+"\r\nok\r\n$ ")
	term.Resize(20, 10)
	if got, want := term.Snapshot().PlainLines()[:5], []string{strings.Repeat("x", 20), strings.Repeat("x", 20), strings.Repeat("x", 10), "ok", "$"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("narrow: %q, want %q", got, want)
	}
	if c := term.CursorPosition(); c.X != 2 || c.Y != 4 || term.ScrollbackLen() != 0 {
		t.Fatalf("narrow: cursor %+v, scrollback %d", c, term.ScrollbackLen())
	}
	term.Resize(60, 10)
	if c := term.CursorPosition(); c.X != 2 || c.Y != 2 {
		t.Fatalf("widened: cursor %+v", c)
	}
	// A height shrink with the same width still keeps the prompt line.
	term.Resize(60, 2)
	if got := term.Snapshot().PlainLines(); !reflect.DeepEqual(got, []string{"ok", "$"}) {
		t.Fatalf("after a height shrink %q", got)
	}
}

// TestTerminalReflowBehindAltScreen: an application on the alternate
// screen while the pane is resized (narrower and shorter); when it exits,
// the shell's screen is reflowed to the new size with the prompt line
// visible and the cursor after it.
func TestTerminalReflowBehindAltScreen(t *testing.T) {
	t.Parallel()
	for _, size := range [][2]int{{30, 4}, {80, 4}, {100, 30}} {
		term := NewTerminal(80, 12, TerminalOptions{})
		for i := range 10 {
			feedString(t, term, fmt.Sprintf("%d %s\r\n", i, strings.Repeat("=", 60)))
		}
		feedString(t, term, "$ vim")
		sb := term.ScrollbackLen()
		feedString(t, term, "\x1b[?1049h\x1b[H~\r\n~")
		term.Resize(size[0], size[1])
		if term.ScrollbackLen() != sb {
			t.Fatalf("%v: scrollback changed under the alt screen", size)
		}
		feedString(t, term, "\x1b[?1049l")
		scr := term.Snapshot()
		c := term.CursorPosition()
		if got := scr.PlainLines()[c.Y]; got != "$ vim" || c.X != 5 {
			t.Fatalf("%v: after the alt screen cursor %+v on %q: %q", size, c, got, scr.PlainLines())
		}
		if c.Y != scr.Rows-1 && size[1] < 12 {
			t.Fatalf("%v: prompt on row %d of %d", size, c.Y, scr.Rows)
		}
	}
}
