package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// fixture is a town with one of everything the page shows.
type fixture struct {
	readyID, hookedID, closedID, convoyID, landedID, mrID, mailID string
}

func buildFixture(t *testing.T, tw *town.Town, s *beads.Store) fixture {
	root := tw.Root
	t.Helper()
	var f fixture
	addRig(t, tw, "gastown")
	addAgentBead(t, s, "gastown/polecats/nux", "polecat", "gastown")
	f.readyID = createBead(t, s, models.Bead{Title: "Ready task", Priority: 1}, beads.CreateOpts{})
	f.hookedID = createBead(t, s, models.Bead{Title: "Hooked task", Priority: 2, Status: models.StatusHooked,
		Assignee: "gastown/polecats/nux"}, beads.CreateOpts{})
	f.closedID = createBead(t, s, models.Bead{Title: "Finished task", Priority: 2}, beads.CreateOpts{})
	closeBead(t, s, f.closedID)
	f.convoyID = createConvoy(t, s, "Work: ready and hooked", f.readyID, f.hookedID, f.closedID)
	done := createBead(t, s, models.Bead{Title: "Done early", Priority: 2}, beads.CreateOpts{})
	f.landedID = createConvoy(t, s, "Landed convoy", done)
	closeBead(t, s, done) // lands the convoy
	f.mrID = createBead(t, s, models.Bead{Title: "Merge: " + f.hookedID, Priority: 1, IssueType: models.TypeMergeRequest,
		Labels: []string{"gt:merge-request"},
		Metadata: json.RawMessage(`{"gt":{"branch":"polecat/nux/x","target":"main","source_issue":"` + f.hookedID +
			`","rig":"gastown","commit_sha":"abc","worker":"gastown/polecats/nux","retry_count":1}}`)}, beads.CreateOpts{})
	oldMR := createBead(t, s, models.Bead{Title: "Merge: old", Priority: 1, IssueType: models.TypeMergeRequest}, beads.CreateOpts{})
	closeBead(t, s, oldMR)
	f.mailID = createBead(t, s, models.Bead{Title: "Convoy landed", Description: "All done.", Priority: 2,
		IssueType: models.TypeMessage, Assignee: "overseer", Ephemeral: true,
		Labels: []string{"gt:message", "from:mayor", "msg-type:notification"}}, beads.CreateOpts{})
	createBead(t, s, models.Bead{Title: "Not for the overseer", Priority: 2, IssueType: models.TypeMessage,
		Assignee: "mayor", Labels: []string{"gt:message", "from:overseer"}}, beads.CreateOpts{})
	readMail := createBead(t, s, models.Bead{Title: "Old news", Priority: 2, IssueType: models.TypeMessage,
		Assignee: "overseer", Labels: []string{"gt:message", "from:mayor", "read"}}, beads.CreateOpts{})
	_ = readMail
	closedMail := createBead(t, s, models.Bead{Title: "Archived", Priority: 2, IssueType: models.TypeMessage,
		Assignee: "overseer", Labels: []string{"gt:message", "from:mayor"}}, beads.CreateOpts{})
	closeBead(t, s, closedMail)

	// 60 feed events, one audit-only event and a torn last line.
	for i := range 60 {
		if err := eventlog.Emit(root, "gt", "sling", "mayor", map[string]string{"bead": fmt.Sprintf("gt-%03d", i), "target": "gastown"}, models.VisibilityFeed); err != nil {
			t.Fatal(err)
		}
	}
	if err := eventlog.Emit(root, "bd", "bead_updated", "mayor", map[string]string{"bead": "hq-secret"}, models.VisibilityAudit); err != nil {
		t.Fatal(err)
	}
	if err := eventlog.Emit(root, "bd", "bead_closed", "overseer", map[string]string{"bead": f.closedID, "title": "Finished task", "reason": "done"}, models.VisibilityBoth); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStateContent(t *testing.T) {
	tw := newTown(t)
	s := openStore(t, tw)
	f := buildFixture(t, tw, s)
	ts := startServer(t, Options{Town: tw})
	st := ts.getState(t)

	// Convoys: the open one first with its tracked beads and progress, then
	// the landed one.
	if len(st.Convoys) != 2 || st.Convoys[0].ID != f.convoyID || st.Convoys[1].ID != f.landedID {
		t.Fatalf("convoys %+v", st.Convoys)
	}
	c := st.Convoys[0]
	if c.Completed != 1 || c.Total != 3 || c.Status != "open" || c.MergeStrategy != "mr" || len(c.Notify) != 1 {
		t.Errorf("convoy %+v", c)
	}
	tracked := map[string]town.TrackedIssue{}
	for _, b := range c.Tracked {
		tracked[b.ID] = b
	}
	if tracked[f.hookedID].Status != "hooked" || tracked[f.hookedID].Assignee != "gastown/polecats/nux" ||
		tracked[f.closedID].Status != "closed" || tracked[f.readyID].Title != "Ready task" {
		t.Errorf("tracked %+v", c.Tracked)
	}
	if l := st.Convoys[1]; !l.Landed() || l.Completed != 1 || l.Total != 1 || l.ClosedAt == nil {
		t.Errorf("landed convoy %+v", l)
	}

	// Ready: the open task, never convoys, messages or MRs.
	if len(st.Ready) != 1 || st.Ready[0].ID != f.readyID || st.Ready[0].Priority != 1 {
		t.Errorf("ready %+v", st.Ready)
	}
	// Hooked: the hooked bead with its assignee.
	if len(st.Hooked) != 1 || st.Hooked[0].ID != f.hookedID || st.Hooked[0].Assignee != "gastown/polecats/nux" {
		t.Errorf("hooked %+v", st.Hooked)
	}
	// Merge queue: the open MR with its metadata; the closed one is gone.
	if len(st.MergeQueue) != 1 {
		t.Fatalf("merge queue %+v", st.MergeQueue)
	}
	if mr := st.MergeQueue[0]; mr.ID != f.mrID || mr.Branch != "polecat/nux/x" || mr.Rig != "gastown" ||
		mr.Worker != "gastown/polecats/nux" || mr.SourceIssue != f.hookedID || mr.RetryCount != 1 {
		t.Errorf("merge request %+v", mr)
	}
	// Mail: open messages to the overseer (ephemeral included), newest first.
	if len(st.Mail) != 2 || st.Mail[1].ID != f.mailID {
		t.Fatalf("mail %+v", st.Mail)
	}
	if m := st.Mail[1]; m.From != "mayor" || m.Subject != "Convoy landed" || m.Body != "All done." || m.Type != "notification" || m.Read {
		t.Errorf("mail %+v", m)
	}
	if !st.Mail[0].Read || st.Mail[0].Subject != "Old news" {
		t.Errorf("read mail %+v", st.Mail[0])
	}
	// Agents: the Mayor first, then the polecat with hooked work; with no
	// host the polecat is a zombie and a problem.
	if len(st.Agents) != 2 || st.Agents[0].Address != "mayor" || st.Agents[1].Address != "gastown/polecats/nux" {
		t.Fatalf("agents %+v", st.Agents)
	}
	nux := st.Agents[1]
	if nux.State != "zombie" || nux.Hook != f.hookedID || nux.HookTitle != "Hooked task" || nux.Session != "none" ||
		nux.Role != "polecat" || nux.Rig != "gastown" || nux.Name != "nux" || nux.PID != nil || !nux.NeedsAttention {
		t.Errorf("polecat %+v", nux)
	}
	if st.Agents[0].State != "idle" || st.Agents[0].NeedsAttention {
		t.Errorf("mayor %+v", st.Agents[0])
	}
	if len(st.Problems) != 1 || st.Problems[0].Address != nux.Address || st.Problems[0].Reason != "hooked work but no session" {
		t.Errorf("problems %+v", st.Problems)
	}
	// Events: the last 50 feed events, oldest first, audit-only skipped.
	if len(st.Events) != maxEvents {
		t.Fatalf("%d events, want %d", len(st.Events), maxEvents)
	}
	last := st.Events[len(st.Events)-1]
	if last.Type != "bead_closed" || last.Symbol != "✓" || !strings.Contains(last.Summary, f.closedID) {
		t.Errorf("last event %+v", last)
	}
	if first := st.Events[0]; first.Type != "sling" || !strings.Contains(first.Summary, "gt-011") || first.Symbol != "🎯" {
		t.Errorf("first event %+v (want the 12th sling)", first)
	}
	for _, e := range st.Events {
		if strings.Contains(e.Summary, "hq-secret") {
			t.Error("an audit-only event is in the feed")
		}
	}

	// A day later the landed convoy is gone.
	later := startServer(t, Options{Town: tw, Now: func() time.Time { return time.Now().Add(25 * time.Hour) }})
	if st := later.getState(t); len(st.Convoys) != 1 || st.Convoys[0].ID != f.convoyID {
		t.Errorf("a day later convoys are %+v", st.Convoys)
	}

	// The page shows the same things.
	_, body := ts.do(t, "GET", "/", "", nil, nil)
	page := string(body)
	for _, want := range []string{f.convoyID, `data-completed="1" data-total="3"`, "Work: ready and hooked", f.readyID,
		f.hookedID, f.mrID, "Convoy landed", `data-agent="gastown/polecats/nux" data-state="zombie"`,
		"no gt host running: live session states unavailable", "hq-cv-", "closed " + f.closedID} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestEventsFollowLog: new events show up, and a replaced log does not
// leave stale ones behind.
func TestEventsFollowLog(t *testing.T) {
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})
	if err := eventlog.Emit(tw.Root, "gt", "nudge", "overseer", map[string]string{"to": "mayor", "message": "hello"}, models.VisibilityFeed); err != nil {
		t.Fatal(err)
	}
	st := ts.getState(t)
	n := len(st.Events)
	if n == 0 || st.Events[n-1].Symbol != "⚡" || st.Events[n-1].Summary != "nudged mayor: hello" {
		t.Fatalf("events %+v", st.Events)
	}
	if err := eventlog.Emit(tw.Root, "host", "session_end", "host", map[string]any{"agent": "mayor", "exit_code": 2}, models.VisibilityBoth); err != nil {
		t.Fatal(err)
	}
	st = ts.getState(t)
	if len(st.Events) != n+1 || st.Events[n].Symbol != "✗" || st.Events[n].Summary != "mayor exited (code 2)" {
		t.Fatalf("after session_end: %+v", st.Events)
	}
}

