package town

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// SlingOptions are the inputs of gt sling (spec §6.3) and gt hook <bead>
// [target] (HookOnly).
type SlingOptions struct {
	// Args are the positional arguments: beads (or a formula name first),
	// then optionally a target.
	Args []string
	// Agent is --agent: the runtime of any session this sling starts.
	Agent    string
	NoConvoy bool
	DryRun   bool
	Force    bool
	// AgentArgs is --args: extra instructions stored in the attachment.
	AgentArgs string
	// Vars are the --var k=v values.
	Vars []string
	// Formula is --formula.
	Formula string
	// Merge is --merge mr|direct|local.
	Merge string
	// Actor is the caller's identity (spec §5.1).
	Actor string
	// Cwd is the caller's working directory (formula search path).
	Cwd string
	// HookOnly makes this gt hook <bead> [target]: no convoy, no formula,
	// no nudge.
	HookOnly bool
	// Out receives the progress lines of spec §6.3 (nil: discarded).
	Out io.Writer
	// NoHostHint leaves out the "No gt host running" line: the caller
	// starts or explains the host itself (gt demo).
	NoHostHint bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// SlungBead is the outcome for one bead of a sling.
type SlungBead struct {
	Bead     string `json:"bead"`
	Target   string `json:"target"`
	Formula  string `json:"formula,omitempty"`
	Branch   string `json:"branch,omitempty"`
	Worktree string `json:"worktree,omitempty"`
	Convoy   string `json:"convoy,omitempty"`
	// Already is set when the bead was already hooked to the target.
	Already bool `json:"already,omitempty"`
	// Spawn is set when a polecat session is wanted for the target.
	Spawn bool `json:"spawn,omitempty"`
}

// SlingResult is what a sling did.
type SlingResult struct {
	Beads  []SlungBead
	Convoy string
	// Molecule is the root poured when the first argument was a formula.
	Molecule string
	Hosted   bool
}

// Sling errors with fixed wording (spec §6.3).
var (
	ErrPolecatSling = errors.New("a polecat cannot sling work (finish with gt done)")
	ErrNoTarget     = errors.New("no target: run inside an agent or name one")
)

// targetKind is what a sling target names.
type targetKind int

const (
	targetMayor targetKind = iota + 1
	targetRig
	targetCrew
	targetPolecat
)

// String names the kind of target.
func (k targetKind) String() string {
	switch k {
	case targetMayor:
		return "mayor"
	case targetRig:
		return "rig"
	case targetCrew:
		return "crew"
	case targetPolecat:
		return "polecat"
	}
	return "unknown"
}

// slingTarget is a parsed sling target.
type slingTarget struct {
	kind targetKind
	rig  string
	name string // crew or polecat name ("" for a rig: any polecat)
}

// address is the target's address (a rig target has none until a polecat
// is chosen).
func (g slingTarget) address() models.Address {
	switch g.kind {
	case targetMayor:
		return models.MayorAddress
	case targetCrew:
		return models.Address{Role: models.RoleCrew, Rig: g.rig, Name: g.name}
	case targetPolecat:
		return models.Address{Role: models.RolePolecat, Rig: g.rig, Name: g.name}
	}
	return models.Address{}
}

// String is the target as the user wrote it, canonicalised.
func (g slingTarget) String() string {
	if g.kind == targetRig {
		return g.rig
	}
	return g.address().String()
}

// matches reports whether a bead assigned to assignee counts as hooked to
// this target (any polecat of the rig for a rig target).
func (g slingTarget) matches(assignee string) bool {
	if g.kind == targetRig {
		return strings.HasPrefix(assignee, g.rig+"/polecats/")
	}
	return assignee == g.address().String()
}

func unknownTarget(s string) error {
	// Say why when the name part can never be an agent (the user guide's
	// own example, myproject/my-agent, has a dash).
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		if err := models.ValidateAgentName(s[i+1:]); err != nil {
			return fmt.Errorf("unknown target %q (expected <rig>, <rig>/<name> or mayor; %v)", s, err)
		}
	}
	return fmt.Errorf("unknown target %q (expected <rig>, <rig>/<name> or mayor)", s)
}

// looksLikeTarget reports whether s is shaped like a target: mayor, a word
// that could be a rig name, or a slash form.
func looksLikeTarget(s string) bool {
	if s == "mayor" || s == "mayor/" || strings.Contains(s, "/") {
		return true
	}
	return models.ValidateRigName(s) == nil
}

