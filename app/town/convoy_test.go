package town

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func closeBead(t *testing.T, tw *Town, actor, id string) beads.CloseResult {
	t.Helper()
	var res beads.CloseResult
	withStore(t, tw, func(s *beads.Store) {
		err := s.Write(context.Background(), actor, func(tx *beads.Tx) error {
			var err error
			res, err = tx.CloseIssue(id, "done", false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return res
}

func countConvoys(t *testing.T, tw *Town) int {
	t.Helper()
	var n int
	withStore(t, tw, func(s *beads.Store) {
		l, err := s.List(context.Background(), beads.Filter{Types: []models.IssueType{models.TypeConvoy}, IncludeClosed: true})
		if err != nil {
			t.Fatal(err)
		}
		n = len(l)
	})
	return n
}

func TestCreateConvoy(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	a := mkBead(t, tw, "overseer", models.Bead{Title: "Alpha"}, "mp")
	b := mkBead(t, tw, "overseer", models.Bead{Title: "Beta"}, "mp")

	bad := []struct {
		o    ConvoyCreateOptions
		want string
	}{
		{ConvoyCreateOptions{}, "convoy name is required"},
		{ConvoyCreateOptions{Args: []string{"X", a.ID, "mp-zzzzz"}}, `no issue found matching "mp-zzzzz"`},
		{ConvoyCreateOptions{Args: []string{"X"}, Merge: "rebase"}, `invalid --merge "rebase" (expected mr, direct or local)`},
		{ConvoyCreateOptions{Args: []string{"X"}, Notify: []string{"nowhere/crew/x"}}, `unknown rig "nowhere"`},
		{ConvoyCreateOptions{Args: []string{"X"}, Owner: "a b"}, "--owner: invalid address"},
		{ConvoyCreateOptions{Args: []string{"   "}}, "title is required"},
	}
	for _, tc := range bad {
		if _, err := tw.CreateConvoy(ctx, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.o, err, tc.want)
		}
	}
	if n := countConvoys(t, tw); n != 0 {
		t.Fatalf("failed creates left %d convoys", n)
	}
	if len(eventsOf(t, tw, "convoy_created")) != 0 {
		t.Fatal("failed creates wrote events")
	}

	// Name plus beads (one partial, one duplicate), bare --notify and --human.
	v, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{
		Args: []string{"Feature X", a.ID, strings.TrimPrefix(b.ID, "mp-"), a.ID}, Notify: []string{"mayor/"}, Human: true, Actor: "mayor",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.ID, "hq-cv-") || len(v.ID) != len("hq-cv-")+5 || v.Title != "Feature X" || v.Total != 2 || v.Completed != 0 {
		t.Fatalf("view = %+v", v)
	}
	if v.Meta.Owner != "mayor" || strings.Join(v.Meta.Notify, ",") != "mayor,overseer" || v.Meta.Owned || v.Meta.Merge != "" {
		t.Fatalf("meta = %+v", v.Meta)
	}
	withStore(t, tw, func(s *beads.Store) {
		cb, err := s.Get(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cb.IssueType != models.TypeConvoy || cb.Description != "Convoy tracking 2 issues" || cb.Owner != "mayor" || cb.Priority != models.DefaultPriority {
			t.Fatalf("convoy bead %+v", cb)
		}
		var md map[string]map[string]any
		if err := json.Unmarshal(cb.Metadata, &md); err != nil {
			t.Fatal(err)
		}
		gt := md["gt"]
		if gt["owner"] != "mayor" || gt["owned"] != false || len(gt["notify"].([]any)) != 2 {
			t.Fatalf("metadata.gt = %v", gt)
		}
		deps, _ := s.Dependencies(ctx, v.ID)
		if len(deps) != 2 || deps[0].Type != models.DepTracks || deps[1].Type != models.DepTracks {
			t.Fatalf("deps = %+v", deps)
		}
	})
	evs := eventsOf(t, tw, "convoy_created")
	var p struct {
		Convoy  string   `json:"convoy"`
		Title   string   `json:"title"`
		Tracked []string `json:"tracked"`
	}
	if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &p) != nil || p.Convoy != v.ID || p.Title != "Feature X" || len(p.Tracked) != 2 || evs[0].Actor != "mayor" {
		t.Fatalf("events = %+v", evs)
	}

	// First argument an existing bead: every argument is a bead, name = its title.
	v2, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{b.ID, a.ID}, Owner: "myproject/joe", Owned: true, Merge: "direct", Actor: "overseer"})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Title != "Beta" || v2.Total != 2 || v2.Meta.Owner != "myproject/crew/joe" || !v2.Meta.Owned || v2.Meta.Merge != "direct" || len(v2.Meta.Notify) != 0 {
		t.Fatalf("bead-first convoy = %+v", v2)
	}
	// Zero beads allowed; owner defaults to the caller.
	v3, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{"Bug Fixes"}, Human: true, Actor: "overseer"})
	if err != nil || v3.Total != 0 || v3.Meta.Owner != "overseer" || strings.Join(v3.Meta.Notify, ",") != "overseer" {
		t.Fatalf("empty convoy = %+v, %v", v3, err)
	}
}

