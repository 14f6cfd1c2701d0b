package beads

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// benchFixtures builds each fixture database once per test process; every
// benchmark then works on its own copy.
type benchFixtures struct {
	mu    sync.Mutex
	dir   string
	paths map[int]string
}

var fixtures = &benchFixtures{paths: map[int]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtures.dir != "" {
		_ = os.RemoveAll(fixtures.dir)
	}
	os.Exit(code)
}

// fixtureStore returns a store holding n bulk beads (see bulkInsert), copied
// from a template built on first use.
func fixtureStore(b *testing.B, n int) *Store {
	b.Helper()
	fixtures.mu.Lock()
	tmpl, ok := fixtures.paths[n]
	if !ok {
		if fixtures.dir == "" {
			dir, err := os.MkdirTemp("", "gt-beads-bench-*")
			if err != nil {
				fixtures.mu.Unlock()
				b.Fatal(err)
			}
			fixtures.dir = dir
		}
		tmpl = filepath.Join(fixtures.dir, fmt.Sprintf("n%d", n), "beads.db")
		s, err := Open(context.Background(), tmpl)
		if err != nil {
			fixtures.mu.Unlock()
			b.Fatal(err)
		}
		if err := s.SetDefaultPrefix(context.Background(), "gt"); err != nil {
			fixtures.mu.Unlock()
			b.Fatal(err)
		}
		bulkInsert(b, s, "gt", n, time.Now().Add(-time.Duration(n)*time.Second-time.Hour))
		// Checkpoint so the template is one self-contained file.
		if _, err := s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			fixtures.mu.Unlock()
			b.Fatal(err)
		}
		_ = s.Close()
		fixtures.paths[n] = tmpl
	}
	fixtures.mu.Unlock()

	dst := filepath.Join(b.TempDir(), "beads.db")
	if err := copyFile(tmpl, dst); err != nil {
		b.Fatal(err)
	}
	s, err := Open(context.Background(), dst)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

var benchSizes = []int{10_000, 100_000}

// cpuMeter reports process CPU time (user+sys) per op as "cpu-ns/op": on a
// shared, loaded machine wall time overstates the cost.
type cpuMeter struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter { return cpuMeter{start: cpuNow()} }

func (m cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuNow()-m.start)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkCreate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("beads=%d", n), func(b *testing.B) {
			s := fixtureStore(b, n)
			ctx := context.Background()
			cpu := startCPU()
			defer cpu.report(b)
			for i := 0; b.Loop(); i++ {
				err := s.Write(ctx, "bench", func(tx *Tx) error {
					_, err := tx.Create(&models.Bead{Title: fmt.Sprintf("bench %d", i), Priority: 2, Labels: []string{"bench"}}, CreateOpts{})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("beads=%d", n), func(b *testing.B) {
			s := fixtureStore(b, n)
			ctx := context.Background()
			cpu := startCPU()
			defer cpu.report(b)
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("gt-b%07d", (i*7919)%n)
				p := i % 5
				notes := fmt.Sprintf("note %d", i)
				err := s.Write(ctx, "bench", func(tx *Tx) error {
					_, err := tx.Update(id, Update{Priority: &p, Notes: &notes})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReady(b *testing.B) {
	for _, n := range benchSizes {
		for _, limit := range []int{10, 0} {
			b.Run(fmt.Sprintf("beads=%d/limit=%d", n, limit), func(b *testing.B) {
				s := fixtureStore(b, n)
				ctx := context.Background()
				cpu := startCPU()
				defer cpu.report(b)
				for b.Loop() {
					got, err := s.Ready(ctx, ReadyFilter{Limit: limit})
					if err != nil || len(got) == 0 {
						b.Fatalf("ready = %d, %v", len(got), err)
					}
				}
			})
		}
	}
}

// BenchmarkOpenReadyClose approximates a whole `bd ready` process: open the
// database (migration check included), compute ready, close.
func BenchmarkOpenReadyClose(b *testing.B) {
	s := fixtureStore(b, 10_000)
	path := s.DBPath()
	ctx := context.Background()
	cpu := startCPU()
	defer cpu.report(b)
	for b.Loop() {
		st, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		if got, err := st.Ready(ctx, ReadyFilter{Limit: 10}); err != nil || len(got) != 10 {
			b.Fatalf("ready = %d, %v", len(got), err)
		}
		_ = st.Close()
	}
}

func BenchmarkList(b *testing.B) {
	for _, n := range benchSizes {
		for _, limit := range []int{50, 0} {
			b.Run(fmt.Sprintf("beads=%d/limit=%d", n, limit), func(b *testing.B) {
				s := fixtureStore(b, n)
				ctx := context.Background()
				cpu := startCPU()
				defer cpu.report(b)
				for b.Loop() {
					got, err := s.List(ctx, Filter{Limit: limit})
					if err != nil || len(got) == 0 {
						b.Fatalf("list = %d, %v", len(got), err)
					}
				}
			})
		}
	}
}

func BenchmarkExport(b *testing.B) {
	s := fixtureStore(b, 10_000)
	ctx := context.Background()
	out := filepath.Join(b.TempDir(), "out.jsonl")
	for b.Loop() {
		if _, err := s.Export(ctx, out, ExportOpts{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImport(b *testing.B) {
	src := fixtureStore(b, 10_000)
	ctx := context.Background()
	jsonl := filepath.Join(b.TempDir(), "issues.jsonl")
	if n, err := src.Export(ctx, jsonl, ExportOpts{}); err != nil || n != 10_000 {
		b.Fatalf("export = %d, %v", n, err)
	}
	data, err := os.ReadFile(jsonl)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("beads=10000", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dst, err := Open(ctx, filepath.Join(b.TempDir(), "beads.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := dst.Import(ctx, bytes.NewReader(data), "issues.jsonl")
			if err != nil || res.Created != 10_000 {
				b.Fatalf("import = %+v, %v", res, err)
			}
			b.StopTimer()
			_ = dst.Close()
			b.StartTimer()
		}
	})
}
