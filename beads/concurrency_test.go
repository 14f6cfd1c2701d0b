package beads

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// TestConcurrentStores: 30 goroutines, each with its own *Store (separate
// connections, as separate processes would have), make 100 mixed writes to
// one database. Every write must succeed and the final state must equal the
// serial result: no lost read-modify-write updates.
func TestConcurrentStores(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const workers, writes = 30, 100
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dbPath := filepath.Join(t.TempDir(), ".beads", "beads.db")
	setup, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if err := setup.SetDefaultPrefix(ctx, "gt"); err != nil {
		t.Fatal(err)
	}
	create(t, setup, models.Bead{ID: "gt-shared", Title: "shared", Priority: 2}, CreateOpts{})

	var wg sync.WaitGroup
	errs := make(chan error, workers*writes)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dbPath)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			actor := fmt.Sprintf("worker-%02d", w)
			var mine []string
			for i := range writes {
				var err error
				switch i % 4 {
				case 0: // create with a hash id
					err = s.Write(ctx, actor, func(tx *Tx) error {
						b, err := tx.Create(&models.Bead{Title: fmt.Sprintf("w%d item %d", w, i), Priority: 2,
							Labels: []string{actor}}, CreateOpts{})
						if err == nil {
							mine = append(mine, b.ID)
						}
						return err
					})
				case 1: // read-modify-write counter in metadata
					err = s.Write(ctx, actor, func(tx *Tx) error {
						b, err := tx.Get("gt-shared")
						if err != nil {
							return err
						}
						var m struct {
							N int `json:"n"`
						}
						if len(b.Metadata) > 0 {
							if err := json.Unmarshal(b.Metadata, &m); err != nil {
								return err
							}
						}
						return tx.SetMetadata("gt-shared", "n", m.N+1)
					})
				case 2:
					err = s.Write(ctx, actor, func(tx *Tx) error {
						_, err := tx.AddComment("gt-shared", actor, fmt.Sprintf("comment %d", i))
						return err
					})
				case 3:
					id := mine[len(mine)-1]
					err = s.Write(ctx, actor, func(tx *Tx) error {
						if _, err := tx.Claim(id, actor); err != nil {
							return err
						}
						_, err := tx.CloseIssue(id, "done", false)
						return err
					})
				}
				if err != nil {
					errs <- fmt.Errorf("%s write %d: %w", actor, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	shared, err := setup.Get(ctx, "gt-shared")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`{"n":%d}`, workers*writes/4); string(shared.Metadata) != want {
		t.Errorf("counter = %s, want %s (lost updates)", shared.Metadata, want)
	}
	if len(shared.Comments) != workers*writes/4 {
		t.Errorf("comments = %d, want %d", len(shared.Comments), workers*writes/4)
	}
	st, err := setup.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 1+workers*writes/4 || st.Closed != workers*writes/4 || st.Open != 1 {
		t.Errorf("stats = %+v", st)
	}
	for w := range workers {
		actor := fmt.Sprintf("worker-%02d", w)
		got, err := setup.List(ctx, Filter{Labels: []string{actor}, IncludeClosed: true})
		if err != nil || len(got) != writes/4 {
			t.Fatalf("%s beads = %d, %v", actor, len(got), err)
		}
		for _, b := range got {
			if b.Status != models.StatusClosed || b.Assignee != actor || b.CreatedBy != actor {
				t.Errorf("%s bead %s = status %s assignee %s", actor, b.ID, b.Status, b.Assignee)
			}
		}
	}
}

// TestConcurrentOpenRebuild: many stores opening a missing database beside
// an issues.jsonl at once: exactly one rebuilds, every one sees all beads.
func TestConcurrentOpenRebuild(t *testing.T) {
	dir := t.TempDir()
	data := readFixture(t)
	if err := os.WriteFile(filepath.Join(dir, "issues.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n = 10
	var wg sync.WaitGroup
	rebuilt := make(chan int, n)
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, filepath.Join(dir, "beads.db"))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			if c, ok := s.Rebuilt(); ok {
				rebuilt <- c
			}
			all, err := s.List(ctx, Filter{IncludeClosed: true})
			if err != nil || len(all) != 12 {
				errs <- fmt.Errorf("list after open = %d, %v", len(all), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(rebuilt)
	for err := range errs {
		t.Error(err)
	}
	var counts []int
	for c := range rebuilt {
		counts = append(counts, c)
	}
	if len(counts) != 1 || counts[0] != 12 {
		t.Errorf("rebuilds = %v, want exactly one of 12", counts)
	}
}
