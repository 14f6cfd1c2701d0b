package formulas

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gastown/gt/models"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/formulas/golden")

const testdata = "../testdata/formulas"

func embeddedOnly() *SearchPath { return NewSearchPath("", "", "") }

func cook(t *testing.T, sp *SearchPath, ref string, opt CookOptions) *Proto {
	t.Helper()
	p, err := sp.Cook(ref, opt)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			t.Fatalf("cook %s: %v\n%s", ref, err, strings.Join(ve.Lines(), "\n"))
		}
		t.Fatalf("cook %s: %v", ref, err)
	}
	return p
}

func stepIDsOf(p *Proto) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.ID)
	}
	return out
}

func TestCookRelease(t *testing.T) {
	t.Parallel()
	p := cook(t, embeddedOnly(), "release", CookOptions{Vars: map[string]string{"version": "1.2.0"}})
	want := []string{"bump-version", "run-tests", "build", "create-tag", "publish"}
	if got := stepIDsOf(p); !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	for i, s := range p.Steps {
		if i > 0 && !slices.Equal(s.Needs, []string{want[i-1]}) {
			t.Errorf("%s needs %v, want [%s]", s.ID, s.Needs, want[i-1])
		}
		if s.Type != models.TypeTask || s.Priority != 2 {
			t.Errorf("%s: type %s priority %d, want task 2", s.ID, s.Type, s.Priority)
		}
	}
	if d := p.Steps[0].Description; d != "Run ./scripts/bump-version.sh 1.2.0" {
		t.Errorf("bump-version description = %q", d)
	}
	if d := p.Steps[3].Description; d != "Run git tag -a v1.2.0 -m 'Release v1.2.0'" {
		t.Errorf("create-tag description = %q", d)
	}
	if p.RootTitle != "release" || p.RootDescription != "Standard release process" {
		t.Errorf("root = %q / %q", p.RootTitle, p.RootDescription)
	}
	if len(p.Warnings) != 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	var buf bytes.Buffer
	if err := p.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Formula: release (workflow, v1)",
		"Vars: version=1.2.0",
		"Steps:",
		"  1. bump-version  Bump version",
		"     Run ./scripts/bump-version.sh 1.2.0",
		"  2. run-tests  Run tests  [needs: bump-version]",
		"  5. publish  Publish  [needs: create-tag]",
	} {
		if !strings.Contains(buf.String(), line+"\n") {
			t.Errorf("cook text lacks %q:\n%s", line, buf.String())
		}
	}
}

func TestCookReleaseMissingVar(t *testing.T) {
	t.Parallel()
	_, err := embeddedOnly().Cook("release", CookOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a validation error", err)
	}
	want := []string{`embedded/release.formula.toml:4:1: missing required variable "version" (provide --var version=<value>)`}
	if got := ve.Lines(); !slices.Equal(got, want) {
		t.Fatalf("lines = %q, want %q", got, want)
	}
	if ve.Error() != "formula validation failed: 1 errors" {
		t.Errorf("summary = %q", ve.Error())
	}
	// --proto keeps placeholders and allows the missing var.
	p := cook(t, embeddedOnly(), "release", CookOptions{Proto: true})
	if d := p.Steps[0].Description; d != "Run ./scripts/bump-version.sh {{version}}" {
		t.Errorf("proto description = %q", d)
	}
}

func TestReleaseMatchesUserGuide(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile("/work/shared/spec/seed-zh.txt")
	if err != nil {
		t.Skip("user guide not available here")
	}
	guide := string(seed)
	start := strings.Index(guide, `description = "Standard release process"`)
	end := strings.Index(guide, `description = "Run ./scripts/publish.sh"`)
	if start < 0 || end < 0 {
		t.Fatal("release example not found in the user guide")
	}
	example := guide[start:end] + `description = "Run ./scripts/publish.sh"` + "\n" + `needs = ["create-tag"]` + "\n"
	ours, err := embedded.ReadFile("embedded/release.formula.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(ours) != example {
		t.Errorf("embedded release differs from the user guide:\n%s\n---\n%s", ours, example)
	}
}