// parseTarget resolves a target argument against the town's rigs and crew.
func (t *Town) parseTarget(s string) (slingTarget, error) {
	switch s {
	case "mayor", "mayor/":
		return slingTarget{kind: targetMayor}, nil
	}
	reg, err := t.Rigs()
	if err != nil {
		return slingTarget{}, err
	}
	parts := strings.Split(s, "/")
	if _, ok := reg.Rigs[parts[0]]; !ok || models.ValidateRigName(parts[0]) != nil {
		return slingTarget{}, unknownTarget(s)
	}
	rig := parts[0]
	switch {
	case len(parts) == 1:
		return slingTarget{kind: targetRig, rig: rig}, nil
	case len(parts) == 2:
		if models.ValidateAgentName(parts[1]) != nil {
			return slingTarget{}, unknownTarget(s)
		}
		if t.CrewExists(rig, parts[1]) {
			return slingTarget{kind: targetCrew, rig: rig, name: parts[1]}, nil
		}
		return slingTarget{kind: targetPolecat, rig: rig, name: parts[1]}, nil
	case len(parts) == 3 && parts[1] == "polecats":
		if models.ValidateAgentName(parts[2]) != nil || t.CrewExists(rig, parts[2]) {
			return slingTarget{}, unknownTarget(s)
		}
		return slingTarget{kind: targetPolecat, rig: rig, name: parts[2]}, nil
	case len(parts) == 3 && parts[1] == "crew":
		if models.ValidateAgentName(parts[2]) != nil || !t.CrewExists(rig, parts[2]) {
			return slingTarget{}, unknownTarget(s)
		}
		return slingTarget{kind: targetCrew, rig: rig, name: parts[2]}, nil
	}
	return slingTarget{}, unknownTarget(s)
}

// actorAddress parses a caller identity, resolving the short
// <rig>/<name> form; identities that are not addresses give the zero
// address.
func (t *Town) actorAddress(actor string) models.Address {
	a, err := models.ParseAddress(actor)
	if err != nil {
		return models.Address{}
	}
	if a.Role == models.RoleUnknown {
		if r, err := t.ResolveAddress(actor); err == nil {
			return r
		}
		return models.Address{}
	}
	return a
}

// rigOfPrefix names the rig using a beads prefix (the prefix itself when
// no rig does).
func (t *Town) rigOfPrefix(prefix string) string {
	reg, err := t.Rigs()
	if err != nil {
		return prefix
	}
	names := make([]string, 0, len(reg.Rigs))
	for n := range reg.Rigs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if reg.Rigs[n].Beads.Prefix == prefix {
			return n
		}
	}
	return prefix
}

// nonWorkTypes cannot be slung.
var nonWorkTypes = [...]models.IssueType{models.TypeConvoy, models.TypeAgent, models.TypeMessage, models.TypeMergeRequest}

// checkSlingBead applies the per-bead checks of spec §6.3. already is true
// when the bead is hooked to this very target (a no-op).
func (t *Town) checkSlingBead(b *models.Bead, g slingTarget, force bool) (already bool, err error) {
	switch b.Status {
	case models.StatusClosed:
		return false, fmt.Errorf("%s is closed (reopen it with bd reopen)", b.ID)
	case models.StatusTombstone:
		return false, fmt.Errorf("%s is deleted", b.ID)
	case models.StatusDeferred:
		if !force {
			return false, fmt.Errorf("%s is deferred (use --force)", b.ID)
		}
	}
	if slices.Contains(nonWorkTypes[:], b.IssueType) {
		return false, fmt.Errorf("%s is a %s, not work that can be slung", b.ID, b.IssueType)
	}
	if (b.Status == models.StatusHooked || b.Status == models.StatusInProgress) && b.Assignee != "" {
		if g.matches(b.Assignee) {
			return true, nil
		}
		if !force {
			return false, fmt.Errorf("%s is hooked to %s (use --force to re-sling)", b.ID, b.Assignee)
		}
	}
	if g.kind != targetMayor && !force {
		want, err := t.RigPrefix(g.rig)
		if err != nil {
			return false, err
		}
		if p := idPrefix(b.ID); p != want && p != "hq" {
			return false, fmt.Errorf("%s belongs to rig %s, not %s (use --force)", b.ID, t.rigOfPrefix(p), g.rig)
		}
	}
	return false, nil
}

