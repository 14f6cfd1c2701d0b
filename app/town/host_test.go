package town

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
)

// spawnRecorder is a fake spawner: it records every spec and starts the
// real process (so sessions behave), counting spawns per workdir.
type spawnRecorder struct {
	mu    sync.Mutex
	specs []ptyhost.Spec
}

func (r *spawnRecorder) spawn(ctx context.Context, spec ptyhost.Spec) (*ptyhost.Session, error) {
	r.mu.Lock()
	r.specs = append(r.specs, spec)
	r.mu.Unlock()
	return ptyhost.Start(ctx, spec)
}

func (r *spawnRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.specs)
}

func (r *spawnRecorder) last() ptyhost.Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.specs[len(r.specs)-1]
}

// setAgents writes agent runtimes into the town settings.
func setAgents(t *testing.T, tw *Town, agents map[string]AgentConfig) {
	t.Helper()
	if err := tw.UpdateSettings(func(s *TownSettings) error {
		if s.Agents == nil {
			s.Agents = map[string]AgentConfig{}
		}
		for k, v := range agents {
			s.Agents[k] = v
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func startTestHost(t *testing.T, tw *Town, rec *spawnRecorder, o HostOptions) *Host {
	t.Helper()
	if o.Exe == "" {
		o.Exe = "/bin/true"
	}
	o.StopGrace = time.Second
	if rec != nil {
		o.spawn = rec.spawn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := StartHost(ctx, tw, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = h.Close(cctx)
	})
	return h
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func agentOf(h *Host, addr string) (HostAgent, bool) {
	for _, a := range h.Agents() {
		if a.Address == addr {
			return a, true
		}
	}
	return HostAgent{}, false
}

func setWantedT(t *testing.T, tw *Town, addr, alias string, wanted bool) {
	t.Helper()
	withStore(t, tw, func(s *beads.Store) {
		if err := s.SetWanted(context.Background(), addr, alias, wanted); err != nil {
			t.Fatal(err)
		}
	})
}

func processGone(pid int) bool {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

func TestHostMissingCommandExits127(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a host")
	}
	tw := orchTown(t)
	setAgents(t, tw, map[string]AgentConfig{"ghost": {Command: "gt-no-such-agent-xyz", Args: []string{}, PromptMode: PromptArg}})
	setWantedT(t, tw, "mayor", "ghost", true)
	b := mkBead(t, tw, "overseer", models.Bead{Title: "Plan the week", IssueType: models.TypeTask, Priority: 2}, "hq")
	withStore(t, tw, func(s *beads.Store) {
		st, who := models.StatusHooked, "mayor"
		if err := s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
			_, err := tx.Update(b.ID, beads.Update{Status: &st, Assignee: &who})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
	rec := &spawnRecorder{}
	h := startTestHost(t, tw, rec, HostOptions{Headless: true})
	want := `✗ Cannot start mayor: agent command "gt-no-such-agent-xyz" not found on PATH (agent ghost)`
	waitFor(t, 10*time.Second, "the mayor to count as exited", func() bool {
		a, _ := agentOf(h, "mayor")
		return a.Exited
	})
	a, _ := agentOf(h, "mayor")
	if a.ExitStatus.Code != ExitCommandNotFound || a.Message != want || a.Session != nil || a.State != models.StateExited {
		t.Fatalf("mayor = %+v, want exit 127 with %q", a, want)
	}
	// Pokes and reconcile ticks never retry it (no restart loop).
	for i := 0; i < 5; i++ {
		h.Poke()
		time.Sleep(100 * time.Millisecond)
	}
	if rec.count() != 0 {
		t.Fatalf("spawned %d processes for a missing command", rec.count())
	}
	if n := len(eventsOf(t, tw, "session_end")); n != 1 {
		t.Fatalf("%d session_end events, want 1", n)
	}
	withStore(t, tw, func(s *beads.Store) {
		got, err := s.Get(context.Background(), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != models.StatusHooked || got.Assignee != "mayor" {
			t.Fatalf("bead %s is %s/%s, want still hooked to mayor", b.ID, got.Status, got.Assignee)
		}
	})
}

func TestHostLockAndLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a host")
	}
	tw := orchTown(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A stale lock (a pid, no flock) is taken over.
	if err := os.MkdirAll(tw.RuntimeDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tw.HostLockPath(), []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startTestHost(t, tw, nil, HostOptions{Exe: exe, Headless: true})
	data, _ := os.ReadFile(tw.HostLockPath())
	if strings.TrimSpace(string(data)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("host.lock holds %q, want our pid", data)
	}
	for _, n := range []string{"gt", "bd"} {
		if got, err := os.Readlink(filepath.Join(RuntimeBinDir(tw.Root), n)); err != nil || got != exe {
			t.Fatalf(".runtime/bin/%s -> %q (%v), want %s", n, got, err, exe)
		}
	}
	st, err := os.Stat(HostSocketPath(tw.Root))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("host.sock: %v %v", st, err)
	}
	_, err = StartHost(context.Background(), tw, HostOptions{Exe: exe, Headless: true})
	want := "town " + tw.Root + " is already hosted by pid " + strconv.Itoa(os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second host: %v, want %q", err, want)
	}
	hs, err := HostStatusOf(context.Background(), tw.Root)
	if err != nil || hs.PID != os.Getpid() || !hs.Headless {
		t.Fatalf("status over the socket: %+v %v", hs, err)
	}
	_, err = NewHostClient(tw.Root).Do(context.Background(), HostRequest{Op: OpFocus, Agent: "mayor"})
	wantFocus := "the host (pid " + strconv.Itoa(os.Getpid()) + ") is headless; open gt in a terminal"
	if err == nil || err.Error() != wantFocus {
		t.Fatalf("focus on a headless host: %v", err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{tw.HostLockPath(), HostSocketPath(tw.Root)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left behind after Close", p)
		}
	}
	if _, held, _, _ := tw.HostLockHolder(); held {
		t.Fatal("host.lock still held after Close")
	}
}

func TestHostSessionLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts agent processes")
	}
	tw := orchTown(t)
	// A prompt_mode none agent: prints a line, then echoes what it reads.
	setAgents(t, tw, map[string]AgentConfig{"echoer": {Command: "sh", Args: []string{"-c", "echo echo agent ready; exec cat"}, PromptMode: PromptNone}})
	setWantedT(t, tw, "mayor", "echoer", true)
	// A nudge queued while no host ran is typed after the beacon.
	if _, err := EnqueueNudge(tw.Root, models.MayorAddress, QueuedNudge{From: "overseer", Text: NudgeText("overseer", "queued before start"), Mode: NudgeWaitIdle}); err != nil {
		t.Fatal(err)
	}
	rec := &spawnRecorder{}
	h := startTestHost(t, tw, rec, HostOptions{Headless: false, PaneSize: func(addr string) (int, int, bool) {
		return 100, 30, addr == "mayor"
	}})
	waitFor(t, 10*time.Second, "the mayor's session", func() bool { return h.Session("mayor") != nil })
	spec := rec.last()
	if spec.Dir != tw.Path("mayor") || spec.Cols != 100 || spec.Rows != 30 {
		t.Fatalf("spawn spec dir=%s size=%dx%d", spec.Dir, spec.Cols, spec.Rows)
	}
	envOf := func(k string) string {
		for _, kv := range spec.Env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	if envOf("BD_ACTOR") != "mayor" || envOf("GT_TOWN_ROOT") != tw.Root || !strings.HasPrefix(envOf("PATH"), RuntimeBinDir(tw.Root)+":") || envOf("GT_AGENT") != "echoer" {
		t.Fatalf("pane env: %v", spec.Env)
	}
	s := h.Session("mayor")
	screen := func() string { return s.Snapshot().PlainText() }
	// The beacon is typed once the pane was quiet for 1.5 s.
	waitFor(t, 15*time.Second, "the beacon", func() bool {
		return strings.Contains(screen(), "[GAS TOWN] mayor <- human • ") && strings.Contains(screen(), " • cold-start")
	})
	waitFor(t, 15*time.Second, "the queued nudge after the beacon", func() bool {
		sc := screen()
		i, j := strings.Index(sc, "[GAS TOWN] mayor"), strings.Index(sc, "[from overseer] queued before start")
		return i >= 0 && j > i
	})
	if left, _ := PendingNudges(tw.Root, models.MayorAddress, time.Now()); len(left) != 0 {
		t.Fatalf("%d nudges still queued", len(left))
	}
	if len(eventsOf(t, tw, "session_start")) != 1 {
		t.Fatal("want one session_start event")
	}
	// Nudge immediate: typed in order.
	if err := h.Nudge(context.Background(), "mayor", NudgeText("overseer", "first"), NudgeImmediate); err != nil {
		t.Fatal(err)
	}
	if err := h.Nudge(context.Background(), "mayor", NudgeText("overseer", "second"), NudgeImmediate); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "both nudges", func() bool {
		sc := screen()
		i, j := strings.LastIndex(sc, "[from overseer] first"), strings.LastIndex(sc, "[from overseer] second")
		return i >= 0 && j > i
	})
	// A notice for a live agent (sling, mail) goes through the socket in
	// queue mode and is typed at the next quiet moment.
	waitFor(t, 5*time.Second, "sessions.json to list the mayor", func() bool {
		_, live := tw.liveSession(models.MayorAddress)
		return live
	})
	if !tw.notifyLive(context.Background(), models.MayorAddress, "Work slung: hq-x1. Run gt hook to see it, then begin.") {
		t.Fatal("notifyLive found no live session")
	}
	waitFor(t, 20*time.Second, "the queued notice", func() bool {
		return strings.Contains(screen(), "Work slung: hq-x1. Run gt hook to see it, then begin.")
	})
	// sessions.json describes the live session.
	waitFor(t, 5*time.Second, "sessions.json", func() bool {
		f, ok, err := tw.LiveSessions(time.Now())
		if err != nil || !ok {
			return false
		}
		r, found := f.Find("mayor")
		return found && r.PID == s.Pid() && !r.Exited && r.Runtime == "echoer" && r.Cols == 100
	})
	// The UI hears of pane output and state through Updates.
	gotPane := false
	deadline := time.After(5 * time.Second)
	for !gotPane {
		select {
		case u := <-h.Updates():
			gotPane = u.Kind == UpdatePaneOutput && u.Agent == "mayor"
		case <-deadline:
			t.Fatal("no pane-output update")
		}
	}
	// Stop: the session exits and is not restarted by pokes.
	pid := s.Pid()
	if err := h.StopAgent(context.Background(), "mayor"); err != nil {
		t.Fatal(err)
	}
	deadline = time.After(5 * time.Second)
	for sawExit := false; !sawExit; {
		select {
		case u := <-h.Updates():
			sawExit = u.Kind == UpdateExit && u.Agent == "mayor"
		case <-deadline:
			t.Fatal("the exit never reached Updates")
		}
	}
	waitFor(t, 3*time.Second, "the exited state", func() bool {
		a, _ := agentOf(h, "mayor")
		return a.Exited && a.State == models.StateExited
	})
	h.Poke()
	time.Sleep(500 * time.Millisecond)
	waitFor(t, 3*time.Second, "an agent_state event to exited", func() bool {
		for _, ev := range eventsOf(t, tw, "agent_state") {
			if strings.Contains(string(ev.Payload), `"agent":"mayor"`) && strings.Contains(string(ev.Payload), `"to":"exited"`) {
				return true
			}
		}
		return false
	})
	if rec.count() != 1 || !processGone(pid) {
		t.Fatalf("spawns=%d, pid %d gone=%v", rec.count(), pid, processGone(pid))
	}
	// An explicit start runs it again with beacon topic restart.
	if err := h.StartAgent(context.Background(), "mayor", ""); err != nil {
		t.Fatal(err)
	}
	s2 := h.Session("mayor")
	waitFor(t, 15*time.Second, "the restart beacon", func() bool {
		return strings.Contains(s2.Snapshot().PlainText(), "[GAS TOWN] mayor <- host • ") && strings.Contains(s2.Snapshot().PlainText(), "• restart")
	})
	if err := h.StartAgent(context.Background(), "mayor", ""); err == nil {
		t.Fatal("a second session for one address was allowed")
	}
	pid2 := s2.Pid()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Close(cctx); err != nil {
		t.Fatal(err)
	}
	if !processGone(pid2) {
		t.Fatalf("agent pid %d outlived the host", pid2)
	}
	ends := eventsOf(t, tw, "session_end")
	if len(ends) != 2 {
		t.Fatalf("%d session_end events, want 2", len(ends))
	}
}

func TestUpdateQueueNeverLosesExits(t *testing.T) {
	q := newUpdateQueue(true)
	defer q.close()
	for i := 0; i < 1000; i++ {
		q.post(HostUpdate{Kind: UpdatePaneOutput, Agent: "mayor"})
		q.post(HostUpdate{Kind: UpdateState})
	}
	for i := 0; i < 50; i++ {
		q.post(HostUpdate{Kind: UpdateExit, Agent: "a" + strconv.Itoa(i)})
	}
	for i := 0; i < 200; i++ {
		q.post(HostUpdate{Kind: UpdateNotice, Text: strconv.Itoa(i)})
	}
	exits, panes, states, notices := 0, 0, 0, 0
	timeout := time.After(5 * time.Second)
	for exits < 50 || panes < 1 || states < 1 || notices < maxQueuedNotices {
		select {
		case u := <-q.out:
			switch u.Kind {
			case UpdateExit:
				if u.Agent != "a"+strconv.Itoa(exits) {
					t.Fatalf("exit %d out of order: %s", exits, u.Agent)
				}
				exits++
			case UpdatePaneOutput:
				panes++
			case UpdateState:
				states++
			case UpdateNotice:
				notices++
			}
		case <-timeout:
			t.Fatalf("exits=%d panes=%d states=%d notices=%d", exits, panes, states, notices)
		}
	}
	// The pump may already hold one notice in flight (blocked on the
	// unread channel) while the next 999 posts coalesce into one pending:
	// two at most, never one per post.
	if panes > 2 || states > 2 {
		t.Fatalf("notices did not coalesce: panes=%d states=%d", panes, states)
	}
	// A headless queue drops everything and never blocks.
	hq := newUpdateQueue(false)
	for i := 0; i < 10000; i++ {
		hq.post(HostUpdate{Kind: UpdateExit})
	}
}

// TestHostKillsStaleSessions: a session of a killed host that ignored
// SIGHUP (so it survived its PTY hangup) is killed, with its process group,
// by the next host, which finds it in the old sessions.json.
func TestHostKillsStaleSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	tw := orchTown(t)
	cmd := exec.Command("sh", "-c", `trap "" HUP; sleep 60 & wait`)
	cmd.Env = append(os.Environ(), "GT_TOWN_ROOT="+tw.Root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-done })
	// An unrelated process of ours, also listed, must survive: its
	// environment does not name the town.
	other := exec.Command("sleep", "60")
	other.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	otherDone := make(chan struct{})
	go func() { _ = other.Wait(); close(otherDone) }()
	t.Cleanup(func() { _ = other.Process.Kill(); <-otherDone })
	// Wait until the shell ignores SIGHUP (SigIgn bit 0) before testing it.
	waitFor(t, 5*time.Second, "the trap", func() bool {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
		if err != nil {
			return true // not Linux: fall back to the sleep below
		}
		for _, l := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				return n&1 != 0
			}
		}
		return false
	})
	time.Sleep(100 * time.Millisecond)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGHUP)
	time.Sleep(200 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the SIGHUP-ignoring process died of SIGHUP")
	default:
	}
	if err := WriteSessions(tw.Root, SessionsFile{HostPID: 999999, UpdatedAt: time.Now().UTC(), Sessions: []SessionRecord{
		{Agent: "mayor", Runtime: "x", PID: cmd.Process.Pid},
		{Agent: "myproject/polecats/nux", Runtime: "x", PID: other.Process.Pid},
	}}); err != nil {
		t.Fatal(err)
	}
	startTestHost(t, tw, nil, HostOptions{Headless: true})
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stale session survived the new host")
	}
	select {
	case <-otherDone:
		t.Fatal("a process outside the town was killed")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestHostAutocommitAndTimerGates(t *testing.T) {
	if testing.Short() {
		t.Skip("git and a host")
	}
	getenv := installEnv(t)
	t.Setenv("GIT_AUTHOR_NAME", "T")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "T")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@example.com")
	res, err := Install(context.Background(), InstallOptions{Path: shortRoot(t), Git: true, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	tw := res.Town
	gate := mkBead(t, tw, "overseer", models.Bead{Title: "Gate: timer t1", IssueType: models.TypeGate, Priority: 2,
		AwaitType: "timer", AwaitID: "t1", Timeout: int64(time.Millisecond)}, "hq")
	notYet := mkBead(t, tw, "overseer", models.Bead{Title: "Gate: timer t2", IssueType: models.TypeGate, Priority: 2,
		AwaitType: "timer", AwaitID: "t2", Timeout: int64(time.Hour)}, "hq")
	// A stray file in the town is never committed by the host.
	if err := os.WriteFile(tw.Path("notes.txt"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tw.SetDefaultAgent("demo", "overseer"); err != nil {
		t.Fatal(err)
	}
	h := startTestHost(t, tw, nil, HostOptions{Headless: true})
	waitFor(t, 10*time.Second, "the elapsed timer gate to close", func() bool {
		var closed bool
		withStore(t, tw, func(s *beads.Store) {
			b, err := s.Get(context.Background(), gate.ID)
			closed = err == nil && b.Status == models.StatusClosed
		})
		return closed
	})
	withStore(t, tw, func(s *beads.Store) {
		b, err := s.Get(context.Background(), notYet.ID)
		if err != nil || b.Status != models.StatusOpen {
			t.Fatalf("a timer gate with time left was closed: %v %v", b, err)
		}
	})
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	out, err := git(context.Background(), tw.Root, "log", "-1", "--format=%s", "--name-only")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, AutocommitMessage+"\n") || !strings.Contains(out, ".beads/issues.jsonl") || !strings.Contains(out, "settings/config.json") {
		t.Fatalf("last commit:\n%s", out)
	}
	if strings.Contains(out, "notes.txt") {
		t.Fatalf("autocommit took a file that is not town state:\n%s", out)
	}
	status, _ := git(context.Background(), tw.Root, "status", "--porcelain", "--", "notes.txt")
	if !strings.Contains(status, "?? notes.txt") {
		t.Fatalf("notes.txt status %q", status)
	}
}

func TestHostShellNudgeIsANotice(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a shell")
	}
	tw := orchTown(t)
	t.Setenv("SHELL", "/bin/sh")
	setWantedT(t, tw, "mayor", "shell", true)
	h := startTestHost(t, tw, nil, HostOptions{})
	waitFor(t, 10*time.Second, "the shell session", func() bool { return h.Session("mayor") != nil })
	if err := h.Nudge(context.Background(), "mayor", NudgeText("overseer", "hello"), NudgeImmediate); err == nil {
		t.Fatal("a nudge was typed into a shell pane")
	}
	// Focus requests reach a UI host.
	if _, err := NewHostClient(tw.Root).Do(context.Background(), HostRequest{Op: OpFocus, Agent: "mayor", Zoom: true}); err != nil {
		t.Fatal(err)
	}
	notice, focus := false, false
	deadline := time.After(5 * time.Second)
	for !notice || !focus {
		select {
		case u := <-h.Updates():
			notice = notice || (u.Kind == UpdateNotice && strings.Contains(u.Text, "runs a shell"))
			focus = focus || (u.Kind == UpdateFocus && u.Agent == "mayor" && u.Zoom)
		case <-deadline:
			t.Fatalf("notice=%v focus=%v", notice, focus)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if strings.Contains(h.Session("mayor").Snapshot().PlainText(), "hello") {
		t.Fatal("text reached the shell pane")
	}
}

// TestHostBeaconAsArgument: a prompt_mode arg runtime gets the beacon as
// its last argument (nothing is typed) and its hooked bead becomes
// in_progress at once.
func TestHostBeaconAsArgument(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent process")
	}
	tw := orchTown(t)
	setAgents(t, tw, map[string]AgentConfig{"argy": {Command: "sh", Args: []string{"-c", `printf 'argv: %s\n' "$0"; exec cat`}, PromptMode: PromptArg}})
	b := mkBead(t, tw, "mayor", models.Bead{Title: "Crew work", IssueType: models.TypeTask, Priority: 2}, "mp")
	withStore(t, tw, func(s *beads.Store) {
		st, who := models.StatusHooked, "myproject/crew/joe"
		if err := s.Write(context.Background(), "mayor", func(tx *beads.Tx) error {
			if _, err := tx.Update(b.ID, beads.Update{Status: &st, Assignee: &who}); err != nil {
				return err
			}
			cur, err := tx.Get(b.ID)
			if err != nil {
				return err
			}
			return writeAttachment(tx, cur, &Attachment{DispatchedBy: "mayor"})
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetWanted(context.Background(), "myproject/crew/joe", "argy", false); err != nil {
			t.Fatal(err)
		}
	})
	h := startTestHost(t, tw, nil, HostOptions{Headless: true, PaneSize: func(string) (int, int, bool) { return 200, 30, true }})
	addr := "myproject/crew/joe"
	waitFor(t, 10*time.Second, "the crew session", func() bool { return h.Session(addr) != nil })
	waitFor(t, 10*time.Second, "the beacon in argv", func() bool {
		return strings.Contains(h.Session(addr).Snapshot().PlainText(), "argv: [GAS TOWN] "+addr+" <- mayor • ")
	})
	sc := h.Session(addr).Snapshot().PlainText()
	if !strings.Contains(sc, " • assigned") || !strings.Contains(sc, "Work is on your hook. Run gt prime for your context and checklist, then start at once.") {
		t.Fatalf("pane:\n%s", sc)
	}
	waitFor(t, 5*time.Second, "the bead in progress", func() bool {
		var st models.Status
		withStore(t, tw, func(s *beads.Store) {
			if got, err := s.Get(context.Background(), b.ID); err == nil {
				st = got.Status
			}
		})
		return st == models.StatusInProgress
	})
}

// TestHostStallAndGUPP: a hooked polecat whose agent goes silent turns
// stalled, then gupp (thresholds from problems.*), each change written as
// an agent_state event; its session is one of the agents the host lists.
func TestHostStallAndGUPP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an agent process")
	}
	tw := orchTown(t)
	setAgents(t, tw, map[string]AgentConfig{"quiet": {Command: "sh", Args: []string{"-c", "echo quiet agent ready; exec cat"}, PromptMode: PromptNone}})
	if err := tw.UpdateSettings(func(s *TownSettings) error {
		s.Problems = &ProblemsSettings{StalledAfter: "2s", GuppAfter: "4s", WaitingQuiet: "2s"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	addr := models.Address{Role: models.RolePolecat, Rig: "myproject", Name: "nux"}
	b := mkBead(t, tw, "mayor", models.Bead{Title: "Quiet work", IssueType: models.TypeTask, Priority: 2}, "mp")
	withStore(t, tw, func(s *beads.Store) {
		st, who := models.StatusHooked, addr.String()
		if err := s.Write(context.Background(), "mayor", func(tx *beads.Tx) error {
			if _, err := tx.Update(b.ID, beads.Update{Status: &st, Assignee: &who}); err != nil {
				return err
			}
			return upsertAgentBead(tx, "mp", addr, models.AgentBeadSpawning, b.ID, "polecat/nux/"+b.ID, tw.Workdir(addr), "quiet")
		}); err != nil {
			t.Fatal(err)
		}
	})
	h := startTestHost(t, tw, nil, HostOptions{Headless: true})
	for _, want := range []models.AgentState{models.StateStalled, models.StateGUPP} {
		waitFor(t, 20*time.Second, "state "+want.String(), func() bool {
			a, _ := agentOf(h, addr.String())
			return a.State == want && a.Session != nil && a.Hook == b.ID
		})
	}
	a, _ := agentOf(h, addr.String())
	if !strings.HasPrefix(a.Reason, "GUPP: hooked work, no progress for ") || a.Runtime != "quiet" {
		t.Fatalf("agent %+v", a)
	}
	var seen []string
	for _, ev := range eventsOf(t, tw, "agent_state") {
		if strings.Contains(string(ev.Payload), `"agent":"`+addr.String()+`"`) {
			seen = append(seen, string(ev.Payload))
		}
	}
	joined := strings.Join(seen, "\n")
	if !strings.Contains(joined, `"from":"working","reason":"Stalled: no progress for 0m","to":"stalled"`) ||
		!strings.Contains(joined, `"from":"stalled"`) || !strings.Contains(joined, `"to":"gupp"`) {
		t.Fatalf("agent_state events:\n%s", joined)
	}
}
