package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxHarness drives the real gt binary in a private tmux server, as a new
// user would, and reads the screen with capture-pane.
type tmuxHarness struct {
	t    testing.TB
	sock string
	env  []string
}

func newTmux(t testing.TB) *tmuxHarness {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end TUI test (tmux) skipped in -short mode")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	h := &tmuxHarness{t: t, sock: fmt.Sprintf("gt-test-%d", rand.Int64()),
		env: append(cleanEnv(), "TERM=xterm-256color", "PATH="+binDir(t)+string(os.PathListSeparator)+os.Getenv("PATH"))}
	t.Cleanup(func() {
		_ = h.cmd("kill-server")
		tmpdir := os.Getenv("TMUX_TMPDIR")
		if tmpdir == "" {
			tmpdir = "/tmp"
		}
		_ = os.Remove(filepath.Join(tmpdir, fmt.Sprintf("tmux-%d", os.Getuid()), h.sock))
	})
	return h
}

func (h *tmuxHarness) cmd(args ...string) error {
	_, err := h.output(args...)
	return err
}

// output runs a tmux command and returns its output, trimmed.
func (h *tmuxHarness) output(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "tmux", append([]string{"-L", h.sock, "-f", "/dev/null"}, args...)...)
	c.Env = h.env
	out, err := c.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *tmuxHarness) capture() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "tmux", "-L", h.sock, "capture-pane", "-p", "-t", "gt")
	c.Env = h.env
	out, err := c.Output()
	if err != nil {
		h.t.Fatalf("capture-pane: %v", err)
	}
	return string(out)
}

// keys sends tmux key names (C-Space, Enter, Tab, Escape, …) or text.
func (h *tmuxHarness) keys(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		if err := h.cmd("send-keys", "-t", "gt", k); err != nil {
			h.t.Fatal(err)
		}
		// Let the TUI read each key on its own (tmux may otherwise glue a
		// NUL to the next key into one read).
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls the screen until ok holds or the timeout passes.
func (h *tmuxHarness) waitFor(what string, timeout time.Duration, ok func(screen string) bool) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var scr string
	for time.Now().Before(deadline) {
		scr = h.capture()
		if ok(scr) {
			return scr
		}
		time.Sleep(150 * time.Millisecond)
	}
	h.t.Fatalf("timed out after %s waiting for %s; screen:\n%s", timeout, what, scr)
	return ""
}

func (h *tmuxHarness) waitText(what string, timeout time.Duration, texts ...string) string {
	h.t.Helper()
	return h.waitFor(what, timeout, func(s string) bool {
		for _, t := range texts {
			if !strings.Contains(s, t) {
				return false
			}
		}
		return true
	})
}

