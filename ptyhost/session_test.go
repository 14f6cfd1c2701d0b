package ptyhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary double as small terminal programs (see
// runHelper), so delivery tests need nothing installed.
func TestMain(m *testing.M) {
	if h := os.Getenv("PTYHOST_HELPER"); h != "" {
		os.Exit(runHelper(h))
	}
	os.Exit(m.Run())
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("PTY test skipped in -short mode")
	}
}

func testEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	return append([]string{
		"HOME=" + t.TempDir(),
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"PS1=$ ",
		"ENV=",
	}, extra...)
}

func startSession(t *testing.T, spec Spec) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Start(ctx, spec)
	if err != nil {
		t.Fatalf("start %v: %v", spec.Argv, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// waitScreen polls the screen until cond holds, failing after timeout.
func waitScreen(t *testing.T, s *Session, timeout time.Duration, what string, cond func(*Screen) bool) *Screen {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		scr := s.Snapshot()
		if cond(scr) {
			return scr
		}
		select {
		case <-s.Changed():
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; screen:\n%s", what, scr.PlainText())
		}
	}
}

func hasLine(scr *Screen, want string) bool {
	for _, l := range scr.PlainLines() {
		if l == want {
			return true
		}
	}
	return false
}

func lineIndex(scr *Screen, want string) int {
	for i, l := range scr.PlainLines() {
		if l == want {
			return i
		}
	}
	return -1
}

func waitExit(t *testing.T, s *Session) ExitStatus {
	t.Helper()
	return waitExitWithin(t, s, 10*time.Second)
}

func waitExitWithin(t *testing.T, s *Session, d time.Duration) ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	st, err := s.Wait(ctx)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return st
}

func TestShellPromptEchoTitleShrinkExit(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := startSession(t, Spec{Argv: []string{"/bin/sh"}, Env: testEnv(t), Dir: t.TempDir(), Cols: 60, Rows: 12})
	if c, r := s.Size(); c != 60 || r != 12 {
		t.Fatalf("size %dx%d", c, r)
	}
	waitScreen(t, s, 10*time.Second, "prompt", func(scr *Screen) bool { return scr.PlainLines()[0] == "$" })

	// The shell sees the real size from the start.
	if _, err := s.Write([]byte("stty size; echo hello-$((6*7))\r")); err != nil {
		t.Fatal(err)
	}
	// Wait for the next prompt too: typing earlier would echo the next
	// command before the prompt is printed.
	scr := waitScreen(t, s, 10*time.Second, "echo output", func(scr *Screen) bool {
		i := lineIndex(scr, "hello-42")
		return i >= 0 && i+1 < scr.Rows && scr.PlainLines()[i+1] == "$"
	})
	if !hasLine(scr, "$ stty size; echo hello-$((6*7))") || !hasLine(scr, "12 60") {
		t.Fatalf("command line or size missing:\n%s", scr.PlainText())
	}

	// A title with ✳ (E2 9C B3) leaves nothing in the grid.
	_, _ = s.Write([]byte(`printf '\033]0;\342\234\263 Claude Code\007'` + "\r"))
	waitScreen(t, s, 10*time.Second, "title", func(*Screen) bool { return s.Title() == "✳ Claude Code" })
	scr = waitScreen(t, s, 10*time.Second, "prompt after printf", func(scr *Screen) bool {
		i := lineIndex(scr, `$ printf '\033]0;\342\234\263 Claude Code\007'`)
		return i >= 0 && i+1 < scr.Rows && scr.PlainLines()[i+1] == "$"
	})
	_ = scr
	if a := s.Activity(); a.TitleState != TitleIdle || a.Title != "✳ Claude Code" {
		t.Fatalf("activity %+v", a)
	}

	// Fill the screen, then shrink: the prompt line stays visible.
	_, _ = s.Write([]byte("seq 1 30\r"))
	waitScreen(t, s, 10*time.Second, "seq", func(scr *Screen) bool {
		l := scr.PlainLines()
		return l[len(l)-2] == "30" && l[len(l)-1] == "$"
	})
	if err := s.Resize(30, 4); err != nil {
		t.Fatal(err)
	}
	scr = s.Snapshot()
	if l := scr.PlainLines(); len(l) != 4 || l[2] != "30" || l[3] != "$" || scr.Cursor.Y != 3 {
		t.Fatalf("after shrink (cursor %+v):\n%s", scr.Cursor, scr.PlainText())
	}
	_, _ = s.Write([]byte("stty size\r"))
	waitScreen(t, s, 10*time.Second, "new size", func(scr *Screen) bool {
		l := scr.PlainLines()
		return l[len(l)-2] == "4 30" && l[len(l)-1] == "$"
	})
	if err := s.Resize(1, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Resize(60, 12); err != nil {
		t.Fatal(err)
	}

	_, _ = s.Write([]byte("exit 3\r"))
	if st := waitExit(t, s); st.Code != 3 || st.Signal != 0 {
		t.Fatalf("exit status %+v", st)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, ErrExited) {
		t.Fatalf("write after exit: %v", err)
	}
}

func TestEventsAndActivity(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := startSession(t, Spec{Argv: []string{"/bin/sh"}, Env: testEnv(t), Cols: 80, Rows: 10})
	waitScreen(t, s, 10*time.Second, "prompt", func(scr *Screen) bool { return scr.PlainLines()[0] == "$" })
	_, _ = s.Write([]byte(`printf '\033]2;\342\240\202 busy\007\007\033]777;notify;Agent;Needs you\033\\'; exit 0` + "\r"))
	var kinds []EventKind
	var sawTitle, sawBell, sawNote bool
	timeout := time.After(10 * time.Second)
	for ev := range s.Events() {
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case EventTitle:
			sawTitle = ev.Title == "⠂ busy" && ev.TitleState == TitleSpinner
		case EventBell:
			sawBell = ev.Count >= 1
		case EventNotification:
			sawNote = ev.Notification == Notification{Title: "Agent", Body: "Needs you"}
		case EventExit:
			if ev.Exit.Code != 0 {
				t.Errorf("exit %+v", ev.Exit)
			}
		}
		select {
		case <-timeout:
			t.Fatalf("events so far %v", kinds)
		default:
		}
	}
	if kinds[len(kinds)-1] != EventExit || !sawTitle || !sawBell || !sawNote {
		t.Fatalf("events %v title=%v bell=%v note=%v", kinds, sawTitle, sawBell, sawNote)
	}
	a := s.Activity()
	if a.Bells != 1 || a.Notifications != 1 || !a.NotifiedSinceInput() || a.LastOutput.Before(a.LastInput) {
		t.Fatalf("activity %+v", a)
	}
}

