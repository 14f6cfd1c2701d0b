package town

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// MergeRequestLabel labels every MR bead (spec §5.8).
const MergeRequestLabel = "gt:merge-request"

// maxPushFailures is how many failed pushes fail an MR (spec §5.10).
const maxPushFailures = 3

// pushTimeout bounds a push to origin (a hung push counts as a failure).
const pushTimeout = 2 * time.Minute

// gateTailLines is how much gate output a failed gate leaves as a comment.
const gateTailLines = 20

// MRMeta is metadata.gt of a merge-request bead (spec §5.8).
type MRMeta struct {
	Branch      string `json:"branch"`
	Target      string `json:"target"`
	SourceIssue string `json:"source_issue"`
	Rig         string `json:"rig"`
	CommitSHA   string `json:"commit_sha"`
	Worker      string `json:"worker"`
	RetryCount  int    `json:"retry_count"`
}

// description repeats the metadata as `key: value` lines.
func (m MRMeta) description() string {
	return strings.Join([]string{
		"branch: " + m.Branch,
		"target: " + m.Target,
		"source_issue: " + m.SourceIssue,
		"rig: " + m.Rig,
		"commit_sha: " + m.CommitSHA,
		"worker: " + m.Worker,
		"retry_count: " + strconv.Itoa(m.RetryCount),
	}, "\n")
}

// mrMetaOf reads an MR bead's metadata.gt.
func mrMetaOf(b *models.Bead) MRMeta {
	var m MRMeta
	if raw, err := json.Marshal(gtMeta(b)); err == nil {
		_ = json.Unmarshal(raw, &m)
	}
	return m
}

// MergeRequest is one queued MR, as gt refinery list shows it.
type MergeRequest struct {
	ID          string    `json:"id"`
	Rig         string    `json:"rig"`
	SourceIssue string    `json:"source_issue"`
	Branch      string    `json:"branch"`
	Target      string    `json:"target"`
	Worker      string    `json:"worker"`
	Priority    int       `json:"priority"`
	Status      string    `json:"status"`
	RetryCount  int       `json:"retry_count"`
	CreatedAt   time.Time `json:"created_at"`
}

