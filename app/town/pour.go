package town

import (
	"fmt"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// PourPlan creates a plan's beads inside one transaction: the root, then
// each step as a child of the root (or of its epic step) in plan order, then
// a blocks edge for every need. It returns the root and step ID → bead ID.
func PourPlan(tx *beads.Tx, plan *formulas.Plan, prefix string, wisp bool) (*models.Bead, map[string]string, error) {
	kind := beads.KindMol
	if wisp {
		kind = beads.KindWisp
	}
	rootIn := plan.Root
	root, err := tx.Create(&rootIn, beads.CreateOpts{Prefix: prefix, Kind: kind})
	if err != nil {
		return nil, nil, fmt.Errorf("create molecule root: %w", err)
	}
	ids := make(map[string]string, len(plan.Steps))
	for _, st := range plan.Steps {
		parent := root.ID
		if st.Parent != "" {
			parent = ids[st.Parent]
		}
		b := st.Bead
		nb, err := tx.Create(&b, beads.CreateOpts{Prefix: prefix, Parent: parent})
		if err != nil {
			return nil, nil, fmt.Errorf("create step %s: %w", st.StepID, err)
		}
		ids[st.StepID] = nb.ID
	}
	for _, st := range plan.Steps {
		for _, n := range st.Needs {
			if err := tx.AddDependency(ids[st.StepID], ids[n], models.DepBlocks); err != nil {
				return nil, nil, fmt.Errorf("step %s needs %s: %w", st.StepID, n, err)
			}
		}
	}
	return root, ids, nil
}
