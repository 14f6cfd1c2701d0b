package town

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAgentTools puts fake gt and bd programs first on PATH: gt prime
// --json prints primeJSON, gt done prints a submission line, and every
// call is appended to the returned log file.
func fakeAgentTools(t *testing.T, primeJSON string) (logPath string) {
	t.Helper()
	dir := t.TempDir()
	logPath = filepath.Join(dir, "calls.log")
	if err := os.WriteFile(filepath.Join(dir, "prime.json"), []byte(primeJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	gt := "#!/bin/sh\necho \"gt $*\" >> " + logPath + "\ncase \"$1\" in\nprime) cat " + filepath.Join(dir, "prime.json") + " ;;\ndone) echo 'fake done' ;;\nesac\n"
	bd := "#!/bin/sh\nprintf 'bd' >> " + logPath + "\nfor a in \"$@\"; do printf ' [%s]' \"$a\" >> " + logPath + "; done\necho >> " + logPath + "\n"
	for name, body := range map[string]string{"gt": gt, "bd": bd} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return logPath
}

// syncBuffer is an io.Writer safe for the agent and the test together.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	waitFor(t, 10*time.Second, "output "+want, func() bool { return strings.Contains(out.String(), want) })
}

const hookedPrime = `{"address":"myproject/polecats/nux","role":"polecat","hooked":{"id":"mp-k3v9a","title":"Add retry","status":"in_progress"},` +
	`"formula":{"name":"mol-polecat-work","steps":[{"id":"load","title":"Load context"},{"id":"impl","title":"Implement"}]},"mail_unread":0}`

func TestDemoAgentPassWithAsk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git")
	}
	calls := fakeAgentTools(t, hookedPrime)
	repo := t.TempDir()
	for _, args := range [][]string{{"init", "--quiet"}, {"-c", "user.name=x", "-c", "user.email=x@y", "commit", "--quiet", "--allow-empty", "-m", "base"}} {
		if _, err := git(context.Background(), repo, args...); err != nil {
			t.Fatal(err)
		}
	}
	inR, inW := io.Pipe()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- RunDemoAgent(ctx, DemoAgentOptions{StepDelay: time.Millisecond, Ask: true, Actor: "myproject/polecats/nux",
			Dir: repo, Stdin: inR, Stdout: out})
	}()
	waitOutput(t, out, "demo agent myproject/polecats/nux ready\ndemo> ")
	// A line that is not for the agent starts nothing.
	_, _ = io.WriteString(inW, "hello\n")
	waitOutput(t, out, "heard: hello\ndemo> ")
	_, _ = io.WriteString(inW, "[GAS TOWN] myproject/polecats/nux <- mayor • 2026-03-02T10:15 • assigned  Work is on your hook.\n")
	waitOutput(t, out, "Allow demo agent to commit? [y/n] ")
	for _, want := range []string{"primed: mp-k3v9a Add retry\n", "▶ 1/2 Load context\n", "▶ 2/2 Implement\n"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	_, _ = io.WriteString(inW, "n\n")
	waitOutput(t, out, "not committing\n")
	_, _ = io.WriteString(inW, "[from mayor] try again, then gt done\n")
	waitOutput(t, out, "Allow demo agent to commit? [y/n] not committing\ndemo> heard: [from mayor] try again, then gt done\n")
	_, _ = io.WriteString(inW, "y\n")
	waitOutput(t, out, "✓ done mp-k3v9a\n")
	if !strings.Contains(out.String(), "fake done\n✓ done mp-k3v9a\ndemo> ") {
		t.Fatalf("gt done output not shown:\n%s", out.String())
	}
	data, err := os.ReadFile(filepath.Join(repo, "demo", "mp-k3v9a.md"))
	if err != nil || string(data) != "Add retry\n" {
		t.Fatalf("demo/mp-k3v9a.md = %q, %v", data, err)
	}
	subject, _ := git(context.Background(), repo, "log", "-1", "--format=%s %an")
	if subject != "mp-k3v9a: demo change nux" {
		t.Fatalf("commit %q", subject)
	}
	sha, _ := git(context.Background(), repo, "rev-parse", "HEAD")
	log, _ := os.ReadFile(calls)
	wantLog := "gt prime --json\ngt prime --json\nbd [comments] [add] [mp-k3v9a] [demo agent committed " + sha + "]\ngt done\n"
	if string(log) != wantLog {
		t.Fatalf("calls:\n%s\nwant:\n%s", log, wantLog)
	}
	_ = inW.Close()
	if err := <-errc; err != nil {
		t.Fatalf("agent ended with %v at EOF", err)
	}
}

func TestDemoAgentExitAndHang(t *testing.T) {
	fakeAgentTools(t, `{"address":"mayor","role":"mayor","hooked":null,"formula":null,"mail_unread":0}`)
	run := func(o DemoAgentOptions, line string) (*syncBuffer, chan error, context.CancelFunc, *io.PipeWriter) {
		inR, inW := io.Pipe()
		out := &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		o.Stdin, o.Stdout, o.Actor, o.Dir = inR, out, "mayor", t.TempDir()
		errc := make(chan error, 1)
		go func() { errc <- RunDemoAgent(ctx, o) }()
		go func() { _, _ = io.WriteString(inW, line) }()
		return out, errc, cancel, inW
	}
	code := 3
	out, errc, cancel, _ := run(DemoAgentOptions{ExitAfterPrime: &code}, "gt prime\n")
	defer cancel()
	select {
	case err := <-errc:
		var ex *DemoExitError
		if !errors.As(err, &ex) || ex.Code != 3 {
			t.Fatalf("--exit-after-prime 3 ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--exit-after-prime did not exit")
	}
	if !strings.Contains(out.String(), "primed: nothing hooked\n") {
		t.Fatalf("output:\n%s", out.String())
	}

	out, errc, cancel2, _ := run(DemoAgentOptions{Hang: true}, "[from overseer] go\n")
	waitOutput(t, out, "primed: nothing hooked\n")
	time.Sleep(200 * time.Millisecond)
	if s := out.String(); !strings.HasSuffix(s, "primed: nothing hooked\n") {
		t.Fatalf("--hang printed after priming:\n%s", s)
	}
	cancel2()
	select {
	case <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("a hanging agent did not end with its context")
	}

	out, errc, cancel3, w := run(DemoAgentOptions{}, "check gt hook\n")
	defer cancel3()
	waitOutput(t, out, "nothing on hook\ndemo> ")
	_ = w.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
