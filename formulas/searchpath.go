package formulas

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gastown/gt/models"
)

//go:embed embedded/*.formula.toml
var embedded embed.FS

// SourceKind says where on the search path a formula was found.
type SourceKind string

// The search path entries, in lookup order, and a file named directly.
const (
	SourceRig      SourceKind = "rig"
	SourceTown     SourceKind = "town"
	SourceUser     SourceKind = "user"
	SourceEmbedded SourceKind = "embedded"
	SourceFile     SourceKind = "file"
)

// String returns the kind as bd formula list shows it.
func (k SourceKind) String() string { return string(k) }

// Source is where a formula file lives.
type Source struct {
	Name string
	Kind SourceKind
	// Path is the file's path (for embedded formulas: "embedded/<file>").
	Path string
}

// searchDir is one directory of the search path.
type searchDir struct {
	kind SourceKind
	dir  string
}

// SearchPath finds formulas (§7.4): the rig checkout's .beads/formulas, the
// town's, the user's (~/.beads/formulas), then the formulas embedded in the
// binary. Earlier entries shadow later ones.
type SearchPath struct {
	dirs []searchDir
}

// FormulasDir is where formulas live under a checkout, town or home
// directory.
const FormulasDir = ".beads/formulas"

// NewSearchPath builds the search path from the rig checkout root, the town
// root and the home directory; each may be "" to leave it out. Formulas are
// looked up in <dir>/.beads/formulas of each, then among the embedded ones.
func NewSearchPath(rigDir, townDir, homeDir string) *SearchPath {
	sp := &SearchPath{}
	add := func(kind SourceKind, root string) {
		if root == "" {
			return
		}
		dir := filepath.Join(root, FormulasDir)
		for _, d := range sp.dirs {
			if d.dir == dir {
				return
			}
		}
		sp.dirs = append(sp.dirs, searchDir{kind, dir})
	}
	add(SourceRig, rigDir)
	add(SourceTown, townDir)
	add(SourceUser, homeDir)
	return sp
}

// WithDir returns a copy of the search path that looks in dir (a directory
// holding formula files) before anything else, as kind. bd uses it for a
// formula named by path, so that the formulas beside it resolve its extends.
func (sp *SearchPath) WithDir(kind SourceKind, dir string) *SearchPath {
	out := &SearchPath{dirs: []searchDir{{kind, dir}}}
	for _, d := range sp.dirs {
		if d.dir != dir {
			out.dirs = append(out.dirs, d)
		}
	}
	return out
}

// Dirs returns the directories searched, in order.
func (sp *SearchPath) Dirs() []string {
	out := make([]string, 0, len(sp.dirs))
	for _, d := range sp.dirs {
		out = append(out, d.dir)
	}
	return out
}

// Searched describes the search path for error messages:
// "<dir>, <dir>, embedded".
func (sp *SearchPath) Searched() string {
	return strings.Join(append(sp.Dirs(), "embedded"), ", ")
}

// IsPath reports whether a formula argument names a file rather than a
// formula (it contains a slash or ends in .toml).
func IsPath(ref string) bool {
	return strings.ContainsRune(ref, '/') || strings.HasSuffix(ref, ".toml")
}