func TestDescribeEvents(t *testing.T) {
	cases := []struct {
		typ     string
		payload string
		symbol  string
		summary string
	}{
		{"sling", `{"bead":"gt-1","target":"gastown/polecats/nux","convoy":"hq-cv-abcde"}`, "🎯", "slung gt-1 → gastown/polecats/nux (convoy hq-cv-abcde)"},
		{"hook", `{"bead":"gt-1","target":"mayor"}`, "🪝", "hooked gt-1 → mayor"},
		{"done", `{"bead":"gt-1","branch":"b","exit":"COMPLETED","mr":"gt-2"}`, "✓", "done gt-1 (COMPLETED), MR gt-2"},
		{"mail", `{"id":"hq-1","to":"overseer","subject":"Hi"}`, "✉", "mail to overseer: Hi"},
		{"convoy_closed", `{"convoy":"hq-cv-abcde","title":"Work"}`, "🚚", "convoy hq-cv-abcde landed: Work"},
		{"session_start", `{"agent":"mayor","runtime":"demo","pid":42}`, "▶", "mayor started (demo, pid 42)"},
		{"session_end", `{"agent":"mayor","exit_code":0}`, "■", "mayor exited (code 0)"},
		{"agent_state", `{"agent":"mayor","from":"working","to":"waiting","reason":"prompt"}`, "→", "mayor working → waiting (prompt)"},
		{"merge_started", `{"mr":"gt-2","branch":"b"}`, "⚙", "merging gt-2 (b)"},
		{"merged", `{"mr":"gt-2","commit":"0123456789abcdef"}`, "✓", "merged gt-2 as 01234567"},
		{"merge_failed", `{"mr":"gt-2","reason":"conflict"}`, "✗", "merge failed gt-2: conflict"},
		{"bead_created", `{"bead":"gt-3","title":"T"}`, "+", "created gt-3: T"},
		{"bead_status", `{"bead":"gt-3","from":"open","to":"hooked"}`, "→", "gt-3 open → hooked"},
		{"weird", `{"x":1}`, "·", `weird {"x":1}`},
		{"broken", `not json`, "·", "broken not json"},
	}
	for _, c := range cases {
		d := town.DescribeEvent(models.Event{Type: c.typ, Payload: json.RawMessage(c.payload)})
		if sym, sum := d.Symbol, d.Summary; sym != c.symbol || sum != c.summary {
			t.Errorf("%s: got %q %q, want %q %q", c.typ, sym, sum, c.symbol, c.summary)
		}
	}
}

