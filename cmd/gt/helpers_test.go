package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// binTimeout bounds every process a CLI test starts.
const binTimeout = 60 * time.Second

// runBin runs the built binary as args[0] ("gt" or "bd") with the remaining
// arguments, in dir, with a clean environment (no inherited GT_*, BD_ACTOR,
// BEADS_DB or NO_COLOR) plus env ("KEY=value" entries). It returns stdout,
// stderr and the exit code; a process still running after binTimeout is
// killed and reported as a test error with code -1. Safe to call from
// several goroutines.
func runBin(tb testing.TB, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	return runBinStdin(tb, dir, env, "", args...)
}

// runBinStdin is runBin with stdin fed from the given text.
func runBinStdin(tb testing.TB, dir string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	if len(args) == 0 {
		tb.Fatal("runBin: no program name")
	}
	bin := filepath.Join(binDir(tb), args[0])
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		tb.Errorf("%s timed out after %s", strings.Join(args, " "), binTimeout)
		return out.String(), errb.String(), -1
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		tb.Errorf("run %s: %v", strings.Join(args, " "), err)
		return out.String(), errb.String(), -1
	}
	return out.String(), errb.String(), 0
}

// cleanEnv is the test process environment minus everything that steers gt
// or bd, so a developer's own town never leaks into a test.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GT_") || k == "BD_ACTOR" || k == "BEADS_DB" || k == "NO_COLOR" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
