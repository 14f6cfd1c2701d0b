package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// madMaxNames is the default polecat name theme (spec §6.3); after it come
// 51, 52, … A constant table: never modified.
var madMaxNames = [...]string{
	"furiosa", "nux", "slit", "rictus", "dementus", "capable", "toast", "dag", "cheedo",
	"valkyrie", "keeper", "morsov", "ace", "warboy", "imperator", "organic", "coma", "splendid", "angharad", "max", "immortan", "bullet", "toecutter", "goose", "nightrider",
	"glory", "scrotus", "chumbucket", "dinki", "prime", "vuvalini", "rockryder", "wretched", "buzzard", "gastown", "citadel", "wasteland", "fury", "interceptor",
	"blackfinger", "wraith", "chrome", "shiny", "mediocre", "guzzoline",
}

// firstNumberedName is the first numeric name after the theme runs out.
const firstNumberedName = 51

// PoolName returns the i-th name (0-based) of a rig's name pool: the rig's
// namepool.names when set, else the mad-max theme, then 51, 52, …
func PoolName(custom []string, i int) string {
	names := custom
	if len(names) == 0 {
		names = madMaxNames[:]
	}
	if i < len(names) {
		return names[i]
	}
	return strconv.Itoa(firstNumberedName + i - len(names))
}

// Lock file names under <rig>/.runtime/locks.
const (
	namepoolLockName = "namepool.lock"
	refineryLockName = "refinery.lock"
	namepoolState    = "namepool-state.json"
)

// RigLockPath is <rig>/.runtime/locks/<name>.
func (t *Town) RigLockPath(rig, name string) string {
	return t.Path(rig, ".runtime", "locks", name)
}

// lockFile takes an exclusive flock on path (created if missing), waiting
// until it is free or ctx ends. The returned function releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create lock dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	delay := 5 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 100*time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// PolecatRecord is one polecat in <rig>/.runtime/namepool-state.json.
type PolecatRecord struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Branch    string    `json:"branch,omitempty"`
	Worktree  string    `json:"worktree,omitempty"`
	Bead      string    `json:"bead,omitempty"`
}

// NamepoolState is <rig>/.runtime/namepool-state.json: the polecats the
// rig has allocated, in allocation order.
type NamepoolState struct {
	Version  int             `json:"version"`
	Polecats []PolecatRecord `json:"polecats"`
}

func (t *Town) namepoolStatePath(rig string) string {
	return t.Path(rig, ".runtime", namepoolState)
}

// readNamepoolState reads the rig's name pool state (empty if missing).
func (t *Town) readNamepoolState(rig string) (*NamepoolState, error) {
	st := &NamepoolState{Version: 1}
	p := t.namepoolStatePath(rig)
	if err := readJSONFile(p, p, st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &NamepoolState{Version: 1}, nil
		}
		return nil, err
	}
	return st, nil
}

func (t *Town) writeNamepoolState(rig string, st *NamepoolState) error {
	if st.Polecats == nil {
		st.Polecats = []PolecatRecord{}
	}
	return writeJSONFile(t.namepoolStatePath(rig), st)
}

// Polecats lists the rig's polecats: those in the name pool state, then any
// other directory under <rig>/polecats, in pool order.
func (t *Town) Polecats(rig string) ([]string, error) {
	st, err := t.readNamepoolState(rig)
	if err != nil {
		return nil, err
	}
	rs, err := t.RigSettings(rig)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, r := range st.Polecats {
		if !seen[r.Name] {
			seen[r.Name] = true
			names = append(names, r.Name)
		}
	}
	for _, d := range listSubdirs(t.Path(rig, "polecats")) {
		if !seen[d] && models.ValidateAgentName(d) == nil {
			seen[d] = true
			names = append(names, d)
		}
	}
	slices.SortStableFunc(names, func(a, b string) int {
		return poolIndex(rs.PoolNames(), a) - poolIndex(rs.PoolNames(), b)
	})
	return names, nil
}

