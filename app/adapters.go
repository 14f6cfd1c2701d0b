package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// overseer is the TUI user's identity (spec §5.1).
const overseer = "overseer"

// maxFeedEvents bounds the events the side panel keeps.
const maxFeedEvents = 200

// hostAdapter adapts *town.Host to Host.
type hostAdapter struct{ h *town.Host }

func (a hostAdapter) Agents() []Agent {
	src := a.h.Agents()
	out := make([]Agent, 0, len(src))
	for _, h := range src {
		addr, err := models.ParseAddress(h.Address)
		title := h.Address
		if err == nil {
			title = addr.PaneTitle()
		}
		ag := Agent{
			Address: h.Address, Role: h.Role, PaneTitle: title, Runtime: h.Runtime,
			State: h.State, Reason: h.Reason, Hook: h.Hook, HookTitle: h.HookTitle,
			Exited: h.Exited, ExitCode: h.ExitStatus.Code, Message: h.Message, Idle: h.Idle,
		}
		// A nil *ptyhost.Session must become a nil interface.
		if h.Session != nil {
			ag.Term = h.Session
		}
		out = append(out, ag)
	}
	return out
}

func (a hostAdapter) Updates() <-chan town.HostUpdate { return a.h.Updates() }
func (a hostAdapter) Poke()                           { a.h.Poke() }
func (a hostAdapter) Resize(addr string, c, r int) error {
	return a.h.Resize(addr, c, r)
}

func (a hostAdapter) StartAgent(ctx context.Context, addr, rt string) error {
	return a.h.StartAgent(ctx, addr, rt)
}
func (a hostAdapter) StopAgent(ctx context.Context, addr string) error {
	return a.h.StopAgent(ctx, addr)
}

func (a hostAdapter) RestartAgent(ctx context.Context, addr, rt string) error {
	return a.h.RestartAgent(ctx, addr, rt)
}

func (a hostAdapter) Nudge(ctx context.Context, addr, text, mode string) error {
	return a.h.Nudge(ctx, addr, text, mode)
}

// townAdapter adapts *town.Town (and one open store) to Town.
type townAdapter struct {
	t     *town.Town
	store *beads.Store
	poke  func()

	// mu guards the feed tail read incrementally from .events.jsonl.
	mu       sync.Mutex
	evOffset int64
	evRecent []models.Event
}

func newTownAdapter(t *town.Town, s *beads.Store, poke func()) *townAdapter {
	return &townAdapter{t: t, store: s, poke: poke}
}

func (a *townAdapter) Load(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{TownName: homeRel(a.t.Root)}
	all, err := a.t.ListConvoys(ctx, town.ConvoyListOptions{All: true})
	if err != nil {
		return snap, fmt.Errorf("list convoys: %w", err)
	}
	snap.Convoys = recentConvoys(all, 5)
	list, err := a.store.List(ctx, beads.Filter{Types: models.WorkTypes})
	if err != nil {
		return snap, fmt.Errorf("list beads: %w", err)
	}
	snap.Beads = list
	ready, err := a.store.Ready(ctx, beads.ReadyFilter{})
	if err != nil {
		return snap, fmt.Errorf("ready beads: %w", err)
	}
	snap.Ready = make(map[string]bool, len(ready))
	for _, b := range ready {
		snap.Ready[b.ID] = true
	}
	if snap.Unread, err = town.UnreadCount(ctx, a.store, overseer); err != nil {
		return snap, fmt.Errorf("unread mail: %w", err)
	}
	snap.Events = a.feedTail()
	rigs, err := a.t.ListRigs(ctx)
	if err == nil {
		for _, r := range rigs {
			snap.Prefixes = append(snap.Prefixes, r.BeadsPrefix)
		}
	}
	snap.Prefixes = append(snap.Prefixes, "hq")
	return snap, nil
}

// feedTail reads new events since the last call and returns the latest.
func (a *townAdapter) feedTail() []models.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	evs, off, err := eventlog.ReadFrom(a.t.Root, a.evOffset)
	if err == nil {
		a.evOffset = off
		for _, e := range evs {
			if e.Visibility == models.VisibilityAudit {
				continue
			}
			a.evRecent = append(a.evRecent, e)
		}
		if n := len(a.evRecent); n > maxFeedEvents {
			a.evRecent = slices.Clone(a.evRecent[n-maxFeedEvents:])
		}
	}
	return slices.Clone(a.evRecent)
}

// recentConvoys keeps every open convoy and the last keepClosed landed ones.
func recentConvoys(all []town.ConvoyView, keepClosed int) []town.ConvoyView {
	var open, closed []town.ConvoyView
	for _, c := range all {
		if c.Closed() {
			closed = append(closed, c)
		} else {
			open = append(open, c)
		}
	}
	if len(closed) > keepClosed {
		closed = closed[len(closed)-keepClosed:]
	}
	return append(open, closed...)
}

