package ptyhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestReadPacer(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	type read struct {
		n     int
		after time.Duration // since the previous read
		wait  bool          // the reader waits for a frame boundary after it
	}
	tests := []struct {
		name  string
		reads []read
	}{
		{"a lone keystroke echo goes on at once", []read{{1, 0, false}}},
		{"typing at 10 keys a second is never held", []read{{1, 0, false}, {1, ms(100), false}, {1, ms(100), false}, {1, ms(100), false}}},
		{"a line printer is paced from its third close read", []read{{60, 0, false}, {60, ms(10), false}, {60, ms(10), false}, {60, ms(10), true}, {60, ms(17), true}}},
		{"a pause longer than two frames ends the streak", []read{{60, 0, false}, {60, ms(10), false}, {60, ms(10), false}, {60, ms(10), true}, {60, ms(50), false}, {60, ms(10), false}}},
		{"full reads (cat) are never held", []read{{4095, 0, false}, {4095, ms(1), false}, {4095, ms(1), false}, {4095, ms(1), false}}},
		{"a short read among full ones is not held", []read{{4095, 0, false}, {100, ms(1), false}, {4095, ms(1), false}, {300, ms(1), false}, {200, ms(1), false}, {4095, ms(1), false}}},
		{"a big read breaks a streak of small ones", []read{{60, 0, false}, {60, ms(5), false}, {60, ms(5), false}, {60, ms(5), true}, {batchSmallRead, ms(5), false}, {60, ms(5), false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p readPacer
			now := frameEpoch.Add(time.Hour)
			for i, r := range tt.reads {
				now = now.Add(r.after)
				next := p.next(r.n, now)
				if got := !next.IsZero(); got != r.wait {
					t.Fatalf("read %d (%d bytes, %v later): waits = %v, want %v", i, r.n, r.after, got, r.wait)
				}
				if next.IsZero() {
					continue
				}
				if !next.After(now) || next.Sub(now) > batchFrame {
					t.Fatalf("read %d: resumes %v after it, want within one frame (%v)", i, next.Sub(now), batchFrame)
				}
				if off := next.Sub(frameEpoch) % batchFrame; off != 0 {
					t.Fatalf("read %d: resumes %v past a frame boundary, want on one", i, off)
				}
			}
		})
	}
}

// countingWriter records every read the session made.
type countingWriter struct {
	mu    sync.Mutex
	reads int
	buf   bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads++
	return w.buf.Write(p)
}

// A child printing a short line every 2 ms is read in frame-paced batches;
// every byte still reaches the screen, in order.
func TestPacedReadsKeepEveryByte(t *testing.T) {
	const ticks = 300
	rec := &countingWriter{}
	s := startSession(t, Spec{
		Argv:   []string{os.Args[0], "-test.run=^$"},
		Env:    testEnv(t, "PTYHOST_HELPER=ticker", fmt.Sprintf("PTYHOST_TICKS=%d", ticks)),
		Cols:   40,
		Rows:   10,
		Record: rec,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if st, err := s.Wait(ctx); err != nil || st.Code != 0 {
		t.Fatalf("wait: %v %v", st, err)
	}
	var want strings.Builder
	for i := 1; i <= ticks; i++ {
		fmt.Fprintf(&want, "tick %d\r\n", i)
	}
	want.WriteString("end\r\n")
	rec.mu.Lock()
	got, reads := rec.buf.String(), rec.reads
	rec.mu.Unlock()
	if got != want.String() {
		t.Fatalf("recorded %d bytes, want %d; first difference at %d", len(got), want.Len(), firstDiff(got, want.String()))
	}
	var lines []string
	for _, l := range s.Scrollback(0, s.ScrollbackLen()) {
		lines = append(lines, l.Plain())
	}
	for _, l := range s.View(0) {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != ticks+1 || lines[0] != "tick 1" || lines[ticks-1] != fmt.Sprintf("tick %d", ticks) || lines[ticks] != "end" {
		t.Fatalf("screen and scrollback hold %d lines (%q … %q), want tick 1 … tick %d, end", len(lines), lines[0], lines[len(lines)-1], ticks)
	}
	for i := 0; i < ticks; i++ {
		if want := fmt.Sprintf("tick %d", i+1); lines[i] != want {
			t.Fatalf("line %d = %q, want %q", i, lines[i], want)
		}
	}
	t.Logf("%d lines arrived in %d reads", ticks+1, reads)
}

func firstDiff(a, b string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