// poolIndex is name's position in the rig's pool (names outside it sort
// last).
func poolIndex(custom []string, name string) int {
	names := custom
	if len(names) == 0 {
		names = madMaxNames[:]
	}
	if i := slices.Index(names, name); i >= 0 {
		return i
	}
	if n, err := strconv.Atoi(name); err == nil && n >= firstNumberedName {
		return len(names) + n - firstNumberedName
	}
	return 1 << 30
}

// hookedTo lists the beads hooked to or in progress for addr, oldest first
// (ephemeral beads included).
func hookedTo(ctx context.Context, s *beads.Store, addr string) ([]models.Bead, error) {
	return s.List(ctx, beads.Filter{
		Status:        []models.Status{models.StatusHooked, models.StatusInProgress},
		Assignee:      addr,
		IncludeClosed: true,
		Sort:          "oldest",
	})
}

// polecatPlan is the outcome of choosing a polecat for a bead.
type polecatPlan struct {
	Addr     models.Address
	New      bool // a name never used before (a new worktree)
	Reused   bool // an idle polecat taking new work
	Busy     bool // an explicit polecat that already has hooked work: no new branch
	Branch   string
	Worktree string
}

// PolecatBranch is the work branch of a polecat for a bead (spec §6.3):
// polecat/<name>/<bead-id>@<unix-millis in base36>.
func PolecatBranch(name, beadID string, at time.Time) string {
	return "polecat/" + name + "/" + beadID + "@" + strconv.FormatInt(at.UnixMilli(), 36)
}

// choosePolecat picks the polecat for a bead slung to rig (name "" = any):
// the first idle polecat in pool order, else the first free pool name. It
// reads only, so --dry-run can use it; the caller holds the namepool lock
// when it goes on to allocate.
func (t *Town) choosePolecat(ctx context.Context, s *beads.Store, rig, name, beadID string, now time.Time) (*polecatPlan, error) {
	existing, err := t.Polecats(rig)
	if err != nil {
		return nil, err
	}
	rs, err := t.RigSettings(rig)
	if err != nil {
		return nil, err
	}
	plan := func(n string) *polecatPlan {
		a := models.Address{Role: models.RolePolecat, Rig: rig, Name: n}
		return &polecatPlan{Addr: a, Branch: PolecatBranch(n, beadID, now), Worktree: t.Workdir(a)}
	}
	if name != "" {
		p := plan(name)
		if !slices.Contains(existing, name) {
			if err := t.checkPolecatLimit(rig, len(existing)); err != nil {
				return nil, err
			}
			p.New = true
			return p, nil
		}
		hooked, err := hookedTo(ctx, s, p.Addr.String())
		if err != nil {
			return nil, err
		}
		if len(hooked) > 0 {
			p.Busy = true
			p.Branch = ""
			return p, nil
		}
		p.Reused = true
		return p, nil
	}
	for _, n := range existing {
		hooked, err := hookedTo(ctx, s, models.Address{Role: models.RolePolecat, Rig: rig, Name: n}.String())
		if err != nil {
			return nil, err
		}
		if len(hooked) == 0 {
			p := plan(n)
			p.Reused = true
			return p, nil
		}
	}
	if err := t.checkPolecatLimit(rig, len(existing)); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		n := PoolName(rs.PoolNames(), i)
		if slices.Contains(existing, n) || t.CrewExists(rig, n) || models.ValidateAgentName(n) != nil {
			continue
		}
		p := plan(n)
		p.New = true
		return p, nil
	}
}

func (t *Town) checkPolecatLimit(rig string, have int) error {
	ts, err := t.Settings()
	if err != nil {
		return err
	}
	if limit := ts.MaxPolecatsPerRig(); have >= limit {
		return fmt.Errorf("rig %s has %d polecats (limit polecat.max_per_rig)", rig, have)
	}
	return nil
}

