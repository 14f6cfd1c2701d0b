package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// townEnv is the environment of one CLI town test: a private HOME (no git
// identity or global config), a fixed USER and a PATH with a directory for
// fake agent CLIs in front.
type townEnv struct {
	root    string // temp dir holding everything
	home    string
	fakeBin string
}

func newTownEnv(t *testing.T) *townEnv {
	t.Helper()
	root := t.TempDir()
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	te := &townEnv{root: root, home: filepath.Join(root, "home"), fakeBin: filepath.Join(root, "fakebin")}
	for _, d := range []string{te.home, te.fakeBin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return te
}

// env is the process environment; withFakes puts fakeBin first on PATH.
func (te *townEnv) env(withFakes bool) []string {
	path := os.Getenv("PATH")
	if withFakes {
		path = te.fakeBin + string(os.PathListSeparator) + path
	}
	return []string{"HOME=" + te.home, "USER=tester", "GIT_CONFIG_NOSYSTEM=1", "PATH=" + path,
		"XDG_CONFIG_HOME=" + filepath.Join(te.home, ".config")}
}

// fake installs an executable named name in fakeBin.
func (te *townEnv) fake(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(te.fakeBin, name), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// gt runs gt in dir and returns stdout, stderr and the exit code.
func (te *townEnv) gt(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	return runBin(t, dir, te.env(true), append([]string{"gt"}, args...)...)
}

// gtOK runs gt and fails the test unless it exits 0.
func (te *townEnv) gtOK(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, code := te.gt(t, dir, args...)
	if code != 0 {
		t.Fatalf("gt %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// townGit runs git with argv in dir for test setup.
func townGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// townRepo makes a git repository at dir with one commit holding files.
func townRepo(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	townGit(t, dir, "init", "-q")
	if files == nil {
		files = map[string]string{"README.md": "# project\n"}
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	townGit(t, dir, "add", "-A")
	townGit(t, dir, "commit", "-q", "-m", "initial")
	return dir
}

// townSnapshot hashes every file and link under root (the beads database
// files and the empty lock files of .runtime/locks excepted: opening the
// store may checkpoint it, and a command takes its locks before it knows
// the input is bad) so a test can prove a failed command left nothing
// behind.
func townSnapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(filepath.Base(p), "beads.db") {
			return nil
		}
		if filepath.Base(filepath.Dir(p)) == "locks" && strings.HasSuffix(p, ".lock") {
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			snap[rel] = "link:" + target
		case d.IsDir():
			snap[rel] = "dir"
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			snap[rel] = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func townSnapshotDiff(a, b map[string]string) []string {
	var diff []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			diff = append(diff, "removed "+k)
		} else if v != w {
			diff = append(diff, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diff = append(diff, "added "+k)
		}
	}
	sort.Strings(diff)
	return diff
}

// townBeadCount counts the beads in the town store.
func townBeadCount(t *testing.T, root string) int {
	t.Helper()
	s, err := beads.Open(context.Background(), filepath.Join(root, ".beads", "beads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bs, err := s.List(context.Background(), beads.Filter{IncludeClosed: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(bs)
}

func townGetBead(t *testing.T, root, id string) *models.Bead {
	t.Helper()
	s, err := beads.Open(context.Background(), filepath.Join(root, ".beads", "beads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("bead %s: %v", id, err)
	}
	return b
}

func townReadJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func townEventTypes(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev models.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("bad event line %q: %v", l, err)
		}
		types = append(types, ev.Type)
	}
	return types
}

// setupSeedTown runs the user guide's set-up (install --git, rig add, crew
// add) against a local repository and returns the town root.
func setupSeedTown(t *testing.T, te *townEnv) (townRoot, repo string) {
	t.Helper()
	repo = townRepo(t, filepath.Join(te.root, "src", "myproject"), nil)
	out := te.gtOK(t, te.root, "install", filepath.Join(te.root, "gt"), "--git")
	if !strings.Contains(out, "✓ Created mayor/town.json") || !strings.Contains(out, "Next steps:\n  1. gt rig add <name> <git-url>\n  2. gt crew add <name> --rig <rig>\n  3. gt mayor attach\n") {
		t.Fatalf("install output:\n%s", out)
	}
	townRoot = filepath.Join(te.root, "gt")
	out = te.gtOK(t, townRoot, "rig", "add", "myproject", repo)
	want := fmt.Sprintf("✓ Rig myproject added (prefix my)\n  Repo: %s\n  Branch: main\n  Path: %s\nNext: gt crew add <name> --rig myproject\n", repo, filepath.Join(townRoot, "myproject"))
	if out != want {
		t.Fatalf("rig add output:\n%s\nwant:\n%s", out, want)
	}
	out = te.gtOK(t, townRoot, "crew", "add", "yourname", "--rig", "myproject")
	want = fmt.Sprintf("✓ Crew workspace myproject/crew/yourname created\n  Path: %s\n  Branch: main\nStart it with: gt crew start myproject/yourname\n", filepath.Join(townRoot, "myproject", "crew", "yourname"))
	if out != want {
		t.Fatalf("crew add output:\n%s\nwant:\n%s", out, want)
	}
	return townRoot, repo
}

// TestTownSeedSetup reproduces the user guide's set-up with a local
// repository and checks the whole §3 layout and a clean gt doctor.
func TestTownSeedSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	te := newTownEnv(t)
	root, repo := setupSeedTown(t, te)

	out := te.gtOK(t, root, "config", "agent", "set", "deepseek-x", "deepseek-x --dangerously-skip-permissions")
	if out != "✓ Agent deepseek-x = deepseek-x --dangerously-skip-permissions\n" {
		t.Fatalf("agent set: %q", out)
	}
	out = te.gtOK(t, root, "config", "agent", "list")
	for _, want := range []string{"Agents:\n", "  deepseek-x [custom] deepseek-x --dangerously-skip-permissions\n",
		"  claude [built-in] claude --dangerously-skip-permissions\n", "  codex [built-in] codex --dangerously-bypass-approvals-and-sandbox\n", "Default: claude\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("agent list lacks %q:\n%s", want, out)
		}
	}
	if out := te.gtOK(t, root, "config", "default-agent", "deepseek-x"); out != "Default agent set to 'deepseek-x'\n" {
		t.Fatalf("default-agent: %q", out)
	}
	if out := te.gtOK(t, root, "config", "default-agent"); out != "Default agent: deepseek-x\n" {
		t.Fatalf("default-agent show: %q", out)
	}

	// Without the agent CLI on PATH, doctor fails agent-commands.
	out, _, code := runBin(t, root, te.env(false), "gt", "doctor")
	if code != 1 || !strings.Contains(out, `✗ agent-commands: agent command "deepseek-x" not found on PATH (agent deepseek-x)`) {
		t.Fatalf("doctor without deepseek-x: exit %d\n%s", code, out)
	}
	te.fake(t, "deepseek-x")
	out = te.gtOK(t, root, "doctor")
	if !strings.HasSuffix(out, "16 passed, 0 warnings, 0 errors\n") || strings.Contains(out, "⚠") || strings.Contains(out, "✗") {
		t.Fatalf("doctor not all OK:\n%s", out)
	}

	// The §3 layout.
	for _, p := range []string{
		"CLAUDE.md", ".gitignore", ".events.jsonl", ".events.jsonl.lock", ".beads/beads.db", ".beads/issues.jsonl",
		"mayor/town.json", "mayor/rigs.json", "mayor/overseer.json", "settings/config.json",
		"myproject/config.json", "myproject/.repo.git/HEAD", "myproject/mayor/rig/.git", "myproject/refinery/rig/.git",
		"myproject/crew/yourname/.git", "myproject/crew/yourname/README.md", "myproject/mayor/rig/README.md",
		"myproject/refinery/rig/README.md",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
	for _, d := range []string{".beads/formulas", ".runtime", "myproject/.runtime", "myproject/polecats", "myproject/settings", "myproject/crew"} {
		if st, err := os.Stat(filepath.Join(root, d)); err != nil || !st.IsDir() {
			t.Errorf("missing directory %s: %v", d, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(root, "AGENTS.md")); err != nil || target != "CLAUDE.md" {
		t.Errorf("AGENTS.md link: %q %v", target, err)
	}
	if st, err := os.Stat(filepath.Join(root, ".runtime")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf(".runtime mode: %v %v", st.Mode().Perm(), err)
	}
	claude, _ := os.ReadFile(filepath.Join(root, "CLAUDE.md"))
	if !strings.Contains(string(claude), "gt prime") {
		t.Errorf("CLAUDE.md does not point to gt prime:\n%s", claude)
	}
	gi, _ := os.ReadFile(filepath.Join(root, ".gitignore"))
	if string(gi) != ".runtime/\n*/.runtime/\n.beads/beads.db*\n.beads/*.lock\n.events.jsonl*\n*/.repo.git/\n*/mayor/rig/\n*/refinery/rig/\n*/crew/\n*/polecats/\n" {
		t.Errorf(".gitignore:\n%s", gi)
	}

	// The first commit holds exactly the tracked files.
	if msg := townGit(t, root, "log", "--format=%s"); msg != "Initialize Gas Town" {
		t.Errorf("town commits: %q", msg)
	}
	files := strings.Fields(townGit(t, root, "ls-tree", "-r", "--name-only", "HEAD"))
	sort.Strings(files)
	if got := strings.Join(files, " "); got != ".beads/issues.jsonl .gitignore AGENTS.md CLAUDE.md mayor/overseer.json mayor/rigs.json mayor/town.json" {
		t.Errorf("tracked files: %s", got)
	}
	// Nothing gt made shows as untracked junk except tracked-state changes.
	status := townGit(t, root, "status", "--porcelain", "--untracked-files=all")
	for _, l := range strings.Split(status, "\n") {
		f := strings.TrimSpace(l)
		if f == "" {
			continue
		}
		if !strings.HasSuffix(f, "issues.jsonl") && !strings.HasSuffix(f, "rigs.json") && !strings.HasSuffix(f, "settings/config.json") && !strings.HasSuffix(f, "myproject/config.json") {
			t.Errorf("unexpected git status entry %q", f)
		}
	}

	// Config files.
	tc := townReadJSON(t, filepath.Join(root, "mayor", "town.json"))
	if tc["type"] != "town" || tc["version"] != float64(2) || tc["name"] != "gt" || tc["created_at"] == "" {
		t.Errorf("town.json: %v", tc)
	}
	ov := townReadJSON(t, filepath.Join(root, "mayor", "overseer.json"))
	if ov["name"] != "tester" || ov["source"] != "env" || ov["username"] != "tester" {
		t.Errorf("overseer.json: %v", ov)
	}
	rigs := townReadJSON(t, filepath.Join(root, "mayor", "rigs.json"))
	mp := rigs["rigs"].(map[string]any)["myproject"].(map[string]any)
	if mp["git_url"] != repo || mp["default_branch"] != "main" || mp["beads"].(map[string]any)["prefix"] != "my" {
		t.Errorf("rigs.json entry: %v", mp)
	}
	rc := townReadJSON(t, filepath.Join(root, "myproject", "config.json"))
	if rc["type"] != "rig" || rc["name"] != "myproject" || rc["git_url"] != repo {
		t.Errorf("rig config.json: %v", rc)
	}
	settings := townReadJSON(t, filepath.Join(root, "settings", "config.json"))
	if settings["type"] != "town-settings" || settings["default_agent"] != "deepseek-x" {
		t.Errorf("settings: %v", settings)
	}
	ag := settings["agents"].(map[string]any)["deepseek-x"].(map[string]any)
	if ag["command"] != "deepseek-x" || fmt.Sprint(ag["args"]) != "[--dangerously-skip-permissions]" {
		t.Errorf("agents entry: %v", ag)
	}

	// Git plumbing of the rig.
	if rs := townGit(t, root, "--git-dir", filepath.Join(root, "myproject", ".repo.git"), "config", "remote.origin.fetch"); rs != "+refs/heads/*:refs/remotes/origin/*" {
		t.Errorf("fetch refspec %q", rs)
	}
	townGit(t, root, "--git-dir", filepath.Join(root, "myproject", ".repo.git"), "rev-parse", "--verify", "refs/remotes/origin/main")
	alt, err := os.ReadFile(filepath.Join(root, "myproject", "mayor", "rig", ".git", "objects", "info", "alternates"))
	if err != nil || !strings.Contains(string(alt), ".repo.git") {
		t.Errorf("mayor/rig does not reference .repo.git: %q %v", alt, err)
	}
	if wt := townGit(t, root, "--git-dir", filepath.Join(root, "myproject", ".repo.git"), "worktree", "list"); !strings.Contains(wt, filepath.Join(root, "myproject", "refinery", "rig")) {
		t.Errorf("refinery worktree missing: %s", wt)
	}

	// Agent beads, exported.
	mayor := townGetBead(t, root, "hq-mayor")
	if mayor.IssueType != models.TypeAgent || mayor.RoleType != "mayor" || !containsStr(mayor.Labels, "gt:agent") {
		t.Errorf("hq-mayor: %+v", mayor)
	}
	crew := townGetBead(t, root, "my-myproject-crew-yourname")
	if crew.IssueType != models.TypeAgent || crew.RoleType != "crew" || crew.Rig != "myproject" || crew.AgentState != "idle" || !containsStr(crew.Labels, "gt:agent") {
		t.Errorf("crew bead: %+v", crew)
	}
	var meta struct {
		GT struct{ Agent, Branch, Worktree string } `json:"gt"`
	}
	if err := json.Unmarshal(crew.Metadata, &meta); err != nil || meta.GT.Agent != "myproject/crew/yourname" || meta.GT.Branch != "main" {
		t.Errorf("crew metadata %s: %v", crew.Metadata, err)
	}
	jsonl, _ := os.ReadFile(filepath.Join(root, ".beads", "issues.jsonl"))
	if !strings.Contains(string(jsonl), `"id":"hq-mayor"`) || !strings.Contains(string(jsonl), `"id":"my-myproject-crew-yourname"`) {
		t.Errorf("issues.jsonl lacks the agent beads:\n%s", jsonl)
	}

	// Events.
	types := strings.Join(townEventTypes(t, root), ",")
	for _, want := range []string{"rig_added", "crew_added", "config_changed"} {
		if !strings.Contains(types, want) {
			t.Errorf("events %s lack %s", types, want)
		}
	}

	// Lists.
	out = te.gtOK(t, root, "rig", "list")
	if out != fmt.Sprintf("Rigs in %s:\n  myproject  (prefix my)\n     Polecats: 0 (0 working)  Crew: 1  Merge queue: 0\n", root) {
		t.Errorf("rig list:\n%s", out)
	}
	var rl []map[string]any
	if err := json.Unmarshal([]byte(te.gtOK(t, root, "rig", "list", "--json")), &rl); err != nil || len(rl) != 1 || rl[0]["beads_prefix"] != "my" || rl[0]["crew"] != float64(1) {
		t.Errorf("rig list --json: %v %v", rl, err)
	}
	if out := te.gtOK(t, root, "crew", "list"); out != "myproject/crew/yourname  main  idle\n" {
		t.Errorf("crew list: %q", out)
	}
	var cl []map[string]any
	if err := json.Unmarshal([]byte(te.gtOK(t, root, "crew", "list", "--json", "--rig", "myproject")), &cl); err != nil || len(cl) != 1 ||
		cl[0]["address"] != "myproject/crew/yourname" || cl[0]["branch"] != "main" || cl[0]["state"] != "idle" ||
		cl[0]["path"] != filepath.Join(root, "myproject", "crew", "yourname") {
		t.Errorf("crew list --json: %v %v", cl, err)
	}
	var al []map[string]any
	if err := json.Unmarshal([]byte(te.gtOK(t, root, "config", "agent", "list", "--json")), &al); err != nil || len(al) != 11 {
		t.Errorf("agent list --json: %v %v", al, err)
	}
	if out := te.gtOK(t, root, "config", "agent", "get", "deepseek-x"); out != "Name: deepseek-x\nCommand: deepseek-x\nArgs: --dangerously-skip-permissions\nPrompt mode: arg\nSource: town\n" {
		t.Errorf("agent get: %q", out)
	}
	// The caller's identity from its directory is recorded in events.
	te.gtOK(t, filepath.Join(root, "mayor"), "config", "agent", "set", "codex-low", "codex --thinking low")
	data, _ := os.ReadFile(filepath.Join(root, ".events.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var last models.Event
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Actor != "mayor" || last.Source != "gt" {
		t.Errorf("last event %+v %v", last, err)
	}
	// Adding the same crew again is a skip, not an error; from inside the
	// rig the rig is implied.
	if out := te.gtOK(t, filepath.Join(root, "myproject"), "crew", "add", "yourname"); out != "⚠ crew yourname exists; skipped\n" {
		t.Errorf("second crew add: %q", out)
	}
	// --branch makes crew/<name>.
	te.gtOK(t, root, "crew", "add", "myproject/other", "--branch")
	if b := townGit(t, filepath.Join(root, "myproject", "crew", "other"), "rev-parse", "--abbrev-ref", "HEAD"); b != "crew/other" {
		t.Errorf("crew --branch: %s", b)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestTownBadInput: each bad input is one clear error line, exit 1, and
// leaves the town exactly as it was.
func TestTownBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	te := newTownEnv(t)
	root, repo := setupSeedTown(t, te)
	plainDir := filepath.Join(te.root, "plain")
	if err := os.MkdirAll(plainDir, 0o755); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(te.root, "empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	townGit(t, empty, "init", "-q")
	badJSONL := townRepo(t, filepath.Join(te.root, "src", "badjsonl"), map[string]string{
		".beads/issues.jsonl": `{"id":"bj-aaaaa","title":"ok","status":"open","priority":2,"issue_type":"task","created_at":"2026-03-02T10:15:04Z","updated_at":"2026-03-02T10:15:04Z"}` + "\n{broken\n",
	})
	other := townRepo(t, filepath.Join(te.root, "src", "other"), nil)

	cases := []struct {
		name string
		dir  string
		args []string
		want string // substring of the error line
	}{
		{"rig name with dash", root, []string{"rig", "add", "my-proj", repo}, `invalid rig name "my-proj"`},
		{"rig name with slash", root, []string{"rig", "add", "my/proj", repo}, `invalid rig name "my/proj"`},
		{"reserved rig name", root, []string{"rig", "add", "hq", repo}, `rig name "hq" is reserved`},
		{"duplicate rig", root, []string{"rig", "add", "myproject", repo}, "rig myproject already exists"},
		{"missing repo path", root, []string{"rig", "add", "other", filepath.Join(te.root, "nope")}, "repository " + filepath.Join(te.root, "nope") + " not found"},
		{"non-git repo", root, []string{"rig", "add", "other", plainDir}, plainDir + " is not a git repository"},
		{"unreachable repo", root, []string{"rig", "add", "other", "http://127.0.0.1:1/x.git"}, "fatal:"},
		{"empty repo", root, []string{"rig", "add", "other", empty}, "repository has no commits"},
		{"bad tracked jsonl", root, []string{"rig", "add", "badjsonl", badJSONL}, ".beads/issues.jsonl:2:"},
		{"prefix used", root, []string{"rig", "add", "other", other, "--prefix", "my"}, "prefix my is already used by myproject"},
		{"bad prefix", root, []string{"rig", "add", "other", other, "--prefix", "9x"}, `invalid prefix "9x"`},
		{"unknown branch", root, []string{"rig", "add", "other", other, "--branch", "nosuch"}, "branch nosuch not found"},
		{"crew for unknown rig", root, []string{"crew", "add", "bob", "--rig", "nosuch"}, `unknown rig "nosuch"`},
		{"crew without rig", root, []string{"crew", "add", "bob"}, "cannot tell which rig (use --rig)"},
		{"bad crew name", root, []string{"crew", "add", "bo-b", "--rig", "myproject"}, `invalid crew name "bo-b"`},
		{"reserved crew name", root, []string{"crew", "add", "refinery", "--rig", "myproject"}, `crew name "refinery" is reserved`},
		{"unknown default agent", root, []string{"config", "default-agent", "nosuch"}, `unknown agent "nosuch" (see gt config agent list)`},
		{"empty agent command", root, []string{"config", "agent", "set", "x", ""}, "command is required"},
		{"unterminated quote", root, []string{"config", "agent", "set", "x", `foo "bar`}, "unterminated double quote"},
		{"remove built-in", root, []string{"config", "agent", "remove", "claude"}, "cannot remove built-in agent 'claude'"},
		{"install over town", te.root, []string{"install", root}, root + " is already a Gas Town workspace (use --force)"},
		{"install inside town", te.root, []string{"install", filepath.Join(root, "inner")}, "cannot create a town inside another town (" + root + ")"},
		{"outside a town", te.root, []string{"rig", "list"}, "not in a Gas Town workspace (run gt install <path>, or gt demo)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := townSnapshot(t, te.root)
			beadsBefore := townBeadCount(t, root)
			out, errOut, code := te.gt(t, c.dir, c.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
			}
			lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "Error: ") || !strings.Contains(last, c.want) {
				t.Fatalf("stderr %q, want an Error line containing %q", errOut, c.want)
			}
			// Only git's clone progress may precede the error line.
			for _, l := range lines[:len(lines)-1] {
				if strings.HasPrefix(l, "Error") || strings.Contains(l, "panic") {
					t.Fatalf("more than one error line: %q", errOut)
				}
			}
			if d := townSnapshotDiff(before, townSnapshot(t, te.root)); len(d) > 0 {
				t.Fatalf("left a trace: %v", d)
			}
			if n := townBeadCount(t, root); n != beadsBefore {
				t.Fatalf("beads %d → %d", beadsBefore, n)
			}
		})
	}

	// Malformed settings JSON names the file and the position, for every
	// command that reads it.
	settings := filepath.Join(root, "settings", "config.json")
	if err := os.MkdirAll(filepath.Dir(settings), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, []byte("{\n  \"default_agent\": \"claude\",\n  \"agents\": {,\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"config", "agent", "list"}, {"config", "default-agent"}, {"config", "agent", "set", "a", "b"}, {"config", "default-agent", "codex"}} {
		before := townSnapshot(t, te.root)
		_, errOut, code := te.gt(t, root, args...)
		want := "Error: " + settings + ": invalid JSON at line 3 col 14: invalid character ',' looking for beginning of object key string\n"
		if code != 1 || errOut != want {
			t.Errorf("gt %v: exit %d stderr %q, want %q", args, code, errOut, want)
		}
		if d := townSnapshotDiff(before, townSnapshot(t, te.root)); len(d) > 0 {
			t.Errorf("gt %v left a trace: %v", args, d)
		}
	}
	out, _, code := te.gt(t, root, "doctor")
	if code != 1 || !strings.Contains(out, "✗ settings-valid: "+settings+": invalid JSON at line 3 col 14") {
		t.Errorf("doctor on bad settings: exit %d\n%s", code, out)
	}
	// A type error is positioned too.
	if err := os.WriteFile(settings, []byte("{\"tui\": {\"max_fps\": \"fast\"}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, _ := te.gt(t, root, "config", "default-agent")
	if !strings.HasPrefix(errOut, "Error: "+settings+": invalid JSON at line 1 col 21: ") {
		t.Errorf("type error: %q", errOut)
	}
	// Rig settings too.
	if err := os.Remove(settings); err != nil {
		t.Fatal(err)
	}
	rigSettings := filepath.Join(root, "myproject", "settings", "config.json")
	if err := os.WriteFile(rigSettings, []byte(`{"runtime": {"command": "codex",}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = te.gt(t, filepath.Join(root, "myproject"), "config", "agent", "get", "claude")
	if code != 1 || !strings.HasPrefix(errOut, "Error: "+rigSettings+": invalid JSON at line 1 col 33: ") {
		t.Errorf("rig settings: exit %d %q", code, errOut)
	}
}

// TestTownRigAddImportsBeads: a repository tracking .beads/issues.jsonl
// gives the rig its prefix and its beads keep their IDs.
func TestTownRigAddImportsBeads(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	te := newTownEnv(t)
	root, _ := setupSeedTown(t, te)
	lines := []string{
		`{"id":"zz-abc12","title":"First imported","status":"open","priority":1,"issue_type":"bug","created_at":"2026-03-02T10:15:04Z","updated_at":"2026-03-02T10:15:04Z","labels":["net"]}`,
		`{"id":"zz-def34","title":"Second imported","status":"open","priority":2,"issue_type":"task","created_at":"2026-03-02T10:16:04Z","updated_at":"2026-03-02T10:16:04Z","dependencies":[{"issue_id":"zz-def34","depends_on_id":"zz-abc12","type":"blocks","created_at":"2026-03-02T10:16:04Z"}]}`,
		`{"id":"zz-ghi56","title":"Closed imported","status":"closed","priority":2,"issue_type":"task","created_at":"2026-03-02T10:17:04Z","updated_at":"2026-03-02T10:18:04Z","closed_at":"2026-03-02T10:18:04Z","close_reason":"done"}`,
	}
	repo := townRepo(t, filepath.Join(te.root, "src", "backend"), map[string]string{
		"README.md": "# backend\n", ".beads/issues.jsonl": strings.Join(lines, "\n") + "\n",
	})
	// --prefix that disagrees with the repository is refused.
	_, errOut, code := te.gt(t, root, "rig", "add", "backend", repo, "--prefix", "be")
	if code != 1 || !strings.HasSuffix(errOut, "\nError: prefix be conflicts with the repository's beads prefix zz\n") {
		t.Fatalf("conflicting prefix: %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "backend")); err == nil {
		t.Fatal("refused rig add left its directory")
	}
	out := te.gtOK(t, root, "rig", "add", "backend", repo)
	if !strings.Contains(out, "✓ Rig backend added (prefix zz)\n") || !strings.Contains(out, "✓ Imported 3 issues from .beads/issues.jsonl\n") {
		t.Fatalf("rig add output:\n%s", out)
	}
	b := townGetBead(t, root, "zz-def34")
	if b.Title != "Second imported" || len(b.Dependencies) != 1 || b.Dependencies[0].DependsOnID != "zz-abc12" {
		t.Errorf("imported bead: %+v", b)
	}
	if b := townGetBead(t, root, "zz-abc12"); !containsStr(b.Labels, "net") {
		t.Errorf("labels lost: %+v", b)
	}
	jsonl, _ := os.ReadFile(filepath.Join(root, ".beads", "issues.jsonl"))
	for _, id := range []string{"zz-abc12", "zz-def34", "zz-ghi56"} {
		if !strings.Contains(string(jsonl), `"id":"`+id+`"`) {
			t.Errorf("town issues.jsonl lacks %s", id)
		}
	}
	// bd sees them under their own IDs.
	if out, _, code := runBin(t, root, te.env(true), "bd", "show", "zz-abc12"); code != 0 || !strings.Contains(out, "First imported") {
		t.Errorf("bd show zz-abc12: %d %s", code, out)
	}
	// The derived prefix of a plain rig, and rigs.json keeps both.
	rigs := townReadJSON(t, filepath.Join(root, "mayor", "rigs.json"))["rigs"].(map[string]any)
	if rigs["backend"].(map[string]any)["beads"].(map[string]any)["prefix"] != "zz" || len(rigs) != 2 {
		t.Errorf("rigs.json: %v", rigs)
	}
	// doctor is still clean regarding prefixes and sync.
	te.fake(t, "claude")
	out = te.gtOK(t, root, "doctor")
	if !strings.HasSuffix(out, "16 passed, 0 warnings, 0 errors\n") {
		t.Errorf("doctor:\n%s", out)
	}
}

// TestTownDoctorFix: a broken registry and a stale host lock are reported,
// then repaired by --fix; a live lock is left alone.
func TestTownDoctorFix(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	te := newTownEnv(t)
	root, _ := setupSeedTown(t, te)
	te.fake(t, "claude")
	rigsPath := filepath.Join(root, "mayor", "rigs.json")
	orig := townReadJSON(t, rigsPath)

	cases := []struct {
		name    string
		rigs    string
		message string
	}{
		{"invalid JSON", `{"version":1,"rigs":{"myproject":`, "invalid JSON at line 1 col 34: unexpected end of JSON input"},
		{"entry missing", `{"version":1,"rigs":{},"custom":"kept"}`, "rig directory myproject is not registered"},
		{"wrong entry", `{"version":1,"rigs":{"ghost":{"git_url":"x","default_branch":"main","beads":{"prefix":"gh"}}}}`, "rig ghost has no valid ghost/config.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(rigsPath, []byte(c.rigs), 0o644); err != nil {
				t.Fatal(err)
			}
			lock := filepath.Join(root, ".runtime", "host.lock")
			if err := os.WriteFile(lock, []byte("999999\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, code := te.gt(t, root, "doctor")
			if code != 1 || !strings.Contains(out, "✗ rigs-registry-valid: ") || !strings.Contains(out, c.message) ||
				!strings.Contains(out, "⚠ stale-host-lock: stale .runtime/host.lock (pid 999999 is not running a host)") {
				t.Fatalf("doctor before fix: exit %d\n%s", code, out)
			}
			out = te.gtOK(t, root, "doctor", "--fix")
			if !strings.Contains(out, "✓ rigs-registry-valid: fixed") || !strings.Contains(out, "✓ stale-host-lock: fixed") ||
				!strings.HasSuffix(out, "16 passed, 0 warnings, 0 errors\n") {
				t.Fatalf("doctor --fix:\n%s", out)
			}
			if _, err := os.Stat(lock); err == nil {
				t.Fatal("stale lock not removed")
			}
			got := townReadJSON(t, rigsPath)
			gotRig := got["rigs"].(map[string]any)["myproject"].(map[string]any)
			wantRig := orig["rigs"].(map[string]any)["myproject"].(map[string]any)
			if gotRig["git_url"] != wantRig["git_url"] || gotRig["default_branch"] != "main" || fmt.Sprint(gotRig["beads"]) != fmt.Sprint(wantRig["beads"]) {
				t.Fatalf("rebuilt entry %v, want %v", gotRig, wantRig)
			}
			if len(got["rigs"].(map[string]any)) != 1 {
				t.Fatalf("rebuilt registry: %v", got)
			}
			if c.name == "entry missing" && got["custom"] != "kept" {
				t.Fatalf("unknown key lost: %v", got)
			}
			// The rig works again.
			if out := te.gtOK(t, root, "rig", "list"); !strings.Contains(out, "myproject  (prefix my)") {
				t.Fatalf("rig list after fix:\n%s", out)
			}
		})
	}

	// --json reports the checks.
	var res []map[string]any
	if err := json.Unmarshal([]byte(te.gtOK(t, root, "doctor", "--json")), &res); err != nil || len(res) != 16 || res[0]["check"] != "town-config-valid" || res[0]["status"] != "ok" {
		t.Fatalf("doctor --json: %v %v", res, err)
	}

	// A missing refinery worktree is recreated; a missing .gitignore entry
	// is appended.
	if err := os.RemoveAll(filepath.Join(root, "myproject", "refinery", "rig")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".gitignore"), []byte(".runtime/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := te.gt(t, root, "doctor")
	if code != 1 || !strings.Contains(out, "✗ rig-structure: myproject/refinery/rig missing") || !strings.Contains(out, "⚠ town-gitignore: .gitignore lacks */.runtime/") {
		t.Fatalf("doctor with missing worktree: %d\n%s", code, out)
	}
	out = te.gtOK(t, root, "doctor", "--fix")
	if !strings.HasSuffix(out, "16 passed, 0 warnings, 0 errors\n") {
		t.Fatalf("doctor --fix:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(root, "myproject", "refinery", "rig", "README.md")); err != nil {
		t.Fatalf("refinery worktree not recreated: %v", err)
	}
	// A broken runtime link is relinked to the running binary.
	bin := filepath.Join(root, ".runtime", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"gt", "bd"} {
		if err := os.Symlink(filepath.Join(te.root, "no-such-gt"), filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	if out, _, _ := te.gt(t, root, "doctor"); !strings.Contains(out, "⚠ runtime-bin: .runtime/bin/gt points to missing") {
		t.Fatalf("doctor with broken links:\n%s", out)
	}
	out = te.gtOK(t, root, "doctor", "--fix")
	if !strings.Contains(out, "✓ runtime-bin: fixed") {
		t.Fatalf("doctor --fix runtime-bin:\n%s", out)
	}
	target, err := os.Readlink(filepath.Join(bin, "bd"))
	if err != nil || filepath.Base(target) != "gt" {
		t.Fatalf("bd link: %q %v", target, err)
	}
	if types := strings.Join(townEventTypes(t, root), ","); !strings.Contains(types, "doctor_fixed") {
		t.Errorf("no doctor_fixed event: %s", types)
	}
	if !town.IsTown(root) {
		t.Fatal("town marker lost")
	}
}

// TestTownPartialRigReplaced: a rig directory left by a killed gt rig add
// (no registry entry) is replaced; a foreign directory is not touched.
func TestTownPartialRigReplaced(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	te := newTownEnv(t)
	root, repo := setupSeedTown(t, te)
	partial := filepath.Join(root, "second", ".repo.git")
	if err := os.MkdirAll(partial, 0o755); err != nil {
		t.Fatal(err)
	}
	out := te.gtOK(t, root, "rig", "add", "second", repo)
	if !strings.Contains(out, "✓ Rig second added (prefix se)") {
		t.Fatalf("rig add over partial:\n%s", out)
	}
	foreign := filepath.Join(root, "docs")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := te.gt(t, root, "rig", "add", "docs", repo)
	if code != 1 || !strings.Contains(errOut, "already exists and is not a rig") {
		t.Fatalf("rig add over foreign dir: %d %q", code, errOut)
	}
	if data, err := os.ReadFile(filepath.Join(foreign, "notes.txt")); err != nil || string(data) != "mine" {
		t.Fatalf("foreign dir touched: %v", err)
	}
	// A crew clone that fails leaves no directory and no agent bead.
	rigsPath := filepath.Join(root, "mayor", "rigs.json")
	data, _ := os.ReadFile(rigsPath)
	broken := strings.Replace(string(data), repo, filepath.Join(te.root, "gone"), -1)
	if err := os.WriteFile(rigsPath, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	beadsBefore := townBeadCount(t, root)
	_, errOut, code = te.gt(t, root, "crew", "add", "carl", "--rig", "second")
	if code != 1 || !strings.Contains(errOut, "Error: ") {
		t.Fatalf("crew add with a gone repo: %d %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(root, "second", "crew", "carl")); err == nil {
		t.Fatal("failed crew add left its directory")
	}
	if townBeadCount(t, root) != beadsBefore {
		t.Fatal("failed crew add created a bead")
	}
}
