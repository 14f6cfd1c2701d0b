package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

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
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	h := newTmux(t)
	dir := filepath.Join(t.TempDir(), "demo")
	if out, e, c := runBin(t, t.TempDir(), nil, "gt", "demo", "--no-tui", "--dir", dir); c != 0 {
		t.Fatalf("gt demo: %s%s", out, e)
	}
	gtIn := func(args ...string) string {
		t.Helper()
		o, e, c := runBin(t, dir, nil, args...)
		if c != 0 {
			t.Fatalf("%v: %s%s", args, o, e)
		}
		return o
	}
	// 16 polecats with the busy agent: the demo's own three beads (through
	// the default agent) and 13 more.
	gtIn("gt", "config", "agent", "set", "busy", agentCmd, "--prompt-mode", "none")
	gtIn("gt", "config", "default-agent", "busy")
	for i := 0; i < 13; i++ {
		id := strings.TrimSpace(gtIn("bd", "create", fmt.Sprintf("Busy work %d", i), "--prefix", "dm", "--silent"))
		gtIn("gt", "sling", id, "demo", "--no-convoy")
	}
	gt := filepath.Join(binDir(t), "gt")
	script := fmt.Sprintf("cd %q && exec %q", dir, gt)
	if err := h.cmd("new-session", "-d", "-s", "gt", "-x", "240", "-y", "70", "sh", "-c", script); err != nil {
		t.Fatal(err)
	}
	// Narrow panes drop the runtime from the title: match any title.
	working := regexp.MustCompile(`┌ demo/\w+ [^┐]*● working`)
	h.waitFor("16 working polecats", 60*time.Second, func(s string) bool {
		return len(working.FindAllString(s, -1)) >= 16
	})
	// Let the startup work (16 spawns, beacons) settle out of the window.
	time.Sleep(2 * time.Second)
	out, err := exec.Command("tmux", "-L", h.sock, "display-message", "-p", "-t", "gt", "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	const window = 10 * time.Second
	t0, c0 := time.Now(), cpuTicks(t, pid)
	time.Sleep(window)
	t1, c1 := time.Now(), cpuTicks(t, pid)
	busy := len(working.FindAllString(h.capture(), -1))
	secs := float64(c1-c0) / clkTck(t)
	pct := 100 * secs / t1.Sub(t0).Seconds()
	t.Logf("gt host pid %d with 16 %s at 240x70: %.2f s CPU in %.1f s = %.1f%% of one core (%d agents working at the end)",
		pid, what, secs, t1.Sub(t0).Seconds(), pct, busy)
	if busy < 16 {
		t.Errorf("only %d agents were still working at the end of the window", busy)
	}
	if pct > 100 {
		t.Errorf("the host used %.0f%% of a core with 16 %s (target: under one core)", pct, what)
	}
}

// cpuTicks is utime+stime of pid in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the parenthesised command name, which may hold spaces.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func clkTck(t *testing.T) float64 {
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
