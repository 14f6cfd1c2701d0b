package dashboard

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// FeedEvent is one event of the Activity panel: the event as logged plus
// its feed symbol and a one-line summary (spec §9).
type FeedEvent struct {
	TS         time.Time         `json:"ts"`
	Source     string            `json:"source"`
	Type       string            `json:"type"`
	Actor      string            `json:"actor"`
	Payload    json.RawMessage   `json:"payload"`
	Visibility models.Visibility `json:"visibility"`
	Symbol     string            `json:"symbol"`
	Summary    string            `json:"summary"`
}

// Time is the event's local clock time, HH:MM:SS.
func (e FeedEvent) Time() string { return e.TS.Local().Format("15:04:05") }

// feedTail keeps the last feed-visible events of the town's log, reading
// only what was appended since the previous call.
type feedTail struct {
	root string
	mu   sync.Mutex
	f    *eventlog.Follower
	buf  []models.Event
}

func newFeedTail(root string) *feedTail {
	return &feedTail{root: root, f: eventlog.NewFollower(root, 0)}
}

// last returns the last maxEvents feed events, oldest first.
func (t *feedTail) last() ([]FeedEvent, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	end, err := eventlog.End(t.root)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	if end < t.f.Offset() {
		// The log was replaced; start over rather than keep stale events.
		t.buf = nil
	}
	evs, err := t.f.Poll()
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	for _, e := range evs {
		if e.InFeed() {
			t.buf = append(t.buf, e)
		}
	}
	if n := len(t.buf); n > maxEvents {
		t.buf = append([]models.Event(nil), t.buf[n-maxEvents:]...)
	}
	out := make([]FeedEvent, 0, len(t.buf))
	for _, e := range t.buf {
		sym, sum := describe(e)
		out = append(out, FeedEvent{
			TS: e.TS, Source: e.Source, Type: e.Type, Actor: e.Actor, Payload: e.Payload,
			Visibility: e.Visibility, Symbol: sym, Summary: sum,
		})
	}
	return out, nil
}

// eventPayload is the union of the payload fields of §4.8.
type eventPayload struct {
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
	ID       string `json:"id"`
	Subject  string `json:"subject"`
	Message  string `json:"message"`
	Title    string `json:"title"`
	Prefix   string `json:"prefix"`
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

// str renders a payload value that may be a string or a number.
func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// withTitle appends ": title" when there is one.
func withTitle(s, title string) string {
	if title == "" {
		return s
	}
	return s + ": " + title
}

// describe picks the feed symbol of an event and writes its summary.
func describe(e models.Event) (symbol, summary string) {
	var p eventPayload
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
		return "🪝", fmt.Sprintf("unhooked %s from %s", p.Bead, str(p.From))
	case "done":
		s := fmt.Sprintf("done %s (%s)", p.Bead, str(p.Exit))
		if p.MR != "" {
			s += ", MR " + p.MR
		}
		return "✓", s
	case "spawn":
		return "▶", fmt.Sprintf("spawned polecat %s/%s", p.Rig, p.Polecat)
	case "mail":
		return "✉", withTitle("mail to "+str(p.To), p.Subject)
	case "nudge":
		return "⚡", withTitle("nudged "+str(p.To), p.Message)
	case "nudge_failed":
		return "✗", withTitle("nudge failed for "+str(p.To), p.Message)
	case "convoy_created":
		return "🚚", withTitle("convoy "+p.Convoy+" created", p.Title)
	case "convoy_closed":
		return "🚚", withTitle("convoy "+p.Convoy+" landed", p.Title)
	case "rig_added":
		return "+", fmt.Sprintf("rig %s added", p.Rig)
	case "crew_added":
		return "+", fmt.Sprintf("crew %s/%s added", p.Rig, p.Name)
	case "session_start":
		return "▶", fmt.Sprintf("%s started (%s, pid %d)", p.Agent, p.Runtime, p.PID)
	case "session_end":
		code := 0
		if p.ExitCode != nil {
			code = *p.ExitCode
		}
		s := fmt.Sprintf("%s exited (code %d)", p.Agent, code)
		if p.Signal != "" {
			s = fmt.Sprintf("%s exited (signal %s)", p.Agent, p.Signal)
		}
		if code != 0 || p.Signal != "" {
			return "✗", s
		}
		return "■", s
	case "agent_state":
		s := fmt.Sprintf("%s %s → %s", p.Agent, str(p.From), str(p.To))
		if p.Reason != "" {
			s += " (" + p.Reason + ")"
		}
		return "→", s
	case "merge_started":
		return "⚙", fmt.Sprintf("merging %s (%s)", p.MR, p.Branch)
	case "merged":
		s := "merged " + p.MR
		if p.Commit != "" {
			s += " as " + shortSHA(p.Commit)
		}
		return "✓", s
	case "merge_failed":
		return "✗", withTitle("merge failed "+p.MR, p.Reason)
	case "merge_skipped":
		return "⚠", withTitle("merge skipped "+p.MR, p.Reason)
	case "bead_created":
		return "+", withTitle("created "+p.Bead, p.Title)
	case "bead_status":
		return "→", fmt.Sprintf("%s %s → %s", p.Bead, str(p.From), str(p.To))
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
	return "·", strings.TrimSpace(e.Type + " " + compactPayload(e.Payload))
}

// shortSHA keeps the first 8 characters of a commit.
func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// compactPayload shows an unknown event's payload, shortened.
func compactPayload(p json.RawMessage) string {
	s := string(p)
	if s == "{}" || s == "null" {
		return ""
	}
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}
