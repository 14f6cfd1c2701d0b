package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// orchTown is a town with one rig (myproj, prefix mp) whose origin is a
// local bare repository with one commit. Every gt/bd call runs the real
// binary with a private HOME.
type orchTown struct {
	t      *testing.T
	base   string // temp dir holding everything
	home   string
	root   string // the town
	origin string // the bare "user" repository
}

const orchRig = "myproj"

func newOrchTown(t *testing.T) *orchTown {
	t.Helper()
	base := t.TempDir()
	if r, err := filepath.EvalSymlinks(base); err == nil {
		base = r
	}
	o := &orchTown{t: t, base: base, home: filepath.Join(base, "home"), root: filepath.Join(base, "town"), origin: filepath.Join(base, "origin.git")}
	if err := os.MkdirAll(o.home, 0o755); err != nil {
		t.Fatal(err)
	}
	o.git(base, "init", "--quiet", "--bare", "-b", "main", o.origin)
	seed := filepath.Join(base, "seed")
	o.git(base, "clone", "--quiet", o.origin, seed)
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte("# myproj\nshared line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.git(seed, "add", "README.md")
	o.git(seed, "commit", "--quiet", "-m", "initial commit")
	o.git(seed, "push", "--quiet", "origin", "main")
	o.gtOK(base, "install", o.root)
	o.gtOK(o.root, "rig", "add", orchRig, o.origin, "--prefix", "mp")
	return o
}

// env is the base environment of every process of the test.
func (o *orchTown) env() []string {
	return []string{"HOME=" + o.home, "USER=tester", "GIT_CONFIG_NOSYSTEM=1", "XDG_CONFIG_HOME=" + filepath.Join(o.home, ".config"),
		"GIT_AUTHOR_NAME=Tester", "GIT_AUTHOR_EMAIL=tester@example.com", "GIT_COMMITTER_NAME=Tester", "GIT_COMMITTER_EMAIL=tester@example.com"}
}

// git runs git with argv in dir (test setup and checks).
func (o *orchTown) git(dir string, args ...string) string {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), binTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), o.env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		o.t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (o *orchTown) run(dir string, env []string, args ...string) (string, string, int) {
	o.t.Helper()
	return runBin(o.t, dir, append(o.env(), env...), args...)
}

