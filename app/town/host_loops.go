package town

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// stateLoop computes §9 states every second, writes agent_state events on
// change, drains queued nudges into quiet panes and keeps sessions.json
// current.
func (h *Host) stateLoop(ctx context.Context) {
	tick := time.NewTicker(StateInterval)
	defer tick.Stop()
	states := map[string]models.AgentState{}
	for {
		h.updateStates(states)
		h.writeSessions(false)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// updateStates recomputes every agent's state; prev holds the last state
// seen per agent (the first sighting of an agent is recorded silently).
func (h *Host) updateStates(prev map[string]models.AgentState) {
	defer h.recoverPanic("states")
	now := h.now()
	h.mu.Lock()
	snap := h.snap
	entries := make([]*hostEntry, 0, len(h.agents))
	for _, e := range h.agents {
		entries = append(entries, e)
	}
	h.mu.Unlock()
	th := snap.thresholds
	type result struct {
		e   *hostEntry
		res AgentStateResult
	}
	results := make([]result, 0, len(entries))
	for _, e := range entries {
		key := e.addr.String()
		hooked := snap.hooked[key]
		sig := AgentSignals{Hooked: len(hooked) > 0, HasSession: true, LastAudit: snap.activity[key], Since: e.startedAt}
		if len(hooked) > 0 && hooked[0].UpdatedAt.After(sig.Since) {
			sig.Since = hooked[0].UpdatedAt
		}
		h.mu.Lock()
		exited, exit, failedAt := e.exited, e.exit, e.nudgeFailedAt
		h.mu.Unlock()
		reason := ""
		if exited {
			sig.Exited, sig.ExitCode = true, exit.Code
		} else if e.sess != nil {
			act := e.sess.Activity()
			sig.LastOutput = act.LastOutput
			failed := !failedAt.IsZero() && !act.LastOutput.After(failedAt)
			sig.Notified = act.NotifiedSinceInput()
			w, why := e.sess.Waiting(e.rt.ReadyPrompt, sig.Hooked, th.WaitingQuiet)
			sig.HostWaiting = w || failed
			reason = why
			if failed && !w {
				reason = "nudge was not submitted"
			}
		}
		res := ComputeAgentState(sig, th, now)
		if res.State == models.StateWaiting && reason != "" {
			res.Reason = reason
		}
		results = append(results, result{e, res})
	}
	changed := false
	seen := map[string]bool{}
	h.mu.Lock()
	for _, r := range results {
		r.e.state, r.e.stateKnown = r.res, true
	}
	var events []map[string]string
	record := func(key string, res AgentStateResult) {
		seen[key] = true
		old, ok := prev[key]
		prev[key] = res.State
		if ok && old != res.State {
			changed = true
			events = append(events, map[string]string{"agent": key, "from": old.String(), "to": res.State.String(), "reason": res.Reason})
		}
	}
	for _, r := range results {
		record(r.e.addr.String(), r.res)
	}
	for _, a := range append(append([]models.Address{models.MayorAddress}, snap.known...), desiredAddrs(snap.desired)...) {
		key := a.String()
		if seen[key] || h.agents[key] != nil {
			continue
		}
		v := h.agentViewLocked(a, now)
		record(key, AgentStateResult{State: v.State, Reason: v.Reason})
	}
	live := h.liveEntriesLocked()
	h.mu.Unlock()
	for k := range prev {
		if !seen[k] {
			delete(prev, k)
		}
	}
	for _, ev := range events {
		_ = eventlog.Emit(h.town.Root, eventlog.SourceHost, "agent_state", ev["agent"], ev, models.VisibilityBoth)
	}
	if changed {
		h.updates.post(HostUpdate{Kind: UpdateState})
	}
	h.drainQuietQueues(live, now)
}

func desiredAddrs(ds []desiredAgent) []models.Address {
	out := make([]models.Address, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Addr)
	}
	return out
}

// sessionRecords describes every session for sessions.json and status.
func (h *Host) sessionRecords() []SessionRecord {
	h.mu.Lock()
	entries := make([]*hostEntry, 0, len(h.agents))
	for _, e := range h.agents {
		entries = append(entries, e)
	}
	h.mu.Unlock()
	out := make([]SessionRecord, 0, len(entries))
	for _, e := range entries {
		r := SessionRecord{Agent: e.addr.String(), Runtime: e.alias, StartedAt: e.startedAt.UTC()}
		h.mu.Lock()
		r.Exited, r.ExitCode = e.exited, e.exit.Code
		if e.state.State == models.StateWaiting && !e.exited {
			r.Waiting, r.WaitingReason = true, e.state.Reason
		}
		h.mu.Unlock()
		if !r.Exited {
			r.ExitCode = 0
		}
		if e.sess != nil {
			r.PID = e.sess.Pid()
			act := e.sess.Activity()
			if !act.LastOutput.IsZero() {
				t := act.LastOutput.UTC()
				r.LastOutputAt = &t
			}
			if !act.LastInput.IsZero() {
				t := act.LastInput.UTC()
				r.LastInputAt = &t
			}
			r.Cols, r.Rows = e.sess.Size()
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent < out[j].Agent })
	return out
}

// writeSessions rewrites sessions.json atomically when it changed (at most
// once a second), and every SessionsHeartbeat so readers keep trusting it.
func (h *Host) writeSessions(force bool) {
	defer h.recoverPanic("sessions.json")
	recs := h.sessionRecords()
	now := h.now()
	h.mu.Lock()
	same := reflect.DeepEqual(recs, h.lastFile.Sessions)
	since := now.Sub(h.lastSave)
	h.mu.Unlock()
	if !force && (since < time.Second || (same && since < SessionsHeartbeat)) {
		return
	}
	f := SessionsFile{HostPID: h.pid, UpdatedAt: now.UTC(), Sessions: recs}
	if err := WriteSessions(h.town.Root, f); err != nil {
		h.log.Warn("write sessions.json", "err", err)
		return
	}
	h.mu.Lock()
	h.lastFile, h.lastSave = f, now
	h.mu.Unlock()
}

// refineryLoop works every rig's merge queue on every poke and every 30 s.
func (h *Host) refineryLoop(ctx context.Context) {
	tick := time.NewTicker(RefineryInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-h.refineryCh:
		}
		h.refineryPass(ctx)
	}
}

