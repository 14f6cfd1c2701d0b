package town

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func TestNudgeQueueOrderAndExpiry(t *testing.T) {
	root := shortRoot(t)
	nux := models.Address{Role: models.RolePolecat, Rig: "myproject", Name: "nux"}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	// Enqueued out of order; the queue orders by creation time.
	for _, n := range []struct {
		text string
		age  time.Duration
	}{
		{"third", time.Minute},
		{"expired", NudgeMaxAge + time.Second},
		{"first", time.Hour},
		{"edge", NudgeMaxAge}, // exactly 24 h: still kept
		{"second", 30 * time.Minute},
	} {
		if _, err := EnqueueNudge(root, nux, QueuedNudge{From: "mayor", Text: n.text, Mode: NudgeQueue, CreatedAt: now.Add(-n.age)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := NudgeQueueDir(root, nux)
	if filepath.Base(dir) != "myproject--polecats--nux" {
		t.Fatalf("queue dir %s", dir)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("queue dir mode %v", st.Mode().Perm())
	}
	// Junk in the queue: a temp file and a corrupt entry.
	_ = os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("x"), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "5-zz.json"), []byte("{"), 0o600)

	list, err := PendingNudges(root, nux, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range list {
		got = append(got, n.Text)
		if n.To != "myproject/polecats/nux" || n.From != "mayor" {
			t.Errorf("entry %+v", n)
		}
	}
	if strings.Join(got, ",") != "edge,first,second,third" {
		t.Fatalf("order = %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "5-zz.json")); !errors.Is(err, os.ErrNotExist) {
		t.Error("corrupt entry not removed")
	}
	ents, _ := os.ReadDir(dir)
	names := 0
	for _, e := range ents {
		if _, _, ok := queueName(e.Name()); ok {
			names++
		}
	}
	if names != 4 {
		t.Errorf("%d queue files left, want 4 (expired one deleted)", names)
	}
	// Pop in order.
	for _, want := range []string{"edge", "first", "second", "third"} {
		n, ok, err := PopNudge(root, nux, now)
		if err != nil || !ok || n.Text != want {
			t.Fatalf("pop = %+v %v %v, want %q", n, ok, err, want)
		}
	}
	if _, ok, err := PopNudge(root, nux, now); ok || err != nil {
		t.Fatalf("pop from empty queue: %v %v", ok, err)
	}
	// Empty or missing queues are not errors.
	if l, err := PendingNudges(root, models.MayorAddress, now); l != nil || err != nil {
		t.Fatalf("missing queue: %v %v", l, err)
	}
	if _, err := EnqueueNudge(root, models.OverseerAddress, QueuedNudge{Text: "x"}); err == nil {
		t.Fatal("queued a nudge for the overseer")
	}
}

func TestNudgeFileFormat(t *testing.T) {
	root := shortRoot(t)
	path, err := EnqueueNudge(root, models.MayorAddress, QueuedNudge{From: "overseer", Text: "[from overseer] hi", Mode: NudgeWaitIdle})
	if err != nil {
		t.Fatal(err)
	}
	ns, rnd, ok := queueName(filepath.Base(path))
	if !ok || ns <= 0 || len(rnd) != 8 {
		t.Fatalf("file name %s", filepath.Base(path))
	}
	var n map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatal(err)
	}
	if n["to"] != "mayor" || n["text"] != "[from overseer] hi" || n["mode"] != "wait-idle" || n["created_at"] == nil {
		t.Fatalf("entry %v", n)
	}
}

func TestTownNudge(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()

	for _, bad := range []string{"nobody", "overseer", "myproject/polecats/ghost", "otherrig/crew/joe", "a/b/c/d", ""} {
		_, err := tw.Nudge(ctx, NudgeOptions{Target: bad, Message: "hi", Sender: "mayor"})
		if err == nil || err.Error() != `unknown agent address "`+bad+`"` {
			t.Errorf("target %q: err = %v", bad, err)
		}
	}
	if _, err := tw.Nudge(ctx, NudgeOptions{Target: "mayor", Message: "  ", Sender: "x"}); err == nil || err.Error() != "message is required" {
		t.Errorf("empty message: %v", err)
	}
	if _, err := tw.Nudge(ctx, NudgeOptions{Target: "mayor", Message: "x", Mode: "later"}); err == nil || !strings.Contains(err.Error(), `invalid --mode "later"`) {
		t.Errorf("bad mode: %v", err)
	}
	if len(eventsOf(t, tw, "nudge")) != 0 {
		t.Fatal("failed nudges wrote events")
	}

	// No host: queued under the canonical address of the short form.
	res, err := tw.Nudge(ctx, NudgeOptions{Target: "myproject/nux", Message: "check CI", Sender: "mayor"})
	if err != nil || !res.Queued || res.Address.String() != "myproject/polecats/nux" {
		t.Fatalf("queued nudge = %+v, %v", res, err)
	}
	q, _ := PendingNudges(tw.Root, res.Address, time.Now())
	if len(q) != 1 || q[0].Text != "[from mayor] check CI" || q[0].Mode != NudgeWaitIdle {
		t.Fatalf("queue = %+v", q)
	}
	// Crew short form resolves to the crew member.
	res, err = tw.Nudge(ctx, NudgeOptions{Target: "myproject/joe", Message: "hello", Sender: "overseer", Mode: NudgeImmediate})
	if err != nil || res.Address.String() != "myproject/crew/joe" {
		t.Fatalf("crew nudge = %+v, %v", res, err)
	}

	// With a host: handed over, not queued.
	h := &fakeHost{}
	startFakeHost(t, tw.Root, h)
	res, err = tw.Nudge(ctx, NudgeOptions{Target: "mayor/", Message: "continue", Sender: "overseer", Mode: NudgeQueue})
	if err != nil || res.Queued {
		t.Fatalf("hosted nudge = %+v, %v", res, err)
	}
	reqs := h.requests()
	if len(reqs) != 1 || reqs[0] != (HostRequest{Op: OpNudge, Agent: "mayor", Message: "[from overseer] continue", Mode: NudgeQueue}) {
		t.Fatalf("host got %+v", reqs)
	}
	if q, _ := PendingNudges(tw.Root, models.MayorAddress, time.Now()); len(q) != 0 {
		t.Fatalf("hosted nudge also queued: %+v", q)
	}
	// The host queues it itself when the agent has no session.
	h.set(func(h *fakeHost) { h.queued = true })
	if res, err := tw.Nudge(ctx, NudgeOptions{Target: "mayor", Message: "x", Sender: "overseer"}); err != nil || !res.Queued {
		t.Fatalf("host-queued nudge = %+v, %v", res, err)
	}
	// A host refusal is an error.
	h.set(func(h *fakeHost) { h.fail = errors.New("pane is a shell") })
	if _, err := tw.Nudge(ctx, NudgeOptions{Target: "mayor", Message: "x", Sender: "overseer"}); err == nil || !strings.Contains(err.Error(), "pane is a shell") {
		t.Fatalf("refused nudge: %v", err)
	}

	evs := eventsOf(t, tw, "nudge")
	if len(evs) != 4 {
		t.Fatalf("%d nudge events, want 4", len(evs))
	}
	var p map[string]string
	_ = json.Unmarshal(evs[0].Payload, &p)
	if evs[0].Actor != "mayor" || p["to"] != "myproject/polecats/nux" || p["message"] != "check CI" || evs[0].Visibility != models.VisibilityBoth {
		t.Fatalf("event %+v %v", evs[0], p)
	}
}
