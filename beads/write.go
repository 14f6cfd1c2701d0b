package beads

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gastown/gt/models"
)

// Actors and reasons of automatic closes (spec §6.4, §7.5).
const (
	ConvoyCompletionActor  = "system:convoy-completion"
	ConvoyCompletionReason = "All tracked issues completed"
	MoleculeCompleteReason = "All steps completed"
	// DefaultCloseReason is used when CloseIssue gets an empty reason, so
	// close_reason is set whenever status is closed.
	DefaultCloseReason = "Closed"
)

// ID kinds for CreateOpts.Kind.
const (
	KindNormal = ""
	KindMol    = "mol"
	KindWisp   = "wisp"
	KindConvoy = "convoy"
)

// CreateOpts controls ID allocation in Tx.Create.
type CreateOpts struct {
	Prefix string // default: DefaultPrefix
	Parent string // full id X: the new bead is X.<n> with a parent-child edge to X
	Kind   string // KindNormal, KindMol, KindWisp or KindConvoy
}

// CloseResult is what CloseIssue did: the bead it closed and the convoys
// and molecule roots that closed with it.
type CloseResult struct {
	Closed     *models.Bead
	AutoClosed []models.Bead
}

// Update lists field changes for Tx.Update; nil pointers leave a field
// unchanged. A pointer to the zero time clears DueAt/DeferUntil; an empty
// string clears ExternalRef.
type Update struct {
	Title              *string
	Description        *string
	Design             *string
	AcceptanceCriteria *string
	Notes              *string
	AppendNotes        *string // appended to notes on a new line
	Status             *models.Status
	Priority           *int
	IssueType          *models.IssueType
	Assignee           *string
	Owner              *string
	EstimatedMinutes   *int
	DueAt              *time.Time
	DeferUntil         *time.Time
	ExternalRef        *string
	Metadata           json.RawMessage // replaces the whole object when non-nil
	Ephemeral          *bool
	Pinned             *bool
	IsTemplate         *bool
	AwaitType          *string
	AwaitID            *string
	Timeout            *int64
	SourceFormula      *string
	HookBead           *string
	AgentState         *string
	RoleType           *string
	Rig                *string
	MolType            *string
	CloseReason        *string // used when Status moves to closed
	AddLabels          []string
	RemoveLabels       []string
}

// blockedError carries the spec's close refusal message.
type blockedError struct {
	id       string
	blockers []string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("cannot close %s: blocked by open issues [%s] (use --force to override)",
		e.id, strings.Join(e.blockers, ", "))
}

func (e *blockedError) Is(target error) bool { return target == ErrBlocked }

type cycleError struct{ path []string }

func (e *cycleError) Error() string {
	return fmt.Sprintf("cannot add dependency: would create a cycle (%s)", strings.Join(e.path, " → "))
}

func (e *cycleError) Is(target error) bool { return target == ErrCycle }

type claimedError struct{ by string }

func (e *claimedError) Error() string { return "already claimed by " + e.by }

func (e *claimedError) Is(target error) bool { return target == ErrAlreadyClaimed }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// now is the write time: UTC, without the monotonic clock reading.
func (t *Tx) now() time.Time { return time.Now().UTC().Round(0) }

// ---- validation ----

// ValidateTitle applies the §4.2 title rules.
func ValidateTitle(title string) error {
	if strings.TrimSpace(title) == "" {
		return invalidf("title is required")
	}
	if n := utf8.RuneCountInString(title); n > models.MaxTitleLen {
		return invalidf("title must be %d characters or less (got %d)", models.MaxTitleLen, n)
	}
	return nil
}

func validateStatus(s models.Status) error {
	if !s.Known() || s == models.StatusTombstone {
		return invalidf("invalid status: %s", s)
	}
	return nil
}

func validateType(t models.IssueType) error {
	if strings.TrimSpace(string(t)) == "" || len(t) > 50 {
		return invalidf("invalid issue type: %s", t)
	}
	return nil
}

func validateExplicitID(id string) error {
	if id == "" || len(id) > 200 || strings.IndexFunc(id, unicode.IsSpace) >= 0 || !utf8.ValidString(id) {
		return invalidf("invalid issue id %q", id)
	}
	return nil
}

func validateLabel(l string) error {
	if strings.TrimSpace(l) == "" {
		return invalidf("label is required")
	}
	if strings.ContainsAny(l, "\n\r") || len(l) > 200 {
		return invalidf("invalid label %q", l)
	}
	return nil
}