func (o *orchTown) gtOK(dir string, args ...string) string {
	o.t.Helper()
	out, errOut, code := o.run(dir, nil, append([]string{"gt"}, args...)...)
	if code != 0 {
		o.t.Fatalf("gt %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// gtFail runs gt, expects exit 1 with one `Error: want…` line.
func (o *orchTown) gtFail(dir string, env []string, want string, args ...string) {
	o.t.Helper()
	out, errOut, code := o.run(dir, env, append([]string{"gt"}, args...)...)
	if code != 1 {
		o.t.Fatalf("gt %s: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	if got := strings.TrimSpace(errOut); got != "Error: "+want {
		o.t.Fatalf("gt %s: stderr %q, want %q", strings.Join(args, " "), got, "Error: "+want)
	}
}

// create makes a bead in the rig and returns its ID.
func (o *orchTown) create(title, desc string) string {
	o.t.Helper()
	out, errOut, code := o.run(o.root, nil, "bd", "create", "--rig", orchRig, "--silent", "--title", title, "-d", desc)
	if code != 0 {
		o.t.Fatalf("bd create: %d %s", code, errOut)
	}
	return strings.TrimSpace(out)
}

// store opens the town's beads store for checks.
func (o *orchTown) withStore(fn func(s *beads.Store)) {
	o.t.Helper()
	s, err := beads.Open(context.Background(), filepath.Join(o.root, ".beads", "beads.db"))
	if err != nil {
		o.t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

func (o *orchTown) bead(id string) *models.Bead {
	o.t.Helper()
	var b *models.Bead
	o.withStore(func(s *beads.Store) {
		var err error
		if b, err = s.Get(context.Background(), id); err != nil {
			o.t.Fatal(err)
		}
	})
	return b
}

// agentEnv is the pane environment of addr (§5.2), from the env builder.
func (o *orchTown) agentEnv(addr models.Address, branch string) []string {
	return town.AgentEnv(town.AgentEnvOptions{
		TownRoot: o.root, Address: addr, Alias: "demo", Branch: branch,
		Base: append(cleanEnv(), o.env()...),
	})
}

// playPolecat acts as the agent hooked with id: gt prime, gt hook, a real
// commit of file, gt done (all in its worktree with its environment).
func (o *orchTown) playPolecat(id, file, content string) models.Address {
	o.t.Helper()
	b := o.bead(id)
	addr, err := models.ParseAddress(b.Assignee)
	if err != nil || addr.Role != models.RolePolecat || b.Status != models.StatusHooked {
		o.t.Fatalf("%s: assignee %q status %s, want a hooked polecat", id, b.Assignee, b.Status)
	}
	wt := filepath.Join(o.root, addr.Rig, "polecats", addr.Name, addr.Rig)
	branch := o.git(wt, "symbolic-ref", "--short", "HEAD")
	if got, ok := town.PolecatBranchBead(branch); !ok || got != id {
		o.t.Fatalf("worktree branch %q does not name %s", branch, id)
	}
	env := o.agentEnv(addr, branch)
	prime, errOut, code := runBin(o.t, wt, env, "gt", "prime")
	if code != 0 {
		o.t.Fatalf("gt prime: %d %s", code, errOut)
	}
	for _, want := range []string{"[GAS TOWN] role:" + addr.String() + " pid:", "# Polecat context", "## Hooked work", "ID:     " + id,
		"## Formula checklist: mol-polecat-work", "1. [ ] Load context for " + id, "When every step is done, run gt done."} {
		if !strings.Contains(prime, want) {
			o.t.Fatalf("gt prime lacks %q:\n%s", want, prime)
		}
	}
	hook, _, code := runBin(o.t, wt, env, "gt", "hook")
	if code != 0 || !strings.Contains(hook, "🪝 Hook: "+addr.String()) || !strings.Contains(hook, "  "+id+"  ") ||
		!strings.Contains(hook, "Formula: mol-polecat-work (5 steps)") {
		o.t.Fatalf("gt hook:\n%s", hook)
	}
	if err := os.WriteFile(filepath.Join(wt, file), []byte(content), 0o644); err != nil {
		o.t.Fatal(err)
	}
	o.git(wt, "add", file)
	o.git(wt, "commit", "--quiet", "-m", id+": change "+file)
	done, errOut, code := runBin(o.t, wt, env, "gt", "done")
	if code != 0 {
		o.t.Fatalf("gt done: %d %s", code, errOut)
	}
	want := "✓ Work submitted: " + id + " (mr)\nPolecat " + addr.Name + " is now idle.\n"
	if done != want {
		o.t.Fatalf("gt done printed %q, want %q", done, want)
	}
	return addr
}

// TestOrchestrationEndToEnd is acceptance 1: beads, a convoy, sling, the
// agent contract played in each worktree, the refinery, and landing.
func TestOrchestrationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	rs := `{"type":"rig-settings","version":1,"merge_queue":{"test_command":"test -f README.md"}}`
	if err := os.WriteFile(filepath.Join(o.root, orchRig, "settings", "config.json"), []byte(rs), 0o644); err != nil {
		t.Fatal(err)
	}
	ids := []string{o.create("Add alpha", "alpha file"), o.create("Add beta", "beta file"), o.create("Add gamma", "gamma file")}
	out := o.gtOK(o.root, append([]string{"convoy", "create", "Release train"}, ids...)...)
	i := strings.Index(out, "✓ Created convoy 🚚 ")
	if i < 0 {
		t.Fatalf("gt convoy create:\n%s", out)
	}
	convoy := strings.Fields(out[i:])[4]
	if !strings.HasPrefix(convoy, "hq-cv-") {
		t.Fatalf("convoy id %q", convoy)
	}
	names := []string{"furiosa", "nux", "slit"}
	for i, id := range ids {
		out := o.gtOK(o.root, "sling", id, orchRig)
		addr := "myproj/polecats/" + names[i]
		want := "🎯 Sling " + id + " → " + addr + "\n✓ Formula attached: mol-polecat-work\n🪝 Hooked " + id + " to " + addr +
			" (status=hooked)\n⏸ No gt host running: the work is hooked and starts when you run gt in " + o.root + "\n"
		if out != want {
			t.Fatalf("sling output:\n%s\nwant:\n%s", out, want)
		}
		a := town.BeadAttachment(o.bead(id))
		if a.Formula != "mol-polecat-work" || a.Vars["issue"] != id || a.Vars["base_branch"] != "main" || a.ConvoyID != convoy ||
			a.DispatchedBy != "overseer" || a.AttachedAt == nil || a.Vars["test_command"] != "test -f README.md" {
			t.Fatalf("attachment of %s: %+v", id, a)
		}
		ab := o.bead("mp-myproj-polecat-" + names[i])
		if ab.AgentState != models.AgentBeadSpawning || ab.HookBead != id || ab.IssueType != models.TypeAgent {
			t.Fatalf("agent bead %+v", ab)
		}
	}
	// Re-slinging is a no-op (R2).
	if out := o.gtOK(o.root, "sling", ids[0], orchRig); out != ids[0]+" is already hooked to myproj/polecats/furiosa\n" {
		t.Fatalf("re-sling: %q", out)
	}
	for i, id := range ids {
		o.playPolecat(id, names[i]+".txt", "work of "+names[i]+"\n")
		b := o.bead(id)
		if b.Status != models.StatusInProgress || b.Assignee != "myproj/refinery" {
			t.Fatalf("%s after done: %s %s", id, b.Status, b.Assignee)
		}
		if !strings.HasPrefix(b.Comments[len(b.Comments)-1].Text, "MR created: mp-") {
			t.Fatalf("comment %q", b.Comments[len(b.Comments)-1].Text)
		}
		if ab := o.bead("mp-myproj-polecat-" + names[i]); ab.HookBead != "" || ab.AgentState != models.AgentBeadDone {
			t.Fatalf("agent bead after done: %q %q", ab.HookBead, ab.AgentState)
		}
	}
	// gt done again (a re-run after a crash) submits nothing new (R2).
	furiosa := models.Address{Role: models.RolePolecat, Rig: orchRig, Name: "furiosa"}
	wt0 := filepath.Join(o.root, orchRig, "polecats", "furiosa", orchRig)
	again, errOut, code := runBin(t, wt0, o.agentEnv(furiosa, ""), "gt", "done")
	if code != 0 || again != "✓ Work submitted: "+ids[0]+" (mr)\nPolecat furiosa is now idle.\n" {
		t.Fatalf("second gt done: %d %q %s", code, again, errOut)
	}
	list := o.gtOK(o.root, "refinery", "list", orchRig, "--json")
	var queue []town.MergeRequest
	if err := json.Unmarshal([]byte(list), &queue); err != nil || len(queue) != 3 {
		t.Fatalf("queue %v: %s", err, list)
	}
	for _, m := range queue {
		mr := o.bead(m.ID)
		if mr.IssueType != models.TypeMergeRequest || mr.Title != "Merge: "+m.SourceIssue || !strings.Contains(mr.Description, "branch: "+m.Branch) ||
			len(mr.Labels) != 1 || mr.Labels[0] != town.MergeRequestLabel || m.Target != "main" || m.Rig != orchRig {
			t.Fatalf("MR %+v / %+v", m, mr)
		}
	}
	run := o.gtOK(o.root, "refinery", "run", orchRig)
	if n := strings.Count(run, "✓ Merged "); n != 3 {
		t.Fatalf("refinery run:\n%s", run)
	}
	logOut := o.git(o.base, "--git-dir", o.origin, "log", "--format=%s|%an|%ae", "main")
	for i, id := range ids {
		b := o.bead(id)
		if !strings.Contains(logOut, b.Title+" ("+id+")|"+names[i]+"|"+names[i]+"@gastown.local") {
			t.Fatalf("origin main lacks the merge of %s:\n%s", id, logOut)
		}
		if b.Status != models.StatusClosed || !strings.HasPrefix(b.CloseReason, "Merged in mp-") {
			t.Fatalf("%s: %s %q", id, b.Status, b.CloseReason)
		}
		files := o.git(o.base, "--git-dir", o.origin, "ls-tree", "--name-only", "main")
		if !strings.Contains(files, names[i]+".txt") {
			t.Fatalf("origin main lacks %s.txt: %s", names[i], files)
		}
		if _, err := os.Stat(filepath.Join(o.root, orchRig, "mayor", "rig", names[i]+".txt")); err != nil {
			t.Fatalf("the Mayor's view lacks the merge: %v", err)
		}
	}
	for _, m := range queue {
		if mr := o.bead(m.ID); mr.Status != models.StatusClosed || mr.CloseReason != "merged" {
			t.Fatalf("MR %s: %s %q", m.ID, mr.Status, mr.CloseReason)
		}
		if out := o.git(o.base, "--git-dir", filepath.Join(o.root, orchRig, ".repo.git"), "branch", "--list", m.Branch); out != "" {
			t.Fatalf("merged branch %s not deleted", m.Branch)
		}
	}
	if c := o.bead(convoy); c.Status != models.StatusClosed || c.CloseReason != beads.ConvoyCompletionReason {
		t.Fatalf("convoy %s: %s %q", convoy, c.Status, c.CloseReason)
	}
	landed := false
	o.withStore(func(s *beads.Store) {
		msgs, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeMessage}, IncludeClosed: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Title == "🚚 Convoy landed: Release train" && m.Assignee == "overseer" {
				landed = true
			}
		}
	})
	if !landed {
		t.Fatal("no landed mail to the convoy owner")
	}
	evs := orchEventTypes(t, o.root)
	for _, want := range []string{"sling", "spawn", "done", "merge_started", "merged", "convoy_closed"} {
		if evs[want] == 0 {
			t.Fatalf("no %s event: %v", want, evs)
		}
	}
	// The next polecat starts from the merged default branch: an idle
	// polecat is reused, in pool order.
	next := o.create("Add delta", "")
	if out := o.gtOK(o.root, "sling", next, orchRig, "--no-convoy"); !strings.Contains(out, "→ myproj/polecats/furiosa\n") {
		t.Fatalf("idle polecat not reused:\n%s", out)
	}
	wt := filepath.Join(o.root, orchRig, "polecats", "furiosa", orchRig)
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(wt, n+".txt")); err != nil {
			t.Fatalf("new work does not start from the merged main: %v", err)
		}
	}
	// gt done with nothing to merge closes the bead (No code changes).
	done, _, code := runBin(t, wt, o.agentEnv(models.Address{Role: models.RolePolecat, Rig: orchRig, Name: "furiosa"}, ""), "gt", "done")
	if code != 0 || !strings.Contains(done, "Polecat furiosa is now idle.") {
		t.Fatalf("gt done: %d %s", code, done)
	}
	if b := o.bead(next); b.Status != models.StatusClosed || b.CloseReason != "No code changes" {
		t.Fatalf("%s: %s %q", next, b.Status, b.CloseReason)
	}
}

// orchEventTypes counts the town's events by type.
func orchEventTypes(t *testing.T, root string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev struct {
			Type string `json:"type"`
		}
		if json.Unmarshal([]byte(l), &ev) == nil {
			out[ev.Type]++
		}
	}
	return out
}