func TestConvoyProgressAndLanding(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	a := mkBead(t, tw, "overseer", models.Bead{Title: "Alpha"}, "mp")
	b := mkBead(t, tw, "overseer", models.Bead{Title: "Beta", Assignee: "myproject/polecats/nux", Status: models.StatusHooked}, "mp")
	blocker := mkBead(t, tw, "overseer", models.Bead{Title: "Blocker"}, "mp")
	withStore(t, tw, func(s *beads.Store) {
		if err := s.Write(ctx, "overseer", func(tx *beads.Tx) error { return tx.AddDependency(a.ID, blocker.ID, models.DepBlocks) }); err != nil {
			t.Fatal(err)
		}
	})
	v, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{"Feature X", a.ID, b.ID}, Notify: []string{"mayor", "myproject/crew/joe"}, Human: true, Actor: "mayor"})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{"Nothing"}, Actor: "mayor"})
	if err != nil {
		t.Fatal(err)
	}

	show, err := tw.ShowConvoy(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if show.Tracked[0].ID != a.ID || !show.Tracked[0].Blocked || show.Tracked[0].Glyph() != "○" ||
		show.Tracked[1].Glyph() != "▶" || show.Tracked[1].Assignee != "myproject/polecats/nux" || show.Tracked[1].Blocked {
		t.Fatalf("tracked = %+v", show.Tracked)
	}

	// Closing one tracked bead: progress 1/2, nothing lands.
	closeBead(t, tw, "overseer", blocker.ID)
	res := closeBead(t, tw, "myproject/polecats/nux", b.ID)
	if len(res.AutoClosed) != 0 {
		t.Fatalf("landed early: %+v", res.AutoClosed)
	}
	if err := AfterClose(ctx, tw, res, "myproject/polecats/nux"); err != nil {
		t.Fatal(err)
	}
	show, _ = tw.ShowConvoy(ctx, v.ID)
	if show.Completed != 1 || show.Total != 2 || show.Closed() || show.Tracked[1].Glyph() != "✓" {
		t.Fatalf("progress = %d/%d %s", show.Completed, show.Total, show.Status)
	}

	// Notify on complete: the Mayor also gets a nudge (queued, no host).
	st, err := tw.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.Convoy = &ConvoySettings{NotifyOnComplete: true}
	if err := tw.SaveSettings(st); err != nil {
		t.Fatal(err)
	}

	// Closing the last one lands the convoy in the same transaction.
	res = closeBead(t, tw, "myproject/polecats/nux", a.ID)
	if len(res.AutoClosed) != 1 || res.AutoClosed[0].ID != v.ID || res.AutoClosed[0].CloseReason != "All tracked issues completed" {
		t.Fatalf("auto-closed = %+v", res.AutoClosed)
	}
	if err := AfterClose(ctx, tw, res, "myproject/polecats/nux"); err != nil {
		t.Fatal(err)
	}
	show, _ = tw.ShowConvoy(ctx, v.ID)
	if !show.Closed() || show.Completed != 2 || show.Glyph() != "✓" {
		t.Fatalf("landed convoy = %+v", show)
	}
	// The empty convoy never auto-closes.
	if e, _ := tw.ShowConvoy(ctx, empty.ID); e.Closed() {
		t.Fatal("empty convoy closed")
	}

	// One landing mail per recipient: owner mayor (also in notify), joe, overseer.
	subject := "🚚 Convoy landed: Feature X"
	body := "Every issue tracked by convoy " + v.ID + " is closed."
	for _, who := range []string{"mayor", "myproject/crew/joe", "overseer"} {
		inbox, err := tw.Inbox(ctx, InboxOptions{Identity: who})
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) != 1 || inbox[0].Subject != subject || inbox[0].Body != body || inbox[0].From != "system:convoy-completion" {
			t.Fatalf("%s inbox = %+v", who, inbox)
		}
	}
	closed := eventsOf(t, tw, "convoy_closed")
	var p map[string]any
	if len(closed) != 1 || json.Unmarshal(closed[0].Payload, &p) != nil || p["convoy"] != v.ID || p["title"] != "Feature X" ||
		closed[0].Actor != "system:convoy-completion" {
		t.Fatalf("convoy_closed events = %+v", closed)
	}
	if n := len(eventsOf(t, tw, "mail")); n != 3 {
		t.Fatalf("%d mail events, want 3", n)
	}
	q, _ := PendingNudges(tw.Root, models.MayorAddress, time.Now())
	if len(q) != 1 || q[0].Text != "[from system:convoy-completion] 🚚 Convoy landed: Feature X ("+v.ID+")" {
		t.Fatalf("mayor nudge queue = %+v", q)
	}

	// AfterClose ignores molecule roots and empty results.
	if err := AfterClose(ctx, tw, beads.CloseResult{AutoClosed: []models.Bead{{ID: "x-mol-1", IssueType: models.TypeMolecule}}}, "x"); err != nil {
		t.Fatal(err)
	}
	if n := len(eventsOf(t, tw, "convoy_closed")); n != 1 {
		t.Fatalf("molecule produced convoy events: %d", n)
	}
}