func TestEmbeddedFormulasValid(t *testing.T) {
	t.Parallel()
	sp := embeddedOnly()
	list, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range list {
		names[l.Name] = true
		if l.Source.Kind != SourceEmbedded || l.Err != nil {
			t.Errorf("%s: source %s err %v", l.Name, l.Source.Kind, l.Err)
			continue
		}
		warns, n, err := Validate(l.File, sp)
		if err != nil || len(warns) > 0 || n == 0 {
			t.Errorf("%s: %v warnings %v steps %d", l.Name, err, warns, n)
		}
	}
	for _, want := range []string{"release", "mol-polecat-work", "code-review", "tdd", "bugfix", "feature"} {
		if !names[want] {
			t.Errorf("embedded formula %s missing", want)
		}
	}
}

func TestPolecatWorkFormula(t *testing.T) {
	t.Parallel()
	sp := embeddedOnly()
	if _, err := sp.Cook("mol-polecat-work", CookOptions{}); err == nil ||
		!strings.Contains(strings.Join(err.(*ValidationError).Lines(), "\n"), `missing required variable "issue"`) {
		t.Fatalf("cook without issue: %v", err)
	}
	p := cook(t, sp, "mol-polecat-work", CookOptions{Vars: map[string]string{"issue": "mp-k3v9a", "feature": "Add retry"}})
	if got, want := stepIDsOf(p), []string{"load-context", "implement", "verify", "commit", "submit"}; !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	vals := p.VarValues()
	if vals["base_branch"] != "main" || vals["test_command"] != "" || vals["issue"] != "mp-k3v9a" {
		t.Errorf("vars = %v", vals)
	}
	if !strings.Contains(p.Steps[4].Description, "gt done") {
		t.Errorf("submit step does not tell the polecat to run gt done: %q", p.Steps[4].Description)
	}
	if !strings.Contains(p.Steps[0].Title, "mp-k3v9a") || strings.Contains(p.Steps[0].Description, "{{") {
		t.Errorf("load-context not substituted: %q / %q", p.Steps[0].Title, p.Steps[0].Description)
	}
	var buf bytes.Buffer
	if err := p.WriteChecklist(&buf, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"## Formula checklist: mol-polecat-work\n", "1. [ ] Load context for mp-k3v9a\n", "5. [ ] Submit with gt done\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("checklist lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "When every step is done, run gt done.\n") {
		t.Errorf("checklist ending:\n%s", out)
	}
}

