package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// State is everything the page shows, as served by GET /api/state. Its JSON
// keys are exactly those of spec §10.
type State struct {
	Convoys    []Convoy       `json:"convoys"`
	Agents     []Agent        `json:"agents"`
	Problems   []Agent        `json:"problems"`
	Ready      []BeadSummary  `json:"ready"`
	Hooked     []BeadSummary  `json:"hooked"`
	MergeQueue []MergeRequest `json:"merge_queue"`
	Mail       []Mail         `json:"mail"`
	Events     []FeedEvent    `json:"events"`
}

// Convoy is a convoy with its tracked beads and progress (the shape of
// gt convoy show --json, plus created_at and closed_at).
type Convoy struct {
	ID            string        `json:"id"`
	Title         string        `json:"title"`
	Status        string        `json:"status"`
	Owned         bool          `json:"owned"`
	MergeStrategy string        `json:"merge_strategy"`
	Notify        []string      `json:"notify"`
	Tracked       []TrackedBead `json:"tracked"`
	Completed     int           `json:"completed"`
	Total         int           `json:"total"`
	CreatedAt     time.Time     `json:"created_at"`
	ClosedAt      *time.Time    `json:"closed_at,omitempty"`
}

// Landed reports whether the convoy is closed.
func (c Convoy) Landed() bool { return c.Status == string(models.StatusClosed) }

// TrackedBead is one bead a convoy tracks.
type TrackedBead struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	IssueType string `json:"issue_type"`
	Assignee  string `json:"assignee"`
	Blocked   bool   `json:"blocked"`
}

// Glyph is the tracked bead's mark in convoy views: ✓ closed, ▶ hooked or in
// progress, ○ anything else.
func (b TrackedBead) Glyph() string {
	switch models.Status(b.Status) {
	case models.StatusClosed, models.StatusTombstone:
		return "✓"
	case models.StatusHooked, models.StatusInProgress:
		return "▶"
	}
	return "○"
}