// mergeQueue lists a rig's open MRs by priority then age.
func (t *Town) mergeQueue(ctx context.Context, s *beads.Store, rig string) ([]MergeRequest, error) {
	list, err := s.List(ctx, beads.Filter{
		Types:  []models.IssueType{models.TypeMergeRequest},
		Status: []models.Status{models.StatusOpen, models.StatusInProgress},
		Sort:   "priority",
	})
	if err != nil {
		return nil, err
	}
	out := []MergeRequest{}
	for i := range list {
		b := &list[i]
		m := mrMetaOf(b)
		if m.Rig != rig {
			continue
		}
		out = append(out, MergeRequest{
			ID: b.ID, Rig: m.Rig, SourceIssue: m.SourceIssue, Branch: m.Branch, Target: m.Target, Worker: m.Worker,
			Priority: b.Priority, Status: string(b.Status), RetryCount: m.RetryCount, CreatedAt: b.CreatedAt,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	return out, nil
}

// MergeQueue lists the open MRs of a rig, by priority then age.
func (t *Town) MergeQueue(ctx context.Context, rig string) ([]MergeRequest, error) {
	if _, err := t.RigPrefix(rig); err != nil {
		return nil, err
	}
	var out []MergeRequest
	err := t.withReadStore(ctx, func(s *beads.Store) error {
		var err error
		out, err = t.mergeQueue(ctx, s, rig)
		return err
	})
	return out, err
}

// Merge outcomes (MergeOutcome.Result).
const (
	MergeMerged        = "merged"
	MergeConflict      = "conflict"
	MergeGateFailed    = "gate_failed"
	MergeBranchMissing = "branch_missing"
	MergePushFailed    = "push_failed"
	MergeRequeued      = "requeued"
	MergeFailed        = "failed"
)

// MergeOutcome is what the refinery did with one MR.
type MergeOutcome struct {
	MR     string `json:"mr"`
	Bead   string `json:"bead"`
	Branch string `json:"branch"`
	Worker string `json:"worker"`
	// Result is one of the Merge* constants.
	Result string `json:"result"`
	// Reason is the MR's close reason, or why it stays queued.
	Reason string `json:"reason,omitempty"`
	Commit string `json:"commit,omitempty"`
	// Warnings are problems that did not stop the merge (fetch failed…).
	Warnings []string `json:"warnings,omitempty"`
}

// mergeJob is one squash merge into a rig's default branch.
type mergeJob struct {
	rig, def, dir string
	label         string // log file base name (MR id, or bead id for direct)
	branch        string
	worker        string // polecat name (commit author)
	subject       string // first commit message line
	gates         []string
	gateTimeout   time.Duration
	push          bool
}

// mergeResult is the raw outcome of a mergeJob.
type mergeResult struct {
	kind     string // merged, nothing, conflict, gate, missing, diverged, push, error
	commit   string
	files    []string
	gate     string
	exit     int
	timedOut bool
	tail     string
	err      error
	warnings []string
}

// RefineryDir is <rig>/refinery/rig, the refinery's worktree.
func (t *Town) RefineryDir(rig string) string { return t.Path(rig, "refinery", "rig") }

// refineryLogPath is <rig>/.runtime/refinery/<label>.log.
func (t *Town) refineryLogPath(rig, label string) string {
	return t.Path(rig, ".runtime", "refinery", label+".log")
}

// ensureRefineryWorktree makes sure <rig>/refinery/rig is a worktree of
// .repo.git with the default branch checked out.
func (t *Town) ensureRefineryWorktree(ctx context.Context, rig, def string) (string, error) {
	dir := t.RefineryDir(rig)
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		bare := t.RepoGitDir(rig)
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("remove broken refinery worktree: %w", err)
		}
		if _, err := git(ctx, "", "--git-dir", bare, "worktree", "prune"); err != nil {
			return "", err
		}
		if _, err := git(ctx, "", "--git-dir", bare, "worktree", "add", "--quiet", dir, def); err != nil {
			return "", err
		}
	}
	// Only the refinery (under its lock) runs git here, so an index.lock
	// is left by a killed pass and would block every later one.
	if gd, err := git(ctx, dir, "rev-parse", "--absolute-git-dir"); err == nil {
		if err := os.Remove(filepath.Join(gd, "index.lock")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("remove stale index.lock: %w", err)
		}
	}
	if cur, err := git(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD"); err != nil || cur != def {
		if _, err := git(ctx, dir, "checkout", "--quiet", "--force", def); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// hasOrigin reports whether the rig's repository has an origin remote.
func hasOrigin(ctx context.Context, dir string) bool {
	out, err := git(ctx, dir, "remote")
	if err != nil {
		return false
	}
	for _, r := range strings.Fields(out) {
		if r == "origin" {
			return true
		}
	}
	return false
}

// appendLog appends text to a refinery log file.
func appendLog(path, text string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
}

// syncDefault is step 1 of a merge: fetch origin (failure logged) and
// fast-forward the local default branch when origin is ahead. It returns
// "diverged" when neither contains the other.
func (t *Town) syncDefault(ctx context.Context, j *mergeJob, res *mergeResult, logPath string) (diverged bool, err error) {
	if !hasOrigin(ctx, j.dir) {
		return false, nil
	}
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	_, ferr := git(fctx, j.dir, "fetch", "--quiet", "origin")
	cancel()
	if err := ferr; err != nil {
		w := "fetch origin failed: " + oneLine(err.Error())
		res.warnings = append(res.warnings, w)
		appendLog(logPath, w+"\n")
	}
	remote := "refs/remotes/origin/" + j.def
	if _, err := git(ctx, j.dir, "rev-parse", "--verify", "--quiet", remote+"^{commit}"); err != nil {
		return false, nil
	}
	local := "refs/heads/" + j.def
	if _, err := git(ctx, j.dir, "merge-base", "--is-ancestor", remote, local); err == nil {
		return false, nil // local has everything origin has
	}
	if _, err := git(ctx, j.dir, "merge-base", "--is-ancestor", local, remote); err != nil {
		return true, nil
	}
	if _, err := git(ctx, j.dir, "reset", "--quiet", "--hard", local); err != nil {
		return false, err
	}
	if _, err := git(ctx, j.dir, append(gitIdentity(j.worker), "merge", "--quiet", "--ff-only", remote)...); err != nil {
		return false, err
	}
	return false, nil
}

// runMerge squash-merges j.branch into the default branch in the refinery
// worktree (spec §5.10 steps 1-4). The caller holds the refinery lock.
func (t *Town) runMerge(ctx context.Context, j *mergeJob) mergeResult {
	var res mergeResult
	logPath := t.refineryLogPath(j.rig, j.label)
	fail := func(err error) mergeResult {
		res.kind, res.err = "error", err
		appendLog(logPath, "error: "+err.Error()+"\n")
		return res
	}
	dir, err := t.ensureRefineryWorktree(ctx, j.rig, j.def)
	if err != nil {
		return fail(err)
	}
	j.dir = dir
	appendLog(logPath, fmt.Sprintf("== %s merge %s into %s\n", time.Now().UTC().Format(time.RFC3339), j.branch, j.def))
	if _, err := git(ctx, dir, "reset", "--quiet", "--hard"); err != nil {
		return fail(err)
	}
	diverged, err := t.syncDefault(ctx, j, &res, logPath)
	if err != nil {
		return fail(err)
	}
	if diverged {
		res.kind = "diverged"
		return res
	}
	if _, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+j.branch+"^{commit}"); err != nil {
		res.kind = "missing"
		return res
	}
	old, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return fail(err)
	}
	reset := func() {
		_, _ = git(ctx, dir, "reset", "--quiet", "--hard", old)
		_, _ = git(ctx, dir, "clean", "-fdq")
	}
	if _, err := git(ctx, dir, "reset", "--quiet", "--hard", "refs/heads/"+j.def); err != nil {
		return fail(err)
	}
	if _, err := git(ctx, dir, "clean", "-fdq"); err != nil {
		return fail(err)
	}
	// A merge may need a committer identity (recursive merges), which the
	// machine may not have: the worker's is used, as for the commit.
	mergeArgs := append(gitIdentity(j.worker), "merge", "--squash", "--no-commit", "refs/heads/"+j.branch)
	if _, err := git(ctx, dir, mergeArgs...); err != nil {
		files, _ := git(ctx, dir, "diff", "--name-only", "--diff-filter=U")
		res.files = strings.Fields(files)
		reset()
		if len(res.files) == 0 {
			return fail(err)
		}
		res.kind = "conflict"
		appendLog(logPath, "conflict in: "+strings.Join(res.files, ", ")+"\n")
		return res
	}
	if _, err := git(ctx, dir, "diff", "--cached", "--quiet"); err == nil {
		// Nothing to commit: the branch's changes are already in (a re-run
		// after a crash between commit and close). A commit a crashed run
		// made but did not push is pushed now.
		reset()
		if j.push && hasOrigin(ctx, dir) {
			remote, _ := git(ctx, dir, "rev-parse", "--verify", "--quiet", "refs/remotes/origin/"+j.def)
			if remote != old {
				if err := pushDefault(ctx, dir, j.def); err != nil {
					res.kind, res.err = "push", err
					appendLog(logPath, "push failed: "+err.Error()+"\n")
					return res
				}
			}
		}
		res.kind, res.commit = "nothing", old
		return res
	}
	for _, g := range j.gates {
		exit, timedOut, tail := runGate(ctx, dir, g, j.gateTimeout, logPath)
		if exit != 0 || timedOut {
			reset()
			res.kind, res.gate, res.exit, res.timedOut, res.tail = "gate", g, exit, timedOut, tail
			return res
		}
	}
	msgDir := t.Path(j.rig, ".runtime", "refinery")
	if err := os.MkdirAll(msgDir, 0o755); err != nil {
		reset()
		return fail(fmt.Errorf("create %s: %w", msgDir, err))
	}
	msg := j.subject + "\n\nSquash-merged " + j.branch + " from " + j.worker + ".\n"
	msgFile := filepath.Join(msgDir, j.label+".msg")
	if err := os.WriteFile(msgFile, []byte(msg), 0o644); err != nil {
		reset()
		return fail(fmt.Errorf("write commit message: %w", err))
	}
	defer os.Remove(msgFile)
	email := j.worker + "@gastown.local"
	if _, err := git(ctx, dir, "-c", "user.name="+j.worker, "-c", "user.email="+email, "-c", "commit.gpgsign=false",
		"commit", "--quiet", "--no-verify", "-F", msgFile, "--author", j.worker+" <"+email+">"); err != nil {
		reset()
		return fail(err)
	}
	commit, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return fail(err)
	}
	if j.push && hasOrigin(ctx, dir) {
		if err := pushDefault(ctx, dir, j.def); err != nil {
			reset() // the default ref goes back to where it was
			res.kind, res.err = "push", err
			appendLog(logPath, "push failed: "+err.Error()+"\n")
			return res
		}
	}
	appendLog(logPath, "merged as "+commit+"\n")
	res.kind, res.commit = "merged", commit
	return res
}

