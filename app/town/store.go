package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// OpenStore opens the town's beads database. The caller closes it.
func (t *Town) OpenStore(ctx context.Context) (*beads.Store, error) {
	s, err := beads.Open(ctx, t.BeadsDB())
	if err != nil {
		return nil, err
	}
	return s, nil
}

// WithStore opens the store, runs fn, exports the JSONL if fn left beads
// dirty (commands export before exiting when no host runs, spec §4.7), and
// closes the store.
func (t *Town) WithStore(ctx context.Context, fn func(s *beads.Store) error) error {
	s, err := t.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := fn(s); err != nil {
		return err
	}
	if _, err := s.ExportIfDirty(ctx); err != nil {
		return fmt.Errorf("export beads: %w", err)
	}
	return nil
}

// agentMetadata is the metadata.gt object of an agent bead.
type agentMetadata struct {
	Agent    string `json:"agent"`
	Branch   string `json:"branch"`
	Worktree string `json:"worktree"`
}

func agentMetadataJSON(addr models.Address, branch, worktree string) json.RawMessage {
	b, _ := json.Marshal(map[string]agentMetadata{"gt": {Agent: addr.String(), Branch: branch, Worktree: worktree}})
	return b
}

// newAgentBead builds the agent bead for addr (spec §5.1).
func newAgentBead(id string, addr models.Address, state, branch, worktree string) *models.Bead {
	return &models.Bead{
		ID:          id,
		Title:       addr.String(),
		Description: fmt.Sprintf("Agent bead for %s (%s).", addr.String(), addr.Role.String()),
		IssueType:   models.TypeAgent,
		Status:      models.StatusOpen,
		Priority:    models.DefaultPriority,
		RoleType:    addr.Role.String(),
		Rig:         addr.Rig,
		AgentState:  state,
		Labels:      []string{models.AgentLabel},
		Metadata:    agentMetadataJSON(addr, branch, worktree),
	}
}

// initTownStore creates (or completes) the town's store: prefix hq as the
// default, an issues.jsonl, and the Mayor's agent bead, then exports.
func initTownStore(ctx context.Context, t *Town) error {
	if err := os.MkdirAll(t.BeadsDir(), 0o755); err != nil {
		return fmt.Errorf("create .beads: %w", err)
	}
	s, err := t.OpenStore(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetDefaultPrefix(ctx, "hq"); err != nil {
		return fmt.Errorf("set beads prefix hq: %w", err)
	}
	if _, err := os.Stat(t.IssuesJSONL()); errors.Is(err, os.ErrNotExist) {
		if err := writeFileAtomic(t.IssuesJSONL(), nil, 0o644); err != nil {
			return err
		}
	}
	err = s.Write(ctx, models.OverseerAddress.String(), func(tx *beads.Tx) error {
		if _, err := tx.Get(models.MayorBeadID); err == nil {
			return nil
		} else if !errors.Is(err, beads.ErrNotFound) {
			return err
		}
		_, err := tx.Create(newAgentBead(models.MayorBeadID, models.MayorAddress, models.AgentBeadIdle, "", t.Path("mayor")), beads.CreateOpts{Prefix: "hq"})
		return err
	})
	if err != nil {
		return fmt.Errorf("create agent bead %s: %w", models.MayorBeadID, err)
	}
	if _, err := s.ExportIfDirty(ctx); err != nil {
		return fmt.Errorf("export beads: %w", err)
	}
	return nil
}

// importRigBeads registers a rig's prefix and imports a rig's tracked
// issues.jsonl (all or nothing), then exports the town JSONL. It returns the
// number of beads created or updated.
func importRigBeads(ctx context.Context, s *beads.Store, prefix string, jsonl io.Reader, name string) (int, error) {
	n := 0
	if jsonl != nil {
		res, err := s.Import(ctx, jsonl, name)
		if err != nil {
			return 0, err
		}
		n = res.Created + res.Updated
	}
	if err := s.AddPrefix(ctx, prefix); err != nil {
		return 0, fmt.Errorf("register prefix %s: %w", prefix, err)
	}
	if _, err := s.ExportIfDirty(ctx); err != nil {
		return 0, fmt.Errorf("export beads: %w", err)
	}
	return n, nil
}
