package dashboard

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/gastown/gt/app/town"
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
		// One describer for the feed, the TUI and the dashboard.
		d := town.DescribeEvent(e)
		out = append(out, FeedEvent{
			TS: e.TS, Source: e.Source, Type: e.Type, Actor: d.Actor, Payload: e.Payload,
			Visibility: e.Visibility, Symbol: d.Symbol, Summary: d.Summary,
		})
	}
	return out, nil
}