func TestVimRendersAndQuits(t *testing.T) {
	skipShort(t)
	if _, err := exec.LookPath("vim"); err != nil {
		t.Skip("vim not installed")
	}
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("first line\nsecond line\n\tthird, tabbed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, Spec{Argv: []string{"vim", "-u", "NONE", "-N", "-i", "NONE", "-n", "notes.txt"}, Env: testEnv(t), Dir: dir, Cols: 50, Rows: 10})
	scr := waitScreen(t, s, 15*time.Second, "vim screen", func(scr *Screen) bool {
		l := scr.PlainLines()
		return l[0] == "first line" && l[3] == "~" && strings.Contains(l[9], `"notes.txt"`)
	})
	l := scr.PlainLines()
	if l[1] != "second line" || l[2] != "        third, tabbed" || l[8] != "~" {
		t.Fatalf("vim screen:\n%s", scr.PlainText())
	}
	if !scr.AltScreen || scr.Cursor.X != 0 || scr.Cursor.Y != 0 {
		t.Fatalf("alt=%v cursor=%+v", scr.AltScreen, scr.Cursor)
	}
	// Keys through the encoder: down, end, append, save, quit.
	for _, k := range []Key{{Code: KeyDown}, {Code: KeyEnd}, {Code: KeyRune, Rune: 'a'}} {
		if err := s.SendKey(k); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = s.Write([]byte("!"))
	_ = s.SendKey(Key{Code: KeyEscape})
	_, _ = s.Write([]byte(":wq\r"))
	if st := waitExit(t, s); st.Code != 0 {
		t.Fatalf("vim exit %+v", st)
	}
	got, _ := os.ReadFile(file)
	if string(got) != "first line\nsecond line!\n\tthird, tabbed\n" {
		t.Fatalf("file after edit %q", got)
	}
	if s.Snapshot().AltScreen {
		t.Fatal("still in the alternate screen after vim quit")
	}
}

func TestLessPagesAndQuits(t *testing.T) {
	skipShort(t)
	if _, err := exec.LookPath("less"); err != nil {
		t.Skip("less not installed")
	}
	t.Parallel()
	dir := t.TempDir()
	var b strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&b, "row %03d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "rows.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSession(t, Spec{Argv: []string{"less", "rows.txt"}, Env: testEnv(t, "LESSHISTFILE=-", "LESS="), Dir: dir, Cols: 40, Rows: 8})
	waitScreen(t, s, 10*time.Second, "first page", func(scr *Screen) bool {
		l := scr.PlainLines()
		return l[0] == "row 001" && l[6] == "row 007" && strings.HasPrefix(l[7], "rows.txt")
	})
	_ = s.SendKey(Key{Code: KeyPgDown})
	waitScreen(t, s, 10*time.Second, "second page", func(scr *Screen) bool {
		l := scr.PlainLines()
		return l[0] == "row 008" && l[6] == "row 014"
	})
	_ = s.SendKey(Key{Code: KeyRune, Rune: 'G'})
	waitScreen(t, s, 10*time.Second, "end", func(scr *Screen) bool { return hasLine(scr, "row 100") })
	_ = s.SendKey(Key{Code: KeyRune, Rune: 'q'})
	if st := waitExit(t, s); st.Code != 0 {
		t.Fatalf("less exit %+v", st)
	}
}

func TestStopHangsUpThenKills(t *testing.T) {
	skipShort(t)
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The child ignores SIGHUP and leaves a grandchild in its process group.
	s := startSession(t, Spec{
		Argv:      []string{"/bin/sh", "-c", `trap "" HUP; sleep 300 & echo $! > ` + pidFile + `; echo started; wait`},
		Env:       testEnv(t),
		Cols:      40,
		Rows:      5,
		StopGrace: 200 * time.Millisecond,
	})
	waitScreen(t, s, 10*time.Second, "started", func(scr *Screen) bool { return hasLine(scr, "started") })
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st := s.ExitStatus()
	if st.Signal != syscall.SIGKILL || st.Code != 128+int(syscall.SIGKILL) {
		t.Fatalf("exit %+v, want SIGKILL", st)
	}
	// The grandchild got the SIGKILL too (R8); it may take a moment to be
	// reaped by init.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(grandchild, 0) == nil && !isZombie(grandchild) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived", grandchild)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A plain child dies of the SIGHUP.
	s2 := startSession(t, Spec{Argv: []string{"sleep", "300"}, Env: testEnv(t), Cols: 40, Rows: 5})
	if err := s2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if st := s2.ExitStatus(); st.Signal != syscall.SIGHUP {
		t.Fatalf("exit %+v, want SIGHUP", st)
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] == "Z"
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := Start(ctx, Spec{Argv: []string{"no-such-agent-cli"}, Env: []string{"PATH=/nonexistent"}, Cols: 80, Rows: 24}); !errors.Is(err, ErrCommandNotFound) {
		t.Errorf("missing command: %v", err)
	}
	if _, err := Start(ctx, Spec{Argv: []string{"/bin/sh"}}); !errors.Is(err, ErrNoSize) {
		t.Errorf("no size: %v", err)
	}
	if _, err := Start(ctx, Spec{Cols: 1, Rows: 1}); !errors.Is(err, ErrNoCommand) {
		t.Errorf("no command: %v", err)
	}
}

func TestMouseAndPastePassThrough(t *testing.T) {
	skipShort(t)
	t.Parallel()
	s := startSession(t, Spec{Argv: []string{os.Args[0], "-test.run=^$"}, Env: testEnv(t, "PTYHOST_HELPER=hexdump"), Cols: 80, Rows: 10})
	waitScreen(t, s, 10*time.Second, "helper ready", func(scr *Screen) bool { return hasLine(scr, "ready") })
	if ok, _ := s.SendMouse(MouseEvent{X: 1, Y: 1, Button: MouseLeft}); !ok {
		t.Fatal("mouse not reported with ?1000 on")
	}
	if ok, _ := s.SendMouse(MouseEvent{X: 1, Y: 1, Action: MouseMotion}); ok {
		t.Fatal("motion reported in normal tracking")
	}
	_ = s.Paste("a\nb")
	waitScreen(t, s, 10*time.Second, "reports", func(scr *Screen) bool {
		// The two writes may arrive in one read.
		txt := scr.PlainText()
		return strings.Contains(txt, `\x1b[<0;2;2M`) && strings.Contains(txt, `\x1b[200~a\nb\x1b[201~`)
	})
}

func TestWaitQuiet(t *testing.T) {
	skipShort(t)
	t.Parallel()
	// Prints for ~400 ms, then stays quiet.
	s := startSession(t, Spec{Argv: []string{"/bin/sh", "-c", `sleep 0.2; for i in 1 2 3 4; do echo tick $i; sleep 0.1; done; sleep 30`}, Env: testEnv(t), Cols: 40, Rows: 8})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.WaitQuiet(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 600*time.Millisecond {
		t.Fatalf("quiet after %v, before the output ended", d)
	}
	if !hasLine(s.Snapshot(), "tick 4") {
		t.Fatalf("screen:\n%s", s.Snapshot().PlainText())
	}
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := s.WaitQuiet(short, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// TestCloseLeavesNoGoroutines: Close (and exit) release every goroutine a
// session started. Not parallel: it counts goroutines.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	skipShort(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := range 6 {
		argv := []string{"sleep", "300"}
		if i%2 == 1 {
			argv = []string{"/bin/sh", "-c", "echo bye"}
		}
		s, err := Start(ctx, Spec{Argv: argv, Env: testEnv(t), Cols: 20, Rows: 4})
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Resize(30, 5)
		if i%2 == 1 {
			for range s.Events() { // drain to the exit event
			}
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
