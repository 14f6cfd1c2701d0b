package models

import (
	"encoding/json"
	"time"
)

// MaxTitleLen is the longest title a bead may have, in characters.
const MaxTitleLen = 500

// Bead is one issue record. Field order follows the original beads JSONL key
// order (spec §4.7); Extra holds top-level keys gt does not know, which import
// keeps and export writes back after the known ones. Bead has its own
// MarshalJSON/UnmarshalJSON (bead_json.go): beware that embedding Bead in
// another struct promotes MarshalJSON and hides the outer fields; use
// Bead.JSONWith to add keys instead.
type Bead struct {
	ID                 string          `json:"id"`
	Title              string          `json:"title"`
	Description        string          `json:"description,omitempty"`
	Design             string          `json:"design,omitempty"`
	AcceptanceCriteria string          `json:"acceptance_criteria,omitempty"`
	Notes              string          `json:"notes,omitempty"`
	Status             Status          `json:"status,omitempty"`
	Priority           int             `json:"priority"`
	IssueType          IssueType       `json:"issue_type,omitempty"`
	Assignee           string          `json:"assignee,omitempty"`
	Owner              string          `json:"owner,omitempty"`
	EstimatedMinutes   *int            `json:"estimated_minutes,omitempty"`
	CreatedAt          time.Time       `json:"created_at"`
	CreatedBy          string          `json:"created_by,omitempty"`
	UpdatedAt          time.Time       `json:"updated_at"`
	ClosedAt           *time.Time      `json:"closed_at,omitempty"`
	CloseReason        string          `json:"close_reason,omitempty"`
	DueAt              *time.Time      `json:"due_at,omitempty"`
	DeferUntil         *time.Time      `json:"defer_until,omitempty"`
	ExternalRef        string          `json:"external_ref,omitempty"`
	Metadata           json.RawMessage `json:"metadata,omitempty"`
	Labels             []string        `json:"labels,omitempty"`
	Dependencies       []Dependency    `json:"dependencies,omitempty"`
	Comments           []Comment       `json:"comments,omitempty"`
	DeletedAt          *time.Time      `json:"deleted_at,omitempty"`
	DeletedBy          string          `json:"deleted_by,omitempty"`
	DeleteReason       string          `json:"delete_reason,omitempty"`
	Ephemeral          bool            `json:"ephemeral,omitempty"`
	Pinned             bool            `json:"pinned,omitempty"`
	IsTemplate         bool            `json:"is_template,omitempty"`
	AwaitType          string          `json:"await_type,omitempty"`
	AwaitID            string          `json:"await_id,omitempty"`
	Timeout            int64           `json:"timeout,omitempty"`
	SourceFormula      string          `json:"source_formula,omitempty"`
	HookBead           string          `json:"hook_bead,omitempty"`
	AgentState         string          `json:"agent_state,omitempty"`
	RoleType           string          `json:"role_type,omitempty"`
	Rig                string          `json:"rig,omitempty"`
	MolType            string          `json:"mol_type,omitempty"`

	// OriginalType is the type a tombstone had before deletion (original
	// beads key "original_type"). It is not in the §4.7 key list, so JSON
	// encoding writes it among the unknown keys, sorted by name.
	OriginalType string `json:"original_type,omitempty"`

	// Extra holds unknown top-level keys met on import, kept verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}
