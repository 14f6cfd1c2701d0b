package town

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// CrewAddOptions are the inputs of gt crew add.
type CrewAddOptions struct {
	Names []string // "<name>" or "<rig>/<name>"
	Rig   string   // --rig
	// Branch creates and checks out crew/<name> (--branch).
	Branch bool
	Actor  string
	Cwd    string
	// Progress receives git's clone progress (nil: discarded).
	Progress io.Writer
}

// CrewAddResult is the outcome for one name.
type CrewAddResult struct {
	Address models.Address
	Path    string
	Branch  string
	// Skipped is set when the crew member already existed.
	Skipped bool
}

// ErrNoRig is returned when a command cannot tell which rig is meant.
var ErrNoRig = errors.New("cannot tell which rig (use --rig)")

// PickRig resolves the rig of a command: explicit, else $GT_RIG, else the
// registered rig containing cwd.
func (t *Town) PickRig(explicit, cwd string) (string, error) {
	rig := explicit
	if rig == "" {
		rig = t.getenv("GT_RIG")
	}
	if rig == "" {
		if r, ok := t.RigFromDir(cwd); ok {
			rig = r
		}
	}
	if rig == "" {
		return "", ErrNoRig
	}
	if _, err := t.RigPrefix(rig); err != nil {
		return "", err
	}
	return rig, nil
}

// AddCrew creates crew workspaces (spec §6.1). Names are all checked before
// any is created; an existing member is skipped.
func (t *Town) AddCrew(ctx context.Context, o CrewAddOptions) ([]CrewAddResult, error) {
	if len(o.Names) == 0 {
		return nil, errors.New("crew name is required")
	}
	type job struct{ rig, name string }
	var jobs []job
	for _, n := range o.Names {
		rig, name := o.Rig, n
		if r, nm, ok := strings.Cut(n, "/"); ok {
			if o.Rig != "" && o.Rig != r {
				return nil, fmt.Errorf("crew %q is not in rig %s", n, o.Rig)
			}
			rig, name = r, nm
		}
		if err := models.ValidateCrewName(name); err != nil {
			return nil, err
		}
		if rig == "" {
			var err error
			if rig, err = t.PickRig("", o.Cwd); err != nil {
				return nil, err
			}
		} else if _, err := t.RigPrefix(rig); err != nil {
			return nil, err
		}
		jobs = append(jobs, job{rig, name})
	}
	var out []CrewAddResult
	for _, j := range jobs {
		r, err := t.addCrew(ctx, j.rig, j.name, o)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *Town) addCrew(ctx context.Context, rig, name string, o CrewAddOptions) (CrewAddResult, error) {
	addr := models.Address{Role: models.RoleCrew, Rig: rig, Name: name}
	dir := t.Workdir(addr)
	reg, err := t.Rigs()
	if err != nil {
		return CrewAddResult{}, err
	}
	entry := reg.Rigs[rig]
	beadID := models.AgentBeadID(entry.Beads.Prefix, addr)
	s, err := t.OpenStore(ctx)
	if err != nil {
		return CrewAddResult{}, err
	}
	defer s.Close()
	_, getErr := s.Get(ctx, beadID)
	hasBead := getErr == nil
	if getErr != nil && !errors.Is(getErr, beads.ErrNotFound) {
		return CrewAddResult{}, getErr
	}
	if _, err := os.Lstat(dir); err == nil {
		if hasBead && t.CrewExists(rig, name) {
			return CrewAddResult{Address: addr, Path: dir, Skipped: true}, nil
		}
		// A partial workspace left by a killed run (spec R2).
		if err := os.RemoveAll(dir); err != nil {
			return CrewAddResult{}, fmt.Errorf("remove partial crew %s: %w", dir, err)
		}
	}
	branch := entry.DefaultBranch
	fail := func(err error) (CrewAddResult, error) {
		os.RemoveAll(dir)
		return CrewAddResult{}, err
	}
	bare := t.Path(rig, ".repo.git")
	args := []string{"clone", "--progress", "--reference", bare}
	if branch != "" {
		args = append(args, "--branch", branch)
	}
	args = append(args, "--", entry.GitURL, dir)
	if _, err := gitProgress(ctx, "", o.Progress, args...); err != nil {
		return fail(err)
	}
	if o.Branch {
		branch = "crew/" + name
		if _, err := git(ctx, dir, "checkout", "-q", "-b", branch); err != nil {
			return fail(err)
		}
	} else if branch == "" {
		if branch, err = git(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD"); err != nil {
			return fail(err)
		}
	}
	actor := o.Actor
	if actor == "" {
		actor = models.OverseerAddress.String()
	}
	err = s.Write(ctx, actor, func(tx *beads.Tx) error {
		if _, err := tx.Get(beadID); err == nil {
			state := models.AgentBeadIdle
			_, err := tx.Update(beadID, beads.Update{AgentState: &state, Metadata: agentMetadataJSON(addr, branch, dir)})
			return err
		} else if !errors.Is(err, beads.ErrNotFound) {
			return err
		}
		_, err := tx.Create(newAgentBead(beadID, addr, models.AgentBeadIdle, branch, dir), beads.CreateOpts{Prefix: entry.Beads.Prefix})
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("create agent bead %s: %w", beadID, err))
	}
	if _, err := s.ExportIfDirty(ctx); err != nil {
		return CrewAddResult{}, fmt.Errorf("export beads: %w", err)
	}
	if err := eventlog.Emit(t.Root, eventlog.SourceGT, "crew_added", actor,
		map[string]string{"rig": rig, "name": name}, models.VisibilityBoth); err != nil {
		return CrewAddResult{}, err
	}
	return CrewAddResult{Address: addr, Path: dir, Branch: branch}, nil
}

// CrewInfo is one row of gt crew list.
type CrewInfo struct {
	Address string `json:"address"`
	Rig     string `json:"rig"`
	Name    string `json:"name"`
	Branch  string `json:"branch"`
	State   string `json:"state"`
	Path    string `json:"path"`
}

// ListCrew lists crew members of one rig ("" = all rigs), by rig then name.
// State is the agent bead's agent_state (idle when unknown).
func (t *Town) ListCrew(ctx context.Context, rig string) ([]CrewInfo, error) {
	reg, err := t.Rigs()
	if err != nil {
		return nil, err
	}
	var rigs []string
	if rig != "" {
		if _, ok := reg.Rigs[rig]; !ok {
			return nil, fmt.Errorf("unknown rig %q (see gt rig list)", rig)
		}
		rigs = []string{rig}
	} else {
		rigs, _ = t.RigNames()
	}
	out := []CrewInfo{}
	var s *beads.Store
	for _, r := range rigs {
		for _, name := range listSubdirs(t.Path(r, "crew")) {
			if !t.CrewExists(r, name) {
				continue
			}
			addr := models.Address{Role: models.RoleCrew, Rig: r, Name: name}
			dir := t.Workdir(addr)
			info := CrewInfo{Address: addr.String(), Rig: r, Name: name, Path: dir, State: models.AgentBeadIdle}
			if b, err := git(ctx, dir, "rev-parse", "--abbrev-ref", "HEAD"); err == nil {
				info.Branch = b
			}
			if s == nil {
				if s, err = t.OpenStore(ctx); err != nil {
					return nil, err
				}
				defer s.Close()
			}
			if b, err := s.Get(ctx, models.AgentBeadID(reg.Rigs[r].Beads.Prefix, addr)); err == nil && b.AgentState != "" {
				info.State = b.AgentState
			}
			out = append(out, info)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Rig != out[j].Rig {
			return out[i].Rig < out[j].Rig
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
