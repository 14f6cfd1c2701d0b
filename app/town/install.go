package town

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// GitignoreContent is the town .gitignore written by gt install --git: exactly
// the ignored paths of the spec's layout (§3).
const GitignoreContent = `.runtime/
*/.runtime/
.beads/beads.db*
.beads/*.lock
.events.jsonl*
*/.repo.git/
*/mayor/rig/
*/refinery/rig/
*/crew/
*/polecats/
`

// gitignoreEntries is GitignoreContent as lines.
func gitignoreEntries() []string { return strings.Fields(GitignoreContent) }

// ClaudeMD is the town's identity anchor for agents.
const ClaudeMD = `# Gas Town

This directory is a Gas Town workspace. Your role comes from ` + "`gt prime`" + `:
run it at the start of every session and after any context loss, then follow
what it prints. Do not guess your role from this file.
`

// trackedFiles are the town files committed by --git.
var trackedFiles = []string{
	"CLAUDE.md", "AGENTS.md", ".gitignore", ".beads/issues.jsonl",
	TownConfigFile, RigsFile, OverseerFile,
}

// InstallOptions are the inputs of gt install.
type InstallOptions struct {
	Path  string // target directory ("" = current directory); ~ is expanded
	Git   bool   // write .gitignore, git init, first commit
	Force bool   // re-run in an existing town, keeping town.json and rigs.json
	Name  string // town name (default: the directory's base name)
	Owner string // owner email (default: the overseer's email)
	// Cwd resolves a relative Path; "" means the process cwd.
	Cwd string
	// Getenv reads HOME, USER and the like; nil means os.Getenv.
	Getenv func(string) string
}

// InstallResult says what gt install did.
type InstallResult struct {
	Town *Town
	// Created lists the things made, in order, for "✓ Created <thing>".
	Created []string
}

// Install creates a town (spec §6.1, §3). Refusals change nothing; a failure
// part-way removes everything it created.
func Install(ctx context.Context, o InstallOptions) (*InstallResult, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path, err := expandPath(o.Path, o.Cwd, getenv)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s exists and is not a directory", path)
	}
	existing := IsTown(path)
	if existing && !o.Force {
		return nil, fmt.Errorf("%s is already a Gas Town workspace (use --force)", path)
	}
	if !existing {
		if outer := FindRootFrom(filepath.Dir(path)); outer != "" {
			return nil, fmt.Errorf("cannot create a town inside another town (%s)", outer)
		}
	}
	if o.Owner != "" && !strings.Contains(o.Owner, "@") {
		return nil, fmt.Errorf("invalid --owner %q: expected an email address", o.Owner)
	}
	if o.Git {
		if _, _, _, err := GitVersion(ctx); err != nil {
			return nil, err
		}
	}

	in := &installer{path: path, getenv: getenv}
	res, err := in.run(ctx, o, existing)
	if err != nil {
		in.rollback()
		return nil, err
	}
	return res, nil
}

// installer remembers what it created so a failure can remove it.
type installer struct {
	path    string
	getenv  func(string) string
	created []string // absolute paths, in creation order
}

func (in *installer) rollback() {
	for i := len(in.created) - 1; i >= 0; i-- {
		os.RemoveAll(in.created[i])
	}
}

// mkdir creates dir (and parents), remembering the topmost new directory.
func (in *installer) mkdir(dir string, perm os.FileMode) error {
	var top string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if top != "" {
		in.created = append(in.created, top)
	}
	return os.Chmod(dir, perm)
}

func (in *installer) track(p string) {
	if _, err := os.Lstat(p); err != nil {
		in.created = append(in.created, p)
	}
}

