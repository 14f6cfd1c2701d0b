package beads

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/models"
)

// activeStatusesSQL are the statuses whose beads block through a `blocks`
// edge (models.Status.Active).
const activeStatusesSQL = `('open', 'in_progress', 'blocked', 'deferred', 'hooked')`

// failureSQL is true when close_reason c holds one of models.FailureWords
// (LIKE is ASCII case-insensitive).
func failureSQL(c string) string {
	words := models.FailureWords()
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = c + ` LIKE '%` + w + `%'`
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// blockedCTE defines the recursive table blocked(id): every bead blocked per
// spec §4.5, computed in one statement. direct holds beads with an
// unsatisfied blocking edge; blocked adds every parent-child descendant.
// CROSS JOIN pins the join order of the recursive step (SQLite keeps it):
// the planner otherwise may scan the growing blocked set once per edge,
// which is quadratic.
var blockedCTE = `WITH RECURSIVE
direct(id) AS (
  SELECT d.issue_id FROM dependencies d JOIN issues b ON b.id = d.depends_on_id
   WHERE d.type = 'blocks' AND b.status IN ` + activeStatusesSQL + `
  UNION
  SELECT d.issue_id FROM dependencies d LEFT JOIN issues b ON b.id = d.depends_on_id
   WHERE d.type = 'conditional-blocks'
     AND NOT (coalesce(b.status, '') = 'closed' AND ` + failureSQL("coalesce(b.close_reason, '')") + `)
  UNION
  SELECT d.issue_id FROM dependencies d
   WHERE d.type = 'waits-for' AND EXISTS (
     SELECT 1 FROM dependencies c JOIN issues ci ON ci.id = c.issue_id
      WHERE c.depends_on_id = d.depends_on_id AND c.type = 'parent-child'
        AND ci.status NOT IN ('closed', 'tombstone'))
),
blocked(id) AS (
  SELECT id FROM direct
  UNION
  SELECT d.issue_id FROM blocked bl CROSS JOIN dependencies d ON d.depends_on_id = bl.id AND d.type = 'parent-child'
)
`

// molCTE appends desc(id): every parent-child descendant of the molecule
// bound to the named parameter :mol.
const molCTE = `,
desc(id) AS (
  SELECT issue_id FROM dependencies WHERE depends_on_id = :mol AND type = 'parent-child'
  UNION
  SELECT d.issue_id FROM desc CROSS JOIN dependencies d ON d.depends_on_id = desc.id AND d.type = 'parent-child'
)
`

// ReadyFilter narrows Ready and Blocked.
type ReadyFilter struct {
	Limit      int // 0 = all
	Assignee   string
	Unassigned bool
	Labels     []string // all must be present
	Types      []models.IssueType
	Mol        string // only this molecule's steps (its parent-child descendants)
	Sort       string // "hybrid" (default), "priority" or "oldest"
}

// hybridWindow: beads younger than this sort by priority first.
const hybridWindow = 48 * time.Hour

func readyOrder(sort string, now time.Time) (string, error) {
	switch sort {
	case "", "hybrid":
		cut := now.Add(-hybridWindow).UnixNano()
		return fmt.Sprintf(`CASE WHEN i.created_ns >= %d THEN 0 ELSE 1 END,
			CASE WHEN i.created_ns >= %d THEN i.priority ELSE 0 END, i.created_ns, i.id`, cut, cut), nil
	case "priority":
		return `i.priority, i.created_ns, i.id`, nil
	case "oldest":
		return `i.created_ns, i.id`, nil
	}
	return "", invalidf("invalid sort policy: %s (want hybrid, priority or oldest)", sort)
}

func systemTypesSQL() string {
	parts := make([]string, len(models.SystemTypes))
	for i, t := range models.SystemTypes {
		parts[i] = "'" + string(t) + "'"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// filterSQL adds the ReadyFilter conditions shared by Ready and Blocked.
func filterSQL(f ReadyFilter, where []string, args []any) ([]string, []any) {
	if f.Assignee != "" {
		where = append(where, `i.assignee = :assignee`)
		args = append(args, namedArg("assignee", f.Assignee))
	}
	if f.Unassigned {
		where = append(where, `i.assignee = ''`)
	}
	for n, l := range f.Labels {
		name := fmt.Sprintf("label%d", n)
		where = append(where, `EXISTS (SELECT 1 FROM labels l WHERE l.issue_id = i.id AND l.label = :`+name+`)`)
		args = append(args, namedArg(name, l))
	}
	if len(f.Types) > 0 {
		names := make([]string, len(f.Types))
		for n, t := range f.Types {
			names[n] = fmt.Sprintf(":type%d", n)
			args = append(args, namedArg(names[n][1:], string(t)))
		}
		where = append(where, `i.issue_type IN (`+strings.Join(names, ", ")+`)`)
	}
	if f.Mol != "" {
		where = append(where, `i.id IN (SELECT id FROM desc)`)
		args = append(args, namedArg("mol", f.Mol))
	} else {
		// Molecule and wisp steps appear only with --mol.
		where = append(where, `i.ephemeral = 0`, `instr(i.id, '-mol-') = 0`, `instr(i.id, '-wisp-') = 0`)
	}
	return where, args
}

// readyQuery builds the ready statement; count selects count(*) instead of
// rows (and ignores limit and order).
func readyQuery(f ReadyFilter, now time.Time, count bool) (string, []any) {
	where := []string{
		`i.status = 'open'`,
		`i.pinned = 0`, `i.is_template = 0`,
		`(i.defer_ns IS NULL OR i.defer_ns <= :now)`,
		`i.issue_type NOT IN ` + systemTypesSQL(),
		`i.id NOT IN (SELECT id FROM blocked)`,
	}
	args := []any{namedArg("now", now.UnixNano())}
	where, args = filterSQL(f, where, args)
	q := blockedCTE
	if f.Mol != "" {
		q += molCTE
	}
	if count {
		q += `SELECT count(*) FROM issues i WHERE ` + strings.Join(where, " AND ")
		return q, args
	}
	q += `SELECT ` + beadCols + ` FROM issues i WHERE ` + strings.Join(where, " AND ")
	return q, args
}

// Ready returns the ready beads of spec §4.5: open, not blocked, not
// ephemeral/pinned/template, not deferred into the future, not a system type
// and not a molecule or wisp step (unless f.Mol names the molecule), sorted
// by f.Sort. Labels are filled.
func (s *Store) Ready(ctx context.Context, f ReadyFilter) ([]models.Bead, error) {
	var out []models.Bead
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.ready(f, time.Now())
		return err
	})
	return out, err
}

// Ready returns the ready beads as the transaction sees them.
func (t *Tx) Ready(f ReadyFilter) ([]models.Bead, error) { return t.r().ready(f, time.Now()) }

func (r reader) ready(f ReadyFilter, now time.Time) ([]models.Bead, error) {
	if f.Limit < 0 {
		return nil, invalidf("limit cannot be negative (got %d)", f.Limit)
	}
	order, err := readyOrder(f.Sort, now)
	if err != nil {
		return nil, err
	}
	if f.Mol != "" {
		if _, err := r.getBare(f.Mol); err != nil {
			return nil, err
		}
	}
	q, args := readyQuery(f, now, false)
	q += ` ORDER BY ` + order
	var out []models.Bead
	if f.Limit > 0 {
		// Sort only ids (from the covering ready index), then fetch the few
		// full rows: sorting every candidate's whole row costs more.
		q = strings.Replace(q, `SELECT `+beadCols+` FROM issues i WHERE`, `SELECT i.id FROM issues i WHERE`, 1)
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
		ids, err := r.strings(q, args...)
		if err != nil {
			return nil, fmt.Errorf("ready: %w", err)
		}
		if out, err = r.beadsByID(ids); err != nil {
			return nil, fmt.Errorf("ready: %w", err)
		}
	} else {
		var err error
		if out, err = r.queryBeads(q, args...); err != nil {
			return nil, fmt.Errorf("ready: %w", err)
		}
	}
	if err := r.fillLabels(out); err != nil {
		return nil, err
	}
	return out, nil
}

// BlockedBead is a blocked bead and the open beads that block it.
type BlockedBead struct {
	Bead      models.Bead `json:"bead"`
	BlockedBy []string    `json:"blocked_by"`
}

// Blocked returns the beads in an active status (open, in_progress, blocked,
// deferred, hooked) that are blocked per spec §4.5, each with its blockers
// (see BlockersOf), in the order of f.Sort.
func (s *Store) Blocked(ctx context.Context, f ReadyFilter) ([]BlockedBead, error) {
	var out []BlockedBead
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.blocked(f, time.Now())
		return err
	})
	return out, err
}

