package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// hostProc is a real `gt host` process started by a test.
type hostProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan error
}

// startHostProc runs `gt host` in dir with env in its own process group;
// the test's cleanup kills the group if it still runs.
func startHostProc(t *testing.T, dir string, env []string) *hostProc {
	t.Helper()
	p := &hostProc{t: t, done: make(chan error, 1)}
	p.cmd = exec.Command(filepath.Join(binDir(t), "gt"), "host")
	p.cmd.Dir = dir
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
		}
	})
	return p
}

// wait waits for the host process to end and returns its exit code.
func (p *hostProc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			return -1
		}
		return 0
	case <-time.After(timeout):
		p.t.Fatalf("gt host did not exit within %s\n%s", timeout, p.out.String())
		return -1
	}
}

// townProcesses lists live processes whose environment names the town
// (GT_TOWN_ROOT=root): every agent and everything it started.
func townProcesses(root string) []int {
	ents, _ := os.ReadDir("/proc")
	want := []byte("GT_TOWN_ROOT=" + root)
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, want) {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// waitNoTownProcesses fails unless every process of the town is gone
// within timeout.
func waitNoTownProcesses(t *testing.T, root string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := townProcesses(root)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var desc []string
			for _, pid := range left {
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				desc = append(desc, fmt.Sprintf("%d %q", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
			}
			t.Fatalf("processes of the town still running after %s: %s", timeout, strings.Join(desc, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// beadStatus reads one bead (nil when it cannot be read right now).
func beadNow(root, id string) *models.Bead {
	s, err := beads.Open(context.Background(), filepath.Join(root, ".beads", "beads.db"))
	if err != nil {
		return nil
	}
	defer s.Close()
	b, err := s.Get(context.Background(), id)
	if err != nil {
		return nil
	}
	return b
}

// startInProcessHost hosts o's town from the test process with the built
// binary as the panes' gt.
func startInProcessHost(t *testing.T, root string, env []string) *town.Host {
	t.Helper()
	tw, err := town.Open(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := town.StartHost(ctx, tw, town.HostOptions{Exe: filepath.Join(binDir(t), "gt"), Headless: true,
		Env: append(cleanEnv(), env...), StopGrace: time.Second})
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

func paneText(h *town.Host, addr string) string {
	s := h.Session(addr)
	if s == nil {
		return ""
	}
	var b strings.Builder
	n := s.ScrollbackLen()
	for _, l := range s.Scrollback(0, n) {
		b.WriteString(l.Plain() + "\n")
	}
	b.WriteString(s.Snapshot().PlainText())
	return b.String()
}

// TestHostKill9RestartsHookedAgents is acceptance 1 (R1, R8): five demo
// polecats hold hooked work under a real `gt host`; the host is killed
// with SIGKILL; its agents die with their PTYs; a new host starts each
// again exactly once with beacon topic restart, they prime, and no bead,
// worktree, polecat, convoy or MR is lost or duplicated.
func TestHostKill9RestartsHookedAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	o.gtOK(o.root, "config", "agent", "set", "demohang", "gt demo-agent --hang", "--prompt-mode", "none")
	// One agent ignores SIGHUP, so it survives the dead host's hangup: the
	// next host must find it in sessions.json and kill its process group.
	o.gtOK(o.root, "config", "agent", "set", "demostubborn", `sh -c 'trap "" HUP; exec gt demo-agent --hang'`, "--prompt-mode", "none")
	var ids []string
	for i := 0; i < 5; i++ {
		id := o.create(fmt.Sprintf("Hang task %d", i), "A task the demo agent never finishes.")
		alias := "demohang"
		if i == 4 {
			alias = "demostubborn"
		}
		o.gtOK(o.root, "sling", id, orchRig, "--agent", alias)
		ids = append(ids, id)
	}
	before := townShape(t, o.root)
	host := startHostProc(t, o.root, o.env())
	pollUntil(t, 60*time.Second, "five beacons delivered (beads in_progress)", func() bool {
		for _, id := range ids {
			if b := beadNow(o.root, id); b == nil || b.Status != models.StatusInProgress {
				return false
			}
		}
		return true
	})
	var oldPIDs []int
	pollUntil(t, 10*time.Second, "five live sessions in sessions.json", func() bool {
		f, err := town.ReadSessions(o.root)
		if err != nil || f == nil {
			return false
		}
		oldPIDs = oldPIDs[:0]
		for _, s := range f.Sessions {
			if !s.Exited && s.PID > 0 {
				oldPIDs = append(oldPIDs, s.PID)
			}
		}
		return len(oldPIDs) == 5
	})
	if err := syscall.Kill(host.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	host.wait(10 * time.Second)
	// The kernel hangs up the agents when the dead host's PTY masters
	// close: all but the one ignoring SIGHUP end.
	stubborn := beadNow(o.root, ids[4]).Assignee
	pollUntil(t, 10*time.Second, "the four hung-up agents to end", func() bool {
		return len(townProcesses(o.root)) == 1
	})
	survivor := townProcesses(o.root)[0]
	if env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", survivor)); !bytes.Contains(env, []byte("BD_ACTOR="+stubborn+"\x00")) {
		t.Fatalf("the surviving process %d is not %s", survivor, stubborn)
	}

	h := startInProcessHost(t, o.root, o.env())
	// The new host killed the stale session before starting anything.
	pollUntil(t, 5*time.Second, "the stale session to be killed", func() bool { return syscall.Kill(survivor, 0) != nil })
	addrs := map[string]string{}
	for _, id := range ids {
		addrs[id] = beadNow(o.root, id).Assignee
	}
	for id, addr := range addrs {
		pollUntil(t, 60*time.Second, addr+" restarted and primed", func() bool {
			p := paneText(h, addr)
			return strings.Contains(p, "[GAS TOWN] "+addr+" <- host • ") && strings.Contains(p, " • restart") &&
				strings.Contains(p, "primed: "+id+" ")
		})
	}
	// Exactly one session per agent, each a new process.
	st, err := town.HostStatusOf(context.Background(), o.root)
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, s := range st.Sessions {
		if !s.Exited {
			live++
		}
		for _, old := range oldPIDs {
			if s.PID == old {
				t.Fatalf("session %s reuses the dead host's pid %d", s.Agent, old)
			}
		}
	}
	if live != 5 || len(st.Sessions) != 5 {
		t.Fatalf("%d sessions (%d live), want 5", len(st.Sessions), live)
	}
	// Nothing lost or duplicated: same beads (now in progress), same
	// polecats and worktrees, same convoys, no MR.
	after := townShape(t, o.root)
	if after != before {
		t.Fatalf("town changed shape across the crash:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for id, addr := range addrs {
		a, _ := models.ParseAddress(addr)
		wt := filepath.Join(o.root, a.Rig, "polecats", a.Name, a.Rig)
		if branch := o.git(wt, "symbolic-ref", "--short", "HEAD"); !strings.Contains(branch, id) {
			t.Fatalf("%s worktree is on %q", addr, branch)
		}
	}
	// The restarted agents' sessions end with the host; nothing outlives it.
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.Close(cctx); err != nil {
		t.Fatal(err)
	}
	waitNoTownProcesses(t, o.root, 5*time.Second)
	jsonl, err := os.ReadFile(filepath.Join(o.root, ".beads", "issues.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !bytes.Contains(jsonl, []byte(`"id":"`+id+`"`)) || !bytes.Contains(jsonl, []byte(`"status":"in_progress"`)) {
			t.Fatalf("issues.jsonl lacks %s in progress", id)
		}
	}
}

// townShape describes what a crash must neither lose nor duplicate: every
// bead's id, type and assignee (not its status: hooked work goes on to
// in_progress), and the polecat directories.
func townShape(t *testing.T, root string) string {
	t.Helper()
	s, err := beads.Open(context.Background(), filepath.Join(root, ".beads", "beads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.List(context.Background(), beads.Filter{IncludeClosed: true, Sort: "id"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, x := range list {
		fmt.Fprintf(&b, "%s %s %s\n", x.ID, x.IssueType, x.Assignee)
	}
	ents, _ := os.ReadDir(filepath.Join(root, orchRig, "polecats"))
	for _, e := range ents {
		fmt.Fprintf(&b, "polecat %s\n", e.Name())
	}
	return b.String()
}

// TestHostNudgeWhileBusy is acceptance 2: a gt nudge sent through the
// socket while the demo agent works its checklist is typed and submitted
// once the agent is quiet, and the agent reads it afterwards.
func TestHostNudgeWhileBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	o.gtOK(o.root, "config", "agent", "set", "demobusy", "gt demo-agent --step-delay 1s", "--prompt-mode", "none")
	id := o.create("Busy task", "Takes a few seconds.")
	h := startInProcessHost(t, o.root, o.env())
	o.gtOK(o.root, "sling", id, orchRig, "--agent", "demobusy")
	addr := beadNow(o.root, id).Assignee
	pollUntil(t, 30*time.Second, "the agent working its checklist", func() bool {
		return strings.Contains(paneText(h, addr), "▶ 1/")
	})
	out := o.gtOK(o.root, "nudge", addr, "-m", "status report please")
	if strings.TrimSpace(out) != "✓ Nudged "+addr {
		t.Fatalf("gt nudge printed %q", out)
	}
	heard := "heard: [from overseer] status report please"
	pollUntil(t, 45*time.Second, "the agent to read the nudge", func() bool {
		return strings.Contains(paneText(h, addr), heard)
	})
	p := paneText(h, addr)
	done := strings.Index(p, "✓ done "+id)
	if done < 0 || strings.Index(p, heard) < done {
		t.Fatalf("the nudge was read before the work finished:\n%s", p)
	}
	// It was submitted (the agent ran a pass for it), not left typed.
	pollUntil(t, 15*time.Second, "the pass the nudge started", func() bool {
		after := paneText(h, addr)
		i := strings.Index(after, heard)
		return i >= 0 && strings.Contains(after[i:], "nothing on hook")
	})
}

// TestDemoHeadless is acceptance 3: gt demo --no-tui, then a real gt host:
// all three beads merge and the convoy lands within the budget, the landing
// mail exists, and stopping the host leaves no process.
func TestDemoHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	base := t.TempDir()
	if r, err := filepath.EvalSymlinks(base); err == nil {
		base = r
	}
	home := filepath.Join(base, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	// A fresh machine: no git identity anywhere (the demo must still work).
	env := []string{"HOME=" + home, "USER=tester", "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	dir := filepath.Join(base, "demo")
	out, errOut, code := runBin(t, base, env, "gt", "demo", "--no-tui", "--dir", dir)
	if code != 0 || strings.TrimSpace(out) != dir {
		t.Fatalf("gt demo --no-tui: exit %d, stdout %q\n%s", code, out, errOut)
	}
	start := time.Now()
	host := startHostProc(t, dir, env)
	var convoy models.Bead
	pollUntil(t, 60*time.Second, "the demo convoy to land", func() bool {
		s, err := beads.Open(context.Background(), filepath.Join(dir, ".beads", "beads.db"))
		if err != nil {
			return false
		}
		defer s.Close()
		list, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeConvoy}, IncludeClosed: true})
		if err != nil || len(list) != 1 {
			return false
		}
		convoy = list[0]
		return convoy.Status == models.StatusClosed
	})
	t.Logf("demo convoy landed %s after the host started", time.Since(start).Round(100*time.Millisecond))
	s, err := beads.Open(context.Background(), filepath.Join(dir, ".beads", "beads.db"))
	if err != nil {
		t.Fatal(err)
	}
	work, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeTask}, Prefix: town.DemoPrefix, IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(work) != 3 {
		t.Fatalf("%d demo beads, want 3", len(work))
	}
	for _, b := range work {
		if b.Status != models.StatusClosed || !strings.HasPrefix(b.CloseReason, "Merged in ") {
			t.Fatalf("%s: %s %q, want closed by a merge", b.ID, b.Status, b.CloseReason)
		}
	}
	mail, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeMessage}, IncludeClosed: true})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	landed := map[string]bool{}
	for _, m := range mail {
		if m.Title == "🚚 Convoy landed: Demo convoy" {
			landed[m.Assignee] = true
		}
	}
	if !landed["mayor"] || !landed["overseer"] {
		t.Fatalf("landing mail to mayor and overseer missing: %v", landed)
	}
	// Each merge is on origin's main.
	log := exec.Command("git", "--git-dir", filepath.Join(dir, ".runtime", "demo", "origin.git"), "log", "--format=%s", "main")
	lo, err := log.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range work {
		if !strings.Contains(string(lo), "("+b.ID+")") {
			t.Fatalf("origin main lacks the merge of %s:\n%s", b.ID, lo)
		}
	}
	if err := host.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := host.wait(15 * time.Second); code != 0 {
		t.Fatalf("gt host exited %d after SIGTERM\n%s", code, host.out.String())
	}
	waitNoTownProcesses(t, dir, 5*time.Second)
	for _, p := range []string{".runtime/host.lock", ".runtime/host.sock"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left behind", p)
		}
	}
}

// TestHostSecondHostRefused: a second gt host on a hosted town fails with
// the exact spec line.
func TestHostSecondHostRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	host := startHostProc(t, o.root, o.env())
	pollUntil(t, 10*time.Second, "the host socket", func() bool {
		_, err := town.HostStatusOf(context.Background(), o.root)
		return err == nil
	})
	o.gtFail(o.root, nil, fmt.Sprintf("town %s is already hosted by pid %d", o.root, host.cmd.Process.Pid), "host")
	if err := host.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := host.wait(15 * time.Second); code != 0 {
		t.Fatalf("gt host exited %d after SIGINT", code)
	}
}

