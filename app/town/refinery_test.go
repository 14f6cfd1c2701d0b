package town

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// slingAndSubmit slings a new bead to the rig, commits file in the
// polecat's worktree and runs gt done; it returns the bead and polecat.
func (f *orchFixture) slingAndSubmit(t *testing.T, title, file, content string, o SlingOptions) (string, models.Address) {
	t.Helper()
	ctx := context.Background()
	id := f.create(t, "mp", title)
	o.Args, o.Actor = []string{id, "myproj"}, "mayor"
	res, err := f.tw.Sling(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := models.ParseAddress(res.Beads[0].Target)
	if err != nil {
		t.Fatal(err)
	}
	wt := f.tw.Workdir(addr)
	if err := os.WriteFile(filepath.Join(wt, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, wt, "add", file)
	mustGit(t, wt, "-c", "user.name=P", "-c", "user.email=p@example.com", "commit", "--quiet", "-m", id+": "+file)
	if _, err := f.tw.Done(ctx, DoneOptions{Actor: addr.String()}); err != nil {
		t.Fatal(err)
	}
	return id, addr
}

func (f *orchFixture) pass(t *testing.T) []MergeOutcome {
	t.Helper()
	outs, err := RefineryPass(context.Background(), f.tw, "myproj")
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func TestRefineryPushFailuresRequeueThenFail(t *testing.T) {
	f := newOrchFixture(t)
	hook := filepath.Join(f.origin, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho refused by test >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	id, _ := f.slingAndSubmit(t, "Push me", "p.txt", "p\n", SlingOptions{})
	repo := f.tw.RepoGitDir("myproj")
	before := mustGit(t, "", "--git-dir", repo, "rev-parse", "refs/heads/main")
	for attempt := 1; attempt <= 2; attempt++ {
		outs := f.pass(t)
		if len(outs) != 1 || outs[0].Result != MergeRequeued {
			t.Fatalf("attempt %d: %+v", attempt, outs)
		}
		if got := mustGit(t, "", "--git-dir", repo, "rev-parse", "refs/heads/main"); got != before {
			t.Fatalf("attempt %d: default ref not restored (%s → %s)", attempt, before, got)
		}
		q, err := f.tw.MergeQueue(context.Background(), "myproj")
		if err != nil || len(q) != 1 || q[0].RetryCount != attempt {
			t.Fatalf("queue after attempt %d: %+v %v", attempt, q, err)
		}
	}
	outs := f.pass(t)
	if len(outs) != 1 || outs[0].Result != MergePushFailed || !strings.HasPrefix(outs[0].Reason, "push failed: ") {
		t.Fatalf("third attempt: %+v", outs)
	}
	if b := f.get(t, id); b.Status != models.StatusOpen || b.Assignee != "" {
		t.Fatalf("bead after push failures: %s %q", b.Status, b.Assignee)
	}
	if q, _ := f.tw.MergeQueue(context.Background(), "myproj"); len(q) != 0 {
		t.Fatalf("queue not empty: %+v", q)
	}
}

func TestRefineryFastForwardsAndDiverges(t *testing.T) {
	f := newOrchFixture(t)
	seed := filepath.Join(f.base, "seed")
	// Origin moves ahead: the refinery fast-forwards, then merges.
	if err := os.WriteFile(filepath.Join(seed, "upstream.txt"), []byte("u\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, seed, "add", "upstream.txt")
	mustGit(t, seed, "-c", "user.name=U", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "upstream")
	mustGit(t, seed, "push", "--quiet", "origin", "main")
	id, _ := f.slingAndSubmit(t, "After upstream", "mine.txt", "m\n", SlingOptions{})
	outs := f.pass(t)
	if len(outs) != 1 || outs[0].Result != MergeMerged {
		t.Fatalf("%+v", outs)
	}
	files := mustGit(t, "", "--git-dir", f.origin, "ls-tree", "--name-only", "main")
	if !strings.Contains(files, "upstream.txt") || !strings.Contains(files, "mine.txt") {
		t.Fatalf("origin main: %s", files)
	}
	if b := f.get(t, id); b.Status != models.StatusClosed {
		t.Fatalf("bead %s", b.Status)
	}
	// Origin rewritten behind gt's back: diverged, the MR stays queued.
	mustGit(t, seed, "reset", "--quiet", "--hard", "HEAD~1")
	if err := os.WriteFile(filepath.Join(seed, "other.txt"), []byte("o\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, seed, "add", "other.txt")
	mustGit(t, seed, "-c", "user.name=U", "-c", "user.email=u@example.com", "commit", "--quiet", "-m", "rewrite")
	mustGit(t, seed, "push", "--quiet", "--force", "origin", "main")
	id2, _ := f.slingAndSubmit(t, "Blocked by divergence", "late.txt", "l\n", SlingOptions{})
	outs = f.pass(t)
	if len(outs) != 1 || outs[0].Result != MergeFailed || outs[0].Reason != "default branch diverged from origin" {
		t.Fatalf("%+v", outs)
	}
	if q, _ := f.tw.MergeQueue(context.Background(), "myproj"); len(q) != 1 || q[0].SourceIssue != id2 {
		t.Fatalf("queue %+v", q)
	}
}

func TestRefineryBranchMissing(t *testing.T) {
	f := newOrchFixture(t)
	id, addr := f.slingAndSubmit(t, "Lost branch", "x.txt", "x\n", SlingOptions{})
	wt := f.tw.Workdir(addr)
	branch := mustGit(t, wt, "symbolic-ref", "--short", "HEAD")
	mustGit(t, wt, "checkout", "--quiet", "--detach")
	mustGit(t, "", "--git-dir", f.tw.RepoGitDir("myproj"), "branch", "-D", branch)
	outs := f.pass(t)
	if len(outs) != 1 || outs[0].Result != MergeBranchMissing {
		t.Fatalf("%+v", outs)
	}
	mr := f.get(t, outs[0].MR)
	if mr.Status != models.StatusClosed || mr.CloseReason != "branch missing" {
		t.Fatalf("MR %s %q", mr.Status, mr.CloseReason)
	}
	if b := f.get(t, id); b.Status != models.StatusOpen {
		t.Fatalf("bead %s", b.Status)
	}
}

func TestDoneDirectStrategy(t *testing.T) {
	f := newOrchFixture(t)
	id, _ := f.slingAndSubmit(t, "Straight in", "d.txt", "d\n", SlingOptions{Merge: StrategyDirect})
	b := f.get(t, id)
	if b.Status != models.StatusClosed || b.CloseReason != "Merged directly" {
		t.Fatalf("bead %s %q", b.Status, b.CloseReason)
	}
	if msg := mustGit(t, "", "--git-dir", f.origin, "log", "-1", "--format=%s", "main"); msg != "Straight in ("+id+")" {
		t.Fatalf("origin head %q", msg)
	}
	if q, _ := f.tw.MergeQueue(context.Background(), "myproj"); len(q) != 0 {
		t.Fatalf("direct merge queued an MR: %+v", q)
	}
	// The convoy sling made for it landed.
	var landed bool
	_ = f.tw.withReadStore(context.Background(), func(s *beads.Store) error {
		list, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeConvoy}, IncludeClosed: true})
		for _, c := range list {
			landed = landed || c.Status == models.StatusClosed
		}
		return err
	})
	if !landed {
		t.Fatal("auto-convoy did not land")
	}
}

func TestRunGate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "gate.log")
	start := time.Now()
	code, timedOut, _ := runGate(context.Background(), dir, "sleep 5 & sleep 5; wait", 200*time.Millisecond, log)
	if !timedOut || code != 124 || time.Since(start) > 4*time.Second {
		t.Fatalf("timeout gate: code %d timedOut %v after %s", code, timedOut, time.Since(start))
	}
	code, timedOut, tail := runGate(context.Background(), dir, "for i in $(seq 1 30); do echo line $i; done; exit 7", time.Minute, log)
	if code != 7 || timedOut {
		t.Fatalf("exit gate: %d %v", code, timedOut)
	}
	lines := strings.Split(tail, "\n")
	if len(lines) != 20 || lines[0] != "line 11" || lines[19] != "line 30" {
		t.Fatalf("tail %q", tail)
	}
	if code, _, _ := runGate(context.Background(), dir, "true", time.Minute, log); code != 0 {
		t.Fatalf("true: %d", code)
	}
	data, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(data), "$ true\n") || !strings.Contains(string(data), "(exit 7)") {
		t.Fatalf("log %v:\n%s", err, data)
	}
}

func TestMRMetaDescriptionAndGates(t *testing.T) {
	t.Parallel()
	m := MRMeta{Branch: "polecat/a/mp-1@x", Target: "main", SourceIssue: "mp-1", Rig: "r", CommitSHA: "abc", Worker: "r/polecats/a", RetryCount: 2}
	want := "branch: polecat/a/mp-1@x\ntarget: main\nsource_issue: mp-1\nrig: r\ncommit_sha: abc\nworker: r/polecats/a\nretry_count: 2"
	if got := m.description(); got != want {
		t.Fatalf("description:\n%s", got)
	}
	rs := &RigSettings{MergeQueue: &MergeQueueSettings{BuildCommand: "make", TestCommand: "make test", Gates: []string{"", "vet"}}}
	if got := strings.Join(rigGates(rs), "|"); got != "make|make test|vet" {
		t.Fatalf("gates %q", got)
	}
	if got := rigGates(&RigSettings{}); len(got) != 0 {
		t.Fatalf("no gates: %v", got)
	}
	if workerName("r/polecats/nux") != "nux" || workerName("") != "refinery" {
		t.Fatal("workerName")
	}
}

func TestGateEnvDropsIdentity(t *testing.T) {
	t.Parallel()
	got := gateEnv([]string{"PATH=/bin", "GT_ROLE=polecat", "BD_ACTOR=x", "GT_TOWN_ROOT=/t", "HOME=/h"})
	if strings.Join(got, " ") != "PATH=/bin HOME=/h" {
		t.Fatalf("gate env %v", got)
	}
}

func TestRefineryRecoversFromKilledPass(t *testing.T) {
	f := newOrchFixture(t)
	id, _ := f.slingAndSubmit(t, "Crashed merge", "c.txt", "c\n", SlingOptions{})
	q, err := f.tw.MergeQueue(context.Background(), "myproj")
	if err != nil || len(q) != 1 {
		t.Fatalf("queue %+v %v", q, err)
	}
	// What a pass killed after its commit and before its push leaves: the
	// squash commit on the local default branch, and a stale index.lock.
	dir := f.tw.RefineryDir("myproj")
	mustGit(t, dir, "merge", "--squash", "refs/heads/"+q[0].Branch)
	mustGit(t, dir, "-c", "user.name=x", "-c", "user.email=x@example.com", "commit", "--quiet", "-m", "crashed")
	gd := mustGit(t, dir, "rev-parse", "--absolute-git-dir")
	if err := os.WriteFile(filepath.Join(gd, "index.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outs := f.pass(t)
	if len(outs) != 1 || outs[0].Result != MergeMerged {
		t.Fatalf("%+v", outs)
	}
	if got := mustGit(t, "", "--git-dir", f.origin, "log", "-1", "--format=%s", "main"); got != "crashed" {
		t.Fatalf("the unpushed commit did not reach origin: %q", got)
	}
	if b := f.get(t, id); b.Status != models.StatusClosed {
		t.Fatalf("bead %s", b.Status)
	}
}
