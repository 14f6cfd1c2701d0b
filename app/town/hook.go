package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// Attachment is what a sling attaches to a work bead, kept in its
// metadata.gt (spec §5.7).
type Attachment struct {
	Formula       string            `json:"attached_formula,omitempty"`
	AttachedAt    *time.Time        `json:"attached_at,omitempty"`
	Vars          map[string]string `json:"attached_vars,omitempty"`
	Args          string            `json:"attached_args,omitempty"`
	DispatchedBy  string            `json:"dispatched_by,omitempty"`
	ConvoyID      string            `json:"convoy_id,omitempty"`
	MergeStrategy string            `json:"merge_strategy,omitempty"`
}

// attachmentKeys are the metadata.gt keys an attachment owns.
var attachmentKeys = [...]string{"attached_formula", "attached_at", "attached_vars", "attached_args", "dispatched_by", "convoy_id", "merge_strategy"}

// gtMeta returns metadata.gt of a bead as a key → raw JSON map (empty when
// absent or malformed).
func gtMeta(b *models.Bead) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	var top map[string]json.RawMessage
	if len(b.Metadata) == 0 || json.Unmarshal(b.Metadata, &top) != nil {
		return out
	}
	if raw, ok := top["gt"]; ok {
		_ = json.Unmarshal(raw, &out)
		if out == nil {
			out = map[string]json.RawMessage{}
		}
	}
	return out
}

// BeadAttachment reads the attachment of a work bead.
func BeadAttachment(b *models.Bead) Attachment {
	var a Attachment
	raw, err := json.Marshal(gtMeta(b))
	if err == nil {
		_ = json.Unmarshal(raw, &a)
	}
	return a
}

// IsZero reports whether nothing is attached.
func (a Attachment) IsZero() bool {
	return a.Formula == "" && a.AttachedAt == nil && len(a.Vars) == 0 && a.Args == "" && a.DispatchedBy == "" && a.ConvoyID == "" && a.MergeStrategy == ""
}

// writeAttachment replaces the attachment keys of metadata.gt, keeping its
// other keys.
func writeAttachment(tx *beads.Tx, b *models.Bead, a *Attachment) error {
	m := gtMeta(b)
	for _, k := range attachmentKeys {
		delete(m, k)
	}
	if a != nil {
		raw, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode attachment: %w", err)
		}
		var am map[string]json.RawMessage
		if err := json.Unmarshal(raw, &am); err != nil {
			return fmt.Errorf("encode attachment: %w", err)
		}
		for k, v := range am {
			m[k] = v
		}
	}
	if len(m) == 0 {
		return tx.SetMetadata(b.ID, "gt", nil)
	}
	return tx.SetMetadata(b.ID, "gt", m)
}

// HookedBead is one bead on a hook with its attachment.
type HookedBead struct {
	Bead       models.Bead
	Attachment Attachment
	// Steps is the number of steps of the attached formula (-1 when it
	// cannot be cooked, 0 without a formula).
	Steps int
}

// HookView is an agent's hook.
type HookView struct {
	Address string
	Beads   []HookedBead
}

// formulaSearchPath is the search path for an agent's formulas (spec §7.4):
// the agent's checkout (or the rig's mayor/rig), the town, the home dir.
func (t *Town) formulaSearchPath(addr models.Address) *formulas.SearchPath {
	var rigDir string
	if addr.Rig != "" {
		rigDir = t.Workdir(addr)
		if _, err := os.Stat(rigDir); err != nil {
			rigDir = t.Path(addr.Rig, "mayor", "rig")
		}
	}
	home := t.getenv("HOME")
	return formulas.NewSearchPath(rigDir, t.Root, home)
}

// cookAttachment cooks the formula attached to a bead with its vars.
func (t *Town) cookAttachment(addr models.Address, a Attachment) (*formulas.Proto, error) {
	if a.Formula == "" {
		return nil, nil
	}
	return t.formulaSearchPath(addr).Cook(a.Formula, formulas.CookOptions{Vars: a.Vars, Pour: true})
}

// countSteps is the number of non-gate steps of a proto.
func countSteps(p *formulas.Proto) int {
	n := 0
	for _, s := range p.Steps {
		if !s.IsGate() {
			n++
		}
	}
	return n
}