func TestConvoyEdits(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	a := mkBead(t, tw, "overseer", models.Bead{Title: "Alpha"}, "mp")
	b := mkBead(t, tw, "overseer", models.Bead{Title: "Beta"}, "mp")
	c := mkBead(t, tw, "overseer", models.Bead{Title: "Gamma"}, "mp")
	v, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{"Work", a.ID}, Actor: "overseer"})
	if err != nil {
		t.Fatal(err)
	}

	// add: unknown bead changes nothing; non-convoy refused; duplicates skipped.
	if _, err := tw.AddToConvoy(ctx, v.ID, []string{b.ID, "mp-zzzzz"}, "overseer"); err == nil {
		t.Fatal("added an unknown bead")
	}
	if s, _ := tw.ShowConvoy(ctx, v.ID); s.Total != 1 {
		t.Fatalf("failed add changed the convoy: %+v", s)
	}
	if _, err := tw.AddToConvoy(ctx, a.ID, []string{b.ID}, "overseer"); err == nil || err.Error() != a.ID+" is not a convoy" {
		t.Fatalf("add to non-convoy: %v", err)
	}
	res, err := tw.AddToConvoy(ctx, v.ID, []string{a.ID, b.ID}, "overseer")
	if err != nil || strings.Join(res.Added, ",") != b.ID || strings.Join(res.Skipped, ",") != a.ID || res.Reopened {
		t.Fatalf("add = %+v, %v", res, err)
	}

	// remove: untracked bead refused; removing the open one leaves only
	// closed beads, so the convoy lands.
	if _, err := tw.RemoveFromConvoy(ctx, v.ID, []string{c.ID}, "overseer"); err == nil || err.Error() != c.ID+" is not tracked by convoy "+v.ID {
		t.Fatalf("remove untracked: %v", err)
	}
	closeBead(t, tw, "overseer", a.ID)
	rr, err := tw.RemoveFromConvoy(ctx, v.ID, []string{b.ID}, "overseer")
	if err != nil || !rr.Landed || strings.Join(rr.Removed, ",") != b.ID {
		t.Fatalf("remove = %+v, %v", rr, err)
	}
	s, _ := tw.ShowConvoy(ctx, v.ID)
	if !s.Closed() || s.Total != 1 {
		t.Fatalf("after remove = %+v", s)
	}
	if inbox, _ := tw.Inbox(ctx, InboxOptions{Identity: "overseer"}); len(inbox) != 1 || !strings.HasPrefix(inbox[0].Subject, "🚚 Convoy landed: ") {
		t.Fatalf("owner inbox after landing by remove = %+v", inbox)
	}

	// add to a closed convoy reopens it.
	res, err = tw.AddToConvoy(ctx, v.ID, []string{c.ID}, "overseer")
	if err != nil || !res.Reopened {
		t.Fatalf("add to closed = %+v, %v", res, err)
	}
	if s, _ := tw.ShowConvoy(ctx, v.ID); s.Closed() || s.Total != 2 {
		t.Fatalf("reopened = %+v", s)
	}

	// rename and close.
	if _, err := tw.RenameConvoy(ctx, v.ID, "", "overseer"); err == nil {
		t.Fatal("renamed to empty")
	}
	if id, err := tw.RenameConvoy(ctx, strings.TrimPrefix(v.ID, "hq-"), "Renamed", "overseer"); err != nil || id != v.ID {
		t.Fatalf("rename = %s, %v", id, err)
	}
	cv, err := tw.CloseConvoy(ctx, v.ID, "", "overseer")
	if err != nil || !cv.Closed() || cv.Title != "Renamed" {
		t.Fatalf("close = %+v, %v", cv, err)
	}
	if _, err := tw.CloseConvoy(ctx, v.ID, "", "overseer"); err == nil {
		t.Fatal("closed twice")
	}
	if n := len(eventsOf(t, tw, "convoy_closed")); n != 2 {
		t.Fatalf("%d convoy_closed events, want 2 (landing + manual)", n)
	}
}

