package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuWindow is how long the CPU measurements of the real binary last.
const cpuWindow = 10 * time.Second

// TestTUIHostCPU measures the CPU time of the gt process (the TUI host)
// while 16 demo agents work in a 240x70 window, from /proc/<pid>/stat over
// a 10 s window. It is a measurement, not a unit test: run it with
// GT_TUI_CPU=1 (make bench does not run tests). Agent processes are not
// counted: only the host's own utime+stime.
func TestTUIHostCPU(t *testing.T) {
	measureHostCPU(t, "gt demo-agent --step-delay 10s", "demo agents")
}

// TestTUIHostCPUFlood is the same with 16 agents that print continuously
// (a listing every 20 ms each): the cost of emulating and repainting busy
// panes, frame-gated at tui.max_fps.
func TestTUIHostCPUFlood(t *testing.T) {
	measureHostCPU(t, `sh -c "while :; do ls -l /usr/bin | head -40; sleep 0.02; done"`, "flooding agents")
}

func measureHostCPU(t *testing.T, agentCmd, what string) {
	if os.Getenv("GT_TUI_CPU") == "" {
		t.Skip("set GT_TUI_CPU=1 to measure the host's CPU with 16 busy agents")
	}
	const n = 16
	d := newCPUTown(t)
	d.polecats(agentCmd, n)
	ui := d.startTUI(n)
	cores := cpuCores(t, ui.pid, cpuWindow)
	busy := ui.working()
	t.Logf("gt host pid %d with %d %s at 240x70: %.1f%% of one core over %s (%d agents working at the end)",
		ui.pid, n, what, 100*cores, cpuWindow, busy)
	if busy < n {
		t.Errorf("only %d agents were still working at the end of the window", busy)
	}
	if cores > 1 {
		t.Errorf("the host used %.0f%% of a core with %d %s (target: under one core)", 100*cores, n, what)
	}
}

// cpuTown is gt demo's town (gt demo --no-tui) for the CPU measurements of
// the real binary: its Mayor, its three beads slung to polecats, nothing
// running until a host starts.
type cpuTown struct {
	tb  testing.TB
	dir string // the town root as gt demo printed it
	// hostOut is the file holding gt host's output (startHost).
	hostOut string
}

// newCPUTown builds the town, or skips without tmux or /proc.
func newCPUTown(tb testing.TB) *cpuTown {
	tb.Helper()
	if testing.Short() {
		tb.Skip("CPU measurement of the real binary skipped in -short mode")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		tb.Skip("needs /proc")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		tb.Skip("tmux not installed")
	}
	out, e, c := runBin(tb, tb.TempDir(), nil, "gt", "demo", "--no-tui", "--dir", filepath.Join(tb.TempDir(), "demo"))
	if c != 0 {
		tb.Fatalf("gt demo: %s%s", out, e)
	}
	return &cpuTown{tb: tb, dir: strings.TrimSpace(out)}
}

// gt runs gt or bd (args[0]) in the town and returns its stdout.
func (d *cpuTown) gt(args ...string) string {
	d.tb.Helper()
	o, e, c := runBin(d.tb, d.dir, nil, args...)
	if c != 0 {
		d.tb.Fatalf("%v: %s%s", args, o, e)
	}
	return o
}

// polecats makes agentCmd the default agent (alias busy) and slings beads
// until n polecats have work: the demo's three and n-3 more.
func (d *cpuTown) polecats(agentCmd string, n int) {
	d.tb.Helper()
	d.gt("gt", "config", "agent", "set", "busy", agentCmd, "--prompt-mode", "none")
	d.gt("gt", "config", "default-agent", "busy")
	for i := 0; i < n-3; i++ {
		id := strings.TrimSpace(d.gt("bd", "create", fmt.Sprintf("Busy work %d", i), "--prefix", "dm", "--silent"))
		d.gt("gt", "sling", id, "demo", "--no-convoy")
	}
}

// tuiRun is the gt TUI running the town in a private tmux server.
type tuiRun struct {
	h   *tmuxHarness
	pid int
}

// workingRE reads the status bar's count of working agents (pane titles
// may be too narrow to show every agent's state).
var workingRE = regexp.MustCompile(`● (\d+) working`)

func workingCount(screen string) int {
	m := workingRE.FindStringSubmatch(screen)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// startTUI runs gt in the town in a 240x70 tmux window, waits until n
// agents work and lets the start-up (spawns, beacons) settle. The test's
// cleanup ends the TUI (tmux hangs it up) and waits for its agents.
func (d *cpuTown) startTUI(n int) *tuiRun {
	d.tb.Helper()
	h := newTmux(d.tb)
	// env execs gt (no shell in between), so the pane's pid is gt's.
	if err := h.cmd("new-session", "-d", "-s", "gt", "-x", "240", "-y", "70", "-c", d.dir, "env", filepath.Join(binDir(d.tb), "gt")); err != nil {
		d.tb.Fatal(err)
	}
	out, err := h.output("display-message", "-p", "-t", "gt", "#{pane_pid}")
	if err != nil {
		d.tb.Fatal(err)
	}
	pid, err := strconv.Atoi(out)
	if err != nil {
		d.tb.Fatalf("pane pid %q: %v", out, err)
	}
	d.tb.Cleanup(func() {
		_ = h.cmd("kill-server")
		d.waitGone(pid)
	})
	h.waitFor(fmt.Sprintf("%d working agents", n), 90*time.Second, func(s string) bool { return workingCount(s) >= n })
	time.Sleep(2 * time.Second)
	return &tuiRun{h: h, pid: pid}
}

// working is the number of agents the status bar shows working now.
func (u *tuiRun) working() int { return workingCount(u.h.capture()) }

// waitGone waits (20 s at most) for the host process pid and every process
// of the town to end, then kills what is left.
func (d *cpuTown) waitGone(pid int) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil && len(townProcesses(d.dir)) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	left := townProcesses(d.dir)
	if syscall.Kill(pid, 0) == nil {
		left = append(left, pid)
	}
	d.tb.Logf("killing processes left after 20 s: %v", left)
	for _, p := range left {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// cpuCores is the CPU time (utime+stime, children not counted) pid uses
// per wall second over window.
func cpuCores(tb testing.TB, pid int, window time.Duration) float64 {
	tb.Helper()
	t0, c0 := time.Now(), cpuTicks(tb, pid)
	time.Sleep(window)
	t1, c1 := time.Now(), cpuTicks(tb, pid)
	return float64(c1-c0) / clkTck() / t1.Sub(t0).Seconds()
}

// cpuTicks is utime+stime of pid in clock ticks.
func cpuTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the parenthesised command name, which may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func clkTck() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil || v <= 0 {
		return 100
	}
	return v
}