func TestHashIgnoresIdleTicks(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	a := State{Agents: []Agent{{Address: "mayor", State: "stalled", IdleSeconds: secs(960), Reason: "Stalled: no progress for 16m"}}}
	b := State{Agents: []Agent{{Address: "mayor", State: "stalled", IdleSeconds: secs(1020), Reason: "Stalled: no progress for 17m"}}}
	if hashState(a) != hashState(b) {
		t.Error("idle time alone changed the hash")
	}
	c := State{Agents: []Agent{{Address: "mayor", State: "gupp", IdleSeconds: secs(1900)}}}
	if hashState(a) == hashState(c) {
		t.Error("a state change did not change the hash")
	}
	d := a
	d.Convoys = []Convoy{{ConvoyShowJSON: town.ConvoyShowJSON{ID: "hq-cv-aaaaa", Completed: 1, Total: 2}}}
	e := a
	e.Convoys = []Convoy{{ConvoyShowJSON: town.ConvoyShowJSON{ID: "hq-cv-aaaaa", Completed: 2, Total: 2}}}
	if hashState(d) == hashState(e) {
		t.Error("convoy progress did not change the hash")
	}
}

// TestStateUnreadableStore: a broken store is an error reply, not a panic.
func TestStateErrorReply(t *testing.T) {
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})
	if err := ts.srv.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := ts.do(t, "GET", "/api/state", "", nil, nil)
	if resp.StatusCode != 500 || !strings.Contains(string(body), `"error"`) {
		t.Errorf("closed store: %s %s", resp.Status, body)
	}
	if _, _, err := ts.srv.collect(context.Background()); err == nil {
		t.Error("collect on a closed store succeeded")
	}
}
