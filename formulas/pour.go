package formulas

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/gastown/gt/models"
)

// PourOptions shape the beads a proto is poured into.
type PourOptions struct {
	// Wisp makes every bead ephemeral (never exported); the root gets a
	// -wisp- ID instead of -mol-.
	Wisp bool
	// Assignee is set on the root bead.
	Assignee string
}

// Plan is the set of beads a molecule is made of, ready for a store to
// create in one transaction: the root first, then Steps in order, each as
// a parent-child child of the root (or of its epic step), then a blocks
// dependency for every need. It holds no IDs: the store allocates them.
type Plan struct {
	Root  models.Bead
	Steps []PlanStep
	// Phase is "liquid" for a poured molecule, "vapor" for a wisp.
	Phase string
}

// PlanStep is one step bead of a Plan.
type PlanStep struct {
	// StepID is the formula step ID (kept in the bead's metadata.step_id).
	StepID string
	// Parent is the step ID of the enclosing epic step, "" for the root.
	Parent string
	Bead   models.Bead
	// Needs are step IDs this step is blocked by.
	Needs []string
}

// Molecule metadata keys.
const (
	// MetaStepID holds a step bead's formula step ID.
	MetaStepID = "step_id"
	// MetaVars holds the root bead's variable values.
	MetaVars = "vars"
)

// PlanPour turns a cooked proto into the beads of a molecule (§7.5): a root
// of type molecule (mol_type work, source_formula set) and one child per
// step, gates included.
func PlanPour(p *Proto, opt PourOptions) (*Plan, error) {
	if p == nil {
		return nil, fmt.Errorf("plan pour: no proto")
	}
	title := p.RootTitle
	if title == "" {
		title = p.Formula
	}
	rootMeta, err := json.Marshal(map[string]any{MetaVars: p.VarValues()})
	if err != nil {
		return nil, fmt.Errorf("plan pour: %w", err)
	}
	plan := &Plan{
		Root: models.Bead{
			Title:         title,
			Description:   p.RootDescription,
			Status:        models.StatusOpen,
			Priority:      models.DefaultPriority,
			IssueType:     models.TypeMolecule,
			Assignee:      opt.Assignee,
			MolType:       "work",
			SourceFormula: p.Formula,
			Ephemeral:     opt.Wisp,
			Metadata:      rootMeta,
		},
		Phase: "liquid",
	}
	if opt.Wisp {
		plan.Phase = "vapor"
	}
	ids := map[string]bool{}
	for _, s := range p.Steps {
		if ids[s.ID] {
			return nil, fmt.Errorf("plan pour: duplicate step id %q", s.ID)
		}
		ids[s.ID] = true
	}
	for _, s := range p.Steps {
		meta := map[string]any{}
		maps.Copy(meta, s.Metadata)
		meta[MetaStepID] = s.ID
		raw, err := json.Marshal(meta)
		if err != nil {
			return nil, fmt.Errorf("plan pour: step %s metadata: %w", s.ID, err)
		}
		b := models.Bead{
			Title:       s.Title,
			Description: s.Description,
			Notes:       s.Notes,
			Status:      models.StatusOpen,
			Priority:    s.Priority,
			IssueType:   s.Type,
			Assignee:    s.Assignee,
			Labels:      append([]string(nil), s.Labels...),
			Ephemeral:   opt.Wisp,
			Metadata:    raw,
		}
		if g := s.Gate; g != nil {
			b.AwaitType = g.Type
			b.AwaitID = g.ID
			b.Timeout = int64(g.Timeout)
		}
		for _, n := range s.Needs {
			if !ids[n] {
				return nil, fmt.Errorf("plan pour: step %s needs unknown step %q", s.ID, n)
			}
		}
		if s.Parent != "" && !ids[s.Parent] {
			return nil, fmt.Errorf("plan pour: step %s has unknown parent %q", s.ID, s.Parent)
		}
		plan.Steps = append(plan.Steps, PlanStep{StepID: s.ID, Parent: s.Parent, Bead: b, Needs: append([]string(nil), s.Needs...)})
	}
	return plan, nil
}
