package screen_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/ptyhost"
)

// Host-level benchmarks for `make bench-pane`: gt's ptyhost sessions and a
// tmux server under the same load, side by side in one run. The test
// binary doubles as the load generator (GT_SCREEN_HELPER).

func TestMain(m *testing.M) {
	switch os.Getenv("GT_SCREEN_HELPER") {
	case "lines":
		os.Exit(printLines())
	case "agent":
		os.Exit(printAgent())
	}
	os.Exit(m.Run())
}

// printLines prints GT_RATE lines a second until killed.
func printLines() int {
	rate, _ := strconv.Atoi(os.Getenv("GT_RATE"))
	rate = max(rate, 1)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; ; i++ {
		<-tick.C
		if _, err := fmt.Fprintf(os.Stdout, "\x1b[32m%6d\x1b[m building package github.com/example/mod%d ... ok\r\n", i, i%97); err != nil {
			return 0
		}
	}
}

// printAgent redraws an Ink-style status block ten times a second and logs
// a tool line every second, like a busy coding agent.
func printAgent() int {
	spin := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var b bytes.Buffer
	for i := 0; ; i++ {
		<-tick.C
		b.Reset()
		if i > 0 {
			b.WriteString("\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[G")
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, "\x1b[2m⏺\x1b[22m Edit src/file%d.go (+%d -%d)\r\n", i, i%40, i%7)
		}
		fmt.Fprintf(&b, "\x1b[38;5;208m%s\x1b[39m Working… \x1b[2m(%ds · esc to interrupt)\x1b[22m\r\n", spin[i%len(spin)], i/10)
		fmt.Fprintf(&b, "\x1b[90m│\x1b[39m > %s\r\n", strings.Repeat("▌", i%30))
		b.WriteString("\x1b[7m \x1b[27m")
		if _, err := os.Stdout.Write(b.Bytes()); err != nil {
			return 0
		}
	}
}