// RigDefaultBranch is the rig's default branch (rigs.json, else the rig
// config, else main).
func (t *Town) RigDefaultBranch(rig string) string {
	if reg, err := t.Rigs(); err == nil {
		if e, ok := reg.Rigs[rig]; ok && e.DefaultBranch != "" {
			return e.DefaultBranch
		}
	}
	if c, err := t.RigConfig(rig); err == nil && c.DefaultBranch != "" {
		return c.DefaultBranch
	}
	return "main"
}

// RepoGitDir is <rig>/.repo.git, the rig's shared bare repository.
func (t *Town) RepoGitDir(rig string) string { return t.Path(rig, ".repo.git") }

// worktreeBase returns the commit a new polecat branch starts from: the
// local default branch, or origin's when it is strictly ahead of it (the
// refinery fast-forwards the local branch on its next pass).
func (t *Town) worktreeBase(ctx context.Context, rig string) (string, error) {
	bare := t.RepoGitDir(rig)
	def := t.RigDefaultBranch(rig)
	local := "refs/heads/" + def
	if _, err := git(ctx, "", "--git-dir", bare, "rev-parse", "--verify", "--quiet", local+"^{commit}"); err != nil {
		return "", fmt.Errorf("rig %s: default branch %s not found in .repo.git", rig, def)
	}
	remote := "refs/remotes/origin/" + def
	if _, err := git(ctx, "", "--git-dir", bare, "rev-parse", "--verify", "--quiet", remote+"^{commit}"); err == nil {
		if _, err := git(ctx, "", "--git-dir", bare, "merge-base", "--is-ancestor", local, remote); err == nil {
			return remote, nil
		}
	}
	return local, nil
}

// fetchTimeout bounds a fetch of origin: a dead remote must not hold the
// namepool or refinery lock for long (the caller goes on with local refs).
const fetchTimeout = 30 * time.Second

// fetchRig fetches origin into .repo.git's remote-tracking refs.
func (t *Town) fetchRig(ctx context.Context, rig string) error {
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	_, err := git(fctx, "", "--git-dir", t.RepoGitDir(rig), "fetch", "--quiet", "origin")
	return err
}

// setupPolecatWorktree gives the planned polecat its worktree on a new
// branch: `git worktree add -b <branch> <path> <base>` for a new polecat
// (or one whose worktree is gone), else a fresh branch checked out in the
// existing worktree. Busy polecats keep their worktree as it is.
func (t *Town) setupPolecatWorktree(ctx context.Context, rig string, p *polecatPlan) error {
	if p.Busy {
		return nil
	}
	base, err := t.worktreeBase(ctx, rig)
	if err != nil {
		return err
	}
	bare := t.RepoGitDir(rig)
	if _, err := os.Stat(filepath.Join(p.Worktree, ".git")); err == nil {
		// An idle polecat: its last work is committed on its old branch (gt
		// done commits stray changes), so the worktree is reset onto a new
		// branch from the base, as the host does after gt done.
		if _, err := git(ctx, p.Worktree, "checkout", "--quiet", "--force", "-B", p.Branch, base); err != nil {
			return err
		}
		if _, err := git(ctx, p.Worktree, "clean", "-fdq"); err != nil {
			return err
		}
		return nil
	}
	// New polecat, or a directory left without a worktree by a killed run.
	if err := os.RemoveAll(p.Worktree); err != nil {
		return fmt.Errorf("remove stale worktree %s: %w", p.Worktree, err)
	}
	if _, err := git(ctx, "", "--git-dir", bare, "worktree", "prune"); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.Worktree), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p.Worktree), err)
	}
	if _, err := git(ctx, "", "--git-dir", bare, "worktree", "add", "--quiet", "-b", p.Branch, p.Worktree, base); err != nil {
		return err
	}
	return nil
}

