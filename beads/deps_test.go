package beads

import (
	"context"
	"errors"
	"testing"

	"github.com/gastown/gt/models"
)

func TestAddDependencyEveryType(t *testing.T) {
	t.Parallel()
	types := []models.DepType{
		models.DepBlocks, models.DepParentChild, models.DepConditionalBlocks, models.DepWaitsFor,
		models.DepTracks, models.DepRelated, models.DepRelatesTo, models.DepDiscoveredFrom,
		models.DepDuplicates, models.DepSupersedes, models.DepRepliesTo, "custom-link",
	}
	for _, typ := range types {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			a := create(t, s, models.Bead{ID: "gt-a", Title: "a"}, CreateOpts{})
			create(t, s, models.Bead{ID: "gt-b", Title: "b"}, CreateOpts{})
			addDep(t, s, "gt-a", "gt-b", typ)
			deps, err := s.Dependencies(context.Background(), "gt-a")
			if err != nil || len(deps) != 1 || deps[0].DependsOnID != "gt-b" || deps[0].Type != typ || deps[0].CreatedBy != "tester" {
				t.Fatalf("deps = %+v, %v", deps, err)
			}
			back, err := s.Dependents(context.Background(), "gt-b")
			if err != nil || len(back) != 1 || back[0].IssueID != "gt-a" {
				t.Fatalf("dependents = %+v, %v", back, err)
			}
			got, _ := s.Get(context.Background(), "gt-a")
			if !got.UpdatedAt.After(a.UpdatedAt) {
				t.Errorf("updated_at not bumped: %v -> %v", a.UpdatedAt, got.UpdatedAt)
			}
			log, _ := s.AuditLog(context.Background(), "gt-a")
			if last := log[len(log)-1]; last.EventType != "dependency_added" || last.NewValue != "gt-b" || last.Comment != string(typ) {
				t.Errorf("audit = %+v", last)
			}
			// Re-adding the pair with another type changes the type (one row per pair).
			addDep(t, s, "gt-a", "gt-b", models.DepRelated)
			deps, _ = s.Dependencies(context.Background(), "gt-a")
			if len(deps) != 1 || deps[0].Type != models.DepRelated {
				t.Errorf("after re-add deps = %+v", deps)
			}
			mustWrite(t, s, func(tx *Tx) error { return tx.RemoveDependency("gt-a", "gt-b") })
			if deps, _ := s.Dependencies(context.Background(), "gt-a"); len(deps) != 0 {
				t.Errorf("after remove deps = %+v", deps)
			}
		})
	}
}

func TestAddDependencyChecks(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, id := range []string{"gt-a", "gt-b", "gt-c", "gt-d"} {
		create(t, s, models.Bead{ID: id, Title: id}, CreateOpts{})
	}
	addDep(t, s, "gt-a", "gt-b", models.DepBlocks)
	addDep(t, s, "gt-b", "gt-c", models.DepParentChild)
	addDep(t, s, "gt-c", "gt-d", models.DepRelatesTo)
	tests := []struct {
		name, from, to string
		typ            models.DepType
		want           string
		is             error
	}{
		{"missing source first", "gt-x", "gt-y", models.DepBlocks, `no issue found matching "gt-x"`, ErrNotFound},
		{"missing target", "gt-a", "gt-y", models.DepBlocks, `no issue found matching "gt-y"`, ErrNotFound},
		{"self", "gt-a", "gt-a", models.DepBlocks, "issue cannot depend on itself", ErrInvalid},
		{"two-step cycle", "gt-b", "gt-a", models.DepBlocks, "cannot add dependency: would create a cycle (gt-b → gt-a → gt-b)", ErrCycle},
		{"three-step cycle", "gt-c", "gt-a", models.DepTracks, "cannot add dependency: would create a cycle (gt-c → gt-a → gt-b → gt-c)", ErrCycle},
		{"type too long", "gt-a", "gt-c", models.DepType("x123456789x123456789x123456789x123456789x123456789x"), "longer than 50", ErrInvalid},
	}
	for _, tt := range tests {
		err := write(s, func(tx *Tx) error { return tx.AddDependency(tt.from, tt.to, tt.typ) })
		if err == nil || !contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	// relates-to edges are ignored by the cycle check, both ways.
	addDep(t, s, "gt-d", "gt-c", models.DepRelatesTo)
	addDep(t, s, "gt-d", "gt-a", models.DepBlocks) // path a→b→c, c→d is relates-to: no cycle
	if err := write(s, func(tx *Tx) error { return tx.RemoveDependency("gt-a", "gt-d") }); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a missing edge: %v", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
