package beads

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

const fixturePath = "../testdata/beads/original-export.jsonl"

func readFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

// compareJSONL checks that got has the same lines as want, both as bytes and
// as JSON values (so a failure names the differing key).
func compareJSONL(t *testing.T, want, got []byte) {
	t.Helper()
	wl := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
	gl := strings.Split(strings.TrimRight(string(got), "\n"), "\n")
	if len(wl) != len(gl) {
		t.Fatalf("got %d lines, want %d:\n%s", len(gl), len(wl), got)
	}
	for i := range wl {
		var wv, gv map[string]any
		if err := json.Unmarshal([]byte(wl[i]), &wv); err != nil {
			t.Fatalf("want line %d: %v", i+1, err)
		}
		if err := json.Unmarshal([]byte(gl[i]), &gv); err != nil {
			t.Fatalf("got line %d: %v", i+1, err)
		}
		for k, v := range wv {
			if !reflect.DeepEqual(gv[k], v) {
				t.Errorf("line %d (%v) key %q: got %v, want %v", i+1, wv["id"], k, gv[k], v)
			}
		}
		for k := range gv {
			if _, ok := wv[k]; !ok {
				t.Errorf("line %d (%v): extra key %q = %v", i+1, wv["id"], k, gv[k])
			}
		}
		if wl[i] != gl[i] {
			t.Errorf("line %d bytes differ:\n got %s\nwant %s", i+1, gl[i], wl[i])
		}
	}
}

func importFixture(t *testing.T, s *Store) ImportResult {
	t.Helper()
	res, err := s.Import(context.Background(), bytes.NewReader(readFixture(t)), "original-export.jsonl")
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func TestImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	res := importFixture(t, s)
	if res != (ImportResult{Created: 12}) {
		t.Errorf("import result = %+v", res)
	}
	n, err := s.Export(context.Background(), s.JSONLPath(), ExportOpts{})
	if err != nil || n != 12 {
		t.Fatalf("export = %d, %v", n, err)
	}
	got, err := os.ReadFile(s.JSONLPath())
	if err != nil {
		t.Fatal(err)
	}
	compareJSONL(t, readFixture(t), got)

	// The fixture exercises every known key (ephemeral beads are never
	// exported, so that one is checked by importing a wisp line below).
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(readFixture(t))), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		for k := range m {
			seen[k] = true
		}
	}
	for _, k := range models.BeadKeys {
		if !seen[k] && k != "ephemeral" {
			t.Errorf("fixture never uses key %q", k)
		}
	}
	wisp := `{"id":"bd-wisp-aaaaa","title":"wisp","status":"open","priority":2,"issue_type":"molecule","created_at":"2025-10-18T02:00:00Z","updated_at":"2025-10-18T02:00:00Z","ephemeral":true}`
	if res, err := s.Import(context.Background(), strings.NewReader(wisp), "wisp.jsonl"); err != nil || res.Created != 1 {
		t.Fatalf("import wisp = %+v, %v", res, err)
	}
	if w, err := s.Get(context.Background(), "bd-wisp-aaaaa"); err != nil || !w.Ephemeral {
		t.Fatalf("wisp = %+v, %v", w, err)
	}
	if _, err := s.Export(context.Background(), s.JSONLPath(), ExportOpts{}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(s.JSONLPath())
	compareJSONL(t, readFixture(t), got)

	// Imported values are usable: dangling targets kept, unknown status and
	// type kept, tombstone visible with --all only.
	ctx := context.Background()
	b, err := s.Get(ctx, "bd-q7r8s")
	if err != nil || b.Status != "review" || b.IssueType != "research" || len(b.Dependencies) != 3 {
		t.Errorf("bd-q7r8s = %+v, %v", b, err)
	}
	deps, _ := s.Dependencies(ctx, "bd-9g0h1.1")
	if len(deps) != 1 || deps[0].DependsOnID != "bd-9g0h1" {
		t.Errorf("dangling parent edge = %+v", deps)
	}
	ready, _ := s.Ready(ctx, ReadyFilter{Sort: "oldest"})
	// bd-1a2b3 is in_progress; the tombstone, template, gate, agent, convoy,
	// molecule and mol steps are excluded; bd-9g0h1.1's parent is missing.
	if !eqStrings(ids(ready), []string{"bd-9g0h1.1"}) {
		t.Errorf("ready after import = %v", ids(ready))
	}

	// A second import of the same file changes nothing.
	res = importFixture(t, s)
	if res != (ImportResult{Unchanged: 12}) {
		t.Errorf("re-import result = %+v", res)
	}
}

