package ptyhost

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// go test ./ptyhost -run TestRecordedStreams -record re-records the real
// program output under testdata/pty (and its golden screens) on this machine.
var record = flag.Bool("record", false, "re-record testdata/pty streams from real programs")

const recordedDir = "../testdata/pty"

// recording is one scripted real-program session at 80x24.
type recording struct {
	name  string
	argv  []string
	setup func(dir string) error
	// steps are sent in order, each after the screen shows its wait text.
	steps []recStep
}

type recStep struct {
	waitFor string // plain text expected somewhere on screen first ("" = none)
	input   string
}

func recordings() []recording {
	rows := func(dir string) error {
		var b strings.Builder
		for i := 1; i <= 300; i++ {
			fmt.Fprintf(&b, "row %03d\tfunc f%d() { return %d } // ✳ 世界 é\n", i, i, i*i)
		}
		return os.WriteFile(filepath.Join(dir, "rows.txt"), []byte(b.String()), 0o644)
	}
	return []recording{
		{
			name:  "vim",
			argv:  []string{"vim", "-u", "NONE", "-N", "-i", "NONE", "-n", "-c", "set nu", "rows.txt"},
			setup: rows,
			steps: []recStep{
				{"row 001", "G"}, {"row 300", "gg"}, {"row 001", "/row 150\r"},
				{"row 150", "\x04"}, {"", "o  inserted ✳ line\x1b"}, {"inserted", ":q!\r"},
			},
		},
		{
			name:  "less",
			argv:  []string{"less", "rows.txt"},
			setup: rows,
			steps: []recStep{
				{"row 001", " "}, {"row 024", " "}, {"row 047", "b"}, {"row 024", "G"},
				{"row 300", "/row 2\r"}, {"", "n"}, {"", "q"},
			},
		},
		{
			name: "shell-colors",
			argv: []string{"/bin/sh", "-c", `printf '\033]0;\342\234\263 colors\007'
ls --color=always -la /usr/bin | head -40
i=0; while [ $i -lt 256 ]; do printf '\033[48;5;%dm %3d \033[m' $i $i; i=$((i+1)); [ $((i % 12)) -eq 0 ] && echo; done; echo
printf '\033[1mbold\033[0m \033[3mitalic\033[0m \033[4munder\033[0m \033[7mreverse\033[0m \033[38;2;255;128;0mtruecolor\033[0m\n'
printf '\033[?1049h\033[Halt screen\033[?1049lback\n'`},
		},
	}
}

func TestRecordedStreams(t *testing.T) {
	if *record {
		recordAll(t)
	}
	files, _ := filepath.Glob(filepath.Join(recordedDir, "*.bin"))
	if len(files) == 0 {
		t.Fatal("no recorded streams under testdata/pty (run with -record)")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bin")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stream, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			ref := NewTerminal(80, 24, TerminalOptions{})
			_, _ = ref.Write(stream)
			ref.Flush()
			want := stateOf(ref)
			r := rand.New(rand.NewPCG(uint64(len(stream)), 5))
			for range 5 {
				got := NewTerminal(80, 24, TerminalOptions{})
				for b := stream; len(b) > 0; {
					n := min(1+r.IntN(300), len(b))
					_, _ = got.Write(b[:n])
					b = b[n:]
				}
				got.Flush()
				diffStates(t, stateOf(got), want)
			}
			golden, err := os.ReadFile(strings.TrimSuffix(f, ".bin") + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			if got := goldenFor(stream); got != string(golden) {
				t.Fatalf("screen differs from %s.golden:\n%s\n--- want:\n%s", name, got, golden)
			}
		})
	}
}

// goldenFor renders the screen just before the stream leaves the
// alternate screen (the last full-screen frame), if it does, and at the end.
func goldenFor(stream []byte) string {
	var b strings.Builder
	if i := bytes.LastIndex(stream, []byte("\x1b[?1049l")); i >= 0 {
		t := NewTerminal(80, 24, TerminalOptions{})
		_, _ = t.Write(stream[:i])
		t.Flush()
		b.WriteString("== last alternate-screen frame\n" + goldenText(t))
	}
	t := NewTerminal(80, 24, TerminalOptions{})
	_, _ = t.Write(stream)
	t.Flush()
	b.WriteString("== end\n" + goldenText(t))
	return b.String()
}

// goldenText is what the .golden files hold: title, cursor, the plain
// screen and the scrollback size.
func goldenText(t *Terminal) string {
	scr := t.Snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "title: %q\ncursor: %d,%d visible=%v alt=%v\nscrollback: %d rows\n", scr.Title, scr.Cursor.X, scr.Cursor.Y, scr.Cursor.Visible, scr.AltScreen, t.ScrollbackLen())
	for _, l := range scr.PlainLines() {
		b.WriteString("|" + l + "\n")
	}
	return b.String()
}

func recordAll(t *testing.T) {
	for _, rec := range recordings() {
		dir := t.TempDir()
		if rec.setup != nil {
			if err := rec.setup(dir); err != nil {
				t.Fatal(err)
			}
		}
		var raw bytes.Buffer
		s := startSession(t, Spec{Argv: rec.argv, Env: testEnv(t, "LESSHISTFILE=-", "LESS="), Dir: dir, Cols: 80, Rows: 24, Record: &raw})
		for _, st := range rec.steps {
			if st.waitFor != "" {
				waitScreen(t, s, 10*time.Second, st.waitFor, func(scr *Screen) bool { return strings.Contains(scr.PlainText(), st.waitFor) })
			} else {
				time.Sleep(300 * time.Millisecond)
			}
			_, _ = s.Write([]byte(st.input))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := s.Wait(ctx); err != nil {
			t.Fatalf("%s did not exit: %v\n%s", rec.name, err, s.Snapshot().PlainText())
		}
		cancel()
		base := filepath.Join(recordedDir, rec.name)
		if err := os.WriteFile(base+".bin", raw.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".golden", []byte(goldenFor(raw.Bytes())), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
