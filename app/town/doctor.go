package town

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// Check statuses.
const (
	CheckOK      = "ok"
	CheckWarning = "warning"
	CheckError   = "error"
)

// CheckResult is one line of gt doctor.
type CheckResult struct {
	Check   string `json:"check"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Fixed   bool   `json:"fixed"`
	// Hint is the one-line fix hint printed under a failing check.
	Hint string `json:"-"`
}

// DoctorReport is the outcome of gt doctor.
type DoctorReport struct{ Results []CheckResult }

// Counts returns passed, warnings, errors.
func (r DoctorReport) Counts() (int, int, int) {
	var p, w, e int
	for _, c := range r.Results {
		switch c.Status {
		case CheckOK:
			p++
		case CheckWarning:
			w++
		default:
			e++
		}
	}
	return p, w, e
}

// DoctorOptions are the inputs of gt doctor.
type DoctorOptions struct {
	Fix     bool
	Verbose bool
	// Exe is the running gt executable (for runtime-bin).
	Exe string
	// Now is the current time (zero: time.Now), for stalled-polecats.
	Now time.Time
	// Actor is recorded in the doctor_fixed event.
	Actor string
}

// finding is what a check function reports; fix, when set, repairs it.
type finding struct {
	status  string
	message string
	hint    string
	fix     func(ctx context.Context) error
}

func ok(msg string) finding { return finding{status: CheckOK, message: msg} }

// skipNoRegistry is the result of a check that needs mayor/rigs.json when
// rigs-registry-valid already reports it broken.
func skipNoRegistry() finding {
	return finding{status: CheckWarning, message: "skipped: " + RigsFile + " is unreadable (see rigs-registry-valid)"}
}

type check struct {
	name string
	run  func(ctx context.Context, t *Town, o DoctorOptions) finding
}

// doctorChecks are the checks of spec §6.7, in output order.
func doctorChecks() []check {
	return []check{
		{"town-config-valid", checkTownConfig},
		{"rigs-registry-valid", checkRigsRegistry},
		{"beads-db", checkBeadsDB},
		{"beads-jsonl-sync", checkJSONLSync},
		{"prefix-conflicts", checkPrefixConflicts},
		{"rig-structure", checkRigStructure},
		{"git-version", checkGitVersion},
		{"runtime-bin", checkRuntimeBin},
		{"agent-commands", checkAgentCommands},
		{"settings-valid", checkSettings},
		{"formulas", checkFormulas},
		{"stale-host-lock", checkHostLock},
		{"orphan-worktrees", checkOrphanWorktrees},
		{"hooked-to-unknown-agent", checkHookedUnknown},
		{"stalled-polecats", checkStalledPolecats},
		{"town-gitignore", checkGitignore},
	}
}

// Doctor runs every check; with o.Fix it repairs what it can and re-runs
// the repaired checks.
func (t *Town) Doctor(ctx context.Context, o DoctorOptions) DoctorReport {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	var rep DoctorReport
	for _, c := range doctorChecks() {
		f := safeRun(ctx, c, t, o)
		res := CheckResult{Check: c.name, Status: f.status, Message: f.message, Hint: f.hint}
		if o.Fix && f.status != CheckOK && f.fix != nil {
			if err := f.fix(ctx); err != nil {
				res.Message = f.message + " (fix failed: " + oneLine(err.Error()) + ")"
			} else if again := safeRun(ctx, c, t, o); again.status == CheckOK {
				res = CheckResult{Check: c.name, Status: CheckOK, Message: f.message, Fixed: true}
			} else {
				res = CheckResult{Check: c.name, Status: again.status, Message: again.message, Hint: again.hint}
			}
		} else if f.status != CheckOK && f.fix != nil && res.Hint == "" {
			res.Hint = "run gt doctor --fix"
		}
		rep.Results = append(rep.Results, res)
	}
	var fixed []string
	for _, r := range rep.Results {
		if r.Fixed {
			fixed = append(fixed, r.Check)
		}
	}
	if len(fixed) > 0 {
		actor := o.Actor
		if actor == "" {
			actor = models.OverseerAddress.String()
		}
		// The repairs are done; failing to log them must not undo that.
		_ = eventlog.Emit(t.Root, eventlog.SourceGT, "doctor_fixed", actor, map[string]any{"checks": fixed}, models.VisibilityAudit)
	}
	return rep
}

// safeRun turns a panicking check into an error result.
func safeRun(ctx context.Context, c check, t *Town, o DoctorOptions) (f finding) {
	defer func() {
		if r := recover(); r != nil {
			f = finding{status: CheckError, message: fmt.Sprintf("check crashed: %v", r)}
		}
	}()
	return c.run(ctx, t, o)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func checkTownConfig(_ context.Context, t *Town, _ DoctorOptions) finding {
	c, err := t.TownConfig()
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error()), hint: "fix the JSON by hand (see spec §11 for the schema)"}
	}
	if c.Type != "town" {
		return finding{status: CheckError, message: fmt.Sprintf("%s: type is %q, want \"town\"", TownConfigFile, c.Type), hint: "set \"type\": \"town\""}
	}
	if c.Name == "" {
		return finding{status: CheckError, message: TownConfigFile + ": name is empty", hint: "set a town name"}
	}
	if _, err := t.Overseer(); err != nil {
		return finding{status: CheckError, message: oneLine(err.Error()), hint: "re-create it with gt install --force"}
	}
	return ok("town " + c.Name)
}

// rigDirs lists the town subdirectories holding a rig config.json.
func (t *Town) rigDirs() map[string]*RigConfig {
	out := map[string]*RigConfig{}
	for _, n := range listSubdirs(t.Root) {
		if models.ValidateRigName(n) != nil {
			continue
		}
		if c, err := t.RigConfig(n); err == nil && c.Type == "rig" {
			out[n] = c
		}
	}
	return out
}

func checkRigsRegistry(_ context.Context, t *Town, _ DoctorOptions) finding {
	rebuild := func(context.Context) error { return t.RebuildRigsRegistry() }
	reg, err := t.Rigs()
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error()), fix: rebuild, hint: "run gt doctor --fix to rebuild it from the rig directories"}
	}
	var problems []string
	for _, n := range sortedKeys(reg.Rigs) {
		e := reg.Rigs[n]
		if err := models.ValidateRigName(n); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if _, err := t.RigConfig(n); err != nil {
			problems = append(problems, fmt.Sprintf("rig %s has no valid %s/config.json", n, n))
		}
		if ValidatePrefix(e.Beads.Prefix) != nil {
			problems = append(problems, fmt.Sprintf("rig %s has invalid prefix %q", n, e.Beads.Prefix))
		}
		if e.GitURL == "" {
			problems = append(problems, fmt.Sprintf("rig %s has no git_url", n))
		}
	}
	for n := range t.rigDirs() {
		if _, ok := reg.Rigs[n]; !ok {
			problems = append(problems, fmt.Sprintf("rig directory %s is not registered", n))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return finding{status: CheckError, message: strings.Join(problems, "; "), fix: rebuild, hint: "run gt doctor --fix to rebuild it from the rig directories"}
	}
	return ok(fmt.Sprintf("%d rigs", len(reg.Rigs)))
}

// RebuildRigsRegistry rewrites mayor/rigs.json from the rig directories'
// config.json files, keeping what it can of the old file (unknown keys,
// added_at).
func (t *Town) RebuildRigsRegistry() error {
	return t.withLock("rigs", func() error {
		old, err := t.Rigs()
		if err != nil {
			old = &RigsRegistry{Version: 1, Rigs: map[string]RigEntry{}}
		}
		reg := &RigsRegistry{Version: 1, Rigs: map[string]RigEntry{}, Extra: old.Extra}
		for n, c := range t.rigDirs() {
			e := old.Rigs[n]
			e.GitURL, e.DefaultBranch = c.GitURL, c.DefaultBranch
			e.Beads.Prefix = c.Beads.Prefix
			if e.AddedAt.IsZero() {
				e.AddedAt = c.CreatedAt
			}
			reg.Rigs[n] = e
		}
		return t.SaveRigs(reg)
	})
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func checkBeadsDB(ctx context.Context, t *Town, _ DoctorOptions) finding {
	if _, err := os.Stat(t.BeadsDB()); err != nil {
		return finding{status: CheckError, message: ".beads/beads.db is missing", hint: "run any bd command to rebuild it from issues.jsonl",
			fix: func(ctx context.Context) error {
				s, err := t.OpenStore(ctx)
				if err != nil {
					return err
				}
				return s.Close()
			}}
	}
	s, err := t.OpenStore(ctx)
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error()), hint: "move beads.db aside; the next bd command rebuilds it from issues.jsonl"}
	}
	s.Close()
	db, err := sql.Open("sqlite3", "file:"+t.BeadsDB()+"?_busy_timeout=30000")
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error())}
	}
	defer db.Close()
	var res, mode string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return finding{status: CheckError, message: "quick_check: " + oneLine(err.Error())}
	}
	if res != "ok" {
		return finding{status: CheckError, message: "quick_check: " + res, hint: "move beads.db aside; the next bd command rebuilds it from issues.jsonl"}
	}
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return finding{status: CheckError, message: "journal_mode: " + oneLine(err.Error())}
	}
	if mode != "wal" {
		return finding{status: CheckError, message: "journal mode is " + mode + ", want wal",
			fix: func(ctx context.Context) error {
				_, err := db.ExecContext(ctx, "PRAGMA journal_mode=WAL")
				return err
			}}
	}
	return ok("quick_check ok, WAL")
}

func checkJSONLSync(ctx context.Context, t *Town, _ DoctorOptions) finding {
	if _, err := os.Stat(t.BeadsDB()); err != nil {
		return finding{status: CheckWarning, message: "no beads.db to compare with"}
	}
	export := func(ctx context.Context) error {
		s, err := t.OpenStore(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Export(ctx, s.JSONLPath(), beads.ExportOpts{})
		return err
	}
	db, err := sql.Open("sqlite3", "file:"+t.BeadsDB()+"?mode=ro&_busy_timeout=30000")
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error())}
	}
	defer db.Close()
	var dirty, n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM dirty_issues").Scan(&dirty); err != nil {
		return finding{status: CheckError, message: "read dirty beads: " + oneLine(err.Error())}
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM issues WHERE ephemeral = 0").Scan(&n); err != nil {
		return finding{status: CheckError, message: "count beads: " + oneLine(err.Error())}
	}
	data, err := os.ReadFile(t.IssuesJSONL())
	if err != nil {
		return finding{status: CheckError, message: ".beads/issues.jsonl is missing", fix: export}
	}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines++
		}
	}
	switch {
	case dirty > 0:
		if _, held, _, _ := t.HostLockHolder(); held {
			// A running host exports a second after the last change.
			return finding{status: CheckWarning, message: fmt.Sprintf("%d bead changes not exported yet (the running host exports them)", dirty), fix: export}
		}
		return finding{status: CheckError, message: fmt.Sprintf("%d bead changes not exported to issues.jsonl", dirty), fix: export}
	case lines != n:
		return finding{status: CheckError, message: fmt.Sprintf("issues.jsonl has %d beads, the database %d", lines, n), fix: export}
	}
	return ok(fmt.Sprintf("%d beads", n))
}

func checkPrefixConflicts(ctx context.Context, t *Town, _ DoctorOptions) finding {
	reg, err := t.Rigs()
	if err != nil {
		return skipNoRegistry()
	}
	seen := map[string]string{"hq": "the town"}
	var problems []string
	var missing []string
	for _, n := range sortedKeys(reg.Rigs) {
		p := strings.ToLower(reg.Rigs[n].Beads.Prefix)
		if other, dup := seen[p]; dup {
			problems = append(problems, fmt.Sprintf("prefix %s of rig %s is already used by %s", p, n, other))
			continue
		}
		seen[p] = n
		missing = append(missing, reg.Rigs[n].Beads.Prefix)
		if rc, err := t.RigConfig(n); err == nil && rc.Beads.Prefix != reg.Rigs[n].Beads.Prefix {
			problems = append(problems, fmt.Sprintf("rig %s has prefix %s in rigs.json but %s in %s/config.json", n, reg.Rigs[n].Beads.Prefix, rc.Beads.Prefix, n))
		}
	}
	if len(problems) > 0 {
		return finding{status: CheckError, message: strings.Join(problems, "; "), hint: "give one of the rigs another prefix in its config.json and rigs.json"}
	}
	s, err := t.OpenStore(ctx)
	if err != nil {
		return finding{status: CheckError, message: "cannot open the beads store"}
	}
	defer s.Close()
	have, err := s.Prefixes(ctx)
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error())}
	}
	var unregistered []string
	for _, p := range append([]string{"hq"}, missing...) {
		found := false
		for _, h := range have {
			if h == p {
				found = true
			}
		}
		if !found && p != "" {
			unregistered = append(unregistered, p)
		}
	}
	if len(unregistered) > 0 {
		return finding{status: CheckWarning, message: "prefixes not registered in the beads store: " + strings.Join(unregistered, ", "),
			fix: func(ctx context.Context) error {
				s, err := t.OpenStore(ctx)
				if err != nil {
					return err
				}
				defer s.Close()
				for _, p := range unregistered {
					if err := s.AddPrefix(ctx, p); err != nil {
						return err
					}
				}
				return nil
			}}
	}
	return ok("")
}

func checkRigStructure(ctx context.Context, t *Town, _ DoctorOptions) finding {
	reg, err := t.Rigs()
	if err != nil {
		return skipNoRegistry()
	}
	var problems []string
	var fixes []func(context.Context) error
	fixable := true
	for _, n := range sortedKeys(reg.Rigs) {
		e := reg.Rigs[n]
		bare := t.Path(n, ".repo.git")
		if _, err := t.RigConfig(n); err != nil {
			problems = append(problems, n+"/config.json missing or invalid")
			fixable = false
		}
		if _, err := git(ctx, "", "--git-dir", bare, "rev-parse", "--git-dir"); err != nil {
			problems = append(problems, n+"/.repo.git missing")
			fixable = false
			continue
		}
		if _, err := git(ctx, t.Path(n, "mayor", "rig"), "rev-parse", "--git-dir"); err != nil {
			problems = append(problems, n+"/mayor/rig missing")
			fixable = false
		}
		ref := t.Path(n, "refinery", "rig")
		if _, err := os.Stat(filepath.Join(ref, ".git")); err != nil {
			problems = append(problems, n+"/refinery/rig missing")
			branch := e.DefaultBranch
			fixes = append(fixes, func(ctx context.Context) error {
				if _, err := git(ctx, "", "--git-dir", bare, "worktree", "prune"); err != nil {
					return err
				}
				if err := os.RemoveAll(ref); err != nil {
					return err
				}
				_, err := git(ctx, "", "--git-dir", bare, "worktree", "add", "--quiet", "--force", ref, branch)
				return err
			})
		}
	}
	if len(problems) == 0 {
		return ok(fmt.Sprintf("%d rigs", len(reg.Rigs)))
	}
	f := finding{status: CheckError, message: strings.Join(problems, "; ")}
	if fixable && len(fixes) > 0 {
		f.fix = func(ctx context.Context) error {
			for _, fx := range fixes {
				if err := fx(ctx); err != nil {
					return err
				}
			}
			return nil
		}
	} else {
		f.hint = "remove the rig directory and its rigs.json entry, then gt rig add it again"
	}
	return f
}

func checkGitVersion(ctx context.Context, _ *Town, _ DoctorOptions) finding {
	maj, mn, p, err := GitVersion(ctx)
	if err != nil {
		return finding{status: CheckError, message: oneLine(err.Error()), hint: "install git 2.25 or newer"}
	}
	v := fmt.Sprintf("%d.%d.%d", maj, mn, p)
	if maj < 2 || (maj == 2 && mn < 25) {
		return finding{status: CheckError, message: "git " + v + " is older than 2.25", hint: "install git 2.25 or newer"}
	}
	return ok("git " + v)
}

func checkRuntimeBin(_ context.Context, t *Town, o DoctorOptions) finding {
	bin := t.Path(".runtime", "bin")
	var problems []string
	missing := 0
	for _, name := range []string{"gt", "bd"} {
		p := filepath.Join(bin, name)
		target, err := os.Readlink(p)
		switch {
		case err != nil:
			if _, serr := os.Lstat(p); serr == nil {
				problems = append(problems, ".runtime/bin/"+name+" is not a link")
			} else {
				missing++
			}
		case !isExecutable(target):
			problems = append(problems, ".runtime/bin/"+name+" points to missing "+target)
		}
	}
	if len(problems) == 0 {
		if missing > 0 {
			// Normal before the first host start: the host links them.
			return ok("not linked yet (the host links them when gt starts)")
		}
		return ok("")
	}
	f := finding{status: CheckWarning, message: strings.Join(problems, "; ")}
	if o.Exe != "" {
		f.fix = func(context.Context) error { return t.LinkRuntimeBin(o.Exe) }
	} else {
		f.hint = "start gt once; the host relinks them"
	}
	return f
}

// LinkRuntimeBin (re)creates <town>/.runtime/bin/{gt,bd} as symlinks to exe.
func (t *Town) LinkRuntimeBin(exe string) error {
	if err := os.MkdirAll(t.RuntimeDir(), 0o700); err != nil {
		return fmt.Errorf("create .runtime: %w", err)
	}
	if err := os.Chmod(t.RuntimeDir(), 0o700); err != nil {
		return fmt.Errorf("chmod .runtime: %w", err)
	}
	bin := t.Path(".runtime", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return fmt.Errorf("create .runtime/bin: %w", err)
	}
	for _, name := range []string{"gt", "bd"} {
		p := filepath.Join(bin, name)
		tmp := p + ".tmp"
		os.Remove(tmp)
		if err := os.Symlink(exe, tmp); err != nil {
			return fmt.Errorf("link .runtime/bin/%s: %w", name, err)
		}
		if err := os.Rename(tmp, p); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("link .runtime/bin/%s: %w", name, err)
		}
	}
	return nil
}

// AgentsInUse lists every runtime the town can start: the Mayor's and, per
// rig, those of crew and polecats by configuration, plus the aliases pinned
// with --agent on wanted sessions and on polecats with work.
func (t *Town) AgentsInUse(ctx context.Context) ([]Runtime, []error) {
	var out []Runtime
	var errs []error
	seen := map[string]bool{}
	keep := func(r Runtime) {
		key := r.Alias + "\x00" + r.CommandLine()
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	add := func(alias string, role models.Role, rig string) {
		r, err := t.ResolveRuntime(alias, role, rig)
		if err != nil {
			errs = append(errs, err)
			return
		}
		keep(r)
	}
	add("", models.RoleMayor, "")
	rigs, err := t.RigNames()
	if err != nil {
		errs = append(errs, err)
	}
	for _, rig := range rigs {
		add("", models.RoleCrew, rig)
		add("", models.RolePolecat, rig)
	}
	// Runtimes pinned with --agent: wanted Mayor/crew sessions and
	// polecats with work.
	_ = t.withReadStore(ctx, func(s *beads.Store) error {
		rows, err := s.AgentSessions(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if !r.Wanted || r.Runtime == "" {
				continue
			}
			if a, err := models.ParseAddress(r.Agent); err == nil {
				add(r.Runtime, a.Role, a.Rig)
			}
		}
		return nil
	})
	if work, err := t.HookedPolecats(ctx); err == nil {
		for _, w := range work {
			if w.Runtime != "" {
				add(w.Runtime, w.Address.Role, w.Address.Rig)
			}
		}
	}
	return out, errs
}

func checkAgentCommands(ctx context.Context, t *Town, _ DoctorOptions) finding {
	if _, err := t.Rigs(); err != nil {
		return skipNoRegistry()
	}
	rts, errs := t.AgentsInUse(ctx)
	var problems []string
	for _, e := range errs {
		problems = append(problems, oneLine(e.Error()))
	}
	var names []string
	for _, r := range rts {
		if r.Alias == "demo" {
			names = append(names, r.Alias)
			continue // gt itself, linked into .runtime/bin by the host
		}
		if _, err := t.LookPath(r.Command); err != nil {
			problems = append(problems, fmt.Sprintf("agent command %q not found on PATH (agent %s)", r.Command, r.Alias))
			continue
		}
		names = append(names, r.Alias)
	}
	if len(problems) > 0 {
		return finding{status: CheckError, message: strings.Join(problems, "; "),
			hint: "install the agent CLI, or pick another with gt config default-agent <name>"}
	}
	return ok(strings.Join(names, ", "))
}

func checkSettings(_ context.Context, t *Town, _ DoctorOptions) finding {
	var problems []string
	ts, err := t.Settings()
	if err != nil {
		problems = append(problems, oneLine(err.Error()))
	} else if err := ts.Validate(); err != nil {
		problems = append(problems, TownSettingsFile+": "+err.Error())
	} else if _, err := t.LookupAgent(ts.DefaultAgentName(), ""); err != nil {
		problems = append(problems, TownSettingsFile+": default_agent: "+err.Error())
	}
	rigs, _ := t.RigNames()
	for _, rig := range rigs {
		rs, err := t.RigSettings(rig)
		if err != nil {
			problems = append(problems, oneLine(err.Error()))
			continue
		}
		if err := rs.Validate(); err != nil {
			problems = append(problems, rig+"/"+RigSettingsName+": "+err.Error())
		}
	}
	if len(problems) > 0 {
		return finding{status: CheckError, message: strings.Join(problems, "; "), hint: "fix the settings file by hand (see spec §11)"}
	}
	return ok("")
}

func checkFormulas(_ context.Context, t *Town, _ DoctorOptions) finding {
	home, _ := os.UserHomeDir()
	dirs := []string{t.Path(".beads", "formulas")}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".beads", "formulas"))
	}
	rigs, _ := t.RigNames()
	for _, rig := range rigs {
		dirs = append(dirs, t.Path(rig, "mayor", "rig", ".beads", "formulas"))
	}
	var errs, warns []string
	n := 0
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*.formula.toml"))
		for _, p := range files {
			n++
			data, err := os.ReadFile(p)
			if err != nil {
				errs = append(errs, oneLine(err.Error()))
				continue
			}
			f, err := formulas.Parse(p, data)
			if err != nil {
				errs = append(errs, oneLine(err.Error()))
				continue
			}
			if len(f.Errors) > 0 {
				errs = append(errs, fmt.Sprintf("%s: %d errors", filepath.Base(p), len(f.Errors)))
				continue
			}
			if len(f.Warnings) > 0 {
				warns = append(warns, fmt.Sprintf("%s: %d warnings", filepath.Base(p), len(f.Warnings)))
			}
		}
	}
	if len(errs) > 0 {
		return finding{status: CheckError, message: strings.Join(errs, "; "), hint: "run bd formula validate <name> for details"}
	}
	if len(warns) > 0 {
		return finding{status: CheckWarning, message: strings.Join(warns, "; "), hint: "run bd formula validate <name> for details"}
	}
	return ok(fmt.Sprintf("%d formula files", n))
}

// HostLockPath is <town>/.runtime/host.lock.
func (t *Town) HostLockPath() string { return t.Path(".runtime", "host.lock") }

// HostLockHolder reports the pid recorded in host.lock and whether a live
// process holds its flock. A lock file whose flock is free is stale.
func (t *Town) HostLockHolder() (pid int, held bool, exists bool, err error) {
	f, err := os.OpenFile(t.HostLockPath(), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, false, nil
	}
	if err != nil {
		return 0, false, true, fmt.Errorf("open host.lock: %w", err)
	}
	defer f.Close()
	data, _ := os.ReadFile(t.HostLockPath())
	pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return pid, true, true, nil
	}
	if err != nil {
		return pid, false, true, fmt.Errorf("lock host.lock: %w", err)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return pid, false, true, nil
}

func checkHostLock(_ context.Context, t *Town, _ DoctorOptions) finding {
	pid, held, exists, err := t.HostLockHolder()
	switch {
	case err != nil:
		return finding{status: CheckError, message: oneLine(err.Error())}
	case !exists:
		return ok("no host running")
	case held:
		return ok(fmt.Sprintf("host running (pid %d)", pid))
	}
	return finding{status: CheckWarning, message: fmt.Sprintf("stale .runtime/host.lock (pid %d is not running a host)", pid),
		fix: func(context.Context) error {
			// Re-check under the lock so a host that just started is not
			// robbed of its lock file.
			f, err := os.OpenFile(t.HostLockPath(), os.O_RDWR, 0)
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			defer f.Close()
			if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
				return fmt.Errorf("host.lock is held again: %w", err)
			}
			return os.Remove(t.HostLockPath())
		}}
}

// orphanWorktrees lists a rig's registered worktrees whose directory is gone.
func orphanWorktrees(ctx context.Context, bare string) ([]string, error) {
	out, err := git(ctx, "", "--git-dir", bare, "worktree", "list", "--porcelain")
	if err != nil {
		return nil, err
	}
	var orphans []string
	for _, block := range strings.Split(out, "\n\n") {
		var path string
		bareEntry := false
		for _, l := range strings.Split(block, "\n") {
			if p, ok := strings.CutPrefix(l, "worktree "); ok {
				path = p
			}
			if l == "bare" {
				bareEntry = true
			}
		}
		if path == "" || bareEntry {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			orphans = append(orphans, path)
		}
	}
	return orphans, nil
}

func checkOrphanWorktrees(ctx context.Context, t *Town, _ DoctorOptions) finding {
	rigs, err := t.RigNames()
	if err != nil {
		return skipNoRegistry()
	}
	var orphans, bares []string
	for _, rig := range rigs {
		bare := t.Path(rig, ".repo.git")
		o, err := orphanWorktrees(ctx, bare)
		if err != nil {
			continue // rig-structure reports a broken .repo.git
		}
		if len(o) > 0 {
			bares = append(bares, bare)
		}
		for _, p := range o {
			rel, _ := filepath.Rel(t.Root, p)
			orphans = append(orphans, rel)
		}
	}
	if len(orphans) == 0 {
		return ok("")
	}
	return finding{status: CheckWarning, message: "worktrees whose directory is gone: " + strings.Join(orphans, ", "),
		fix: func(ctx context.Context) error {
			for _, b := range bares {
				if _, err := git(ctx, "", "--git-dir", b, "worktree", "prune"); err != nil {
					return err
				}
			}
			return nil
		}}
}

// hookedBeads lists beads with status hooked or in_progress.
func (t *Town) hookedBeads(ctx context.Context) ([]models.Bead, error) {
	s, err := t.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.List(ctx, beads.Filter{Status: []models.Status{models.StatusHooked, models.StatusInProgress}})
}

func checkHookedUnknown(ctx context.Context, t *Town, _ DoctorOptions) finding {
	hooked, err := t.hookedBeads(ctx)
	if err != nil {
		return finding{status: CheckError, message: "cannot read the beads store"}
	}
	var bad []string
	for _, b := range hooked {
		if b.Assignee == "" {
			if b.Status == models.StatusHooked {
				bad = append(bad, b.ID+" (no assignee)")
			}
			continue
		}
		a, err := models.ParseAddress(b.Assignee)
		if err != nil || a.Role == models.RoleOverseer {
			if b.Status == models.StatusHooked {
				bad = append(bad, fmt.Sprintf("%s → %s", b.ID, b.Assignee))
			}
			continue
		}
		if a.Role == models.RoleMayor {
			continue
		}
		if strings.HasSuffix(b.Assignee, "/refinery") {
			continue
		}
		r, err := t.ResolveAddress(b.Assignee)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s → %s", b.ID, b.Assignee))
			continue
		}
		if r.Role == models.RoleCrew && !t.CrewExists(r.Rig, r.Name) {
			bad = append(bad, fmt.Sprintf("%s → %s", b.ID, b.Assignee))
		}
	}
	if len(bad) > 0 {
		return finding{status: CheckError, message: "hooked to unknown agents: " + strings.Join(bad, ", "),
			hint: "re-sling with gt sling <id> <target> --force, or gt hook clear <id>"}
	}
	return ok("")
}

func checkStalledPolecats(ctx context.Context, t *Town, o DoctorOptions) finding {
	hooked, err := t.hookedBeads(ctx)
	if err != nil {
		return finding{status: CheckError, message: "cannot read the beads store"}
	}
	ts, err := t.Settings()
	if err != nil {
		return finding{status: CheckWarning, message: "cannot read the town settings"}
	}
	limit := ts.StalledAfter()
	var stalled []string
	for _, b := range hooked {
		if !strings.Contains(b.Assignee, "/polecats/") {
			continue
		}
		if idle := o.Now.Sub(b.UpdatedAt); idle >= limit {
			stalled = append(stalled, fmt.Sprintf("%s (%s, no progress for %dm)", b.Assignee, b.ID, int(idle.Minutes())))
		}
	}
	if len(stalled) > 0 {
		return finding{status: CheckWarning, message: strings.Join(stalled, ", "), hint: "look at them with gt feed --problems; nudge with gt nudge <address> continue"}
	}
	return ok("")
}

func checkGitignore(_ context.Context, t *Town, _ DoctorOptions) finding {
	_, gitErr := os.Stat(t.Path(".git"))
	data, err := os.ReadFile(t.Path(".gitignore"))
	if gitErr != nil && errors.Is(err, os.ErrNotExist) {
		return ok("town is not a git repository")
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var missing []string
	for _, e := range gitignoreEntries() {
		if !have[e] {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		return ok("")
	}
	return finding{status: CheckWarning, message: ".gitignore lacks " + strings.Join(missing, " "),
		fix: func(context.Context) error {
			cur, _ := os.ReadFile(t.Path(".gitignore"))
			if len(cur) > 0 && !bytes.HasSuffix(cur, []byte("\n")) {
				cur = append(cur, '\n')
			}
			for _, m := range missing {
				cur = append(cur, m+"\n"...)
			}
			return writeFileAtomic(t.Path(".gitignore"), cur, 0o644)
		}}
}