// pushDefault pushes the local default branch to origin, bounded by
// pushTimeout.
func pushDefault(ctx context.Context, dir, def string) error {
	ref := "refs/heads/" + def
	pctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	_, err := git(pctx, dir, "push", "--quiet", "origin", ref+":"+ref)
	return err
}

// runGate runs one gate as /bin/sh -c <text> in dir (the only shell gt
// uses: the text is the rig's configuration, never bead text), with a
// timeout, its output appended to the log. It returns the exit code,
// whether it timed out, and the last lines of its output.
func runGate(ctx context.Context, dir, text string, timeout time.Duration, logPath string) (int, bool, string) {
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(gctx, "/bin/sh", "-c", text)
	cmd.Dir = dir
	cmd.Env = gateEnv(os.Environ())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The gate may have started children: end the whole group.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	appendLog(logPath, "$ "+text+"\n")
	err := cmd.Run()
	appendLog(logPath, buf.String())
	tail := lastLines(buf.String(), gateTailLines)
	if gctx.Err() == context.DeadlineExceeded {
		appendLog(logPath, fmt.Sprintf("(timed out after %s)\n", timeout))
		return 124, true, tail
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code := ee.ExitCode()
			if code < 0 {
				code = 128
			}
			appendLog(logPath, fmt.Sprintf("(exit %d)\n", code))
			return code, false, tail
		}
		appendLog(logPath, "(cannot run: "+err.Error()+")\n")
		return 127, false, tail
	}
	return 0, false, tail
}

