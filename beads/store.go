package beads

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Sentinel errors; test with errors.Is.
var (
	// ErrNotFound: no bead has the given ID (or partial ID).
	ErrNotFound = errors.New("issue not found")
	// ErrAmbiguous: a partial ID matches several beads.
	ErrAmbiguous = errors.New("ambiguous issue id")
	// ErrExists: an explicit ID or external_ref is already taken.
	ErrExists = errors.New("issue already exists")
	// ErrBlocked: the bead cannot be closed while it is blocked.
	ErrBlocked = errors.New("issue is blocked")
	// ErrCycle: the dependency would create a cycle.
	ErrCycle = errors.New("dependency cycle")
	// ErrAlreadyClaimed: Claim found another assignee.
	ErrAlreadyClaimed = errors.New("issue already claimed")
	// ErrInvalid: a field value or argument is invalid.
	ErrInvalid = errors.New("invalid value")
)

// notFoundError carries the spec's message for a missing bead.
type notFoundError struct{ query string }

func (e *notFoundError) Error() string { return fmt.Sprintf("no issue found matching %q", e.query) }

func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func errNotFound(q string) error { return &notFoundError{query: q} }

// invalidf formats a validation error that matches ErrInvalid.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

type invalidError struct{ msg string }

// existsError is a conflict (ID or external_ref taken) that matches ErrExists.
type existsError struct{ msg string }

func (e *existsError) Error() string { return e.msg }

func (e *existsError) Is(target error) bool { return target == ErrExists }

func (e *invalidError) Error() string { return e.msg }

func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Store is an open beads database. It is safe for concurrent use; separate
// processes may open the same file (SQLite WAL + BEGIN IMMEDIATE).
type Store struct {
	db      *sql.DB // writes: every transaction is BEGIN IMMEDIATE
	rdb     *sql.DB // reads: deferred transactions, never take the write lock
	path    string
	rebuilt int
	wasRebu bool
}

// dsnParams are the connection settings of spec §4.1.
const dsnParams = "_journal_mode=WAL&_busy_timeout=30000&_foreign_keys=on&_synchronous=NORMAL"

// Open opens (creating if missing) the SQLite database at dbPath, runs the
// embedded numbered migrations and, in the same transaction that creates the
// schema of a new (missing or empty) database, rebuilds the beads from
// issues.jsonl beside it when that file exists (see Rebuilt). A failed
// rebuild commits nothing, so the next Open tries again.
func Open(ctx context.Context, dbPath string) (*Store, error) {
	if dbPath == "" {
		return nil, fmt.Errorf("open beads db: empty path")
	}
	if strings.ContainsAny(dbPath, "?#") {
		return nil, fmt.Errorf("open beads db %s: path must not contain '?' or '#'", dbPath)
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return nil, fmt.Errorf("open beads db %s: %w", dbPath, err)
	}
	s, err := openPools(dbPath)
	if err != nil {
		return nil, err
	}
	// Fast path for every command after the first: a read, no write lock.
	current, err := s.schemaCurrent(ctx)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open beads db %s: %w", dbPath, err)
	}
	if current {
		return s, nil
	}
	// The transaction that creates the schema also rebuilds from
	// issues.jsonl, so no other process can see the new database empty; if
	// the rebuild fails nothing is committed and the next open tries again.
	err = s.Write(ctx, "system:migrate", func(tx *Tx) error {
		s.rebuilt, s.wasRebu = 0, false
		before, err := migrate(tx)
		if err != nil || before > 0 {
			return err
		}
		jsonl, err := os.ReadFile(s.JSONLPath())
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.JSONLPath(), err)
		}
		res, err := tx.importJSONL(bytes.NewReader(jsonl), filepath.Base(s.JSONLPath()), false)
		if err != nil {
			return err
		}
		s.rebuilt = res.Created + res.Updated + res.Unchanged
		s.wasRebu = true
		return tx.inferPrefixes()
	})
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open beads db %s: %w", dbPath, err)
	}
	return s, nil
}

func openPools(dbPath string) (*Store, error) {
	w, err := sql.Open("sqlite3", dbPath+"?"+dsnParams+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open beads db %s: %w", dbPath, err)
	}
	r, err := sql.Open("sqlite3", dbPath+"?"+dsnParams+"&_txlock=deferred")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open beads db %s: %w", dbPath, err)
	}
	// Idle connections keep the page cache warm; few are needed.
	w.SetMaxIdleConns(2)
	r.SetMaxIdleConns(4)
	return &Store{db: w, rdb: r, path: dbPath}, nil
}

