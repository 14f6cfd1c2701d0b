package town

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

func ev(typ, actor string, payload string, vis models.Visibility) models.Event {
	return models.Event{TS: time.Date(2026, 3, 2, 10, 15, 4, 0, time.UTC), Source: "gt", Type: typ, Actor: actor,
		Payload: json.RawMessage(payload), Visibility: vis}
}

func TestDescribeEvent(t *testing.T) {
	cases := []struct {
		typ, payload, sym, summary string
	}{
		{"bead_created", `{"bead":"mp-k3v9a","title":"Add retry"}`, "+", "created mp-k3v9a: Add retry"},
		{"bead_status", `{"bead":"mp-k3v9a","from":"open","to":"hooked"}`, "→", "mp-k3v9a open → hooked"},
		{"bead_closed", `{"bead":"mp-k3v9a","reason":"done"}`, "✓", "closed mp-k3v9a (done)"},
		{"sling", `{"bead":"mp-k3v9a","target":"myproject/polecats/nux","convoy":"hq-cv-abcde"}`, "🎯", "slung mp-k3v9a → myproject/polecats/nux (convoy hq-cv-abcde)"},
		{"hook", `{"bead":"mp-k3v9a","target":"mayor"}`, "🪝", "hooked mp-k3v9a → mayor"},
		{"done", `{"bead":"mp-k3v9a","branch":"b","exit":"COMPLETED","mr":"mp-mr1"}`, "✓", "done mp-k3v9a (COMPLETED), MR mp-mr1"},
		{"done", `{"bead":"mp-k3v9a","branch":"b","exit":"ESCALATED"}`, "✗", "done mp-k3v9a (ESCALATED)"},
		{"nudge", `{"to":"mayor","message":"continue"}`, "⚡", "nudged mayor: continue"},
		{"nudge_failed", `{"to":"mayor","message":"hi"}`, "✗", "nudge failed for mayor: hi"},
		{"mail", `{"id":"hq-1","to":"overseer","subject":"Hi"}`, "✉", "mail to overseer: Hi"},
		{"convoy_created", `{"convoy":"hq-cv-abcde","title":"X"}`, "🚚", "convoy hq-cv-abcde created: X"},
		{"convoy_closed", `{"convoy":"hq-cv-abcde","title":"X"}`, "🚚", "convoy hq-cv-abcde landed: X"},
		{"session_start", `{"agent":"mayor","runtime":"demo","pid":7}`, "▶", "mayor started (demo, pid 7)"},
		{"session_end", `{"agent":"mayor","exit_code":0}`, "■", "mayor exited (code 0)"},
		{"session_end", `{"agent":"mayor","exit_code":3}`, "✗", "mayor exited (code 3)"},
		{"session_end", `{"agent":"mayor","exit_code":-1,"signal":"killed"}`, "✗", "mayor exited (signal killed)"},
		{"merge_started", `{"mr":"mp-mr1","branch":"polecat/nux/x"}`, "⚙", "merging mp-mr1 (polecat/nux/x)"},
		{"merged", `{"mr":"mp-mr1","commit":"0123456789abcdef"}`, "✓", "merged mp-mr1 as 01234567"},
		{"merge_failed", `{"mr":"mp-mr1","reason":"conflict"}`, "✗", "merge failed mp-mr1: conflict"},
		{"agent_state", `{"agent":"mayor","from":"working","to":"stalled","reason":"r"}`, "→", "working → stalled (r)"},
		{"agent_state", `{"agent":"r/polecats/x","from":"idle","to":"working"}`, "→", "r/polecats/x idle → working"},
		{"something_new", `{"a":1}`, "·", `something_new {"a":1}`},
		{"something_new", `{}`, "·", "something_new"},
	}
	for _, c := range cases {
		fe := DescribeEvent(ev(c.typ, "mayor", c.payload, models.VisibilityBoth))
		if fe.Symbol != c.sym || fe.Summary != c.summary {
			t.Errorf("%s %s: got %q %q, want %q %q", c.typ, c.payload, fe.Symbol, fe.Summary, c.sym, c.summary)
		}
	}
	fe := DescribeEvent(ev("mail", "mayor", `{"to":"overseer","subject":"two\nlines\u001b[31m"}`, models.VisibilityFeed))
	if got, want := fe.PlainLine(), "2026-03-02T10:15:04Z ✉ mayor mail mail to overseer: two lines [31m"; got != want {
		t.Errorf("plain line\n got %q\nwant %q", got, want)
	}
	if got := fe.Line(); !strings.HasSuffix(got, " ✉ mayor mail to overseer: two lines [31m") || len(fe.Clock()) != 8 {
		t.Errorf("line %q", got)
	}
}

