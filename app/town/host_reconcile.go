package town

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// desiredAgent is an agent that should have a session (spec §5.4).
type desiredAgent struct {
	Addr models.Address
	// Runtime is the alias asked for (agent_sessions row, or a sling's
	// --agent for polecats); "" resolves.
	Runtime string
	Wanted  bool
	// Hooked is the agent's current (oldest) hooked or in-progress bead.
	Hooked *models.Bead
	// Branch is the polecat's work branch.
	Branch string
}

// townSnapshot is what the host last read from the store: desired agents
// and the inputs of the §9 rules.
type townSnapshot struct {
	at         time.Time
	desired    []desiredAgent
	hooked     map[string][]models.Bead
	wanted     map[string]beads.AgentSession
	activity   map[string]time.Time
	known      []models.Address
	thresholds StateThresholds
	linger     time.Duration
}

// loadSnapshot reads desired sessions and state inputs from the store.
func (h *Host) loadSnapshot(ctx context.Context) (townSnapshot, error) {
	t, s := h.town, h.store
	snap := townSnapshot{at: h.now(), hooked: map[string][]models.Bead{}, wanted: map[string]beads.AgentSession{},
		thresholds: DefaultStateThresholds(), linger: DefaultLinger}
	if st, err := t.Settings(); err == nil {
		snap.thresholds, snap.linger = st.Thresholds(), st.PolecatLinger()
	} else {
		h.log.Warn("read town settings", "err", err)
	}
	list, err := s.List(ctx, beads.Filter{
		Status:        []models.Status{models.StatusHooked, models.StatusInProgress},
		IncludeClosed: true, Sort: "oldest",
	})
	if err != nil {
		return snap, fmt.Errorf("list hooked beads: %w", err)
	}
	for _, b := range list {
		if b.Assignee != "" {
			snap.hooked[b.Assignee] = append(snap.hooked[b.Assignee], b)
		}
	}
	rows, err := s.AgentSessions(ctx)
	if err != nil {
		return snap, err
	}
	for _, r := range rows {
		snap.wanted[r.Agent] = r
	}
	if snap.activity, err = s.LastActivity(ctx); err != nil {
		return snap, err
	}
	if snap.known, err = t.KnownAgents(ctx, s, nil); err != nil {
		return snap, err
	}
	snap.desired = h.desiredFrom(ctx, snap)
	return snap, nil
}

// desiredFrom applies the §5.4 rule to a snapshot: the Mayor if wanted or
// hooked; crew wanted or hooked (while the workspace exists); hooked
// polecats.
func (h *Host) desiredFrom(ctx context.Context, snap townSnapshot) []desiredAgent {
	var out []desiredAgent
	seen := map[string]bool{}
	consider := func(a models.Address) {
		key := a.String()
		if seen[key] {
			return
		}
		seen[key] = true
		w := snap.wanted[key]
		hooked := snap.hooked[key]
		d := desiredAgent{Addr: a, Wanted: w.Wanted, Runtime: w.Runtime}
		if len(hooked) > 0 {
			b := hooked[0]
			d.Hooked = &b
		}
		switch a.Role {
		case models.RoleMayor:
			if !d.Wanted && d.Hooked == nil {
				return
			}
		case models.RoleCrew:
			if (!d.Wanted && d.Hooked == nil) || !h.town.CrewExists(a.Rig, a.Name) {
				return
			}
		case models.RolePolecat:
			if d.Hooked == nil {
				return
			}
			d.Wanted = false
			d.Runtime, d.Branch = h.polecatMeta(ctx, a)
		default:
			return
		}
		out = append(out, d)
	}
	consider(models.MayorAddress)
	var keys []string
	for k := range snap.wanted {
		keys = append(keys, k)
	}
	for k := range snap.hooked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, err := models.ParseAddress(k)
		if err != nil || !a.IsAgent() || a.Role == models.RoleUnknown {
			continue
		}
		consider(a)
	}
	return out
}

