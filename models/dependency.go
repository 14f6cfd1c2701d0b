package models

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DepType is the type of a dependency edge (spec §4.5). Any string of at most
// 50 characters is accepted; the known ones below carry meaning.
type DepType string

// The dependency types with meaning.
const (
	DepBlocks            DepType = "blocks"
	DepParentChild       DepType = "parent-child"
	DepConditionalBlocks DepType = "conditional-blocks"
	DepWaitsFor          DepType = "waits-for"
	DepTracks            DepType = "tracks"
	DepRelated           DepType = "related"
	DepRelatesTo         DepType = "relates-to"
	DepDiscoveredFrom    DepType = "discovered-from"
	DepDuplicates        DepType = "duplicates"
	DepSupersedes        DepType = "supersedes"
	DepRepliesTo         DepType = "replies-to"
)

// String returns the type as stored.
func (d DepType) String() string { return string(d) }

// Blocking reports whether an edge of this type can keep its source from
// being ready (parent-child propagates blocking and counts here too).
func (d DepType) Blocking() bool {
	switch d {
	case DepBlocks, DepParentChild, DepConditionalBlocks, DepWaitsFor:
		return true
	}
	return false
}

// ParseDepType validates a dependency type given on the command line.
func ParseDepType(in string) (DepType, error) {
	s := strings.TrimSpace(in)
	if s == "" {
		return DepBlocks, nil
	}
	if len(s) > 50 {
		return "", fmt.Errorf("invalid dependency type: %q is longer than 50 characters", s)
	}
	return DepType(s), nil
}

// Dependency is one edge: IssueID depends on DependsOnID.
type Dependency struct {
	IssueID     string    `json:"issue_id"`
	DependsOnID string    `json:"depends_on_id"`
	Type        DepType   `json:"type"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by,omitempty"`
}

// failureWords are the close-reason words that satisfy a conditional-blocks
// edge (spec §4.5).
var failureWords = []string{
	"failed", "rejected", "wontfix", "canceled", "cancelled",
	"abandoned", "error", "timeout", "aborted",
}

// FailureWords returns the close-reason words that mean a bead failed
// (lower case; a reason containing any of them, in any case, is a failure).
func FailureWords() []string { return slices.Clone(failureWords) }