func (h *Host) refineryPass(ctx context.Context) {
	defer h.recoverPanic("refinery")
	rigs, err := h.town.RigNames()
	if err != nil {
		h.log.Warn("refinery: list rigs", "err", err)
		return
	}
	merged := false
	for _, rig := range rigs {
		if ctx.Err() != nil {
			return
		}
		outs, err := RefineryPass(ctx, h.town, rig)
		if err != nil && ctx.Err() == nil {
			h.log.Warn("refinery pass", "rig", rig, "err", err)
			h.updates.post(HostUpdate{Kind: UpdateNotice, Text: fmt.Sprintf("✗ refinery %s: %s", rig, oneLineText(err.Error()))})
		}
		for _, o := range outs {
			h.log.Info("refinery", "rig", rig, "mr", o.MR, "result", o.Result, "reason", o.Reason)
			merged = true
			switch o.Result {
			case MergeMerged, MergeRequeued:
			default:
				// Failures need a human: tell the UI (R10).
				h.updates.post(HostUpdate{Kind: UpdateNotice, Agent: o.Worker,
					Text: fmt.Sprintf("✗ merge of %s (%s) failed: %s", o.Bead, o.MR, oneLineText(o.Reason))})
			}
		}
	}
	if merged {
		// Merges close beads and land convoys: reconcile now.
		select {
		case h.pokeCh <- struct{}{}:
		default:
		}
	}
}

// exportLoop exports issues.jsonl about a second after the last change
// (spec §4.7); commands skip their own export while a host runs.
func (h *Host) exportLoop(ctx context.Context) {
	tick := time.NewTicker(ExportDelay)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := h.store.ExportDirty(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("export issues.jsonl", "err", err)
		}
	}
}

// autocommitLoop commits the tracked state files every
// git.autocommit_interval (spec §11).
func (h *Host) autocommitLoop(ctx context.Context) {
	for {
		every := DefaultAutocommitEvery
		if st, err := h.town.Settings(); err == nil {
			every = st.AutocommitInterval()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		if err := h.autocommit(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("autocommit", "err", err)
		}
	}
}

// AutocommitMessage is the message of the host's state commits.
const AutocommitMessage = "gt: sync state"

// autocommit commits the tracked state files (issues.jsonl, mayor/*.json,
// settings/, <rig>/config.json, <rig>/settings/) when the town is a git
// repository, git.autocommit is on and they changed. No other path is ever
// staged and nothing is pushed.
func (h *Host) autocommit(ctx context.Context) error {
	t := h.town
	st, err := t.Settings()
	if err != nil {
		return err
	}
	if !st.Autocommit() {
		return nil
	}
	if _, err := os.Stat(t.Path(".git")); err != nil {
		return nil
	}
	paths := StatePaths(t)
	if len(paths) == 0 {
		return nil
	}
	if _, err := git(ctx, t.Root, append([]string{"add", "-A", "--"}, paths...)...); err != nil {
		return err
	}
	_, err = git(ctx, t.Root, append([]string{"diff", "--cached", "--quiet", "--"}, paths...)...)
	var ge *GitError
	if err == nil {
		return nil // nothing changed
	}
	if !errors.As(err, &ge) {
		return err
	}
	ov, oerr := t.Overseer()
	if oerr != nil || ov == nil {
		ov = &Overseer{}
	}
	args := identityArgs(ctx, t.Root, ov, append([]string{"commit", "--quiet", "--no-verify", "-m", AutocommitMessage, "--"}, paths...)...)
	if _, err := git(ctx, t.Root, args...); err != nil {
		return err
	}
	h.log.Info("autocommit", "paths", len(paths))
	return nil
}

// StatePaths lists the tracked state files of spec §11 that exist,
// relative to the town root.
func StatePaths(t *Town) []string {
	var out []string
	add := func(rel string) {
		if _, err := os.Lstat(t.Path(rel)); err == nil {
			out = append(out, rel)
		}
	}
	add(filepath.Join(".beads", "issues.jsonl"))
	if m, err := filepath.Glob(t.Path("mayor", "*.json")); err == nil {
		sort.Strings(m)
		for _, p := range m {
			rel, _ := filepath.Rel(t.Root, p)
			add(rel)
		}
	}
	add("settings")
	if rigs, err := t.RigNames(); err == nil {
		for _, r := range rigs {
			add(filepath.Join(r, "config.json"))
			add(filepath.Join(r, "settings"))
		}
	}
	return out
}

// status answers the status op.
func (h *Host) status() HostStatus {
	return HostStatus{PID: h.pid, Headless: h.opts.Headless, Sessions: h.sessionRecords()}
}
