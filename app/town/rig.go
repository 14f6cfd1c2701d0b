package town

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// RigAddOptions are the inputs of gt rig add.
type RigAddOptions struct {
	Name   string
	Repo   string // URL or local path
	Prefix string // --prefix
	Branch string // --branch
	Actor  string // caller address for the event
	Cwd    string // resolves a relative local repo path ("" = process cwd)
	// Progress receives git's clone progress (nil: discarded).
	Progress io.Writer
}

// RigAddResult says what gt rig add did.
type RigAddResult struct {
	Name, Prefix, GitURL, Branch, Path string
	// Imported is the number of beads imported from the repository's
	// tracked .beads/issues.jsonl.
	Imported int
}

var scpLikeURL = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:.+`)

// NormalizeRepo classifies a repository argument: URLs (https, http, ssh,
// git, file, user@host:path) are kept; anything else is a local path that
// must be a git repository and is made absolute.
func NormalizeRepo(ctx context.Context, repo, cwd string, getenv func(string) string) (string, error) {
	repo = strings.TrimSpace(repo)
	if repo == "" {
		return "", errors.New("repository is required")
	}
	if strings.HasPrefix(repo, "-") {
		return "", fmt.Errorf("invalid repository %q", repo)
	}
	for _, s := range []string{"https://", "http://", "ssh://", "git://", "file://"} {
		if strings.HasPrefix(strings.ToLower(repo), s) {
			return repo, nil
		}
	}
	if scpLikeURL.MatchString(repo) && !strings.HasPrefix(repo, "/") && !strings.HasPrefix(repo, ".") {
		return repo, nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	abs, err := expandPath(repo, cwd, getenv)
	if err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("repository %s not found", abs)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s is not a git repository", abs)
	}
	if _, err := git(ctx, abs, "rev-parse", "--git-dir"); err != nil {
		return "", fmt.Errorf("%s is not a git repository", abs)
	}
	return abs, nil
}

// isPartialRig reports whether dir looks like a rig directory left by a
// killed gt rig add (spec R2): it has a rig config.json or a .repo.git.
func isPartialRig(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".repo.git")); err == nil {
		return true
	}
	var c RigConfig
	if readJSONFile(filepath.Join(dir, RigConfigName), "", &c) == nil && c.Type == "rig" {
		return true
	}
	return false
}

// checkPrefixFree fails if another rig uses prefix (or it is the town's).
func checkPrefixFree(reg *RigsRegistry, name, prefix string) error {
	if strings.EqualFold(prefix, "hq") {
		return fmt.Errorf("prefix hq is reserved for the town (use --prefix)")
	}
	names := make([]string, 0, len(reg.Rigs))
	for n := range reg.Rigs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n != name && strings.EqualFold(reg.Rigs[n].Beads.Prefix, prefix) {
			return fmt.Errorf("prefix %s is already used by %s", prefix, n)
		}
	}
	return nil
}

// AddRig registers a repository as a rig (spec §6.1). Any failure removes
// <town>/<rig>, leaves rigs.json as it was, and imports nothing.
func (t *Town) AddRig(ctx context.Context, o RigAddOptions) (*RigAddResult, error) {
	if err := models.ValidateRigName(o.Name); err != nil {
		return nil, err
	}
	if o.Prefix != "" {
		if err := ValidatePrefix(o.Prefix); err != nil {
			return nil, err
		}
	}
	if o.Branch != "" {
		if _, err := git(ctx, "", "check-ref-format", "--branch", o.Branch); err != nil || strings.HasPrefix(o.Branch, "-") {
			return nil, fmt.Errorf("invalid branch name %q", o.Branch)
		}
	}
	reg, err := t.Rigs()
	if err != nil {
		return nil, err
	}
	if _, ok := reg.Rigs[o.Name]; ok {
		return nil, fmt.Errorf("rig %s already exists", o.Name)
	}
	if o.Prefix != "" {
		if err := checkPrefixFree(reg, o.Name, o.Prefix); err != nil {
			return nil, err
		}
	}
	url, err := NormalizeRepo(ctx, o.Repo, o.Cwd, t.Getenv)
	if err != nil {
		return nil, err
	}
	dir := t.RigDir(o.Name)
	if _, err := os.Lstat(dir); err == nil {
		if !isPartialRig(dir) {
			return nil, fmt.Errorf("%s already exists and is not a rig (choose another name)", dir)
		}
		// Left by a killed run: no registry entry, so it is ours to replace.
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove partial rig %s: %w", dir, err)
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	res, err := t.addRig(ctx, o, url, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return res, nil
}

func (t *Town) addRig(ctx context.Context, o RigAddOptions, url, dir string) (*RigAddResult, error) {
	bare := filepath.Join(dir, ".repo.git")
	if _, err := gitProgress(ctx, "", o.Progress, "clone", "--bare", "--progress", "--", url, bare); err != nil {
		return nil, err
	}
	if _, err := git(ctx, "", "--git-dir", bare, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"); err != nil {
		return nil, err
	}
	if _, err := gitProgress(ctx, "", o.Progress, "--git-dir", bare, "fetch", "--progress", "origin"); err != nil {
		return nil, err
	}
	heads, err := git(ctx, "", "--git-dir", bare, "for-each-ref", "--format=%(refname:short)", "refs/heads")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(heads) == "" {
		return nil, errors.New("repository has no commits")
	}
	branch := o.Branch
	if branch == "" {
		branch, err = git(ctx, "", "--git-dir", bare, "symbolic-ref", "--short", "HEAD")
		if err != nil || branch == "" {
			return nil, errors.New("cannot tell the repository's default branch (use --branch)")
		}
	}
	if _, err := git(ctx, "", "--git-dir", bare, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch+"^{commit}"); err != nil {
		if o.Branch != "" {
			return nil, fmt.Errorf("branch %s not found in %s", branch, url)
		}
		// The remote HEAD names a branch that does not exist (a bare repo
		// made by `git init --bare` points at master while main was pushed):
		// fall back to main, master, or the only branch there is.
		branch, err = fallbackBranch(heads)
		if err != nil {
			return nil, err
		}
		if _, err := git(ctx, "", "--git-dir", bare, "symbolic-ref", "HEAD", "refs/heads/"+branch); err != nil {
			return nil, err
		}
	}

	// A tracked .beads/issues.jsonl decides the prefix unless --prefix does.
	var jsonl []byte
	spec := "refs/heads/" + branch + ":.beads/issues.jsonl"
	if _, err := git(ctx, "", "--git-dir", bare, "cat-file", "-e", spec); err == nil {
		out, err := gitBytes(ctx, bare, "cat-file", "blob", spec)
		if err != nil {
			return nil, err
		}
		jsonl = out
	}
	repoPrefix := JSONLPrefix(jsonl)
	prefix := o.Prefix
	switch {
	case prefix != "":
		if repoPrefix != "" && repoPrefix != prefix {
			return nil, fmt.Errorf("prefix %s conflicts with the repository's beads prefix %s", prefix, repoPrefix)
		}
	case repoPrefix != "":
		prefix = repoPrefix
	default:
		prefix = DerivePrefix(o.Name)
	}
	if err := ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("cannot use beads prefix %q for rig %s (use --prefix): %w", prefix, o.Name, err)
	}
	reg, err := t.Rigs()
	if err != nil {
		return nil, err
	}
	if err := checkPrefixFree(reg, o.Name, prefix); err != nil {
		return nil, err
	}

	now := time.Now().UTC()
	rc := &RigConfig{Type: "rig", Version: 1, Name: o.Name, GitURL: url, DefaultBranch: branch, CreatedAt: now, Beads: BeadsRef{Prefix: prefix}}
	if err := t.SaveRigConfig(rc); err != nil {
		return nil, err
	}
	if _, err := gitProgress(ctx, "", o.Progress, "clone", "--progress", "--reference", bare, "--branch", branch, "--", url, filepath.Join(dir, "mayor", "rig")); err != nil {
		return nil, err
	}
	if _, err := git(ctx, "", "--git-dir", bare, "worktree", "add", "--quiet", filepath.Join(dir, "refinery", "rig"), branch); err != nil {
		return nil, err
	}
	for _, sub := range []string{"crew", "polecats", "settings", filepath.Join(".runtime", "locks")} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", filepath.Join(o.Name, sub), err)
		}
	}

	// Under the registry lock: re-check the name and prefix, import the
	// beads (one all-or-nothing transaction), then write the registry entry.
	// Every check that can refuse runs before the import, so a refusal
	// imports nothing; a run killed between the import and the registry
	// write leaves an unregistered directory that the next run replaces,
	// and its import of the same file changes nothing.
	var imported int
	err = t.withLock("rigs", func() error {
		reg, err := t.Rigs()
		if err != nil {
			return err
		}
		if _, ok := reg.Rigs[o.Name]; ok {
			return fmt.Errorf("rig %s already exists", o.Name)
		}
		if err := checkPrefixFree(reg, o.Name, prefix); err != nil {
			return err
		}
		if imported, err = t.importRig(ctx, prefix, jsonl); err != nil {
			return err
		}
		reg.Rigs[o.Name] = RigEntry{GitURL: url, DefaultBranch: branch, AddedAt: now, Beads: BeadsRef{Prefix: prefix}}
		return t.SaveRigs(reg)
	})
	if err != nil {
		return nil, err
	}
	actor := o.Actor
	if actor == "" {
		actor = models.OverseerAddress.String()
	}
	if err := eventlog.Emit(t.Root, eventlog.SourceGT, "rig_added", actor,
		map[string]string{"rig": o.Name, "prefix": prefix}, models.VisibilityBoth); err != nil {
		return nil, err
	}
	return &RigAddResult{Name: o.Name, Prefix: prefix, GitURL: url, Branch: branch, Path: dir, Imported: imported}, nil
}

func (t *Town) importRig(ctx context.Context, prefix string, jsonl []byte) (int, error) {
	s, err := t.OpenStore(ctx)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var r io.Reader
	if len(bytes.TrimSpace(jsonl)) > 0 {
		r = bytes.NewReader(jsonl)
	}
	return importRigBeads(ctx, s, prefix, r, ".beads/issues.jsonl")
}

// gitBytes runs git --git-dir gitDir args and returns raw stdout.
func gitBytes(ctx context.Context, gitDir string, args ...string) ([]byte, error) {
	out, err := git(ctx, "", append([]string{"--git-dir", gitDir}, args...)...)
	if err != nil {
		return nil, err
	}
	return []byte(out + "\n"), nil
}

// RigInfo is one row of gt rig list.
type RigInfo struct {
	Name          string `json:"name"`
	BeadsPrefix   string `json:"beads_prefix"`
	GitURL        string `json:"git_url"`
	DefaultBranch string `json:"default_branch"`
	Polecats      int    `json:"polecats"`
	Working       int    `json:"working"`
	Crew          int    `json:"crew"`
	MergeQueue    int    `json:"merge_queue"`
	Path          string `json:"-"`
}

// RigNames lists registered rigs, sorted.
func (t *Town) RigNames() ([]string, error) {
	reg, err := t.Rigs()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(reg.Rigs))
	for n := range reg.Rigs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// RigPrefix returns a registered rig's beads prefix.
func (t *Town) RigPrefix(rig string) (string, error) {
	reg, err := t.Rigs()
	if err != nil {
		return "", err
	}
	e, ok := reg.Rigs[rig]
	if !ok {
		return "", fmt.Errorf("unknown rig %q (see gt rig list)", rig)
	}
	return e.Beads.Prefix, nil
}

// listSubdirs returns the names of the directories in dir, sorted.
func listSubdirs(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// ListRigs returns every registered rig with its live counts.
func (t *Town) ListRigs(ctx context.Context) ([]RigInfo, error) {
	reg, err := t.Rigs()
	if err != nil {
		return nil, err
	}
	names, _ := t.RigNames()
	out := make([]RigInfo, 0, len(names))
	if len(names) == 0 {
		return out, nil
	}
	s, err := t.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	hooked, err := s.List(ctx, beads.Filter{Status: []models.Status{models.StatusHooked, models.StatusInProgress}})
	if err != nil {
		return nil, err
	}
	mrs, err := s.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeMergeRequest}, Status: []models.Status{models.StatusOpen, models.StatusInProgress}})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		e := reg.Rigs[n]
		info := RigInfo{Name: n, BeadsPrefix: e.Beads.Prefix, GitURL: e.GitURL, DefaultBranch: e.DefaultBranch, Path: t.RigDir(n)}
		info.Polecats = len(listSubdirs(t.Path(n, "polecats")))
		for _, c := range listSubdirs(t.Path(n, "crew")) {
			if t.CrewExists(n, c) {
				info.Crew++
			}
		}
		working := map[string]bool{}
		for _, b := range hooked {
			if strings.HasPrefix(b.Assignee, n+"/polecats/") {
				working[b.Assignee] = true
			}
		}
		info.Working = len(working)
		for _, b := range mrs {
			if strings.HasPrefix(b.ID, e.Beads.Prefix+"-") {
				info.MergeQueue++
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// fallbackBranch picks the default branch when the remote HEAD is dangling:
// main, then master, then the only branch; several others are ambiguous.
func fallbackBranch(heads string) (string, error) {
	names := strings.Fields(heads)
	for _, want := range []string{"main", "master"} {
		for _, n := range names {
			if n == want {
				return n, nil
			}
		}
	}
	if len(names) == 1 {
		return names[0], nil
	}
	return "", errors.New("cannot tell the repository's default branch (use --branch)")
}