func TestRebuildOnOpen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), ".beads")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dbPath := filepath.Join(dir, "beads.db")
	s, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Rebuilt(); ok {
		t.Error("fresh store reports a rebuild")
	}
	importFixture(t, s)
	// Add gt-made beads too: rebuild must keep comments' ids and every field.
	mustWrite(t, s, func(tx *Tx) error {
		b, err := tx.Create(&models.Bead{Title: "made here", Priority: 2, Labels: []string{"x"}}, CreateOpts{Prefix: "gt"})
		if err != nil {
			return err
		}
		if _, err := tx.AddComment(b.ID, "me", "note"); err != nil {
			return err
		}
		return tx.AddDependency(b.ID, "bd-1a2b3", models.DepBlocks)
	})
	if ok, err := s.ExportIfDirty(ctx); !ok || err != nil {
		t.Fatalf("export if dirty = %v, %v", ok, err)
	}
	before, _ := os.ReadFile(s.JSONLPath())
	allBefore, _ := s.List(ctx, Filter{IncludeClosed: true, Sort: "id"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(dbPath + suffix)
	}

	s2, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if n, ok := s2.Rebuilt(); !ok || n != 13 {
		t.Errorf("Rebuilt() = %d, %v; want 13, true", n, ok)
	}
	// Config is not in the JSONL: prefixes come back from the IDs.
	if p, err := s2.DefaultPrefix(ctx); p != "bd" || err != nil {
		t.Errorf("default prefix after rebuild = %q, %v; want bd", p, err)
	}
	if ps, _ := s2.Prefixes(ctx); !eqStrings(ps, []string{"bd", "gt", "hq"}) {
		t.Errorf("prefixes after rebuild = %v", ps)
	}
	if dirty, err := s2.ExportIfDirty(ctx); dirty || err != nil {
		t.Errorf("rebuilt store is dirty: %v, %v", dirty, err)
	}
	out := filepath.Join(t.TempDir(), "again.jsonl")
	if _, err := s2.Export(ctx, out, ExportOpts{}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(out)
	compareJSONL(t, before, after)
	allAfter, _ := s2.List(ctx, Filter{IncludeClosed: true, Sort: "id"})
	if !eqStrings(ids(allBefore), ids(allAfter)) {
		t.Errorf("ids after rebuild = %v, want %v", ids(allAfter), ids(allBefore))
	}
}

func TestRebuildFailureRetries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "issues.jsonl")
	good := "{\"id\":\"gt-a1b2c\",\"title\":\"a\",\"created_at\":\"2025-01-01T00:00:00Z\"}\n"
	if err := os.WriteFile(jsonl, []byte(good+"{broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for attempt := range 2 {
		_, err := Open(ctx, filepath.Join(dir, "beads.db"))
		if err == nil || !strings.Contains(err.Error(), "issues.jsonl:2: invalid JSON") {
			t.Fatalf("open attempt %d = %v", attempt, err)
		}
	}
	if err := os.WriteFile(jsonl, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, filepath.Join(dir, "beads.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, ok := s.Rebuilt(); n != 1 || !ok {
		t.Errorf("Rebuilt() = %d, %v after fixing the file", n, ok)
	}
}

func TestImportBadLineChangesNothing(t *testing.T) {
	t.Parallel()
	good := `{"id":"gt-ok1","title":"fine","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}`
	tests := []struct {
		name, body, want string
	}{
		{"invalid json", good + "\n\n{\"id\":\n", "in.jsonl:3: invalid JSON: unexpected end of JSON input"},
		{"not an object", good + "\n[1,2]\n", "in.jsonl:2: invalid JSON: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
		{"null line", "null\n", "in.jsonl:1: invalid JSON: bead must be a JSON object, not null"},
		{"missing id", good + "\n" + `{"title":"x","created_at":"2025-01-01T00:00:00Z"}` + "\n", "in.jsonl:2: missing id"},
		{"bad id", `{"id":"a b","title":"x","created_at":"2025-01-01T00:00:00Z"}`, `in.jsonl:1: invalid issue id "a b"`},
		{"priority type", `{"id":"gt-x","title":"x","priority":"high","created_at":"2025-01-01T00:00:00Z"}`, `in.jsonl:1: invalid JSON: key "priority": json: cannot unmarshal string into Go value of type int`},
		{"bad time", `{"id":"gt-x","title":"x","created_at":"yesterday"}`, `in.jsonl:1: invalid JSON: key "created_at"`},
		{"no times", `{"id":"gt-x","title":"x"}`, "in.jsonl:1: missing created_at"},
		{"metadata not object", `{"id":"gt-x","title":"x","created_at":"2025-01-01T00:00:00Z","metadata":[1]}`, "in.jsonl:1: metadata must be a JSON object"},
		{"foreign dependency", `{"id":"gt-x","title":"x","created_at":"2025-01-01T00:00:00Z","dependencies":[{"issue_id":"gt-y","depends_on_id":"gt-z","type":"blocks","created_at":"2025-01-01T00:00:00Z"}]}`, `in.jsonl:1: dependency issue_id "gt-y" does not match id "gt-x"`},
		{"dependency target", `{"id":"gt-x","title":"x","created_at":"2025-01-01T00:00:00Z","dependencies":[{"type":"blocks"}]}`, "in.jsonl:1: dependency without depends_on_id"},
		{"external ref clash", good + "\n" + `{"id":"gt-x","title":"x","created_at":"2025-01-01T00:00:00Z","external_ref":"gh-7"}` + "\n" + `{"id":"gt-y","title":"y","created_at":"2025-01-01T00:00:00Z","external_ref":"gh-7"}`, `in.jsonl:3: external_ref "gh-7" is already used by gt-x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			create(t, s, models.Bead{ID: "gt-pre", Title: "pre-existing", Priority: 2}, CreateOpts{})
			before, _ := s.Stats(context.Background())
			_, err := s.Import(context.Background(), strings.NewReader(tt.body), "in.jsonl")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
			after, _ := s.Stats(context.Background())
			all, _ := s.List(context.Background(), Filter{IncludeClosed: true})
			if before != after || !eqStrings(ids(all), []string{"gt-pre"}) {
				t.Errorf("store changed: %v", ids(all))
			}
		})
	}
}

func TestImportMergeRules(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	line := func(id, title, updated, status string, extra string) string {
		return `{"id":"` + id + `","title":"` + title + `","status":"` + status + `","priority":2,"issue_type":"task","created_at":"2025-01-01T00:00:00Z","updated_at":"` + updated + `"` + extra + `}`
	}
	first := strings.Join([]string{
		line("gt-a", "a v1", "2025-01-02T00:00:00Z", "open", `,"labels":["one"]`),
		line("gt-b", "b v1", "2025-01-02T00:00:00Z", "open", ""),
		line("gt-c", "c v1", "2025-01-02T00:00:00Z", "open", ""),
		line("gt-t", "t", "2025-01-02T00:00:00Z", "tombstone", ""),
	}, "\n")
	if res, err := s.Import(ctx, strings.NewReader(first), "a.jsonl"); err != nil || res != (ImportResult{Created: 4}) {
		t.Fatalf("first import = %+v, %v", res, err)
	}
	second := strings.Join([]string{
		line("gt-a", "a v2", "2025-01-03T00:00:00Z", "closed", `,"closed_at":"2025-01-03T00:00:00Z","close_reason":"done","labels":["two"],"dependencies":[{"issue_id":"gt-a","depends_on_id":"gt-elsewhere","type":"blocks","created_at":"2025-01-01T00:00:00Z"}]`),
		line("gt-b", "b old", "2025-01-01T12:00:00Z", "open", ""),
		line("gt-c", "c v1", "2025-01-02T00:00:00Z", "open", `,"comments":[{"id":1,"author":"x","text":"hi","created_at":"2025-01-02T00:00:00Z"}]`),
		line("gt-t", "t back", "2025-02-01T00:00:00Z", "open", ""),
		line("gt-d", "d", "2025-01-02T00:00:00Z", "open", ""),
	}, "\n")
	res, err := s.Import(ctx, strings.NewReader(second), "b.jsonl")
	if err != nil || res != (ImportResult{Created: 1, Updated: 1, Unchanged: 1, Skipped: 2}) {
		t.Fatalf("second import = %+v, %v", res, err)
	}
	tests := []struct {
		id, title string
		status    models.Status
		labels    []string
		deps      int
		comments  int
	}{
		{"gt-a", "a v2", models.StatusClosed, []string{"one", "two"}, 1, 0},
		{"gt-b", "b v1", models.StatusOpen, nil, 0, 0},
		{"gt-c", "c v1", models.StatusOpen, nil, 0, 1},
		{"gt-t", "t", models.StatusTombstone, nil, 0, 0},
		{"gt-d", "d", models.StatusOpen, nil, 0, 0},
	}
	for _, tt := range tests {
		b, err := s.Get(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Title != tt.title || b.Status != tt.status || !eqStrings(b.Labels, tt.labels) || len(b.Dependencies) != tt.deps || len(b.Comments) != tt.comments {
			t.Errorf("%s = title %q status %s labels %v deps %d comments %d", tt.id, b.Title, b.Status, b.Labels, len(b.Dependencies), len(b.Comments))
		}
	}
	// Comments are upserted, not duplicated.
	if _, err := s.Import(ctx, strings.NewReader(second), "b.jsonl"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Comments(ctx, "gt-c"); len(cs) != 1 {
		t.Errorf("comments after re-import = %d", len(cs))
	}
}

func TestExportEphemeralDirtyAndPrefix(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	if ok, err := s.ExportIfDirty(ctx); ok || err != nil {
		t.Errorf("empty store exported: %v %v", ok, err)
	}
	create(t, s, models.Bead{ID: "gt-b", Title: "b", Priority: 2}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-a", Title: "a", Priority: 2}, CreateOpts{})
	create(t, s, models.Bead{ID: "mp-a", Title: "other rig", Priority: 2}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-wisp-aaaaa", Title: "wisp", Ephemeral: true, Priority: 2}, CreateOpts{})
	if ok, err := s.ExportIfDirty(ctx); !ok || err != nil {
		t.Fatalf("ExportIfDirty = %v, %v", ok, err)
	}
	data, _ := os.ReadFile(s.JSONLPath())
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		b, err := ParseLine([]byte(l))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.ID)
	}
	if !eqStrings(got, []string{"gt-a", "gt-b", "mp-a"}) {
		t.Errorf("exported ids = %v", got)
	}
	if ok, _ := s.ExportIfDirty(ctx); ok {
		t.Error("clean store exported again")
	}
	// Writes to ephemeral beads do not dirty the JSONL; others do.
	mustWrite(t, s, func(tx *Tx) error { return tx.AddLabel("gt-wisp-aaaaa", "x") })
	if ok, _ := s.ExportIfDirty(ctx); ok {
		t.Error("ephemeral write made the store dirty")
	}
	mustWrite(t, s, func(tx *Tx) error { return tx.AddLabel("gt-a", "x") })
	if ok, _ := s.ExportIfDirty(ctx); !ok {
		t.Error("label write did not make the store dirty")
	}
	out := filepath.Join(t.TempDir(), "mp.jsonl")
	if n, err := s.Export(ctx, out, ExportOpts{Prefix: "mp"}); n != 1 || err != nil {
		t.Errorf("prefix export = %d, %v", n, err)
	}
	// A missing JSONL is re-exported even when nothing is dirty.
	if err := os.Remove(s.JSONLPath()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ExportIfDirty(ctx); !ok {
		t.Error("missing JSONL not re-exported")
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(s.JSONLPath()), ".issues.jsonl.tmp-*")); len(entries) != 0 {
		t.Errorf("temp files left: %v", entries)
	}
}

func TestBeadJSONKeyOrder(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 15, 4, 0, time.UTC)
	b := models.Bead{
		ID: "gt-a", Title: "t", Priority: 0, CreatedAt: at, UpdatedAt: at,
		Extra:        map[string]json.RawMessage{"zeta": []byte(`1`), "alpha": []byte(` "x" `), "title": []byte(`"stale"`)},
		OriginalType: "bug", Pinned: true, Metadata: json.RawMessage(`{ "a" : 1 }`),
	}
	got, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"gt-a","title":"t","priority":0,"created_at":"2026-03-02T10:15:04Z","updated_at":"2026-03-02T10:15:04Z","metadata":{"a":1},"pinned":true,"alpha":"x","original_type":"bug","zeta":1}`
	if string(got) != want {
		t.Errorf("marshal:\n got %s\nwant %s", got, want)
	}
	withExtra, err := b.JSONWith(map[string]any{"dependents": []string{"gt-b"}, "title": "override"})
	if err != nil || !strings.Contains(string(withExtra), `"title":"override"`) || !strings.HasSuffix(string(withExtra), `"dependents":["gt-b"]}`) {
		t.Errorf("JSONWith = %s, %v", withExtra, err)
	}
}