// latestMigration is the number of the newest embedded migration.
func latestMigration() (int, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return 0, fmt.Errorf("read migrations: %w", err)
	}
	latest := 0
	for _, e := range entries {
		num, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			return 0, fmt.Errorf("migration %s: bad number: %w", e.Name(), err)
		}
		latest = max(latest, num)
	}
	return latest, nil
}

// schemaCurrent reports whether the database already has every migration.
func (s *Store) schemaCurrent(ctx context.Context) (bool, error) {
	latest, err := latestMigration()
	if err != nil {
		return false, err
	}
	var version int
	if err := s.rdb.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	return version >= latest, nil
}

// migrate applies the embedded migrations newer than PRAGMA user_version,
// inside the caller's write transaction, and returns the version it found.
func migrate(tx *Tx) (int, error) {
	var version int
	if err := tx.tx.QueryRowContext(tx.ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	before := version
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return 0, fmt.Errorf("read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		num, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return 0, fmt.Errorf("migration %s: bad number: %w", name, err)
		}
		if num <= version {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.tx.ExecContext(tx.ctx, string(body)); err != nil {
			return 0, fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.tx.ExecContext(tx.ctx, fmt.Sprintf("PRAGMA user_version = %d", num)); err != nil {
			return 0, fmt.Errorf("migration %s: set version: %w", name, err)
		}
		version = num
	}
	return before, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.db.Close(), s.rdb.Close())
}

// DBPath is the database file path given to Open.
func (s *Store) DBPath() string { return s.path }

// JSONLPath is issues.jsonl beside the database file.
func (s *Store) JSONLPath() string { return filepath.Join(filepath.Dir(s.path), "issues.jsonl") }

// Rebuilt reports whether Open rebuilt the database from issues.jsonl and
// how many issues it loaded. The caller prints
// "Rebuilt beads.db from issues.jsonl (N issues)".
func (s *Store) Rebuilt() (n int, ok bool) { return s.rebuilt, s.wasRebu }

// maxWriteRetries is how often Write retries on SQLITE_BUSY (spec §4.1).
const maxWriteRetries = 5

// Write runs fn in one BEGIN IMMEDIATE transaction, retried up to 5 times
// with exponential backoff from 10 ms when SQLite reports BUSY or LOCKED. fn
// may run more than once, so it must not have side effects outside tx. Inside
// fn use only tx (its reads see the transaction's writes); calling Store
// methods from fn reads stale data, and a nested Write waits on the lock the
// outer one holds. actor is recorded in created_by and in audit rows.
func (s *Store) Write(ctx context.Context, actor string, fn func(tx *Tx) error) error {
	backoff := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.writeOnce(ctx, actor, fn)
		if err == nil || !isBusy(err) || attempt == maxWriteRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("write: %w (after %v)", ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (s *Store) writeOnce(ctx context.Context, actor string, fn func(tx *Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	tx := &Tx{tx: sqlTx, ctx: ctx, actor: actor, store: s}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		_ = sqlTx.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func isBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	return false
}

// read runs fn in one deferred read transaction (a consistent snapshot).
func (s *Store) read(ctx context.Context, fn func(r reader) error) error {
	sqlTx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer func() { _ = sqlTx.Rollback() }()
	return fn(reader{q: sqlTx, ctx: ctx})
}

// Tx is one write transaction handed to the function given to Store.Write.
// It is valid only inside that function. Reads on Tx see the transaction's
// own writes.
type Tx struct {
	tx    *sql.Tx
	ctx   context.Context
	actor string
	store *Store
}

// Actor is the actor given to Store.Write.
func (t *Tx) Actor() string { return t.actor }

func (t *Tx) r() reader { return reader{q: t.tx, ctx: t.ctx} }

// querier is what *sql.Tx offers to the read helpers.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// reader carries a querier and its context into the shared read helpers.
type reader struct {
	q   querier
	ctx context.Context
}

// ---- config and prefixes ----

const (
	configPrefix   = "issue_prefix"
	configPrefixes = "prefixes"
)

var prefixRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,19}$`)

// ValidatePrefix checks a beads prefix against ^[a-zA-Z][a-zA-Z0-9-]{0,19}$.
func ValidatePrefix(p string) error {
	if !prefixRE.MatchString(p) {
		return invalidf("invalid prefix %q: must match ^[a-zA-Z][a-zA-Z0-9-]{0,19}$", p)
	}
	return nil
}

// GetConfig reads a config value; ok is false when the key is not set.
func (s *Store) GetConfig(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.read(ctx, func(r reader) error {
		value, ok, err = r.getConfig(key)
		return err
	})
	return value, ok, err
}

// GetConfig reads a config value inside the transaction.
func (t *Tx) GetConfig(key string) (string, bool, error) { return t.r().getConfig(key) }

func (r reader) getConfig(key string) (string, bool, error) {
	var v string
	err := r.q.QueryRowContext(r.ctx, `SELECT value FROM config WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get config %s: %w", key, err)
	}
	return v, true, nil
}

// SetConfig writes a config value in its own transaction.
func (s *Store) SetConfig(ctx context.Context, key, value string) error {
	return s.Write(ctx, "", func(tx *Tx) error { return tx.SetConfig(key, value) })
}

// SetConfig writes a config value.
func (t *Tx) SetConfig(key, value string) error {
	if key == "" {
		return invalidf("config key is required")
	}
	_, err := t.tx.ExecContext(t.ctx,
		`INSERT INTO config(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set config %s: %w", key, err)
	}
	return nil
}

// DefaultPrefix is config "issue_prefix", the prefix of beads created
// without an explicit one.
func (s *Store) DefaultPrefix(ctx context.Context) (string, error) {
	v, ok, err := s.GetConfig(ctx, configPrefix)
	if err != nil {
		return "", err
	}
	if !ok || v == "" {
		return "", invalidf("no issue prefix configured (run bd init --prefix P)")
	}
	return v, nil
}

// SetDefaultPrefix validates p, registers it and makes it the default.
func (s *Store) SetDefaultPrefix(ctx context.Context, p string) error {
	if err := ValidatePrefix(p); err != nil {
		return err
	}
	return s.Write(ctx, "", func(tx *Tx) error {
		if err := tx.addPrefix(p); err != nil {
			return err
		}
		return tx.SetConfig(configPrefix, p)
	})
}

// AddPrefix validates and registers a prefix (idempotent).
func (s *Store) AddPrefix(ctx context.Context, p string) error {
	if err := ValidatePrefix(p); err != nil {
		return err
	}
	return s.Write(ctx, "", func(tx *Tx) error { return tx.addPrefix(p) })
}

func (t *Tx) addPrefix(p string) error {
	list, err := t.r().prefixes()
	if err != nil {
		return err
	}
	for _, have := range list {
		if have == p {
			return nil
		}
	}
	list = append(list, p)
	sort.Strings(list)
	return t.SetConfig(configPrefixes, strings.Join(list, ","))
}

// Prefixes lists the registered prefixes, sorted.
func (s *Store) Prefixes(ctx context.Context) ([]string, error) {
	var out []string
	err := s.read(ctx, func(r reader) error {
		var err error
		out, err = r.prefixes()
		return err
	})
	return out, err
}

func (r reader) prefixes() ([]string, error) {
	v, ok, err := r.getConfig(configPrefixes)
	if err != nil || !ok || v == "" {
		return nil, err
	}
	return strings.Split(v, ","), nil
}

var hashSuffixRE = regexp.MustCompile(`^(.+?)-(?:mol-|wisp-|cv-)?[0-9a-z]{5,8}$`)

// inferPrefixes registers the prefixes of hash-shaped top-level IDs after a
// rebuild (config is not in the JSONL) and, when no default is set, makes
// the most common one the default.
func (t *Tx) inferPrefixes() error {
	ids, err := t.r().strings(`SELECT id FROM issues WHERE instr(id, '.') = 0`)
	if err != nil {
		return fmt.Errorf("infer prefixes: %w", err)
	}
	counts := map[string]int{}
	for _, id := range ids {
		if m := hashSuffixRE.FindStringSubmatch(id); m != nil && prefixRE.MatchString(m[1]) {
			counts[m[1]]++
		}
	}
	best := ""
	for p, n := range counts {
		if err := t.addPrefix(p); err != nil {
			return err
		}
		if best == "" || n > counts[best] || (n == counts[best] && p < best) {
			best = p
		}
	}
	if best == "" {
		return nil
	}
	if _, ok, err := t.GetConfig(configPrefix); err != nil || ok {
		return err
	}
	return t.SetConfig(configPrefix, best)
}