func validateMetadata(m json.RawMessage) error {
	if len(m) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(m, &obj); err != nil || obj == nil {
		return invalidf("metadata must be a JSON object")
	}
	return nil
}

// ---- row writes ----

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullNs(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rowValues returns the column values of b in writeCols order.
func rowValues(b *models.Bead) ([]any, error) {
	var est any
	if b.EstimatedMinutes != nil {
		est = *b.EstimatedMinutes
	}
	meta := ""
	if len(b.Metadata) > 0 && !bytes.Equal(bytes.TrimSpace(b.Metadata), []byte("null")) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, b.Metadata); err != nil {
			return nil, invalidf("metadata is not valid JSON")
		}
		meta = buf.String()
	}
	extra := ""
	if len(b.Extra) > 0 {
		// No HTML escaping: unknown values must export byte for byte.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(b.Extra); err != nil {
			return nil, fmt.Errorf("encode unknown keys of %s: %w", b.ID, err)
		}
		extra = strings.TrimSuffix(buf.String(), "\n")
	}
	return []any{
		b.ID, b.Title, b.Description, b.Design, b.AcceptanceCriteria, b.Notes, string(b.Status),
		b.Priority, string(b.IssueType), b.Assignee, b.Owner, est,
		formatTime(b.CreatedAt), b.CreatedAt.UnixNano(), b.CreatedBy,
		formatTime(b.UpdatedAt), b.UpdatedAt.UnixNano(),
		nullTime(b.ClosedAt), b.CloseReason, nullTime(b.DueAt), nullTime(b.DeferUntil), nullNs(b.DeferUntil),
		nullStr(b.ExternalRef), meta, nullTime(b.DeletedAt), b.DeletedBy, b.DeleteReason, b.OriginalType,
		b.Ephemeral, b.Pinned, b.IsTemplate, b.AwaitType, b.AwaitID, b.Timeout,
		b.SourceFormula, b.HookBead, b.AgentState, b.RoleType, b.Rig, b.MolType, extra,
	}, nil
}

const writeCols = `id, title, description, design, acceptance_criteria, notes, status,
 priority, issue_type, assignee, owner, estimated_minutes,
 created_at, created_ns, created_by, updated_at, updated_ns,
 closed_at, close_reason, due_at, defer_until, defer_ns,
 external_ref, metadata, deleted_at, deleted_by, delete_reason, original_type,
 ephemeral, pinned, is_template, await_type, await_id, timeout,
 source_formula, hook_bead, agent_state, role_type, rig, mol_type, extra`

var insertSQL = `INSERT INTO issues(` + writeCols + `) VALUES(?` + strings.Repeat(",?", 40) + `)`

var updateSQL = func() string {
	cols := strings.Split(writeCols, ",")
	sets := make([]string, 0, len(cols)-1)
	for _, c := range cols[1:] {
		c = strings.TrimSpace(c)
		sets = append(sets, c+" = ?")
	}
	return `UPDATE issues SET ` + strings.Join(sets, ", ") + ` WHERE id = ?`
}()

func (t *Tx) insertRow(b *models.Bead) error {
	vals, err := rowValues(b)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, insertSQL, vals...); err != nil {
		return fmt.Errorf("insert %s: %w", b.ID, err)
	}
	if _, err := t.tx.ExecContext(t.ctx, bumpIDCountsSQL, b.ID); err != nil {
		return fmt.Errorf("insert %s: count: %w", b.ID, err)
	}
	return nil
}

func (t *Tx) updateRow(b *models.Bead) error {
	vals, err := rowValues(b)
	if err != nil {
		return err
	}
	vals = append(vals[1:], b.ID)
	if _, err := t.tx.ExecContext(t.ctx, updateSQL, vals...); err != nil {
		return fmt.Errorf("update %s: %w", b.ID, err)
	}
	return nil
}

// audit appends one row to the bead's audit trail.
func (t *Tx) audit(id, eventType, actor, oldV, newV, comment string) error {
	if actor == "" {
		actor = t.actor
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO events(issue_id, event_type, actor, old_value, new_value, comment, created_at)
		VALUES(?, ?, ?, ?, ?, ?, ?)`, id, eventType, actor, oldV, newV, comment, formatTime(t.now()))
	if err != nil {
		return fmt.Errorf("audit %s %s: %w", eventType, id, err)
	}
	return nil
}

// markDirty queues id for the next JSONL export. Ephemeral beads are never
// exported, so they are not marked.
func (t *Tx) markDirty(id string, ephemeral bool) error {
	if ephemeral {
		return nil
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT OR REPLACE INTO dirty_issues(issue_id) VALUES(?)`, id); err != nil {
		return fmt.Errorf("mark %s dirty: %w", id, err)
	}
	return nil
}