func (in *installer) run(ctx context.Context, o InstallOptions, existing bool) (*InstallResult, error) {
	t := &Town{Root: in.path, Getenv: in.getenv}
	res := &InstallResult{Town: t}
	step := func(s string) { res.Created = append(res.Created, s) }

	if err := in.mkdir(in.path, 0o755); err != nil {
		return nil, err
	}
	if err := in.mkdir(t.Path("mayor"), 0o755); err != nil {
		return nil, err
	}
	if existing {
		// --force keeps town.json and rigs.json, but they must be valid
		// before anything is rewritten.
		if _, err := t.TownConfig(); err != nil {
			return nil, err
		}
		if _, err := t.Rigs(); err != nil {
			return nil, err
		}
	}
	// Overseer first: town.json's owner defaults to its email.
	ov := detectOverseer(ctx, in.getenv)
	if old, err := t.Overseer(); err == nil {
		ov.Extra = old.Extra
	}
	in.track(t.Path(OverseerFile))
	if err := writeJSONFile(t.Path(OverseerFile), ov); err != nil {
		return nil, err
	}

	if !existing {
		name := o.Name
		if name == "" {
			name = filepath.Base(in.path)
		}
		owner := o.Owner
		if owner == "" {
			owner = ov.Email
		}
		if owner == "" {
			owner = ov.Username
		}
		tc := &TownConfig{Type: "town", Version: 2, Name: name, Owner: owner, CreatedAt: time.Now().UTC()}
		in.track(t.Path(TownConfigFile))
		if err := t.SaveTownConfig(tc); err != nil {
			return nil, err
		}
		step("mayor/town.json (town " + name + " at " + in.path + ")")
		in.track(t.Path(RigsFile))
		if err := t.SaveRigs(&RigsRegistry{Version: 1, Rigs: map[string]RigEntry{}}); err != nil {
			return nil, err
		}
		step("mayor/rigs.json")
	}
	step("mayor/overseer.json (" + overseerLabel(ov) + ")")

	in.track(t.Path("CLAUDE.md"))
	if err := writeFileAtomic(t.Path("CLAUDE.md"), []byte(ClaudeMD), 0o644); err != nil {
		return nil, err
	}
	agents := t.Path("AGENTS.md")
	if target, err := os.Readlink(agents); err != nil || target != "CLAUDE.md" {
		in.track(agents)
		os.Remove(agents)
		if err := os.Symlink("CLAUDE.md", agents); err != nil {
			return nil, fmt.Errorf("link AGENTS.md: %w", err)
		}
	}
	step("CLAUDE.md and AGENTS.md -> CLAUDE.md")

	if err := in.mkdir(t.Path(".beads", "formulas"), 0o755); err != nil {
		return nil, err
	}
	in.track(t.BeadsDB())
	in.track(t.IssuesJSONL())
	for _, suffix := range []string{"-wal", "-shm"} {
		in.track(t.BeadsDB() + suffix)
	}
	in.track(t.Path(".beads", "export.lock"))
	if err := initTownStore(ctx, t); err != nil {
		return nil, err
	}
	step(".beads/ (beads database, prefix hq, issues.jsonl, formulas/)")
	step("agent bead " + models.MayorBeadID)

	if err := in.mkdir(t.RuntimeDir(), 0o700); err != nil {
		return nil, err
	}
	step(".runtime/")

	if o.Git {
		in.track(t.Path(".gitignore"))
		if err := writeFileAtomic(t.Path(".gitignore"), []byte(GitignoreContent), 0o644); err != nil {
			return nil, err
		}
		step(".gitignore")
		made, err := in.gitInit(ctx, t, ov)
		if err != nil {
			return nil, err
		}
		if made {
			step("git repository (commit \"Initialize Gas Town\")")
		}
	}
	in.track(eventlog.Path(t.Root))
	in.track(t.Path(eventlog.LockName))
	if err := eventlog.Emit(t.Root, eventlog.SourceGT, "town_installed", models.OverseerAddress.String(),
		map[string]any{"path": t.Root, "name": t.Name(), "git": o.Git}, models.VisibilityAudit); err != nil {
		return nil, err
	}
	return res, nil
}

// gitInit makes the town a git repository with a first commit of the tracked
// files. made is false when the town already was a repository.
func (in *installer) gitInit(ctx context.Context, t *Town, ov *Overseer) (bool, error) {
	if _, err := os.Stat(t.Path(".git")); err == nil {
		if _, err := git(ctx, t.Root, append([]string{"add", "--"}, trackedFiles...)...); err != nil {
			return false, err
		}
		if _, err := git(ctx, t.Root, "diff", "--cached", "--quiet"); err != nil {
			if _, err := git(ctx, t.Root, identityArgs(ctx, t.Root, ov, "commit", "-q", "-m", "Update Gas Town")...); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	in.created = append(in.created, t.Path(".git"))
	if _, err := git(ctx, t.Root, "-c", "init.defaultBranch=main", "init", "-q"); err != nil {
		return false, err
	}
	if _, err := git(ctx, t.Root, append([]string{"add", "--"}, trackedFiles...)...); err != nil {
		return false, err
	}
	if _, err := git(ctx, t.Root, identityArgs(ctx, t.Root, ov, "commit", "-q", "-m", "Initialize Gas Town")...); err != nil {
		return false, err
	}
	return true, nil
}

// identityArgs prefixes a git command with -c user.name/-c user.email when
// git has no identity configured, so commits work on fresh machines.
func identityArgs(ctx context.Context, dir string, ov *Overseer, args ...string) []string {
	var pre []string
	if v, err := git(ctx, dir, "config", "user.name"); err != nil || v == "" {
		name := ov.Name
		if name == "" {
			name = "Gas Town"
		}
		pre = append(pre, "-c", "user.name="+name)
	}
	if v, err := git(ctx, dir, "config", "user.email"); err != nil || v == "" {
		email := ov.Email
		if email == "" {
			email = "overseer@gastown.local"
		}
		pre = append(pre, "-c", "user.email="+email)
	}
	return append(pre, args...)
}

// detectOverseer reads the human's identity from git config, else $USER.
func detectOverseer(ctx context.Context, getenv func(string) string) *Overseer {
	user := getenv("USER")
	name, _ := git(ctx, "", "config", "--global", "user.name")
	email, _ := git(ctx, "", "config", "--global", "user.email")
	if name == "" && email == "" {
		name, _ = git(ctx, "", "config", "user.name")
		email, _ = git(ctx, "", "config", "user.email")
	}
	if name != "" || email != "" {
		uname := user
		if uname == "" {
			uname, _, _ = strings.Cut(email, "@")
		}
		if name == "" {
			name = uname
		}
		return &Overseer{Name: name, Email: email, Username: uname, Source: "git-config"}
	}
	if user == "" {
		user = "overseer"
	}
	return &Overseer{Name: user, Username: user, Source: "env"}
}

func overseerLabel(o *Overseer) string {
	if o.Email != "" {
		return o.Name + " <" + o.Email + ">"
	}
	return o.Name
}

// expandPath expands ~ and makes p absolute against cwd.
func expandPath(p, cwd string, getenv func(string) string) (string, error) {
	if p == "" {
		p = "."
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", errors.New("cannot expand ~: HOME is not set")
			}
			home = h
		}
		p = filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	if !filepath.IsAbs(p) {
		if cwd == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", fmt.Errorf("get working directory: %w", err)
			}
			cwd = wd
		}
		p = filepath.Join(cwd, p)
	}
	return filepath.Clean(p), nil
}