// TestOrchestrationConflictAndGate is acceptance 2: a conflicting change
// and a failing gate each close the MR, reopen the bead with the exact
// comment, and keep the polecat's commit on its branch.
func TestOrchestrationConflictAndGate(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	a := o.create("Edit readme one way", "")
	b := o.create("Edit readme another way", "")
	o.gtOK(o.root, "sling", a, b, orchRig)
	o.playPolecat(a, "README.md", "# myproj\nline from A\n")
	o.playPolecat(b, "README.md", "# myproj\nline from B\n")
	mrB := ""
	for _, c := range o.bead(b).Comments {
		if id, ok := strings.CutPrefix(c.Text, "MR created: "); ok {
			mrB = id
		}
	}
	run := o.gtOK(o.root, "refinery", "run")
	if !strings.Contains(run, "✓ Merged ") || !strings.Contains(run, "✗ "+mrB+" ("+b+"): conflict") {
		t.Fatalf("refinery run:\n%s", run)
	}
	mr := o.bead(mrB)
	if mr.Status != models.StatusClosed || mr.CloseReason != "conflict" {
		t.Fatalf("MR: %s %q", mr.Status, mr.CloseReason)
	}
	bb := o.bead(b)
	if bb.Status != models.StatusOpen || bb.Assignee != "" ||
		bb.Comments[len(bb.Comments)-1].Text != "Merge conflict with main in: README.md. Re-sling to retry." {
		t.Fatalf("bead after conflict: %s %q %+v", bb.Status, bb.Assignee, bb.Comments)
	}
	mrMeta := orchMRMeta(t, mr)
	repo := filepath.Join(o.root, orchRig, ".repo.git")
	if msg := o.git(o.base, "--git-dir", repo, "log", "-1", "--format=%s", mrMeta.Branch); msg != b+": change README.md" {
		t.Fatalf("polecat branch lost its commit: %q", msg)
	}
	if fails := orchEventTypes(t, o.root)["merge_failed"]; fails != 1 {
		t.Fatalf("merge_failed events: %d", fails)
	}

	// A failing gate.
	rs := `{"merge_queue":{"test_command":"echo gate output one; echo gate output two; exit 3"}}`
	if err := os.WriteFile(filepath.Join(o.root, orchRig, "settings", "config.json"), []byte(rs), 0o644); err != nil {
		t.Fatal(err)
	}
	c := o.create("Gate breaker", "")
	o.gtOK(o.root, "sling", c, orchRig)
	o.playPolecat(c, "gate.txt", "x\n")
	run = o.gtOK(o.root, "refinery", "run", orchRig)
	reason := "gate failed: echo gate output one; echo gate output two; exit 3 (exit 3)"
	if !strings.Contains(run, "✗ ") || !strings.Contains(run, reason) {
		t.Fatalf("refinery run:\n%s", run)
	}
	cb := o.bead(c)
	if cb.Status != models.StatusOpen || cb.Assignee != "" || cb.Comments[len(cb.Comments)-1].Text != "gate output one\ngate output two" {
		t.Fatalf("bead after gate failure: %s %q %+v", cb.Status, cb.Assignee, cb.Comments)
	}
	var gateMR *models.Bead
	o.withStore(func(s *beads.Store) {
		list, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeMergeRequest}, IncludeClosed: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range list {
			if orchMRMeta(t, &list[i]).SourceIssue == c {
				gateMR = &list[i]
			}
		}
	})
	if gateMR == nil || gateMR.CloseReason != reason {
		t.Fatalf("gate MR: %+v", gateMR)
	}
	m := orchMRMeta(t, gateMR)
	if msg := o.git(o.base, "--git-dir", repo, "log", "-1", "--format=%s", m.Branch); msg != c+": change gate.txt" {
		t.Fatalf("polecat branch lost its commit: %q", msg)
	}
	logData, err := os.ReadFile(filepath.Join(o.root, orchRig, ".runtime", "refinery", gateMR.ID+".log"))
	if err != nil || !strings.Contains(string(logData), "gate output two") {
		t.Fatalf("gate log: %v %s", err, logData)
	}
	// The origin only has A's change.
	if got := o.git(o.base, "--git-dir", o.origin, "show", "main:README.md"); got != "# myproj\nline from A" {
		t.Fatalf("origin README: %q", got)
	}
}