// TestValidationErrors runs the error corpus: every §7.3 message kind, each
// with its position, all reported in one pass per file.
func TestValidationErrors(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testdata, "errors")
	f := func(name string) string { return filepath.Join(dir, name+FileSuffix) }
	cases := []struct {
		file string
		vars map[string]string
		want []string
	}{
		{"many-errors", nil, []string{
			f("many-errors") + `:3:1: version: must be >= 1`,
			f("many-errors") + `:4:1: type: invalid value "pipeline" (must be workflow, expansion, aspect or convoy)`,
			f("many-errors") + `:6:1: vars.both: cannot have both required and default`,
			f("many-errors") + ":10:1: vars.badpat: invalid pattern: missing closing ]: `[a-z`",
			f("many-errors") + `:13:1: vars.color: default "purple" not in enum [red, green]`,
			f("many-errors") + `:17:1: steps[0]: id is required`,
			f("many-errors") + `:26:1: steps[2]: duplicate id "a" (first defined at line 21)`,
			f("many-errors") + `:29:1: steps[3] (b): title is required`,
			f("many-errors") + `:31:1: steps[3] (b): priority must be 0-4`,
			f("many-errors") + `:32:1: steps[3] (b): needs references unknown step "ghost"`,
			f("many-errors") + `:34:1: cycle in needs: c -> d -> c`,
			f("many-errors") + `:47:1: loop "repeat": body is required`,
			f("many-errors") + `:53:1: loop "forever": max is required with until`,
			f("many-errors") + `:62:1: loop "aimless": one of count, range or until is required`,
		}},
		{"no-name", nil, []string{f("no-name") + `:1:1: formula: name is required`}},
		{"extends-missing", nil, []string{
			f("extends-missing") + `:2:12: extends: formula "nowhere-to-be-found" not found (searched: ` + dir + `, embedded)`,
			f("extends-missing") + `:7:1: steps[0] (own): needs references unknown step "inherited"`,
		}},
		{"circle-a", nil, []string{f("circle-b") + `:2:12: circular extends: circle-a -> circle-b -> circle-a`}},
		{"expand-bad", nil, []string{
			f("expand-bad") + `:9:3: compose.expand: target step "nonexistent" not found`,
			f("expand-bad") + `:10:3: compose.expand: "release" is not an expansion formula`,
		}},
		{"values", map[string]string{"version": "1.x", "channel": "nightly"}, []string{
			f("values") + `:3:1: vars.version: value "1.x" does not match pattern "^\d+\.\d+\.\d+$"`,
			f("values") + `:8:1: vars.channel: value "nightly" not in enum [stable, beta]`,
			f("values") + `:12:1: missing required variable "owner" (provide --var owner=<value>)`,
		}},
	}
	sp := embeddedOnly()
	for _, tc := range cases {
		_, err := sp.Cook(f(tc.file), CookOptions{Vars: tc.vars})
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want validation errors", tc.file, err)
			continue
		}
		if got := ve.Lines(); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.file, strings.Join(got, "\n     "), strings.Join(tc.want, "\n     "))
		}
		if want := "formula validation failed: " + strconv.Itoa(len(tc.want)) + " errors"; ve.Error() != want {
			t.Errorf("%s: summary %q, want %q", tc.file, ve.Error(), want)
		}
	}
}

func TestSyntaxErrorAlone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testdata, "errors", "syntax"+FileSuffix)
	_, err := embeddedOnly().Cook(path, CookOptions{})
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SyntaxError", err, err)
	}
	if !strings.HasPrefix(se.Error(), path+":5:12: toml: ") {
		t.Errorf("syntax error = %q", se.Error())
	}
}

func TestUnknownKeysWarnButCook(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testdata, "unknown-keys"+FileSuffix)
	p := cook(t, embeddedOnly(), path, CookOptions{})
	var got []string
	for _, w := range p.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		path + `:2:1: warning: unknown key "colour" ignored`,
		path + `:8:1: warning: unknown key "secret" ignored`,
		path + `:13:1: warning: unknown key "estimate" ignored`,
		path + `:17:1: warning: unknown key "flavour" ignored`,
		path + `:23:1: warning: unknown key "hooks" ignored`,
		path + `:26:1: warning: unknown key "bond_points" ignored`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if ids := stepIDsOf(p); !slices.Equal(ids, []string{"greet", "greet.gate", "wave"}) {
		t.Errorf("steps = %v", ids)
	}
	if p.Steps[0].Title != "Greet world" {
		t.Errorf("title = %q", p.Steps[0].Title)
	}
}

// TestGolden cooks a formula using extends, compose.expand, aspects, a loop,
// a gate and a condition, and compares with the golden proto (-update
// rewrites it).
func TestGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testdata, "golden")
	cases := []struct {
		golden string
		ref    string
		opt    CookOptions
	}{
		{"ship-feature.txt", "ship-feature", CookOptions{Vars: map[string]string{"component": "parser"}, Pour: true}},
		{"ship-feature-no-announce.txt", "ship-feature", CookOptions{Vars: map[string]string{"component": "parser", "announce": "false", "env": "production"}, Pour: true}},
		{"ship-feature-proto.txt", "ship-feature", CookOptions{Proto: true}},
		{"convoy-review.txt", filepath.Join(testdata, "convoy-review"+FileSuffix), CookOptions{Vars: map[string]string{"target": "feature/x"}}},
	}
	sp := NewSearchPath("", "", "").WithDir(SourceFile, dir)
	for _, tc := range cases {
		p := cook(t, sp, tc.ref, tc.opt)
		var buf bytes.Buffer
		if err := p.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		js, err := json.MarshalIndent(p.JSON(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("--- json\n")
		buf.Write(js)
		buf.WriteString("\n")
		got := strings.ReplaceAll(buf.String(), dir+"/", "golden/")
		path := filepath.Join(dir, tc.golden)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./formulas -run TestGolden -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the golden file (go test ./formulas -run TestGolden -update):\n%s", tc.golden, got)
		}
	}
}

