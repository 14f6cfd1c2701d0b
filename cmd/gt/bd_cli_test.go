package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gastown/gt/models"
)

// bdDir makes a temporary directory with a fresh database (bd init).
func bdDir(t *testing.T, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	bdOK(t, dir, nil, "init", "--prefix", prefix)
	return dir
}

// bdOK runs bd and fails the test unless it exits 0 with an empty stderr.
func bdOK(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := runBin(t, dir, env, append([]string{"bd"}, args...)...)
	if code != 0 || errOut != "" {
		t.Fatalf("bd %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// bdJSON runs bd with --json and decodes stdout into v.
func bdJSON(t testing.TB, dir string, env []string, v any, args ...string) {
	t.Helper()
	out := bdOK(t, dir, env, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("bd %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// bdFail runs bd expecting exit 1 and exactly one stderr line, which it
// returns without the "Error: " prefix.
func bdFail(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := runBin(t, dir, env, append([]string{"bd"}, args...)...)
	if code != 1 {
		t.Fatalf("bd %s: exit %d, want 1\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
		t.Fatalf("bd %s: stderr should be one Error: line, got %q", strings.Join(args, " "), errOut)
	}
	return strings.TrimPrefix(lines[0], "Error: ")
}

// create makes a bead and returns its ID.
func bdCreate(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(bdOK(t, dir, env, append([]string{"create", "--silent"}, args...)...))
}

// jsonLines reads a JSONL file into one decoded object per line.
func bdJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var idRE = regexp.MustCompile(`^tt-[0-9a-z]{5}$`)

func TestBDCreateOutputs(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")

	out := bdOK(t, dir, nil, "create", "Fix the flaky upload", "-t", "bug", "-p", "P1")
	m := regexp.MustCompile(`^✓ Created issue: (tt-[0-9a-z]{5})\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create output %q", out)
	}
	id := m[1]

	silent := bdCreate(t, dir, nil, "Second")
	if !idRE.MatchString(silent) {
		t.Fatalf("--silent printed %q, want only an ID", silent)
	}

	// --json is 2-space indented; create gives one object, list an array.
	if out := bdOK(t, dir, nil, "show", id, "--json"); !strings.HasPrefix(out, "[\n  {\n    \"id\": \""+id+"\",\n") {
		t.Errorf("show --json is not a 2-space-indented array: %q", out[:min(len(out), 60)])
	}
	var obj map[string]any
	if out := bdOK(t, dir, nil, "create", "Indented", "--json"); !strings.HasPrefix(out, "{\n  \"id\": \"tt-") {
		t.Errorf("create --json is not a 2-space-indented object: %q", out[:min(len(out), 60)])
	}
	bdJSON(t, dir, nil, &obj, "create", "Third", "-d", "why", "-l", "a,b", "-a", "mayor", "--actor", "tester")
	if obj["title"] != "Third" || obj["description"] != "why" || obj["assignee"] != "mayor" ||
		obj["created_by"] != "tester" || obj["priority"] != 2.0 || obj["status"] != "open" || obj["issue_type"] != "task" {
		t.Fatalf("create --json = %v", obj)
	}
	if l, _ := obj["labels"].([]any); len(l) != 2 {
		t.Fatalf("labels = %v", obj["labels"])
	}

	child := bdCreate(t, dir, nil, "Child", "--parent", id)
	if child != id+".1" {
		t.Fatalf("--parent child id %q, want %s.1", child, id)
	}
	explicit := bdCreate(t, dir, nil, "Explicit", "--id", "tt-custom1")
	if explicit != "tt-custom1" {
		t.Fatalf("--id gave %q", explicit)
	}
	other := bdCreate(t, dir, nil, "Other prefix", "--prefix", "zz")
	if !strings.HasPrefix(other, "zz-") {
		t.Fatalf("--prefix gave %q", other)
	}
	dep := bdCreate(t, dir, nil, "Has deps", "--deps", "blocks:"+silent+",related:"+explicit)
	var shown []map[string]any
	bdJSON(t, dir, nil, &shown, "show", dep)
	deps, _ := shown[0]["dependencies"].([]any)
	if len(deps) != 2 {
		t.Fatalf("--deps: show dependencies = %v", shown[0]["dependencies"])
	}
	types := map[string]string{}
	for _, d := range deps {
		dm := d.(map[string]any)
		types[dm["id"].(string)] = dm["dependency_type"].(string)
	}
	if types[silent] != "blocks" || types[explicit] != "related" {
		t.Fatalf("--deps types = %v", types)
	}

	// gt bd <args> is bd <args>.
	viaGT, errOut, code := runBin(t, dir, nil, "gt", "bd", "show", id)
	if direct := bdOK(t, dir, nil, "show", id); code != 0 || errOut != "" || viaGT != direct {
		t.Errorf("gt bd show: exit %d %q\n%s\nwant\n%s", code, errOut, viaGT, direct)
	}

	eph := bdCreate(t, dir, nil, "Wisp-like", "--ephemeral")
	for _, line := range bdJSONLines(t, filepath.Join(dir, ".beads", "issues.jsonl")) {
		if line["id"] == eph {
			t.Fatalf("ephemeral bead %s was exported", eph)
		}
	}
}

func TestBDShowText(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Alpha", "-d", "line one\nline two", "-a", "rig/polecats/nux", "-l", "x")
	b := bdCreate(t, dir, nil, "Beta")
	c := bdCreate(t, dir, nil, "Child of alpha", "--parent", a)
	bdOK(t, dir, nil, "dep", "add", a, b)
	d := bdCreate(t, dir, nil, "Delta", "--deps", a)
	bdOK(t, dir, nil, "comments", "add", a, "first look", "-a", "mayor")

	out := bdOK(t, dir, nil, "show", a)
	lines := strings.Split(out, "\n")
	if lines[0] != a+": Alpha" {
		t.Fatalf("title line %q", lines[0])
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Status: +open$`),
		regexp.MustCompile(`(?m)^Priority: +P2$`),
		regexp.MustCompile(`(?m)^Type: +task$`),
		regexp.MustCompile(`(?m)^Assignee: +rig/polecats/nux$`),
		regexp.MustCompile(`(?m)^Created: +\d{4}-\d\d-\d\d \d\d:\d\d by overseer$`),
		regexp.MustCompile(`(?m)^Updated: +\d{4}-\d\d-\d\d \d\d:\d\d$`),
		regexp.MustCompile(`(?m)^Labels: +x$`),
		regexp.MustCompile(`(?m)^Description:\n  line one\n  line two$`),
		regexp.MustCompile(`(?m)^DEPENDS ON\n  → ` + b + `: Beta \[open\] \(blocks\)$`),
		regexp.MustCompile(`(?m)^BLOCKS\n  ← ` + d + `: Delta \[open\] \(blocks\)$`),
		regexp.MustCompile(`(?m)^CHILDREN\n  ↳ ` + regexp.QuoteMeta(c) + `: Child of alpha \[open\]$`),
		regexp.MustCompile(`(?m)^COMMENTS\n  \[\d{4}-\d\d-\d\d \d\d:\d\d\] mayor: first look$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("show output lacks %s:\n%s", want, out)
		}
	}
	// The field block is aligned: every value starts in the same column.
	col := -1
	for _, l := range lines[1:7] {
		i := strings.Index(l, ":") + 1
		for i < len(l) && l[i] == ' ' {
			i++
		}
		if col == -1 {
			col = i
		} else if i != col {
			t.Errorf("field block not aligned:\n%s", strings.Join(lines[1:7], "\n"))
			break
		}
	}

	var shown []map[string]any
	bdJSON(t, dir, nil, &shown, "show", a, c)
	if len(shown) != 2 {
		t.Fatalf("show --json of two ids gave %d objects", len(shown))
	}
	if shown[1]["parent"] != a {
		t.Errorf("child parent = %v", shown[1]["parent"])
	}
	for _, k := range []string{"dependencies", "dependents", "comments", "labels"} {
		if _, ok := shown[0][k].([]any); !ok {
			t.Errorf("show --json %s = %v, want an array", k, shown[0][k])
		}
	}
	if _, ok := shown[1]["comments"].([]any); !ok {
		t.Errorf("empty comments should be [], got %v", shown[1]["comments"])
	}
}

func TestBDListFormatAndFilters(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Urgent bug", "-t", "bug", "-p", "0", "-l", "net")
	b := bdCreate(t, dir, nil, "Feature work", "-t", "feat", "-p", "3", "-a", "mayor")
	c := bdCreate(t, dir, nil, "Done thing")
	bdOK(t, dir, nil, "close", c)

	out := bdOK(t, dir, nil, "list")
	want := a + " [P0] [bug] open - Urgent bug\n" + b + " [P3] [feature] open mayor - Feature work\n"
	if out != want {
		t.Fatalf("list:\n%s\nwant:\n%s", out, want)
	}
	if out := bdOK(t, dir, nil, "list", "--all"); !strings.Contains(out, c+" [P2] [task] closed - Done thing\n") {
		t.Fatalf("list --all lacks the closed bead:\n%s", out)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-s", "closed"}, []string{c}},
		{[]string{"-t", "bug"}, []string{a}},
		{[]string{"-a", "mayor"}, []string{b}},
		{[]string{"-l", "net"}, []string{a}},
		{[]string{"--all", "-n", "1"}, []string{a}},
		{[]string{"--all", "--sort", "id"}, bdSorted(a, b, c)},
	}
	for _, tc := range cases {
		var got []models.Bead
		bdJSON(t, dir, nil, &got, append([]string{"list"}, tc.args...)...)
		var ids []string
		for _, g := range got {
			ids = append(ids, g.ID)
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("list %v = %v, want %v", tc.args, ids, tc.want)
		}
	}
	var empty []any
	bdJSON(t, dir, nil, &empty, "list", "-l", "nothing-has-this")
	if empty == nil {
		t.Error("empty list --json must be [], got null")
	}
	if out := bdOK(t, dir, nil, "search", "urgent"); out != a+" [P0] [bug] open - Urgent bug\n" {
		t.Errorf("search: %q", out)
	}
}

func bdSorted(ids ...string) []string {
	out := append([]string(nil), ids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBDReadyBlockedClose(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Foundation", "-p", "1")
	b := bdCreate(t, dir, nil, "Walls")
	c := bdCreate(t, dir, nil, "Roof")
	if out := bdOK(t, dir, nil, "dep", "add", b, a); out != "✓ Added dependency: "+b+" depends on "+a+" (blocks)\n" {
		t.Fatalf("dep add: %q", out)
	}
	bdOK(t, dir, nil, "dep", "add", c, a)
	bdOK(t, dir, nil, "dep", "add", c, b)

	out := bdOK(t, dir, nil, "ready")
	want := "Ready work (1 issue with no blockers):\n\n1. [P1] [task] " + a + ": Foundation\n"
	if out != want {
		t.Fatalf("ready:\n%q\nwant\n%q", out, want)
	}
	out = bdOK(t, dir, nil, "blocked")
	for _, line := range []string{b + " blocked by [" + a + "]", c + " blocked by " + idList(bdSorted(a, b))} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("blocked lacks %q:\n%s", line, out)
		}
	}
	var blocked []map[string]any
	bdJSON(t, dir, nil, &blocked, "blocked")
	for _, bl := range blocked {
		if bl["id"] == c && bl["blocked_by_count"] != 2.0 {
			t.Errorf("blocked --json %s = %v", c, bl)
		}
	}

	msg := bdFail(t, dir, nil, "close", b)
	if msg != "cannot close "+b+": blocked by open issues ["+a+"] (use --force to override)" {
		t.Errorf("close blocked: %q", msg)
	}
	if out := bdOK(t, dir, nil, "close", a, "-r", "poured"); out != "✓ Closed "+a+": poured\n" {
		t.Errorf("close: %q", out)
	}
	if out := bdOK(t, dir, nil, "close", b); out != "✓ Closed "+b+": Closed\n" {
		t.Errorf("close default reason: %q", out)
	}
	var ready []models.Bead
	bdJSON(t, dir, nil, &ready, "ready")
	if len(ready) != 1 || ready[0].ID != c {
		t.Errorf("ready after closing blockers = %v", ready)
	}
	if out := bdOK(t, dir, nil, "reopen", a); out != "✓ Reopened "+a+"\n" {
		t.Errorf("reopen: %q", out)
	}
	var reopened []models.Bead
	bdJSON(t, dir, nil, &reopened, "show", a)
	if reopened[0].Status != models.StatusOpen || reopened[0].ClosedAt != nil || reopened[0].CloseReason != "" {
		t.Errorf("reopened bead = %+v", reopened[0])
	}
	if out := bdOK(t, dir, nil, "close", c, "-f"); out != "✓ Closed "+c+": Closed\n" {
		t.Errorf("close -f: %q", out)
	}
	if out := bdOK(t, dir, nil, "blocked"); out != "No blocked issues.\n" {
		t.Errorf("blocked when none: %q", out)
	}
}

func TestBDDepTree(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Top")
	b := bdCreate(t, dir, nil, "Middle", "-p", "1")
	c := bdCreate(t, dir, nil, "Bottom")
	d := bdCreate(t, dir, nil, "Side")
	bdOK(t, dir, nil, "dep", "add", a, b)
	bdOK(t, dir, nil, "dep", "add", b, c)
	bdOK(t, dir, nil, "dep", "add", a, d, "-t", "related")

	out := bdOK(t, dir, nil, "dep", "tree", a)
	root := a + ": Top [P2] (open)\n"
	bFirst := root +
		"├── " + b + ": Middle [P1] (open) blocks\n" +
		"│   └── " + c + ": Bottom [P2] (open) blocks\n" +
		"└── " + d + ": Side [P2] (open) related\n"
	dFirst := root +
		"├── " + d + ": Side [P2] (open) related\n" +
		"└── " + b + ": Middle [P1] (open) blocks\n" +
		"    └── " + c + ": Bottom [P2] (open) blocks\n"
	if out != bFirst && out != dFirst {
		t.Fatalf("dep tree:\n%s\nwant:\n%s\nor:\n%s", out, bFirst, dFirst)
	}

	if out := bdOK(t, dir, nil, "dep", "tree", c, "--direction", "up"); out != c+": Bottom [P2] (open)\n└── "+b+": Middle [P1] (open) blocks\n    └── "+a+": Top [P2] (open) blocks\n" {
		t.Errorf("dep tree up:\n%s", out)
	}
	if out := bdOK(t, dir, nil, "dep", "tree", a, "-d", "1"); strings.Contains(out, c) {
		t.Errorf("dep tree -d 1 went deeper:\n%s", out)
	}
	var nodes []map[string]any
	bdJSON(t, dir, nil, &nodes, "dep", "tree", a)
	if len(nodes) != 4 || nodes[0]["id"] != a || nodes[0]["depth"] != 0.0 {
		t.Errorf("dep tree --json = %v", nodes)
	}
	if out := bdOK(t, dir, nil, "dep", "remove", a, d); out != "✓ Removed dependency: "+a+" no longer depends on "+d+"\n" {
		t.Errorf("dep remove: %q", out)
	}
}

func TestBDUpdateClaimLabelsComments(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Work")
	if out := bdOK(t, dir, nil, "update", a, "--title", "Real work", "-p", "P0", "-t", "chore", "-d", "desc",
		"--notes", "n1", "--add-label", "x,y", "--defer", "2099-01-02"); out != "✓ Updated issue: "+a+"\n" {
		t.Fatalf("update: %q", out)
	}
	bdOK(t, dir, nil, "update", a, "--append-notes", "n2", "--remove-label", "y")
	var got []models.Bead
	bdJSON(t, dir, nil, &got, "show", a)
	g := got[0]
	if g.Title != "Real work" || g.Priority != 0 || g.IssueType != "chore" || g.Description != "desc" ||
		g.Notes != "n1\nn2" || strings.Join(g.Labels, ",") != "x" || g.DeferUntil == nil || g.DeferUntil.Year() != 2099 {
		t.Fatalf("after update: %+v", g)
	}
	var ready []models.Bead
	bdJSON(t, dir, nil, &ready, "ready")
	if len(ready) != 0 {
		t.Errorf("deferred bead is ready: %v", ready)
	}
	bdOK(t, dir, nil, "update", a, "--defer", "")
	bdJSON(t, dir, nil, &ready, "ready")
	if len(ready) != 1 {
		t.Errorf("bead with cleared defer is not ready: %v", ready)
	}

	var claimed []models.Bead
	bdJSON(t, dir, nil, &claimed, "update", a, "--claim", "--actor", "rig/polecats/nux")
	if claimed[0].Status != models.StatusInProgress || claimed[0].Assignee != "rig/polecats/nux" {
		t.Fatalf("claim: %+v", claimed[0])
	}
	if msg := bdFail(t, dir, []string{"BD_ACTOR=rig/polecats/slit"}, "update", a, "--claim"); msg != "already claimed by rig/polecats/nux" {
		t.Errorf("second claim: %q", msg)
	}

	if out := bdOK(t, dir, nil, "label", "add", a, "urgent"); out != "✓ Added label 'urgent' to "+a+"\n" {
		t.Errorf("label add: %q", out)
	}
	if out := bdOK(t, dir, nil, "label", "list", a); out != "Labels for "+a+":\n  urgent\n  x\n" {
		t.Errorf("label list: %q", out)
	}
	if out := bdOK(t, dir, nil, "label", "remove", a, "urgent"); out != "✓ Removed label 'urgent' from "+a+"\n" {
		t.Errorf("label remove: %q", out)
	}
	var labels []string
	bdJSON(t, dir, nil, &labels, "label", "list", a)
	if strings.Join(labels, ",") != "x" {
		t.Errorf("label list --json = %v", labels)
	}

	if out := bdOK(t, dir, nil, "comments", "add", a, "hello there", "-a", "mayor"); out != "Comment added\n" {
		t.Errorf("comments add: %q", out)
	}
	bdOK(t, dir, []string{"BD_ACTOR=rig/crew/joe"}, "comment", a, "second")
	out := bdOK(t, dir, nil, "comments", a)
	re := regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d\] mayor: hello there\n\[\d{4}-\d\d-\d\d \d\d:\d\d\] rig/crew/joe: second\n$`)
	if !re.MatchString(out) {
		t.Errorf("comments:\n%s", out)
	}
	var comments []models.Comment
	bdJSON(t, dir, nil, &comments, "comments", a)
	if len(comments) != 2 || comments[0].Author != "mayor" || comments[1].Text != "second" {
		t.Errorf("comments --json = %+v", comments)
	}
}

func TestBDStats(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "One")
	b := bdCreate(t, dir, nil, "Two")
	c := bdCreate(t, dir, nil, "Three")
	bdCreate(t, dir, nil, "Four")
	bdOK(t, dir, nil, "dep", "add", b, a)
	bdOK(t, dir, nil, "update", c, "-s", "in_progress")
	d := bdCreate(t, dir, nil, "Five")
	bdOK(t, dir, nil, "close", d)

	var st struct {
		Summary map[string]float64 `json:"summary"`
	}
	bdJSON(t, dir, nil, &st, "stats")
	want := map[string]float64{
		"total_issues": 5, "open_issues": 3, "in_progress_issues": 1, "closed_issues": 1,
		"blocked_issues": 1, "deferred_issues": 0, "ready_issues": 2, "pinned_issues": 0,
	}
	for k, v := range want {
		if got, ok := st.Summary[k]; !ok || got != v {
			t.Errorf("stats %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := st.Summary["average_lead_time_hours"]; !ok {
		t.Error("stats --json lacks average_lead_time_hours")
	}
	if len(st.Summary) != len(want)+1 {
		t.Errorf("stats --json keys %v, want exactly the spec's nine", st.Summary)
	}
	out := bdOK(t, dir, nil, "stats")
	for _, re := range []string{`(?m)^Total: +5$`, `(?m)^Open: +3$`, `(?m)^In Progress: +1$`, `(?m)^Blocked: +1$`, `(?m)^Ready: +2$`, `(?m)^Closed: +1$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("stats text lacks %s:\n%s", re, out)
		}
	}
}

func TestBDNoColorWhenPiped(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Plain", "-p", "0")
	for _, args := range [][]string{{"list"}, {"show", a}, {"ready"}, {"stats"}} {
		if out := bdOK(t, dir, nil, args...); strings.Contains(out, "\x1b[") {
			t.Errorf("bd %v wrote ANSI escapes to a pipe: %q", args, out)
		}
	}
}

func TestBDPaletteColoursOnlyWhenOn(t *testing.T) {
	t.Parallel()
	on, off := palette{on: true}, palette{}
	b := &models.Bead{ID: "tt-abcde", Title: "T", Priority: 0, IssueType: "bug", Status: models.StatusOpen}
	if got := off.listLine(b); got != "tt-abcde [P0] [bug] open - T" {
		t.Errorf("plain listLine %q", got)
	}
	if got := on.listLine(b); !strings.Contains(got, "\x1b[31mP0\x1b[0m") {
		t.Errorf("coloured listLine %q lacks a red P0", got)
	}
	if got := newPalette(os.Stdout, func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}); got.on {
		t.Error("NO_COLOR must switch colour off")
	}
}
