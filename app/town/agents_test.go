package town

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func agentAddrs(rep AgentsReport) string {
	var out []string
	for _, r := range rep.Agents {
		out = append(out, r.Address)
	}
	return strings.Join(out, ",")
}

func rowOf(t *testing.T, rep AgentsReport, addr string) AgentRow {
	t.Helper()
	for _, r := range rep.Agents {
		if r.Address == addr {
			return r
		}
	}
	t.Fatalf("no row for %s in %s", addr, agentAddrs(rep))
	return AgentRow{}
}

func TestAgentsWithoutHost(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	// More agents: crew ann (dir), polecat furiosa known only from its
	// agent bead, a second rig "alpha" sorting before myproject.
	reg, _ := tw.Rigs()
	reg.Rigs["alpha"] = RigEntry{GitURL: "file:///x", DefaultBranch: "main", Beads: BeadsRef{Prefix: "al"}}
	if err := tw.SaveRigs(reg); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"myproject/crew/ann/.git", "alpha/polecats/toast"} {
		if err := os.MkdirAll(tw.Path(d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fur := models.Address{Role: models.RolePolecat, Rig: "myproject", Name: "furiosa"}
	mkBead(t, tw, "overseer", *newAgentBead(models.AgentBeadID("mp", fur), fur, models.AgentBeadSpawning, "", ""), "mp")
	hook := mkBead(t, tw, "mayor", models.Bead{Title: "Fix the thing", Status: models.StatusHooked, Assignee: "myproject/polecats/furiosa"}, "mp")

	rep, err := tw.Agents(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := "mayor,alpha/polecats/toast,myproject/crew/ann,myproject/crew/joe,myproject/polecats/furiosa,myproject/polecats/nux"
	if got := agentAddrs(rep); got != want {
		t.Fatalf("order:\n got %s\nwant %s", got, want)
	}
	if rep.HostLive {
		t.Fatal("host live without a host")
	}
	f := rowOf(t, rep, "myproject/polecats/furiosa")
	if f.State != "zombie" || f.Hook != hook.ID || f.HookTitle != "Fix the thing" || f.Session != "none" || f.PID != nil ||
		f.Role != "polecat" || f.Rig != "myproject" || f.Name != "furiosa" || !f.NeedsAttention || f.Runtime != "claude" {
		t.Fatalf("furiosa = %+v", f)
	}
	m := rowOf(t, rep, "mayor")
	if m.State != "idle" || m.Hook != "" || m.Role != "mayor" || m.Name != "mayor" || m.NeedsAttention {
		t.Fatalf("mayor = %+v", m)
	}
	// The Mayor's store writes (the hook above) count as activity.
	if m.IdleSeconds == nil || *m.IdleSeconds > 60 {
		t.Fatalf("mayor idle = %v", m.IdleSeconds)
	}
	if j := rowOf(t, rep, "myproject/crew/joe"); j.State != "idle" || j.IdleSeconds != nil {
		t.Fatalf("joe = %+v", j)
	}
}

func TestAgentsWithHost(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	now := time.Now().UTC()
	hookNux := mkBead(t, tw, "overseer", models.Bead{Title: "Nux work", Status: models.StatusInProgress, Assignee: "myproject/polecats/nux"}, "mp")
	mkBead(t, tw, "overseer", models.Bead{Title: "Mayor work", Status: models.StatusHooked, Assignee: "mayor"}, "hq")
	quiet := now.Add(-20 * time.Minute)
	recent := now.Add(-3 * time.Second)
	holdHostLock(t, tw)
	err := WriteSessions(tw.Root, SessionsFile{HostPID: os.Getpid(), UpdatedAt: now, Sessions: []SessionRecord{
		{Agent: "mayor", Runtime: "codex", PID: 11, StartedAt: now.Add(-time.Hour), LastOutputAt: &recent},
		{Agent: "myproject/polecats/nux", Runtime: "claude", PID: 12, StartedAt: now.Add(-time.Hour), LastOutputAt: &quiet},
		{Agent: "myproject/crew/joe", Runtime: "shell", PID: 13, StartedAt: now.Add(-time.Hour), Exited: true, ExitCode: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := tw.Agents(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.HostLive || rep.HostPID != os.Getpid() {
		t.Fatalf("host = %v %d", rep.HostLive, rep.HostPID)
	}
	m := rowOf(t, rep, "mayor")
	if m.State != "working" || m.Runtime != "codex" || m.Session != "live" || m.PID == nil || *m.PID != 11 {
		t.Fatalf("mayor = %+v", m)
	}
	// nux: the overseer's audit rows are not nux's progress; 20 min quiet.
	n := rowOf(t, rep, "myproject/polecats/nux")
	if n.State != "stalled" || n.Reason != "Stalled: no progress for 20m" || n.Hook != hookNux.ID || !n.NeedsAttention {
		t.Fatalf("nux = %+v", n)
	}
	if n.IdleSeconds == nil || *n.IdleSeconds != 1200 {
		t.Fatalf("nux idle = %v", n.IdleSeconds)
	}
	j := rowOf(t, rep, "myproject/crew/joe")
	if j.State != "exited" || j.Session != "exited" || j.ExitCode == nil || *j.ExitCode != 2 || !j.NeedsAttention {
		t.Fatalf("joe = %+v", j)
	}
	// Stale sessions.json: back to beads-only states.
	rep, _ = tw.Agents(ctx, now.Add(10*time.Second))
	if rep.HostLive || rowOf(t, rep, "mayor").State != "zombie" || rowOf(t, rep, "myproject/crew/joe").State != "idle" {
		t.Fatalf("stale: %+v", rep)
	}
}

func TestResolveAgent(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	for in, want := range map[string]string{
		"mayor": "mayor", "mayor/": "mayor", "myproject/joe": "myproject/crew/joe", "myproject/crew/joe": "myproject/crew/joe",
		"myproject/nux": "myproject/polecats/nux", "myproject/polecats/nux": "myproject/polecats/nux",
	} {
		a, err := tw.ResolveAgent(ctx, in)
		if err != nil || a.String() != want {
			t.Errorf("%q = %v, %v; want %s", in, a, err, want)
		}
	}
	for _, bad := range []string{"overseer", "@overseer", "myproject/crew/nux", "myproject/ghost", "x/y/z", "", "joe"} {
		_, err := tw.ResolveAgent(ctx, bad)
		var ue *UnknownAddressError
		if !errors.As(err, &ue) || err.Error() != `unknown agent address "`+bad+`"` {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestStartStopSession(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	wanted := func() map[string]beads.AgentSession {
		out := map[string]beads.AgentSession{}
		withStore(t, tw, func(s *beads.Store) {
			rows, err := s.AgentSessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				out[r.Agent] = r
			}
		})
		return out
	}
	res, err := tw.StartSession(ctx, "mayor", "", "overseer")
	if err != nil || res.Alias != "claude" || res.Hosted || res.Address != models.MayorAddress {
		t.Fatalf("start = %+v, %v", res, err)
	}
	// No --agent: nothing is pinned, so a later default-agent applies.
	if w := wanted()["mayor"]; !w.Wanted || w.Runtime != "" {
		t.Fatalf("mayor row = %+v", w)
	}
	if err := tw.SetDefaultAgent("codex", "overseer"); err != nil {
		t.Fatal(err)
	}
	if res, err := tw.StartSession(ctx, "mayor", "", "overseer"); err != nil || res.Alias != "codex" {
		t.Fatalf("start after default-agent = %+v, %v", res, err)
	}
	if err := tw.SetDefaultAgent("claude", "overseer"); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.StartSession(ctx, "mayor", "nosuch", "overseer"); err == nil || !strings.Contains(err.Error(), `unknown agent "nosuch"`) {
		t.Fatalf("unknown alias: %v", err)
	}
	if w := wanted()["mayor"]; w.Runtime != "" {
		t.Fatal("failed start changed the row")
	}
	// An explicit --agent is pinned, and a plain start keeps it.
	if res, err := tw.StartSession(ctx, "mayor", "auggie", "overseer"); err != nil || res.Alias != "auggie" {
		t.Fatalf("start --agent auggie = %+v, %v", res, err)
	}
	if res, err := tw.StartSession(ctx, "mayor", "", "overseer"); err != nil || res.Alias != "auggie" {
		t.Fatalf("plain start after --agent = %+v, %v", res, err)
	}
	if w := wanted()["mayor"]; w.Runtime != "auggie" {
		t.Fatalf("pinned row = %+v", w)
	}
	if _, err := tw.StartSession(ctx, "mayor", "claude", "overseer"); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.StartSession(ctx, "myproject/nux", "", "overseer"); err == nil || !strings.Contains(err.Error(), "polecat") {
		t.Fatalf("polecat start: %v", err)
	}
	res, err = tw.StartSession(ctx, "myproject/joe", "shell", "overseer")
	if err != nil || res.Alias != "shell" || res.Address.String() != "myproject/crew/joe" {
		t.Fatalf("crew start = %+v, %v", res, err)
	}

	// With a host: poke on start, stop op on stop; a live Mayor with another
	// runtime refuses a start with a different alias.
	h := &fakeHost{}
	startFakeHost(t, tw.Root, h)
	holdHostLock(t, tw)
	if err := WriteSessions(tw.Root, SessionsFile{HostPID: os.Getpid(), UpdatedAt: time.Now().UTC(), Sessions: []SessionRecord{
		{Agent: "mayor", Runtime: "claude", PID: 5, StartedAt: time.Now()},
	}}); err != nil {
		t.Fatal(err)
	}
	_, err = tw.StartSession(ctx, "mayor", "codex", "overseer")
	if err == nil || err.Error() != "mayor is already running with claude (use gt mayor restart --agent codex)" {
		t.Fatalf("conflicting start: %v", err)
	}
	res, err = tw.StartSession(ctx, "mayor", "claude", "overseer")
	if err != nil || !res.Hosted {
		t.Fatalf("hosted start = %+v, %v", res, err)
	}
	res, err = tw.StopSession(ctx, "mayor")
	if err != nil || !res.Hosted {
		t.Fatalf("stop = %+v, %v", res, err)
	}
	if w := wanted()["mayor"]; w.Wanted || w.Runtime != "claude" {
		t.Fatalf("after stop = %+v", w)
	}
	reqs := h.requests()
	if len(reqs) != 2 || reqs[0].Op != OpPoke || reqs[1] != (HostRequest{Op: OpStop, Agent: "mayor"}) {
		t.Fatalf("host requests = %+v", reqs)
	}
	// Restart of the live Mayor: stop then start with the alias.
	if _, err := tw.RestartSession(ctx, "mayor", "codex"); err != nil {
		t.Fatal(err)
	}
	reqs = h.requests()[2:]
	if len(reqs) != 2 || reqs[0].Op != OpStop || reqs[1] != (HostRequest{Op: OpStart, Agent: "mayor", Runtime: "codex"}) {
		t.Fatalf("restart requests = %+v", reqs)
	}
	// A plain restart keeps the runtime it was wanted with, not the default.
	if _, err := tw.RestartSession(ctx, "mayor", ""); err != nil {
		t.Fatal(err)
	}
	reqs = h.requests()[4:]
	if len(reqs) != 2 || reqs[1] != (HostRequest{Op: OpStart, Agent: "mayor"}) {
		t.Fatalf("plain restart requests = %+v", reqs)
	}
	if w := wanted()["mayor"]; !w.Wanted || w.Runtime != "codex" {
		t.Fatalf("after plain restart = %+v", w)
	}
}

func TestStartExitedSession(t *testing.T) {
	tw := orchTown(t)
	h := &fakeHost{}
	startFakeHost(t, tw.Root, h)
	holdHostLock(t, tw)
	if err := WriteSessions(tw.Root, SessionsFile{HostPID: os.Getpid(), UpdatedAt: time.Now().UTC(), Sessions: []SessionRecord{
		{Agent: "myproject/crew/joe", Runtime: "shell", PID: 5, StartedAt: time.Now(), Exited: true, ExitCode: 1},
	}}); err != nil {
		t.Fatal(err)
	}
	res, err := tw.StartSession(context.Background(), "myproject/joe", "", "overseer")
	if err != nil || !res.Hosted {
		t.Fatalf("start = %+v, %v", res, err)
	}
	reqs := h.requests()
	// Nothing pinned: the host resolves the runtime when it starts it.
	if len(reqs) != 1 || reqs[0] != (HostRequest{Op: OpStart, Agent: "myproject/crew/joe"}) {
		t.Fatalf("host requests = %+v", reqs)
	}
}

func TestRestartWithoutHost(t *testing.T) {
	tw := orchTown(t)
	_, err := tw.RestartSession(context.Background(), "myproject/nux", "")
	if err == nil || err.Error() != "no gt host running: myproject/polecats/nux starts when you run gt" {
		t.Fatalf("restart without host: %v", err)
	}
}