func helperArgv(b *testing.B) string {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	return exe
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU returns a process's user+system CPU time from /proc.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procRSS returns a process's resident set in bytes.
func procRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// tmuxServer is a private tmux server for one benchmark.
type tmuxServer struct {
	b    *testing.B
	sock string
}

func newTmux(b *testing.B) *tmuxServer {
	if _, err := exec.LookPath("tmux"); err != nil {
		b.Skip("tmux not installed")
	}
	t := &tmuxServer{b: b, sock: fmt.Sprintf("gt-screen-bench-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.run("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", "sleep 100000")
	t.run("set-option", "-g", "history-limit", "10000")
	sockPath := t.run("display-message", "-p", "#{socket_path}")
	b.Cleanup(func() {
		_ = exec.Command("tmux", "-L", t.sock, "kill-server").Run()
		_ = os.Remove(sockPath)
	})
	return t
}

func (t *tmuxServer) run(args ...string) string {
	out, err := exec.Command("tmux", append([]string{"-L", t.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.b.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (t *tmuxServer) pid() int {
	p, _ := strconv.Atoi(t.run("display-message", "-p", "#{pid}"))
	return p
}

// BenchmarkPaneTmuxIdleMemory reports a tmux server's RSS growth per idle
// 80x24 pane holding a full 10,000-line history of a coloured build log
// (compare with BenchmarkPaneEngineIdleMemory's bytes/pane).
func BenchmarkPaneTmuxIdleMemory(b *testing.B) {
	const panes = 4
	var log strings.Builder
	for i := range 12000 {
		fmt.Fprintf(&log, "\x1b[1;32m   Compiling\x1b[0m crate-%d v0.%d.%d \x1b[33mwarning\x1b[0m: unused `x%d` --> src/lib.rs:%d\n", i, i%9, i%20, i, i%900)
	}
	file := filepath.Join(b.TempDir(), "log.txt")
	if err := os.WriteFile(file, []byte(log.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		t := newTmux(b)
		pid := t.pid()
		time.Sleep(200 * time.Millisecond)
		before := procRSS(pid)
		for range panes {
			t.run("new-window", "-d", "cat "+file+"; exec sleep 100000")
		}
		deadline := time.Now().Add(time.Minute)
		for {
			hist := strings.Fields(t.run("list-panes", "-a", "-F", "#{history_size}"))
			full := 0
			for _, h := range hist {
				if n, _ := strconv.Atoi(h); n >= 9000 { // tmux trims 10% when full
					full++
				}
			}
			if full >= panes {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("tmux histories not full: %v", hist)
			}
			time.Sleep(100 * time.Millisecond)
		}
		after := procRSS(pid)
		b.ReportMetric(float64(after-before)/panes, "tmux-bytes/pane")
		_ = exec.Command("tmux", "-L", t.sock, "kill-server").Run()
	}
}

// loadRun measures CPU over d while n panes run the helper mode.
type loadRun struct {
	n    int
	mode string
	rate int
	d    time.Duration
	// render adds a consumer that snapshots each changed pane at most 60
	// times a second, as the TUI does (tmux renders only for an attached
	// client, so host-only comparisons leave it off).
	render bool
}

func (l loadRun) env() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "GT_SCREEN_HELPER=" + l.mode, "GT_RATE=" + strconv.Itoa(l.rate), "TERM=xterm-256color"}
}

// gt runs the load in ptyhost sessions (with the render consumer if asked)
// and returns this process's CPU time per wall second.
func (l loadRun) gt(b *testing.B) float64 {
	ctx, cancel := context.WithTimeout(context.Background(), l.d+time.Minute)
	defer cancel()
	exe := helperArgv(b)
	var sessions []*ptyhost.Session
	for range l.n {
		s, err := ptyhost.Start(ctx, ptyhost.Spec{Argv: []string{exe}, Env: l.env(), Cols: 80, Rows: 24})
		if err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range sessions {
		if !l.render {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			frame := time.NewTicker(time.Second / 60)
			defer frame.Stop()
			for {
				select {
				case <-stop:
					return
				case <-s.Changed():
				}
				_ = s.Snapshot().ANSILines()
				select {
				case <-stop:
					return
				case <-frame.C:
				}
			}
		}()
	}
	time.Sleep(time.Second) // start-up (exec of the helpers) is not the load
	c0, t0 := selfCPU(), time.Now()
	time.Sleep(l.d)
	c1, t1 := selfCPU(), time.Now()
	close(stop)
	wg.Wait()
	for _, s := range sessions {
		_ = s.Close(ctx)
	}
	return float64(c1-c0) / float64(t1.Sub(t0))
}

// tmux runs the same load in a tmux server and returns the server's CPU
// time per wall second.
func (l loadRun) tmux(b *testing.B) float64 {
	t := newTmux(b)
	cmd := "env " + strings.Join(l.env(), " ") + " " + helperArgv(b)
	for range l.n {
		t.run("new-window", "-d", cmd)
	}
	pid := t.pid()
	time.Sleep(time.Second)
	c0, t0 := procCPU(pid), time.Now()
	time.Sleep(l.d)
	c1, t1 := procCPU(pid), time.Now()
	return float64(c1-c0) / float64(t1.Sub(t0))
}

// BenchmarkPaneLoad8x100 is 8 panes each printing 100 lines a second:
// host CPU (cores) of gt's ptyhost sessions vs the tmux server.
func BenchmarkPaneLoad8x100(b *testing.B) {
	l := loadRun{n: 8, mode: "lines", rate: 100, d: 10 * time.Second}
	for range b.N {
		b.ReportMetric(l.gt(b), "gt-cores")
		b.ReportMetric(l.tmux(b), "tmux-cores")
	}
}

// BenchmarkPane30Agents is 30 busy Ink-style agents at once through
// ptyhost sessions with a 60 fps snapshot consumer (the host-less path:
// no TUI process), in cores; the tmux server under the same load for
// comparison.
func BenchmarkPane30Agents(b *testing.B) {
	l := loadRun{n: 30, mode: "agent", d: 5 * time.Second, render: true}
	for range b.N {
		b.ReportMetric(l.gt(b), "gt-cores")
		b.ReportMetric(l.tmux(b), "tmux-cores")
	}
}
