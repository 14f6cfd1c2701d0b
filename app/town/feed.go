package town

// The data side of gt feed (spec §9): the event symbols and summaries, the
// event filters (--since, --type, --rig), plain-mode lines, the Problems
// rows, a snapshot of agents, convoys and merge queues for the full-screen
// feed, and an exact follower of the events file for gt feed -f.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// Feed defaults (spec §9).
const (
	// FeedPreload is how many events the full-screen feed loads at start.
	FeedPreload = 200
	// FeedDefaultLimit is gt feed --limit's default.
	FeedDefaultLimit = 100
	// FeedPollInterval is how often a follower looks for new events; new
	// events must show within 250 ms.
	FeedPollInterval = 100 * time.Millisecond
	// LandedWindow is how long a landed convoy stays in the feed.
	LandedWindow = 24 * time.Hour
)

// FeedEvent is one event as the feed shows it: the logged event plus its
// symbol and one-line summary.
type FeedEvent struct {
	models.Event
	Symbol  string
	Summary string
}

// Clock is the event's local time, HH:MM:SS.
func (e FeedEvent) Clock() string { return e.TS.Local().Format("15:04:05") }

// Line is the full-screen feed's row: `HH:MM:SS <symbol> <actor> <summary>`.
func (e FeedEvent) Line() string {
	return e.Clock() + " " + e.Symbol + " " + e.Actor + " " + e.Summary
}

// PlainLine is plain mode's row: `<ts> <symbol> <actor> <type> <summary>`,
// ts in RFC 3339 UTC. Control characters are replaced so one event is
// always one line.
func (e FeedEvent) PlainLine() string {
	return sanitizeLine(e.TS.UTC().Format(time.RFC3339) + " " + e.Symbol + " " + e.Actor + " " + e.Type + " " + e.Summary)
}

// sanitizeLine replaces control characters (newlines, escapes) by spaces.
func sanitizeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// feedPayload is the union of the payload fields of spec §4.8.
type feedPayload struct {
	Bead     string `json:"bead"`
	Target   string `json:"target"`
	Convoy   string `json:"convoy"`
	From     any    `json:"from"`
	To       any    `json:"to"`
	Branch   string `json:"branch"`
	Exit     any    `json:"exit"`
	MR       string `json:"mr"`
	Rig      string `json:"rig"`
	Polecat  string `json:"polecat"`
	Subject  string `json:"subject"`
	Message  string `json:"message"`
	Title    string `json:"title"`
	Name     string `json:"name"`
	Agent    string `json:"agent"`
	Runtime  string `json:"runtime"`
	PID      int    `json:"pid"`
	ExitCode *int   `json:"exit_code"`
	Signal   string `json:"signal"`
	Reason   string `json:"reason"`
	Worker   string `json:"worker"`
	Commit   string `json:"commit"`
}

