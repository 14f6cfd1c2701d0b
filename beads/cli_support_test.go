package beads

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// fullExport returns what a full export would write now.
func fullExport(t *testing.T, s *Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "full.jsonl")
	if _, err := s.Export(context.Background(), path, ExportOpts{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func jsonlNow(t *testing.T, s *Store) string {
	t.Helper()
	data, err := os.ReadFile(s.JSONLPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func exportDirty(t *testing.T, s *Store) bool {
	t.Helper()
	wrote, err := s.ExportDirty(context.Background())
	if err != nil {
		t.Fatalf("ExportDirty: %v", err)
	}
	return wrote
}

// TestExportDirtyMatchesFullExport drives a sequence of writes, each
// followed by ExportDirty, and checks that the file is always byte-equal
// to a full export, including after outside edits, deletion and beads
// that turn ephemeral.
func TestExportDirtyMatchesFullExport(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 30; i++ {
		b := create(t, s, models.Bead{Title: fmt.Sprintf("Bead %02d", i), Priority: i % 5}, CreateOpts{})
		ids = append(ids, b.ID)
	}
	if !exportDirty(t, s) {
		t.Fatal("first export did not write")
	}
	if exportDirty(t, s) {
		t.Error("export with nothing dirty wrote the file")
	}
	steps := []struct {
		name string
		do   func(t *testing.T)
	}{
		{"update one", func(t *testing.T) {
			title := "Renamed"
			mustWrite(t, s, func(tx *Tx) error { _, err := tx.Update(ids[3], Update{Title: &title}); return err })
		}},
		{"create first and last in id order", func(t *testing.T) {
			create(t, s, models.Bead{ID: "gt-0000a", Title: "sorts first"}, CreateOpts{})
			create(t, s, models.Bead{ID: "gt-zzzzz", Title: "sorts last"}, CreateOpts{})
		}},
		{"children, labels, comments, deps", func(t *testing.T) {
			mustWrite(t, s, func(tx *Tx) error {
				c, err := tx.Create(&models.Bead{Title: "child"}, CreateOpts{Parent: ids[5]})
				if err != nil {
					return err
				}
				if err := tx.AddLabel(ids[7], "x"); err != nil {
					return err
				}
				if _, err := tx.AddComment(ids[8], "me", "hello"); err != nil {
					return err
				}
				return tx.AddDependency(c.ID, ids[9], models.DepBlocks)
			})
		}},
		{"ephemeral bead is not exported", func(t *testing.T) {
			create(t, s, models.Bead{Title: "wisp", Ephemeral: true}, CreateOpts{})
		}},
		{"bead turns ephemeral", func(t *testing.T) {
			yes := true
			mustWrite(t, s, func(tx *Tx) error { _, err := tx.Update(ids[10], Update{Ephemeral: &yes}); return err })
		}},
		{"close and auto-close", func(t *testing.T) {
			mustWrite(t, s, func(tx *Tx) error { _, err := tx.CloseIssue(ids[11], "done", true); return err })
		}},
		{"outside edit is overwritten by a full export", func(t *testing.T) {
			// Same length, different content, later mtime: the stamp no
			// longer matches, so the next export must not trust the file.
			data := []byte(jsonlNow(t, s))
			copy(data[len(data)-10:], "XXXXXXXXX\n")
			if err := os.WriteFile(s.JSONLPath(), data, 0o644); err != nil {
				t.Fatal(err)
			}
			later := time.Now().Add(2 * time.Second)
			_ = os.Chtimes(s.JSONLPath(), later, later)
			p := 1
			mustWrite(t, s, func(tx *Tx) error { _, err := tx.Update(ids[0], Update{Priority: &p}); return err })
		}},
		{"deleted file is rewritten", func(t *testing.T) {
			if err := os.Remove(s.JSONLPath()); err != nil {
				t.Fatal(err)
			}
		}},
		{"full Export in between", func(t *testing.T) {
			if _, err := s.Export(ctx, s.JSONLPath(), ExportOpts{}); err != nil {
				t.Fatal(err)
			}
			create(t, s, models.Bead{Title: "after a full export"}, CreateOpts{})
		}},
	}
	for _, st := range steps {
		st.do(t)
		exportDirty(t, s)
		if got, want := jsonlNow(t, s), fullExport(t, s); got != want {
			t.Fatalf("%s: incremental export differs from a full export:\n got %s\nwant %s", st.name, got, want)
		}
		if strings.Contains(jsonlNow(t, s), `"wisp"`) {
			t.Fatalf("%s: ephemeral bead exported", st.name)
		}
	}
	var dirty int
	if err := s.rdb.QueryRow(`SELECT count(*) FROM dirty_issues`).Scan(&dirty); err != nil {
		t.Fatal(err)
	}
	if dirty != 0 {
		t.Errorf("%d dirty marks left after export", dirty)
	}
}

func TestMergeExportRejectsForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fresh := map[string][]byte{"gt-b": []byte(`{"id":"gt-b","title":"new"}`)}
	cases := map[string]string{
		"unsorted":        `{"id":"gt-c"}` + "\n" + `{"id":"gt-a"}` + "\n",
		"duplicate":       `{"id":"gt-a"}` + "\n" + `{"id":"gt-a"}` + "\n",
		"no trailing nl":  `{"id":"gt-a"}`,
		"other key first": `{"title":"x","id":"gt-a"}` + "\n",
		"escaped id":      `{"id":"gt-\u0061"}` + "\n",
		"blank line":      `{"id":"gt-a"}` + "\n\n",
	}
	for name, text := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := mergeExport(path, []string{"gt-b"}, fresh); err != errNotAnExport {
			t.Errorf("%s: err %v, want errNotAnExport", name, err)
		}
	}
	path := filepath.Join(dir, "good")
	if err := os.WriteFile(path, []byte(`{"id":"gt-a"}`+"\n"+`{"id":"gt-b","title":"old"}`+"\n"+`{"id":"gt-c"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, err := mergeExport(path, []string{"gt-b"}, fresh)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, string(l))
	}
	if want := `{"id":"gt-a"}|{"id":"gt-b","title":"new"}|{"id":"gt-c"}`; strings.Join(got, "|") != want {
		t.Errorf("merge = %s, want %s", strings.Join(got, "|"), want)
	}
}

// BenchmarkExportDirty10k is the export a bd write pays at 10,000 beads
// after changing one bead (compare BenchmarkExport10k-style full exports).
func BenchmarkExportDirty10k(b *testing.B) {
	s := newStore(b)
	ctx := context.Background()
	var first string
	err := s.Write(ctx, "bench", func(tx *Tx) error {
		for i := 0; i < 10000; i++ {
			nb, err := tx.Create(&models.Bead{Title: fmt.Sprintf("Bench bead %d", i), Description: "Generated for the benchmark."}, CreateOpts{})
			if err != nil {
				return err
			}
			if i == 0 {
				first = nb.ID
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.ExportDirty(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := i % 5
		if err := s.Write(ctx, "bench", func(tx *Tx) error { _, err := tx.Update(first, Update{Priority: &p}); return err }); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ExportDirty(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