func (a *townAdapter) Targets(ctx context.Context) ([]Target, error) {
	rigs, err := a.t.RigNames()
	if err != nil {
		return nil, err
	}
	var out []Target
	for _, r := range rigs {
		out = append(out, Target{Label: r + " (new polecat)", Value: r})
	}
	for _, r := range rigs {
		pcs, err := a.t.Polecats(r)
		if err != nil {
			return nil, err
		}
		for _, p := range pcs {
			out = append(out, Target{Label: r + "/" + p + " (polecat)", Value: r + "/polecats/" + p})
		}
	}
	crew, err := a.t.ListCrew(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, c := range crew {
		out = append(out, Target{Label: c.Address + " (crew)", Value: c.Address})
	}
	out = append(out, Target{Label: "mayor", Value: "mayor"})
	return out, nil
}

func (a *townAdapter) AgentAliases() ([]string, error) {
	infos, def, err := a.t.ListAgents()
	if err != nil {
		return nil, err
	}
	names := []string{def}
	for _, i := range infos {
		if i.Name != def {
			names = append(names, i.Name)
		}
	}
	return names, nil
}

func (a *townAdapter) Sling(ctx context.Context, o town.SlingOptions) ([]string, error) {
	var buf bytes.Buffer
	o.Out = &buf
	if o.Actor == "" {
		o.Actor = overseer
	}
	_, err := a.t.Sling(ctx, o)
	return nonEmptyLines(buf.String()), err
}

func (a *townAdapter) CreateConvoy(ctx context.Context, name string, ids []string) (string, error) {
	v, err := a.t.CreateConvoy(ctx, town.ConvoyCreateOptions{Args: append([]string{name}, ids...), Actor: overseer})
	if err != nil {
		return "", err
	}
	return "✓ Created convoy 🚚 " + v.ID, nil
}

func (a *townAdapter) AddToConvoy(ctx context.Context, convoy string, ids []string) (string, error) {
	res, err := a.t.AddToConvoy(ctx, convoy, ids, overseer)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("✓ Convoy 🚚 %s now tracks %d more issue(s)", res.ID, len(res.Added)), nil
}

func (a *townAdapter) RemoveFromConvoy(ctx context.Context, convoy string, ids []string) (string, error) {
	res, err := a.t.RemoveFromConvoy(ctx, convoy, ids, overseer)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("✓ Removed %s from convoy 🚚 %s", strings.Join(res.Removed, ", "), res.ID), nil
}

func (a *townAdapter) RenameConvoy(ctx context.Context, convoy, name string) (string, error) {
	id, err := a.t.RenameConvoy(ctx, convoy, name, overseer)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("✓ Renamed convoy 🚚 %s to %q", id, strings.TrimSpace(name)), nil
}

func (a *townAdapter) CloseConvoy(ctx context.Context, convoy string) (string, error) {
	v, err := a.t.CloseConvoy(ctx, convoy, "", overseer)
	if err != nil {
		return "", err
	}
	return "✓ Closed convoy 🚚 " + v.ID, nil
}

func (a *townAdapter) CreateBead(ctx context.Context, nb NewBead) (string, error) {
	if strings.TrimSpace(nb.Title) == "" {
		return "", fmt.Errorf("title is required")
	}
	if n := len([]rune(nb.Title)); n > models.MaxTitleLen {
		return "", fmt.Errorf("title must be 500 characters or less (got %d)", n)
	}
	var created *models.Bead
	err := a.store.Write(ctx, overseer, func(tx *beads.Tx) error {
		b := models.Bead{Title: nb.Title, Description: nb.Description, Status: models.StatusOpen,
			Priority: nb.Priority, IssueType: nb.Type}
		var err error
		created, err = tx.Create(&b, beads.CreateOpts{Prefix: nb.Prefix})
		return err
	})
	if err != nil {
		return "", err
	}
	_ = eventlog.Emit(a.t.Root, eventlog.SourceBD, "bead_created", overseer,
		map[string]any{"bead": created.ID, "title": created.Title}, models.VisibilityBoth)
	if a.poke != nil {
		a.poke()
	}
	return "✓ Created issue: " + created.ID, nil
}

func (a *townAdapter) WantMayor(ctx context.Context) error {
	_, err := a.t.StartSession(ctx, "mayor", "", overseer)
	return err
}

func (a *townAdapter) Nudge(ctx context.Context, addr, message string) (string, error) {
	res, err := a.t.Nudge(ctx, town.NudgeOptions{Target: addr, Message: message, Sender: overseer})
	if err != nil {
		return "", err
	}
	if res.Queued {
		return "✓ Queued nudge for " + addr, nil
	}
	return "✓ Nudged " + addr, nil
}

// homeRel shows a path under $HOME as ~/… (the status bar's town).
func homeRel(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" || home == "/" {
		return p
	}
	if p == home {
		return "~"
	}
	if rel, ok := strings.CutPrefix(p, home+string(os.PathSeparator)); ok {
		return "~/" + rel
	}
	return p
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