// polecatMeta reads the runtime a sling asked for and the work branch from
// the polecat's agent bead.
func (h *Host) polecatMeta(ctx context.Context, a models.Address) (runtime, branch string) {
	m, _ := h.town.readAgentBeadMeta(ctx, h.store, a.String())
	return m.Runtime, m.Branch
}

// entryView is what the reconcile decision needs to know of a session.
type entryView struct {
	Exited   bool
	Stopping bool
	// WasDesired: the agent was desired at some point while this session
	// ran (an explicitly started session that never was is left alone).
	WasDesired bool
	// UndesiredSince is when the agent stopped being desired (zero: it
	// is desired, or has not been seen undesired yet).
	UndesiredSince time.Time
}

// reconcilePlan is what one reconcile pass does.
type reconcilePlan struct {
	// Start: desired agents without a session.
	Start []desiredAgent
	// Desired: agents with a session that are desired (clears linger).
	Desired []string
	// Undesired: sessions whose agent just stopped being desired (the
	// linger clock starts now).
	Undesired []string
	// Stop: live sessions undesired for at least the linger time.
	Stop []string
	// Forget: exited sessions undesired for at least the linger time.
	Forget []string
}

// planReconcile decides a reconcile pass (spec §5.4), purely: every desired
// agent without a session gets one; a desired agent whose session exited
// gets nothing (no restart loops); a session whose agent is no longer
// desired ends linger after that (an exited one is forgotten then, so new
// work later starts a fresh session).
func planReconcile(desired []desiredAgent, entries map[string]entryView, now time.Time, linger time.Duration) reconcilePlan {
	var p reconcilePlan
	want := map[string]bool{}
	for _, d := range desired {
		key := d.Addr.String()
		if want[key] {
			continue
		}
		want[key] = true
		if _, ok := entries[key]; ok {
			p.Desired = append(p.Desired, key)
			continue
		}
		p.Start = append(p.Start, d)
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		e := entries[key]
		if want[key] || e.Stopping || !e.WasDesired {
			continue
		}
		switch {
		case e.UndesiredSince.IsZero():
			p.Undesired = append(p.Undesired, key)
		case now.Sub(e.UndesiredSince) >= linger:
			if e.Exited {
				p.Forget = append(p.Forget, key)
			} else {
				p.Stop = append(p.Stop, key)
			}
		}
	}
	return p
}

// snapSignature summarizes what the UI shows of a snapshot (agents, hooks,
// wanted flags), to tell it when something changed.
func snapSignature(s townSnapshot) string {
	var b strings.Builder
	for _, a := range s.known {
		b.WriteString(a.String() + ";")
	}
	keys := make([]string, 0, len(s.hooked))
	for k := range s.hooked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("|" + k)
		for _, x := range s.hooked[k] {
			b.WriteString("," + x.ID + ":" + string(x.Status) + ":" + x.Title)
		}
	}
	for _, d := range s.desired {
		fmt.Fprintf(&b, "#%s:%v:%s", d.Addr, d.Wanted, d.Runtime)
	}
	return b.String()
}

// minReconcileGap is the least time between two reconcile passes.
const minReconcileGap = 200 * time.Millisecond

// reconcileLoop reconciles at start, on every poke and every 5 s.
func (h *Host) reconcileLoop(ctx context.Context) {
	tick := time.NewTicker(ReconcileInterval)
	defer tick.Stop()
	for {
		h.reconcile(ctx)
		// Every bd/gt write pokes the host; under a storm of writes
		// passes are spaced out (pokes meanwhile coalesce into one).
		gap := time.NewTimer(minReconcileGap)
		select {
		case <-ctx.Done():
			gap.Stop()
			return
		case <-gap.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-h.pokeCh:
		case <-tick.C:
		}
	}
}

