package ptyhost

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// RenderRows serves unchanged rows from its memo: after every chunk of a
// stream, and across resizes, alt-screen switches, emulator resets and
// width changes, each row must equal a fresh rendering of a snapshot.
func TestRenderRowsMatchesSnapshot(t *testing.T) {
	streams := map[string][]byte{
		"mixed":     mixedStream(1<<20, 1),
		"ink":       inkRedrawStream(256<<10, 2),
		"build log": buildLogStream(256<<10, 3),
		"random":    randomBytes(256<<10, 4),
	}
	files, _ := filepath.Glob(filepath.Join(recordedDir, "*.bin"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		streams[filepath.Base(f)] = b
	}
	for name, stream := range streams {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(len(stream)), 9))
			term := NewTerminal(80, 24, TerminalOptions{Scrollback: 200})
			checks := 0
			chunk := max(len(stream)/100, 16)
			for len(stream) > 0 {
				n := min(len(stream), 1+r.IntN(chunk))
				_, _ = term.Write(stream[:n])
				stream = stream[n:]
				switch r.IntN(40) {
				case 0:
					term.Resize(20+r.IntN(100), 5+r.IntN(40))
				case 1:
					term.Flush()
				}
				cols, rows := term.Size()
				width := cols
				if r.IntN(10) == 0 {
					width = 1 + r.IntN(2*cols)
				}
				got := term.RenderRows(nil, 0, rows, width)
				snap := term.Snapshot()
				if len(got) != rows {
					t.Fatalf("RenderRows gave %d rows, want %d", len(got), rows)
				}
				for y, l := range snap.Lines {
					if want := l.ANSI(width); got[y] != want {
						t.Fatalf("after %d checks, row %d at width %d:\n got %q\nwant %q", checks, y, width, got[y], want)
					}
				}
				// A sub-range is the same rows.
				from := r.IntN(rows)
				part := term.RenderRows(nil, from, from+r.IntN(rows+1), width)
				for i, s := range part {
					if s != got[from+i] {
						t.Fatalf("sub-range row %d differs from the full rendering", from+i)
					}
				}
				checks++
			}
			if checks < 50 {
				t.Fatalf("only %d checks", checks)
			}
		})
	}
}

// A reset emulator (a recovered panic) is a new screen whose row
// generations start again: the memo must not serve the old rows.
func TestRenderRowsAfterReset(t *testing.T) {
	term := NewTerminal(20, 3, TerminalOptions{})
	_, _ = term.Write([]byte("before the reset"))
	first := term.RenderRows(nil, 0, 3, 20)
	term.panicHook = func(p []byte) {
		if string(p) == "boom" {
			panic("injected")
		}
	}
	_, _ = term.Write([]byte("boom"))
	term.Flush()
	after := term.RenderRows(nil, 0, 3, 20)
	if after[0] == first[0] {
		t.Fatalf("row 0 still shows %q after the screen was reset", after[0])
	}
	if want := term.Snapshot().Lines[0].ANSI(20); after[0] != want {
		t.Fatalf("row 0 = %q, want %q", after[0], want)
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 5))
	b := make([]byte, n)
	for i := range b {
		switch r.IntN(4) {
		case 0:
			b[i] = byte(r.IntN(256))
		case 1:
			const vt = "\x1b[;?0123456789mHJKABCDrLMP@X\n\r\t"
			b[i] = vt[r.IntN(len(vt))]
		default:
			b[i] = byte(0x20 + r.IntN(0x5f))
		}
	}
	return b
}
