package beads

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/models"
)

// beadCols is the column list every bead query selects, in scanBead order.
const beadCols = `i.id, i.title, i.description, i.design, i.acceptance_criteria, i.notes, i.status,
 i.priority, i.issue_type, i.assignee, i.owner, i.estimated_minutes, i.created_at, i.created_by,
 i.updated_at, i.closed_at, i.close_reason, i.due_at, i.defer_until, i.external_ref, i.metadata,
 i.deleted_at, i.deleted_by, i.delete_reason, i.original_type, i.ephemeral, i.pinned, i.is_template,
 i.await_type, i.await_id, i.timeout, i.source_formula, i.hook_bead, i.agent_state, i.role_type,
 i.rig, i.mol_type, i.extra`

type rowScanner interface{ Scan(dest ...any) error }

func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func optTime(ns sql.NullString) (*time.Time, error) {
	if !ns.Valid || ns.String == "" {
		return nil, nil
	}
	t, err := parseTime(ns.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func scanBead(sc rowScanner) (models.Bead, error) {
	var (
		b                                  models.Bead
		est                                sql.NullInt64
		created, updated                   string
		closed, due, deferU, extRef, delAt sql.NullString
		meta, extra, status, itype         string
		ephemeral, pinned, template        bool
	)
	err := sc.Scan(&b.ID, &b.Title, &b.Description, &b.Design, &b.AcceptanceCriteria, &b.Notes, &status,
		&b.Priority, &itype, &b.Assignee, &b.Owner, &est, &created, &b.CreatedBy,
		&updated, &closed, &b.CloseReason, &due, &deferU, &extRef, &meta,
		&delAt, &b.DeletedBy, &b.DeleteReason, &b.OriginalType, &ephemeral, &pinned, &template,
		&b.AwaitType, &b.AwaitID, &b.Timeout, &b.SourceFormula, &b.HookBead, &b.AgentState, &b.RoleType,
		&b.Rig, &b.MolType, &extra)
	if err != nil {
		return b, err
	}
	b.Status = models.Status(status)
	b.IssueType = models.IssueType(itype)
	b.Ephemeral, b.Pinned, b.IsTemplate = ephemeral, pinned, template
	if est.Valid {
		n := int(est.Int64)
		b.EstimatedMinutes = &n
	}
	if b.CreatedAt, err = parseTime(created); err != nil {
		return b, fmt.Errorf("bead %s: created_at: %w", b.ID, err)
	}
	if b.UpdatedAt, err = parseTime(updated); err != nil {
		return b, fmt.Errorf("bead %s: updated_at: %w", b.ID, err)
	}
	for _, f := range []struct {
		dst **time.Time
		src sql.NullString
	}{{&b.ClosedAt, closed}, {&b.DueAt, due}, {&b.DeferUntil, deferU}, {&b.DeletedAt, delAt}} {
		if *f.dst, err = optTime(f.src); err != nil {
			return b, fmt.Errorf("bead %s: %w", b.ID, err)
		}
	}
	if extRef.Valid {
		b.ExternalRef = extRef.String
	}
	if meta != "" {
		b.Metadata = json.RawMessage(meta)
	}
	if extra != "" {
		if err := json.Unmarshal([]byte(extra), &b.Extra); err != nil {
			return b, fmt.Errorf("bead %s: extra: %w", b.ID, err)
		}
	}
	return b, nil
}

func (r reader) queryBeads(query string, args ...any) ([]models.Bead, error) {
	rows, err := r.q.QueryContext(r.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []models.Bead
	for rows.Next() {
		b, err := scanBead(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ---- Get ----

// Get returns the bead with exactly this id, with labels, dependencies and
// comments filled. A missing bead is an ErrNotFound error.
func (s *Store) Get(ctx context.Context, id string) (*models.Bead, error) {
	var b *models.Bead
	err := s.read(ctx, func(r reader) error {
		var err error
		b, err = r.get(id)
		return err
	})
	return b, err
}

// Get returns the bead as this transaction sees it.
func (t *Tx) Get(id string) (*models.Bead, error) { return t.r().get(id) }

func (r reader) getBare(id string) (*models.Bead, error) {
	b, err := scanBead(r.q.QueryRowContext(r.ctx, `SELECT `+beadCols+` FROM issues i WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return &b, nil
}

func (r reader) get(id string) (*models.Bead, error) {
	b, err := r.getBare(id)
	if err != nil {
		return nil, err
	}
	if b.Labels, err = r.labels(id); err != nil {
		return nil, err
	}
	if b.Dependencies, err = r.deps(`issue_id = ?`, id); err != nil {
		return nil, err
	}
	if b.Comments, err = r.comments(id); err != nil {
		return nil, err
	}
	return b, nil
}

func (r reader) exists(id string) (bool, error) {
	var one int
	err := r.q.QueryRowContext(r.ctx, `SELECT 1 FROM issues WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lookup %s: %w", id, err)
	}
	return true, nil
}

func (r reader) labels(id string) ([]string, error) {
	rows, err := r.q.QueryContext(r.ctx, `SELECT label FROM labels WHERE issue_id = ? ORDER BY label`, id)
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// fillLabels sets Labels on each bead with one query per 500 beads.
func (r reader) fillLabels(beads []models.Bead) error {
	idx := make(map[string]int, len(beads))
	for i := range beads {
		idx[beads[i].ID] = i
	}
	for start := 0; start < len(beads); start += 500 {
		end := min(start+500, len(beads))
		args := make([]any, 0, end-start)
		for _, b := range beads[start:end] {
			args = append(args, b.ID)
		}
		q := `SELECT issue_id, label FROM labels WHERE issue_id IN (?` + strings.Repeat(",?", len(args)-1) + `) ORDER BY issue_id, label`
		rows, err := r.q.QueryContext(r.ctx, q, args...)
		if err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		for rows.Next() {
			var id, l string
			if err := rows.Scan(&id, &l); err != nil {
				rows.Close()
				return err
			}
			i := idx[id]
			beads[i].Labels = append(beads[i].Labels, l)
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (r reader) deps(where string, arg string) ([]models.Dependency, error) {
	rows, err := r.q.QueryContext(r.ctx, `SELECT issue_id, depends_on_id, type, created_at, created_by
		FROM dependencies WHERE `+where+` ORDER BY issue_id, depends_on_id`, arg)
	if err != nil {
		return nil, fmt.Errorf("dependencies of %s: %w", arg, err)
	}
	defer rows.Close()
	var out []models.Dependency
	for rows.Next() {
		var d models.Dependency
		var typ, created string
		if err := rows.Scan(&d.IssueID, &d.DependsOnID, &typ, &created, &d.CreatedBy); err != nil {
			return nil, err
		}
		d.Type = models.DepType(typ)
		if d.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("dependency %s -> %s: %w", d.IssueID, d.DependsOnID, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (r reader) comments(id string) ([]models.Comment, error) {
	rows, err := r.q.QueryContext(r.ctx, `SELECT id, issue_id, author, text, created_at FROM comments
		WHERE issue_id = ? ORDER BY created_ns, id`, id)
	if err != nil {
		return nil, fmt.Errorf("comments of %s: %w", id, err)
	}
	defer rows.Close()
	var out []models.Comment
	for rows.Next() {
		var c models.Comment
		var created string
		if err := rows.Scan(&c.ID, &c.IssueID, &c.Author, &c.Text, &created); err != nil {
			return nil, err
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("comment %d: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Dependencies returns the edges whose issue_id is id (what id depends on).
func (s *Store) Dependencies(ctx context.Context, id string) ([]models.Dependency, error) {
	var out []models.Dependency
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.deps(`issue_id = ?`, id)
		return err
	})
	return out, err
}

// Dependencies returns the edges whose issue_id is id.
func (t *Tx) Dependencies(id string) ([]models.Dependency, error) {
	return t.r().deps(`issue_id = ?`, id)
}

// Dependents returns the edges whose depends_on_id is id (who depends on id).
func (s *Store) Dependents(ctx context.Context, id string) ([]models.Dependency, error) {
	var out []models.Dependency
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.deps(`depends_on_id = ?`, id)
		return err
	})
	return out, err
}

// Dependents returns the edges whose depends_on_id is id.
func (t *Tx) Dependents(id string) ([]models.Dependency, error) {
	return t.r().deps(`depends_on_id = ?`, id)
}

// Comments returns the comments of id, oldest first.
func (s *Store) Comments(ctx context.Context, id string) ([]models.Comment, error) {
	var out []models.Comment
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.comments(id)
		return err
	})
	return out, err
}

// Comments returns the comments of id, oldest first.
func (t *Tx) Comments(id string) ([]models.Comment, error) { return t.r().comments(id) }

// Children returns the parent-child children of id, in ID order (X.1, X.2,
// … X.10 sort numerically).
func (s *Store) Children(ctx context.Context, id string) ([]models.Bead, error) {
	var out []models.Bead
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.children(id)
		return err
	})
	return out, err
}

// Children returns the parent-child children of id.
func (t *Tx) Children(id string) ([]models.Bead, error) { return t.r().children(id) }

func (r reader) children(id string) ([]models.Bead, error) {
	out, err := r.queryBeads(`SELECT `+beadCols+` FROM dependencies d JOIN issues i ON i.id = d.issue_id
		WHERE d.depends_on_id = ? AND d.type = 'parent-child'`, id)
	if err != nil {
		return nil, fmt.Errorf("children of %s: %w", id, err)
	}
	sort.Slice(out, func(a, b int) bool { return naturalLess(out[a].ID, out[b].ID) })
	if err := r.fillLabels(out); err != nil {
		return nil, err
	}
	return out, nil
}

// naturalLess orders IDs so that numeric runs compare as numbers (X.2 < X.10).
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// AuditLog returns the audit trail of id, oldest first.
func (s *Store) AuditLog(ctx context.Context, id string) ([]models.AuditEvent, error) {
	var out []models.AuditEvent
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.auditLog(id)
		return err
	})
	return out, err
}

// AuditLog returns the audit trail of id, oldest first.
func (t *Tx) AuditLog(id string) ([]models.AuditEvent, error) { return t.r().auditLog(id) }

func (r reader) auditLog(id string) ([]models.AuditEvent, error) {
	rows, err := r.q.QueryContext(r.ctx, `SELECT id, issue_id, event_type, actor, old_value, new_value, comment, created_at
		FROM events WHERE issue_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("audit log of %s: %w", id, err)
	}
	defer rows.Close()
	var out []models.AuditEvent
	for rows.Next() {
		var e models.AuditEvent
		var created string
		if err := rows.Scan(&e.ID, &e.IssueID, &e.EventType, &e.Actor, &e.OldValue, &e.NewValue, &e.Comment, &created); err != nil {
			return nil, err
		}
		if e.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("audit event %d: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ---- Resolve ----

type ambiguousError struct {
	query   string
	matches []string
}

func (e *ambiguousError) Error() string {
	return fmt.Sprintf("ambiguous ID %q matches %d issues: %v", e.query, len(e.matches), e.matches)
}

func (e *ambiguousError) Is(target error) bool { return target == ErrAmbiguous }

// Resolve turns a full or partial ID (spec §4.6) into a full one: an exact
// ID, else a unique ID prefix (`gt-abc`) or hash prefix (`abc12`). A match
// whose children also match wins over them. Errors: `no issue found matching
// "X"` (ErrNotFound), `ambiguous ID "X" matches N issues: [..]` (ErrAmbiguous).
func (s *Store) Resolve(ctx context.Context, partial string) (string, error) {
	var id string
	err := s.read(ctx, func(r reader) error {
		var err error
		id, err = r.resolve(partial)
		return err
	})
	return id, err
}

// Resolve resolves a partial ID inside the transaction.
func (t *Tx) Resolve(partial string) (string, error) { return t.r().resolve(partial) }

func (r reader) resolve(partial string) (string, error) {
	in := strings.TrimSpace(partial)
	if in == "" {
		return "", invalidf("issue id is required")
	}
	ok, err := r.exists(in)
	if err != nil {
		return "", err
	}
	if ok {
		return in, nil
	}
	// Prefix matches use the primary key range; hash matches need a scan of
	// the id column, which is cheap (ids only, covering the pk index).
	rows, err := r.q.QueryContext(r.ctx, `SELECT id FROM issues WHERE (id >= ?1 AND id < ?1 || x'f48fbfbf')
		OR instr(id, '-' || ?1) > 0 ORDER BY id`, in)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", in, err)
	}
	defer rows.Close()
	var matches, exactHash []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		if !idMatches(id, in) {
			continue
		}
		matches = append(matches, id)
		if strings.HasSuffix(id, "-"+in) {
			exactHash = append(exactHash, id)
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(exactHash) == 1 {
		return exactHash[0], nil
	}
	matches = dropDescendants(matches)
	switch len(matches) {
	case 0:
		return "", errNotFound(in)
	case 1:
		return matches[0], nil
	}
	return "", &ambiguousError{query: in, matches: matches}
}

// idMatches: in is a prefix of id, or of the part after one of id's dashes.
func idMatches(id, in string) bool {
	if strings.HasPrefix(id, in) {
		return true
	}
	for i := 0; i < len(id); i++ {
		if id[i] == '-' && strings.HasPrefix(id[i+1:], in) {
			return true
		}
	}
	return false
}

// dropDescendants removes IDs of the form M.<n>… when M is itself a match.
func dropDescendants(ids []string) []string {
	set := make(map[string]bool, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	out := ids[:0:0]
	for _, id := range ids {
		keep := true
		for i := 0; i < len(id); i++ {
			if id[i] == '.' && set[id[:i]] {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, id)
		}
	}
	return out
}

// ---- List ----

// Filter selects beads for List. Zero values mean "any".
type Filter struct {
	Status        []models.Status
	Types         []models.IssueType
	Assignee      string
	Labels        []string // all must be present
	Parent        string   // parent-child children of this bead
	IncludeClosed bool     // --all: also closed, tombstoned and ephemeral beads
	Limit         int      // 0 = all
	Sort          string   // "priority" (default), "created", "oldest", "newest", "updated", "id", "title", "status"
	Query         string   // case-insensitive substring of id, title, description or notes
	Prefix        string   // ids starting with "<Prefix>-"
}

var listSorts = map[string]string{
	"":         "i.priority, i.created_ns, i.id",
	"priority": "i.priority, i.created_ns, i.id",
	"created":  "i.created_ns, i.id",
	"oldest":   "i.created_ns, i.id",
	"newest":   "i.created_ns DESC, i.id",
	"updated":  "i.updated_ns DESC, i.id",
	"id":       "i.id",
	"title":    "i.title, i.id",
	"status":   "i.status, i.priority, i.id",
}

// List returns the beads matching f (labels filled; dependencies and
// comments are not).
func (s *Store) List(ctx context.Context, f Filter) ([]models.Bead, error) {
	var out []models.Bead
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.list(f)
		return err
	})
	return out, err
}

// List returns the beads matching f.
func (t *Tx) List(f Filter) ([]models.Bead, error) { return t.r().list(f) }

func (r reader) list(f Filter) ([]models.Bead, error) {
	order, ok := listSorts[f.Sort]
	if !ok {
		return nil, invalidf("invalid sort field: %s", f.Sort)
	}
	if f.Limit < 0 {
		return nil, invalidf("limit cannot be negative (got %d)", f.Limit)
	}
	var where []string
	var args []any
	if len(f.Status) > 0 {
		where = append(where, `i.status IN (?`+strings.Repeat(",?", len(f.Status)-1)+`)`)
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	} else if !f.IncludeClosed {
		where = append(where, `i.status NOT IN ('closed', 'tombstone')`)
	}
	if !f.IncludeClosed {
		where = append(where, `i.ephemeral = 0`)
	}
	if len(f.Types) > 0 {
		where = append(where, `i.issue_type IN (?`+strings.Repeat(",?", len(f.Types)-1)+`)`)
		for _, t := range f.Types {
			args = append(args, string(t))
		}
	}
	if f.Assignee != "" {
		where = append(where, `i.assignee = ?`)
		args = append(args, f.Assignee)
	}
	for _, l := range f.Labels {
		where = append(where, `EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label = ?)`)
		args = append(args, l)
	}
	if f.Parent != "" {
		where = append(where, `i.id IN (SELECT issue_id FROM dependencies WHERE depends_on_id = ? AND type = 'parent-child')`)
		args = append(args, f.Parent)
	}
	if f.Query != "" {
		where = append(where, `(instr(lower(i.id), lower(?)) > 0 OR instr(lower(i.title), lower(?)) > 0
			OR instr(lower(i.description), lower(?)) > 0 OR instr(lower(i.notes), lower(?)) > 0)`)
		args = append(args, f.Query, f.Query, f.Query, f.Query)
	}
	if f.Prefix != "" {
		where = append(where, `i.id >= ? AND i.id < ?`)
		args = append(args, f.Prefix+"-", f.Prefix+".") // '.' follows '-' in ASCII
	}
	q := `SELECT ` + beadCols + ` FROM issues i`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY ` + order
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	out, err := r.queryBeads(q, args...)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if err := r.fillLabels(out); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- Stats ----

// Stats summarises the store for `bd stats` (ephemeral beads not counted).
type Stats struct {
	Total                int     `json:"total_issues"`
	Open                 int     `json:"open_issues"`
	InProgress           int     `json:"in_progress_issues"`
	Closed               int     `json:"closed_issues"`
	Blocked              int     `json:"blocked_issues"`
	Deferred             int     `json:"deferred_issues"`
	Ready                int     `json:"ready_issues"`
	Pinned               int     `json:"pinned_issues"`
	Hooked               int     `json:"hooked_issues"`
	Tombstones           int     `json:"tombstone_issues"`
	AverageLeadTimeHours float64 `json:"average_lead_time_hours"`
}

// Stats counts beads by status, plus blocked and ready counts and the
// average lead time (created → closed) of closed beads in hours.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.read(ctx, func(r reader) error {
		var err error
		st, err = r.stats()
		return err
	})
	return st, err
}

// Stats computes Stats inside the transaction.
func (t *Tx) Stats() (Stats, error) { return t.r().stats() }

func (r reader) stats() (Stats, error) {
	var st Stats
	rows, err := r.q.QueryContext(r.ctx, `SELECT status, count(*) FROM issues WHERE ephemeral = 0 GROUP BY status`)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return st, err
		}
		switch models.Status(status) {
		case models.StatusOpen:
			st.Open = n
		case models.StatusInProgress:
			st.InProgress = n
		case models.StatusClosed:
			st.Closed = n
		case models.StatusDeferred:
			st.Deferred = n
		case models.StatusPinned:
			st.Pinned = n
		case models.StatusHooked:
			st.Hooked = n
		case models.StatusTombstone:
			st.Tombstones = n
			continue
		}
		st.Total += n
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	var avg sql.NullFloat64
	if err := r.q.QueryRowContext(r.ctx, `SELECT avg((julianday(closed_at) - julianday(created_at)) * 24.0)
		FROM issues WHERE status = 'closed' AND closed_at IS NOT NULL AND ephemeral = 0`).Scan(&avg); err != nil {
		return st, fmt.Errorf("stats lead time: %w", err)
	}
	st.AverageLeadTimeHours = avg.Float64
	if err := r.q.QueryRowContext(r.ctx, blockedCTE+`SELECT count(*) FROM issues i
		WHERE i.id IN (SELECT id FROM blocked) AND i.ephemeral = 0 AND i.status IN `+activeStatusesSQL).Scan(&st.Blocked); err != nil {
		return st, fmt.Errorf("stats blocked: %w", err)
	}
	q, args := readyQuery(ReadyFilter{}, time.Now(), true)
	if err := r.q.QueryRowContext(r.ctx, q, args...).Scan(&st.Ready); err != nil {
		return st, fmt.Errorf("stats ready: %w", err)
	}
	return st, nil
}