// parseVars turns --var k=v arguments into a map.
func parseVars(in []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("invalid --var %q (expected key=value)", kv)
		}
		out[k] = v
	}
	return out, nil
}

// slingPlan is everything a sling decided before changing anything.
type slingPlan struct {
	target    slingTarget
	beads     []*models.Bead // in argument order; nil entry for the molecule to pour
	already   []bool
	formula   string // attached formula ("" = none)
	userVars  map[string]string
	pour      *formulas.Plan
	pourName  string
	pourPfx   string
	rigPrefix string
}

// formulaSearchPathFor is the caller's formula search path (spec §7.4).
func (t *Town) formulaSearchPathFor(caller models.Address, cwd string) *formulas.SearchPath {
	if caller.Rig != "" {
		return t.formulaSearchPath(caller)
	}
	if r, ok := t.RigFromDir(cwd); ok {
		return formulas.NewSearchPath(t.Path(r, "mayor", "rig"), t.Root, t.getenv("HOME"))
	}
	return formulas.NewSearchPath("", t.Root, t.getenv("HOME"))
}

// rigSearchPath is the search path used for a rig target's formula.
func (t *Town) rigSearchPath(rig string) *formulas.SearchPath {
	dir := ""
	if rig != "" {
		dir = t.Path(rig, "mayor", "rig")
	}
	return formulas.NewSearchPath(dir, t.Root, t.getenv("HOME"))
}

// attachmentVars are the formula vars a polecat target gets (spec §6.3).
func (t *Town) attachmentVars(rig string, b *models.Bead, user map[string]string) (map[string]string, error) {
	vars := map[string]string{}
	if b != nil {
		vars["issue"] = b.ID
		vars["feature"] = b.Title
	}
	if rig != "" {
		vars["base_branch"] = t.RigDefaultBranch(rig)
		rs, err := t.RigSettings(rig)
		if err != nil {
			return nil, err
		}
		if mq := rs.MergeQueue; mq != nil {
			vars["test_command"] = mq.TestCommand
			vars["lint_command"] = mq.LintCommand
			vars["build_command"] = mq.BuildCommand
		} else {
			vars["test_command"], vars["lint_command"], vars["build_command"] = "", "", ""
		}
	}
	for k, v := range user {
		vars[k] = v
	}
	return vars, nil
}

// Sling hooks beads to a target (spec §6.3): every check before any change,
// then polecat allocation, auto-convoy, attachment and hook, then a poke of
// the host. Output lines go to o.Out.
func (t *Town) Sling(ctx context.Context, o SlingOptions) (*SlingResult, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	caller := t.actorAddress(o.Actor)
	if caller.Role == models.RolePolecat {
		return nil, ErrPolecatSling
	}
	if len(o.Args) == 0 {
		return nil, errors.New("nothing to sling: name a bead (or a formula)")
	}
	switch o.Merge {
	case "", "mr", "direct", "local":
	default:
		return nil, fmt.Errorf("invalid --merge %q (expected mr, direct or local)", o.Merge)
	}
	userVars, err := parseVars(o.Vars)
	if err != nil {
		return nil, err
	}
	var res *SlingResult
	err = t.withStoreExport(ctx, func(s *beads.Store) error {
		p, err := t.planSling(ctx, s, o, caller, userVars)
		if err != nil {
			return err
		}
		if o.DryRun {
			return t.printDrySling(ctx, s, o, p, now(), out)
		}
		res, err = t.doSling(ctx, s, o, p, now, out)
		return err
	})
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return &SlingResult{}, nil
	}
	t.finishSling(ctx, o, res, out)
	return res, nil
}

