package models

import "time"

// Comment is a note attached to a bead.
type Comment struct {
	ID        int64     `json:"id"`
	IssueID   string    `json:"issue_id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditEvent is one row of a bead's audit trail (the `events` table).
type AuditEvent struct {
	ID        int64     `json:"id"`
	IssueID   string    `json:"issue_id"`
	EventType string    `json:"event_type"`
	Actor     string    `json:"actor"`
	OldValue  string    `json:"old_value,omitempty"`
	NewValue  string    `json:"new_value,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}
