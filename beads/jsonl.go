package beads

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gastown/gt/models"
)

// maxLineBytes bounds one JSONL line on import.
const maxLineBytes = 64 << 20

// ExportOpts narrows an export.
type ExportOpts struct {
	Prefix string // only beads whose id starts with "<Prefix>-"
}

// ImportResult counts what an import did with each line's bead.
type ImportResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"` // older than the stored bead, or a tombstoned id
}

// exportLockPath is export.lock beside the database.
func (s *Store) exportLockPath() string { return filepath.Join(filepath.Dir(s.path), "export.lock") }

// lockExport takes the exclusive export flock; the returned func releases it.
func (s *Store) lockExport() (func(), error) {
	f, err := os.OpenFile(s.exportLockPath(), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open export lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock %s: %w", s.exportLockPath(), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// Export writes every non-ephemeral bead (tombstones included) to path as
// JSONL sorted by id (spec §4.7), under the export.lock flock: temp file in
// the same directory, fsync, rename, then a line-count check. A full export
// to JSONLPath clears the dirty marks it covered. It returns the number of
// beads written.
func (s *Store) Export(ctx context.Context, path string, o ExportOpts) (int, error) {
	if path == "" {
		path = s.JSONLPath()
	}
	unlock, err := s.lockExport()
	if err != nil {
		return 0, err
	}
	defer unlock()

	var beads []models.Bead
	var maxSeq int64
	err = s.read(ctx, func(r reader) error {
		if err := r.q.QueryRowContext(r.ctx, `SELECT coalesce(max(seq), 0) FROM dirty_issues`).Scan(&maxSeq); err != nil {
			return fmt.Errorf("dirty marks: %w", err)
		}
		var err error
		beads, err = r.exportBeads(o.Prefix)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if err := writeJSONL(path, beads); err != nil {
		return 0, fmt.Errorf("export %s: %w", path, err)
	}
	if o.Prefix == "" && filepath.Clean(path) == filepath.Clean(s.JSONLPath()) {
		err := s.Write(ctx, "system:export", func(tx *Tx) error {
			_, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM dirty_issues WHERE seq <= ?`, maxSeq)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("export: clear dirty marks: %w", err)
		}
	}
	return len(beads), nil
}

func writeJSONL(path string, beads []models.Bead) error {
	lines := make([][]byte, len(beads))
	for i := range beads {
		line, err := beads[i].MarshalJSON()
		if err != nil {
			return fmt.Errorf("encode %s: %w", beads[i].ID, err)
		}
		lines[i] = line
	}
	return writeLines(path, lines)
}

// exportBeads loads every non-ephemeral bead with labels, dependencies and
// comments, sorted by id, in four queries.
func (r reader) exportBeads(prefix string) ([]models.Bead, error) {
	where, args := `i.ephemeral = 0`, []any{}
	if prefix != "" {
		where += ` AND i.id >= ? AND i.id < ?`
		args = append(args, prefix+"-", prefix+".")
	}
	beads, err := r.queryBeads(`SELECT `+beadCols+` FROM issues i WHERE `+where+` ORDER BY i.id`, args...)
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(beads))
	for i := range beads {
		idx[beads[i].ID] = i
	}
	rows, err := r.q.QueryContext(r.ctx, `SELECT issue_id, label FROM labels ORDER BY issue_id, label`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, l string
		if err := rows.Scan(&id, &l); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[id]; ok {
			beads[i].Labels = append(beads[i].Labels, l)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	rows, err = r.q.QueryContext(r.ctx, `SELECT issue_id, depends_on_id, type, created_at, created_by FROM dependencies ORDER BY issue_id, depends_on_id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var d models.Dependency
		var typ, created string
		if err := rows.Scan(&d.IssueID, &d.DependsOnID, &typ, &created, &d.CreatedBy); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := idx[d.IssueID]
		if !ok {
			continue
		}
		d.Type = models.DepType(typ)
		if d.CreatedAt, err = parseTime(created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("dependency %s -> %s: %w", d.IssueID, d.DependsOnID, err)
		}
		beads[i].Dependencies = append(beads[i].Dependencies, d)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	rows, err = r.q.QueryContext(r.ctx, `SELECT id, issue_id, author, text, created_at FROM comments ORDER BY issue_id, created_ns, id`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c models.Comment
		var created string
		if err := rows.Scan(&c.ID, &c.IssueID, &c.Author, &c.Text, &created); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := idx[c.IssueID]
		if !ok {
			continue
		}
		if c.CreatedAt, err = parseTime(created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("comment %d: %w", c.ID, err)
		}
		beads[i].Comments = append(beads[i].Comments, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	return beads, nil
}

// ExportIfDirty exports to JSONLPath when a write marked a bead dirty since
// the last export, or when the file is missing while beads exist. It reports
// whether it exported.
func (s *Store) ExportIfDirty(ctx context.Context) (bool, error) {
	var dirty bool
	err := s.read(ctx, func(r reader) error {
		if err := r.q.QueryRowContext(r.ctx, `SELECT EXISTS (SELECT 1 FROM dirty_issues)`).Scan(&dirty); err != nil {
			return err
		}
		if dirty {
			return nil
		}
		if _, err := os.Stat(s.JSONLPath()); !errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return r.q.QueryRowContext(r.ctx, `SELECT EXISTS (SELECT 1 FROM issues WHERE ephemeral = 0)`).Scan(&dirty)
	})
	if err != nil {
		return false, fmt.Errorf("check dirty beads: %w", err)
	}
	if !dirty {
		return false, nil
	}
	if _, err := s.Export(ctx, s.JSONLPath(), ExportOpts{}); err != nil {
		return false, err
	}
	return true, nil
}

// Import merges JSONL beads from r (spec §4.7) in one transaction: a newer
// updated_at wins, an older one is skipped, an equal one is unchanged;
// tombstoned ids never come back; labels, dependencies and comments are
// upserted; dangling dependency targets and unknown statuses, types and keys
// are kept. A bad line aborts with `<name>:<line>: <reason>` and changes
// nothing. Imported beads are marked dirty.
func (s *Store) Import(ctx context.Context, r io.Reader, name string) (ImportResult, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return ImportResult{}, fmt.Errorf("read %s: %w", name, err)
	}
	var res ImportResult
	err = s.Write(ctx, "import", func(tx *Tx) error {
		var err error
		res, err = tx.importJSONL(bytes.NewReader(data), name, true)
		return err
	})
	return res, err
}

// ParseLine decodes and checks one JSONL line the way Import does.
func ParseLine(line []byte) (*models.Bead, error) {
	var b models.Bead
	if err := json.Unmarshal(line, &b); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if err := normalizeImported(&b); err != nil {
		return nil, err
	}
	return &b, nil
}

func normalizeImported(b *models.Bead) error {
	if err := validateExplicitID(b.ID); err != nil {
		if b.ID == "" {
			return fmt.Errorf("missing id")
		}
		return err
	}
	if b.Status == "" {
		b.Status = models.StatusOpen
	}
	if b.IssueType == "" {
		b.IssueType = models.TypeTask
	}
	if b.CreatedAt.IsZero() {
		if b.UpdatedAt.IsZero() {
			return fmt.Errorf("missing created_at")
		}
		b.CreatedAt = b.UpdatedAt
	}
	if b.UpdatedAt.IsZero() {
		b.UpdatedAt = b.CreatedAt
	}
	if b.Metadata != nil {
		if err := validateMetadata(b.Metadata); err != nil {
			return err
		}
	}
	for i := range b.Labels {
		if err := validateLabel(b.Labels[i]); err != nil {
			return err
		}
	}
	for i := range b.Dependencies {
		d := &b.Dependencies[i]
		if d.IssueID == "" {
			d.IssueID = b.ID
		}
		if d.IssueID != b.ID {
			return fmt.Errorf("dependency issue_id %q does not match id %q", d.IssueID, b.ID)
		}
		if d.DependsOnID == "" {
			return fmt.Errorf("dependency without depends_on_id")
		}
		if d.Type == "" {
			d.Type = models.DepBlocks
		}
		if _, err := models.ParseDepType(string(d.Type)); err != nil {
			return err
		}
	}
	for i := range b.Comments {
		c := &b.Comments[i]
		if c.IssueID == "" {
			c.IssueID = b.ID
		}
		if c.IssueID != b.ID {
			return fmt.Errorf("comment issue_id %q does not match id %q", c.IssueID, b.ID)
		}
	}
	for _, t := range []time.Time{b.CreatedAt, b.UpdatedAt} {
		if t.Year() < 0 || t.Year() > 9999 {
			return fmt.Errorf("time %v out of range", t)
		}
	}
	return nil
}

// importer holds the statements an import repeats per line.
type importer struct {
	tx                                           *Tx
	lookup, insert, update, audit, dirty, label  *sql.Stmt
	dep, commentFind, commentByID, commentInsert *sql.Stmt
	markDirty                                    bool
}

func (t *Tx) newImporter(markDirty bool) (*importer, error) {
	im := &importer{tx: t, markDirty: markDirty}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&im.lookup, `SELECT status, updated_ns FROM issues WHERE id = ?`},
		{&im.insert, insertSQL},
		{&im.update, updateSQL},
		{&im.audit, `INSERT INTO events(issue_id, event_type, actor, old_value, new_value, comment, created_at) VALUES(?, ?, ?, ?, ?, '', ?)`},
		{&im.dirty, `INSERT OR REPLACE INTO dirty_issues(issue_id) VALUES(?)`},
		{&im.label, `INSERT OR IGNORE INTO labels(issue_id, label) VALUES(?, ?)`},
		{&im.dep, `INSERT INTO dependencies(issue_id, depends_on_id, type, created_at, created_by) VALUES(?, ?, ?, ?, ?)
			ON CONFLICT(issue_id, depends_on_id) DO UPDATE SET type = excluded.type, created_at = excluded.created_at, created_by = excluded.created_by`},
		{&im.commentFind, `SELECT 1 FROM comments WHERE issue_id = ? AND author = ? AND text = ? AND created_at = ?`},
		{&im.commentByID, `SELECT 1 FROM comments WHERE id = ?`},
		{&im.commentInsert, `INSERT INTO comments(id, issue_id, author, text, created_at, created_ns) VALUES(?, ?, ?, ?, ?, ?)`},
	} {
		st, err := t.tx.PrepareContext(t.ctx, p.q)
		if err != nil {
			im.close()
			return nil, fmt.Errorf("prepare import: %w", err)
		}
		*p.dst = st
	}
	return im, nil
}

func (im *importer) close() {
	for _, st := range []*sql.Stmt{im.lookup, im.insert, im.update, im.audit, im.dirty, im.label, im.dep,
		im.commentFind, im.commentByID, im.commentInsert} {
		if st != nil {
			_ = st.Close()
		}
	}
}

// importJSONL is Import inside an open transaction (also used by Open's
// rebuild, which does not mark beads dirty).
func (t *Tx) importJSONL(r io.Reader, name string, markDirty bool) (ImportResult, error) {
	var res ImportResult
	im, err := t.newImporter(markDirty)
	if err != nil {
		return res, err
	}
	// Imported rows bypass insertRow: drop the cached id counts.
	if _, err := t.tx.ExecContext(t.ctx, `DELETE FROM id_counts`); err != nil {
		im.close()
		return res, fmt.Errorf("import: reset id counts: %w", err)
	}
	defer im.close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		b, err := ParseLine(text)
		if err != nil {
			return ImportResult{}, fmt.Errorf("%s:%d: %s", name, line, oneLine(err))
		}
		outcome, err := im.apply(b)
		if err != nil {
			return ImportResult{}, fmt.Errorf("%s:%d: %s", name, line, oneLine(err))
		}
		switch outcome {
		case outcomeCreated:
			res.Created++
		case outcomeUpdated:
			res.Updated++
		case outcomeUnchanged:
			res.Unchanged++
		default:
			res.Skipped++
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return ImportResult{}, fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, maxLineBytes)
		}
		return ImportResult{}, fmt.Errorf("read %s: %w", name, err)
	}
	return res, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

type outcome int

const (
	outcomeSkipped outcome = iota
	outcomeCreated
	outcomeUpdated
	outcomeUnchanged
)

func (im *importer) apply(b *models.Bead) (outcome, error) {
	t := im.tx
	var status string
	var updatedNs int64
	err := im.lookup.QueryRowContext(t.ctx, b.ID).Scan(&status, &updatedNs)
	exists := err == nil
	if err != nil && !isNoRows(err) {
		return 0, fmt.Errorf("lookup %s: %w", b.ID, err)
	}
	if err := t.checkExternalRef(b.ID, b.ExternalRef); err != nil {
		return 0, err
	}
	vals, err := rowValues(b)
	if err != nil {
		return 0, err
	}
	now := formatTime(t.now())
	var out outcome
	switch {
	case !exists:
		if _, err := im.insert.ExecContext(t.ctx, vals...); err != nil {
			return 0, fmt.Errorf("insert %s: %w", b.ID, err)
		}
		if _, err := im.audit.ExecContext(t.ctx, b.ID, "created", t.actor, "", b.Title, now); err != nil {
			return 0, err
		}
		out = outcomeCreated
	case models.Status(status) == models.StatusTombstone && b.Status != models.StatusTombstone:
		return outcomeSkipped, nil // tombstoned ids never come back
	case b.UpdatedAt.UnixNano() > updatedNs:
		if _, err := im.update.ExecContext(t.ctx, append(vals[1:], b.ID)...); err != nil {
			return 0, fmt.Errorf("update %s: %w", b.ID, err)
		}
		if _, err := im.audit.ExecContext(t.ctx, b.ID, "updated", t.actor, "", "import", now); err != nil {
			return 0, err
		}
		out = outcomeUpdated
	case b.UpdatedAt.UnixNano() == updatedNs:
		out = outcomeUnchanged
	default:
		return outcomeSkipped, nil
	}
	for _, l := range b.Labels {
		if _, err := im.label.ExecContext(t.ctx, b.ID, l); err != nil {
			return 0, fmt.Errorf("label %s: %w", b.ID, err)
		}
	}
	for _, d := range b.Dependencies {
		if _, err := im.dep.ExecContext(t.ctx, d.IssueID, d.DependsOnID, string(d.Type), formatTime(d.CreatedAt), d.CreatedBy); err != nil {
			return 0, fmt.Errorf("dependency %s -> %s: %w", d.IssueID, d.DependsOnID, err)
		}
	}
	for _, c := range b.Comments {
		created := formatTime(c.CreatedAt)
		var one int
		err := im.commentFind.QueryRowContext(t.ctx, b.ID, c.Author, c.Text, created).Scan(&one)
		if err == nil {
			continue
		}
		if !isNoRows(err) {
			return 0, fmt.Errorf("comment of %s: %w", b.ID, err)
		}
		var id any
		if c.ID > 0 {
			err := im.commentByID.QueryRowContext(t.ctx, c.ID).Scan(&one)
			if isNoRows(err) {
				id = c.ID // keep the original comment id when it is free
			} else if err != nil {
				return 0, fmt.Errorf("comment of %s: %w", b.ID, err)
			}
		}
		if _, err := im.commentInsert.ExecContext(t.ctx, id, b.ID, c.Author, c.Text, created, c.CreatedAt.UnixNano()); err != nil {
			return 0, fmt.Errorf("comment of %s: %w", b.ID, err)
		}
	}
	if im.markDirty && out != outcomeUnchanged && !b.Ephemeral {
		if _, err := im.dirty.ExecContext(t.ctx, b.ID); err != nil {
			return 0, fmt.Errorf("mark %s dirty: %w", b.ID, err)
		}
	}
	return out, nil
}