// Hook returns what is on addr's hook, oldest first.
func (t *Town) Hook(ctx context.Context, addr models.Address) (*HookView, error) {
	v := &HookView{Address: addr.String()}
	err := t.withReadStore(ctx, func(s *beads.Store) error {
		list, err := hookedTo(ctx, s, addr.String())
		if err != nil {
			return err
		}
		for _, b := range list {
			a := BeadAttachment(&b)
			hb := HookedBead{Bead: b, Attachment: a}
			if a.Formula != "" {
				hb.Steps = -1
				if p, err := t.cookAttachment(addr, a); err == nil && p != nil {
					hb.Steps = countSteps(p)
				}
			}
			v.Beads = append(v.Beads, hb)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// withReadStore opens the store for reading only (no export).
func (t *Town) withReadStore(ctx context.Context, fn func(s *beads.Store) error) error {
	s, err := t.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}

// HookClearOptions are the inputs of gt hook clear.
type HookClearOptions struct {
	Actor   string
	Address models.Address // whose hook (the caller)
	Bead    string         // one bead ("" = everything on the hook)
}

// HookClear takes beads off a hook (spec §5.7): status open, assignee
// cleared, event unhook. A bead given explicitly may be on anyone's hook.
// It returns the IDs it cleared.
func (t *Town) HookClear(ctx context.Context, o HookClearOptions) ([]string, error) {
	var cleared []string
	type unhook struct{ id, from string }
	var evs []unhook
	err := t.withStoreExport(ctx, func(s *beads.Store) error {
		var ids []string
		if o.Bead != "" {
			id, err := s.Resolve(ctx, o.Bead)
			if err != nil {
				return err
			}
			b, err := s.Get(ctx, id)
			if err != nil {
				return err
			}
			if b.Status != models.StatusHooked && b.Status != models.StatusInProgress {
				return fmt.Errorf("%s is not hooked (status %s)", id, b.Status)
			}
			ids = []string{id}
		} else {
			list, err := hookedTo(ctx, s, o.Address.String())
			if err != nil {
				return err
			}
			for _, b := range list {
				ids = append(ids, b.ID)
			}
		}
		return s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
			cleared, evs = nil, nil
			for _, id := range ids {
				b, err := tx.Get(id)
				if err != nil {
					return err
				}
				if b.Status != models.StatusHooked && b.Status != models.StatusInProgress {
					continue
				}
				open, none := models.StatusOpen, ""
				if _, err := tx.Update(id, beads.Update{Status: &open, Assignee: &none}); err != nil {
					return err
				}
				if err := clearAgentHook(tx, t, b.Assignee, id); err != nil {
					return err
				}
				cleared = append(cleared, id)
				evs = append(evs, unhook{id, b.Assignee})
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		if err := eventlog.Emit(t.Root, eventlog.SourceGT, "unhook", o.Actor,
			map[string]string{"bead": e.id, "from": e.from}, models.VisibilityBoth); err != nil {
			return cleared, err
		}
	}
	return cleared, nil
}

// clearAgentHook empties the hook_bead of the agent bead of address when it
// points at beadID.
func clearAgentHook(tx *beads.Tx, t *Town, address, beadID string) error {
	id := t.agentBeadIDFor(address)
	if id == "" {
		return nil
	}
	ab, err := tx.Get(id)
	if errors.Is(err, beads.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ab.HookBead != beadID {
		return nil
	}
	none := ""
	_, err = tx.Update(id, beads.Update{HookBead: &none})
	return err
}

// agentBeadIDFor is the agent bead ID of an address string ("" when the
// address has none or its rig is unknown).
func (t *Town) agentBeadIDFor(address string) string {
	a, err := models.ParseAddress(address)
	if err != nil || !a.IsAgent() {
		return ""
	}
	if a.Role == models.RoleMayor {
		return models.MayorBeadID
	}
	if a.Role == models.RoleUnknown {
		return ""
	}
	p, err := t.RigPrefix(a.Rig)
	if err != nil {
		return ""
	}
	return models.AgentBeadID(p, a)
}

// withStoreExport is WithStore that exports the JSONL even when fn fails
// part-way: the transactions fn committed before failing are durable and
// must reach issues.jsonl before the command exits (spec §4.7).
func (t *Town) withStoreExport(ctx context.Context, fn func(s *beads.Store) error) error {
	s, err := t.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	ferr := fn(s)
	if _, err := s.ExportIfDirty(ctx); err != nil && ferr == nil {
		return fmt.Errorf("export beads: %w", err)
	}
	return ferr
}