func TestSubstitute(t *testing.T) {
	t.Parallel()
	vals := map[string]string{"a": "1", "b": "", "c": "{{a}}"}
	cases := []struct {
		in, out    string
		unresolved []string
		hb         bool
	}{
		{"x {{a}} y", "x 1 y", nil, false},
		{"{{a}}{{b}}|", "1|", nil, false},
		{"{{c}}", "{{a}}", nil, false}, // values are not re-scanned
		{"{{zz}} and {{zz}}", "{{zz}} and {{zz}}", []string{"zz"}, false},
		{"{{#if a}}x{{/if}} {{else}}", "{{#if a}}x{{/if}} {{else}}", nil, true},
		{"{{ a }} {{1a}} {a}", "{{ a }} {{1a}} {a}", nil, false},
	}
	for _, tc := range cases {
		out, un, hb := Substitute(tc.in, vals)
		if out != tc.out || !slices.Equal(un, tc.unresolved) || hb != tc.hb {
			t.Errorf("Substitute(%q) = %q %v %v, want %q %v %v", tc.in, out, un, hb, tc.out, tc.unresolved, tc.hb)
		}
	}
}

func TestConditions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cond, val string
		want      bool
	}{
		{"{{v}}", "yes", true}, {"{{v}}", "", false}, {"{{v}}", "false", false}, {"{{v}}", "0", false},
		{"!{{v}}", "", true}, {"!{{v}}", "x", false},
		{"{{v}} == prod", "prod", true}, {"{{v}} == 'prod'", "prod", true}, {"{{v}} != prod", "prod", false},
	}
	for _, tc := range cases {
		c, err := parseCondition(tc.cond)
		if err != nil {
			t.Fatalf("%q: %v", tc.cond, err)
		}
		if got := c.eval(tc.val); got != tc.want {
			t.Errorf("%q with %q = %v, want %v", tc.cond, tc.val, got, tc.want)
		}
	}
	for _, bad := range []string{"v", "{{v}} > 3", "{{}}", ""} {
		if _, err := parseCondition(bad); err == nil {
			t.Errorf("condition %q accepted", bad)
		}
	}
}

