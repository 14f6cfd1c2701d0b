package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// feedTmux drives one program in a private tmux server.
type feedTmux struct {
	t      *testing.T
	socket string
	env    []string
}

func newFeedTmux(t *testing.T, env []string) *feedTmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	x := &feedTmux{t: t, socket: "gt-feed-" + hex.EncodeToString(b[:]), env: env}
	t.Cleanup(func() { _ = x.cmd("kill-server").Run() })
	return x
}

func (x *feedTmux) cmd(args ...string) *exec.Cmd {
	c := exec.Command("tmux", append([]string{"-L", x.socket, "-f", "/dev/null"}, args...)...)
	c.Env = x.env
	c.WaitDelay = 5 * time.Second
	return c
}

func (x *feedTmux) run(args ...string) string {
	x.t.Helper()
	out, err := x.cmd(args...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (x *feedTmux) screen() string { return x.run("capture-pane", "-p", "-t", "feed") }

func (x *feedTmux) keys(keys ...string) {
	x.run(append([]string{"send-keys", "-t", "feed"}, keys...)...)
}

// waitScreen polls the screen until ok accepts it.
func (x *feedTmux) waitScreen(what string, timeout time.Duration, ok func(string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := x.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lineWith reports whether one line of s holds every part, in order.
func lineWith(s string, parts ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		rest, ok := l, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

// TestFeedEndToEnd runs the real host with three demo polecats and the
// real gt feed in tmux: one goes quiet with hooked work (stalled, with
// stalled_after shortened to 2s), one asks a question (waiting), one is
// killed (exited); the Problems view lists them in §9 order, n nudges the
// stalled one through the host, enter asks the host to focus it, and once
// the host is gone the hooked agents show as zombies.
func TestFeedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: host, PTYs and tmux")
	}
	o := newOrchTown(t)
	x := newFeedTmux(t, append(cleanEnv(), append(o.env(), "PATH="+binDir(t)+":"+os.Getenv("PATH"), "TERM=xterm-256color")...))
	tw, err := town.Open(o.root, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tw.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.Problems = &town.ProblemsSettings{StalledAfter: "2s", GuppAfter: "1h", WaitingQuiet: "1s"}
	st.Agents = map[string]town.AgentConfig{
		"hang": {Command: "gt demo-agent --hang", PromptMode: "none", ReadyPrompt: "demo> "},
		"ask":  {Command: "gt demo-agent --ask --step-delay 0", PromptMode: "none", ReadyPrompt: "demo> "},
	}
	if err := tw.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	// furiosa goes quiet, nux asks, slit will be killed.
	names := map[string]string{}
	for _, a := range []string{"hang", "ask", "hang"} {
		id := o.create("Task "+a, "demo work")
		o.gtOK(o.root, "sling", id, orchRig, "--agent", a)
		names[o.bead(id).Assignee] = a
	}
	furiosa, nux, slit := orchRig+"/polecats/furiosa", orchRig+"/polecats/nux", orchRig+"/polecats/slit"
	if names[furiosa] != "hang" || names[nux] != "ask" || names[slit] != "hang" {
		t.Fatalf("polecats %v", names)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	host := exec.CommandContext(ctx, filepath.Join(binDir(t), "gt"), "host")
	host.Dir = o.root
	host.Env = append(cleanEnv(), o.env()...)
	var hostLog strings.Builder
	host.Stdout, host.Stderr = &hostLog, &hostLog
	host.Cancel = func() error { return host.Process.Signal(syscall.SIGTERM) }
	host.WaitDelay = 15 * time.Second
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if host.ProcessState == nil {
			_ = host.Process.Signal(syscall.SIGTERM)
			_ = host.Wait()
		}
	}()

	x.run("new-session", "-d", "-x", "120", "-y", "36", "-s", "feed", "cd "+o.root+" && exec gt feed")
	s := x.waitScreen("stalled and waiting agents", 60*time.Second, func(s string) bool {
		return strings.HasPrefix(s, "GT Feed") && lineWith(s, "⚠", "furiosa", "stalled") && lineWith(s, "◐", "nux", "waiting")
	})
	if !lineWith(s, "Agents") || !lineWith(s, "Convoys") || !lineWith(s, "Events") || !lineWith(s, "⚙ "+orchRig+": 0 queued") {
		t.Fatalf("panels missing:\n%s", s)
	}

	// A new event shows up promptly (the follower polls every 100 ms;
	// the bound here leaves room for a loaded machine and tmux).
	start := time.Now()
	if err := eventlog.Emit(o.root, eventlog.SourceGT, "mail", "mayor", map[string]any{"to": "overseer", "subject": "feed-latency-probe"}, models.VisibilityFeed); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(x.screen(), "feed-latency-probe") {
		if time.Since(start) > time.Second {
			t.Fatalf("new event not shown after %v:\n%s", time.Since(start), x.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("new event shown after %v", time.Since(start))

	// Kill slit's process: the host sees it end, with its work hooked.
	var pid int
	deadline := time.Now().Add(30 * time.Second)
	for pid == 0 && time.Now().Before(deadline) {
		if f, _ := town.ReadSessions(o.root); f != nil {
			if r, ok := f.Find(slit); ok && r.PID > 0 && !r.Exited {
				pid = r.PID
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatalf("no live session for %s; host log:\n%s", slit, hostLog.String())
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	x.waitScreen("exited agent", 30*time.Second, func(s string) bool { return lineWith(s, "■", "slit", "exited") })

	// The Problems view: header, §9 order (waiting, stalled, exited).
	x.keys("p")
	s = x.waitScreen("problems view", 15*time.Second, func(s string) bool {
		return strings.HasPrefix(s, "GT Feed · Problems  3 need attention · 1 ok") && strings.Contains(s, "Needs attention (3)")
	})
	iN, iF, iS := strings.Index(s, nux), strings.Index(s, furiosa), strings.Index(s, slit)
	if iN < 0 || iF < 0 || iS < 0 || !(iN < iF && iF < iS) || !lineWith(s, "◐", nux, "question") ||
		!lineWith(s, "⚠", furiosa, "Stalled: no progress for") || !lineWith(s, "■", slit, "exited with code") {
		t.Fatalf("problems rows:\n%s", s)
	}
	// Plain mode agrees while the host runs (live signals over the socket).
	out, _, code := o.run(o.root, nil, "gt", "feed", "--problems", "--plain")
	if code != 1 || !strings.HasPrefix(out, "WAITING  "+nux+"  ") || !strings.Contains(out, "\nSTALLED  "+furiosa+"  ") ||
		!strings.Contains(out, "\nEXITED  "+slit+"  ") || !strings.HasSuffix(out, "3 need attention, 1 ok\n") {
		t.Fatalf("gt feed -p --plain: exit %d\n%s", code, out)
	}

	// j moves to the stalled agent; n nudges it through the host.
	x.keys("j")
	time.Sleep(300 * time.Millisecond)
	x.keys("n")
	x.waitScreen("nudge notice", 15*time.Second, func(s string) bool { return strings.Contains(s, "✓ Nudged "+furiosa) })
	evs, err := eventlog.ReadAll(o.root)
	if err != nil {
		t.Fatal(err)
	}
	nudged := false
	for _, e := range evs {
		var p struct{ To, Message string }
		if e.Type == "nudge" && json.Unmarshal(e.Payload, &p) == nil && p.To == furiosa && p.Message == "continue" && e.Actor == "overseer" {
			nudged = true
		}
	}
	if !nudged {
		t.Fatal("no nudge event for the stalled agent")
	}
	if q, _ := town.PendingNudges(o.root, models.Address{Role: models.RolePolecat, Rig: orchRig, Name: "furiosa"}, time.Now()); len(q) != 0 {
		t.Fatalf("nudge was queued instead of typed: %+v", q)
	}
	// The typed nudge is pane output: furiosa made progress and shows as
	// working until it goes quiet again.
	evs, _ = eventlog.ReadAll(o.root)
	sawWorking := false
	for _, e := range evs {
		var p struct{ Agent, From, To string }
		if e.Type == "agent_state" && json.Unmarshal(e.Payload, &p) == nil && p.Agent == furiosa && p.From == "stalled" && p.To == "working" {
			sawWorking = true
		}
	}
	if !sawWorking {
		time.Sleep(2 * time.Second)
		evs, _ = eventlog.ReadAll(o.root)
		for _, e := range evs {
			var p struct{ Agent, From, To string }
			if e.Type == "agent_state" && json.Unmarshal(e.Payload, &p) == nil && p.Agent == furiosa && p.From == "stalled" && p.To == "working" {
				sawWorking = true
			}
		}
	}
	if !sawWorking {
		t.Fatal("the nudge did not reach the stalled agent's pane (no stalled → working)")
	}
	// enter asks the host to focus the agent's pane; a headless host
	// refuses, and the feed says so.
	x.keys("enter")
	x.waitScreen("focus refusal", 15*time.Second, func(s string) bool { return strings.Contains(s, "is headless; open gt in a terminal") })

	// With the host gone, hooked agents have no session: zombies.
	_ = host.Process.Signal(syscall.SIGTERM)
	if err := host.Wait(); err != nil {
		t.Fatalf("host exit: %v\n%s", err, hostLog.String())
	}
	x.waitScreen("zombies", 20*time.Second, func(s string) bool {
		return lineWith(s, "💀", nux, "hooked work but no session") && lineWith(s, "💀", furiosa) && lineWith(s, "💀", slit)
	})
	x.keys("q")
	time.Sleep(500 * time.Millisecond)
	if err := x.cmd("has-session", "-t", "feed").Run(); err == nil {
		t.Fatal("q did not end gt feed")
	}
}
