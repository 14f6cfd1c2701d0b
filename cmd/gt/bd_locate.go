package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gastown/gt/app/town"
)

// errNoBeadsDB is the error every bd verb gives when discovery finds nothing.
var errNoBeadsDB = errors.New("no beads database found (run bd init --prefix <p>, or use --db)")

// bdPlace is where a bd invocation stands: its working directory, the town
// around it (if any) and the database it will use.
type bdPlace struct {
	cwd    string // symlink-resolved working directory
	town   string // town root, "" outside a town
	dbPath string // absolute path of beads.db
	// townDB is true when dbPath is the town's own database, which is the
	// only case in which bd writes town events.
	townDB bool
}

// bdTownRoot returns the town root by the spec's discovery (town.Find), or
// "" outside a town.
func bdTownRoot(cwd string, getenv func(string) string) string {
	t, err := town.Find(cwd, getenv)
	if err != nil {
		return ""
	}
	return bdRealPath(t.Root)
}

// locateDB finds the database: --db > $BEADS_DB > the town's .beads/beads.db
// > the nearest .beads/ holding beads.db or issues.jsonl above cwd.
func locateDB(dbFlag, cwd string, getenv func(string) string) (bdPlace, error) {
	p := bdPlace{cwd: cwd, town: bdTownRoot(cwd, getenv)}
	explicit := dbFlag
	if explicit == "" {
		explicit = getenv("BEADS_DB")
	}
	switch {
	case explicit != "":
		abs, err := filepath.Abs(explicit)
		if err != nil {
			return p, fmt.Errorf("beads database %s: %w", explicit, err)
		}
		if !bdIsFile(abs) && !bdIsFile(filepath.Join(filepath.Dir(abs), "issues.jsonl")) {
			return p, fmt.Errorf("beads database %s does not exist", abs)
		}
		p.dbPath = bdRealPath(abs)
	case p.town != "" && bdIsDir(filepath.Join(p.town, ".beads")):
		p.dbPath = filepath.Join(p.town, ".beads", "beads.db")
	default:
		for dir := cwd; ; {
			b := filepath.Join(dir, ".beads")
			if bdIsFile(filepath.Join(b, "beads.db")) || bdIsFile(filepath.Join(b, "issues.jsonl")) {
				p.dbPath = filepath.Join(b, "beads.db")
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return p, errNoBeadsDB
			}
			dir = parent
		}
	}
	if p.town != "" {
		p.townDB = bdSamePath(p.dbPath, filepath.Join(p.town, ".beads", "beads.db"))
	}
	return p, nil
}

// actorFor resolves who is acting: --actor, else $BD_ACTOR, else the role
// implied by the working directory inside a town, else overseer.
func actorFor(flag string, p bdPlace, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if a := getenv("BD_ACTOR"); a != "" {
		return a
	}
	if a := roleFromDir(p.town, p.cwd); a != "" {
		return a
	}
	return "overseer"
}

// roleFromDir is the address implied by a directory inside the town
// (spec §5.1), or "" anywhere else.
func roleFromDir(townRoot, dir string) string {
	if townRoot == "" {
		return ""
	}
	if a, ok := (&town.Town{Root: townRoot}).RoleFromDir(dir); ok {
		return a.String()
	}
	return ""
}

// rigPrefixes reads <town>/mayor/rigs.json and returns rig name → beads
// prefix. A missing file means no rigs; an invalid one is an error in the
// §11 form.
func rigPrefixes(townRoot string) (map[string]string, error) {
	out := map[string]string{}
	if townRoot == "" {
		return out, nil
	}
	reg, err := (&town.Town{Root: townRoot}).Rigs()
	if err != nil {
		return nil, err
	}
	for name, r := range reg.Rigs {
		if r.Beads.Prefix != "" {
			out[name] = r.Beads.Prefix
		}
	}
	return out, nil
}

// callerRig returns the rig the caller works in: $GT_RIG, else the first
// path component of cwd below the town when it names a registered rig.
func callerRig(p bdPlace, rigs map[string]string, getenv func(string) string) string {
	if r := getenv("GT_RIG"); r != "" {
		return r
	}
	if p.town != "" {
		if rig, ok := (&town.Town{Root: p.town}).RigFromDir(p.cwd); ok && rigs[rig] != "" {
			return rig
		}
	}
	return ""
}

func bdIsFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func bdIsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// realPath makes p absolute and resolves symlinks where it can, so paths
// from the environment and from os.Getwd compare equal.
func bdRealPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	// The file may not exist yet (a db about to be rebuilt): resolve its
	// directory instead.
	if r, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		return filepath.Join(r, filepath.Base(p))
	}
	return p
}

func bdSamePath(a, b string) bool { return bdRealPath(a) == bdRealPath(b) }
