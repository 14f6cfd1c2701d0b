package models

import (
	"encoding/json"
	"time"
)

// Visibility says where a town event is shown (spec §4.8).
type Visibility string

// Event visibilities: audit only, feed only, or both.
const (
	VisibilityAudit Visibility = "audit"
	VisibilityFeed  Visibility = "feed"
	VisibilityBoth  Visibility = "both"
)

// Event is one line of <town>/.events.jsonl.
type Event struct {
	TS         time.Time       `json:"ts"`
	Source     string          `json:"source"`
	Type       string          `json:"type"`
	Actor      string          `json:"actor"`
	Payload    json.RawMessage `json:"payload"`
	Visibility Visibility      `json:"visibility"`
}

// InFeed reports whether the event belongs in the activity feed.
func (e Event) InFeed() bool {
	return e.Visibility == VisibilityFeed || e.Visibility == VisibilityBoth
}
