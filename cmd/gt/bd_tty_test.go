package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
)

// runOnTTY runs bd with a pseudo-terminal as its stdin, stdout and stderr
// and returns everything it printed.
func runOnTTY(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(t), "bd"), args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Skipf("no pty available: %v", err)
	}
	defer f.Close()
	var out bytes.Buffer
	_, err = io.Copy(&out, f) // ends with EIO once the child exits
	if err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatalf("read pty: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("bd %v on a tty: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestBDColourOnlyOnTerminal: human output is coloured on a terminal, never
// with NO_COLOR, and never when piped (TestBDNoColorWhenPiped).
func TestBDColourOnlyOnTerminal(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	id := bdCreate(t, dir, nil, "Colourful", "-p", "0")
	out := runOnTTY(t, dir, nil, "list")
	if !strings.Contains(out, "\x1b[31mP0\x1b[0m") || !strings.Contains(out, id) {
		t.Errorf("list on a tty is not coloured: %q", out)
	}
	out = runOnTTY(t, dir, []string{"NO_COLOR=1"}, "list")
	if strings.Contains(out, "\x1b[") || !strings.Contains(out, id+" [P0] [task] open - Colourful") {
		t.Errorf("NO_COLOR list: %q", out)
	}
}