// gateEnv is the environment of a gate: the refinery's own, minus the
// identity of whoever ran it (GT_*, BD_ACTOR), so gates never act as an
// agent.
func gateEnv(base []string) []string {
	out := make([]string, 0, len(base))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "BD_ACTOR" || strings.HasPrefix(k, "GT_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// lastLines returns the last n non-trailing lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rigGates lists the gate commands of a rig in order (spec §5.10 step 3).
func rigGates(rs *RigSettings) []string {
	var out []string
	if mq := rs.MergeQueue; mq != nil {
		for _, c := range []string{mq.BuildCommand, mq.LintCommand, mq.TestCommand} {
			if strings.TrimSpace(c) != "" {
				out = append(out, c)
			}
		}
		for _, c := range mq.Gates {
			if strings.TrimSpace(c) != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// workerName is the polecat name of a worker address.
func workerName(worker string) string {
	if i := strings.LastIndexByte(worker, '/'); i >= 0 {
		return worker[i+1:]
	}
	if worker == "" {
		return "refinery"
	}
	return worker
}

// RefineryActor is the actor of the refinery's bead changes.
func RefineryActor(rig string) string { return rig + "/refinery" }

// RefineryPass works a rig's merge queue once (spec §5.10), holding
// <rig>/.runtime/locks/refinery.lock: each MR by priority then age is
// squash-merged, gated, committed, pushed and closed, or closed as failed
// with its bead reopened. A diverged default branch stops the pass.
func RefineryPass(ctx context.Context, t *Town, rig string) ([]MergeOutcome, error) {
	if _, err := t.RigPrefix(rig); err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, t.RigLockPath(rig, refineryLockName))
	if err != nil {
		return nil, err
	}
	defer unlock()
	rs, err := t.RigSettings(rig)
	if err != nil {
		return nil, err
	}
	outcomes := []MergeOutcome{}
	err = t.withStoreExport(ctx, func(s *beads.Store) error {
		queue, err := t.mergeQueue(ctx, s, rig)
		if err != nil {
			return err
		}
		for _, mr := range queue {
			if err := ctx.Err(); err != nil {
				return err
			}
			o, stop, err := t.mergeOne(ctx, s, rs, rig, mr)
			if err != nil {
				return err
			}
			outcomes = append(outcomes, o)
			if stop {
				break
			}
		}
		return nil
	})
	for _, o := range outcomes {
		if o.Result == MergeMerged {
			t.refreshMayorRig(ctx, rig)
			break
		}
	}
	return outcomes, err
}

// refreshMayorRig fast-forwards the Mayor's read view (<rig>/mayor/rig) to
// the merged default branch of .repo.git, when it is clean and on that
// branch. Failures are ignored: it is only a view.
func (t *Town) refreshMayorRig(ctx context.Context, rig string) {
	dir := t.Path(rig, "mayor", "rig")
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return
	}
	def := t.RigDefaultBranch(rig)
	if cur, err := git(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD"); err != nil || cur != def {
		return
	}
	if st, err := git(ctx, dir, "status", "--porcelain", "--untracked-files=no"); err != nil || st != "" {
		return
	}
	if _, err := git(ctx, dir, "fetch", "--quiet", t.RepoGitDir(rig), "refs/heads/"+def); err != nil {
		return
	}
	_, _ = git(ctx, dir, "merge", "--quiet", "--ff-only", "FETCH_HEAD")
}

// mergeOne handles one MR. stop is set when the rest of the queue cannot
// merge either (diverged default branch).
func (t *Town) mergeOne(ctx context.Context, s *beads.Store, rs *RigSettings, rig string, mr MergeRequest) (MergeOutcome, bool, error) {
	actor := RefineryActor(rig)
	o := MergeOutcome{MR: mr.ID, Bead: mr.SourceIssue, Branch: mr.Branch, Worker: mr.Worker}
	def := mr.Target
	if def == "" {
		def = t.RigDefaultBranch(rig)
	}
	emit := func(typ string, extra map[string]string) error {
		p := map[string]string{"mr": mr.ID, "worker": mr.Worker, "branch": mr.Branch}
		for k, v := range extra {
			p[k] = v
		}
		return eventlog.Emit(t.Root, eventlog.SourceHost, typ, actor, p, models.VisibilityBoth)
	}
	if err := emit("merge_started", nil); err != nil {
		return o, false, err
	}
	bead, err := s.Get(ctx, mr.SourceIssue)
	if err != nil && !errors.Is(err, beads.ErrNotFound) {
		return o, false, err
	}
	subject := mr.SourceIssue
	if bead != nil {
		subject = bead.Title + " (" + bead.ID + ")"
	}
	j := &mergeJob{
		rig: rig, def: def, label: mr.ID, branch: mr.Branch, worker: workerName(mr.Worker), subject: subject,
		gates: rigGates(rs), gateTimeout: rs.GateTimeout(), push: rs.Push(),
	}
	r := t.runMerge(ctx, j)
	o.Warnings = r.warnings
	switch r.kind {
	case "merged", "nothing":
		o.Result, o.Reason, o.Commit = MergeMerged, "merged", r.commit
		var results []beads.CloseResult
		err := s.Write(ctx, actor, func(tx *beads.Tx) error {
			results = results[:0]
			if err := setMRCommit(tx, mr.ID, r.commit); err != nil {
				return err
			}
			cr, err := closeIfOpen(tx, mr.ID, "merged")
			if err != nil {
				return err
			}
			results = append(results, cr)
			if bead != nil {
				cr, err := closeIfOpen(tx, bead.ID, "Merged in "+mr.ID)
				if err != nil {
					return err
				}
				results = append(results, cr)
			}
			return nil
		})
		if err != nil {
			return o, false, err
		}
		if rs.DeleteMergedBranches() {
			if w := t.deleteBranch(ctx, rig, mr.Branch); w != "" {
				o.Warnings = append(o.Warnings, w)
			}
		}
		if err := emit("merged", map[string]string{"commit": r.commit}); err != nil {
			return o, false, err
		}
		for _, cr := range results {
			if err := afterClose(ctx, t, cr, actor); err != nil {
				return o, false, err
			}
		}
		return o, false, nil
	case "missing":
		o.Result, o.Reason = MergeBranchMissing, "branch missing"
		err := t.failMR(ctx, s, actor, mr, bead, "branch missing",
			fmt.Sprintf("Merge skipped: branch %s is missing. Re-sling to retry.", mr.Branch))
		if err != nil {
			return o, false, err
		}
		return o, false, emit("merge_skipped", map[string]string{"reason": o.Reason})
	case "conflict":
		o.Result, o.Reason = MergeConflict, "conflict"
		err := t.failMR(ctx, s, actor, mr, bead, "conflict",
			fmt.Sprintf("Merge conflict with %s in: %s. Re-sling to retry.", def, strings.Join(r.files, ", ")))
		if err != nil {
			return o, false, err
		}
		return o, false, emit("merge_failed", map[string]string{"reason": o.Reason})
	case "gate":
		o.Result = MergeGateFailed
		o.Reason = fmt.Sprintf("gate failed: %s (exit %d)", r.gate, r.exit)
		comment := r.tail
		if strings.TrimSpace(comment) == "" {
			comment = o.Reason
		}
		if err := t.failMR(ctx, s, actor, mr, bead, o.Reason, comment); err != nil {
			return o, false, err
		}
		return o, false, emit("merge_failed", map[string]string{"reason": o.Reason})
	case "push":
		retries := mr.RetryCount + 1
		reason := "push failed: " + oneLine(r.err.Error())
		if retries >= maxPushFailures {
			o.Result, o.Reason = MergePushFailed, reason
			if err := t.failMR(ctx, s, actor, mr, bead, reason, reason+". Re-sling to retry."); err != nil {
				return o, false, err
			}
			return o, false, emit("merge_failed", map[string]string{"reason": reason})
		}
		o.Result, o.Reason = MergeRequeued, fmt.Sprintf("%s (attempt %d of %d)", reason, retries, maxPushFailures)
		err := s.Write(ctx, actor, func(tx *beads.Tx) error { return setMRRetry(tx, mr.ID, retries) })
		if err != nil {
			return o, false, err
		}
		return o, false, emit("merge_failed", map[string]string{"reason": o.Reason})
	case "diverged":
		o.Result, o.Reason = MergeFailed, "default branch diverged from origin"
		return o, true, emit("merge_failed", map[string]string{"reason": o.Reason})
	default:
		o.Result, o.Reason = MergeFailed, oneLine(r.err.Error())
		return o, false, emit("merge_failed", map[string]string{"reason": o.Reason})
	}
}

// closeIfOpen closes id unless it already is (a re-run after a crash).
func closeIfOpen(tx *beads.Tx, id, reason string) (beads.CloseResult, error) {
	b, err := tx.Get(id)
	if err != nil {
		return beads.CloseResult{}, err
	}
	if b.Status.Done() {
		return beads.CloseResult{Closed: b}, nil
	}
	return tx.CloseIssue(id, reason, true)
}

// setMRCommit records the merged commit in the MR's metadata.
func setMRCommit(tx *beads.Tx, id, commit string) error {
	b, err := tx.Get(id)
	if err != nil {
		return err
	}
	m := mrMetaOf(b)
	if commit == "" || m.CommitSHA == commit {
		return nil
	}
	m.CommitSHA = commit
	return writeMRMeta(tx, b, m)
}

// setMRRetry sets retry_count of an MR.
func setMRRetry(tx *beads.Tx, id string, n int) error {
	b, err := tx.Get(id)
	if err != nil {
		return err
	}
	m := mrMetaOf(b)
	m.RetryCount = n
	return writeMRMeta(tx, b, m)
}

// writeMRMeta writes an MR's metadata.gt and its description lines.
func writeMRMeta(tx *beads.Tx, b *models.Bead, m MRMeta) error {
	d := m.description()
	if _, err := tx.Update(b.ID, beads.Update{Description: &d}); err != nil {
		return err
	}
	return tx.SetMetadata(b.ID, "gt", m)
}

// failMR closes an MR with reason and reopens its work bead (open, no
// assignee) with comment, in one transaction.
func (t *Town) failMR(ctx context.Context, s *beads.Store, actor string, mr MergeRequest, bead *models.Bead, reason, comment string) error {
	return s.Write(ctx, actor, func(tx *beads.Tx) error {
		if _, err := closeIfOpen(tx, mr.ID, reason); err != nil {
			return err
		}
		if bead == nil {
			return nil
		}
		cur, err := tx.Get(bead.ID)
		if err != nil {
			return err
		}
		if cur.Status == models.StatusClosed {
			if _, err := tx.Reopen(cur.ID); err != nil {
				return err
			}
		}
		open, none := models.StatusOpen, ""
		if _, err := tx.Update(cur.ID, beads.Update{Status: &open, Assignee: &none}); err != nil {
			return err
		}
		_, err = tx.AddComment(cur.ID, actor, comment)
		return err
	})
}

// deleteBranch deletes a merged polecat branch from .repo.git, first
// detaching the polecat worktree that still has it checked out (same
// commit, so its files do not change). It returns a warning on failure.
func (t *Town) deleteBranch(ctx context.Context, rig, branch string) string {
	bare := t.RepoGitDir(rig)
	// The namepool lock keeps a sling from switching a polecat worktree to
	// a new branch between the check and the detach below.
	unlock, err := lockFile(ctx, t.RigLockPath(rig, namepoolLockName))
	if err != nil {
		return "cannot delete branch " + branch + ": " + oneLine(err.Error())
	}
	defer unlock()
	out, err := git(ctx, "", "--git-dir", bare, "worktree", "list", "--porcelain")
	if err == nil {
		var wt string
		for _, l := range strings.Split(out, "\n") {
			if p, ok := strings.CutPrefix(l, "worktree "); ok {
				wt = p
			}
			if l != "branch refs/heads/"+branch || wt == "" {
				continue
			}
			if head, err := git(ctx, wt, "symbolic-ref", "--quiet", "HEAD"); err != nil || head != "refs/heads/"+branch {
				continue
			}
			if _, err := git(ctx, wt, "checkout", "--quiet", "--detach"); err != nil {
				return "cannot detach " + wt + ": " + oneLine(err.Error())
			}
		}
	}
	if _, err := git(ctx, "", "--git-dir", bare, "branch", "-D", "--", branch); err != nil {
		return "cannot delete branch " + branch + ": " + oneLine(err.Error())
	}
	return ""
}

// afterClose runs what follows a close that may have landed convoys: the
// convoy_closed events and the landed mail (AfterClose, convoy.go).
func afterClose(ctx context.Context, t *Town, res beads.CloseResult, actor string) error {
	return AfterClose(ctx, t, res, actor)
}
