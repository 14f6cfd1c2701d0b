package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

// TestBDConcurrentWriters is acceptance item 3: 30 separate bd processes
// at a time, each worker making 100 mixed writes (create, update, label
// add, comment add, close/reopen, dep add, claim, notes appends to one
// shared bead) against one database. Every command must succeed and the
// final state must equal the serial result exactly.
func TestBDConcurrentWriters(t *testing.T) {
	workers, rounds := 30, 10 // 10 writes per round: 100 per worker
	if testing.Short() {
		workers, rounds = 6, 2
	}
	dir := bdDir(t, "cc")
	shared := bdCreate(t, dir, nil, "Shared bead")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ids := make([][]string, workers) // ids[w][r]: the bead worker w made in round r
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			env := []string{fmt.Sprintf("BD_ACTOR=cw%d", w)}
			run := func(args ...string) (string, bool) {
				if ctx.Err() != nil {
					return "", false
				}
				out, errOut, code := runBin(t, dir, env, append([]string{"bd"}, args...)...)
				if code != 0 || errOut != "" {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("worker %d: bd %s: exit %d: %s", w, strings.Join(args, " "), code, strings.TrimSpace(errOut)))
					mu.Unlock()
					return out, false
				}
				return out, true
			}
			for r := 0; r < rounds; r++ {
				tag := fmt.Sprintf("w%d-r%d", w, r)
				out, ok := run("create", "Bead "+tag, "-l", fmt.Sprintf("worker-%d", w), "--silent")
				if !ok {
					return
				}
				id := strings.TrimSpace(out)
				ids[w] = append(ids[w], id)
				dep := []string{"dep", "add", id, shared, "-t", "related"}
				if r > 0 {
					dep = []string{"dep", "add", id, ids[w][r-1]}
				}
				last := []string{"close", id, "-f"}
				if r%2 == 0 {
					last = []string{"update", id, "--claim"}
				}
				for _, args := range [][]string{
					{"update", shared, "--append-notes", tag + "-a"},
					{"label", "add", shared, tag},
					{"comments", "add", shared, "comment " + tag},
					{"update", id, "--title", "Renamed " + tag, "-p", "1"},
					dep,
					{"close", id, "-f", "-r", "closing " + tag},
					{"reopen", id},
					last,
					{"update", shared, "--append-notes", tag + "-b"},
				} {
					if _, ok := run(args...); !ok {
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("workers did not finish within the time limit")
	}
	if len(failures) > 0 {
		t.Fatalf("%d failed commands, first: %s", len(failures), strings.Join(failures[:min(5, len(failures))], "\n"))
	}

	// The shared bead: every notes line, label and comment exactly once.
	var got []models.Bead
	bdJSON(t, dir, nil, &got, "show", shared)
	s := got[0]
	var wantNotes, wantLabels, wantComments []string
	for w := 0; w < workers; w++ {
		for r := 0; r < rounds; r++ {
			tag := fmt.Sprintf("w%d-r%d", w, r)
			wantNotes = append(wantNotes, tag+"-a", tag+"-b")
			wantLabels = append(wantLabels, tag)
			wantComments = append(wantComments, "comment "+tag)
		}
	}
	notes := strings.Split(strings.TrimSpace(s.Notes), "\n")
	bdSameSet(t, "shared notes lines", notes, wantNotes)
	bdSameSet(t, "shared labels", s.Labels, wantLabels)
	var texts []string
	for _, c := range s.Comments {
		texts = append(texts, c.Text)
	}
	bdSameSet(t, "shared comments", texts, wantComments)

	// Each worker's beads: fields, final status and dependencies.
	var all []models.Bead
	bdJSON(t, dir, nil, &all, "list", "--all", "-n", "0")
	if len(all) != 1+workers*rounds {
		t.Fatalf("%d beads, want %d", len(all), 1+workers*rounds)
	}
	byID := map[string]models.Bead{}
	for _, b := range all {
		byID[b.ID] = b
	}
	for w := 0; w < workers; w++ {
		for r, id := range ids[w] {
			tag := fmt.Sprintf("w%d-r%d", w, r)
			b, ok := byID[id]
			switch {
			case !ok:
				t.Errorf("%s: bead %s missing", tag, id)
				continue
			case b.Title != "Renamed "+tag || b.Priority != 1 || strings.Join(b.Labels, ",") != fmt.Sprintf("worker-%d", w):
				t.Errorf("%s: %s title %q priority %d labels %v", tag, id, b.Title, b.Priority, b.Labels)
			case r%2 == 0 && (b.Status != models.StatusInProgress || b.Assignee != fmt.Sprintf("cw%d", w)):
				t.Errorf("%s: %s status %s assignee %q, want in_progress cw%d", tag, id, b.Status, b.Assignee, w)
			case r%2 == 1 && (b.Status != models.StatusClosed || b.CloseReason != "Closed"):
				t.Errorf("%s: %s status %s reason %q, want closed", tag, id, b.Status, b.CloseReason)
			}
		}
	}
	jsonl := bdJSONLines(t, filepath.Join(dir, ".beads", "issues.jsonl"))
	deps := 0
	for _, line := range jsonl {
		d, _ := line["dependencies"].([]any)
		deps += len(d)
	}
	if len(jsonl) != 1+workers*rounds || deps != workers*rounds {
		t.Errorf("issues.jsonl: %d lines, %d dependencies; want %d and %d", len(jsonl), deps, 1+workers*rounds, workers*rounds)
	}
	// The auto-exported file equals a fresh export: no write was left out.
	fresh := filepath.Join(t.TempDir(), "fresh.jsonl")
	bdOK(t, dir, nil, "export", "-o", fresh)
	a, _ := os.ReadFile(filepath.Join(dir, ".beads", "issues.jsonl"))
	b, _ := os.ReadFile(fresh)
	if string(a) != string(b) {
		t.Error("issues.jsonl after the last write differs from a fresh export")
	}
}

// sameSet reports a difference between two lists taken as multisets.
func bdSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return
	}
	count := map[string]int{}
	for _, x := range g {
		count[x]++
	}
	for _, x := range w {
		count[x]--
	}
	var diff []string
	for k, v := range count {
		if v != 0 {
			diff = append(diff, fmt.Sprintf("%s:%+d", k, v))
		}
	}
	sort.Strings(diff)
	if len(diff) > 10 {
		diff = diff[:10]
	}
	t.Errorf("%s: %d items, want %d; differences (first 10): %v", what, len(g), len(w), diff)
}