func parseString(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("test"+FileSuffix, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDroppedStepRewiresNeeds(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
formula = "test"
[vars.docs]
default = ""
[[steps]]
id = "a"
title = "A"
[[steps]]
id = "b"
title = "B"
needs = ["a"]
condition = "{{docs}}"
[[steps]]
id = "c"
title = "C"
needs = ["b"]
condition = "!{{docs}}"
[[steps]]
id = "d"
title = "D"
needs = ["c", "b"]
`)
	p, err := Cook(f, embeddedOnly(), CookOptions{Pour: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepIDsOf(p); !slices.Equal(got, []string{"a", "c", "d"}) {
		t.Fatalf("steps = %v", got)
	}
	c, _ := p.Step("c")
	d, _ := p.Step("d")
	if !slices.Equal(c.Needs, []string{"a"}) || !slices.Equal(d.Needs, []string{"c", "a"}) {
		t.Errorf("c needs %v, d needs %v", c.Needs, d.Needs)
	}
	p, err = Cook(f, embeddedOnly(), CookOptions{Pour: true, Vars: map[string]string{"docs": "yes"}})
	if err != nil {
		t.Fatal(err)
	}
	d, _ = p.Step("d")
	if got := stepIDsOf(p); !slices.Equal(got, []string{"a", "b", "d"}) || !slices.Equal(d.Needs, []string{"b"}) {
		t.Errorf("with docs: steps %v, d needs %v", got, d.Needs)
	}
}

func TestRangeLoopAndDependencyOrder(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
formula = "test"
[vars.disks]
default = "2"
[[steps]]
id = "finish"
title = "Finish"
needs = ["moves"]
[[steps]]
id = "moves"
title = "unused"
[steps.loop]
range = "1..2^{disks}-1"
var = "n"
[[steps.loop.body]]
id = "move"
title = "Move {n}"
`)
	p, err := Cook(f, embeddedOnly(), CookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"moves.iter1.move", "moves.iter2.move", "moves.iter3.move", "finish"}
	if got := stepIDsOf(p); !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	if p.Steps[2].Title != "Move 3" || !slices.Equal(p.Steps[2].Needs, []string{"moves.iter2.move"}) {
		t.Errorf("iteration 3 = %+v", p.Steps[2])
	}
	if !slices.Equal(p.Steps[3].Needs, []string{"moves.iter3.move"}) {
		t.Errorf("finish needs %v", p.Steps[3].Needs)
	}
	if _, err := Cook(f, embeddedOnly(), CookOptions{Vars: map[string]string{"disks": "x"}}); err == nil {
		t.Error("bad range value accepted")
	}
}

func TestEvalExpr(t *testing.T) {
	t.Parallel()
	cases := map[string]int64{"1": 1, "2+3*4": 14, "(2+3)*4": 20, "2^3^2": 512, "10/3": 3, "-2+5": 3, "{n}*2": 14}
	for in, want := range cases {
		got, err := evalExpr(in, map[string]string{"n": "7"})
		if err != nil || got != want {
			t.Errorf("evalExpr(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1/0", "2^99", "(1", "1 2", "{missing}", "a"} {
		if _, err := evalExpr(bad, nil); err == nil {
			t.Errorf("evalExpr(%q) accepted", bad)
		}
	}
}

func TestConvoyLegs(t *testing.T) {
	t.Parallel()
	p := cook(t, embeddedOnly(), filepath.Join(testdata, "convoy-review"+FileSuffix), CookOptions{Vars: map[string]string{"target": "x"}})
	if p.Type != models.FormulaConvoy {
		t.Errorf("type = %s, want convoy (inferred)", p.Type)
	}
	syn, ok := p.Step("synthesis")
	if !ok || !slices.Equal(syn.Needs, []string{"security", "perf"}) {
		t.Errorf("synthesis = %+v", syn)
	}
}

func TestSearchPathShadowing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	rig, town, home := filepath.Join(root, "rig"), filepath.Join(root, "town"), filepath.Join(root, "home")
	write := func(dir, name, title string) {
		t.Helper()
		d := filepath.Join(dir, FormulasDir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		src := "formula = \"" + name + "\"\n[[steps]]\nid = \"s\"\ntitle = \"" + title + "\"\n"
		if err := os.WriteFile(filepath.Join(d, name+FileSuffix), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(rig, "shared", "from rig")
	write(town, "shared", "from town")
	write(town, "townonly", "town")
	write(home, "release", "user release")
	write(home, "mine", "mine")
	sp := NewSearchPath(rig, town, home)
	list, err := sp.List()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]SourceKind{}
	for _, l := range list {
		if _, dup := got[l.Name]; dup {
			t.Errorf("%s listed twice", l.Name)
		}
		got[l.Name] = l.Source.Kind
	}
	want := map[string]SourceKind{"shared": SourceRig, "townonly": SourceTown, "release": SourceUser, "mine": SourceUser, "tdd": SourceEmbedded}
	for name, kind := range want {
		if got[name] != kind {
			t.Errorf("%s: source %q, want %q", name, got[name], kind)
		}
	}
	p := cook(t, sp, "shared", CookOptions{})
	if p.Steps[0].Title != "from rig" {
		t.Errorf("shared cooked from %q", p.Steps[0].Title)
	}
	_, err = sp.Find("nope")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `formula "nope" not found (searched: `+filepath.Join(rig, FormulasDir)) {
		t.Errorf("Find(nope) = %v", err)
	}
	if _, err := sp.Find("../etc/passwd"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find with a path = %v", err)
	}
}

func TestKeyPositions(t *testing.T) {
	t.Parallel()
	src := `a = 1 # c
"quoted key" = """
multi [[not a header]]
"""
[[steps]]
id = 'x'
[[steps]]
  id = "y"
  [steps.gate]
  type = "timer"
  [[steps.children]]
  id = "z"
[compose]
expand = [ { target = "a" },
  { target = "b", vars = { k = "v" } } ]
`
	pos := scanKeyPositions(src)
	cases := map[string]position{
		"a": {1, 1}, "quoted key": {2, 1}, "steps.0": {5, 1}, "steps.0.id": {6, 1},
		"steps.1": {7, 1}, "steps.1.id": {8, 3}, "steps.1.gate": {9, 3}, "steps.1.gate.type": {10, 3},
		"steps.1.children.0.id": {12, 3}, "compose.expand.0": {14, 12}, "compose.expand.0.target": {14, 14},
		"compose.expand.1.vars.k": {15, 28},
	}
	for path, want := range cases {
		if got, ok := pos.exact(path); !ok || got != want {
			t.Errorf("%s at %v (%v), want %v", path, got, ok, want)
		}
	}
}

// FuzzParseValidate feeds arbitrary text to the parser, the validator and
// the cook: they may reject it but must never panic or hang.
func FuzzParseValidate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(testdata, "*", "*"+FileSuffix))
	more, _ := filepath.Glob(filepath.Join(testdata, "*"+FileSuffix))
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	if b, err := embedded.ReadFile("embedded/mol-polecat-work.formula.toml"); err == nil {
		f.Add(string(b))
	}
	f.Add("formula = \"x\"\n[[steps]]\nid=\"a\"\ntitle=\"{{v}}\"\n[steps.loop]\nrange=\"1..(2\"\n")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Parse("fuzz"+FileSuffix, []byte(src))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("parse error of type %T: %v", err, err)
			}
			return
		}
		sp := embeddedOnly()
		_, _, _ = Validate(file, sp)
		p, err := Cook(file, sp, CookOptions{Pour: true, Vars: map[string]string{"v": "1"}})
		if err == nil {
			var buf bytes.Buffer
			_ = p.WriteText(&buf)
			_ = p.WriteChecklist(&buf, true)
		}
	})
}

