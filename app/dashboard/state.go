package dashboard

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// State is everything the page shows, as served by GET /api/state. Its JSON
// keys are exactly those of spec §10.
type State struct {
	Convoys    []Convoy            `json:"convoys"`
	Agents     []Agent             `json:"agents"`
	Problems   []Agent             `json:"problems"`
	Ready      []BeadSummary       `json:"ready"`
	Hooked     []BeadSummary       `json:"hooked"`
	MergeQueue []town.MergeRequest `json:"merge_queue"`
	Mail       []town.Message      `json:"mail"`
	Events     []FeedEvent         `json:"events"`
}

// Convoy is a convoy as gt convoy show --json prints it, plus when it was
// created and, once landed, closed.
type Convoy struct {
	town.ConvoyShowJSON
	CreatedAt time.Time  `json:"created_at"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// Landed reports whether the convoy is closed.
func (c Convoy) Landed() bool { return c.Status == string(models.StatusClosed) }

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

// collect builds the whole State and the host view.
func (s *Server) collect(ctx context.Context) (State, hostView, error) {
	now := s.now()
	var st State
	agents, host, err := s.agents(ctx, now)
	if err != nil {
		return st, host, err
	}
	st.Agents, st.Problems = agents, problemsOf(agents)
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
	if st.Mail, err = s.town.Inbox(ctx, town.InboxOptions{Identity: models.OverseerAddress.String(), All: true}); err != nil {
		return st, host, fmt.Errorf("overseer mail: %w", err)
	}
	if st.Events, err = s.feed.last(); err != nil {
		return st, host, err
	}
	return st, host, nil
}

// landedWindow is how long a landed convoy stays on the page.
const landedWindow = 24 * time.Hour

// convoys lists open convoys oldest first, then those landed in the last
// 24 hours, newest first, each with its tracked beads and progress.
func (s *Server) convoys(ctx context.Context, now time.Time) ([]Convoy, error) {
	open, err := s.town.ListConvoys(ctx, town.ConvoyListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list convoys: %w", err)
	}
	out := make([]Convoy, 0, len(open))
	for _, v := range open {
		out = append(out, Convoy{ConvoyShowJSON: v.ShowJSON(), CreatedAt: v.CreatedAt})
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
	for _, b := range landed {
		v, err := s.town.ShowConvoy(ctx, b.ID)
		if err != nil {
			return nil, fmt.Errorf("convoy %s: %w", b.ID, err)
		}
		out = append(out, Convoy{ConvoyShowJSON: v.ShowJSON(), CreatedAt: v.CreatedAt, ClosedAt: b.ClosedAt})
	}
	return out, nil
}

// mergeQueue lists every rig's open merge requests, by priority then age.
func (s *Server) mergeQueue(ctx context.Context) ([]town.MergeRequest, error) {
	rigs, err := s.town.RigNames()
	if err != nil {
		return nil, err
	}
	out := []town.MergeRequest{}
	for _, rig := range rigs {
		q, err := s.town.MergeQueue(ctx, rig)
		if err != nil {
			return nil, fmt.Errorf("merge queue of %s: %w", rig, err)
		}
		out = append(out, q...)
	}
	slices.SortStableFunc(out, func(a, b town.MergeRequest) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), a.CreatedAt.Compare(b.CreatedAt))
	})
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
		cp.Agents[i].IdleSeconds = nil
		cp.Agents[i].Reason = idleFree(cp.Agents[i])
	}
	for i := range cp.Problems {
		cp.Problems[i].IdleSeconds = nil
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