// reconcile runs one pass: read the store, decide, act.
func (h *Host) reconcile(ctx context.Context) {
	defer h.recoverPanic("reconcile")
	snap, err := h.loadSnapshot(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Error("reconcile: read store", "err", err)
		}
		return
	}
	h.closeTimerGates(ctx)
	now := h.now()
	h.spawnMu.Lock()
	defer h.spawnMu.Unlock()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	changed := snapSignature(h.snap) != snapSignature(snap)
	h.snap = snap
	views := make(map[string]entryView, len(h.agents))
	for k, e := range h.agents {
		views[k] = entryView{Exited: e.exited, Stopping: e.stopping != stopNone, WasDesired: e.wasDesired, UndesiredSince: e.undesiredSince}
	}
	plan := planReconcile(snap.desired, views, now, snap.linger)
	var stop []*hostEntry
	for _, k := range plan.Desired {
		e := h.agents[k]
		e.wasDesired, e.undesiredSince = true, time.Time{}
	}
	for _, k := range plan.Undesired {
		h.agents[k].undesiredSince = now
	}
	for _, k := range plan.Stop {
		stop = append(stop, h.agents[k])
	}
	for _, k := range plan.Forget {
		delete(h.agents, k)
	}
	h.mu.Unlock()
	if changed || len(plan.Forget) > 0 {
		h.updates.post(HostUpdate{Kind: UpdateAgents})
	}
	for _, e := range stop {
		h.log.Info("ending session: no longer desired", "agent", e.addr.String(), "linger", snap.linger)
		h.goLoop("linger stop "+e.addr.String(), func(ctx context.Context) {
			h.endEntry(context.WithoutCancel(ctx), e, stopLinger)
		})
	}
	for _, d := range plan.Start {
		if ctx.Err() != nil {
			return
		}
		topic, sender := h.beaconTopic(d)
		if _, err := h.startLocked(ctx, d, "", topic, sender, true); err != nil {
			h.log.Warn("start session", "agent", d.Addr.String(), "err", err)
		}
	}
}

// beaconTopic picks the beacon topic and sender of a reconciler start
// (spec §5.5): restart (from the host) for an agent the previous host ran
// or whose work was already under way; assigned (from the slinging actor)
// for hooked work; else cold-start (from the human).
func (h *Host) beaconTopic(d desiredAgent) (topic, sender string) {
	key := d.Addr.String()
	h.mu.Lock()
	prev := h.previous[key]
	delete(h.previous, key)
	h.mu.Unlock()
	switch {
	case prev || (d.Hooked != nil && d.Hooked.Status == models.StatusInProgress):
		return TopicRestart, SenderHost
	case d.Hooked != nil:
		sender = BeadAttachment(d.Hooked).DispatchedBy
		if sender == "" {
			sender = SenderHuman
		}
		return TopicAssigned, sender
	}
	return TopicColdStart, SenderHuman
}

// liveEntriesLocked lists sessions still running; h.mu is held.
func (h *Host) liveEntriesLocked() []*hostEntry {
	var out []*hostEntry
	for _, e := range h.agents {
		if !e.exited && e.stopping == stopNone && e.sess != nil {
			out = append(out, e)
		}
	}
	return out
}

// closeTimerGates closes open timer gates whose timeout has passed (spec
// §7.1), then runs the after-close convoy check.
func (h *Host) closeTimerGates(ctx context.Context) {
	gates, err := h.store.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeGate}, Status: []models.Status{models.StatusOpen}})
	if err != nil {
		return
	}
	now := h.now()
	for _, g := range gates {
		if g.AwaitType != "timer" || g.Timeout <= 0 || now.Before(g.CreatedAt.Add(time.Duration(g.Timeout))) {
			continue
		}
		var res beads.CloseResult
		err := h.store.Write(ctx, SenderHost, func(tx *beads.Tx) error {
			cur, err := tx.Get(g.ID)
			if err != nil || cur.Status == models.StatusClosed {
				return err
			}
			res, err = tx.CloseIssue(g.ID, "timer elapsed", true)
			return err
		})
		if err != nil {
			h.log.Warn("close timer gate", "gate", g.ID, "err", err)
			continue
		}
		if res.Closed != nil {
			h.log.Info("timer gate closed", "gate", g.ID)
			if err := AfterClose(ctx, h.town, res, SenderHost); err != nil {
				h.log.Warn("after closing timer gate", "gate", g.ID, "err", err)
			}
		}
	}
}