// validName rejects names that could escape the formula directories.
func validName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\`) && name != "." && name != ".." && !strings.ContainsRune(name, 0)
}

// Find locates a formula by name; a missing one is a *NotFoundError.
func (sp *SearchPath) Find(name string) (*Source, error) {
	if validName(name) {
		file := name + FileSuffix
		for _, d := range sp.dirs {
			p := filepath.Join(d.dir, file)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return &Source{Name: name, Kind: d.kind, Path: p}, nil
			}
		}
		if _, err := fs.Stat(embedded, "embedded/"+file); err == nil {
			return &Source{Name: name, Kind: SourceEmbedded, Path: "embedded/" + file}, nil
		}
	}
	return nil, &NotFoundError{Name: name, Searched: sp.Searched()}
}

// read returns a source's bytes.
func (s *Source) read() ([]byte, error) {
	if s.Kind == SourceEmbedded {
		return embedded.ReadFile(s.Path)
	}
	b, err := os.ReadFile(s.Path)
	if err != nil {
		return nil, fmt.Errorf("read formula %s: %w", s.Path, err)
	}
	return b, nil
}

// LoadSource reads and parses a source.
func LoadSource(s *Source) (*File, error) {
	data, err := s.read()
	if err != nil {
		return nil, err
	}
	f, err := Parse(s.Path, data)
	if err != nil {
		return nil, err
	}
	f.Source = *s
	return f, nil
}

// LoadFormula finds and parses a formula by name (it implements Loader).
func (sp *SearchPath) LoadFormula(name string) (*File, error) {
	src, err := sp.Find(name)
	if err != nil {
		return nil, err
	}
	return LoadSource(src)
}

// Load parses a formula given by name or, if IsPath(ref), by file path.
// It returns the file and the Loader to cook it with (for a path, the
// search path with the file's directory in front).
func (sp *SearchPath) Load(ref string) (*File, Loader, error) {
	if IsPath(ref) {
		st, err := os.Stat(ref)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, &missingFileError{path: ref}
			}
			return nil, nil, fmt.Errorf("read formula %s: %w", ref, err)
		}
		if !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("formula file %s is not a regular file", ref)
		}
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(ref), ".toml"), ".formula")
		f, err := LoadSource(&Source{Name: name, Kind: SourceFile, Path: ref})
		if err != nil {
			return nil, nil, err
		}
		return f, sp.WithDir(SourceFile, filepath.Dir(ref)), nil
	}
	f, err := sp.LoadFormula(ref)
	if err != nil {
		return nil, nil, err
	}
	return f, sp, nil
}

// Cook loads a formula by name or path and cooks it.
func (sp *SearchPath) Cook(ref string, opt CookOptions) (*Proto, error) {
	f, l, err := sp.Load(ref)
	if err != nil {
		return nil, err
	}
	return Cook(f, l, opt)
}

// Listing is one formula on the search path, as bd formula list shows it.
type Listing struct {
	Source      Source
	Name        string
	Type        models.FormulaType
	Description string
	Steps       int
	Vars        int
	// File is nil when the file could not be parsed; Err says why.
	File *File
	Err  error
}

// List returns every formula on the search path by name, shadowed ones
// left out. Files that fail to parse are listed with Err set.
func (sp *SearchPath) List() ([]Listing, error) {
	seen := map[string]bool{}
	var out []Listing
	addSource := func(src Source) {
		if seen[src.Name] {
			return
		}
		seen[src.Name] = true
		l := Listing{Source: src, Name: src.Name}
		f, err := LoadSource(&src)
		if err != nil {
			l.Err = err
		} else {
			l.File = f
			l.Type = f.Formula.Type
			l.Description = f.Formula.Description
			l.Steps = countSteps(f.Formula)
			l.Vars = len(f.Formula.Vars)
		}
		out = append(out, l)
	}
	for _, d := range sp.dirs {
		entries, err := os.ReadDir(d.dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("list formulas in %s: %w", d.dir, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), FileSuffix) {
				continue
			}
			name := strings.TrimSuffix(e.Name(), FileSuffix)
			addSource(Source{Name: name, Kind: d.kind, Path: filepath.Join(d.dir, e.Name())})
		}
	}
	entries, err := fs.ReadDir(embedded, "embedded")
	if err != nil {
		return nil, fmt.Errorf("list embedded formulas: %w", err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), FileSuffix)
		addSource(Source{Name: name, Kind: SourceEmbedded, Path: "embedded/" + e.Name()})
	}
	slices.SortFunc(out, func(a, b Listing) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// countSteps counts the steps a formula declares (children, loop bodies,
// legs and template steps included, loops not expanded).
func countSteps(f *models.Formula) int {
	n := 0
	var count func([]*models.Step)
	count = func(steps []*models.Step) {
		for _, s := range steps {
			if s.Loop != nil {
				count(s.Loop.Body)
			} else {
				n++
			}
			count(s.Children)
		}
	}
	count(f.Steps)
	count(f.Template)
	count(f.Legs)
	if f.Synthesis != nil {
		n++
	}
	return n
}

// CallerCheckout finds the checkout whose .beads/formulas are the rig level
// of the search path (§7.4) for a command run in cwd: the git working tree
// around cwd (a polecat worktree, a crew clone, or any project outside a
// town), else, inside <town>/<rig>/, that rig's mayor/rig clone. The town's
// own repository is never a rig. It returns "" when there is none. Both
// paths should be absolute and symlink-free.
func CallerCheckout(town, cwd string) string {
	for dir := cwd; ; {
		if town != "" && dir == town {
			break
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if town == "" {
		return ""
	}
	rel, err := filepath.Rel(town, cwd)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return ""
	}
	rig, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if strings.HasPrefix(rig, ".") || rig == "mayor" || rig == "settings" {
		return ""
	}
	clone := filepath.Join(town, rig, "mayor", "rig")
	if st, err := os.Stat(clone); err == nil && st.IsDir() {
		return clone
	}
	return ""
}

// SearchPathFor is the search path of a command run in cwd: the caller's
// checkout (CallerCheckout), the town (may be "" outside one) and home.
func SearchPathFor(town, cwd, home string) *SearchPath {
	return NewSearchPath(CallerCheckout(town, cwd), town, home)
}

// missingFileError is a formula named by a path that does not exist; it
// matches ErrNotFound so callers treat names and paths alike.
type missingFileError struct{ path string }

func (e *missingFileError) Error() string {
	return fmt.Sprintf("formula file %s does not exist", e.path)
}

func (e *missingFileError) Unwrap() error { return ErrNotFound }