func orchMRMeta(t *testing.T, b *models.Bead) town.MRMeta {
	t.Helper()
	var m struct {
		GT town.MRMeta `json:"gt"`
	}
	if err := json.Unmarshal(b.Metadata, &m); err != nil {
		t.Fatalf("MR metadata: %v", err)
	}
	return m.GT
}

// TestOrchestrationConcurrentSling is acceptance 3: 20 concurrent gt sling
// processes of 10 beads to one rig hook each bead exactly once, and no two
// polecats share a name or worktree.
func TestOrchestrationConcurrentSling(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	var ids []string
	for i := range 10 {
		ids = append(ids, o.create(fmt.Sprintf("Task %d", i), ""))
	}
	var wg sync.WaitGroup
	type result struct {
		out, errOut string
		code        int
	}
	results := make([]result, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code := o.run(o.root, nil, "gt", "sling", ids[i%10], orchRig)
			results[i] = result{out, errOut, code}
		}()
	}
	wg.Wait()
	hookedLines := 0
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("sling %d: exit %d: %s", i, r.code, r.errOut)
		}
		hookedLines += strings.Count(r.out, "🪝 Hooked ")
	}
	if hookedLines != 10 {
		t.Fatalf("%d Hooked lines, want 10", hookedLines)
	}
	owners := map[string]string{}
	for _, id := range ids {
		b := o.bead(id)
		if b.Status != models.StatusHooked || !strings.HasPrefix(b.Assignee, "myproj/polecats/") {
			t.Fatalf("%s: %s %q", id, b.Status, b.Assignee)
		}
		if prev, dup := owners[b.Assignee]; dup {
			t.Fatalf("%s and %s share polecat %s", prev, id, b.Assignee)
		}
		owners[b.Assignee] = id
		addr, _ := models.ParseAddress(b.Assignee)
		wt := filepath.Join(o.root, orchRig, "polecats", addr.Name, orchRig)
		branch := o.git(wt, "symbolic-ref", "--short", "HEAD")
		if got, _ := town.PolecatBranchBead(branch); got != id {
			t.Fatalf("worktree of %s is on %s", b.Assignee, branch)
		}
	}
	wts := o.git(o.base, "--git-dir", filepath.Join(o.root, orchRig, ".repo.git"), "worktree", "list", "--porcelain")
	if n := strings.Count(wts, "worktree "+filepath.Join(o.root, orchRig, "polecats")); n != 10 {
		t.Fatalf("%d polecat worktrees, want 10:\n%s", n, wts)
	}
	if evs := orchEventTypes(t, o.root); evs["sling"] != 10 || evs["spawn"] != 10 {
		t.Fatalf("events %v", evs)
	}
	// Each bead is tracked by exactly one convoy.
	o.withStore(func(s *beads.Store) {
		for _, id := range ids {
			deps, err := s.Dependents(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, d := range deps {
				if d.Type == models.DepTracks {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s tracked by %d convoys", id, n)
			}
		}
	})
}

// TestOrchestrationHostileText is acceptance 4: bead text with $(…),
// backticks, ; and newlines never reaches a shell through sling, prime,
// done and the refinery commit.
func TestOrchestrationHostileText(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	title := "Hostile $(touch pwned_title) `touch pwned_tick`; touch pwned_semi\nsecond line $(touch pwned_nl)"
	desc := "$(touch pwned_desc)\n`touch pwned_desc2`; touch pwned_desc3 && touch pwned_desc4 | touch pwned_desc5"
	id := o.create(title, desc)
	o.gtOK(o.root, "sling", id, orchRig, "--args", "$(touch pwned_args); `touch pwned_args2`")
	o.playPolecat(id, "hostile.txt", "$(touch pwned_file)\n")
	o.gtOK(o.root, "refinery", "run")
	subject := o.git(o.base, "--git-dir", o.origin, "log", "-1", "--format=%B", "main")
	if !strings.Contains(subject, "$(touch pwned_title)") || !strings.Contains(subject, "`touch pwned_tick`") {
		t.Fatalf("commit message mangled: %q", subject)
	}
	if b := o.bead(id); b.Status != models.StatusClosed {
		t.Fatalf("%s: %s", id, b.Status)
	}
	cwd, _ := os.Getwd()
	for _, dir := range []string{o.base, cwd} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), "pwned") {
				t.Errorf("a shell ran bead text: %s exists", p)
			}
			return nil
		})
	}
}