// touch bumps updated_at of id and marks it dirty.
func (t *Tx) touch(b *models.Bead) error {
	now := t.now()
	if !now.After(b.UpdatedAt) {
		now = b.UpdatedAt.Add(time.Nanosecond)
	}
	b.UpdatedAt = now
	if _, err := t.tx.ExecContext(t.ctx, `UPDATE issues SET updated_at = ?, updated_ns = ? WHERE id = ?`,
		formatTime(now), now.UnixNano(), b.ID); err != nil {
		return fmt.Errorf("touch %s: %w", b.ID, err)
	}
	return t.markDirty(b.ID, b.Ephemeral)
}

func (t *Tx) checkExternalRef(id, ref string) error {
	if ref == "" {
		return nil
	}
	var other string
	err := t.tx.QueryRowContext(t.ctx, `SELECT id FROM issues WHERE external_ref = ? AND id <> ?`, ref, id).Scan(&other)
	if isNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check external_ref: %w", err)
	}
	return &existsError{msg: fmt.Sprintf("external_ref %q is already used by %s", ref, other)}
}

// ---- Create ----

// Create validates and inserts a new bead and returns it as stored. The ID
// comes from in.ID when set (it must be free), else from o (see CreateOpts).
// Defaults: status open, priority as given (0–4), type task, created_by the
// transaction's actor, created_at/updated_at now. in.Labels and
// in.Dependencies (DependsOnID + Type) are added too.
func (t *Tx) Create(in *models.Bead, o CreateOpts) (*models.Bead, error) {
	if in == nil {
		return nil, invalidf("create: no bead given")
	}
	b := *in
	b.Labels, b.Dependencies, b.Comments = nil, nil, nil
	if err := ValidateTitle(b.Title); err != nil {
		return nil, err
	}
	if err := models.ValidatePriority(b.Priority); err != nil {
		return nil, invalidf("%s", err.Error())
	}
	if b.Status == "" {
		b.Status = models.StatusOpen
	}
	if err := validateStatus(b.Status); err != nil {
		return nil, err
	}
	if b.IssueType == "" {
		b.IssueType = models.TypeTask
	}
	if err := validateType(b.IssueType); err != nil {
		return nil, err
	}
	if b.EstimatedMinutes != nil && *b.EstimatedMinutes < 0 {
		return nil, invalidf("estimated_minutes cannot be negative")
	}
	if err := validateMetadata(b.Metadata); err != nil {
		return nil, err
	}
	for _, l := range in.Labels {
		if err := validateLabel(l); err != nil {
			return nil, err
		}
	}
	for _, d := range in.Dependencies {
		if _, err := models.ParseDepType(string(d.Type)); err != nil {
			return nil, invalidf("%s", err.Error())
		}
	}
	if b.CreatedBy == "" {
		b.CreatedBy = t.actor
	}
	now := t.now()
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = b.CreatedAt
	}
	if b.Status == models.StatusClosed {
		if b.ClosedAt == nil {
			b.ClosedAt = &now
		}
		if b.CloseReason == "" {
			b.CloseReason = DefaultCloseReason
		}
	} else {
		b.ClosedAt, b.CloseReason = nil, ""
	}

	r := t.r()
	if o.Parent != "" {
		ok, err := r.exists(o.Parent)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errNotFound(o.Parent)
		}
	}
	switch {
	case b.ID != "":
		if err := validateExplicitID(b.ID); err != nil {
			return nil, err
		}
		taken, err := r.exists(b.ID)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, &existsError{msg: fmt.Sprintf("issue %s already exists", b.ID)}
		}
	case o.Parent != "":
		id, err := t.nextChildID(o.Parent)
		if err != nil {
			return nil, err
		}
		b.ID = id
	case o.Kind == KindConvoy:
		id, err := t.newConvoyID()
		if err != nil {
			return nil, err
		}
		b.ID = id
		if in.IssueType == "" {
			b.IssueType = models.TypeConvoy
		}
	case o.Kind == KindNormal || o.Kind == KindMol || o.Kind == KindWisp:
		prefix := o.Prefix
		if prefix == "" {
			v, ok, err := r.getConfig(configPrefix)
			if err != nil {
				return nil, err
			}
			if !ok || v == "" {
				return nil, invalidf("no issue prefix configured (run bd init --prefix P)")
			}
			prefix = v
		}
		if err := ValidatePrefix(prefix); err != nil {
			return nil, err
		}
		infix := ""
		if o.Kind != KindNormal {
			infix = o.Kind + "-"
		}
		id, err := t.newHashID(prefix, infix, b.Title, b.Description, b.CreatedBy, b.CreatedAt)
		if err != nil {
			return nil, err
		}
		b.ID = id
	default:
		return nil, invalidf("invalid id kind %q (want mol, wisp or convoy)", o.Kind)
	}
	if err := t.checkExternalRef(b.ID, b.ExternalRef); err != nil {
		return nil, err
	}
	if err := t.insertRow(&b); err != nil {
		return nil, err
	}
	if err := t.audit(b.ID, "created", "", "", b.Title, ""); err != nil {
		return nil, err
	}
	if err := t.markDirty(b.ID, b.Ephemeral); err != nil {
		return nil, err
	}
	if o.Parent != "" {
		if err := t.insertDep(b.ID, o.Parent, models.DepParentChild, b.CreatedAt); err != nil {
			return nil, err
		}
	}
	for _, l := range in.Labels {
		if _, err := t.tx.ExecContext(t.ctx, `INSERT OR IGNORE INTO labels(issue_id, label) VALUES(?, ?)`, b.ID, l); err != nil {
			return nil, fmt.Errorf("label %s: %w", b.ID, err)
		}
	}
	for _, d := range in.Dependencies {
		typ := d.Type
		if typ == "" {
			typ = models.DepBlocks
		}
		if err := t.AddDependency(b.ID, d.DependsOnID, typ); err != nil {
			return nil, err
		}
	}
	return r.get(b.ID)
}

