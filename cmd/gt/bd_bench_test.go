package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// bench10k is a database of 10,000 beads shared by the whole-process
// benchmarks, built once (bd init + bd import of a generated JSONL).
type benchDB struct {
	once sync.Once
	dir  string
	err  error
}

var bench10k benchDB

const benchBeads = 10000

func benchDir(b *testing.B) string {
	b.Helper()
	bin := binDir(b)
	bench10k.once.Do(func() {
		bench10k.dir = filepath.Join(bin, "bench10k")
		bench10k.err = makeBenchDB(b, bench10k.dir, benchBeads)
	})
	if bench10k.err != nil {
		b.Fatal(bench10k.err)
	}
	return bench10k.dir
}

// makeBenchDB writes n beads in a realistic mix (60% open, 20% closed,
// 10% in progress, 10% deferred/hooked; every fifth bead blocked by its
// predecessor; labels on a third) and imports them.
func makeBenchDB(tb testing.TB, dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	src := filepath.Join(dir, "gen.jsonl")
	f, err := os.Create(src)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	base := time.Now().UTC().Add(-30 * 24 * time.Hour)
	id := func(i int) string { return fmt.Sprintf("bn-%06s", strconv.FormatInt(int64(i), 36)) }
	for i := 0; i < n; i++ {
		created := base.Add(time.Duration(i) * 4 * time.Minute).Format(time.RFC3339Nano)
		status := "open"
		extra := ""
		switch i % 10 {
		case 0, 1:
			status = "closed"
			extra = `,"closed_at":"` + created + `","close_reason":"done"`
		case 2:
			status = "in_progress"
		case 3:
			if i%20 == 3 {
				status = "deferred"
			} else {
				status = "hooked"
			}
		}
		line := fmt.Sprintf(`{"id":%q,"title":"Bench bead %d","description":"Generated bead number %d for benchmarks.","status":%q,"priority":%d,"issue_type":"task","created_at":%q,"created_by":"bench","updated_at":%q%s`,
			id(i), i, i, status, i%5, created, created, extra)
		if i%3 == 0 {
			line += `,"labels":["bench","l` + strconv.Itoa(i%7) + `"]`
		}
		if i%5 == 4 && i > 0 {
			line += fmt.Sprintf(`,"dependencies":[{"issue_id":%q,"depends_on_id":%q,"type":"blocks","created_at":%q}]`, id(i), id(i-1), created)
		}
		fmt.Fprintln(w, line+"}")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if _, errOut, code := runBin(tb, dir, nil, "bd", "init", "--prefix", "bn"); code != 0 {
		return fmt.Errorf("bd init: %s", errOut)
	}
	if _, errOut, code := runBin(tb, dir, nil, "bd", "import", "-i", src); code != 0 {
		return fmt.Errorf("bd import: %s", errOut)
	}
	return nil
}

// BenchmarkBDProcessVersion is the floor: starting the binary and exiting.
func BenchmarkBDProcessVersion(b *testing.B) {
	binDir(b)
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, errOut, code := runBin(b, dir, nil, "bd", "version"); code != 0 {
			b.Fatal(errOut)
		}
	}
}

// BenchmarkBDReadyJSON10k is a whole `bd ready --json` process at 10,000
// beads (target < 40 ms on the 2-core CI machine).
func BenchmarkBDReadyJSON10k(b *testing.B) {
	dir := benchDir(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, errOut, code := runBin(b, dir, nil, "bd", "ready", "--json"); code != 0 {
			b.Fatal(errOut)
		}
	}
}

// BenchmarkBDCreate10k is a whole `bd create` process at 10,000 beads,
// including the JSONL export a write does when no host runs (target
// < 40 ms).
func BenchmarkBDCreate10k(b *testing.B) {
	dir := benchDir(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, errOut, code := runBin(b, dir, nil, "bd", "create", "Bench create "+strconv.Itoa(i), "--silent"); code != 0 {
			b.Fatal(errOut)
		}
	}
}

// BenchmarkBDList10k is a whole `bd list` process at 10,000 beads.
func BenchmarkBDList10k(b *testing.B) {
	dir := benchDir(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, errOut, code := runBin(b, dir, nil, "bd", "list"); code != 0 {
			b.Fatal(errOut)
		}
	}
}
