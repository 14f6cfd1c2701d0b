package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
)

// Benchmarks of the real gt binary for `make bench-pane` (issue 10), beside
// ptyhost/...'s in-process ones. Each measures a process's utime+stime from
// /proc over cpuWindow per b.N iteration; none asserts a CPU figure.

// paneHelperEnv makes this test binary the load generator (see TestMain).
const paneHelperEnv = "GT_PANE_HELPER"

// printPaneLines prints GT_RATE lines a second, shaped like ptyhost/screen's
// load (a green counter, a build line), until its terminal goes away.
func printPaneLines() int {
	rate, err := strconv.Atoi(os.Getenv("GT_RATE"))
	if err != nil || rate < 1 {
		rate = 1
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for n := 0; ; n++ {
		<-tick.C
		if _, err := fmt.Printf("\x1b[32m%6d\x1b[m building package github.com/example/mod%d ... ok\r\n", n, n%97); err != nil {
			return 0
		}
	}
}

// printerArgv runs this test binary printing rate lines a second.
func printerArgv(tb testing.TB, rate int) []string {
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	return []string{"env", paneHelperEnv + "=lines", "GT_RATE=" + strconv.Itoa(rate), exe}
}

// agentCommand writes argv as an agent command line (single-quoted words)
// and checks that gt splits it back into argv.
func agentCommand(tb testing.TB, argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	line := strings.Join(words, " ")
	if back, err := town.SplitCommand(line); err != nil || !slices.Equal(back, argv) {
		tb.Fatalf("agent command %q splits into %q (%v), want %q", line, back, err, argv)
	}
	return line
}

// BenchmarkPaneHost8x100 is acceptance 3 of issue 10: a headless `gt host`
// with 8 polecats each printing 100 lines a second (80x24 panes, the
// hidden-pane size), then a tmux server with the same 8 programs in windows
// of the host's pane size; gt-host-cores and tmux-cores are each process's CPU time per
// wall second, gt/tmux their ratio (target ≤ 1).
func BenchmarkPaneHost8x100(b *testing.B) {
	const n, rate = 8, 100
	d := newCPUTown(b)
	d.gt("gt", "mayor", "stop") // only the 8 printers run
	argv := printerArgv(b, rate)
	d.polecats(agentCommand(b, argv), n)

	host := d.startHost()
	d.waitLiveSessions(n, 60*time.Second)
	time.Sleep(2 * time.Second) // start-up is not the load
	var gt float64
	for range b.N {
		gt += cpuCores(b, host.Process.Pid, cpuWindow)
	}
	// Every printer still runs and prints; tmux gets the host's pane size.
	live := d.liveSessions()
	if len(live) != n {
		b.Fatalf("%d printer sessions live at the end of the window, want %d", len(live), n)
	}
	for _, s := range live {
		if s.LastOutputAt == nil || time.Since(*s.LastOutputAt) > 5*time.Second {
			b.Fatalf("session %s has not printed since %v", s.Agent, s.LastOutputAt)
		}
	}
	cols, rows := strconv.Itoa(live[0].Cols), strconv.Itoa(live[0].Rows)
	d.stopHost(host)

	h := newTmux(b)
	if err := h.cmd("new-session", "-d", "-s", "load", "-x", cols, "-y", rows, "sleep", "100000"); err != nil {
		b.Fatal(err)
	}
	// The host's panes keep tui.scrollback_lines (10,000) each.
	if err := h.cmd("set-option", "-g", "history-limit", "10000"); err != nil {
		b.Fatal(err)
	}
	for range n {
		if err := h.cmd(append([]string{"new-window", "-d"}, argv...)...); err != nil {
			b.Fatal(err)
		}
	}
	out, err := h.output("display-message", "-p", "#{pid}")
	if err != nil {
		b.Fatal(err)
	}
	pid, err := strconv.Atoi(out)
	if err != nil {
		b.Fatalf("tmux pid %q: %v", out, err)
	}
	time.Sleep(2 * time.Second)
	var tm float64
	for range b.N {
		tm += cpuCores(b, pid, cpuWindow)
	}
	if out, err := h.output("list-panes", "-a", "-F", "#{pane_dead}"); err != nil || strings.Count(out, "0") != n+1 {
		b.Fatalf("tmux panes alive at the end of the window: %q (%v), want %d", out, err, n+1)
	}
	gt, tm = gt/float64(b.N), tm/float64(b.N)
	b.ReportMetric(gt, "gt-host-cores")
	b.ReportMetric(tm, "tmux-cores")
	if tm > 0 {
		b.ReportMetric(gt/tm, "gt/tmux")
	}
}

// BenchmarkPaneTUI30DemoAgents is acceptance 5 of issue 10: 30 polecats
// running the demo agent through a long checklist (300 steps, one printed
// every 500 ms), the gt TUI in a 240x70 tmux window; gt-cores is the gt
// process's CPU time per wall second (target: under one core).
func BenchmarkPaneTUI30DemoAgents(b *testing.B) {
	const n = 30 // the default polecat.max_per_rig
	d := newCPUTown(b)
	d.longChecklist(300)
	d.polecats("gt demo-agent --step-delay 500ms", n)
	ui := d.startTUI(n)
	var gt float64
	for range b.N {
		gt += cpuCores(b, ui.pid, cpuWindow)
	}
	b.Logf("%d of %d demo agents working at the end of the window", ui.working(), n)
	b.ReportMetric(gt/float64(b.N), "gt-cores")
}

// longChecklist shadows the default formula (mol-polecat-work, 5 steps)
// in the town with one of steps steps, so the demo agents keep printing
// for the whole measurement.
func (d *cpuTown) longChecklist(steps int) {
	d.tb.Helper()
	var f strings.Builder
	f.WriteString("formula = \"mol-polecat-work\"\nversion = 1\ntype = \"workflow\"\n")
	for _, v := range []string{"issue", "base_branch", "feature", "test_command"} {
		fmt.Fprintf(&f, "\n[vars.%s]\ndefault = \"\"\n", v)
	}
	for i := 1; i <= steps; i++ {
		fmt.Fprintf(&f, "\n[[steps]]\nid = \"s%d\"\ntitle = \"Build step %d\"\n", i, i)
		if i > 1 {
			fmt.Fprintf(&f, "needs = [\"s%d\"]\n", i-1)
		}
	}
	dir := filepath.Join(d.dir, ".beads", "formulas")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		d.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mol-polecat-work.formula.toml"), []byte(f.String()), 0o644); err != nil {
		d.tb.Fatal(err)
	}
}

