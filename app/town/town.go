package town

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gastown/gt/models"
)

// ErrNotInTown is returned by discovery outside a town.
var ErrNotInTown = errors.New("not in a Gas Town workspace (run gt install <path>, or gt demo)")

// Town is an open town: its root directory and the process environment the
// town code consults (GT_* variables, $SHELL, $USER, PATH).
type Town struct {
	// Root is the absolute, cleaned town directory.
	Root string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Open returns the town rooted at root, checking for mayor/town.json.
func Open(root string, getenv func(string) string) (*Town, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve town root %s: %w", root, err)
	}
	if !IsTown(abs) {
		return nil, fmt.Errorf("%s: %w", abs, ErrNotInTown)
	}
	return &Town{Root: abs, Getenv: getenv}, nil
}

// IsTown reports whether dir holds a town marker (mayor/town.json).
func IsTown(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, TownConfigFile))
	return err == nil && st.Mode().IsRegular()
}

// Find discovers the town for a command (spec §3): $GT_TOWN_ROOT if set,
// else the nearest ancestor of cwd holding mayor/town.json.
func Find(cwd string, getenv func(string) string) (*Town, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if root := getenv("GT_TOWN_ROOT"); root != "" {
		abs, err := filepath.Abs(root)
		if err != nil || !IsTown(abs) {
			return nil, fmt.Errorf("GT_TOWN_ROOT=%s is not a Gas Town workspace (run gt install <path>, or gt demo)", root)
		}
		return &Town{Root: abs, Getenv: getenv}, nil
	}
	root := FindRootFrom(cwd)
	if root == "" {
		return nil, ErrNotInTown
	}
	return &Town{Root: root, Getenv: getenv}, nil
}

// FindRootFrom returns the nearest ancestor of dir (dir included) holding
// mayor/town.json, or "".
func FindRootFrom(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; {
		if IsTown(d) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

func (t *Town) getenv(k string) string {
	if t.Getenv == nil {
		return os.Getenv(k)
	}
	return t.Getenv(k)
}

// Path joins elements under the town root.
func (t *Town) Path(elem ...string) string {
	return filepath.Join(append([]string{t.Root}, elem...)...)
}

// Name is the town's name from town.json, else the root's base name.
func (t *Town) Name() string {
	if c, err := t.TownConfig(); err == nil && c.Name != "" {
		return c.Name
	}
	return filepath.Base(t.Root)
}

// BeadsDir is <town>/.beads.
func (t *Town) BeadsDir() string { return t.Path(".beads") }

// BeadsDB is the town's SQLite database, <town>/.beads/beads.db.
func (t *Town) BeadsDB() string { return t.Path(".beads", "beads.db") }

// IssuesJSONL is the tracked export, <town>/.beads/issues.jsonl.
func (t *Town) IssuesJSONL() string { return t.Path(".beads", "issues.jsonl") }

// RuntimeDir is <town>/.runtime (0700).
func (t *Town) RuntimeDir() string { return t.Path(".runtime") }

// RigDir is <town>/<rig>.
func (t *Town) RigDir(rig string) string { return t.Path(rig) }

// Workdir returns the working directory of an agent (spec §5.1).
func (t *Town) Workdir(a models.Address) string {
	switch a.Role {
	case models.RoleMayor:
		return t.Path("mayor")
	case models.RolePolecat:
		return t.Path(a.Rig, "polecats", a.Name, a.Rig)
	case models.RoleCrew:
		return t.Path(a.Rig, "crew", a.Name)
	}
	return ""
}

// RoleFromDir infers the address implied by a working directory inside the
// town: <town>/mayor/… is the Mayor, <rig>/polecats/<n>/… a polecat,
// <rig>/crew/<n>/… a crew member. ok is false anywhere else.
func (t *Town) RoleFromDir(dir string) (models.Address, bool) {
	parts, ok := t.relParts(dir)
	if !ok {
		return models.Address{}, false
	}
	if parts[0] == "mayor" {
		return models.MayorAddress, true
	}
	if len(parts) >= 3 && (parts[1] == "polecats" || parts[1] == "crew") {
		if models.ValidateRigName(parts[0]) != nil || models.ValidateAgentName(parts[2]) != nil {
			return models.Address{}, false
		}
		role := models.RolePolecat
		if parts[1] == "crew" {
			role = models.RoleCrew
		}
		return models.Address{Role: role, Rig: parts[0], Name: parts[2]}, true
	}
	return models.Address{}, false
}

// relParts splits dir's path below the town root into its elements
// (symlinks resolved on both sides); ok is false outside the town or at the
// root itself.
func (t *Town) relParts(dir string) ([]string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	root := t.Root
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, false
	}
	return strings.Split(filepath.ToSlash(rel), "/"), true
}

// RigFromDir returns the rig whose directory contains dir, if that rig is
// registered.
func (t *Town) RigFromDir(dir string) (string, bool) {
	parts, ok := t.relParts(dir)
	if !ok {
		return "", false
	}
	reg, err := t.Rigs()
	if err != nil {
		return "", false
	}
	if _, ok := reg.Rigs[parts[0]]; ok {
		return parts[0], true
	}
	return "", false
}

// Caller returns the identity of whoever runs a command (spec §5.1): the
// --actor flag, else $BD_ACTOR, else the role implied by cwd, else the
// overseer. The returned string is the address as recorded in beads.
func (t *Town) Caller(actorFlag, cwd string) string {
	if a := strings.TrimSpace(actorFlag); a != "" {
		return a
	}
	if a := strings.TrimSpace(t.getenv("BD_ACTOR")); a != "" {
		return a
	}
	if a, ok := t.RoleFromDir(cwd); ok {
		return a.String()
	}
	return models.OverseerAddress.String()
}

// CallerAddress is Caller parsed as an address; identities that are not
// addresses (free-form actors such as "system:x") parse as the overseer
// with ok false.
func (t *Town) CallerAddress(actorFlag, cwd string) (models.Address, bool) {
	a, err := models.ParseAddress(t.Caller(actorFlag, cwd))
	if err != nil || a.Role == models.RoleUnknown {
		return models.OverseerAddress, false
	}
	return a, true
}

// ResolveAddress turns any accepted spelling (spec §5.1) into a canonical
// address: "<rig>/<name>" is the crew member if one of that name exists in
// the rig, else the polecat. The rig must be registered.
func (t *Town) ResolveAddress(s string) (models.Address, error) {
	a, err := models.ParseAddress(s)
	if err != nil {
		return models.Address{}, err
	}
	if a.Role == models.RoleMayor || a.Role == models.RoleOverseer {
		return a, nil
	}
	reg, err := t.Rigs()
	if err != nil {
		return models.Address{}, err
	}
	if _, ok := reg.Rigs[a.Rig]; !ok {
		return models.Address{}, fmt.Errorf("unknown rig %q in address %q", a.Rig, s)
	}
	if a.Role == models.RoleUnknown {
		a.Role = models.RolePolecat
		if t.CrewExists(a.Rig, a.Name) {
			a.Role = models.RoleCrew
		}
	}
	return a, nil
}

// CrewExists reports whether <rig>/crew/<name> is a crew workspace.
func (t *Town) CrewExists(rig, name string) bool {
	st, err := os.Stat(t.Path(rig, "crew", name, ".git"))
	return err == nil && (st.IsDir() || st.Mode().IsRegular())
}