// insertDep writes an edge without checks (caller checked) plus its audit row.
func (t *Tx) insertDep(from, to string, typ models.DepType, at time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO dependencies(issue_id, depends_on_id, type, created_at, created_by)
		VALUES(?, ?, ?, ?, ?) ON CONFLICT(issue_id, depends_on_id) DO UPDATE SET type = excluded.type`,
		from, to, string(typ), formatTime(at), t.actor); err != nil {
		return fmt.Errorf("add dependency %s -> %s: %w", from, to, err)
	}
	return t.audit(from, "dependency_added", "", "", to, string(typ))
}

// ---- Update ----

// Update applies u to bead id in one step: validates every field, writes
// the row, records one audit row per changed field (status changes as
// status_changed/closed/reopened), and runs the auto-close rules when the
// status becomes closed.
func (t *Tx) Update(id string, u Update) (*models.Bead, error) {
	b, err := t.r().getBare(id)
	if err != nil {
		return nil, err
	}
	old := *b
	type change struct{ field, oldV, newV string }
	var changes []change
	str := func(field string, dst *string, v *string) {
		if v != nil && *v != *dst {
			changes = append(changes, change{field, *dst, *v})
			*dst = *v
		}
	}
	boolean := func(field string, dst *bool, v *bool) {
		if v != nil && *v != *dst {
			changes = append(changes, change{field, fmt.Sprint(*dst), fmt.Sprint(*v)})
			*dst = *v
		}
	}
	tm := func(field string, dst **time.Time, v *time.Time) {
		if v == nil {
			return
		}
		oldV := ""
		if *dst != nil {
			oldV = formatTime(**dst)
		}
		if v.IsZero() {
			if *dst != nil {
				changes = append(changes, change{field, oldV, ""})
				*dst = nil
			}
			return
		}
		nv := v.Round(0)
		if *dst == nil || !(*dst).Equal(nv) {
			changes = append(changes, change{field, oldV, formatTime(nv)})
			*dst = &nv
		}
	}
	if u.Title != nil {
		if err := ValidateTitle(*u.Title); err != nil {
			return nil, err
		}
	}
	str("title", &b.Title, u.Title)
	str("description", &b.Description, u.Description)
	str("design", &b.Design, u.Design)
	str("acceptance_criteria", &b.AcceptanceCriteria, u.AcceptanceCriteria)
	str("notes", &b.Notes, u.Notes)
	if u.AppendNotes != nil && *u.AppendNotes != "" {
		n := *u.AppendNotes
		if b.Notes != "" {
			n = b.Notes + "\n" + n
		}
		str("notes", &b.Notes, &n)
	}
	if u.Priority != nil {
		if err := models.ValidatePriority(*u.Priority); err != nil {
			return nil, invalidf("%s", err.Error())
		}
		if *u.Priority != b.Priority {
			changes = append(changes, change{"priority", fmt.Sprint(b.Priority), fmt.Sprint(*u.Priority)})
			b.Priority = *u.Priority
		}
	}
	if u.IssueType != nil {
		if err := validateType(*u.IssueType); err != nil {
			return nil, err
		}
		s := string(*u.IssueType)
		cur := string(b.IssueType)
		str("issue_type", &cur, &s)
		b.IssueType = models.IssueType(cur)
	}
	str("assignee", &b.Assignee, u.Assignee)
	str("owner", &b.Owner, u.Owner)
	if u.EstimatedMinutes != nil {
		if *u.EstimatedMinutes < 0 {
			return nil, invalidf("estimated_minutes cannot be negative")
		}
		if b.EstimatedMinutes == nil || *b.EstimatedMinutes != *u.EstimatedMinutes {
			oldV := ""
			if b.EstimatedMinutes != nil {
				oldV = fmt.Sprint(*b.EstimatedMinutes)
			}
			n := *u.EstimatedMinutes
			changes = append(changes, change{"estimated_minutes", oldV, fmt.Sprint(n)})
			b.EstimatedMinutes = &n
		}
	}
	tm("due_at", &b.DueAt, u.DueAt)
	tm("defer_until", &b.DeferUntil, u.DeferUntil)
	if u.ExternalRef != nil {
		if err := t.checkExternalRef(id, *u.ExternalRef); err != nil {
			return nil, err
		}
	}
	str("external_ref", &b.ExternalRef, u.ExternalRef)
	if u.Metadata != nil {
		if err := validateMetadata(u.Metadata); err != nil {
			return nil, err
		}
		if !bytes.Equal(u.Metadata, b.Metadata) {
			changes = append(changes, change{"metadata", string(b.Metadata), string(u.Metadata)})
			b.Metadata = append(json.RawMessage(nil), u.Metadata...)
		}
	}
	boolean("ephemeral", &b.Ephemeral, u.Ephemeral)
	boolean("pinned", &b.Pinned, u.Pinned)
	boolean("is_template", &b.IsTemplate, u.IsTemplate)
	str("await_type", &b.AwaitType, u.AwaitType)
	str("await_id", &b.AwaitID, u.AwaitID)
	if u.Timeout != nil && *u.Timeout != b.Timeout {
		changes = append(changes, change{"timeout", fmt.Sprint(b.Timeout), fmt.Sprint(*u.Timeout)})
		b.Timeout = *u.Timeout
	}
	str("source_formula", &b.SourceFormula, u.SourceFormula)
	str("hook_bead", &b.HookBead, u.HookBead)
	str("agent_state", &b.AgentState, u.AgentState)
	str("role_type", &b.RoleType, u.RoleType)
	str("rig", &b.Rig, u.Rig)
	str("mol_type", &b.MolType, u.MolType)

	statusChanged := false
	if u.Status != nil && *u.Status != b.Status {
		if err := validateStatus(*u.Status); err != nil {
			return nil, err
		}
		statusChanged = true
		b.Status = *u.Status
		if b.Status == models.StatusClosed {
			now := t.now()
			b.ClosedAt = &now
			b.CloseReason = DefaultCloseReason
			if u.CloseReason != nil && *u.CloseReason != "" {
				b.CloseReason = *u.CloseReason
			}
		} else {
			b.ClosedAt, b.CloseReason = nil, ""
		}
	}
	for _, l := range append(append([]string(nil), u.AddLabels...), u.RemoveLabels...) {
		if err := validateLabel(l); err != nil {
			return nil, err
		}
	}

	if len(changes) > 0 || statusChanged {
		now := t.now()
		if !now.After(b.UpdatedAt) {
			now = b.UpdatedAt.Add(time.Nanosecond)
		}
		b.UpdatedAt = now
		if err := t.updateRow(b); err != nil {
			return nil, err
		}
		for _, c := range changes {
			if err := t.audit(id, "updated", "", c.oldV, c.newV, c.field); err != nil {
				return nil, err
			}
		}
		if statusChanged {
			if err := t.auditStatus(id, old.Status, b.Status, b.CloseReason, ""); err != nil {
				return nil, err
			}
		}
		// A bead that stops being ephemeral must reach the JSONL, and one
		// that becomes ephemeral must leave it.
		if err := t.markDirty(id, old.Ephemeral && b.Ephemeral); err != nil {
			return nil, err
		}
	}
	for _, l := range u.AddLabels {
		if err := t.AddLabel(id, l); err != nil {
			return nil, err
		}
	}
	for _, l := range u.RemoveLabels {
		if err := t.RemoveLabel(id, l); err != nil {
			return nil, err
		}
	}
	if statusChanged && b.Status == models.StatusClosed {
		if _, err := t.autoClose(id); err != nil {
			return nil, err
		}
	}
	return t.r().get(id)
}

func (t *Tx) auditStatus(id string, from, to models.Status, reason, actor string) error {
	ev := "status_changed"
	switch {
	case to == models.StatusClosed:
		ev = "closed"
	case from == models.StatusClosed:
		ev = "reopened"
	}
	return t.audit(id, ev, actor, string(from), string(to), reason)
}

// Claim atomically assigns id to actor and sets it in_progress, unless
// someone else already holds it: `already claimed by <a>` (ErrAlreadyClaimed).
// Claiming a bead one already holds is a no-op success.
func (t *Tx) Claim(id, actor string) (*models.Bead, error) {
	if actor == "" {
		return nil, invalidf("claim: actor is required")
	}
	b, err := t.r().getBare(id)
	if err != nil {
		return nil, err
	}
	if b.Status.Done() {
		return nil, invalidf("cannot claim %s: it is %s", id, b.Status)
	}
	if b.Assignee != "" && b.Assignee != actor {
		return nil, &claimedError{by: b.Assignee}
	}
	if b.Assignee == actor && b.Status == models.StatusInProgress {
		return t.r().get(id)
	}
	st := models.StatusInProgress
	return t.Update(id, Update{Assignee: &actor, Status: &st})
}

// CloseIssue closes id with reason (DefaultCloseReason when empty). Unless
// force, it refuses while id is blocked: `cannot close X: blocked by open
// issues [A, B] (use --force to override)` (ErrBlocked). In the same
// transaction it closes every open convoy whose tracked beads are now all
// closed or tombstoned, and the molecule root whose steps are now all done,
// repeatedly (a closed molecule may land a convoy).
func (t *Tx) CloseIssue(id, reason string, force bool) (CloseResult, error) {
	b, err := t.r().getBare(id)
	if err != nil {
		return CloseResult{}, err
	}
	if b.Status == models.StatusClosed {
		return CloseResult{}, invalidf("%s is already closed", id)
	}
	if b.Status == models.StatusTombstone {
		return CloseResult{}, invalidf("%s is deleted (tombstone)", id)
	}
	if !force {
		blockers, err := t.r().blockersOf(id)
		if err != nil {
			return CloseResult{}, err
		}
		if len(blockers) > 0 {
			return CloseResult{}, &blockedError{id: id, blockers: blockers}
		}
	}
	if err := t.closeRow(b, reason, ""); err != nil {
		return CloseResult{}, err
	}
	auto, err := t.autoClose(id)
	if err != nil {
		return CloseResult{}, err
	}
	closed, err := t.r().get(id)
	if err != nil {
		return CloseResult{}, err
	}
	return CloseResult{Closed: closed, AutoClosed: auto}, nil
}

func (t *Tx) closeRow(b *models.Bead, reason, actor string) error {
	if reason == "" {
		reason = DefaultCloseReason
	}
	from := b.Status
	now := t.now()
	if !now.After(b.UpdatedAt) {
		now = b.UpdatedAt.Add(time.Nanosecond)
	}
	b.Status, b.ClosedAt, b.CloseReason, b.UpdatedAt = models.StatusClosed, &now, reason, now
	if err := t.updateRow(b); err != nil {
		return err
	}
	if err := t.auditStatus(b.ID, from, models.StatusClosed, reason, actor); err != nil {
		return err
	}
	return t.markDirty(b.ID, b.Ephemeral)
}

// autoClose lands convoys and completes molecule roots after id closed.
func (t *Tx) autoClose(id string) ([]models.Bead, error) {
	r := t.r()
	var out []models.Bead
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		convoys, err := r.strings(`SELECT c.id FROM dependencies d JOIN issues c ON c.id = d.issue_id
			WHERE d.depends_on_id = ? AND d.type = 'tracks' AND c.issue_type = 'convoy'
			  AND c.status NOT IN ('closed', 'tombstone') ORDER BY c.id`, cur)
		if err != nil {
			return nil, fmt.Errorf("convoys tracking %s: %w", cur, err)
		}
		for _, c := range convoys {
			var open int
			if err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM dependencies d LEFT JOIN issues x ON x.id = d.depends_on_id
				WHERE d.issue_id = ? AND d.type = 'tracks' AND coalesce(x.status, '') NOT IN ('closed', 'tombstone')`, c).Scan(&open); err != nil {
				return nil, fmt.Errorf("convoy %s progress: %w", c, err)
			}
			if open > 0 {
				continue
			}
			cb, err := r.getBare(c)
			if err != nil {
				return nil, err
			}
			if err := t.closeRow(cb, ConvoyCompletionReason, ConvoyCompletionActor); err != nil {
				return nil, err
			}
			out = append(out, *cb)
			queue = append(queue, c)
		}
		mols, err := r.strings(`SELECT p.id FROM dependencies d JOIN issues p ON p.id = d.depends_on_id
			WHERE d.issue_id = ? AND d.type = 'parent-child' AND p.issue_type = 'molecule'
			  AND p.status NOT IN ('closed', 'tombstone')`, cur)
		if err != nil {
			return nil, fmt.Errorf("molecule of %s: %w", cur, err)
		}
		for _, m := range mols {
			var open int
			if err := t.tx.QueryRowContext(t.ctx, `SELECT count(*) FROM dependencies d JOIN issues x ON x.id = d.issue_id
				WHERE d.depends_on_id = ? AND d.type = 'parent-child' AND x.status NOT IN ('closed', 'tombstone')`, m).Scan(&open); err != nil {
				return nil, fmt.Errorf("molecule %s progress: %w", m, err)
			}
			if open > 0 {
				continue
			}
			mb, err := r.getBare(m)
			if err != nil {
				return nil, err
			}
			if err := t.closeRow(mb, MoleculeCompleteReason, ""); err != nil {
				return nil, err
			}
			out = append(out, *mb)
			queue = append(queue, m)
		}
	}
	for i := range out {
		full, err := r.get(out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i] = *full
	}
	return out, nil
}

// Reopen moves a closed bead back to open and clears closed_at and
// close_reason.
func (t *Tx) Reopen(id string) (*models.Bead, error) {
	b, err := t.r().getBare(id)
	if err != nil {
		return nil, err
	}
	if b.Status != models.StatusClosed {
		return nil, invalidf("%s is not closed (status %s)", id, b.Status)
	}
	st := models.StatusOpen
	return t.Update(id, Update{Status: &st})
}

// ---- dependencies ----

// AddDependency records that from depends on to with type typ (empty =
// blocks). Checks, in order (spec §4.5): from exists, to exists, not the
// same bead, and no cycle over all edge types except relates-to. Adding an
// existing pair again changes its type; the same type is a no-op.
func (t *Tx) AddDependency(from, to string, typ models.DepType) error {
	if typ == "" {
		typ = models.DepBlocks
	}
	if _, err := models.ParseDepType(string(typ)); err != nil {
		return invalidf("%s", err.Error())
	}
	r := t.r()
	fb, err := r.getBare(from)
	if err != nil {
		return err
	}
	ok, err := r.exists(to)
	if err != nil {
		return err
	}
	if !ok {
		return errNotFound(to)
	}
	if from == to {
		return invalidf("issue cannot depend on itself")
	}
	var cur string
	err = t.tx.QueryRowContext(t.ctx, `SELECT type FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`, from, to).Scan(&cur)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("add dependency: %w", err)
	}
	if err == nil && models.DepType(cur) == typ {
		return nil
	}
	if typ != models.DepRelatesTo {
		path, err := t.pathBetween(to, from)
		if err != nil {
			return err
		}
		if path != nil {
			return &cycleError{path: append([]string{from}, path...)}
		}
	}
	if err := t.insertDep(from, to, typ, t.now()); err != nil {
		return err
	}
	return t.touch(fb)
}

// pathBetween finds a path start → … → goal over edges (issue_id →
// depends_on_id) of every type but relates-to; nil when there is none.
func (t *Tx) pathBetween(start, goal string) ([]string, error) {
	prev := map[string]string{start: ""}
	queue := []string{start}
	r := t.r()
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == goal {
			var path []string
			for n := cur; n != ""; n = prev[n] {
				path = append(path, n)
			}
			for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
				path[i], path[j] = path[j], path[i]
			}
			return path, nil
		}
		next, err := r.strings(`SELECT depends_on_id FROM dependencies WHERE issue_id = ? AND type <> 'relates-to' ORDER BY depends_on_id`, cur)
		if err != nil {
			return nil, fmt.Errorf("cycle check: %w", err)
		}
		for _, n := range next {
			if _, seen := prev[n]; !seen {
				prev[n] = cur
				queue = append(queue, n)
			}
		}
	}
	return nil, nil
}

// RemoveDependency deletes the edge from → to (of any type).
func (t *Tx) RemoveDependency(from, to string) error {
	fb, err := t.r().getBare(from)
	if err != nil {
		return err
	}
	var typ string
	err = t.tx.QueryRowContext(t.ctx, `SELECT type FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`, from, to).Scan(&typ)
	if isNoRows(err) {
		return fmt.Errorf("%s does not depend on %s: %w", from, to, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("remove dependency: %w", err)
	}
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM dependencies WHERE issue_id = ? AND depends_on_id = ?`, from, to); err != nil {
		return fmt.Errorf("remove dependency %s -> %s: %w", from, to, err)
	}
	if err := t.audit(from, "dependency_removed", "", to, "", typ); err != nil {
		return err
	}
	return t.touch(fb)
}

// ---- labels, comments, metadata ----

// AddLabel adds label to id (no-op when present).
func (t *Tx) AddLabel(id, label string) error {
	if err := validateLabel(label); err != nil {
		return err
	}
	b, err := t.r().getBare(id)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `INSERT OR IGNORE INTO labels(issue_id, label) VALUES(?, ?)`, id, label)
	if err != nil {
		return fmt.Errorf("add label to %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := t.audit(id, "label_added", "", "", label, ""); err != nil {
		return err
	}
	return t.touch(b)
}

// RemoveLabel removes label from id (no-op when absent).
func (t *Tx) RemoveLabel(id, label string) error {
	b, err := t.r().getBare(id)
	if err != nil {
		return err
	}
	res, err := t.tx.ExecContext(t.ctx, `DELETE FROM labels WHERE issue_id = ? AND label = ?`, id, label)
	if err != nil {
		return fmt.Errorf("remove label from %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := t.audit(id, "label_removed", "", label, "", ""); err != nil {
		return err
	}
	return t.touch(b)
}

// AddComment appends a comment by author (the transaction's actor when
// empty) and returns it.
func (t *Tx) AddComment(id, author, text string) (*models.Comment, error) {
	if strings.TrimSpace(text) == "" {
		return nil, invalidf("comment text is required")
	}
	b, err := t.r().getBare(id)
	if err != nil {
		return nil, err
	}
	if author == "" {
		author = t.actor
	}
	now := t.now()
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO comments(issue_id, author, text, created_at, created_ns) VALUES(?, ?, ?, ?, ?)`,
		id, author, text, formatTime(now), now.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("add comment to %s: %w", id, err)
	}
	cid, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("add comment to %s: %w", id, err)
	}
	if err := t.audit(id, "commented", author, "", text, ""); err != nil {
		return nil, err
	}
	if err := t.touch(b); err != nil {
		return nil, err
	}
	return &models.Comment{ID: cid, IssueID: id, Author: author, Text: text, CreatedAt: now}, nil
}

// SetMetadata sets metadata[key] to value encoded as JSON, keeping the other
// keys (a json.RawMessage value is stored as is). A nil value deletes key.
func (t *Tx) SetMetadata(id string, key string, value any) error {
	if key == "" {
		return invalidf("metadata key is required")
	}
	b, err := t.r().getBare(id)
	if err != nil {
		return err
	}
	obj := map[string]json.RawMessage{}
	if len(b.Metadata) > 0 {
		if err := json.Unmarshal(b.Metadata, &obj); err != nil || obj == nil {
			return fmt.Errorf("metadata of %s is not a JSON object", id)
		}
	}
	if value == nil {
		if _, ok := obj[key]; !ok {
			return nil
		}
		delete(obj, key)
	} else {
		raw, err := json.Marshal(value)
		if err != nil {
			return invalidf("metadata %s: %v", key, err)
		}
		obj[key] = raw
	}
	raw, err := json.Marshal(obj) // map keys come out sorted
	if err != nil {
		return fmt.Errorf("encode metadata of %s: %w", id, err)
	}
	return t.setMetadataRaw(b, raw, key)
}

func (t *Tx) setMetadataRaw(b *models.Bead, raw json.RawMessage, key string) error {
	oldV := string(b.Metadata)
	b.Metadata = raw
	now := t.now()
	if !now.After(b.UpdatedAt) {
		now = b.UpdatedAt.Add(time.Nanosecond)
	}
	b.UpdatedAt = now
	if err := t.updateRow(b); err != nil {
		return err
	}
	if err := t.audit(b.ID, "updated", "", oldV, string(raw), "metadata."+key); err != nil {
		return err
	}
	return t.markDirty(b.ID, b.Ephemeral)
}