// TestHostMayorLifecycleThroughSocket drives the host's socket ops with the
// real CLI: gt mayor start (poke → spawn), restart (stop + start with topic
// restart), attach on a headless host (refused), stop (not restarted).
func TestHostMayorLifecycleThroughSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	h := startInProcessHost(t, o.root, o.env())
	if out := o.gtOK(o.root, "mayor", "start", "--agent", "demo"); strings.TrimSpace(out) != "✓ Mayor will run with demo" {
		t.Fatalf("gt mayor start: %q", out)
	}
	pollUntil(t, 20*time.Second, "the Mayor's cold-start beacon and pass", func() bool {
		p := paneText(h, "mayor")
		return strings.Contains(p, "[GAS TOWN] mayor <- human • ") && strings.Contains(p, "• cold-start") && strings.Contains(p, "nothing on hook")
	})
	pid := h.Session("mayor").Pid()
	o.gtOK(o.root, "mayor", "restart", "--agent", "demo")
	pollUntil(t, 20*time.Second, "the restarted Mayor", func() bool {
		s := h.Session("mayor")
		return s != nil && s.Pid() != pid && strings.Contains(paneText(h, "mayor"), "• restart")
	})
	o.gtFail(o.root, nil, fmt.Sprintf("the host (pid %d) is headless; open gt in a terminal", os.Getpid()), "mayor", "attach")
	pid = h.Session("mayor").Pid()
	o.gtOK(o.root, "mayor", "stop")
	pollUntil(t, 10*time.Second, "the Mayor's process to end", func() bool { return syscall.Kill(pid, 0) != nil })
	h.Poke()
	time.Sleep(time.Second)
	if s := h.Session("mayor"); s != nil && !s.Exited() {
		t.Fatal("the stopped Mayor was started again")
	}
	out, _, code := o.run(o.root, nil, "gt", "agents", "--json")
	if code != 0 || !strings.Contains(out, `"address": "mayor"`) {
		t.Fatalf("gt agents --json: %d\n%s", code, out)
	}
}

// TestHostExportsAfterWrites: a write that does not export itself (here a
// direct store write, as bd does while a host runs) reaches issues.jsonl
// about a second later through the host's export loop.
func TestHostExportsAfterWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	startInProcessHost(t, o.root, o.env())
	var id string
	o.withStore(func(s *beads.Store) {
		err := s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
			b, err := tx.Create(&models.Bead{Title: "Exported by the host", IssueType: models.TypeTask, Priority: 2}, beads.CreateOpts{Prefix: "mp"})
			if err == nil {
				id = b.ID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	start := time.Now()
	pollUntil(t, 5*time.Second, "issues.jsonl to hold the new bead", func() bool {
		data, err := os.ReadFile(filepath.Join(o.root, ".beads", "issues.jsonl"))
		return err == nil && bytes.Contains(data, []byte(`"id":"`+id+`"`))
	})
	t.Logf("exported %s after the write", time.Since(start).Round(10*time.Millisecond))
}