func TestCallerCheckout(t *testing.T) {
	t.Parallel()
	town := t.TempDir()
	mk := func(p string) string {
		t.Helper()
		full := filepath.Join(town, p)
		if err := os.MkdirAll(full, 0o755); err != nil {
			t.Fatal(err)
		}
		return full
	}
	mk(".git") // the town's own repository is never a rig
	worktree := mk("rig1/polecats/nux/rig1")
	if err := os.WriteFile(filepath.Join(worktree, ".git"), []byte("gitdir: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mayorClone := mk("rig1/mayor/rig")
	mk("rig1/mayor/rig/.git")
	outside := t.TempDir()
	mk2 := filepath.Join(outside, "proj", "sub")
	if err := os.MkdirAll(filepath.Join(outside, "proj", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(mk2, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ town, cwd, want string }{
		{town, filepath.Join(worktree), worktree},
		{town, mk("rig1/polecats/nux/rig1/pkg/x"), worktree},
		{town, mk("rig1/refinery"), mayorClone},
		{town, town, ""},
		{town, mk("mayor"), ""},
		{town, mk("rig2/crew"), ""},
		{"", mk2, filepath.Join(outside, "proj")},
	}
	for _, tc := range cases {
		if got := CallerCheckout(tc.town, tc.cwd); got != tc.want {
			t.Errorf("CallerCheckout(%s) = %q, want %q", tc.cwd, got, tc.want)
		}
	}
}

// writeFormulas writes name → source into a temporary formulas directory and
// returns a search path over it.
func writeFormulas(t *testing.T, files map[string]string) *SearchPath {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, FormulasDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name+FileSuffix), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return NewSearchPath("", root, "")
}

func TestMapAdviceAndComposeErrors(t *testing.T) {
	t.Parallel()
	sp := writeFormulas(t, map[string]string{
		"flow": `formula = "flow"
[[steps]]
id = "a.impl"
title = "Impl A"
[[steps]]
id = "b.impl"
title = "Impl B"
needs = ["a.impl"]
[[steps]]
id = "ship"
title = "Ship"
needs = ["b.impl"]
[[advice]]
target = "ship"
[advice.around]
before = [{ id = "{step.id}.pre", title = "Before {step.title}" }]
after = [{ id = "notify", title = "Tell everyone" }]
[compose]
map = [{ select = "*.impl", with = "twice" }]
`,
		"twice": `formula = "twice"
type = "expansion"
[[template]]
id = "{target}.one"
title = "{target.title} once"
[[template]]
id = "{target}.two"
title = "{target.title} twice"
needs = ["{target}.one"]
`,
		"bad-aspect": `formula = "bad-aspect"
[[steps]]
id = "x"
title = "X"
[compose]
aspects = ["twice", "missing-aspect"]
map = [{ select = "zzz*", with = "twice" }]
`,
	})
	p := cook(t, sp, "flow", CookOptions{})
	want := []string{"a.impl.one", "a.impl.two", "b.impl.one", "b.impl.two", "ship.pre", "ship", "ship.after.notify"}
	if got := stepIDsOf(p); !slices.Equal(got, want) {
		t.Fatalf("steps = %v, want %v", got, want)
	}
	needs := map[string][]string{}
	for _, s := range p.Steps {
		needs[s.ID] = s.Needs
	}
	if !slices.Equal(needs["b.impl.one"], []string{"a.impl.two"}) || !slices.Equal(needs["ship.pre"], []string{"b.impl.two"}) ||
		!slices.Equal(needs["ship"], []string{"ship.pre"}) || !slices.Equal(needs["ship.after.notify"], []string{"ship"}) {
		t.Errorf("needs = %v", needs)
	}
	if s, _ := p.Step("ship.pre"); s.Title != "Before Ship" {
		t.Errorf("advice title = %q", s.Title)
	}
	_, err := sp.Cook("bad-aspect", CookOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("bad-aspect: %v", err)
	}
	lines := strings.Join(ve.Lines(), "\n")
	for _, w := range []string{`compose.aspects: "twice" is not an aspect formula`, `compose.aspects: formula "missing-aspect" not found (searched: `} {
		if !strings.Contains(lines, w) {
			t.Errorf("bad-aspect errors lack %q:\n%s", w, lines)
		}
	}
	if !strings.Contains(fmtDiags(ve.Warnings), `warning: compose.map: no step matches "zzz*"`) {
		t.Errorf("warnings: %v", ve.Warnings)
	}
	f, err := sp.LoadFormula("twice")
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := Validate(f, sp); err != nil || n != 2 {
		t.Errorf("Validate(expansion) = %d, %v; want 2 template steps", n, err)
	}
}

func fmtDiags(ds []Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

func TestValidateRangeWithoutValueIsQuiet(t *testing.T) {
	t.Parallel()
	f := parseString(t, `formula = "test"
[vars.n]
required = true
[[steps]]
id = "l"
[steps.loop]
range = "1..{n}"
[[steps.loop.body]]
id = "b"
title = "B {i}"
`)
	warns, _, err := Validate(f, embeddedOnly())
	if err != nil || len(warns) != 0 {
		t.Errorf("Validate = %v, %v", warns, err)
	}
	p, err := Cook(f, embeddedOnly(), CookOptions{Vars: map[string]string{"n": "3"}})
	if err != nil || len(p.Steps) != 3 {
		t.Fatalf("cook n=3: %v %v", p, err)
	}
	if _, err := Cook(f, embeddedOnly(), CookOptions{}); err == nil {
		t.Error("cook without n accepted")
	}
}

func TestParseVars(t *testing.T) {
	t.Parallel()
	got, err := ParseVars([]string{"a=1", "b=x=y", "c=", " d =2", "a=3"})
	if err != nil || got["a"] != "3" || got["b"] != "x=y" || got["c"] != "" || got["d"] != "2" || len(got) != 4 {
		t.Errorf("ParseVars = %v, %v", got, err)
	}
	for _, bad := range []string{"novalue", "=v", " =v"} {
		if _, err := ParseVars([]string{bad}); err == nil || err.Error() != `invalid --var "`+bad+`" (expected key=value)` {
			t.Errorf("ParseVars(%q) err = %v", bad, err)
		}
	}
}

func TestCompositionDuplicateIDs(t *testing.T) {
	t.Parallel()
	sp := writeFormulas(t, map[string]string{
		"dup": `formula = "dup"
[[steps]]
id = "a"
title = "A"
[[steps]]
id = "a.x"
title = "Already here"
[compose]
expand = [{ target = "a", with = "exp" }]
`,
		"exp": `formula = "exp"
type = "expansion"
[[template]]
id = "x"
title = "X of {target}"
`,
	})
	_, err := sp.Cook("dup", CookOptions{})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(strings.Join(ve.Lines(), "\n"), `duplicate id "a.x" after composition`) {
		t.Errorf("err = %v %v", err, ve)
	}
}

func TestVarTypes(t *testing.T) {
	t.Parallel()
	f := parseString(t, `formula = "test"
[vars.n]
type = "int"
default = "3"
[vars.flag]
type = "bool"
default = "yes"
[vars.odd]
type = "colour"
default = "red"
[[steps]]
id = "a"
title = "{{n}} {{flag}} {{odd}}"
`)
	_, err := Cook(f, embeddedOnly(), CookOptions{Vars: map[string]string{"n": "three"}})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		`test.formula.toml:5:1: vars.flag: default "yes" is not a boolean (true or false)`,
		`test.formula.toml:2:1: vars.n: value "three" is not an integer`,
	}
	got := ve.Lines()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if !strings.Contains(fmtDiags(ve.Warnings), `vars.odd: unknown type "colour" (treated as string)`) {
		t.Errorf("warnings = %v", ve.Warnings)
	}
}

func TestLoadPathErrors(t *testing.T) {
	t.Parallel()
	sp := embeddedOnly()
	_, _, err := sp.Load("no/such/file.formula.toml")
	if !errors.Is(err, ErrNotFound) || err.Error() != "formula file no/such/file.formula.toml does not exist" {
		t.Errorf("missing file: %v", err)
	}
	_, _, err = sp.Load(t.TempDir() + "/")
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("directory: %v", err)
	}
}

func TestLoopInsideChildrenNeededFromOutside(t *testing.T) {
	t.Parallel()
	f := parseString(t, `formula = "test"
[[steps]]
id = "epic"
title = "Epic"
[[steps.children]]
id = "rounds"
[steps.children.loop]
count = 2
[[steps.children.loop.body]]
id = "r"
title = "Round {index}"
[[steps]]
id = "after"
title = "After"
needs = ["rounds"]
`)
	p, err := Cook(f, embeddedOnly(), CookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := p.Step("after")
	if !slices.Equal(after.Needs, []string{"rounds.iter2.r"}) {
		t.Errorf("after needs %v", after.Needs)
	}
	r2, _ := p.Step("rounds.iter2.r")
	if r2.Parent != "epic" || r2.Title != "Round 2" || !slices.Equal(r2.Needs, []string{"rounds.iter1.r"}) {
		t.Errorf("round 2 = %+v", r2)
	}
	if got := stepIDsOf(p); !slices.Equal(got, []string{"epic", "rounds.iter1.r", "rounds.iter2.r", "after"}) {
		t.Errorf("order = %v", got)
	}
}

func TestTopoOrderUsesSubtrees(t *testing.T) {
	t.Parallel()
	f := parseString(t, `formula = "test"
[[steps]]
id = "report"
title = "Report"
needs = ["check"]
[[steps]]
id = "qa"
title = "QA"
[[steps.children]]
id = "check"
title = "Check"
`)
	p, err := Cook(f, embeddedOnly(), CookOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := stepIDsOf(p); !slices.Equal(got, []string{"qa", "check", "report"}) {
		t.Errorf("order = %v", got)
	}
}
