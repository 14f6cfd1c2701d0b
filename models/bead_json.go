package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// BeadKeys lists the known top-level JSON keys of a bead in the original
// beads order (spec §4.7). Unknown keys follow them, sorted by name.
var BeadKeys = []string{
	"id", "title", "description", "design", "acceptance_criteria", "notes", "status", "priority",
	"issue_type", "assignee", "owner", "estimated_minutes", "created_at", "created_by", "updated_at",
	"closed_at", "close_reason", "due_at", "defer_until", "external_ref", "metadata", "labels",
	"dependencies", "comments", "deleted_at", "deleted_by", "delete_reason", "ephemeral", "pinned",
	"is_template", "await_type", "await_id", "timeout", "source_formula", "hook_bead", "agent_state",
	"role_type", "rig", "mol_type",
}

// keyOriginalType is known to gt (it has a column) but is not in the §4.7
// list, so it is written among the unknown keys.
const keyOriginalType = "original_type"

type jsonField struct {
	key string
	raw []byte
}

// MarshalJSON writes the bead as one compact object: known keys in the §4.7
// order with empty values omitted (id, title, priority, created_at and
// updated_at are always written), then original_type and Extra keys sorted by
// name.
func (b Bead) MarshalJSON() ([]byte, error) {
	fields, err := b.jsonFields()
	if err != nil {
		return nil, err
	}
	return writeObject(fields), nil
}

// JSONWith encodes the bead like MarshalJSON and then appends the given keys
// (sorted by name); a key the bead already has is replaced in place. It is the
// way to add presentation keys (e.g. "dependents") without embedding Bead.
func (b Bead) JSONWith(extra map[string]any) ([]byte, error) {
	fields, err := b.jsonFields()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(extra))
	for k := range extra {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		raw, err := marshalNoEscape(extra[k])
		if err != nil {
			return nil, fmt.Errorf("encode key %q: %w", k, err)
		}
		replaced := false
		for i := range fields {
			if fields[i].key == k {
				fields[i].raw = raw
				replaced = true
				break
			}
		}
		if !replaced {
			fields = append(fields, jsonField{k, raw})
		}
	}
	return writeObject(fields), nil
}

func writeObject(fields []jsonField) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := marshalNoEscape(f.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(f.raw)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func compactRaw(key string, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, fmt.Errorf("encode key %q: %w", key, err)
	}
	return buf.Bytes(), nil
}

func (b Bead) jsonFields() ([]jsonField, error) {
	fields := make([]jsonField, 0, 24)
	var firstErr error
	add := func(key string, v any) {
		raw, err := marshalNoEscape(v)
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("encode key %q: %w", key, err)
		}
		fields = append(fields, jsonField{key, raw})
	}
	str := func(key, v string) {
		if v != "" {
			add(key, v)
		}
	}
	tm := func(key string, v *time.Time) {
		if v != nil {
			add(key, *v)
		}
	}
	flag := func(key string, v bool) {
		if v {
			add(key, true)
		}
	}
	add("id", b.ID)
	add("title", b.Title)
	str("description", b.Description)
	str("design", b.Design)
	str("acceptance_criteria", b.AcceptanceCriteria)
	str("notes", b.Notes)
	str("status", string(b.Status))
	add("priority", b.Priority)
	str("issue_type", string(b.IssueType))
	str("assignee", b.Assignee)
	str("owner", b.Owner)
	if b.EstimatedMinutes != nil {
		add("estimated_minutes", *b.EstimatedMinutes)
	}
	add("created_at", b.CreatedAt)
	str("created_by", b.CreatedBy)
	add("updated_at", b.UpdatedAt)
	tm("closed_at", b.ClosedAt)
	str("close_reason", b.CloseReason)
	tm("due_at", b.DueAt)
	tm("defer_until", b.DeferUntil)
	str("external_ref", b.ExternalRef)
	if len(b.Metadata) > 0 && !bytes.Equal(bytes.TrimSpace(b.Metadata), []byte("null")) {
		raw, err := compactRaw("metadata", b.Metadata)
		if err != nil {
			return nil, err
		}
		fields = append(fields, jsonField{"metadata", raw})
	}
	if len(b.Labels) > 0 {
		add("labels", b.Labels)
	}
	if len(b.Dependencies) > 0 {
		add("dependencies", b.Dependencies)
	}
	if len(b.Comments) > 0 {
		add("comments", b.Comments)
	}
	tm("deleted_at", b.DeletedAt)
	str("deleted_by", b.DeletedBy)
	str("delete_reason", b.DeleteReason)
	flag("ephemeral", b.Ephemeral)
	flag("pinned", b.Pinned)
	flag("is_template", b.IsTemplate)
	str("await_type", b.AwaitType)
	str("await_id", b.AwaitID)
	if b.Timeout != 0 {
		add("timeout", b.Timeout)
	}
	str("source_formula", b.SourceFormula)
	str("hook_bead", b.HookBead)
	str("agent_state", b.AgentState)
	str("role_type", b.RoleType)
	str("rig", b.Rig)
	str("mol_type", b.MolType)
	if firstErr != nil {
		return nil, firstErr
	}

	tail := make([]jsonField, 0, len(b.Extra)+1)
	if b.OriginalType != "" {
		raw, _ := marshalNoEscape(b.OriginalType)
		tail = append(tail, jsonField{keyOriginalType, raw})
	}
	for k, v := range b.Extra {
		if isKnownKey(k) || k == keyOriginalType {
			continue // a known field always wins over a stale Extra entry
		}
		raw, err := compactRaw(k, v)
		if err != nil {
			return nil, err
		}
		tail = append(tail, jsonField{k, raw})
	}
	sort.Slice(tail, func(i, j int) bool { return tail[i].key < tail[j].key })
	return append(fields, tail...), nil
}