// recordPolecat notes the polecat in namepool-state.json (called with the
// namepool lock held).
func (t *Town) recordPolecat(rig string, p *polecatPlan, beadID string, now time.Time) error {
	st, err := t.readNamepoolState(rig)
	if err != nil {
		return err
	}
	rec := PolecatRecord{Name: p.Addr.Name, CreatedAt: now.UTC(), Branch: p.Branch, Worktree: p.Worktree, Bead: beadID}
	for i, r := range st.Polecats {
		if r.Name == p.Addr.Name {
			rec.CreatedAt = r.CreatedAt
			if p.Busy {
				rec.Branch, rec.Bead = r.Branch, r.Bead
			}
			st.Polecats[i] = rec
			return t.writeNamepoolState(rig, st)
		}
	}
	st.Polecats = append(st.Polecats, rec)
	return t.writeNamepoolState(rig, st)
}

// PolecatBranchBead extracts the bead ID from a polecat branch name
// (polecat/<name>/<bead-id>@<stamp>); ok is false for other branches.
func PolecatBranchBead(branch string) (string, bool) {
	rest, ok := strings.CutPrefix(branch, "polecat/")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	id, _, _ := strings.Cut(rest, "@")
	if id == "" {
		return "", false
	}
	return id, true
}

// agentBeadMeta is metadata.gt of an agent bead plus the runtime a sling
// asked for (--agent), which the host uses when it spawns the session.
type agentBeadMeta struct {
	Agent    string `json:"agent"`
	Branch   string `json:"branch"`
	Worktree string `json:"worktree"`
	Runtime  string `json:"runtime,omitempty"`
}

// readAgentBeadMeta returns metadata.gt of an agent's bead (the polecat's
// branch, worktree and the runtime a sling pinned with --agent); ok is false
// when the agent has no bead or no such metadata.
func (t *Town) readAgentBeadMeta(ctx context.Context, s *beads.Store, address string) (agentBeadMeta, bool) {
	id := t.agentBeadIDFor(address)
	if id == "" {
		return agentBeadMeta{}, false
	}
	b, err := s.Get(ctx, id)
	if err != nil {
		return agentBeadMeta{}, false
	}
	var m struct {
		GT agentBeadMeta `json:"gt"`
	}
	if json.Unmarshal(b.Metadata, &m) != nil {
		return agentBeadMeta{}, false
	}
	return m.GT, true
}

// upsertAgentBead creates or updates addr's agent bead inside tx with the
// given state and hook (branch/worktree kept when empty).
func upsertAgentBead(tx *beads.Tx, prefix string, addr models.Address, state, hook, branch, worktree, runtime string) error {
	id := models.AgentBeadID(prefix, addr)
	if id == "" {
		return nil
	}
	b, err := tx.Get(id)
	if err != nil && !errors.Is(err, beads.ErrNotFound) {
		return err
	}
	if b == nil {
		nb := newAgentBead(id, addr, state, branch, worktree)
		nb.HookBead = hook
		meta, _ := json.Marshal(map[string]agentBeadMeta{"gt": {Agent: addr.String(), Branch: branch, Worktree: worktree, Runtime: runtime}})
		nb.Metadata = meta
		_, err := tx.Create(nb, beads.CreateOpts{Prefix: prefix})
		return err
	}
	var cur struct {
		GT agentBeadMeta `json:"gt"`
	}
	_ = json.Unmarshal(b.Metadata, &cur)
	m := cur.GT
	m.Agent = addr.String()
	if branch != "" {
		m.Branch = branch
	}
	if worktree != "" {
		m.Worktree = worktree
	}
	m.Runtime = runtime
	u := beads.Update{AgentState: &state, HookBead: &hook}
	if _, err := tx.Update(id, u); err != nil {
		return err
	}
	return tx.SetMetadata(id, "gt", m)
}

// PolecatWork is a polecat the host must run: it has hooked work.
type PolecatWork struct {
	Address  models.Address
	Bead     string // the current (oldest) hooked bead
	Branch   string
	Worktree string
	// Runtime is the --agent alias its sling asked for ("" = resolve).
	Runtime string
}

