package ptyhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Benchmarks for `make bench-pane`. Throughput is reported as MB/s of
// application output; memory per idle pane as bytes/pane.

func benchFeed(b *testing.B, stream []byte) {
	term := NewTerminal(80, 24, TerminalOptions{Scrollback: DefaultScrollback})
	// Warm up into the steady state: a full scrollback ring.
	for term.ScrollbackLen() < DefaultScrollback {
		_, _ = term.Write(plainLinesStream(1 << 20))
	}
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for range b.N {
		_, _ = term.Write(stream)
	}
	term.Flush()
}

func BenchmarkPaneFeedPlainLines(b *testing.B) { benchFeed(b, plainLinesStream(1<<20)) }

func BenchmarkPaneFeedBuildLog(b *testing.B) { benchFeed(b, buildLogStream(1<<20, 1)) }

func BenchmarkPaneFeedInkRedraw(b *testing.B) { benchFeed(b, inkRedrawStream(1<<20, 1)) }

// BenchmarkPaneFilterOnly measures the OSC/UTF-8 filter alone.
func BenchmarkPaneFilterOnly(b *testing.B) {
	stream := mixedStream(1<<20, 5)
	f := newStreamFilter()
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for range b.N {
		f.process(stream)
		f.consume(f.holdPoint())
	}
}

func BenchmarkPaneSnapshotANSI(b *testing.B) {
	term := NewTerminal(120, 40, TerminalOptions{})
	_, _ = term.Write(buildLogStream(64<<10, 2))
	term.Flush()
	b.ResetTimer()
	for range b.N {
		_ = term.Snapshot().ANSILines()
	}
}

func writeStreamFile(b *testing.B, stream []byte) string {
	b.Helper()
	p := filepath.Join(b.TempDir(), "stream.bin")
	if err := os.WriteFile(p, stream, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchSessionCat times `cat` of a stream through a real session to exit.
// Lines end in LF as programs write them; the tty turns them into CR LF.
func benchSessionCat(b *testing.B, stream []byte) {
	stream = bytes.ReplaceAll(stream, []byte("\r\n"), []byte("\n"))
	file := writeStreamFile(b, stream)
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		s, err := Start(ctx, Spec{Argv: []string{"cat", file}, Env: []string{"PATH=" + os.Getenv("PATH")}, Cols: 80, Rows: 24})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		_ = s.Close(ctx)
		cancel()
	}
}

func BenchmarkPaneSessionCatPlain(b *testing.B) { benchSessionCat(b, plainLinesStream(4<<20)) }

func BenchmarkPaneSessionCatBuildLog(b *testing.B) { benchSessionCat(b, buildLogStream(4<<20, 3)) }

// benchTmuxCat is the same `cat` in a tmux pane of the same size, timed to
// completion with `tmux wait-for` (spec: throughput at or better than tmux).
func benchTmuxCat(b *testing.B, stream []byte) {
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("tmux not installed")
	}
	stream = bytes.ReplaceAll(stream, []byte("\r\n"), []byte("\n"))
	file := writeStreamFile(b, stream)
	// A fresh private server per run: a server being killed by the previous
	// run would refuse the new session.
	sock := fmt.Sprintf("gt-bench-%d-%d", os.Getpid(), time.Now().UnixNano())
	tmuxCmd := func(args ...string) *exec.Cmd {
		return exec.Command("tmux", append([]string{"-L", sock, "-f", "/dev/null"}, args...)...)
	}
	tmux := func(args ...string) error {
		if out, err := tmuxCmd(args...).CombinedOutput(); err != nil {
			return fmt.Errorf("tmux %v: %w: %s", args, err, out)
		}
		return nil
	}
	if err := tmux("new-session", "-d", "-x", "80", "-y", "24", "sleep 100000"); err != nil {
		b.Skip(err)
	}
	socketPath, _ := tmuxCmd("display-message", "-p", "#{socket_path}").Output()
	defer func() {
		_ = tmux("kill-server")
		if p := string(bytes.TrimSpace(socketPath)); p != "" {
			_ = os.Remove(p)
		}
	}()
	_ = tmux("set-option", "-g", "history-limit", "10000")
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for i := range b.N {
		ch := fmt.Sprintf("done%d", i)
		if err := tmux("new-window", "-d", "cat "+file+"; tmux -L "+sock+" wait-for -S "+ch); err != nil {
			b.Fatal(err)
		}
		if err := tmux("wait-for", ch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPaneTmuxCatPlain(b *testing.B) { benchTmuxCat(b, plainLinesStream(4<<20)) }

func BenchmarkPaneTmuxCatBuildLog(b *testing.B) { benchTmuxCat(b, buildLogStream(4<<20, 3)) }

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkPaneIdleMemory reports the heap held by one idle pane (engine,
// filter, full 10,000-row scrollback of a colourful log); x/vt's cost for
// the same is BenchmarkPaneEngineIdleMemory's xvt-bytes/pane.
func BenchmarkPaneIdleMemory(b *testing.B) {
	const panes = 4
	stream := buildLogStream(2<<20, 9)
	b.ResetTimer()
	for range b.N {
		before := heapInUse()
		terms := make([]*Terminal, panes)
		for i := range terms {
			terms[i] = NewTerminal(80, 24, TerminalOptions{Scrollback: DefaultScrollback})
			for terms[i].ScrollbackLen() < DefaultScrollback {
				_, _ = terms[i].Write(stream)
			}
			terms[i].Flush()
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before)/panes, "bytes/pane")

		runtime.KeepAlive(terms)
	}
}
