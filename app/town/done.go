package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// ErrNotPolecat is gt done's refusal for anyone but a polecat (spec §5.8).
var ErrNotPolecat = errors.New("gt done is for polecats (use bd close <id>)")

// gt done exit statuses (spec §5.8).
const (
	DoneCompleted = "COMPLETED"
	DoneEscalated = "ESCALATED"
	DoneDeferred  = "DEFERRED"
)

// Merge strategies (spec §5.8).
const (
	StrategyMR     = "mr"
	StrategyDirect = "direct"
	StrategyLocal  = "local"
)

// EscalatedLabel marks a bead a polecat escalated.
const EscalatedLabel = "gt:escalated"

// DoneOptions are the inputs of gt done.
type DoneOptions struct {
	// Actor is the caller's identity; it must be a polecat address.
	Actor string
	// Status is COMPLETED (default), ESCALATED or DEFERRED.
	Status string
	// Issue is --issue (default: the hooked bead, else the branch's bead).
	Issue string
	// Message is -m (the escalation mail body).
	Message string
	// Out receives the output lines (nil: discarded).
	Out io.Writer
}

// DoneResult is what gt done did.
type DoneResult struct {
	Bead     string `json:"bead"`
	Status   string `json:"status"`
	Strategy string `json:"strategy,omitempty"`
	Branch   string `json:"branch,omitempty"`
	MR       string `json:"mr,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Mail     string `json:"mail,omitempty"`
	Polecat  string `json:"polecat"`
	// Closed is set when the bead was closed (no changes, direct, local).
	Closed bool `json:"closed,omitempty"`
	// Next is the bead still on the polecat's hook, if any, and the fresh
	// branch its worktree moved to.
	Next       string `json:"next,omitempty"`
	NextBranch string `json:"next_branch,omitempty"`
}

// doneCtx is what gt done knows about the polecat and its work.
type doneCtx struct {
	addr     models.Address
	prefix   string
	def      string
	worktree string
	branch   string
	bead     *models.Bead
}

// Done submits a polecat's work (spec §5.8). It is idempotent: a re-run
// after a crash finds the MR or the closed bead and completes the rest.
func (t *Town) Done(ctx context.Context, o DoneOptions) (*DoneResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	addr := t.actorAddress(o.Actor)
	if addr.Role != models.RolePolecat {
		return nil, ErrNotPolecat
	}
	o.Actor = addr.String()
	status := strings.ToUpper(strings.TrimSpace(o.Status))
	if status == "" {
		status = DoneCompleted
	}
	switch status {
	case DoneCompleted, DoneEscalated, DoneDeferred:
	default:
		return nil, fmt.Errorf("invalid --status %q (expected COMPLETED, ESCALATED or DEFERRED)", o.Status)
	}
	prefix, err := t.RigPrefix(addr.Rig)
	if err != nil {
		return nil, err
	}
	d := &doneCtx{addr: addr, prefix: prefix, def: t.RigDefaultBranch(addr.Rig), worktree: t.Workdir(addr)}
	if _, err := os.Stat(filepath.Join(d.worktree, ".git")); err != nil {
		return nil, fmt.Errorf("polecat worktree %s not found", d.worktree)
	}
	if b, err := git(ctx, d.worktree, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		d.branch = b
	}
	res := &DoneResult{Status: status, Polecat: addr.Name}
	err = t.withStoreExport(ctx, func(s *beads.Store) error {
		if err := t.findDoneBead(ctx, s, d, o.Issue); err != nil {
			return err
		}
		res.Bead, res.Branch = d.bead.ID, d.branch
		if d.bead.Assignee != "" && d.bead.Assignee != addr.String() && d.bead.Assignee != RefineryActor(addr.Rig) &&
			(d.bead.Status == models.StatusHooked || d.bead.Status == models.StatusInProgress) {
			return fmt.Errorf("%s is hooked to %s, not to you", d.bead.ID, d.bead.Assignee)
		}
		// Whatever the status, uncommitted work is committed first so that
		// nothing is lost when the host resets the worktree.
		if d.bead.Status != models.StatusClosed {
			if err := t.commitStray(ctx, d); err != nil {
				return err
			}
		}
		switch status {
		case DoneEscalated:
			return t.doneEscalate(ctx, s, d, o, res)
		case DoneDeferred:
			return t.doneDefer(ctx, s, d, o, res)
		}
		return t.doneComplete(ctx, s, d, o, res)
	})
	if err != nil {
		return nil, err
	}
	payload := map[string]string{"bead": res.Bead, "branch": res.Branch, "exit": status}
	if res.MR != "" {
		payload["mr"] = res.MR
	}
	if err := eventlog.Emit(t.Root, eventlog.SourceGT, "done", o.Actor, payload, models.VisibilityBoth); err != nil {
		return nil, err
	}
	next, err := t.nextHookedWork(ctx, d, o.Actor)
	if err != nil {
		return nil, err
	}
	_ = pokeHost(ctx, t)
	switch status {
	case DoneEscalated:
		fmt.Fprintf(out, "⚠ Escalated %s to mayor (mail %s)\n", res.Bead, res.Mail)
	case DoneDeferred:
		fmt.Fprintf(out, "⏸ Deferred %s\n", res.Bead)
	default:
		fmt.Fprintf(out, "✓ Work submitted: %s (%s)\n", res.Bead, res.Strategy)
	}
	if next != nil {
		res.Next, res.NextBranch = next.bead, next.branch
		fmt.Fprintf(out, "🪝 Next on your hook: %s (branch %s). Run gt prime.\n", next.bead, next.branch)
		return res, nil
	}
	fmt.Fprintf(out, "Polecat %s is now idle.\n", addr.Name)
	return res, nil
}

// nextWork is the bead a polecat moves on to after gt done.
type nextWork struct{ bead, branch string }

// nextHookedWork handles a polecat that had several beads slung to it: when
// work is still on its hook after gt done, the worktree moves to a fresh
// branch for the next bead (from the default branch, so the finished
// branch stays as submitted) and the agent bead points at it. It returns
// nil when the polecat is idle.
func (t *Town) nextHookedWork(ctx context.Context, d *doneCtx, actor string) (*nextWork, error) {
	unlock, err := lockFile(ctx, t.RigLockPath(d.addr.Rig, namepoolLockName))
	if err != nil {
		return nil, err
	}
	defer unlock()
	var next *nextWork
	err = t.withStoreExport(ctx, func(s *beads.Store) error {
		hooked, err := hookedTo(ctx, s, d.addr.String())
		if err != nil || len(hooked) == 0 {
			return err
		}
		b := hooked[0]
		if cur, err := git(ctx, d.worktree, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
			if id, ok := PolecatBranchBead(cur); ok && id == b.ID {
				next = &nextWork{bead: b.ID, branch: cur} // already on it
			}
		}
		if next == nil {
			base, err := t.worktreeBase(ctx, d.addr.Rig)
			if err != nil {
				return err
			}
			branch := PolecatBranch(d.addr.Name, b.ID, time.Now())
			if _, err := git(ctx, d.worktree, "checkout", "--quiet", "-b", branch, base); err != nil {
				return fmt.Errorf("move to the next bead %s: %w", b.ID, err)
			}
			next = &nextWork{bead: b.ID, branch: branch}
		}
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			id := models.AgentBeadID(d.prefix, d.addr)
			ab, err := tx.Get(id)
			if errors.Is(err, beads.ErrNotFound) {
				return upsertAgentBead(tx, d.prefix, d.addr, models.AgentBeadWorking, next.bead, next.branch, d.worktree, "")
			}
			if err != nil {
				return err
			}
			var m struct {
				GT agentBeadMeta `json:"gt"`
			}
			_ = json.Unmarshal(ab.Metadata, &m)
			m.GT.Agent, m.GT.Branch, m.GT.Worktree = d.addr.String(), next.branch, d.worktree // runtime kept
			state := models.AgentBeadWorking
			if _, err := tx.Update(id, beads.Update{HookBead: &next.bead, AgentState: &state}); err != nil {
				return err
			}
			return tx.SetMetadata(id, "gt", m.GT)
		})
	})
	return next, err
}

// findDoneBead picks the issue: --issue, else the oldest hooked bead, else
// the bead named by the branch.
func (t *Town) findDoneBead(ctx context.Context, s *beads.Store, d *doneCtx, issue string) error {
	var id string
	switch {
	case issue != "":
		r, err := s.Resolve(ctx, issue)
		if err != nil {
			return err
		}
		id = r
	default:
		hooked, err := hookedTo(ctx, s, d.addr.String())
		if err != nil {
			return err
		}
		if len(hooked) > 0 {
			id = hooked[0].ID
		} else if bid, ok := PolecatBranchBead(d.branch); ok {
			r, err := s.Resolve(ctx, bid)
			if err != nil {
				return fmt.Errorf("branch %s names %s: %w", d.branch, bid, err)
			}
			id = r
		}
	}
	if id == "" {
		return fmt.Errorf("nothing on the hook of %s (use --issue <id>)", d.addr.String())
	}
	b, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	d.bead = b
	if d.branch == "" {
		// Detached HEAD: the agent bead remembers the work branch.
		if ab, err := s.Get(ctx, models.AgentBeadID(d.prefix, d.addr)); err == nil {
			var m struct {
				GT agentBeadMeta `json:"gt"`
			}
			if json.Unmarshal(ab.Metadata, &m) == nil {
				if bid, ok := PolecatBranchBead(m.GT.Branch); ok && bid == id {
					d.branch = m.GT.Branch
				}
			}
		}
		if d.branch == "" {
			d.branch = PolecatBranch(d.addr.Name, id, time.Now())
		}
	}
	return nil
}

// gitIdentity is the -c options that make a polecat the committer.
func gitIdentity(name string) []string {
	return []string{"-c", "user.name=" + name, "-c", "user.email=" + name + "@gastown.local", "-c", "commit.gpgsign=false"}
}

// commitStray commits uncommitted changes as `<id>: final changes (gt
// done)` and makes sure the work branch ref points at HEAD (the worktree's
// repository is the rig's .repo.git, so the branch is then "pushed").
func (t *Town) commitStray(ctx context.Context, d *doneCtx) error {
	st, err := git(ctx, d.worktree, "status", "--porcelain")
	if err != nil {
		return err
	}
	if strings.TrimSpace(st) != "" {
		if _, err := git(ctx, d.worktree, "add", "-A"); err != nil {
			return err
		}
		// A killed earlier run may have committed already while the index
		// still looked dirty: only commit what is really staged.
		if _, err := git(ctx, d.worktree, "diff", "--cached", "--quiet"); err != nil {
			args := append(gitIdentity(d.addr.Name), "commit", "--quiet", "--no-verify", "-m", d.bead.ID+": final changes (gt done)")
			if _, err := git(ctx, d.worktree, args...); err != nil {
				return err
			}
		}
	}
	if cur, err := git(ctx, d.worktree, "symbolic-ref", "--quiet", "--short", "HEAD"); err != nil || cur != d.branch {
		if _, err := git(ctx, d.worktree, "branch", "--force", "--", d.branch, "HEAD"); err != nil {
			return err
		}
	}
	return nil
}

// commitsAhead counts the work branch's commits that the default branch
// (local or origin's) does not have.
func (t *Town) commitsAhead(ctx context.Context, d *doneCtx) (int, error) {
	args := []string{"rev-list", "--count", "refs/heads/" + d.branch, "--not", "refs/heads/" + d.def}
	remote := "refs/remotes/origin/" + d.def
	if _, err := git(ctx, d.worktree, "rev-parse", "--verify", "--quiet", remote+"^{commit}"); err == nil {
		args = append(args, remote)
	}
	out, err := git(ctx, d.worktree, args...)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// mergeStrategy picks the strategy: the attachment, the convoy, the rig,
// else mr.
func (t *Town) mergeStrategy(ctx context.Context, s *beads.Store, d *doneCtx) (string, error) {
	a := BeadAttachment(d.bead)
	if a.MergeStrategy != "" {
		return a.MergeStrategy, nil
	}
	cv := a.ConvoyID
	if cv == "" {
		var err error
		if cv, err = openConvoyOf(ctx, s, d.bead.ID); err != nil {
			return "", err
		}
	}
	if cv != "" {
		if c, err := s.Get(ctx, cv); err == nil {
			var m struct {
				Merge string `json:"merge"`
			}
			if raw, err := json.Marshal(gtMeta(c)); err == nil && json.Unmarshal(raw, &m) == nil && m.Merge != "" {
				return m.Merge, nil
			}
		}
	}
	rs, err := t.RigSettings(d.addr.Rig)
	if err != nil {
		return "", err
	}
	return rs.MergeStrategy(), nil
}

// finishAgent clears the polecat's hook and marks it done.
func finishAgent(tx *beads.Tx, d *doneCtx) error {
	id := models.AgentBeadID(d.prefix, d.addr)
	if _, err := tx.Get(id); errors.Is(err, beads.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	none, state := "", models.AgentBeadDone
	_, err := tx.Update(id, beads.Update{HookBead: &none, AgentState: &state})
	return err
}

// openMRFor finds an open MR whose source is beadID (idempotent re-runs).
func openMRFor(tx *beads.Tx, beadID string) (string, error) {
	list, err := tx.List(beads.Filter{
		Types:  []models.IssueType{models.TypeMergeRequest},
		Status: []models.Status{models.StatusOpen, models.StatusInProgress},
	})
	if err != nil {
		return "", err
	}
	for i := range list {
		if mrMetaOf(&list[i]).SourceIssue == beadID {
			return list[i].ID, nil
		}
	}
	return "", nil
}

// doneComplete is gt done --status COMPLETED.
func (t *Town) doneComplete(ctx context.Context, s *beads.Store, d *doneCtx, o DoneOptions, res *DoneResult) error {
	b := d.bead
	if b.Status == models.StatusClosed {
		// A re-run after the close: only the agent bead may be left.
		res.Strategy, res.Closed = "already closed: "+b.CloseReason, true
		return s.Write(ctx, o.Actor, func(tx *beads.Tx) error { return finishAgent(tx, d) })
	}
	ahead, err := t.commitsAhead(ctx, d)
	if err != nil {
		return err
	}
	if ahead == 0 {
		res.Strategy, res.Closed = "no code changes", true
		return t.closeDone(ctx, s, d, o.Actor, "No code changes")
	}
	strategy, err := t.mergeStrategy(ctx, s, d)
	if err != nil {
		return err
	}
	res.Strategy = strategy
	if c, err := git(ctx, d.worktree, "rev-parse", "refs/heads/"+d.branch); err == nil {
		res.Commit = c
	}
	switch strategy {
	case StrategyLocal:
		res.Closed = true
		return t.closeDone(ctx, s, d, o.Actor, "Completed on branch "+d.branch)
	case StrategyDirect:
		commit, err := t.mergeDirect(ctx, d)
		if err != nil {
			return err
		}
		res.Commit, res.Closed = commit, true
		return t.closeDone(ctx, s, d, o.Actor, "Merged directly")
	case StrategyMR:
	default:
		return fmt.Errorf("unknown merge strategy %q (expected mr, direct or local)", strategy)
	}
	meta := MRMeta{
		Branch: d.branch, Target: d.def, SourceIssue: b.ID, Rig: d.addr.Rig,
		CommitSHA: res.Commit, Worker: d.addr.String(),
	}
	return s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
		mrID, err := openMRFor(tx, b.ID)
		if err != nil {
			return err
		}
		if mrID == "" {
			mr, err := tx.Create(&models.Bead{
				Title:       "Merge: " + b.ID,
				Description: meta.description(),
				IssueType:   models.TypeMergeRequest,
				Priority:    b.Priority,
				Labels:      []string{MergeRequestLabel},
			}, beads.CreateOpts{Prefix: d.prefix})
			if err != nil {
				return err
			}
			if err := tx.SetMetadata(mr.ID, "gt", meta); err != nil {
				return err
			}
			mrID = mr.ID
			if _, err := tx.AddComment(b.ID, o.Actor, "MR created: "+mrID); err != nil {
				return err
			}
		} else if cur, err := tx.Get(mrID); err == nil {
			// Re-run with new commits: the MR follows the branch head.
			m := mrMetaOf(cur)
			if m.CommitSHA != meta.CommitSHA || m.Branch != meta.Branch {
				m.CommitSHA, m.Branch = meta.CommitSHA, meta.Branch
				if err := writeMRMeta(tx, cur, m); err != nil {
					return err
				}
			}
		}
		res.MR = mrID
		st, who := models.StatusInProgress, RefineryActor(d.addr.Rig)
		if _, err := tx.Update(b.ID, beads.Update{Status: &st, Assignee: &who}); err != nil {
			return err
		}
		return finishAgent(tx, d)
	})
}

// closeDone closes the bead with reason and finishes the agent in one
// transaction, then runs the after-close step (landed convoys).
func (t *Town) closeDone(ctx context.Context, s *beads.Store, d *doneCtx, actor, reason string) error {
	var cr beads.CloseResult
	err := s.Write(ctx, actor, func(tx *beads.Tx) error {
		var err error
		if cr, err = closeIfOpen(tx, d.bead.ID, reason); err != nil {
			return err
		}
		return finishAgent(tx, d)
	})
	if err != nil {
		return err
	}
	return afterClose(ctx, t, cr, actor)
}

// mergeDirect squash-merges the work branch into the default branch now,
// without gates (strategy direct), under the refinery lock.
func (t *Town) mergeDirect(ctx context.Context, d *doneCtx) (string, error) {
	unlock, err := lockFile(ctx, t.RigLockPath(d.addr.Rig, refineryLockName))
	if err != nil {
		return "", err
	}
	defer unlock()
	rs, err := t.RigSettings(d.addr.Rig)
	if err != nil {
		return "", err
	}
	j := &mergeJob{
		rig: d.addr.Rig, def: d.def, label: d.bead.ID, branch: d.branch, worker: d.addr.Name,
		subject: d.bead.Title + " (" + d.bead.ID + ")", push: rs.Push(),
	}
	r := t.runMerge(ctx, j)
	switch r.kind {
	case "merged", "nothing":
		return r.commit, nil
	case "conflict":
		return "", fmt.Errorf("direct merge failed: conflict with %s in: %s", d.def, strings.Join(r.files, ", "))
	case "missing":
		return "", fmt.Errorf("direct merge failed: branch %s missing", d.branch)
	case "diverged":
		return "", errors.New("direct merge failed: default branch diverged from origin")
	default:
		return "", fmt.Errorf("direct merge failed: %w", r.err)
	}
}

// doneEscalate is gt done --status ESCALATED: the bead is blocked and
// labelled, and the Mayor gets mail.
func (t *Town) doneEscalate(ctx context.Context, s *beads.Store, d *doneCtx, o DoneOptions, res *DoneResult) error {
	subject := "Escalation: " + d.bead.ID
	body := o.Message
	if strings.TrimSpace(body) == "" {
		body = fmt.Sprintf("%s escalated %s without a message.", d.addr.String(), d.bead.ID)
	}
	var mail *models.Bead
	err := s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
		st := models.StatusBlocked
		if _, err := tx.Update(d.bead.ID, beads.Update{Status: &st, AddLabels: []string{EscalatedLabel}}); err != nil {
			return err
		}
		m, err := createMail(tx, o.Actor, models.MayorAddress.String(), subject, body)
		if err != nil {
			return err
		}
		mail = m
		res.Mail = m.ID
		return finishAgent(tx, d)
	})
	if err != nil {
		return err
	}
	t.afterMail(ctx, MessageFromBead(*mail))
	return nil
}

// doneDefer is gt done --status DEFERRED: the bead is deferred and leaves
// the hook.
func (t *Town) doneDefer(ctx context.Context, s *beads.Store, d *doneCtx, o DoneOptions, _ *DoneResult) error {
	return s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
		st, none := models.StatusDeferred, ""
		if _, err := tx.Update(d.bead.ID, beads.Update{Status: &st, Assignee: &none}); err != nil {
			return err
		}
		return finishAgent(tx, d)
	})
}

// createMail writes the escalation mail (spec §6.5 message bead) inside
// tx, so the escalation is one transaction with the bead change.
func createMail(tx *beads.Tx, from, to, subject, body string) (*models.Bead, error) {
	addr, err := models.ParseAddress(to)
	if err != nil {
		return nil, err
	}
	return createMessage(tx, addr, MailSendOptions{
		To: to, Subject: subject, Body: body, From: from, Priority: models.DefaultPriority, Type: MailTypeNotify,
	})
}