// orchSnapshot captures everything a refused command must not change: the
// database rows, the JSONL, the events and the rig's directories.
func (o *orchTown) snapshot() string {
	o.t.Helper()
	var b strings.Builder
	o.withStore(func(s *beads.Store) {
		list, err := s.List(context.Background(), beads.Filter{IncludeClosed: true, Sort: "id"})
		if err != nil {
			o.t.Fatal(err)
		}
		for _, x := range list {
			full, err := s.Get(context.Background(), x.ID)
			if err != nil {
				o.t.Fatal(err)
			}
			j, _ := json.Marshal(full)
			b.Write(j)
			b.WriteByte('\n')
		}
	})
	for _, f := range []string{".beads/issues.jsonl", ".events.jsonl"} {
		data, _ := os.ReadFile(filepath.Join(o.root, f))
		b.WriteString(f + "\n" + string(data))
	}
	var paths []string
	for _, d := range []string{filepath.Join(orchRig, "polecats"), filepath.Join(orchRig, ".runtime")} {
		_ = filepath.WalkDir(filepath.Join(o.root, d), func(p string, _ fs.DirEntry, err error) error {
			if err == nil {
				paths = append(paths, p)
			}
			return nil
		})
	}
	sort.Strings(paths)
	b.WriteString(strings.Join(paths, "\n"))
	return b.String()
}