// HookedPolecats lists every polecat with hooked or in-progress work, by
// address: the host's desired polecat sessions (spec §5.4).
func (t *Town) HookedPolecats(ctx context.Context) ([]PolecatWork, error) {
	var out []PolecatWork
	err := t.withReadStore(ctx, func(s *beads.Store) error {
		list, err := s.List(ctx, beads.Filter{
			Status:        []models.Status{models.StatusHooked, models.StatusInProgress},
			IncludeClosed: true,
			Sort:          "oldest",
		})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, b := range list {
			a, err := models.ParseAddress(b.Assignee)
			if err != nil || a.Role != models.RolePolecat || seen[a.String()] {
				continue
			}
			seen[a.String()] = true
			w := PolecatWork{Address: a, Bead: b.ID, Worktree: t.Workdir(a)}
			if p, err := t.RigPrefix(a.Rig); err == nil {
				if ab, err := s.Get(ctx, models.AgentBeadID(p, a)); err == nil {
					var m struct {
						GT agentBeadMeta `json:"gt"`
					}
					if json.Unmarshal(ab.Metadata, &m) == nil {
						w.Branch, w.Runtime = m.GT.Branch, m.GT.Runtime
					}
				}
			}
			out = append(out, w)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b PolecatWork) int { return strings.Compare(a.Address.String(), b.Address.String()) })
	return out, err
}

// MarkBeaconDelivered records that addr's session got its beacon (spec
// §5.4): its hooked beads become in_progress and its agent bead working.
func (t *Town) MarkBeaconDelivered(ctx context.Context, addr models.Address) error {
	return t.withStoreExport(ctx, func(s *beads.Store) error {
		return s.Write(ctx, SenderHost, func(tx *beads.Tx) error {
			list, err := tx.List(beads.Filter{Status: []models.Status{models.StatusHooked}, Assignee: addr.String(), IncludeClosed: true})
			if err != nil {
				return err
			}
			st := models.StatusInProgress
			for _, b := range list {
				if _, err := tx.Update(b.ID, beads.Update{Status: &st}); err != nil {
					return err
				}
			}
			id := t.agentBeadIDFor(addr.String())
			if id == "" {
				return nil
			}
			if _, err := tx.Get(id); errors.Is(err, beads.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			state := models.AgentBeadWorking
			_, err = tx.Update(id, beads.Update{AgentState: &state})
			return err
		})
	})
}

// ResetPolecatWorktree readies an idle polecat's worktree for reuse after
// its session ended (spec §5.8): git reset --hard, git clean -fd, detached
// at the default branch. Work already committed stays on its branch. It
// refuses while the polecat has hooked work.
func (t *Town) ResetPolecatWorktree(ctx context.Context, addr models.Address) error {
	if addr.Role != models.RolePolecat {
		return fmt.Errorf("%s is not a polecat", addr.String())
	}
	// Under the namepool lock: a sling reusing this polecat sets up its
	// new branch under the same lock, so a reset never undoes it.
	unlock, err := lockFile(ctx, t.RigLockPath(addr.Rig, namepoolLockName))
	if err != nil {
		return err
	}
	defer unlock()
	var busy bool
	err = t.withReadStore(ctx, func(s *beads.Store) error {
		list, err := hookedTo(ctx, s, addr.String())
		busy = len(list) > 0
		return err
	})
	if err != nil {
		return err
	}
	if busy {
		return fmt.Errorf("%s has hooked work; not resetting its worktree", addr.String())
	}
	wt := t.Workdir(addr)
	base, err := t.worktreeBase(ctx, addr.Rig)
	if err != nil {
		return err
	}
	for _, args := range [][]string{{"reset", "--quiet", "--hard"}, {"clean", "-fdq"}, {"checkout", "--quiet", "--detach", base}} {
		if _, err := git(ctx, wt, args...); err != nil {
			return err
		}
	}
	return nil
}
