package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot is the whole observable state of a database: its export plus
// the audit-independent JSON of every bead (bd export writes only the file
// named, so taking it changes nothing).
func bdSnapshot(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snap.jsonl")
	bdOK(t, dir, nil, "export", "-o", path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBDBadInput is acceptance item 5: every bad input exits 1 with exactly
// one `Error: ` line on stderr, never a panic or stack trace, and changes
// nothing in the database.
func TestBDBadInput(t *testing.T) {
	t.Parallel()
	dir := bdDir(t, "tt")
	a := bdCreate(t, dir, nil, "Alpha")
	b := bdCreate(t, dir, nil, "Beta")
	c := bdCreate(t, dir, nil, "Gamma")
	bdOK(t, dir, nil, "dep", "add", b, a)
	bdOK(t, dir, nil, "dep", "add", c, b)

	corrupt := filepath.Join(t.TempDir(), "corrupt.jsonl")
	good := `{"id":"tt-new01","title":"would be imported","priority":2,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	if err := os.WriteFile(corrupt, []byte(good+"\n"+`{"id":"tt-new02","title":`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	long := strings.Repeat("x", 501)

	cases := []struct {
		name string
		dir  string
		args []string
		want string // exact message, or a prefix when it ends in "…"
	}{
		{"unknown id", dir, []string{"show", "tt-zzzzz"}, `no issue found matching "tt-zzzzz"`},
		{"malformed id", dir, []string{"show", "!!bad id!!"}, `no issue found matching "!!bad id!!"`},
		{"ambiguous id", dir, []string{"show", "tt-"}, `ambiguous ID "tt-" matches 3 issues: …`},
		{"bad priority", dir, []string{"create", "x", "-p", "7"}, "priority must be between 0 and 4 (got 7)"},
		{"bad priority word", dir, []string{"create", "x", "-p", "high"}, "priority must be between 0 and 4 (got high)"},
		{"bad type", dir, []string{"create", "x", "-t", "bogus"}, "invalid issue type: bogus"},
		{"empty title", dir, []string{"create", ""}, "title is required"},
		{"long title", dir, []string{"create", long}, "title must be 500 characters or less (got 501)"},
		{"negative estimate", dir, []string{"create", "x", "-e", "-5"}, "estimated_minutes cannot be negative"},
		{"bad status", dir, []string{"update", a, "-s", "bogus"}, "invalid status: bogus"},
		{"update unknown id", dir, []string{"update", "tt-zzzzz", "-p", "1"}, `no issue found matching "tt-zzzzz"`},
		{"update second id unknown", dir, []string{"update", a, "tt-zzzzz", "-p", "1"}, `no issue found matching "tt-zzzzz"`},
		{"update nothing", dir, []string{"update", a}, "no updates specified (see bd update --help)"},
		{"update bad defer", dir, []string{"update", a, "--defer", "someday"}, `invalid --defer "someday" (use 2026-01-02, RFC 3339 or a duration like 2d)`},
		{"list bad status", dir, []string{"list", "-s", "bogus"}, "invalid status: bogus"},
		{"list bad type", dir, []string{"list", "-t", "bogus"}, "invalid issue type: bogus"},
		{"ready bad sort", dir, []string{"ready", "--sort", "random"}, `invalid sort "random" (use hybrid, priority or oldest)`},
		{"cycle", dir, []string{"dep", "add", a, c}, "cannot add dependency: would create a cycle (…"},
		{"self dependency", dir, []string{"dep", "add", a, a}, "issue cannot depend on itself"},
		{"dep unknown target", dir, []string{"dep", "add", a, "tt-zzzzz"}, `no issue found matching "tt-zzzzz"`},
		{"close blocked", dir, []string{"close", c}, "cannot close " + c + ": blocked by open issues [" + b + "] (use --force to override)"},
		{"close second blocked", dir, []string{"close", a, c}, "cannot close " + c + ": blocked by open issues [" + b + "] (use --force to override)"},
		{"reopen open bead", dir, []string{"reopen", a}, a + " is not closed (status open)"},
		{"comment unknown id", dir, []string{"comments", "add", "tt-zzzzz", "hi"}, `no issue found matching "tt-zzzzz"`},
		{"create with bad parent", dir, []string{"create", "x", "--parent", "tt-zzzzz"}, `no issue found matching "tt-zzzzz"`},
		{"create with bad dep", dir, []string{"create", "x", "--deps", "blocks:tt-zzzzz"}, `no issue found matching "tt-zzzzz"`},
		{"create duplicate id", dir, []string{"create", "x", "--id", a}, "…"},
		{"create bad prefix", dir, []string{"create", "x", "--prefix", "9bad"}, "…"},
		{"search empty", dir, []string{"search", ""}, "search query is required"},
		{"label missing", dir, []string{"label", "add", a}, "issue ID and label is required (usage: bd label add <id>... <label> [flags])"},
		{"show no args", dir, []string{"show"}, "issue ID is required (usage: bd show <id>... [flags])"},
		{"unknown flag", dir, []string{"list", "--frobnicate"}, "unknown flag: --frobnicate"},
		{"unknown verb", dir, []string{"frobnicate"}, `unknown command "frobnicate" for "bd" (see bd --help)`},
		{"unknown dep verb", dir, []string{"dep", "frob"}, `unknown command "frob" for "bd dep" (see bd dep --help)`},
		{"tree bad direction", dir, []string{"dep", "tree", a, "--direction", "sideways"}, `invalid --direction "sideways" (use down or up)`},
		{"corrupt import", dir, []string{"import", "-i", corrupt}, corrupt + ":2: …"},
		{"missing import file", dir, []string{"import", "-i", filepath.Join(empty, "nope.jsonl")}, "import: open …"},
		{"no database", empty, []string{"list"}, "no beads database found (run bd init --prefix <p>, or use --db)"},
		{"no database create", empty, []string{"create", "x"}, "no beads database found (run bd init --prefix <p>, or use --db)"},
	}
	before := bdSnapshot(t, dir)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, asJSON := range []bool{false, true} {
				args := tc.args
				if asJSON {
					args = append(append([]string(nil), args...), "--json")
				}
				out, errOut, code := runBin(t, tc.dir, nil, append([]string{"bd"}, args...)...)
				if code != 1 {
					t.Fatalf("bd %q: exit %d, want 1\nstdout: %s\nstderr: %s", args, code, out, errOut)
				}
				for _, bad := range []string{"panic", "goroutine ", "runtime/"} {
					if strings.Contains(out+errOut, bad) {
						t.Fatalf("bd %q printed %q:\n%s%s", args, bad, out, errOut)
					}
				}
				lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], "Error: ") {
					t.Fatalf("bd %q: stderr is not one Error: line: %q", args, errOut)
				}
				msg := strings.TrimPrefix(lines[0], "Error: ")
				if p, ok := strings.CutSuffix(tc.want, "…"); ok {
					if !strings.HasPrefix(msg, p) {
						t.Errorf("bd %q: %q, want prefix %q", args, msg, p)
					}
				} else if msg != tc.want {
					t.Errorf("bd %q: %q, want %q", args, msg, tc.want)
				}
				if asJSON {
					var obj map[string]string
					if err := json.Unmarshal([]byte(out), &obj); err != nil || obj["error"] != msg {
						t.Errorf("bd %q --json stdout %q, want {\"error\": %q}", args, out, msg)
					}
				} else if !asJSON && out != "" {
					t.Errorf("bd %q: stdout %q on error", args, out)
				}
			}
			if tc.dir == dir {
				if after := bdSnapshot(t, dir); after != before {
					t.Errorf("bad input changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(empty, ".beads")); err == nil {
		t.Error("a failing command created .beads/ in an empty directory")
	}
}
