package town

import (
	"fmt"
	"sync"
	"testing"
)

// TestUpdateRigsSerialized: concurrent read-modify-write cycles of rigs.json
// lose no entry.
func TestUpdateRigsSerialized(t *testing.T) {
	tw := testTown(t, nil)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- tw.UpdateRigs(func(r *RigsRegistry) error {
				name := fmt.Sprintf("r%d", i)
				r.Rigs[name] = RigEntry{GitURL: "u", DefaultBranch: "main", Beads: BeadsRef{Prefix: name}}
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	reg, err := tw.Rigs()
	if err != nil || len(reg.Rigs) != n {
		t.Fatalf("got %d rigs, want %d (%v)", len(reg.Rigs), n, err)
	}
	// An error from fn writes nothing.
	err = tw.UpdateRigs(func(r *RigsRegistry) error {
		r.Rigs = nil
		return fmt.Errorf("no")
	})
	if err == nil {
		t.Fatal("error swallowed")
	}
	if reg, _ := tw.Rigs(); len(reg.Rigs) != n {
		t.Fatal("failed update was written")
	}
}