// Blocked returns the blocked beads as the transaction sees them.
func (t *Tx) Blocked(f ReadyFilter) ([]BlockedBead, error) { return t.r().blocked(f, time.Now()) }

func (r reader) blocked(f ReadyFilter, now time.Time) ([]BlockedBead, error) {
	if f.Limit < 0 {
		return nil, invalidf("limit cannot be negative (got %d)", f.Limit)
	}
	order, err := readyOrder(f.Sort, now)
	if err != nil {
		return nil, err
	}
	if f.Mol != "" {
		if _, err := r.getBare(f.Mol); err != nil {
			return nil, err
		}
	}
	where := []string{`i.status IN ` + activeStatusesSQL, `i.id IN (SELECT id FROM blocked)`}
	where, args := filterSQL(f, where, nil)
	q := blockedCTE
	if f.Mol != "" {
		q += molCTE
	}
	q += `SELECT ` + beadCols + ` FROM issues i WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order
	if f.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	beads, err := r.queryBeads(q, args...)
	if err != nil {
		return nil, fmt.Errorf("blocked: %w", err)
	}
	if err := r.fillLabels(beads); err != nil {
		return nil, err
	}
	out := make([]BlockedBead, len(beads))
	for n, b := range beads {
		by, err := r.blockersOf(b.ID)
		if err != nil {
			return nil, err
		}
		out[n] = BlockedBead{Bead: b, BlockedBy: by}
	}
	return out, nil
}

// BlockersOf returns the beads that keep id blocked, sorted: targets of its
// unsatisfied blocks, conditional-blocks and waits-for edges, and, when it is
// blocked through a parent-child ancestor, that ancestor's blockers. Empty
// means id is not blocked.
func (s *Store) BlockersOf(ctx context.Context, id string) ([]string, error) {
	var out []string
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.blockersOf(id)
		return err
	})
	return out, err
}

// BlockersOf returns the blockers of id as the transaction sees them.
func (t *Tx) BlockersOf(id string) ([]string, error) { return t.r().blockersOf(id) }

// directBlockersSQL lists the unsatisfied blocking edges of one bead (?1).
var directBlockersSQL = `
SELECT d.depends_on_id FROM dependencies d JOIN issues b ON b.id = d.depends_on_id
 WHERE d.issue_id = ?1 AND d.type = 'blocks' AND b.status IN ` + activeStatusesSQL + `
UNION
SELECT d.depends_on_id FROM dependencies d LEFT JOIN issues b ON b.id = d.depends_on_id
 WHERE d.issue_id = ?1 AND d.type = 'conditional-blocks'
   AND NOT (coalesce(b.status, '') = 'closed' AND ` + failureSQL("coalesce(b.close_reason, '')") + `)
UNION
SELECT d.depends_on_id FROM dependencies d
 WHERE d.issue_id = ?1 AND d.type = 'waits-for' AND EXISTS (
   SELECT 1 FROM dependencies c JOIN issues ci ON ci.id = c.issue_id
    WHERE c.depends_on_id = d.depends_on_id AND c.type = 'parent-child'
      AND ci.status NOT IN ('closed', 'tombstone'))`

func (r reader) blockersOf(id string) ([]string, error) {
	seen := map[string]bool{}
	set := map[string]bool{}
	queue := []string{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] {
			continue // imported data may hold parent-child cycles
		}
		seen[cur] = true
		direct, err := r.strings(directBlockersSQL, cur)
		if err != nil {
			return nil, fmt.Errorf("blockers of %s: %w", cur, err)
		}
		for _, d := range direct {
			set[d] = true
		}
		parents, err := r.strings(`SELECT depends_on_id FROM dependencies WHERE issue_id = ? AND type = 'parent-child'`, cur)
		if err != nil {
			return nil, fmt.Errorf("parents of %s: %w", cur, err)
		}
		queue = append(queue, parents...)
	}
	out := make([]string, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	sort.Strings(out)
	return out, nil
}

func (r reader) strings(q string, args ...any) ([]string, error) {
	rows, err := r.q.QueryContext(r.ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func namedArg(name string, v any) any { return sql.Named(name, v) }

// beadsByID loads the beads with these ids (without labels), in the given
// order; ids that do not exist are skipped.
func (r reader) beadsByID(ids []string) ([]models.Bead, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := r.queryBeads(`SELECT `+beadCols+` FROM issues i WHERE i.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]models.Bead, len(rows))
	for _, b := range rows {
		byID[b.ID] = b
	}
	out := make([]models.Bead, 0, len(ids))
	for _, id := range ids {
		if b, ok := byID[id]; ok {
			out = append(out, b)
		}
	}
	return out, nil
}
