package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTUIOutsideTown: gt with no arguments outside a town fails with the
// spec's one-line error, before touching the terminal.
func TestTUIOutsideTown(t *testing.T) {
	t.Parallel()
	_, stderr, code := runBin(t, t.TempDir(), nil, "gt")
	if code != 1 || stderr != "Error: not in a Gas Town workspace (run gt install <path>, or gt demo)\n" {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
}

// TestTUISecondHost: gt in a town another host holds fails with
// `town <path> is already hosted by pid <pid>`.
func TestTUISecondHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a host")
	}
	dir := filepath.Join(t.TempDir(), "town")
	if o, e, c := runBin(t, t.TempDir(), nil, "gt", "install", dir); c != 0 {
		t.Fatalf("install: %s%s", o, e)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	host := exec.CommandContext(ctx, filepath.Join(binDir(t), "gt"), "host")
	host.Dir = dir
	host.Env = cleanEnv()
	host.WaitDelay = 10 * time.Second
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = host.Wait()
	}()
	// Wait until the headless host holds the lock (its pid in host.lock).
	lock := filepath.Join(dir, ".runtime", "host.lock")
	pid := strconv.Itoa(host.Process.Pid)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(lock); strings.TrimSpace(string(b)) == pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("gt host did not take the lock")
		}
	}
	_, stderr, code := runBin(t, dir, nil, "gt")
	want := fmt.Sprintf("Error: town %s is already hosted by pid %d\n", dir, host.Process.Pid)
	if code != 1 || stderr != want {
		t.Fatalf("code %d stderr %q, want %q", code, stderr, want)
	}
}

// TestTUINeedsTerminal: without a terminal gt refuses before hosting, so
// no agent is started only to be stopped.
func TestTUINeedsTerminal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "town")
	if o, e, c := runBin(t, t.TempDir(), nil, "gt", "install", dir); c != 0 {
		t.Fatalf("install: %s%s", o, e)
	}
	cmd := exec.Command(filepath.Join(binDir(t), "gt"))
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	// A new session has no controlling terminal: /dev/tty cannot open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err == nil || string(out) != "Error: gt needs a terminal (use gt host for a headless host)\n" {
		t.Fatalf("err %v output %q", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".runtime", "sessions.json")); err == nil {
		t.Fatal("a host ran (sessions.json written)")
	}
}
