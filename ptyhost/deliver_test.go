package ptyhost

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func typistSession(t *testing.T, readyMS string, bracketed bool, timing DeliveryTiming) *Session {
	t.Helper()
	env := testEnv(t, "PTYHOST_HELPER=typist", "PTYHOST_READY_MS="+readyMS)
	if bracketed {
		env = append(env, "PTYHOST_BRACKETED=1")
	}
	s := startSession(t, Spec{Argv: []string{os.Args[0], "-test.run=^$"}, Env: env, Cols: 60, Rows: 12, Delivery: timing})
	waitScreen(t, s, 10*time.Second, "typist prompt", func(scr *Screen) bool { return hasLine(scr, ">") })
	return s
}

func countLines(scr *Screen, want string) int {
	n := 0
	for _, l := range scr.PlainLines() {
		if l == want {
			n++
		}
	}
	return n
}

// TestTypeTextRetriesUntilReady: the program ignores CR while it boots; the
// text stays in its input line, so CR is resent until it is submitted, once.
func TestTypeTextRetriesUntilReady(t *testing.T) {
	skipShort(t)
	t.Parallel()
	timing := DeliveryTiming{SubmitDelay: 50 * time.Millisecond, RetryAfter: 400 * time.Millisecond, MaxRetries: 2}
	s := typistSession(t, "700", false, timing)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.TypeText(ctx, "hello\nworld"); err != nil {
		t.Fatalf("TypeText: %v", err)
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Fatalf("delivered after %v: the first CR cannot have been taken", d)
	}
	scr := s.Snapshot()
	if countLines(scr, "submitted: hello world") != 1 {
		t.Fatalf("want one submission of the text with the line break as a space:\n%s", scr.PlainText())
	}
}

func TestTypeTextReportsFailure(t *testing.T) {
	skipShort(t)
	t.Parallel()
	timing := DeliveryTiming{SubmitDelay: 20 * time.Millisecond, RetryAfter: 150 * time.Millisecond, MaxRetries: 2}
	s := typistSession(t, "never", false, timing)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err := s.TypeText(ctx, "are you there")
	if !errors.Is(err, ErrNotSubmitted) {
		t.Fatalf("err = %v, want ErrNotSubmitted", err)
	}
	// 1 CR + 2 resends, each followed by RetryAfter.
	if d := time.Since(start); d < 3*150*time.Millisecond {
		t.Fatalf("gave up after %v", d)
	}
	if !strings.Contains(s.Snapshot().PlainText(), "> are you there") {
		t.Fatalf("text not typed:\n%s", s.Snapshot().PlainText())
	}
}

// TestTypeTextQueueIsFIFO: concurrent nudges are typed one after the other
// in call order, each as one bracketed paste.
func TestTypeTextQueueIsFIFO(t *testing.T) {
	skipShort(t)
	t.Parallel()
	timing := DeliveryTiming{SubmitDelay: 60 * time.Millisecond, RetryAfter: 200 * time.Millisecond, MaxRetries: 2}
	s := typistSession(t, "0", true, timing)
	waitScreen(t, s, 5*time.Second, "bracketed paste on", func(*Screen) bool { return s.Modes().BracketedPaste })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msgs := []string{"[from mayor] one", "[from mayor] two", "[from mayor] three\nwith a second line"}
	var wg sync.WaitGroup
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.TypeText(ctx, m)
		}()
		time.Sleep(15 * time.Millisecond) // fix the call order
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("nudge %d: %v", i, err)
		}
	}
	lines := s.Snapshot().PlainLines()
	var got []string
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "submitted: "); ok {
			got = append(got, rest)
		}
	}
	want := []string{"[from mayor] one", "[from mayor] two", "[from mayor] three with a second line"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("submissions %q, want %q", got, want)
	}
}

func TestTypedBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in        string
		bracketed bool
		want      string
	}{
		{"a\r\nb\nc\rd", false, "a b c d"},
		{"a\r\nb", true, "\x1b[200~a\nb\x1b[201~"},
		{"evil\x1b[201~\x03\tx", true, "\x1b[200~evil[201~ x\x1b[201~"},
		{"✳ ok\x7f", false, "✳ ok"},
	} {
		if got := string(typedBytes(c.in, c.bracketed)); got != c.want {
			t.Errorf("typedBytes(%q, %v) = %q, want %q", c.in, c.bracketed, got, c.want)
		}
	}
	if got := string(pasteBytes("a\r\nb\x1b[201~c", true)); got != "\x1b[200~a\nbc\x1b[201~" {
		t.Errorf("pasteBytes bracketed = %q", got)
	}
	if got := string(pasteBytes("a\nb", false)); got != "a\rb" {
		t.Errorf("pasteBytes raw = %q", got)
	}
}

func TestTextOnLines(t *testing.T) {
	t.Parallel()
	box := []string{
		"╭──────────────────╮",
		"│ > [from mayor] Wo│",
		"│ rk slung: mp-k3v │",
		"╰──────────────────╯",
		"",
		"  ? for shortcuts",
		"",
	}
	if !textOnLines(box[:4], "[from mayor] Work slung: mp-k3v") {
		t.Error("wrapped boxed text not found")
	}
	if textOnLines(box, "[from mayor] Work slung: mp-k3v9a") {
		t.Error("found text whose end is not on screen")
	}
	if textOnLines([]string{"a", "b"}, "") {
		t.Error("empty text found")
	}
}