func TestFeedFilter(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)
	since, err := ParseSince("5m", now)
	if err != nil || !since.Equal(now.Add(-5*time.Minute)) {
		t.Fatalf("since 5m: %v %v", since, err)
	}
	if s, err := ParseSince("2026-03-02T10:00:00Z", now); err != nil || s.Hour() != 10 {
		t.Fatalf("since rfc3339: %v %v", s, err)
	}
	for _, bad := range []string{"soon", "-5m", "5"} {
		if _, err := ParseSince(bad, now); err == nil {
			t.Errorf("since %q accepted", bad)
		}
	}
	rigF := FeedFilter{Rig: "myproject", RigPrefix: "mp"}
	cases := []struct {
		name string
		f    FeedFilter
		e    models.Event
		want bool
	}{
		{"feed visible", FeedFilter{}, ev("mail", "mayor", `{}`, models.VisibilityFeed), true},
		{"both visible", FeedFilter{}, ev("mail", "mayor", `{}`, models.VisibilityBoth), true},
		{"audit hidden", FeedFilter{}, ev("mail", "mayor", `{}`, models.VisibilityAudit), false},
		{"since: older", FeedFilter{Since: now.Add(-time.Minute)}, ev("mail", "mayor", `{}`, models.VisibilityFeed), false},
		{"since: newer", FeedFilter{Since: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, ev("mail", "mayor", `{}`, models.VisibilityFeed), true},
		{"type match", FeedFilter{Types: []string{"sling", "mail"}}, ev("mail", "mayor", `{}`, models.VisibilityFeed), true},
		{"type miss", FeedFilter{Types: []string{"sling"}}, ev("mail", "mayor", `{}`, models.VisibilityFeed), false},
		{"rig: actor", rigF, ev("done", "myproject/polecats/nux", `{}`, models.VisibilityBoth), true},
		{"rig: refinery actor", rigF, ev("merged", "myproject/refinery", `{}`, models.VisibilityBoth), true},
		{"rig: payload rig", rigF, ev("rig_added", "overseer", `{"rig":"myproject"}`, models.VisibilityFeed), true},
		{"rig: target", rigF, ev("sling", "mayor", `{"bead":"hq-1","target":"myproject/crew/joe"}`, models.VisibilityFeed), true},
		{"rig: agent", rigF, ev("session_start", "host", `{"agent":"myproject/polecats/nux"}`, models.VisibilityBoth), true},
		{"rig: bead prefix", rigF, ev("bead_created", "overseer", `{"bead":"mp-abcde"}`, models.VisibilityFeed), true},
		{"rig: other rig", rigF, ev("bead_created", "alpha/polecats/x", `{"bead":"al-abcde","rig":"alpha"}`, models.VisibilityFeed), false},
		{"rig: prefix look-alike", rigF, ev("bead_created", "overseer", `{"bead":"mpx-abcde"}`, models.VisibilityFeed), false},
		{"rig: rig name look-alike", rigF, ev("done", "myproject2/polecats/nux", `{}`, models.VisibilityBoth), false},
	}
	for _, c := range cases {
		if got := c.f.Match(c.e); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}

// TestFeedTailExact: complete lines only, each exactly once; a partial
// last line is read once it is finished; malformed lines are skipped.
func TestFeedTailExact(t *testing.T) {
	root := t.TempDir()
	f, err := os.OpenFile(eventlog.Path(root), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := func(i int) string {
		b, _ := eventlog.Encode(models.Event{TS: time.Unix(int64(i), 0), Source: "gt", Type: "mail", Actor: "mayor",
			Payload: json.RawMessage(`{"subject":"s` + string(rune('a'+i)) + `"}`)})
		return string(b)
	}
	write := func(s string) {
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	tail := NewFeedTail(root, FeedFilter{})
	if evs, err := tail.Load(10); err != nil || len(evs) != 0 {
		t.Fatalf("empty: %v %v", evs, err)
	}
	write(line(0) + line(1) + "{garbage\n" + line(2))
	evs, _ := tail.Load(2)
	if len(evs) != 2 || evs[0].Summary != "mail to : sb" || evs[1].Summary != "mail to : sc" {
		t.Fatalf("load last 2: %+v", evs)
	}
	l3 := line(3)
	write(l3[:20])
	if evs, _ := tail.Poll(); len(evs) != 0 {
		t.Fatalf("partial line returned: %+v", evs)
	}
	write(l3[20:])
	if evs, _ := tail.Poll(); len(evs) != 1 || evs[0].Summary != "mail to : sd" {
		t.Fatalf("completed line: %+v", evs)
	}
	if evs, _ := tail.Poll(); len(evs) != 0 {
		t.Fatalf("line repeated: %+v", evs)
	}
	// Follow delivers new lines until the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var got []string
	go func() {
		time.Sleep(50 * time.Millisecond)
		write(line(4) + line(5))
	}()
	err = tail.Follow(ctx, 10*time.Millisecond, func(evs []FeedEvent) error {
		for _, e := range evs {
			got = append(got, e.Summary)
		}
		if len(got) >= 2 {
			cancel()
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "mail to : se,mail to : sf" {
		t.Fatalf("follow: %v %v", got, err)
	}
}

func TestProblemsOrderAndLines(t *testing.T) {
	n := func(s int64) *int64 { return &s }
	rows := []AgentRow{
		{Address: "mayor", State: "working", IdleSeconds: n(5)},
		{Address: "r/polecats/a", State: "stalled", Hook: "r-1", IdleSeconds: n(1000), Reason: "Stalled: no progress for 16m", NeedsAttention: true},
		{Address: "r/polecats/b", State: "zombie", Hook: "r-2", Reason: "hooked work but no session", NeedsAttention: true},
		{Address: "r/polecats/c", State: "gupp", Hook: "r-3", IdleSeconds: n(4000), Reason: "GUPP: hooked work, no progress for 66m", NeedsAttention: true},
		{Address: "r/crew/d", State: "waiting", IdleSeconds: n(3), Reason: "question on screen", NeedsAttention: true},
		{Address: "r/polecats/e", State: "stalled", Hook: "r-5", IdleSeconds: n(2000), Reason: "Stalled: no progress for 33m", NeedsAttention: true},
		{Address: "r/polecats/f", State: "exited", IdleSeconds: n(60), Reason: "exited with code 2", NeedsAttention: true},
		{Address: "r/crew/g", State: "idle"},
	}
	ps := Problems(rows)
	var got []string
	for _, r := range ps.Attention {
		got = append(got, ProblemLine(r))
	}
	want := []string{
		"GUPP  r/polecats/c  r-3  1h GUPP: hooked work, no progress for 66m",
		"WAITING  r/crew/d  -  3s question on screen",
		"STALLED  r/polecats/e  r-5  33m Stalled: no progress for 33m",
		"STALLED  r/polecats/a  r-1  16m Stalled: no progress for 16m",
		"ZOMBIE  r/polecats/b  r-2  - hooked work but no session",
		"EXITED  r/polecats/f  -  1m exited with code 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines\n got %s\nwant %s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ps.OK != 2 || ps.ProblemsFooter() != "6 need attention, 2 ok" {
		t.Fatalf("footer %q", ps.ProblemsFooter())
	}
	if f := Problems(nil).ProblemsFooter(); f != "0 need attention, 0 ok" {
		t.Fatalf("empty footer %q", f)
	}
}

func TestMergingMRs(t *testing.T) {
	e := func(typ, mr string) models.Event {
		return ev(typ, "r/refinery", `{"mr":"`+mr+`"}`, models.VisibilityBoth)
	}
	got := MergingMRs([]models.Event{
		e("merge_started", "a"), e("merge_started", "b"), e("merged", "a"), e("merge_started", "c"),
		e("merge_failed", "c"), e("merge_started", "d"), e("merge_skipped", "d"), e("merge_started", "a"), ev("mail", "x", `{}`, models.VisibilityFeed),
	})
	if strings.Join(got, ",") != "b,a" {
		t.Fatalf("merging %v", got)
	}
	if (MergeQueueLine{Rig: "r", Queued: 2, Merging: "r-mr1"}).String() != "⚙ r: 2 queued, merging r-mr1" ||
		(MergeQueueLine{Rig: "r"}).String() != "⚙ r: 0 queued" {
		t.Fatal("queue line format")
	}
}

func TestLoadFeed(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	work := mkBead(t, tw, "mayor", models.Bead{Title: "Work"}, "mp")
	done := mkBead(t, tw, "mayor", models.Bead{Title: "Done"}, "mp")
	open1 := mkBead(t, tw, "mayor", models.Bead{Title: "Open convoy", IssueType: models.TypeConvoy}, "hq")
	landed := mkBead(t, tw, "mayor", models.Bead{Title: "Landed convoy", IssueType: models.TypeConvoy}, "hq")
	mr := mkBead(t, tw, "mp-polecat", models.Bead{Title: "Merge: x", IssueType: models.TypeMergeRequest,
		Metadata: json.RawMessage(`{"gt":{"rig":"myproject","branch":"b"}}`)}, "mp")
	withStore(t, tw, func(s *beads.Store) {
		err := s.Write(ctx, "mayor", func(tx *beads.Tx) error {
			for _, d := range [][2]string{{open1.ID, work.ID}, {open1.ID, done.ID}, {landed.ID, done.ID}} {
				if err := tx.AddDependency(d[0], d[1], models.DepTracks); err != nil {
					return err
				}
			}
			// Closing its last tracked bead lands the second convoy.
			_, err := tx.CloseIssue(done.ID, "done", false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	recent := []models.Event{ev("merge_started", "myproject/refinery", `{"mr":"`+mr.ID+`"}`, models.VisibilityBoth)}
	snap, err := tw.LoadFeed(ctx, time.Now(), recent)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Convoys) != 2 || snap.Convoys[0].ID != open1.ID || snap.Convoys[0].Landed ||
		snap.Convoys[0].Completed != 1 || snap.Convoys[0].Total != 2 || snap.Convoys[1].ID != landed.ID || !snap.Convoys[1].Landed {
		t.Fatalf("convoys %+v", snap.Convoys)
	}
	if len(snap.Queues) != 1 || snap.Queues[0].String() != "⚙ myproject: 1 queued, merging "+mr.ID {
		t.Fatalf("queues %+v", snap.Queues)
	}
	if snap.Agents.HostLive || snap.Agents.Agents[0].Address != "mayor" {
		t.Fatalf("agents %+v", snap.Agents)
	}
	// A day later the landed convoy is gone; without merge events nothing
	// is merging.
	snap, err = tw.LoadFeed(ctx, time.Now().Add(LandedWindow+time.Minute), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Convoys) != 1 || snap.Convoys[0].ID != open1.ID || snap.Queues[0].String() != "⚙ myproject: 1 queued" {
		t.Fatalf("later: %+v %+v", snap.Convoys, snap.Queues)
	}
	// FeedAgents agrees with gt agents.
	rep, err := tw.FeedAgents(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := tw.Agents(ctx, time.Now())
	if agentAddrs(rep) != agentAddrs(ref) {
		t.Fatalf("FeedAgents %s vs Agents %s", agentAddrs(rep), agentAddrs(ref))
	}
}
