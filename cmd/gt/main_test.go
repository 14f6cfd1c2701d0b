package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// builtBinary is the gt executable the CLI tests drive, built once per test
// binary run (lazily, so tests that never exec it do not pay for the build)
// into a temporary directory with bd and gt links beside it.
type builtBinary struct {
	once sync.Once
	dir  string
	err  error
}

// testBin is set up by TestMain; tests reach it only through binDir.
var testBin builtBinary

func TestMain(m *testing.M) {
	// The pane benchmarks run this binary as their load generator.
	if os.Getenv(paneHelperEnv) == "lines" {
		os.Exit(printPaneLines())
	}
	dir, err := os.MkdirTemp("", "gt-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "TestMain:", err)
		os.Exit(1)
	}
	testBin.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// binDir returns the directory holding the built gt binary and its bd link,
// building it on first use.
func binDir(tb testing.TB) string {
	tb.Helper()
	testBin.once.Do(func() { testBin.err = buildBinary(testBin.dir) })
	if testBin.err != nil {
		tb.Fatalf("build gt: %v", testBin.err)
	}
	return testBin.dir
}

func buildBinary(dir string) error {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	exe := filepath.Join(dir, "gt")
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", exe, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	for _, link := range []string{"bd"} {
		if err := os.Symlink("gt", filepath.Join(dir, link)); err != nil {
			return err
		}
	}
	return nil
}
