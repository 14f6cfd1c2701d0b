package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// findTown returns the town root: $GT_TOWN_ROOT if set, else the nearest
// ancestor of cwd holding mayor/town.json, else "".
func bdTownRoot(cwd string, getenv func(string) string) string {
	if r := getenv("GT_TOWN_ROOT"); r != "" {
		return bdRealPath(r)
	}
	for dir := cwd; ; {
		if bdIsFile(filepath.Join(dir, "mayor", "town.json")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
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

// roleFromDir maps a directory inside a town to the address of the agent
// that works there (spec §5.1): <town>/mayor/… → mayor,
// <town>/<rig>/polecats/<n>/… → <rig>/polecats/<n>, <town>/<rig>/crew/<n>/… →
// <rig>/crew/<n>. Anything else gives "".
func roleFromDir(town, dir string) string {
	parts := relParts(town, dir)
	switch {
	case len(parts) >= 1 && parts[0] == "mayor":
		return "mayor"
	case len(parts) >= 3 && (parts[1] == "polecats" || parts[1] == "crew") && !strings.HasPrefix(parts[0], "."):
		return parts[0] + "/" + parts[1] + "/" + parts[2]
	}
	return ""
}

// relParts splits dir relative to town into path components; nil when dir
// is not inside town.
func relParts(town, dir string) []string {
	if town == "" || dir == "" {
		return nil
	}
	rel, err := filepath.Rel(town, dir)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	return strings.Split(filepath.ToSlash(rel), "/")
}

// rigPrefixes reads <town>/mayor/rigs.json and returns rig name → beads
// prefix. A missing file means no rigs; an invalid one is an error in the
// §11 form.
func rigPrefixes(town string) (map[string]string, error) {
	out := map[string]string{}
	if town == "" {
		return out, nil
	}
	path := filepath.Join(town, "mayor", "rigs.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var reg struct {
		Rigs map[string]struct {
			Beads struct {
				Prefix string `json:"prefix"`
			} `json:"beads"`
		} `json:"rigs"`
	}
	if err := json.Unmarshal(data, &reg); err != nil {
		return nil, jsonFileError(path, data, err)
	}
	for name, r := range reg.Rigs {
		if r.Beads.Prefix != "" {
			out[name] = r.Beads.Prefix
		}
	}
	return out, nil
}

// jsonFileError formats a JSON decoding error as
// `<file>: invalid JSON at line L col C: <reason>` (spec §11).
func jsonFileError(path string, data []byte, err error) error {
	off := int64(len(data))
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	reason := strings.TrimPrefix(err.Error(), "json: ")
	return fmt.Errorf("%s: invalid JSON at line %d col %d: %s", path, line, col, reason)
}

// callerRig returns the rig the caller works in: $GT_RIG, else the first
// path component of cwd below the town when it names a registered rig.
func callerRig(p bdPlace, rigs map[string]string, getenv func(string) string) string {
	if r := getenv("GT_RIG"); r != "" {
		return r
	}
	parts := relParts(p.town, p.cwd)
	if len(parts) > 0 {
		if _, ok := rigs[parts[0]]; ok {
			return parts[0]
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