func isKnownKey(k string) bool {
	for _, known := range BeadKeys {
		if k == known {
			return true
		}
	}
	return false
}

// UnmarshalJSON decodes one bead object. Keys are matched exactly (not
// case-insensitively); unknown keys go to Extra verbatim. A null value leaves
// the field at its zero value. A value of the wrong JSON type is an error
// naming the key.
func (b *Bead) UnmarshalJSON(data []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	if obj == nil {
		return fmt.Errorf("bead must be a JSON object, not null")
	}
	*b = Bead{}
	for k, raw := range obj {
		if err := b.setKey(k, raw); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bead) setKey(k string, raw json.RawMessage) error {
	isNull := bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	var target any
	switch k {
	case "id":
		target = &b.ID
	case "title":
		target = &b.Title
	case "description":
		target = &b.Description
	case "design":
		target = &b.Design
	case "acceptance_criteria":
		target = &b.AcceptanceCriteria
	case "notes":
		target = &b.Notes
	case "status":
		target = &b.Status
	case "priority":
		target = &b.Priority
	case "issue_type":
		target = &b.IssueType
	case "assignee":
		target = &b.Assignee
	case "owner":
		target = &b.Owner
	case "estimated_minutes":
		target = &b.EstimatedMinutes
	case "created_at":
		target = &b.CreatedAt
	case "created_by":
		target = &b.CreatedBy
	case "updated_at":
		target = &b.UpdatedAt
	case "closed_at":
		target = &b.ClosedAt
	case "close_reason":
		target = &b.CloseReason
	case "due_at":
		target = &b.DueAt
	case "defer_until":
		target = &b.DeferUntil
	case "external_ref":
		target = &b.ExternalRef
	case "metadata":
		if isNull {
			return nil
		}
		if !json.Valid(raw) {
			return fmt.Errorf("key %q: invalid JSON", k)
		}
		b.Metadata = append(json.RawMessage(nil), raw...)
		return nil
	case "labels":
		target = &b.Labels
	case "dependencies":
		target = &b.Dependencies
	case "comments":
		target = &b.Comments
	case "deleted_at":
		target = &b.DeletedAt
	case "deleted_by":
		target = &b.DeletedBy
	case "delete_reason":
		target = &b.DeleteReason
	case "ephemeral":
		target = &b.Ephemeral
	case "pinned":
		target = &b.Pinned
	case "is_template":
		target = &b.IsTemplate
	case "await_type":
		target = &b.AwaitType
	case "await_id":
		target = &b.AwaitID
	case "timeout":
		target = &b.Timeout
	case "source_formula":
		target = &b.SourceFormula
	case "hook_bead":
		target = &b.HookBead
	case "agent_state":
		target = &b.AgentState
	case "role_type":
		target = &b.RoleType
	case "rig":
		target = &b.Rig
	case "mol_type":
		target = &b.MolType
	case keyOriginalType:
		target = &b.OriginalType
	default:
		if b.Extra == nil {
			b.Extra = make(map[string]json.RawMessage)
		}
		b.Extra[k] = append(json.RawMessage(nil), raw...)
		return nil
	}
	if isNull {
		return nil
	}
	if err := json.Unmarshal(raw, target); err != nil {
		return fmt.Errorf("key %q: %w", k, err)
	}
	return nil
}