// TestOrchestrationGuards is acceptance 5: refused slings print one clear
// error, exit 1 and change nothing.
func TestOrchestrationGuards(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	closed := o.create("Already done", "")
	if _, errOut, code := o.run(o.root, nil, "bd", "close", closed); code != 0 {
		t.Fatal(errOut)
	}
	hooked := o.create("Crew work", "")
	o.gtOK(o.root, "sling", hooked, "mayor", "--force")
	free := o.create("Free work", "")
	other := ""
	{
		out, errOut, code := o.run(o.root, nil, "bd", "create", "--silent", "Town level", "--prefix", "hq")
		if code != 0 {
			t.Fatal(errOut)
		}
		other = strings.TrimSpace(out)
	}
	polecatEnv := []string{"BD_ACTOR=myproj/polecats/furiosa"}
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"closed", nil, []string{"sling", closed, orchRig}, closed + " is closed (reopen it with bd reopen)"},
		{"hooked elsewhere", nil, []string{"sling", hooked, orchRig}, hooked + " is hooked to mayor (use --force to re-sling)"},
		{"from a polecat", polecatEnv, []string{"sling", free, orchRig}, "a polecat cannot sling work (finish with gt done)"},
		{"unknown rig", nil, []string{"sling", free, "nosuchrig"}, `unknown target "nosuchrig" (expected <rig>, <rig>/<name> or mayor)`},
		{"unknown crew", nil, []string{"sling", free, "myproj/crew/bob"}, `unknown target "myproj/crew/bob" (expected <rig>, <rig>/<name> or mayor)`},
		{"unknown agent", nil, []string{"sling", free, orchRig, "--agent", "nosuch"}, `unknown agent "nosuch" (see gt config agent list)`},
		{"unknown bead", nil, []string{"sling", "mp-zzzzz", orchRig}, `no issue found matching "mp-zzzzz"`},
		{"no target", nil, []string{"sling", free}, "no target: run inside an agent or name one"},
		{"bad merge", nil, []string{"sling", free, orchRig, "--merge", "yolo"}, `invalid --merge "yolo" (expected mr, direct or local)`},
		{"bad var", nil, []string{"sling", free, orchRig, "--var", "novalue"}, `invalid --var "novalue" (expected key=value)`},
		{"unknown formula", nil, []string{"sling", free, orchRig, "--formula", "nosuchformula"}, ""},
		{"done outside a polecat", nil, []string{"done"}, "gt done is for polecats (use bd close <id>)"},
		{"mixed batch", nil, []string{"sling", free, closed, orchRig}, closed + " is closed (reopen it with bd reopen)"},
	}
	_ = other
	for _, c := range cases {
		before := o.snapshot()
		if c.want == "" {
			_, errOut, code := o.run(o.root, c.env, append([]string{"gt"}, c.args...)...)
			if code != 1 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "Error: ") {
				t.Fatalf("%s: exit %d stderr %q", c.name, code, errOut)
			}
		} else {
			o.gtFail(o.root, c.env, c.want, c.args...)
		}
		if after := o.snapshot(); after != before {
			t.Fatalf("%s changed state", c.name)
		}
	}
	// --dry-run changes nothing either, and says what would happen.
	before := o.snapshot()
	out := o.gtOK(o.root, "sling", free, orchRig, "--dry-run")
	for _, want := range []string{"Would create convoy \"Work: Free work\" tracking " + free, "Would create polecat myproj/polecats/furiosa",
		"Would create branch polecat/furiosa/" + free + "@", "Would use worktree " + filepath.Join(o.root, orchRig, "polecats", "furiosa", orchRig),
		"Would attach formula mol-polecat-work", "Would hook " + free + " to myproj/polecats/furiosa (status=hooked)"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dry run lacks %q:\n%s", want, out)
		}
	}
	if after := o.snapshot(); after != before {
		t.Fatal("--dry-run changed state")
	}
	// The hooked bead moves with --force, and the town-level bead may go to
	// any rig.
	o.gtOK(o.root, "sling", hooked, orchRig, "--force", "--no-convoy")
	if b := o.bead(hooked); b.Assignee != "myproj/polecats/furiosa" {
		t.Fatalf("forced re-sling: %q", b.Assignee)
	}
	o.gtOK(o.root, "sling", other, orchRig, "--no-convoy")
}

