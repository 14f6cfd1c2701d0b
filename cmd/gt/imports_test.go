package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gastown/gt"

// charmUI are the module paths only app, views and cmd/gt may import.
var charmUI = []string{
	"charm.land/bubbletea", "charm.land/bubbles", "charm.land/lipgloss",
	"github.com/charmbracelet/bubbletea", "github.com/charmbracelet/bubbles",
	"github.com/charmbracelet/lipgloss",
}

// TestImportRules enforces the import arrows of the spec (§2) over the real
// dependency graph.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	type pkg struct {
		ImportPath string
		Imports    []string
		Standard   bool
	}
	checked := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		deps := depsOf(t, p.ImportPath)
		for _, v := range importViolations(p.ImportPath, deps) {
			t.Errorf("%s must not import %s", rel(p.ImportPath), v)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked only %d packages", checked)
	}
}

// depsOf returns every package p depends on, transitively, with whether it is
// in the standard library.
func depsOf(t *testing.T, path string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", path).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", path, err)
	}
	deps := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] != path {
			deps[f[0]] = f[1] == "true"
		}
	}
	return deps
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

func isCharmUI(p string) bool {
	for _, c := range charmUI {
		if under(p, c) || strings.HasPrefix(p, c+"/") || strings.HasPrefix(p, c) {
			return true
		}
	}
	return false
}

// importViolations lists the deps of pkg that the rules forbid.
func importViolations(pkg string, deps map[string]bool) []string {
	r := rel(pkg)
	var bad []string
	for d, std := range deps {
		if std {
			continue
		}
		own := strings.HasPrefix(d, module+"/") || d == module
		dr := rel(d)
		switch {
		case under(r, "models"):
			bad = append(bad, d) // stdlib only
		case under(r, "beads"), under(r, "formulas"), under(r, "ptyhost"):
			if own && !under(dr, "models") && !under(dr, strings.SplitN(r, "/", 2)[0]) || isCharmUI(d) {
				bad = append(bad, d)
			}
		case under(r, "app/town"):
			if own && !(under(dr, "beads") || under(dr, "formulas") || under(dr, "ptyhost") || under(dr, "models") || under(dr, "app/town")) || isCharmUI(d) {
				bad = append(bad, d)
			}
		case under(r, "views"):
			if own && !(under(dr, "views/common") || under(dr, "views/styles") || under(dr, "models") || dr == r) {
				bad = append(bad, d)
			}
		case under(r, "app"):
			if own && !(under(dr, "views") || under(dr, "app") || under(dr, "beads") || under(dr, "formulas") || under(dr, "ptyhost") || under(dr, "models")) {
				bad = append(bad, d)
			}
		}
	}
	return bad
}

// TestImportViolationsDetects proves the checker can fail.
func TestImportViolationsDetects(t *testing.T) {
	cases := []struct {
		pkg  string
		dep  string
		std  bool
		want bool
	}{
		{"models", "fmt", true, false},
		{"models", module + "/beads", false, true},
		{"models", "github.com/mattn/go-sqlite3", false, true},
		{"beads", module + "/models", false, false},
		{"beads", "github.com/mattn/go-sqlite3", false, false},
		{"beads", "charm.land/lipgloss/v2", false, true},
		{"beads", module + "/formulas", false, true},
		{"ptyhost", "charm.land/bubbletea/v2", false, true},
		{"ptyhost", "github.com/charmbracelet/x/vt", false, false},
		{"views/pane", module + "/ptyhost", false, true},
		{"views/pane", module + "/views/styles", false, false},
		{"views/pane", module + "/views/feed", false, true},
		{"views/pane", module + "/app/town", false, true},
		{"app/town", "charm.land/bubbletea/v2", false, true},
		{"app/town", module + "/views", false, true},
		{"app/town", module + "/beads", false, false},
		{"app", module + "/views/pane", false, false},
		{"cmd/gt", module + "/app", false, false},
	}
	for _, c := range cases {
		got := len(importViolations(module+"/"+c.pkg, map[string]bool{c.dep: c.std})) > 0
		if got != c.want {
			t.Errorf("%s importing %s: violation=%v, want %v", c.pkg, c.dep, got, c.want)
		}
	}
}
