package ptyhost

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMaskAnswered(t *testing.T) {
	lines := []string{"$ run", "Allow demo agent to commit? [y/n] y", "working", "demo> "}
	cases := []struct {
		name     string
		answered map[int]string
		base     int
		want     bool // still waiting on a question
	}{
		{"nothing answered", nil, 0, true},
		{"answered, echo appended", map[int]string{1: "Allow demo agent to commit? [y/n]"}, 0, false},
		{"answered at another absolute line (scrolled)", map[int]string{1: "Allow demo agent to commit? [y/n]"}, 3, true},
		{"scrolled by the same amount", map[int]string{4: "Allow demo agent to commit? [y/n]"}, 3, false},
		{"a different question at that row", map[int]string{1: "Do you want to proceed?"}, 0, true},
	}
	for _, c := range cases {
		got, _ := Waiting(maskAnswered(lines, c.answered, c.base), time.Minute, false, "", "", false, time.Second)
		if got != c.want {
			t.Errorf("%s: waiting = %v, want %v", c.name, got, c.want)
		}
	}
	if q := questionLines(lines); len(q) != 1 || q[1] != "Allow demo agent to commit? [y/n] y" {
		t.Errorf("questionLines = %v", q)
	}
}

// TestAnsweredQuestionStopsWaiting: once the user answers a question, the
// question left on screen must not make the pane `waiting` again when the
// program goes quiet; a new question does.
func TestAnsweredQuestionStopsWaiting(t *testing.T) {
	skipShort(t)
	script := `printf 'Allow it? [y/n] '; read a; echo "got $a"; echo done; read b; printf 'Do you want more? '; read c; sleep 30`
	s := startSession(t, Spec{Argv: []string{"/bin/sh", "-c", script}, Env: testEnv(t), Cols: 60, Rows: 10})
	quiet := 200 * time.Millisecond
	waitFor := func(want bool, what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, reason := s.Waiting("", false, quiet)
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: waiting = %v (%s); screen:\n%s", what, got, reason, s.Snapshot().PlainText())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitScreen(t, s, 10*time.Second, "the question", func(scr *Screen) bool { return strings.Contains(scr.PlainText(), "[y/n]") })
	waitFor(true, "question asked")
	if _, err := s.Write([]byte("y\r")); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, s, 10*time.Second, "the answer's output", func(scr *Screen) bool { return hasLine(scr, "done") })
	// Quiet again, the answered question still on screen: not waiting.
	time.Sleep(3 * quiet)
	waitFor(false, "after the answer")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitQuiet(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	if got, reason := s.Waiting("", false, quiet); got {
		t.Fatalf("answered question raised waiting again: %s", reason)
	}
	if _, err := s.Write([]byte("\r")); err != nil {
		t.Fatal(err)
	}
	waitScreen(t, s, 10*time.Second, "the second question", func(scr *Screen) bool { return strings.Contains(scr.PlainText(), "Do you want more?") })
	waitFor(true, "second question")
}