// TestTUIEndToEnd: gt demo's town, then gt in a 200x50 tmux pane: the Mayor
// and demo polecats appear, a bead is slung with the keyboard to an agent
// that asks a question, the question shows as waiting and is answered
// through its pane, the work merges, the convoys land, and q y quits.
func TestTUIEndToEnd(t *testing.T) {
	h := newTmux(t)
	dir := filepath.Join(t.TempDir(), "demo")
	out, stderr, code := runBin(t, t.TempDir(), nil, "gt", "demo", "--no-tui", "--dir", dir)
	if code != 0 {
		t.Fatalf("gt demo --no-tui: %d\n%s\n%s", code, out, stderr)
	}
	town := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if town != dir {
		t.Fatalf("demo town %q, want %q", town, dir)
	}
	gtIn := func(args ...string) string {
		t.Helper()
		o, e, c := runBin(t, town, nil, append([]string{"gt"}, args...)...)
		if c != 0 {
			t.Fatalf("gt %v: %d\n%s%s", args, c, o, e)
		}
		return o
	}
	gtIn("config", "agent", "set", "demo-ask", "gt demo-agent --ask --step-delay 200ms", "--prompt-mode", "none")
	o, e, c := runBin(t, town, nil, "bd", "create", "Keyboard slung bead", "--prefix", "dm", "--silent")
	if c != 0 {
		t.Fatalf("bd create: %s%s", o, e)
	}
	bead := strings.TrimSpace(o)

	gt := filepath.Join(binDir(t), "gt")
	script := fmt.Sprintf("cd %q && %q; echo GT-EXITED $?; sleep 600", town, gt)
	if err := h.cmd("new-session", "-d", "-s", "gt", "-x", "200", "-y", "50", "sh", "-c", script); err != nil {
		t.Fatal(err)
	}

	// The Mayor pane and the demo polecats appear; the keyboard bead is
	// ready in the Beads panel.
	polecat := regexp.MustCompile(`demo/(\w+) · demo · `)
	h.waitFor("the Mayor and three demo polecats", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "┌ mayor") && len(polecat.FindAllString(s, -1)) >= 3 && strings.Contains(s, bead)
	})
	demoConvoy := regexp.MustCompile(`(?:🚚|✓ ) (hq-cv-\w+) Demo convoy.*?(\d)/3`)
	scr := h.capture()
	first := demoConvoy.FindStringSubmatch(scr)
	if first == nil {
		t.Fatalf("no Demo convoy line:\n%s", scr)
	}

	// Sling the ready bead with the keyboard: select it, s, first target
	// (a new demo polecat), agent demo-ask.
	h.keys("Space", "s")
	h.waitText("the sling dialog", 10*time.Second, "┌ Sling", bead, "demo (new polecat)")
	h.keys("Tab")
	for i := 0; i < 20 && !strings.Contains(h.capture(), "‹ demo-ask ›"); i++ {
		h.keys("Right")
	}
	h.waitText("agent demo-ask chosen", 5*time.Second, "‹ demo-ask ›")
	h.keys("Enter")
	scr = h.waitText("the sling notice", 30*time.Second, "🎯 Sling "+bead+" → demo/polecats/")
	addr := regexp.MustCompile(`🎯 Sling ` + bead + ` → demo/polecats/(\w+)`).FindStringSubmatch(scr)
	name := addr[1]

	// Convoy progress moves while the demo polecats work.
	h.waitFor("Demo convoy progress", 90*time.Second, func(s string) bool {
		m := demoConvoy.FindStringSubmatch(s)
		return m != nil && m[2] > first[2]
	})

	// The asking agent's pane appears and shows as waiting, in its title
	// and in the status bar.
	h.waitFor("the question as waiting", 60*time.Second, func(s string) bool {
		return strings.Contains(s, "demo/"+name+" · demo-ask · ◐ waiting") && strings.Contains(s, "◐ 1 waiting") &&
			strings.Contains(s, "Allow demo agent to commit? [y/n]")
	})
	// Answer it through its pane: the Problems view focuses it, then y enter.
	h.keys("p")
	h.waitText("the Problems view", 10*time.Second, "demo/polecats/"+name)
	h.keys("Enter")
	h.waitFor("the asking pane focused", 10*time.Second, func(s string) bool {
		return !strings.Contains(s, "needs you")
	})
	h.keys("y", "Enter")
	h.waitFor("the waiting state cleared", 30*time.Second, func(s string) bool {
		return !strings.Contains(s, "demo/"+name+" · demo-ask · ◐ waiting")
	})

	// The work merges and both convoys land (✓, dimmed, 3/3 and 1/1).
	h.waitFor("both convoys landed", 150*time.Second, func(s string) bool {
		return regexp.MustCompile(`✓\s+hq-cv-\w+ Demo convoy.*3/3`).MatchString(s) &&
			regexp.MustCompile(`✓\s+hq-cv-\w+ Work: Keyboard slung bead.*1/1`).MatchString(s)
	})
	o, _, _ = runBin(t, town, nil, "bd", "show", bead, "--json")
	if !strings.Contains(o, `"status": "closed"`) || !strings.Contains(o, "Merged in") {
		t.Fatalf("keyboard bead not merged:\n%s", o)
	}

	// Window resizes: narrower than 100 columns drops the side column,
	// below 40x10 only the focused pane and the status bar remain, below
	// 20x5 the screen says so; back at 200x50 everything returns.
	resize := func(w, ht int) {
		t.Helper()
		if err := h.cmd("resize-window", "-t", "gt", "-x", strconv.Itoa(w), "-y", strconv.Itoa(ht)); err != nil {
			t.Fatal(err)
		}
	}
	resize(90, 30)
	h.waitFor("the 90x30 layout", 10*time.Second, func(s string) bool {
		return !strings.Contains(s, "┌ Convoys") && strings.Contains(s, "┌ mayor") && strings.Contains(s, " agents · ")
	})
	resize(30, 8)
	h.waitFor("the single-pane layout", 10*time.Second, func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return len(lines) == 8 && strings.HasPrefix(lines[0], "┌ demo/"+name) && strings.HasPrefix(lines[7], " /") // the status bar: the town
	})
	resize(15, 4)
	h.waitText("the too-small notice", 10*time.Second, "terminal too s")
	resize(200, 50)
	h.waitText("the full layout again", 10*time.Second, "┌ Convoys", "┌ mayor", "┌ demo/"+name)

	// Quit: q asks (sessions are live), y stops them and exits 0.
	h.keys("C-Space", "q")
	h.waitText("the quit confirm", 10*time.Second, "agents running. Quit and stop them?")
	h.keys("y")
	h.waitText("gt to exit", 30*time.Second, "GT-EXITED 0")
}
