package main

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// makeTown lays out a minimal town (mayor/town.json, rigs.json with rig
// myproject → prefix mp, an initialized .beads) and the agent directories
// the actor rules look at.
func bdMakeTown(t *testing.T) string {
	t.Helper()
	town := bdRealPath(t.TempDir())
	for _, d := range []string{"mayor", "myproject/crew/joe/src", "myproject/polecats/nux/myproject", "myproject/refinery/rig"} {
		if err := os.MkdirAll(filepath.Join(town, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, text string) {
		if err := os.WriteFile(filepath.Join(town, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mayor/town.json", `{"type":"town","version":2,"name":"t"}`)
	write("mayor/rigs.json", `{"version":1,"rigs":{"myproject":{"git_url":"x","default_branch":"main","beads":{"prefix":"mp"}}}}`)
	bdOK(t, town, nil, "init", "--prefix", "hq")
	return town
}

// townEvents reads <town>/.events.jsonl.
func bdTownEvents(t *testing.T, town string) []models.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(town, ".events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Event
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev models.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("event line %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

func TestBDTownActorPrefixAndEvents(t *testing.T) {
	t.Parallel()
	town := bdMakeTown(t)
	cases := []struct {
		name       string
		dir        string
		env        []string
		args       []string
		wantPrefix string
		wantActor  string
	}{
		{"town root", ".", nil, nil, "hq-", "overseer"},
		{"mayor dir", "mayor", nil, nil, "hq-", "mayor"},
		{"crew dir", "myproject/crew/joe/src", nil, nil, "mp-", "myproject/crew/joe"},
		{"polecat worktree", "myproject/polecats/nux/myproject", nil, nil, "mp-", "myproject/polecats/nux"},
		{"rig dir, not an agent", "myproject/refinery/rig", nil, nil, "mp-", "overseer"},
		{"GT_RIG", ".", []string{"GT_RIG=myproject"}, nil, "mp-", "overseer"},
		{"--rig", "mayor", nil, []string{"--rig", "myproject"}, "mp-", "mayor"},
		{"--prefix wins", "myproject/crew/joe", nil, []string{"--prefix", "zz"}, "zz-", "myproject/crew/joe"},
		{"BD_ACTOR wins over cwd", "mayor", []string{"BD_ACTOR=myproject/crew/joe"}, nil, "hq-", "myproject/crew/joe"},
		{"--actor wins", "mayor", []string{"BD_ACTOR=x"}, []string{"--actor", "someone"}, "hq-", "someone"},
	}
	for _, tc := range cases {
		var b models.Bead
		bdJSON(t, filepath.Join(town, tc.dir), tc.env, &b, append([]string{"create", "From " + tc.name}, tc.args...)...)
		if !strings.HasPrefix(b.ID, tc.wantPrefix) || b.CreatedBy != tc.wantActor {
			t.Errorf("%s: id %s created_by %q, want prefix %s actor %q", tc.name, b.ID, b.CreatedBy, tc.wantPrefix, tc.wantActor)
		}
	}

	// Outside the town, GT_TOWN_ROOT points bd at the town's database.
	var list []models.Bead
	bdJSON(t, t.TempDir(), []string{"GT_TOWN_ROOT=" + town}, &list, "list", "-n", "0")
	if len(list) != len(cases) {
		t.Errorf("GT_TOWN_ROOT list: %d beads, want %d", len(list), len(cases))
	}

	msg := bdFail(t, town, nil, "create", "x", "--rig", "nope")
	if msg != `unknown rig "nope" (see gt rig list)` {
		t.Errorf("unknown rig: %q", msg)
	}

	// Events: one bead_created per create, with the actor, source bd, and
	// audit visibility for ephemeral beads.
	eph := bdCreate(t, filepath.Join(town, "mayor"), nil, "Ephemeral one", "--ephemeral")
	id := bdCreate(t, filepath.Join(town, "mayor"), nil, "Closing one")
	bdOK(t, filepath.Join(town, "mayor"), nil, "close", id, "-r", "done")
	bdOK(t, filepath.Join(town, "mayor"), nil, "reopen", id)
	bdOK(t, filepath.Join(town, "mayor"), nil, "update", id, "-s", "in_progress", "-p", "1")
	evs := bdTownEvents(t, town)
	created := 0
	var seen []string
	for _, ev := range evs {
		if ev.Source != "bd" {
			t.Errorf("event source %q", ev.Source)
		}
		var p map[string]any
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "bead_created" {
			created++
		}
		if p["bead"] == eph && ev.Visibility != models.VisibilityAudit {
			t.Errorf("ephemeral bead event visibility %q", ev.Visibility)
		}
		if p["bead"] == id {
			seen = append(seen, ev.Type+":"+ev.Actor)
			if ev.Visibility != models.VisibilityBoth {
				t.Errorf("event visibility %q, want both", ev.Visibility)
			}
			if ev.Type == "bead_closed" && p["reason"] != "done" {
				t.Errorf("bead_closed payload %v", p)
			}
			if ev.Type == "bead_status" && (p["from"] != "open" || p["to"] != "in_progress") {
				t.Errorf("bead_status payload %v", p)
			}
		}
	}
	if created != len(cases)+2 {
		t.Errorf("%d bead_created events, want %d", created, len(cases)+2)
	}
	want := "bead_created:mayor bead_closed:mayor bead_reopened:mayor bead_status:mayor bead_updated:mayor"
	if strings.Join(seen, " ") != want {
		t.Errorf("events for %s: %v, want %s", id, seen, want)
	}
}

func TestBDDiscoveryOutsideTown(t *testing.T) {
	t.Parallel()
	root := bdDir(t, "tt")
	id := bdCreate(t, root, nil, "Found from below")
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if out := bdOK(t, sub, nil, "list"); !strings.Contains(out, id) {
		t.Errorf("walk-up discovery from %s: %q", sub, out)
	}
	elsewhere := t.TempDir()
	db := filepath.Join(root, ".beads", "beads.db")
	if out := bdOK(t, elsewhere, []string{"BEADS_DB=" + db}, "list"); !strings.Contains(out, id) {
		t.Errorf("BEADS_DB: %q", out)
	}
	if out := bdOK(t, elsewhere, []string{"BEADS_DB=/nonexistent/x.db"}, "list", "--db", db); !strings.Contains(out, id) {
		t.Errorf("--db over BEADS_DB: %q", out)
	}
	if msg := bdFail(t, elsewhere, nil, "list"); msg != "no beads database found (run bd init --prefix <p>, or use --db)" {
		t.Errorf("no db: %q", msg)
	}
	if msg := bdFail(t, elsewhere, nil, "list", "--db", filepath.Join(elsewhere, "nope.db")); !strings.Contains(msg, "does not exist") {
		t.Errorf("--db missing: %q", msg)
	}
	if msg := bdFail(t, root, nil, "init", "--prefix", "tt"); !strings.Contains(msg, "already exists") {
		t.Errorf("init twice: %q", msg)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, ".beads")); err == nil {
		t.Error("a failed command created .beads/")
	}
}

func TestBDRebuildFromJSONL(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Keep me", "-l", "k")
	b := bdCreate(t, dir, nil, "Me too")
	bdOK(t, dir, nil, "dep", "add", b, a)
	bdOK(t, dir, nil, "comments", "add", a, "note")
	before := bdOK(t, dir, nil, "show", a, b, "--json")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(filepath.Join(dir, ".beads", "beads.db"+suffix))
	}
	out, errOut, code := runBin(t, dir, nil, "bd", "show", a, b, "--json")
	if code != 0 || errOut != "Rebuilt beads.db from issues.jsonl (2 issues)\n" {
		t.Fatalf("rebuild: exit %d stderr %q", code, errOut)
	}
	if out != before {
		t.Errorf("rebuilt beads differ:\n%s\nwant:\n%s", out, before)
	}
}

func TestRoleFromDir(t *testing.T) {
	t.Parallel()
	town := "/t/town"
	cases := map[string]string{
		"/t/town":                     "",
		"/t/town/mayor":               "mayor",
		"/t/town/mayor/rig/x":         "mayor",
		"/t/town/mp/crew/joe":         "mp/crew/joe",
		"/t/town/mp/crew/joe/deep/er": "mp/crew/joe",
		"/t/town/mp/polecats/nux/mp":  "mp/polecats/nux",
		"/t/town/mp/crew":             "",
		"/t/town/mp/refinery/rig":     "",
		"/t/town/.beads/crew/x":       "",
		"/t/elsewhere/mayor":          "",
		"/t/townhouse/mayor":          "",
	}
	for dir, want := range cases {
		if got := roleFromDir(town, dir); got != want {
			t.Errorf("roleFromDir(%s) = %q, want %q", dir, got, want)
		}
	}
	if got := roleFromDir("", "/t/town/mayor"); got != "" {
		t.Errorf("no town: %q", got)
	}
}

func TestParseWhen(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2d", now.Add(48 * time.Hour), false},
		{"+1w", now.Add(7 * 24 * time.Hour), false},
		{"90m", now.Add(90 * time.Minute), false},
		{"2026-05-01T10:00:00Z", time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), false},
		{"soon", time.Time{}, true},
		{"-2d", time.Time{}, true},
		{"xd", time.Time{}, true},
		{"-5m", time.Time{}, true},
	}
	for _, c := range cases {
		got, err := parseWhen("defer", c.in, now)
		if c.err {
			if err == nil || !strings.HasPrefix(err.Error(), "invalid --defer") {
				t.Errorf("parseWhen(%q) err = %v, want invalid --defer", c.in, err)
			}
			continue
		}
		if err != nil || got == nil || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if got, err := parseWhen("defer", "", now); got != nil || err != nil {
		t.Errorf("empty clears: %v %v", got, err)
	}
	if got, err := parseWhen("defer", "2026-05-01", now); err != nil || got.Local().Day() != 1 {
		t.Errorf("date: %v %v", got, err)
	}
}

func TestParseDeps(t *testing.T) {
	t.Parallel()
	got, err := parseDeps([]string{"blocks:tt-a,related:tt-b", "tt-c", "discovered-from:tt-d.1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []depSpec{{"blocks", "tt-a"}, {"related", "tt-b"}, {"blocks", "tt-c"}, {"discovered-from", "tt-d.1"}}
	if len(got) != len(want) {
		t.Fatalf("parseDeps = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("dep %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"blocks:", strings.Repeat("x", 51) + ":tt-a"} {
		if _, err := parseDeps([]string{bad}); err == nil {
			t.Errorf("parseDeps(%q) accepted", bad)
		}
	}
}

func TestPrefixFromDir(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"/x/myproject":                  "myproject",
		"/x/My Project":                 "myproject",
		"/x/9lives":                     "lives",
		"/x/123":                        "",
		"/x/" + strings.Repeat("a", 30): strings.Repeat("a", 20),
	}
	for dir, want := range cases {
		if got := prefixFromDir(dir); got != want {
			t.Errorf("prefixFromDir(%q) = %q, want %q", dir, got, want)
		}
	}
}

func TestRigPrefixesInvalidJSON(t *testing.T) {
	t.Parallel()
	town := t.TempDir()
	if err := os.MkdirAll(filepath.Join(town, "mayor"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(town, "mayor", "rigs.json")
	if err := os.WriteFile(path, []byte("{\n  \"rigs\": {,}\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := rigPrefixes(town)
	if err == nil || !strings.HasPrefix(err.Error(), path+": invalid JSON at line 2 col ") {
		t.Fatalf("rigPrefixes on bad JSON: %v", err)
	}
}

// TestBDCloseLandsConvoy: closing the last tracked bead closes the convoy
// in the same write, prints it, and records bead_closed and convoy_closed.
func TestBDCloseLandsConvoy(t *testing.T) {
	t.Parallel()
	town := bdMakeTown(t)
	a := bdCreate(t, town, nil, "Tracked one")
	b := bdCreate(t, town, nil, "Tracked two")
	cv := bdCreate(t, town, nil, "Work: things", "-t", "convoy", "--id", "hq-cv-abcde")
	bdOK(t, town, nil, "dep", "add", cv, a, "-t", "tracks")
	bdOK(t, town, nil, "dep", "add", cv, b, "-t", "tracks")
	if out := bdOK(t, town, nil, "close", a); out != "✓ Closed "+a+": Closed\n" {
		t.Fatalf("first close: %q", out)
	}
	out := bdOK(t, town, nil, "close", b, "-r", "shipped")
	if out != "✓ Closed "+b+": shipped\n✓ Closed "+cv+": All tracked issues completed\n" {
		t.Fatalf("landing close: %q", out)
	}
	var got []models.Bead
	bdJSON(t, town, nil, &got, "show", cv)
	if got[0].Status != models.StatusClosed || got[0].CloseReason != "All tracked issues completed" {
		t.Fatalf("convoy after landing: %+v", got[0])
	}
	var landed, closedEv bool
	for _, ev := range bdTownEvents(t, town) {
		var p map[string]any
		_ = json.Unmarshal(ev.Payload, &p)
		if ev.Type == "convoy_closed" && p["convoy"] == cv && ev.Actor == "system:convoy-completion" {
			landed = true
		}
		if ev.Type == "bead_closed" && p["bead"] == cv && ev.Actor == "system:convoy-completion" {
			closedEv = true
		}
	}
	if !landed || !closedEv {
		t.Errorf("events: convoy_closed %v, bead_closed for the convoy %v", landed, closedEv)
	}
}

// TestBDPokesRunningHost: inside a town a write pokes the host over
// .runtime/host.sock; while a host answers, the host owns the export, and
// once none does, the next write exports everything still dirty.
func TestBDPokesRunningHost(t *testing.T) {
	t.Parallel()
	town := bdMakeTown(t)
	jsonl := filepath.Join(town, ".beads", "issues.jsonl")
	first := bdCreate(t, town, nil, "Before the host")
	before, _ := os.ReadFile(jsonl)
	if !strings.Contains(string(before), first) {
		t.Fatalf("no host: the write did not export %s", first)
	}

	rt := filepath.Join(town, ".runtime")
	if err := os.MkdirAll(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(rt, "host.sock"))
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	requests := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			requests <- line
			_, _ = c.Write([]byte(`{"ok":true}` + "\n"))
			_ = c.Close()
		}
	}()
	second := bdCreate(t, town, nil, "While the host runs")
	select {
	case req := <-requests:
		if !strings.Contains(req, `"poke"`) {
			t.Errorf("host got %q, want a poke", req)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write did not poke the host")
	}
	during, _ := os.ReadFile(jsonl)
	if string(during) != string(before) {
		t.Error("with a host running, bd exported the JSONL itself")
	}
	_ = ln.Close()
	<-done

	third := bdCreate(t, town, nil, "After the host")
	after, _ := os.ReadFile(jsonl)
	for _, id := range []string{first, second, third} {
		if !strings.Contains(string(after), `"id":"`+id+`"`) {
			t.Errorf("after the host stopped, the export lacks %s", id)
		}
	}
}
