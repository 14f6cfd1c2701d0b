package beads

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// newStore opens a fresh store in t.TempDir() with default prefix "gt".
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), ".beads", "beads.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.SetDefaultPrefix(context.Background(), "gt"); err != nil {
		t.Fatalf("set prefix: %v", err)
	}
	return s
}

// create makes one bead in its own transaction.
func create(t testing.TB, s *Store, b models.Bead, o CreateOpts) *models.Bead {
	t.Helper()
	var out *models.Bead
	err := s.Write(context.Background(), "tester", func(tx *Tx) error {
		var err error
		out, err = tx.Create(&b, o)
		return err
	})
	if err != nil {
		t.Fatalf("create %q: %v", b.Title, err)
	}
	return out
}

// write runs fn in a transaction as "tester".
func write(s *Store, fn func(tx *Tx) error) error {
	return s.Write(context.Background(), "tester", fn)
}

func mustWrite(t testing.TB, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := write(s, fn); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func addDep(t testing.TB, s *Store, from, to string, typ models.DepType) {
	t.Helper()
	mustWrite(t, s, func(tx *Tx) error { return tx.AddDependency(from, to, typ) })
}

func ids(beads []models.Bead) []string {
	out := make([]string, len(beads))
	for i, b := range beads {
		out[i] = b.ID
	}
	return out
}

func eqStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// bulkInsert writes n plain open task beads "<prefix>-b<i>" directly through
// the row writer in one transaction (fixture builder for big stores).
func bulkInsert(t testing.TB, s *Store, prefix string, n int, at time.Time) {
	t.Helper()
	const chunk = 5000
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		mustWrite(t, s, func(tx *Tx) error {
			st, err := tx.tx.PrepareContext(tx.ctx, insertSQL)
			if err != nil {
				return err
			}
			defer st.Close()
			for i := start; i < end; i++ {
				created := at.Add(time.Duration(i) * time.Second)
				b := models.Bead{
					ID: fmt.Sprintf("%s-b%07d", prefix, i), Title: fmt.Sprintf("bulk bead %d", i),
					Description: "generated", Status: models.StatusOpen, Priority: i % 5,
					IssueType: models.TypeTask, CreatedAt: created, UpdatedAt: created, CreatedBy: "bulk",
				}
				if i%10 == 9 {
					b.Status = models.StatusClosed
					b.ClosedAt, b.CloseReason = &created, "done"
				}
				vals, err := rowValues(&b)
				if err != nil {
					return err
				}
				if _, err := st.ExecContext(tx.ctx, vals...); err != nil {
					return err
				}
			}
			// Every 7th bead is blocked by its predecessor; every 50th is a
			// child of the bead 25 before it.
			for i := start; i < end; i++ {
				if i%7 == 6 {
					if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO dependencies VALUES(?, ?, 'blocks', ?, 'bulk')`,
						fmt.Sprintf("%s-b%07d", prefix, i), fmt.Sprintf("%s-b%07d", prefix, i-1), formatTime(at)); err != nil {
						return err
					}
				}
				if i%50 == 49 {
					if _, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO dependencies VALUES(?, ?, 'parent-child', ?, 'bulk')`,
						fmt.Sprintf("%s-b%07d", prefix, i), fmt.Sprintf("%s-b%07d", prefix, i-25), formatTime(at)); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
}
