package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runDashboard runs Run until the browser callback fired, then stops it and
// returns what it printed and the URL the browser got.
func runDashboard(t *testing.T, open bool, browserErr error) (string, string) {
	t.Helper()
	tw := newTown(t)
	t.Cleanup(func() {
		// Run logs where every gt process does.
		b, err := os.ReadFile(tw.Path(".runtime", "gt.log"))
		if err != nil || !strings.Contains(string(b), "dashboard started") {
			t.Errorf("gt.log: %v %q", err, b)
		}
	})
	var out syncBuffer
	opened := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Town: tw, Exe: gtBinary, Port: 0, Open: open, Stdout: &out,
			Browser: func(_ context.Context, url string) error { opened <- url; return browserErr }})
	}()
	var url string
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no startup line; printed %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if open {
		select {
		case url = <-opened:
		case <-time.After(10 * time.Second):
			t.Fatal("browser not opened")
		}
	}
	time.Sleep(50 * time.Millisecond) // let a warning line be written
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	select {
	case u := <-opened:
		t.Errorf("browser opened again or without --open: %s", u)
	default:
	}
	return out.String(), url
}

func TestRunOpen(t *testing.T) {
	out, url := runDashboard(t, true, nil)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	m := startupLine.FindStringSubmatch(lines[0])
	if m == nil || len(lines) != 1 {
		t.Fatalf("printed %q", out)
	}
	if url != "http://127.0.0.1:"+m[1] {
		t.Errorf("browser got %q, want the printed URL", url)
	}

	out, _ = runDashboard(t, true, errors.New("no display"))
	if !strings.Contains(out, "\n⚠ could not open a browser (no display); open http://127.0.0.1:") {
		t.Errorf("failed open printed %q", out)
	}

	out, _ = runDashboard(t, false, nil)
	if !startupLine.MatchString(strings.TrimRight(out, "\n")) {
		t.Errorf("without --open printed %q", out)
	}
}

func TestOpenBrowserArgv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(fakeExeEnv, "record")
	t.Setenv(fakeExeDir, dir)
	exe := testExe(t)
	var asked []string
	look := func(name string) (string, error) {
		asked = append(asked, name)
		if name == "open" {
			return exe, nil
		}
		return "", errors.New("not found")
	}
	url := "http://127.0.0.1:8080/?a=1&b=$(x) y"
	if err := openWith(context.Background(), look, []string{"xdg-open", "open"}, url); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "args.json"))
	if err != nil {
		t.Fatal(err)
	}
	var argv []string
	if err := json.Unmarshal(b, &argv); err != nil {
		t.Fatal(err)
	}
	if len(argv) != 2 || argv[1] != url {
		t.Errorf("opener argv %q, want the URL as one argument", argv)
	}
	if strings.Join(asked, ",") != "xdg-open,open" {
		t.Errorf("looked up %v", asked)
	}

	err = openWith(context.Background(), func(string) (string, error) { return "", errors.New("no") }, browserOpeners("linux"), url)
	if err == nil || err.Error() != "xdg-open is not on PATH" {
		t.Errorf("no opener on PATH: %v", err)
	}
	if got := browserOpeners("darwin"); len(got) != 1 || got[0] != "open" {
		t.Errorf("macOS openers %v", got)
	}
	t.Setenv(fakeExeEnv, "fail")
	if err := openWith(context.Background(), func(string) (string, error) { return exe, nil }, []string{"xdg-open"}, url); err == nil {
		t.Error("a failing opener is not an error")
	}
}