// startHost runs `gt host` in the town in its own process group; the
// test's cleanup stops it if it still runs.
func (d *cpuTown) startHost() *exec.Cmd {
	d.tb.Helper()
	cmd := exec.Command(filepath.Join(binDir(d.tb), "gt"), "host")
	cmd.Dir = d.dir
	cmd.Env = append(cleanEnv(), "PATH="+binDir(d.tb)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := os.Create(filepath.Join(d.tb.TempDir(), "host.out"))
	if err != nil {
		d.tb.Fatal(err)
	}
	defer out.Close()
	d.hostOut = out.Name()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		d.tb.Fatal(err)
	}
	d.tb.Cleanup(func() { d.stopHost(cmd) })
	return cmd
}

// stopHost asks the host to stop (SIGTERM: it closes its sessions), kills
// its process group if it has not ended within 20 s, and waits for the
// town's processes to end.
func (d *cpuTown) stopHost(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		d.tb.Logf("gt host did not stop within 20 s: killing its process group")
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	d.waitGone(cmd.Process.Pid)
}

// liveSessions lists the sessions.json entries whose process runs.
func (d *cpuTown) liveSessions() []town.SessionRecord {
	f, err := town.ReadSessions(d.dir)
	if err != nil || f == nil {
		return nil
	}
	var live []town.SessionRecord
	for _, s := range f.Sessions {
		if !s.Exited && s.PID > 0 && syscall.Kill(s.PID, 0) == nil {
			live = append(live, s)
		}
	}
	return live
}

// waitLiveSessions waits until n sessions run.
func (d *cpuTown) waitLiveSessions(n int, timeout time.Duration) {
	d.tb.Helper()
	deadline := time.Now().Add(timeout)
	for len(d.liveSessions()) < n {
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(d.hostOut)
			d.tb.Fatalf("%d of %d sessions running after %s; gt host printed:\n%s", len(d.liveSessions()), n, timeout, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