func anyStr(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func withTitle(s, title string) string {
	if title == "" {
		return s
	}
	return s + ": " + title
}

// DescribeEvent gives an event its feed symbol (spec §9: + created, →
// status change, ✓ closed/merged/done, ✗ failure or non-zero exit, 🎯
// sling, 🪝 hook, ⚡ nudge, ✉ mail, 🚚 convoy, ▶/■ session start/end, ⚙
// merge started) and a summary that does not repeat the actor.
func DescribeEvent(e models.Event) FeedEvent {
	sym, sum := describeEvent(e)
	// User text (titles, subjects, messages) may hold newlines or escape
	// sequences; a feed row is always one plain line.
	e.Actor = sanitizeLine(e.Actor)
	return FeedEvent{Event: e, Symbol: sym, Summary: sanitizeLine(sum)}
}

func describeEvent(e models.Event) (symbol, summary string) {
	var p feedPayload
	_ = json.Unmarshal(e.Payload, &p)
	switch e.Type {
	case "sling":
		s := fmt.Sprintf("slung %s → %s", p.Bead, p.Target)
		if p.Convoy != "" {
			s += " (convoy " + p.Convoy + ")"
		}
		return "🎯", s
	case "hook":
		return "🪝", fmt.Sprintf("hooked %s → %s", p.Bead, p.Target)
	case "unhook":
		return "🪝", fmt.Sprintf("unhooked %s from %s", p.Bead, anyStr(p.From))
	case "done":
		s := fmt.Sprintf("done %s (%s)", p.Bead, anyStr(p.Exit))
		if p.MR != "" {
			s += ", MR " + p.MR
		}
		if ex := anyStr(p.Exit); ex != "" && ex != "COMPLETED" {
			return "✗", s
		}
		return "✓", s
	case "spawn":
		return "▶", fmt.Sprintf("spawned polecat %s/%s", p.Rig, p.Polecat)
	case "mail":
		return "✉", withTitle("mail to "+anyStr(p.To), p.Subject)
	case "nudge":
		return "⚡", withTitle("nudged "+anyStr(p.To), p.Message)
	case "nudge_failed":
		return "✗", withTitle("nudge failed for "+anyStr(p.To), p.Message)
	case "convoy_created":
		return "🚚", withTitle("convoy "+p.Convoy+" created", p.Title)
	case "convoy_closed":
		return "🚚", withTitle("convoy "+p.Convoy+" landed", p.Title)
	case "rig_added":
		return "+", "rig " + p.Rig + " added"
	case "crew_added":
		return "+", "crew " + p.Rig + "/" + p.Name + " added"
	case "session_start":
		return "▶", fmt.Sprintf("%s started (%s, pid %d)", p.Agent, p.Runtime, p.PID)
	case "session_end":
		code := 0
		if p.ExitCode != nil {
			code = *p.ExitCode
		}
		if p.Signal != "" {
			return "✗", fmt.Sprintf("%s exited (signal %s)", p.Agent, p.Signal)
		}
		if code != 0 {
			return "✗", fmt.Sprintf("%s exited (code %d)", p.Agent, code)
		}
		return "■", fmt.Sprintf("%s exited (code 0)", p.Agent)
	case "agent_state":
		s := fmt.Sprintf("%s → %s", anyStr(p.From), anyStr(p.To))
		if p.Agent != e.Actor {
			s = p.Agent + " " + s
		}
		if p.Reason != "" {
			s += " (" + p.Reason + ")"
		}
		return "→", s
	case "merge_started":
		return "⚙", fmt.Sprintf("merging %s (%s)", p.MR, p.Branch)
	case "merged":
		s := "merged " + p.MR
		if p.Commit != "" {
			s += " as " + shortCommit(p.Commit)
		}
		return "✓", s
	case "merge_failed":
		return "✗", withTitle("merge failed "+p.MR, p.Reason)
	case "merge_skipped":
		return "✗", withTitle("merge skipped "+p.MR, p.Reason)
	case "bead_created":
		return "+", withTitle("created "+p.Bead, p.Title)
	case "bead_status":
		return "→", fmt.Sprintf("%s %s → %s", p.Bead, anyStr(p.From), anyStr(p.To))
	case "bead_updated":
		return "→", withTitle("updated "+p.Bead, p.Title)
	case "bead_closed":
		s := withTitle("closed "+p.Bead, p.Title)
		if p.Reason != "" {
			s += " (" + p.Reason + ")"
		}
		return "✓", s
	case "bead_reopened":
		return "→", withTitle("reopened "+p.Bead, p.Title)
	}
	return "·", strings.TrimSpace(e.Type + " " + compactJSON(e.Payload))
}

func shortCommit(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// compactJSON shows an unknown event's payload, shortened.
func compactJSON(p json.RawMessage) string {
	s := strings.TrimSpace(string(p))
	if s == "{}" || s == "null" {
		return ""
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}

// FeedFilter selects the events gt feed shows: feed-visible ones (spec
// §4.8: visibility feed or both), optionally only newer than Since, of the
// given Types, or concerning one rig.
type FeedFilter struct {
	// Since: only events at or after it (zero: all).
	Since time.Time
	// Types: only these event types (empty: all).
	Types []string
	// Rig and RigPrefix: only events whose actor, agents or beads belong
	// to the rig (Rig "": all).
	Rig, RigPrefix string
}

// Match reports whether the feed shows e.
func (f FeedFilter) Match(e models.Event) bool {
	if !e.InFeed() {
		return false
	}
	if !f.Since.IsZero() && e.TS.Before(f.Since) {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, e.Type) {
		return false
	}
	return f.Rig == "" || f.inRig(e)
}

// inRig reports whether an event concerns the rig: its actor or an agent
// it names lives in the rig, it names the rig, or a bead it names has the
// rig's prefix.
func (f FeedFilter) inRig(e models.Event) bool {
	inRig := func(addr string) bool { return strings.HasPrefix(addr, f.Rig+"/") }
	if inRig(e.Actor) {
		return true
	}
	var p map[string]any
	if json.Unmarshal(e.Payload, &p) != nil {
		return false
	}
	if r, _ := p["rig"].(string); r == f.Rig {
		return true
	}
	for _, k := range []string{"agent", "target", "to", "from", "worker"} {
		if v, _ := p[k].(string); inRig(v) {
			return true
		}
	}
	if f.RigPrefix == "" {
		return false
	}
	for _, k := range []string{"bead", "mr"} {
		if v, _ := p[k].(string); strings.HasPrefix(v, f.RigPrefix+"-") {
			return true
		}
	}
	return false
}

// ParseSince reads --since: a Go duration back from now ("5m", "1h") or an
// RFC 3339 time.
func ParseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("invalid --since %q (must not be negative)", s)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid --since %q (expected a duration like 5m or 1h, or an RFC 3339 time)", s)
}

// NewFeedFilter builds the filter of gt feed's flags: since ("" none),
// types (comma-separated, "" all) and rig ("" all; must be a registered
// rig).
func (t *Town) NewFeedFilter(since, types, rig string, now time.Time) (FeedFilter, error) {
	var f FeedFilter
	var err error
	if f.Since, err = ParseSince(since, now); err != nil {
		return FeedFilter{}, err
	}
	for _, ty := range strings.Split(types, ",") {
		if ty = strings.TrimSpace(ty); ty != "" {
			f.Types = append(f.Types, ty)
		}
	}
	if rig != "" {
		p, err := t.RigPrefix(rig)
		if err != nil {
			return FeedFilter{}, err
		}
		f.Rig, f.RigPrefix = rig, p
	}
	return f, nil
}

// FeedTail reads the events file incrementally for one filter: Load gives
// the last n matching events and Poll everything appended since, each
// complete line exactly once, in file order. It is not safe for concurrent
// use.
type FeedTail struct {
	filter FeedFilter
	f      *eventlog.Follower
}

// NewFeedTail starts a tail of the town's events file at its beginning.
func NewFeedTail(townRoot string, filter FeedFilter) *FeedTail {
	return &FeedTail{filter: filter, f: eventlog.NewFollower(townRoot, 0)}
}

// Load reads every complete line not read yet and returns the last n
// matching events (n <= 0: all of them).
func (ft *FeedTail) Load(n int) ([]FeedEvent, error) {
	evs, err := ft.Poll()
	if n > 0 && len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	return evs, err
}

// Poll returns the matching events of the lines completed since the last
// call. The follower's offset only moves past complete lines, so a line
// being written is returned whole by a later call, never twice.
func (ft *FeedTail) Poll() ([]FeedEvent, error) {
	evs, err := ft.f.Poll()
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	out := make([]FeedEvent, 0, len(evs))
	for _, e := range evs {
		if ft.filter.Match(e) {
			out = append(out, DescribeEvent(e))
		}
	}
	return out, nil
}

// Follow calls emit with every batch of new matching events, polling every
// interval (FeedPollInterval when 0), until ctx ends (nil is returned then)
// or emit fails.
func (ft *FeedTail) Follow(ctx context.Context, interval time.Duration, emit func([]FeedEvent) error) error {
	if interval <= 0 {
		interval = FeedPollInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		evs, err := ft.Poll()
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			if err := emit(evs); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// ProblemsSummary is the agents split into those needing attention (in
// Problems order: gupp, waiting, stalled, zombie, exited, longer idle
// first) and the count of the others.
type ProblemsSummary struct {
	Attention []AgentRow
	OK        int
}

// Problems sorts the rows of an agents report for the Problems view.
func Problems(rows []AgentRow) ProblemsSummary {
	var ps ProblemsSummary
	for _, r := range rows {
		if r.NeedsAttention {
			ps.Attention = append(ps.Attention, r)
		} else {
			ps.OK++
		}
	}
	slices.SortStableFunc(ps.Attention, func(a, b AgentRow) int {
		return cmp.Or(cmp.Compare(stateOf(a).ProblemRank(), stateOf(b).ProblemRank()), cmp.Compare(idleOf(b), idleOf(a)))
	})
	return ps
}

func stateOf(r AgentRow) models.AgentState {
	st, err := models.ParseAgentState(r.State)
	if err != nil {
		return models.StateIdle
	}
	return st
}

func idleOf(r AgentRow) int64 {
	if r.IdleSeconds == nil {
		return -1
	}
	return *r.IdleSeconds
}

// ProblemLine is gt feed --problems --plain's row:
// `<STATE>  <address>  <hook|->  <idle> <reason>`.
func ProblemLine(r AgentRow) string {
	hook := r.Hook
	if hook == "" {
		hook = "-"
	}
	return sanitizeLine(strings.TrimRight(fmt.Sprintf("%s  %s  %s  %s %s",
		strings.ToUpper(r.State), r.Address, hook, FormatIdle(r.IdleSeconds), r.Reason), " "))
}

// ProblemsFooter is the last line of gt feed --problems --plain.
func (ps ProblemsSummary) ProblemsFooter() string {
	return fmt.Sprintf("%d need attention, %d ok", len(ps.Attention), ps.OK)
}

// FeedConvoy is one convoy of the feed's Convoys panel.
type FeedConvoy struct {
	ID, Title        string
	Landed           bool
	ClosedAt         time.Time
	Completed, Total int
}

// MergeQueueLine is one rig's merge queue: `⚙ <rig>: N queued[, merging
// <id>]`.
type MergeQueueLine struct {
	Rig     string
	Queued  int
	Merging string
}

// String formats the line.
func (l MergeQueueLine) String() string {
	s := fmt.Sprintf("⚙ %s: %d queued", l.Rig, l.Queued)
	if l.Merging != "" {
		s += ", merging " + l.Merging
	}
	return s
}

// FeedSnapshot is the durable state of the full-screen feed.
type FeedSnapshot struct {
	Agents  AgentsReport
	Convoys []FeedConvoy
	Queues  []MergeQueueLine
	At      time.Time
}

// MergingMRs returns the MRs whose merge started and has not ended
// (merged, merge_failed or merge_skipped) in events, oldest first.
func MergingMRs(events []models.Event) []string {
	var order []string
	open := map[string]bool{}
	for _, e := range events {
		var p feedPayload
		switch e.Type {
		case "merge_started", "merged", "merge_failed", "merge_skipped":
			if json.Unmarshal(e.Payload, &p) != nil || p.MR == "" {
				continue
			}
		default:
			continue
		}
		if e.Type == "merge_started" {
			if !open[p.MR] {
				order = append(order, p.MR)
			}
			open[p.MR] = true
			continue
		}
		if open[p.MR] {
			delete(open, p.MR)
			order = slices.DeleteFunc(order, func(id string) bool { return id == p.MR })
		}
	}
	return order
}

// LoadFeed reads the agents (with live signals from the host's status op
// when a host answers, else sessions.json, else beads alone), open convoys
// oldest first and those landed in the last 24 h, and one merge-queue line
// per rig. recent are the events the caller has seen; they tell which MR
// is being merged.
func (t *Town) LoadFeed(ctx context.Context, now time.Time, recent []models.Event) (FeedSnapshot, error) {
	snap := FeedSnapshot{At: now}
	sessions, live, err := t.feedSessions(ctx, now)
	if err != nil {
		return snap, err
	}
	rigs, err := t.RigNames()
	if err != nil {
		return snap, err
	}
	merging := MergingMRs(recent)
	err = t.withReadStore(ctx, func(s *beads.Store) error {
		if snap.Agents, err = t.agentsWithSessions(ctx, s, now, sessions, live); err != nil {
			return err
		}
		if snap.Convoys, err = feedConvoys(ctx, s, now); err != nil {
			return err
		}
		for _, rig := range rigs {
			q, err := t.mergeQueue(ctx, s, rig)
			if err != nil {
				return err
			}
			line := MergeQueueLine{Rig: rig, Queued: len(q)}
			for _, mr := range q {
				if slices.Contains(merging, mr.ID) {
					line.Merging = mr.ID
					break
				}
			}
			snap.Queues = append(snap.Queues, line)
		}
		return nil
	})
	return snap, err
}

// feedSessions asks a running host for its sessions (fresher than
// sessions.json); without an answer it falls back to a trusted
// sessions.json.
func (t *Town) feedSessions(ctx context.Context, now time.Time) (*SessionsFile, bool, error) {
	st, err := HostStatusOf(ctx, t.Root)
	if err == nil {
		return &SessionsFile{HostPID: st.PID, UpdatedAt: now, Sessions: st.Sessions}, true, nil
	}
	var he *HostError
	if !errors.Is(err, ErrNoHost) && !errors.As(err, &he) {
		return nil, false, err
	}
	return t.LiveSessions(now)
}

// feedConvoys lists open convoys oldest first, then convoys closed within
// LandedWindow before now, oldest landing first.
func feedConvoys(ctx context.Context, s *beads.Store, now time.Time) ([]FeedConvoy, error) {
	list, err := s.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeConvoy}, Sort: "oldest", IncludeClosed: true})
	if err != nil {
		return nil, err
	}
	r := storeReader{ctx: ctx, s: s}
	var open, landed []FeedConvoy
	for i := range list {
		b := &list[i]
		if b.Status == models.StatusTombstone {
			continue
		}
		closed := b.Status == models.StatusClosed
		if closed && (b.ClosedAt == nil || now.Sub(*b.ClosedAt) > LandedWindow) {
			continue
		}
		v, err := viewConvoy(r, b)
		if err != nil {
			return nil, err
		}
		c := FeedConvoy{ID: v.ID, Title: v.Title, Completed: v.Completed, Total: v.Total, Landed: closed}
		if closed {
			c.ClosedAt = *b.ClosedAt
			landed = append(landed, c)
		} else {
			open = append(open, c)
		}
	}
	slices.SortStableFunc(landed, func(a, b FeedConvoy) int { return a.ClosedAt.Compare(b.ClosedAt) })
	return append(open, landed...), nil
}

// FocusAgent asks the host TUI to focus the agent's pane (socket op
// focus). It returns ErrNoHost (wrapped) when no host answers and the
// host's refusal (e.g. a headless host) as a *HostError.
func (t *Town) FocusAgent(ctx context.Context, agent string) error {
	_, err := NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpFocus, Agent: agent})
	return err
}

// FeedAgents computes every agent's §9 state for gt feed: with live
// signals from the host's status op when a host answers, else from a
// trusted sessions.json, else from beads alone.
func (t *Town) FeedAgents(ctx context.Context, now time.Time) (AgentsReport, error) {
	sessions, live, err := t.feedSessions(ctx, now)
	if err != nil {
		return AgentsReport{}, err
	}
	var rep AgentsReport
	err = t.withReadStore(ctx, func(s *beads.Store) error {
		rep, err = t.agentsWithSessions(ctx, s, now, sessions, live)
		return err
	})
	return rep, err
}