// TestOrchestrationHookCLI drives gt hook (attach, show, --json, clear) and
// gt prime --json through the binary.
func TestOrchestrationHookCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	id := o.create("Mayor's errand", "line one\nline two")
	if out := o.gtOK(o.root, "hook", id, "mayor"); out != "🎯 Sling "+id+" → mayor\n🪝 Hooked "+id+" to mayor (status=hooked)\n" {
		t.Fatalf("gt hook <bead> mayor: %q", out)
	}
	if out := o.gtOK(o.root, "hook", "show", "mayor"); out != "mayor: "+id+" 'Mayor's errand' [hooked]\n" {
		t.Fatalf("gt hook show: %q", out)
	}
	mayorEnv := []string{"BD_ACTOR=mayor"}
	out, _, code := o.run(o.root, mayorEnv, "gt", "hook", "--json")
	var hj struct {
		Address string `json:"address"`
		Hooked  []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"hooked"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &hj) != nil || hj.Address != "mayor" || len(hj.Hooked) != 1 || hj.Hooked[0].ID != id {
		t.Fatalf("gt hook --json: %d %s", code, out)
	}
	out, _, code = o.run(filepath.Join(o.root, "mayor"), nil, "gt", "prime", "--json")
	var pj struct {
		Address  string `json:"address"`
		Role     string `json:"role"`
		TownRoot string `json:"town_root"`
		Hooked   *struct {
			ID          string `json:"id"`
			Description string `json:"description"`
		} `json:"hooked"`
		Formula    *struct{} `json:"formula"`
		MailUnread int       `json:"mail_unread"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &pj) != nil || pj.Address != "mayor" || pj.Role != "mayor" || pj.TownRoot != o.root ||
		pj.Hooked == nil || pj.Hooked.ID != id || pj.Hooked.Description != "line one\nline two" || pj.Formula != nil {
		t.Fatalf("gt prime --json (role from cwd): %d %s", code, out)
	}
	if out := o.gtOK(o.root, "hook", "clear", "--actor", "mayor"); out != "✓ Unhooked "+id+" (status=open)\n" {
		t.Fatalf("gt hook clear: %q", out)
	}
	if out := o.gtOK(o.root, "hook", "show", "mayor"); out != "mayor: (empty)\n" {
		t.Fatalf("gt hook show after clear: %q", out)
	}
	out, _, _ = o.run(o.root, mayorEnv, "gt", "hook")
	if out != "Hook is empty: nothing slung to mayor\n" {
		t.Fatalf("empty hook: %q", out)
	}
	if evs := orchEventTypes(t, o.root); evs["hook"] != 1 || evs["unhook"] != 1 {
		t.Fatalf("events %v", evs)
	}
	// A polecat directory left by a killed sling is taken over (R2).
	partial := filepath.Join(o.root, orchRig, "polecats", "furiosa", orchRig)
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, "half.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	again := o.create("After a crash", "")
	if out := o.gtOK(o.root, "sling", again, orchRig); !strings.Contains(out, "→ myproj/polecats/furiosa\n") {
		t.Fatalf("sling after crash:\n%s", out)
	}
	if br := o.git(partial, "symbolic-ref", "--short", "HEAD"); !strings.HasPrefix(br, "polecat/furiosa/"+again+"@") {
		t.Fatalf("worktree branch %q", br)
	}
	if _, err := os.Stat(filepath.Join(partial, "half.txt")); err == nil {
		t.Fatal("partial directory kept its junk")
	}
}

// TestOrchestrationSlingKilled is R2 for gt sling: a sling killed at any
// moment and run again hooks the bead exactly once, with one convoy, on a
// working polecat worktree.
func TestOrchestrationSlingKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	bin := filepath.Join(binDir(t), "gt")
	for i, delay := range []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 30 * time.Millisecond, 60 * time.Millisecond} {
		id := o.create(fmt.Sprintf("Killed sling %d", i), "")
		cmd := exec.Command(bin, "sling", id, orchRig)
		cmd.Dir = o.root
		cmd.Env = append(cleanEnv(), o.env()...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out := o.gtOK(o.root, "sling", id, orchRig)
		if !strings.Contains(out, "🪝 Hooked "+id) && !strings.Contains(out, id+" is already hooked to ") {
			t.Fatalf("re-run %d:\n%s", i, out)
		}
		b := o.bead(id)
		if b.Status != models.StatusHooked || !strings.HasPrefix(b.Assignee, "myproj/polecats/") {
			t.Fatalf("%s: %s %q", id, b.Status, b.Assignee)
		}
		addr, _ := models.ParseAddress(b.Assignee)
		wt := filepath.Join(o.root, orchRig, "polecats", addr.Name, orchRig)
		if br := o.git(wt, "symbolic-ref", "--short", "HEAD"); !strings.HasPrefix(br, "polecat/"+addr.Name+"/"+id+"@") {
			t.Fatalf("%s worktree on %q", b.Assignee, br)
		}
		o.withStore(func(s *beads.Store) {
			deps, err := s.Dependents(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, d := range deps {
				if d.Type == models.DepTracks {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%s tracked by %d convoys", id, n)
			}
		})
		// Free the polecat for the next round so names are reused.
		o.gtOK(o.root, "hook", "clear", id)
	}
	if ps := o.git(o.base, "--git-dir", filepath.Join(o.root, orchRig, ".repo.git"), "worktree", "list"); strings.Count(ps, "/polecats/") > 2 {
		t.Fatalf("killed slings left extra polecats:\n%s", ps)
	}
}

// TestOrchestrationDoneKilled is R2 for gt done: killed at any moment and
// run again, it leaves exactly one MR and the bead with the refinery.
func TestOrchestrationDoneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	o := newOrchTown(t)
	bin := filepath.Join(binDir(t), "gt")
	for i, delay := range []time.Duration{0, 5 * time.Millisecond, 15 * time.Millisecond, 30 * time.Millisecond, 60 * time.Millisecond} {
		id := o.create(fmt.Sprintf("Killed done %d", i), "")
		o.gtOK(o.root, "sling", id, orchRig, "--no-convoy")
		addr, _ := models.ParseAddress(o.bead(id).Assignee)
		wt := filepath.Join(o.root, orchRig, "polecats", addr.Name, orchRig)
		if err := os.WriteFile(filepath.Join(wt, fmt.Sprintf("f%d.txt", i)), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env := o.agentEnv(addr, "")
		cmd := exec.Command(bin, "done")
		cmd.Dir = wt
		cmd.Env = append(cleanEnv(), env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out, errOut, code := runBin(t, wt, env, "gt", "done")
		if code != 0 || out != "✓ Work submitted: "+id+" (mr)\nPolecat "+addr.Name+" is now idle.\n" {
			t.Fatalf("re-run %d: %d %q %s", i, code, out, errOut)
		}
		b := o.bead(id)
		if b.Status != models.StatusInProgress || b.Assignee != "myproj/refinery" {
			t.Fatalf("%s: %s %q", id, b.Status, b.Assignee)
		}
		mrs := 0
		o.withStore(func(s *beads.Store) {
			list, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeMergeRequest}, IncludeClosed: true})
			if err != nil {
				t.Fatal(err)
			}
			for i := range list {
				if orchMRMeta(t, &list[i]).SourceIssue == id {
					mrs++
				}
			}
		})
		if mrs != 1 {
			t.Fatalf("%s has %d MRs", id, mrs)
		}
		if msg := o.git(wt, "log", "-1", "--format=%s"); msg != id+": final changes (gt done)" {
			t.Fatalf("stray commit %q", msg)
		}
	}
	run := o.gtOK(o.root, "refinery", "run")
	if strings.Count(run, "✓ Merged ") != 5 {
		t.Fatalf("refinery:\n%s", run)
	}
}