// planSling parses arguments and runs every check (spec §6.3).
func (t *Town) planSling(ctx context.Context, s *beads.Store, o SlingOptions, caller models.Address, userVars map[string]string) (*slingPlan, error) {
	args := slices.Clone(o.Args)
	p := &slingPlan{userVars: userVars}
	// The last argument is a target only if it parses as one.
	var target *slingTarget
	if len(args) >= 2 {
		last := args[len(args)-1]
		if g, err := t.parseTarget(last); err == nil {
			target = &g
			args = args[:len(args)-1]
		} else if _, rerr := s.Resolve(ctx, last); rerr != nil {
			if looksLikeTarget(last) {
				return nil, err
			}
			return nil, rerr
		}
	}
	if target == nil {
		switch caller.Role {
		case models.RoleMayor:
			target = &slingTarget{kind: targetMayor}
		case models.RoleCrew:
			target = &slingTarget{kind: targetCrew, rig: caller.Rig, name: caller.Name}
		default:
			return nil, ErrNoTarget
		}
	}
	p.target = *target
	if p.target.kind != targetMayor {
		pfx, err := t.RigPrefix(p.target.rig)
		if err != nil {
			return nil, err
		}
		p.rigPrefix = pfx
	}
	if o.Agent != "" {
		if _, err := t.LookupAgent(o.Agent, p.target.rig); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for i, a := range args {
		id, err := s.Resolve(ctx, a)
		if err != nil && i == 0 && errors.Is(err, beads.ErrNotFound) && !o.HookOnly {
			// A formula name first: pour it and sling the molecule root.
			if perr := t.planPour(p, a, caller, o.Cwd); perr == nil {
				p.beads = append(p.beads, nil)
				p.already = append(p.already, false)
				continue
			} else if !errors.Is(perr, formulas.ErrNotFound) {
				return nil, perr
			}
		}
		if err != nil {
			return nil, err
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		b, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		already, err := t.checkSlingBead(b, p.target, o.Force)
		if err != nil {
			return nil, err
		}
		p.beads = append(p.beads, b)
		p.already = append(p.already, already)
	}
	if !o.HookOnly {
		p.formula = o.Formula
		if p.formula != "" && formulas.IsPath(p.formula) && !filepath.IsAbs(p.formula) && o.Cwd != "" {
			// gt prime cooks it later from the agent's directory.
			p.formula = filepath.Join(o.Cwd, p.formula)
		}
		if p.formula == "" && (p.target.kind == targetRig || p.target.kind == targetPolecat) {
			rs, err := t.RigSettings(p.target.rig)
			if err != nil {
				return nil, err
			}
			p.formula = rs.DefaultFormulaName()
		}
	}
	if p.formula != "" {
		for _, b := range p.beads {
			probe := b
			if probe == nil {
				probe = &models.Bead{ID: p.pourPfx + "-mol-pending", Title: p.pourName}
			}
			if _, err := t.cookFor(p, probe); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// cookFor cooks the attached formula for one bead; it is how sling checks
// that the formula resolves and validates (spec §7.3).
func (t *Town) cookFor(p *slingPlan, b *models.Bead) (map[string]string, error) {
	rig := ""
	if p.target.kind != targetMayor {
		rig = p.target.rig
	}
	var vars map[string]string
	var err error
	if p.target.kind == targetRig || p.target.kind == targetPolecat {
		vars, err = t.attachmentVars(rig, b, p.userVars)
	} else {
		vars, err = t.attachmentVars("", b, p.userVars)
	}
	if err != nil {
		return nil, err
	}
	sp := t.rigSearchPath(rig)
	if _, err := sp.Cook(p.formula, formulas.CookOptions{Vars: vars, Pour: true}); err != nil {
		return nil, formulaError(p.formula, err)
	}
	return vars, nil
}

// formulaError makes a cook error one readable line.
func formulaError(name string, err error) error {
	var ve *formulas.ValidationError
	if errors.As(err, &ve) {
		if lines := ve.Lines(); len(lines) > 0 {
			return fmt.Errorf("formula %s: %w: %s", name, err, lines[0])
		}
	}
	return err
}

// planPour cooks a formula named as the first sling argument.
func (t *Town) planPour(p *slingPlan, name string, caller models.Address, cwd string) error {
	sp := t.formulaSearchPathFor(caller, cwd)
	proto, err := sp.Cook(name, formulas.CookOptions{Vars: p.userVars, Pour: true})
	if err != nil {
		if errors.Is(err, formulas.ErrNotFound) {
			return err
		}
		return formulaError(name, err)
	}
	plan, err := formulas.PlanPour(proto, formulas.PourOptions{})
	if err != nil {
		return err
	}
	p.pour = plan
	p.pourName = proto.Formula
	p.pourPfx = "hq"
	if p.rigPrefix != "" {
		p.pourPfx = p.rigPrefix
	}
	return nil
}

// printDrySling prints what a sling would do (spec §6.3 --dry-run) and
// changes nothing: no lock files, fetches, rows or events.
func (t *Town) printDrySling(ctx context.Context, s *beads.Store, o SlingOptions, p *slingPlan, now time.Time, out io.Writer) error {
	var ids, titles []string
	for _, b := range p.beads {
		if b == nil {
			fmt.Fprintf(out, "Would pour formula %s into a molecule in prefix %s (%d steps)\n", p.pourName, p.pourPfx, len(p.pour.Steps))
			ids = append(ids, "<new molecule>")
			titles = append(titles, p.pour.Root.Title)
			continue
		}
		ids = append(ids, b.ID)
		titles = append(titles, b.Title)
	}
	if !o.NoConvoy && !o.HookOnly {
		var untracked []string
		var first string
		for i, b := range p.beads {
			if b != nil {
				if cv, err := openConvoyOf(ctx, s, b.ID); err != nil {
					return err
				} else if cv != "" {
					continue
				}
			}
			if first == "" {
				first = titles[i]
			}
			untracked = append(untracked, ids[i])
		}
		if len(untracked) > 0 {
			fmt.Fprintf(out, "Would create convoy %q tracking %s\n", convoyTitle(first, len(untracked)), strings.Join(untracked, ", "))
		}
	}
	taken := map[string]bool{}
	for i, b := range p.beads {
		id := ids[i]
		if p.already[i] {
			fmt.Fprintf(out, "%s is already hooked to %s\n", id, b.Assignee)
			continue
		}
		addr := p.target.address()
		if p.target.kind == targetRig || p.target.kind == targetPolecat {
			pl, err := t.choosePolecatExcluding(ctx, s, p.target, id, now, taken)
			if err != nil {
				return err
			}
			taken[pl.Addr.Name] = true
			addr = pl.Addr
			switch {
			case pl.New:
				fmt.Fprintf(out, "Would create polecat %s\n", pl.Addr.String())
			case pl.Reused:
				fmt.Fprintf(out, "Would reuse idle polecat %s\n", pl.Addr.String())
			}
			if !pl.Busy {
				fmt.Fprintf(out, "Would create branch %s\n", pl.Branch)
				fmt.Fprintf(out, "Would use worktree %s\n", pl.Worktree)
			}
		}
		if p.formula != "" {
			fmt.Fprintf(out, "Would attach formula %s\n", p.formula)
		}
		fmt.Fprintf(out, "Would hook %s to %s (status=hooked)\n", id, addr.String())
	}
	return nil
}

// choosePolecatExcluding is choosePolecat that skips names already planned
// by this dry run.
func (t *Town) choosePolecatExcluding(ctx context.Context, s *beads.Store, g slingTarget, beadID string, now time.Time, taken map[string]bool) (*polecatPlan, error) {
	if g.name != "" || len(taken) == 0 {
		return t.choosePolecat(ctx, s, g.rig, g.name, beadID, now)
	}
	existing, err := t.Polecats(g.rig)
	if err != nil {
		return nil, err
	}
	for _, n := range existing {
		if taken[n] {
			continue
		}
		a := models.Address{Role: models.RolePolecat, Rig: g.rig, Name: n}
		hooked, err := hookedTo(ctx, s, a.String())
		if err != nil {
			return nil, err
		}
		if len(hooked) == 0 {
			return &polecatPlan{Addr: a, Reused: true, Branch: PolecatBranch(n, beadID, now), Worktree: t.Workdir(a)}, nil
		}
	}
	rs, err := t.RigSettings(g.rig)
	if err != nil {
		return nil, err
	}
	if err := t.checkPolecatLimit(g.rig, len(existing)+len(taken)); err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		n := PoolName(rs.PoolNames(), i)
		if slices.Contains(existing, n) || taken[n] || t.CrewExists(g.rig, n) || models.ValidateAgentName(n) != nil {
			continue
		}
		a := models.Address{Role: models.RolePolecat, Rig: g.rig, Name: n}
		return &polecatPlan{Addr: a, New: true, Branch: PolecatBranch(n, beadID, now), Worktree: t.Workdir(a)}, nil
	}
}

// convoyTitle is the auto-convoy title (spec §6.3).
func convoyTitle(first string, n int) string {
	first = strings.ReplaceAll(strings.TrimSpace(first), "\n", " ")
	t := "Work: " + first
	if n > 1 {
		t = fmt.Sprintf("Work: %s (+%d more)", first, n-1)
	}
	if r := []rune(t); len(r) > models.MaxTitleLen {
		t = string(r[:models.MaxTitleLen])
	}
	return t
}

// openConvoyOf returns an open convoy tracking id, or "".
func openConvoyOf(ctx context.Context, s *beads.Store, id string) (string, error) {
	deps, err := s.Dependents(ctx, id)
	if err != nil {
		return "", err
	}
	for _, d := range deps {
		if d.Type != models.DepTracks {
			continue
		}
		c, err := s.Get(ctx, d.IssueID)
		if errors.Is(err, beads.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if c.IssueType == models.TypeConvoy && !c.Status.Done() {
			return c.ID, nil
		}
	}
	return "", nil
}

// doSling makes the changes of a checked sling.
func (t *Town) doSling(ctx context.Context, s *beads.Store, o SlingOptions, p *slingPlan, now func() time.Time, out io.Writer) (*SlingResult, error) {
	res := &SlingResult{}
	// Pour first: the molecule root is then slung like any bead.
	for i, b := range p.beads {
		if b != nil {
			continue
		}
		var root *models.Bead
		if err := s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
			var err error
			root, _, err = PourPlan(tx, p.pour, p.pourPfx, false)
			return err
		}); err != nil {
			return nil, fmt.Errorf("pour %s: %w", p.pourName, err)
		}
		p.beads[i] = root
		res.Molecule = root.ID
		fmt.Fprintf(out, "✓ Poured molecule %s (%s): %d steps\n", root.ID, p.pourName, len(p.pour.Steps))
	}
	// Auto-convoy for the beads no open convoy tracks.
	convoyOf := map[string]string{}
	var newConvoy string
	var tracked []string
	if !o.NoConvoy && !o.HookOnly {
		var untracked []*models.Bead
		for i, b := range p.beads {
			cv, err := openConvoyOf(ctx, s, b.ID)
			if err != nil {
				return nil, err
			}
			if cv != "" {
				convoyOf[b.ID] = cv
				continue
			}
			if !p.already[i] {
				untracked = append(untracked, b)
			}
		}
		if len(untracked) > 0 {
			var title string
			err := s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
				// Re-check inside the transaction: a concurrent sling may
				// have tracked some of them meanwhile.
				newConvoy, tracked, title = "", nil, ""
				var first string
				for _, b := range untracked {
					open, err := OpenConvoysTracking(tx, b.ID)
					if err != nil {
						return err
					}
					if len(open) > 0 {
						continue
					}
					if first == "" {
						first = b.Title
					}
					tracked = append(tracked, b.ID)
				}
				if len(tracked) == 0 {
					return nil
				}
				title = convoyTitle(first, len(tracked))
				c, err := CreateConvoyTx(tx, title, tracked, ConvoyMeta{Owner: o.Actor, Notify: []string{}, Merge: o.Merge, Auto: true})
				if err != nil {
					return err
				}
				newConvoy = c.ID
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("create convoy: %w", err)
			}
			for _, id := range tracked {
				convoyOf[id] = newConvoy
			}
			if newConvoy != "" {
				res.Convoy = newConvoy
				if err := eventlog.Emit(t.Root, eventlog.SourceGT, "convoy_created", o.Actor,
					map[string]any{"convoy": newConvoy, "title": title, "tracked": tracked}, models.VisibilityBoth); err != nil {
					return nil, err
				}
			}
		}
	}
	fetched, convoyPrinted := false, false
	for i, b := range p.beads {
		if p.already[i] {
			fmt.Fprintf(out, "%s is already hooked to %s\n", b.ID, b.Assignee)
			res.Beads = append(res.Beads, SlungBead{Bead: b.ID, Target: b.Assignee, Already: true, Convoy: convoyOf[b.ID]})
			continue
		}
		cv := convoyOf[b.ID]
		if cv == "" && !o.NoConvoy && !o.HookOnly {
			var err error
			if cv, err = openConvoyOf(ctx, s, b.ID); err != nil {
				return res, err
			}
		}
		sb, err := t.slingOne(ctx, s, o, p, b, cv, now, &fetched, out, !convoyPrinted && newConvoy != "", newConvoy, tracked)
		convoyPrinted = convoyPrinted || sb != nil && !sb.Already
		if err != nil {
			return res, err
		}
		res.Beads = append(res.Beads, *sb)
	}
	return res, nil
}

// slingOne allocates (for rig and polecat targets) and hooks one bead. For
// polecats the namepool lock is held from choosing the name to the hook
// commit, so two slings never pick the same idle polecat or name.
func (t *Town) slingOne(ctx context.Context, s *beads.Store, o SlingOptions, p *slingPlan, b *models.Bead, convoy string,
	now func() time.Time, fetched *bool, out io.Writer, printConvoy bool, newConvoy string, tracked []string,
) (*SlungBead, error) {
	g := p.target
	sb := &SlungBead{Bead: b.ID, Convoy: convoy}
	var pl *polecatPlan
	if g.kind == targetRig || g.kind == targetPolecat {
		unlock, err := lockFile(ctx, t.RigLockPath(g.rig, namepoolLockName))
		if err != nil {
			return nil, err
		}
		defer unlock()
		// Re-check under the lock: a concurrent sling may have hooked it.
		cur, err := s.Get(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		already, err := t.checkSlingBead(cur, g, o.Force)
		if err != nil {
			return nil, err
		}
		if already {
			fmt.Fprintf(out, "%s is already hooked to %s\n", b.ID, cur.Assignee)
			sb.Target, sb.Already = cur.Assignee, true
			return sb, nil
		}
		stamp := now()
		pl, err = t.choosePolecat(ctx, s, g.rig, g.name, b.ID, stamp)
		if err != nil {
			return nil, err
		}
		if !pl.Busy {
			if !*fetched {
				*fetched = true
				if err := t.fetchRig(ctx, g.rig); err != nil {
					fmt.Fprintf(out, "⚠ fetch origin for %s failed: %s (continuing with local refs)\n", g.rig, oneLine(err.Error()))
				}
			}
			if err := t.setupPolecatWorktree(ctx, g.rig, pl); err != nil {
				return nil, fmt.Errorf("set up worktree for %s: %w", pl.Addr.String(), err)
			}
		}
		if err := t.recordPolecat(g.rig, pl, b.ID, stamp); err != nil {
			return nil, err
		}
		sb.Branch, sb.Worktree, sb.Spawn = pl.Branch, pl.Worktree, !pl.Busy
	}
	addr := g.address()
	if pl != nil {
		addr = pl.Addr
	}
	sb.Target = addr.String()
	fmt.Fprintf(out, "🎯 Sling %s → %s\n", b.ID, addr.String())
	if printConvoy {
		fmt.Fprintf(out, "🚚 New convoy %s tracks %s\n", newConvoy, strings.Join(tracked, ", "))
	}
	var att *Attachment
	if !o.HookOnly {
		at := now().UTC()
		att = &Attachment{AttachedAt: &at, Args: o.AgentArgs, DispatchedBy: o.Actor, ConvoyID: convoy, MergeStrategy: o.Merge}
		if p.formula != "" {
			vars, err := t.cookFor(p, b)
			if err != nil {
				return nil, err
			}
			att.Formula, att.Vars = p.formula, vars
			sb.Formula = p.formula
		}
	}
	// One transaction: re-check, status hooked, assignee, attachment, agent
	// bead. BEGIN IMMEDIATE makes the re-check and the write atomic, so two
	// slings of one bead never both win.
	var already bool
	var holder string
	err := s.Write(ctx, o.Actor, func(tx *beads.Tx) error {
		already, holder = false, ""
		cur, err := tx.Get(b.ID)
		if err != nil {
			return err
		}
		if (cur.Status == models.StatusHooked || cur.Status == models.StatusInProgress) && cur.Assignee == addr.String() {
			already, holder = true, cur.Assignee
			return nil
		}
		again, err := t.checkSlingBead(cur, g, o.Force)
		if err != nil {
			return err
		}
		if again {
			already, holder = true, cur.Assignee
			return nil
		}
		if (cur.Status == models.StatusHooked || cur.Status == models.StatusInProgress) && cur.Assignee != "" {
			// --force re-sling: the previous holder's agent bead lets go.
			if err := clearAgentHook(tx, t, cur.Assignee, cur.ID); err != nil {
				return err
			}
		}
		st, who := models.StatusHooked, addr.String()
		if _, err := tx.Update(b.ID, beads.Update{Status: &st, Assignee: &who}); err != nil {
			return err
		}
		if att != nil {
			fresh, err := tx.Get(b.ID)
			if err != nil {
				return err
			}
			if err := writeAttachment(tx, fresh, att); err != nil {
				return err
			}
		}
		return t.hookAgentBead(tx, p, addr, pl, b.ID, o.Agent)
	})
	if err != nil {
		return nil, err
	}
	if already {
		fmt.Fprintf(out, "%s is already hooked to %s\n", b.ID, holder)
		sb.Already = true
		return sb, nil
	}
	if sb.Formula != "" {
		fmt.Fprintf(out, "✓ Formula attached: %s\n", sb.Formula)
	}
	fmt.Fprintf(out, "🪝 Hooked %s to %s (status=hooked)\n", b.ID, addr.String())
	if pl != nil && !pl.Busy {
		if err := eventlog.Emit(t.Root, eventlog.SourceGT, "spawn", o.Actor,
			map[string]string{"rig": g.rig, "polecat": pl.Addr.Name}, models.VisibilityBoth); err != nil {
			return nil, err
		}
	}
	typ := "sling"
	if o.HookOnly {
		typ = "hook"
	}
	payload := map[string]string{"bead": b.ID, "target": addr.String()}
	if convoy != "" {
		payload["convoy"] = convoy
	}
	if err := eventlog.Emit(t.Root, eventlog.SourceGT, typ, o.Actor, payload, models.VisibilityBoth); err != nil {
		return nil, err
	}
	return sb, nil
}

// hookAgentBead records the hook on the target's agent bead: polecats get
// theirs created or updated (spawning, hook_bead, branch, worktree); the
// Mayor's and crew's existing agent beads get hook_bead.
func (t *Town) hookAgentBead(tx *beads.Tx, p *slingPlan, addr models.Address, pl *polecatPlan, beadID, runtime string) error {
	if pl != nil {
		if pl.Busy {
			return nil
		}
		return upsertAgentBead(tx, p.rigPrefix, addr, models.AgentBeadSpawning, beadID, pl.Branch, pl.Worktree, runtime)
	}
	id := models.AgentBeadID(p.rigPrefix, addr)
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
	if ab.HookBead != "" && ab.HookBead != beadID {
		if hb, err := tx.Get(ab.HookBead); err == nil && hb.Assignee == addr.String() &&
			(hb.Status == models.StatusHooked || hb.Status == models.StatusInProgress) {
			return nil // the current hook stays the agent's current work
		}
	}
	_, err = tx.Update(id, beads.Update{HookBead: &beadID})
	return err
}

// finishSling pokes the host and prints the last line (spec §6.3).
func (t *Town) finishSling(ctx context.Context, o SlingOptions, res *SlingResult, out io.Writer) {
	var hookedAny bool
	for _, b := range res.Beads {
		if !b.Already {
			hookedAny = true
		}
	}
	if !hookedAny {
		return
	}
	res.Hosted = pokeHost(ctx, t)
	if o.HookOnly {
		return
	}
	if !res.Hosted {
		if o.NoHostHint {
			return
		}
		fmt.Fprintf(out, "⏸ No gt host running: the work is hooked and starts when you run gt in %s\n", t.Root)
		return
	}
	for _, b := range res.Beads {
		if b.Already {
			continue
		}
		a, err := models.ParseAddress(b.Target)
		if err != nil {
			continue
		}
		if b.Spawn {
			fmt.Fprintf(out, "▶ Starting %s (%s)\n", b.Target, t.startAlias(o.Agent, a))
			continue
		}
		// A live agent gets the sling notice typed into its pane (§5.9);
		// anything else is started by the host's reconcile.
		text := "Work slung: " + b.Bead + ". Run gt hook to see it, then begin."
		if o.AgentArgs != "" {
			text += " Args: " + o.AgentArgs
		}
		if t.notifyLive(ctx, a, text) {
			if o.Agent != "" {
				fmt.Fprintf(out, "⚠ %s is already running; --agent %s ignored\n", b.Target, o.Agent)
			}
			fmt.Fprintf(out, "⚡ Nudged %s\n", b.Target)
			continue
		}
		fmt.Fprintf(out, "▶ Starting %s (%s)\n", b.Target, t.startAlias(o.Agent, a))
	}
}

// startAlias is the runtime alias a started session of a will use.
func (t *Town) startAlias(override string, a models.Address) string {
	if override != "" {
		return override
	}
	if rt, err := t.ResolveRuntime("", a.Role, a.Rig); err == nil {
		return rt.Alias
	}
	return DefaultAgentAlias
}

// pokeHost tells a running host that desired state changed and reports
// whether one answered (spec §2 process model: no host is not an error).
func pokeHost(ctx context.Context, t *Town) bool {
	hosted, err := PokeHost(ctx, t.Root)
	return hosted && err == nil
}
