package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// formulaEnv isolates ~/.beads/formulas in a temporary home.
func formulaEnv(t *testing.T) []string {
	t.Helper()
	return []string{"HOME=" + t.TempDir()}
}

// bdRun runs bd and returns stdout, stderr and the exit code.
func bdRun(t *testing.T, dir string, env []string, args ...string) (string, string, int) {
	t.Helper()
	return runBin(t, dir, env, append([]string{"bd"}, args...)...)
}

func repoTestdata(t *testing.T, parts ...string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(append([]string{"..", "..", "testdata", "formulas"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Acceptance 1: bd cook release shows the five steps in dependency order
// with the version substituted, and fails naming the missing variable.
func TestFormulaCookRelease(t *testing.T) {
	t.Parallel()
	dir, env := t.TempDir(), formulaEnv(t)
	out := bdOK(t, dir, env, "cook", "release", "--var", "version=1.2.0")
	want := `Formula: release (workflow, v1)
Vars: version=1.2.0
Steps:
  1. bump-version  Bump version
     Run ./scripts/bump-version.sh 1.2.0
  2. run-tests  Run tests  [needs: bump-version]
     Run make test
  3. build  Build  [needs: run-tests]
     Run make build
  4. create-tag  Create release tag  [needs: build]
     Run git tag -a v1.2.0 -m 'Release v1.2.0'
  5. publish  Publish  [needs: create-tag]
     Run ./scripts/publish.sh
`
	if out != want {
		t.Errorf("bd cook release:\n%s\nwant:\n%s", out, want)
	}

	stdout, stderr, code := bdRun(t, dir, env, "cook", "release")
	if code != 1 || stdout != "" {
		t.Fatalf("cook without version: exit %d stdout %q", code, stdout)
	}
	wantErr := "embedded/release.formula.toml:4:1: missing required variable \"version\" (provide --var version=<value>)\n" +
		"Error: formula validation failed: 1 errors\n"
	if stderr != wantErr {
		t.Errorf("stderr = %q, want %q", stderr, wantErr)
	}

	// --proto keeps placeholders and needs no vars; --json has the §7.5 shape.
	out = bdOK(t, dir, env, "cook", "release", "--proto")
	if !strings.Contains(out, "Run ./scripts/bump-version.sh {{version}}") {
		t.Errorf("--proto output:\n%s", out)
	}
	var js struct {
		Formula string                    `json:"formula"`
		Type    string                    `json:"type"`
		Version int                       `json:"version"`
		Vars    map[string]map[string]any `json:"vars"`
		Steps   []struct {
			ID          string   `json:"id"`
			Description string   `json:"description"`
			Needs       []string `json:"needs"`
			Labels      []string `json:"labels"`
			Priority    int      `json:"priority"`
		} `json:"steps"`
		Warnings []string `json:"warnings"`
	}
	bdJSON(t, dir, env, &js, "cook", "release", "--var", "version=2.0.0")
	if js.Formula != "release" || js.Type != "workflow" || js.Version != 1 || len(js.Steps) != 5 ||
		js.Vars["version"]["value"] != "2.0.0" || js.Vars["version"]["required"] != true ||
		js.Steps[3].Description != "Run git tag -a v2.0.0 -m 'Release v2.0.0'" ||
		js.Steps[0].Needs == nil || js.Steps[0].Labels == nil || js.Steps[1].Priority != 2 || js.Warnings == nil {
		t.Errorf("cook --json = %+v", js)
	}

	if msg := bdFail(t, dir, env, "cook", "release", "--var", "version"); msg != `invalid --var "version" (expected key=value)` {
		t.Errorf("bad --var: %q", msg)
	}
	if msg := bdFail(t, dir, env, "cook", "no-such-formula"); !strings.HasPrefix(msg, `formula "no-such-formula" not found (searched: `) ||
		!strings.HasSuffix(msg, ", embedded)") {
		t.Errorf("unknown formula: %q", msg)
	}
}

// Acceptance 2: pouring release makes 6 beads; only bump-version is ready
// in the molecule; closing it makes run-tests ready; bd mol list shows 1/5.
func TestFormulaMolPourRelease(t *testing.T) {
	t.Parallel()
	dir, env := bdDir(t, "xy"), formulaEnv(t)
	out := bdOK(t, dir, env, "mol", "pour", "release", "--var", "version=1.2.0")
	m := regexp.MustCompile(`^✓ Poured molecule (xy-mol-[0-9a-z]{5}) \(release\): 5 steps\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("pour output %q", out)
	}
	root := m[1]

	var all []struct {
		ID            string          `json:"id"`
		Title         string          `json:"title"`
		IssueType     string          `json:"issue_type"`
		MolType       string          `json:"mol_type"`
		SourceFormula string          `json:"source_formula"`
		Metadata      json.RawMessage `json:"metadata"`
		Description   string          `json:"description"`
	}
	bdJSON(t, dir, env, &all, "list", "--all", "-n", "0")
	if len(all) != 6 {
		t.Fatalf("%d beads after pour, want 6: %+v", len(all), all)
	}
	steps := map[string]string{} // bead id -> step id
	for _, b := range all {
		if b.ID == root {
			if b.IssueType != "molecule" || b.MolType != "work" || b.SourceFormula != "release" || b.Title != "release" || b.Description != "Standard release process" {
				t.Errorf("root = %+v", b)
			}
			continue
		}
		var meta map[string]any
		_ = json.Unmarshal(b.Metadata, &meta)
		sid, _ := meta["step_id"].(string)
		steps[b.ID] = sid
	}
	order := []string{"bump-version", "run-tests", "build", "create-tag", "publish"}
	for i, sid := range order {
		id := root + "." + string(rune('1'+i))
		if steps[id] != sid {
			t.Errorf("%s has step_id %q, want %q", id, steps[id], sid)
		}
	}

	// bd ready hides molecule steps; --mol shows exactly bump-version.
	if out := bdOK(t, dir, env, "ready"); strings.Contains(out, root) {
		t.Errorf("plain bd ready shows molecule steps:\n%s", out)
	}
	readyIDs := func() []string {
		var list []struct {
			ID string `json:"id"`
		}
		bdJSON(t, dir, env, &list, "ready", "--mol", root)
		var ids []string
		for _, b := range list {
			ids = append(ids, b.ID)
		}
		return ids
	}
	if got := readyIDs(); !slices.Equal(got, []string{root + ".1"}) {
		t.Fatalf("ready --mol = %v, want [%s.1]", got, root)
	}
	bdOK(t, dir, env, "close", root+".1")
	if got := readyIDs(); !slices.Equal(got, []string{root + ".2"}) {
		t.Fatalf("after closing bump-version, ready --mol = %v, want [%s.2]", got, root)
	}
	listOut := bdOK(t, dir, env, "mol", "list")
	wantLine := root + "  release  1/5  open  next: " + root + ".2 Run tests\n"
	if listOut != wantLine {
		t.Errorf("mol list = %q, want %q", listOut, wantLine)
	}
	var ml []struct {
		ID          string `json:"id"`
		Formula     string `json:"formula"`
		Completed   int    `json:"completed"`
		Total       int    `json:"total"`
		Ephemeral   bool   `json:"ephemeral"`
		CurrentStep struct {
			ID     string `json:"id"`
			StepID string `json:"step_id"`
		} `json:"current_step"`
	}
	bdJSON(t, dir, env, &ml, "mol", "list")
	if len(ml) != 1 || ml[0].Completed != 1 || ml[0].Total != 5 || ml[0].CurrentStep.StepID != "run-tests" || ml[0].Ephemeral {
		t.Errorf("mol list --json = %+v", ml)
	}

	show := bdOK(t, dir, env, "mol", "show", root)
	for _, line := range []string{
		root + ": release [open] 1/5",
		"├── ✓ " + root + ".1 Bump version",
		"├── ○ " + root + ".2 Run tests",
		"├── ○ " + root + ".3 Build (blocked by " + root + ".2)",
		"└── ○ " + root + ".5 Publish (blocked by " + root + ".4)",
	} {
		if !strings.Contains(show, line+"\n") {
			t.Errorf("mol show lacks %q:\n%s", line, show)
		}
	}

	bdOK(t, dir, env, "update", root+".2", "-s", "in_progress")
	var cur struct {
		MoleculeID  string `json:"molecule_id"`
		CurrentStep struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"current_step"`
		NextStep  *struct{ ID string } `json:"next_step"`
		Steps     []map[string]string  `json:"steps"`
		Completed int                  `json:"completed"`
		Total     int                  `json:"total"`
	}
	bdJSON(t, dir, env, &cur, "mol", "current", root)
	if cur.MoleculeID != root || cur.CurrentStep.ID != root+".2" || cur.CurrentStep.Status != "in_progress" ||
		cur.Completed != 1 || cur.Total != 5 || len(cur.Steps) != 5 || cur.NextStep != nil {
		t.Errorf("mol current = %+v", cur)
	}

	// Closing every step closes the molecule (store rule), so the default
	// list is empty and --all shows it closed.
	for i := 2; i <= 5; i++ {
		bdOK(t, dir, env, "close", root+"."+string(rune('0'+i)))
	}
	if out := bdOK(t, dir, env, "mol", "list"); out != "No molecules.\n" {
		t.Errorf("mol list after finishing = %q", out)
	}
	if out := bdOK(t, dir, env, "mol", "list", "--all"); !strings.Contains(out, "5/5  closed") {
		t.Errorf("mol list --all = %q", out)
	}

	// The JSONL has the molecule (it is not a wisp).
	data, err := os.ReadFile(filepath.Join(dir, ".beads", "issues.jsonl"))
	if err != nil || !strings.Contains(string(data), root) {
		t.Errorf("issues.jsonl lacks the molecule (%v)", err)
	}
}

func TestFormulaMolWispAndJSON(t *testing.T) {
	t.Parallel()
	dir, env := bdDir(t, "xy"), formulaEnv(t)
	var res struct {
		NewEpicID string            `json:"new_epic_id"`
		IDMapping map[string]string `json:"id_mapping"`
		Created   int               `json:"created"`
		Phase     string            `json:"phase"`
	}
	bdJSON(t, dir, env, &res, "mol", "wisp", "release", "--var", "version=1.0.0")
	if !regexp.MustCompile(`^xy-wisp-[0-9a-z]{5}$`).MatchString(res.NewEpicID) || res.Phase != "vapor" ||
		res.Created != 6 || res.IDMapping["publish"] != res.NewEpicID+".5" {
		t.Fatalf("wisp json = %+v", res)
	}
	out := bdOK(t, dir, env, "mol", "list")
	if !strings.HasSuffix(out, "  (wisp)\n") || !strings.HasPrefix(out, res.NewEpicID+"  release  0/5  open  next: ") {
		t.Errorf("mol list with a wisp = %q", out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ".beads", "issues.jsonl"))
	if strings.Contains(string(data), "wisp") {
		t.Errorf("wisp exported:\n%s", data)
	}
	if out := bdOK(t, dir, env, "mol", "wisp", "tdd", "--var", "feature=x"); !regexp.MustCompile(`^✓ Poured molecule xy-wisp-[0-9a-z]{5} \(tdd\): 4 steps\n$`).MatchString(out) {
		t.Errorf("wisp text = %q", out)
	}
	bdJSON(t, dir, env, &res, "mol", "pour", "release", "--var", "version=1.0.0")
	if res.Phase != "liquid" || !strings.Contains(res.NewEpicID, "-mol-") || len(res.IDMapping) != 5 {
		t.Errorf("pour json = %+v", res)
	}
	// Dry run changes nothing.
	before := bdOK(t, dir, env, "list", "--all", "-n", "0")
	dry := bdOK(t, dir, env, "mol", "pour", "release", "--var", "version=1.0.0", "--dry-run")
	if !strings.HasPrefix(dry, "Would pour molecule (release): 5 steps\n") {
		t.Errorf("dry run = %q", dry)
	}
	if after := bdOK(t, dir, env, "list", "--all", "-n", "0"); after != before {
		t.Errorf("dry run changed beads")
	}
	// A pour that fails validation creates nothing.
	if _, _, code := bdRun(t, dir, env, "mol", "pour", "release"); code != 1 {
		t.Errorf("pour without version exit %d", code)
	}
	if after := bdOK(t, dir, env, "list", "--all", "-n", "0"); after != before {
		t.Errorf("failed pour changed beads")
	}
}

// Gates are numbered after their step and block it; nested children hang
// under their epic step; conditions drop steps at pour time.
func TestFormulaPourGatesChildrenConditions(t *testing.T) {
	t.Parallel()
	dir, env := bdDir(t, "gg"), formulaEnv(t)
	fdir := filepath.Join(dir, ".beads", "formulas")
	if err := os.MkdirAll(fdir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `formula = "deploy"
phase = "vapor"
[vars.env]
default = "staging"
[vars.docs]
default = ""
[[steps]]
id = "build"
title = "Build"
[[steps]]
id = "ship"
title = "Ship to {{env}}"
needs = ["build"]
[steps.gate]
type = "human"
id = "ok-{{env}}"
timeout = "1h"
[[steps]]
id = "docs"
title = "Docs"
needs = ["ship"]
condition = "{{docs}}"
[[steps]]
id = "verify"
title = "Verify"
needs = ["docs"]
[[steps.children]]
id = "smoke"
title = "Smoke test"
[[steps.children]]
id = "metrics"
title = "Check metrics"
needs = ["smoke"]
`
	if err := os.WriteFile(filepath.Join(fdir, "deploy.formula.toml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// bd sees this directory's .beads/formulas only as the rig level when it
	// is a checkout; make it one.
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	var res struct {
		NewEpicID string            `json:"new_epic_id"`
		IDMapping map[string]string `json:"id_mapping"`
	}
	stdout, stderr, code := bdRun(t, dir, env, "mol", "pour", "deploy", "--json")
	if code != 0 || stderr != "⚠ deploy is a vapor formula; consider bd mol wisp\n" {
		t.Fatalf("pour vapor: exit %d stderr %q", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	r := res.NewEpicID
	want := map[string]string{"build": r + ".1", "ship": r + ".2", "ship.gate": r + ".3", "verify": r + ".4", "smoke": r + ".4.1", "metrics": r + ".4.2"}
	for k, v := range want {
		if res.IDMapping[k] != v {
			t.Errorf("id_mapping[%s] = %q, want %q (all: %v)", k, res.IDMapping[k], v, res.IDMapping)
		}
	}
	if _, ok := res.IDMapping["docs"]; ok {
		t.Errorf("docs step poured although its condition is false")
	}
	var gate []struct {
		Title     string `json:"title"`
		IssueType string `json:"issue_type"`
		AwaitType string `json:"await_type"`
		AwaitID   string `json:"await_id"`
		Timeout   int64  `json:"timeout"`
	}
	bdJSON(t, dir, env, &gate, "show", r+".3")
	if len(gate) != 1 || gate[0].Title != "Gate: human ok-staging" || gate[0].IssueType != "gate" ||
		gate[0].AwaitType != "human" || gate[0].AwaitID != "ok-staging" || gate[0].Timeout != 3600e9 {
		t.Errorf("gate bead = %+v", gate)
	}
	var epic []struct {
		IssueType string `json:"issue_type"`
	}
	bdJSON(t, dir, env, &epic, "show", r+".4")
	if len(epic) != 1 || epic[0].IssueType != "epic" {
		t.Errorf("verify = %+v, want an epic", epic)
	}
	blocked := bdOK(t, dir, env, "blocked", "--mol", r)
	for _, want := range []string{r + ".2 blocked by [" + r + ".1, " + r + ".3]", r + ".4 blocked by [" + r + ".2]"} {
		if !strings.Contains(blocked, want) {
			t.Errorf("bd blocked lacks %q:\n%s", want, blocked)
		}
	}
	show := bdOK(t, dir, env, "mol", "show", r)
	for _, line := range []string{"└── ○ " + r + ".4 Verify", "    ├── ○ " + r + ".4.1 Smoke test", "    └── ○ " + r + ".4.2 Check metrics"} {
		if !strings.Contains(show, line) {
			t.Errorf("mol show lacks %q:\n%s", line, show)
		}
	}
}

// Acceptance 3 (CLI side): bd formula validate prints every problem with
// its position, then the summary, in one run.
func TestFormulaValidateCLI(t *testing.T) {
	t.Parallel()
	dir, env := t.TempDir(), formulaEnv(t)
	file := repoTestdata(t, "errors", "many-errors.formula.toml")
	stdout, stderr, code := bdRun(t, dir, env, "formula", "validate", file)
	if code != 1 || stdout != "" {
		t.Fatalf("validate: exit %d stdout %q", code, stdout)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 15 || lines[14] != "Error: formula validation failed: 14 errors" {
		t.Fatalf("validate stderr:\n%s", stderr)
	}
	for _, want := range []string{
		file + `:26:1: steps[2]: duplicate id "a" (first defined at line 21)`,
		file + `:34:1: cycle in needs: c -> d -> c`,
		file + `:32:1: steps[3] (b): needs references unknown step "ghost"`,
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("validate stderr lacks %q", want)
		}
	}
	if out := bdOK(t, dir, env, "formula", "validate", "release"); out != "✓ release: valid (5 steps)\n" {
		t.Errorf("validate release = %q", out)
	}
	_, stderr, code = bdRun(t, dir, env, "formula", "validate", repoTestdata(t, "errors", "syntax.formula.toml"))
	if code != 1 || !strings.Contains(stderr, "syntax.formula.toml:5:12: toml: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("syntax error: exit %d stderr %q", code, stderr)
	}
}

// Acceptance 6: unknown keys cook with warnings on stderr.
func TestFormulaUnknownKeysCook(t *testing.T) {
	t.Parallel()
	dir, env := t.TempDir(), formulaEnv(t)
	file := repoTestdata(t, "unknown-keys.formula.toml")
	stdout, stderr, code := bdRun(t, dir, env, "cook", file)
	if code != 0 || !strings.Contains(stdout, "  1. greet  Greet world  [needs: greet.gate]\n") {
		t.Fatalf("cook unknown-keys: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, file+`:2:1: warning: unknown key "colour" ignored`+"\n") ||
		strings.Count(stderr, "warning: unknown key") != 6 {
		t.Errorf("warnings:\n%s", stderr)
	}
}

// The search path: rig checkout, town and home shadow the embedded formulas
// and bd formula list names each source.
func TestFormulaListSources(t *testing.T) {
	t.Parallel()
	town := t.TempDir()
	home := t.TempDir()
	env := []string{"HOME=" + home}
	write := func(dir, name, title string) {
		t.Helper()
		d := filepath.Join(dir, ".beads", "formulas")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "formula = \"" + name + "\"\ndescription = \"" + title + "\"\n[[steps]]\nid = \"s\"\ntitle = \"" + title + "\"\n"
		if err := os.WriteFile(filepath.Join(d, name+".formula.toml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{filepath.Join(town, "mayor")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(town, "mayor", "town.json"), []byte(`{"name":"t"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	checkout := filepath.Join(town, "myrig", "crew", "joe")
	if err := os.MkdirAll(filepath.Join(checkout, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(checkout, "release", "rig release")
	write(town, "release", "town release")
	write(town, "townflow", "town flow")
	write(home, "mine", "my flow")

	out := bdOK(t, checkout, env, "formula", "list")
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Fields(line)
		rows[f[0]] = f[len(f)-1]
	}
	if !regexp.MustCompile(`^NAME +TYPE +STEPS +VARS +SOURCE\n`).MatchString(out) || rows["release"] != "rig" || rows["townflow"] != "town" || rows["mine"] != "user" || rows["tdd"] != "embedded" {
		t.Errorf("formula list from the checkout:\n%s", out)
	}
	if strings.Count(out, "release ") != 1 {
		t.Errorf("shadowed formula listed twice:\n%s", out)
	}
	out = bdOK(t, town, env, "formula", "list")
	if !strings.Contains(out, "release") || !strings.Contains(out, "town\n") {
		t.Errorf("formula list from the town:\n%s", out)
	}
	var js []struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		Path   string `json:"path"`
		Steps  int    `json:"steps"`
	}
	bdJSON(t, town, env, &js, "formula", "list", "--type", "workflow")
	found := false
	for _, r := range js {
		if r.Name == "release" {
			found = true
			if r.Source != "town" || !strings.HasSuffix(r.Path, "/.beads/formulas/release.formula.toml") || r.Steps != 1 {
				t.Errorf("release row = %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("release missing from JSON list: %+v", js)
	}
	show := bdOK(t, checkout, env, "formula", "show", "release")
	if !strings.Contains(show, "Description: rig release") || !strings.Contains(show, "Source:      rig (") {
		t.Errorf("formula show:\n%s", show)
	}
	show = bdOK(t, t.TempDir(), env, "formula", "show", "mol-polecat-work")
	for _, want := range []string{"Name:        mol-polecat-work", "  issue (required)", `  base_branch (default: "main")`, "  submit  Submit with gt done  [needs: commit]"} {
		if !strings.Contains(show, want) {
			t.Errorf("formula show mol-polecat-work lacks %q:\n%s", want, show)
		}
	}
}

func TestFormulaMolErrorsAndCurrent(t *testing.T) {
	t.Parallel()
	dir, env := bdDir(t, "ee"), formulaEnv(t)
	plain := bdCreate(t, dir, env, "Plain task")
	if msg := bdFail(t, dir, env, "mol", "show", plain); msg != plain+" is not a molecule" {
		t.Errorf("mol show of a task: %q", msg)
	}
	if msg := bdFail(t, dir, env, "mol", "show", "ee-nothere"); msg != `no issue found matching "ee-nothere"` {
		t.Errorf("mol show of nothing: %q", msg)
	}
	if out := bdOK(t, dir, env, "mol", "list"); out != "No molecules.\n" {
		t.Errorf("empty mol list = %q", out)
	}
	var empty []any
	bdJSON(t, dir, env, &empty, "mol", "list")
	if empty == nil || len(empty) != 0 {
		t.Errorf("empty mol list --json = %v", empty)
	}
	actor := []string{"BD_ACTOR=rig/polecats/nux"}
	envA := append(slices.Clone(env), actor...)
	if out := bdOK(t, dir, envA, "mol", "current"); out != "No molecule in progress for rig/polecats/nux.\n" {
		t.Errorf("mol current with nothing = %q", out)
	}
	out := bdOK(t, dir, env, "mol", "pour", "tdd", "--var", "feature=retries", "--assignee", "rig/polecats/nux")
	root := strings.Fields(out)[3]
	cur := bdOK(t, dir, envA, "mol", "current")
	want := "Molecule: " + root + "  tdd  0/4\nCurrent:  " + root + ".1 Write a failing test for retries [open]\n"
	if !strings.HasPrefix(cur, want) || !strings.Contains(cur, "Run make test and watch it fail") {
		t.Errorf("mol current = %q, want prefix %q", cur, want)
	}
	if out := bdOK(t, dir, env, "mol", "current", "--for", "someone/else"); out != "No molecule in progress for someone/else.\n" {
		t.Errorf("mol current --for = %q", out)
	}
	// --json errors also go to stdout as {"error": ...}.
	stdout, _, code := bdRun(t, dir, env, "cook", "tdd", "--json")
	if code != 1 || !strings.Contains(stdout, `"error": "formula validation failed: 1 errors"`) && !strings.Contains(stdout, `"error":"formula validation failed: 1 errors"`) {
		t.Errorf("cook --json failure: exit %d stdout %q", code, stdout)
	}
	var show map[string]any
	bdJSON(t, dir, env, &show, "formula", "show", "tdd")
	if show["name"] != "tdd" || show["source"] != "embedded" || len(show["steps"].([]any)) != 4 || len(show["vars"].([]any)) != 2 {
		t.Errorf("formula show --json = %v", show)
	}
}

// The user guide's formula workflow, run in a town made by gt install:
// bd formula list, bd cook release --var version=1.2.0, bd mol pour release
// --var version=1.2.0, bd mol list.
func TestFormulaSeedWorkflowInTown(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	env := []string{"HOME=" + home}
	town := filepath.Join(t.TempDir(), "gt")
	if _, errOut, code := runBin(t, home, env, "gt", "install", town); code != 0 {
		t.Fatalf("gt install: exit %d: %s", code, errOut)
	}
	custom := "formula = \"hotfix\"\ndescription = \"Town hotfix\"\n[[steps]]\nid = \"patch\"\ntitle = \"Patch\"\n"
	if err := os.WriteFile(filepath.Join(town, ".beads", "formulas", "hotfix.formula.toml"), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	list := bdOK(t, town, env, "formula", "list")
	for _, want := range []string{`(?m)^release +workflow +5 +1 +embedded$`, `(?m)^hotfix +workflow +1 +0 +town$`, `(?m)^mol-polecat-work +workflow +5 +4 +embedded$`} {
		if !regexp.MustCompile(want).MatchString(list) {
			t.Errorf("bd formula list lacks %q:\n%s", want, list)
		}
	}
	cook := bdOK(t, town, env, "cook", "release", "--var", "version=1.2.0")
	if !strings.Contains(cook, "  4. create-tag  Create release tag  [needs: build]\n     Run git tag -a v1.2.0 -m 'Release v1.2.0'\n") {
		t.Errorf("bd cook in town:\n%s", cook)
	}
	pour := bdOK(t, town, env, "mol", "pour", "release", "--var", "version=1.2.0")
	m := regexp.MustCompile(`^✓ Poured molecule (hq-mol-[0-9a-z]{5}) \(release\): 5 steps\n$`).FindStringSubmatch(pour)
	if m == nil {
		t.Fatalf("pour in town = %q", pour)
	}
	if out := bdOK(t, town, env, "mol", "list"); out != m[1]+"  release  0/5  open  next: "+m[1]+".1 Bump version\n" {
		t.Errorf("bd mol list = %q", out)
	}
	events, err := os.ReadFile(filepath.Join(town, ".events.jsonl"))
	if err != nil || !strings.Contains(string(events), `"type":"bead_created"`) || !strings.Contains(string(events), m[1]) {
		t.Errorf("no bead_created event for the molecule (%v):\n%s", err, events)
	}
	jsonl, err := os.ReadFile(filepath.Join(town, ".beads", "issues.jsonl"))
	if err != nil || strings.Count(string(jsonl), m[1]) < 6 {
		t.Errorf("issues.jsonl does not hold the 6 molecule beads (%v)", err)
	}
}
