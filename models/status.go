package models

import (
	"fmt"
	"strings"
)

// Status is a bead's workflow status (spec §4.3). Imported beads may carry
// statuses outside the known set; they are kept verbatim.
type Status string

// The statuses gt knows.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusBlocked    Status = "blocked"
	StatusDeferred   Status = "deferred"
	StatusClosed     Status = "closed"
	StatusHooked     Status = "hooked"
	StatusPinned     Status = "pinned"
	StatusTombstone  Status = "tombstone"
)

// Statuses lists every known status in display order.
var Statuses = []Status{
	StatusOpen, StatusInProgress, StatusBlocked, StatusDeferred,
	StatusClosed, StatusHooked, StatusPinned, StatusTombstone,
}

// String returns the status as stored.
func (s Status) String() string { return string(s) }

// Known reports whether s is one of the statuses gt knows.
func (s Status) Known() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// Active reports whether a bead in this status still blocks its dependents
// through a `blocks` edge (spec §4.5).
func (s Status) Active() bool {
	switch s {
	case StatusOpen, StatusInProgress, StatusBlocked, StatusDeferred, StatusHooked:
		return true
	}
	return false
}

// Done reports whether the status counts as finished for convoys and
// molecules (closed or tombstone).
func (s Status) Done() bool { return s == StatusClosed || s == StatusTombstone }

// ProgressGlyph is how a convoy lists a tracked bead (gt convoy show, the
// Convoys panel): ✓ done, ▶ hooked or in progress, ○ anything else.
func (s Status) ProgressGlyph() string {
	switch {
	case s.Done():
		return "✓"
	case s == StatusHooked || s == StatusInProgress:
		return "▶"
	}
	return "○"
}

// ParseStatus validates CLI input. It accepts the known statuses (case and
// the spelling "in-progress" are forgiven) and rejects everything else with
// the spec's message.
func ParseStatus(in string) (Status, error) {
	s := Status(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(in)), "-", "_"))
	if s.Known() {
		return s, nil
	}
	return "", fmt.Errorf("invalid status: %s", in)
}