func TestListConvoysAndIndex(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"One", "Two", "Three"} {
		v, err := tw.CreateConvoy(ctx, ConvoyCreateOptions{Args: []string{name}, Actor: "overseer"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
		time.Sleep(2 * time.Millisecond)
	}
	if _, err := tw.CloseConvoy(ctx, ids[1], "", "overseer"); err != nil {
		t.Fatal(err)
	}
	titles := func(vs []ConvoyView) string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Title)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		o    ConvoyListOptions
		want string
	}{
		{ConvoyListOptions{}, "One,Three"},
		{ConvoyListOptions{All: true}, "One,Two,Three"},
		{ConvoyListOptions{Status: "closed"}, "Two"},
		{ConvoyListOptions{Status: "open", All: true}, "One,Three"},
	} {
		l, err := tw.ListConvoys(ctx, tc.o)
		if err != nil || titles(l) != tc.want {
			t.Errorf("%+v: %s, %v; want %s", tc.o, titles(l), err, tc.want)
		}
	}
	if _, err := tw.ListConvoys(ctx, ConvoyListOptions{Status: "landed"}); err == nil {
		t.Error("bad status accepted")
	}
	if v, err := tw.ShowConvoy(ctx, "2"); err != nil || v.Title != "Three" {
		t.Errorf("show 2 = %+v, %v", v, err)
	}
	for _, bad := range []string{"0", "3", "-1"} {
		if _, err := tw.ShowConvoy(ctx, bad); err == nil {
			t.Errorf("show %s accepted", bad)
		}
	}
	j := func() ConvoyListJSON { v, _ := tw.ShowConvoy(ctx, "1"); return v.ListJSON() }()
	if j.ID != ids[0] || j.Tracked == nil || j.Status != "open" {
		t.Errorf("list json = %+v", j)
	}
}
