package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// helperEnv makes the test binary act as an appending process: it appends
// GT_EVENTLOG_HELPER_N events to the town in GT_EVENTLOG_HELPER_ROOT.
const (
	helperRoot = "GT_EVENTLOG_HELPER_ROOT"
	helperN    = "GT_EVENTLOG_HELPER_N"
	helperID   = "GT_EVENTLOG_HELPER_ID"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(helperRoot); root != "" {
		n, _ := strconv.Atoi(os.Getenv(helperN))
		id := os.Getenv(helperID)
		// A payload large enough that an interleaved write would show.
		pad := strings.Repeat("x", 3000)
		for i := 0; i < n; i++ {
			if err := Emit(root, SourceGT, "test", "proc-"+id, map[string]any{"proc": id, "seq": i, "pad": pad}, models.VisibilityFeed); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	root := t.TempDir()
	const procs, perProc = 20, 50
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmds := make([]*exec.Cmd, procs)
	for p := range procs {
		c := exec.CommandContext(ctx, exe, "-test.run=^$")
		c.Env = append(os.Environ(), helperRoot+"="+root, helperN+"="+strconv.Itoa(perProc), helperID+"="+strconv.Itoa(p))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[p] = c
	}
	for p, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %d: %v", p, err)
		}
	}
	data, err := os.ReadFile(Path(root))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != procs*perProc {
		t.Fatalf("got %d lines, want %d", len(lines), procs*perProc)
	}
	seen := map[string]int{}
	for i, l := range lines {
		var ev models.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d malformed: %v", i+1, err)
		}
		var p struct {
			Proc string `json:"proc"`
			Seq  int    `json:"seq"`
		}
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			t.Fatalf("line %d payload: %v", i+1, err)
		}
		// Each process's events appear in its own order.
		if p.Seq != seen[p.Proc] {
			t.Fatalf("line %d: proc %s seq %d, want %d", i+1, p.Proc, p.Seq, seen[p.Proc])
		}
		seen[p.Proc]++
	}
	if len(seen) != procs {
		t.Fatalf("events from %d processes, want %d", len(seen), procs)
	}
	evs, err := ReadAll(root)
	if err != nil || len(evs) != procs*perProc {
		t.Fatalf("ReadAll: %d events, %v", len(evs), err)
	}
}

func TestAppendSchema(t *testing.T) {
	root := t.TempDir()
	ts := time.Date(2026, 3, 2, 10, 15, 4, 0, time.FixedZone("X", 3600))
	if err := Append(root, models.Event{TS: ts, Source: SourceGT, Type: "rig_added", Actor: "overseer"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(Path(root))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ts":"2026-03-02T09:15:04Z","source":"gt","type":"rig_added","actor":"overseer","payload":{},"visibility":"feed"}` + "\n"
	if string(data) != want {
		t.Fatalf("line\n got %s\nwant %s", data, want)
	}
	if _, err := os.Stat(filepath.Join(root, LockName)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	if err := Append(root, models.Event{}); err == nil {
		t.Fatal("event without type accepted")
	}
}

func TestReadFromSkipsBadLines(t *testing.T) {
	good := `{"ts":"2026-03-02T09:15:04Z","source":"gt","type":"a","actor":"mayor","payload":{},"visibility":"feed"}`
	good2 := strings.Replace(good, `"a"`, `"b"`, 1)
	cases := []struct {
		name    string
		content string
		types   string
		offset  int // expected offset after read (-1: whole file)
	}{
		{"empty", "", "", 0},
		{"one", good + "\n", "a", -1},
		{"malformed middle", good + "\n{not json\n" + good2 + "\n", "a,b", -1},
		{"blank and junk", "\n   \nhello\n" + good + "\n", "a", -1},
		{"no type", `{"ts":"2026-03-02T09:15:04Z"}` + "\n" + good2 + "\n", "b", -1},
		{"partial last line", good + "\n" + good2[:30], "a", len(good) + 1},
		{"complete last line without newline", good + "\n" + good2, "a", len(good) + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(Path(root), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			evs, off, err := ReadFrom(root, 0)
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			if got := strings.Join(types, ","); got != c.types {
				t.Errorf("types %q, want %q", got, c.types)
			}
			want := int64(c.offset)
			if c.offset < 0 {
				want = int64(len(c.content))
			}
			if off != want {
				t.Errorf("offset %d, want %d", off, want)
			}
		})
	}
}

func TestFollower(t *testing.T) {
	root := t.TempDir()
	f := NewFollower(root, 0)
	if evs, err := f.Poll(); err != nil || len(evs) != 0 {
		t.Fatalf("missing file: %v %v", evs, err)
	}
	for i := range 3 {
		if err := Emit(root, SourceGT, fmt.Sprintf("t%d", i), "mayor", nil, models.VisibilityBoth); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := f.Poll()
	if err != nil || len(evs) != 3 {
		t.Fatalf("first poll: %d %v", len(evs), err)
	}
	// A half-written line is not consumed until it is complete.
	line, err := Encode(models.Event{Type: "late", Actor: "mayor"})
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.OpenFile(Path(root), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.Write(line[:10]); err != nil {
		t.Fatal(err)
	}
	if evs, _ := f.Poll(); len(evs) != 0 {
		t.Fatalf("partial line returned: %v", evs)
	}
	if _, err := fh.Write(line[10:]); err != nil {
		t.Fatal(err)
	}
	evs, err = f.Poll()
	if err != nil || len(evs) != 1 || evs[0].Type != "late" {
		t.Fatalf("completed line: %v %v", evs, err)
	}
	end, err := End(root)
	if err != nil || end != f.Offset() {
		t.Fatalf("End %d, offset %d, %v", end, f.Offset(), err)
	}
	// A replaced (shorter) file restarts from the beginning.
	if err := os.WriteFile(Path(root), line, 0o644); err != nil {
		t.Fatal(err)
	}
	evs, err = f.Poll()
	if err != nil || len(evs) != 1 {
		t.Fatalf("after truncate: %v %v", evs, err)
	}
	last, err := Last(root, 5)
	if err != nil || len(last) != 1 {
		t.Fatalf("Last: %v %v", last, err)
	}
}

// FuzzReadFrom: arbitrary file content never makes the reader fail or
// panic, and it never reads past the last newline.
func FuzzReadFrom(f *testing.F) {
	f.Add([]byte(`{"ts":"2026-03-02T09:15:04Z","type":"a","payload":{}}` + "\n"))
	f.Add([]byte("{\n}\n{\"type\":1}\n\xff\xfe\n{"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		if err := os.WriteFile(Path(root), data, 0o644); err != nil {
			t.Fatal(err)
		}
		evs, off, err := ReadFrom(root, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := int64(strings.LastIndexByte(string(data), '\n') + 1)
		if off != want {
			t.Fatalf("offset %d, want %d", off, want)
		}
		for _, e := range evs {
			if e.Type == "" {
				t.Fatal("event without type returned")
			}
		}
	})
}
