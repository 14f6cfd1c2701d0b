package models

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestBeadUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		check   func(b Bead) bool
		wantErr string
	}{
		{"exact keys only", `{"id":"a","Title":"x"}`, func(b Bead) bool { return b.Title == "" && string(b.Extra["Title"]) == `"x"` }, ""},
		{"nulls are zero", `{"id":"a","closed_at":null,"description":null,"metadata":null}`, func(b Bead) bool {
			return b.ClosedAt == nil && b.Description == "" && b.Metadata == nil
		}, ""},
		{"pointer zero kept", `{"id":"a","estimated_minutes":0}`, func(b Bead) bool { return b.EstimatedMinutes != nil && *b.EstimatedMinutes == 0 }, ""},
		{"unknown kept raw", `{"id":"a","x":{"b": [1]}}`, func(b Bead) bool { return string(b.Extra["x"]) == `{"b": [1]}` }, ""},
		{"original_type", `{"id":"a","original_type":"bug"}`, func(b Bead) bool { return b.OriginalType == "bug" && b.Extra == nil }, ""},
		{"wrong type", `{"id":"a","pinned":"yes"}`, nil, `key "pinned"`},
		{"bad metadata", `{"id":"a","metadata":{]}`, nil, "invalid"},
		{"not an object", `[1]`, nil, "cannot unmarshal"},
		{"null", `null`, nil, "not null"},
	}
	for _, tt := range tests {
		var b Bead
		err := json.Unmarshal([]byte(tt.in), &b)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(b) {
			t.Errorf("%s: %+v, %v", tt.name, b, err)
		}
	}
}

func TestBeadMarshalOmitsEmpty(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	zero := 0
	tests := []struct {
		name string
		b    Bead
		want string
	}{
		{"minimal", Bead{ID: "a", Title: "t", CreatedAt: at, UpdatedAt: at},
			`{"id":"a","title":"t","priority":0,"created_at":"2026-01-02T03:04:05.000000006Z","updated_at":"2026-01-02T03:04:05.000000006Z"}`},
		{"html not escaped, zero estimate kept", Bead{ID: "a", Title: "<&>", EstimatedMinutes: &zero, CreatedAt: at, UpdatedAt: at, Labels: []string{}},
			`{"id":"a","title":"<&>","priority":0,"estimated_minutes":0,"created_at":"2026-01-02T03:04:05.000000006Z","updated_at":"2026-01-02T03:04:05.000000006Z"}`},
		{"null metadata omitted", Bead{ID: "a", Title: "t", CreatedAt: at, UpdatedAt: at, Metadata: json.RawMessage(`null`), Timeout: 5},
			`{"id":"a","title":"t","priority":0,"created_at":"2026-01-02T03:04:05.000000006Z","updated_at":"2026-01-02T03:04:05.000000006Z","timeout":5}`},
	}
	for _, tt := range tests {
		// Direct call: json.Marshal would re-escape HTML in the result.
		got, err := tt.b.MarshalJSON()
		if err != nil || string(got) != tt.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", tt.name, got, err, tt.want)
		}
	}
	if _, err := json.Marshal(Bead{Metadata: json.RawMessage(`{bad`)}); err == nil {
		t.Error("invalid metadata marshalled")
	}
}