// BeadSummary is the part of a bead the Ready and Hooked panels show.
type BeadSummary struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Status    string    `json:"status"`
	Priority  int       `json:"priority"`
	IssueType string    `json:"issue_type"`
	Assignee  string    `json:"assignee"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MergeRequest is an open merge-request bead (spec §5.8, §5.10).
type MergeRequest struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Status      string    `json:"status"`
	Priority    int       `json:"priority"`
	Rig         string    `json:"rig"`
	Branch      string    `json:"branch"`
	Target      string    `json:"target"`
	SourceIssue string    `json:"source_issue"`
	Worker      string    `json:"worker"`
	RetryCount  int       `json:"retry_count"`
	CreatedAt   time.Time `json:"created_at"`
}

// Mail is an open message to the overseer (spec §6.5).
type Mail struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Type      string    `json:"type"`
	Priority  int       `json:"priority"`
	Read      bool      `json:"read"`
	CreatedAt time.Time `json:"created_at"`
}

// maxEvents is how many feed events the Activity panel shows.
const maxEvents = 50

// maxReady caps the Ready panel.
const maxReady = 50

// summarize turns a bead into a BeadSummary.
func summarize(b models.Bead) BeadSummary {
	return BeadSummary{
		ID: b.ID, Title: b.Title, Status: string(b.Status), Priority: b.Priority,
		IssueType: string(b.IssueType), Assignee: b.Assignee, UpdatedAt: b.UpdatedAt,
	}
}

// gtMetadata decodes metadata.gt of a bead into v; missing or malformed
// metadata leaves v unchanged.
func gtMetadata(b models.Bead, v any) {
	if len(b.Metadata) == 0 {
		return
	}
	var m struct {
		GT json.RawMessage `json:"gt"`
	}
	if json.Unmarshal(b.Metadata, &m) != nil || len(m.GT) == 0 {
		return
	}
	_ = json.Unmarshal(m.GT, v)
}

// collect builds the whole State.
func (s *Server) collect(ctx context.Context) (State, hostView, error) {
	now := s.now()
	var st State
	host, err := readHost(s.town, now)
	if err != nil {
		return st, host, err
	}
	if st.Convoys, err = s.convoys(ctx, now); err != nil {
		return st, host, err
	}
	hooked, err := s.store.List(ctx, beads.Filter{Status: []models.Status{models.StatusHooked, models.StatusInProgress}})
	if err != nil {
		return st, host, fmt.Errorf("list hooked beads: %w", err)
	}
	st.Hooked = make([]BeadSummary, 0, len(hooked))
	for _, b := range hooked {
		st.Hooked = append(st.Hooked, summarize(b))
	}
	if st.Agents, err = s.agents(ctx, now, hooked, host); err != nil {
		return st, host, err
	}
	st.Problems = problemsOf(st.Agents)
	ready, err := s.store.Ready(ctx, beads.ReadyFilter{Limit: maxReady})
	if err != nil {
		return st, host, fmt.Errorf("list ready beads: %w", err)
	}
	st.Ready = make([]BeadSummary, 0, len(ready))
	for _, b := range ready {
		st.Ready = append(st.Ready, summarize(b))
	}
	if st.MergeQueue, err = s.mergeQueue(ctx); err != nil {
		return st, host, err
	}
	if st.Mail, err = s.mail(ctx); err != nil {
		return st, host, err
	}
	if st.Events, err = s.feed.last(); err != nil {
		return st, host, err
	}
	return st, host, nil
}

// landedWindow is how long a landed convoy stays on the page.
const landedWindow = 24 * time.Hour

// convoys lists open convoys oldest first, then those landed in the last
// 24 hours, each with its tracked beads.
func (s *Server) convoys(ctx context.Context, now time.Time) ([]Convoy, error) {
	open, err := s.store.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeConvoy}, Sort: "oldest"})
	if err != nil {
		return nil, fmt.Errorf("list convoys: %w", err)
	}
	closed, err := s.store.List(ctx, beads.Filter{
		Types: []models.IssueType{models.TypeConvoy}, Status: []models.Status{models.StatusClosed}, Sort: "updated", Limit: 50,
	})
	if err != nil {
		return nil, fmt.Errorf("list landed convoys: %w", err)
	}
	var landed []models.Bead
	for _, b := range closed {
		if b.ClosedAt != nil && now.Sub(*b.ClosedAt) < landedWindow {
			landed = append(landed, b)
		}
	}
	sort.SliceStable(landed, func(i, j int) bool { return landed[i].ClosedAt.After(*landed[j].ClosedAt) })
	out := make([]Convoy, 0, len(open)+len(landed))
	for _, b := range append(open, landed...) {
		c, err := s.convoy(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// convoy fills one convoy's tracked beads and progress.
func (s *Server) convoy(ctx context.Context, b models.Bead) (Convoy, error) {
	var meta struct {
		Notify []string `json:"notify"`
		Merge  string   `json:"merge"`
		Owned  bool     `json:"owned"`
	}
	gtMetadata(b, &meta)
	c := Convoy{
		ID: b.ID, Title: b.Title, Status: string(b.Status), Owned: meta.Owned, MergeStrategy: meta.Merge,
		Notify: meta.Notify, Tracked: []TrackedBead{}, CreatedAt: b.CreatedAt, ClosedAt: b.ClosedAt,
	}
	if c.Notify == nil {
		c.Notify = []string{}
	}
	deps, err := s.store.Dependencies(ctx, b.ID)
	if err != nil {
		return c, fmt.Errorf("convoy %s: %w", b.ID, err)
	}
	for _, d := range deps {
		if d.Type != models.DepTracks {
			continue
		}
		tb := TrackedBead{ID: d.DependsOnID, Status: "missing"}
		t, err := s.store.Get(ctx, d.DependsOnID)
		switch {
		case errors.Is(err, beads.ErrNotFound):
		case err != nil:
			return c, fmt.Errorf("convoy %s: tracked %s: %w", b.ID, d.DependsOnID, err)
		default:
			tb = TrackedBead{ID: t.ID, Title: t.Title, Status: string(t.Status), IssueType: string(t.IssueType), Assignee: t.Assignee}
			if !t.Status.Done() {
				blockers, err := s.store.BlockersOf(ctx, t.ID)
				if err != nil {
					return c, fmt.Errorf("convoy %s: blockers of %s: %w", b.ID, t.ID, err)
				}
				tb.Blocked = len(blockers) > 0
			}
		}
		c.Tracked = append(c.Tracked, tb)
		c.Total++
		if tb.Status == string(models.StatusClosed) || tb.Status == string(models.StatusTombstone) {
			c.Completed++
		}
	}
	return c, nil
}

// mergeQueue lists open merge-request beads by priority then age.
func (s *Server) mergeQueue(ctx context.Context) ([]MergeRequest, error) {
	mrs, err := s.store.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeMergeRequest}, Sort: "priority"})
	if err != nil {
		return nil, fmt.Errorf("list merge requests: %w", err)
	}
	out := make([]MergeRequest, 0, len(mrs))
	for _, b := range mrs {
		var meta struct {
			Branch      string `json:"branch"`
			Target      string `json:"target"`
			SourceIssue string `json:"source_issue"`
			Rig         string `json:"rig"`
			Worker      string `json:"worker"`
			RetryCount  int    `json:"retry_count"`
		}
		gtMetadata(b, &meta)
		rig := meta.Rig
		if rig == "" {
			rig = b.Rig
		}
		out = append(out, MergeRequest{
			ID: b.ID, Title: b.Title, Status: string(b.Status), Priority: b.Priority, Rig: rig,
			Branch: meta.Branch, Target: meta.Target, SourceIssue: meta.SourceIssue, Worker: meta.Worker,
			RetryCount: meta.RetryCount, CreatedAt: b.CreatedAt,
		})
	}
	return out, nil
}

// mail lists the overseer's open messages, newest first. Mail is ephemeral
// by default, so the listing includes ephemeral beads and drops closed ones
// itself.
func (s *Server) mail(ctx context.Context) ([]Mail, error) {
	msgs, err := s.store.List(ctx, beads.Filter{
		Types: []models.IssueType{models.TypeMessage}, Assignee: models.OverseerAddress.String(),
		IncludeClosed: true, Sort: "newest",
	})
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	out := make([]Mail, 0, len(msgs))
	for _, b := range msgs {
		if b.Status.Done() {
			continue
		}
		m := Mail{ID: b.ID, Subject: b.Title, Body: b.Description, Priority: b.Priority, CreatedAt: b.CreatedAt}
		for _, l := range b.Labels {
			switch {
			case strings.HasPrefix(l, "from:"):
				m.From = strings.TrimPrefix(l, "from:")
			case strings.HasPrefix(l, "msg-type:"):
				m.Type = strings.TrimPrefix(l, "msg-type:")
			case l == "read":
				m.Read = true
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// hashState fingerprints what the page shows. Idle times tick every second
// without anything happening, so they are left out: only real changes move
// the hash.
func hashState(st State) string {
	cp := st
	cp.Agents = slices.Clone(st.Agents)
	cp.Problems = slices.Clone(st.Problems)
	for i := range cp.Agents {
		cp.Agents[i].IdleSeconds = 0
		cp.Agents[i].Reason = idleFree(cp.Agents[i])
	}
	for i := range cp.Problems {
		cp.Problems[i].IdleSeconds = 0
		cp.Problems[i].Reason = idleFree(cp.Problems[i])
	}
	b, err := json.Marshal(cp)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// idleFree drops the minute count from stalled/gupp reasons, which grows
// with time alone.
func idleFree(a Agent) string {
	if a.State == models.StateStalled.String() || a.State == models.StateGUPP.String() {
		return a.State
	}
	return a.Reason
}
