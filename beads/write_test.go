package beads

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func TestCloseRefusedWhileBlocked(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, id := range []string{"gt-x", "gt-a", "gt-b", "gt-c", "gt-child", "gt-free"} {
		create(t, s, models.Bead{ID: id, Title: id}, CreateOpts{})
	}
	addDep(t, s, "gt-x", "gt-b", models.DepBlocks)
	addDep(t, s, "gt-x", "gt-a", models.DepBlocks)
	addDep(t, s, "gt-x", "gt-c", models.DepRelated)
	addDep(t, s, "gt-child", "gt-x", models.DepParentChild)

	tests := []struct {
		id      string
		force   bool
		wantErr string
	}{
		{"gt-x", false, "cannot close gt-x: blocked by open issues [gt-a, gt-b] (use --force to override)"},
		{"gt-child", false, "cannot close gt-child: blocked by open issues [gt-a, gt-b] (use --force to override)"},
		{"gt-nope", false, `no issue found matching "gt-nope"`},
		{"gt-free", false, ""},
		{"gt-free", false, "gt-free is already closed"},
		{"gt-x", true, ""},
	}
	for _, tt := range tests {
		var res CloseResult
		err := write(s, func(tx *Tx) error {
			var err error
			res, err = tx.CloseIssue(tt.id, "", tt.force)
			return err
		})
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("close %s: err = %v, want %q", tt.id, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("close %s: %v", tt.id, err)
		}
		if res.Closed.Status != models.StatusClosed || res.Closed.ClosedAt == nil || res.Closed.CloseReason != DefaultCloseReason {
			t.Errorf("closed bead = %+v", res.Closed)
		}
	}
	// The definition of blocked does not look at the bead's own status: a
	// parent closed by force still passes its open blockers down.
	err := write(s, func(tx *Tx) error { _, err := tx.CloseIssue("gt-child", "", false); return err })
	if !errors.Is(err, ErrBlocked) {
		t.Errorf("child of a force-closed blocked parent: err = %v, want ErrBlocked", err)
	}
	if err := write(s, func(tx *Tx) error { _, err := tx.CloseIssue("gt-a", "", false); return err }); err != nil {
		t.Fatal(err)
	}
	err = write(s, func(tx *Tx) error {
		_, err := tx.Reopen("gt-a")
		if err != nil {
			return err
		}
		_, err = tx.CloseIssue("gt-c", "x", false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if blockers, _ := s.BlockersOf(context.Background(), "gt-x"); !eqStrings(blockers, []string{"gt-a", "gt-b"}) {
		t.Errorf("blockers of gt-x = %v", blockers)
	}
	var blockedErr error = &blockedError{id: "a", blockers: []string{"b"}}
	if !errors.Is(blockedErr, ErrBlocked) {
		t.Error("blockedError does not match ErrBlocked")
	}
}

func TestConvoyAutoClose(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	a := create(t, s, models.Bead{Title: "a"}, CreateOpts{})
	b := create(t, s, models.Bead{Title: "b"}, CreateOpts{})
	c := create(t, s, models.Bead{Title: "c"}, CreateOpts{})
	cv := create(t, s, models.Bead{Title: "Work: a"}, CreateOpts{Kind: KindConvoy})
	cv2 := create(t, s, models.Bead{Title: "other"}, CreateOpts{Kind: KindConvoy})
	empty := create(t, s, models.Bead{Title: "empty"}, CreateOpts{Kind: KindConvoy})
	addDep(t, s, cv.ID, a.ID, models.DepTracks)
	addDep(t, s, cv.ID, b.ID, models.DepTracks)
	addDep(t, s, cv2.ID, b.ID, models.DepTracks)
	addDep(t, s, cv2.ID, c.ID, models.DepTracks)

	closeOne := func(id string) CloseResult {
		t.Helper()
		var res CloseResult
		mustWrite(t, s, func(tx *Tx) error {
			var err error
			res, err = tx.CloseIssue(id, "done", false)
			return err
		})
		return res
	}
	if res := closeOne(a.ID); len(res.AutoClosed) != 0 {
		t.Errorf("closing a landed %v", ids(res.AutoClosed))
	}
	res := closeOne(b.ID)
	if !eqStrings(ids(res.AutoClosed), []string{cv.ID}) {
		t.Fatalf("closing b auto-closed %v, want [%s]", ids(res.AutoClosed), cv.ID)
	}
	got := res.AutoClosed[0]
	if got.Status != models.StatusClosed || got.CloseReason != ConvoyCompletionReason || got.ClosedAt == nil {
		t.Errorf("landed convoy = %+v", got)
	}
	log, _ := s.AuditLog(context.Background(), cv.ID)
	if last := log[len(log)-1]; last.EventType != "closed" || last.Actor != ConvoyCompletionActor {
		t.Errorf("convoy audit = %+v", last)
	}
	// Through Update as well; a convoy tracking nothing never lands.
	st := models.StatusClosed
	mustWrite(t, s, func(tx *Tx) error { _, err := tx.Update(c.ID, Update{Status: &st}); return err })
	for id, want := range map[string]models.Status{cv2.ID: models.StatusClosed, empty.ID: models.StatusOpen} {
		if g, _ := s.Get(context.Background(), id); g.Status != want {
			t.Errorf("%s status = %s, want %s", id, g.Status, want)
		}
	}
}

func TestMoleculeAutoCloseLandsConvoy(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	root := create(t, s, models.Bead{Title: "mol", IssueType: models.TypeMolecule, MolType: "work"}, CreateOpts{Kind: KindMol})
	s1 := create(t, s, models.Bead{Title: "step 1"}, CreateOpts{Parent: root.ID})
	s2 := create(t, s, models.Bead{Title: "step 2"}, CreateOpts{Parent: root.ID})
	addDep(t, s, s2.ID, s1.ID, models.DepBlocks)
	cv := create(t, s, models.Bead{Title: "cv"}, CreateOpts{Kind: KindConvoy})
	addDep(t, s, cv.ID, root.ID, models.DepTracks)

	if err := write(s, func(tx *Tx) error { _, err := tx.CloseIssue(s2.ID, "", false); return err }); !errors.Is(err, ErrBlocked) {
		t.Fatalf("closing blocked step 2: %v", err)
	}
	var res CloseResult
	mustWrite(t, s, func(tx *Tx) error {
		if _, err := tx.CloseIssue(s1.ID, "", false); err != nil {
			return err
		}
		var err error
		res, err = tx.CloseIssue(s2.ID, "", false)
		return err
	})
	if !eqStrings(ids(res.AutoClosed), []string{root.ID, cv.ID}) {
		t.Fatalf("auto-closed %v, want [%s %s]", ids(res.AutoClosed), root.ID, cv.ID)
	}
	if res.AutoClosed[0].CloseReason != MoleculeCompleteReason || res.AutoClosed[1].CloseReason != ConvoyCompletionReason {
		t.Errorf("reasons = %q, %q", res.AutoClosed[0].CloseReason, res.AutoClosed[1].CloseReason)
	}
}

func TestReopenClearsClosedFields(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b := create(t, s, models.Bead{Title: "x"}, CreateOpts{})
	mustWrite(t, s, func(tx *Tx) error { _, err := tx.CloseIssue(b.ID, "fixed", false); return err })
	var got *models.Bead
	mustWrite(t, s, func(tx *Tx) error { var err error; got, err = tx.Reopen(b.ID); return err })
	if got.Status != models.StatusOpen || got.ClosedAt != nil || got.CloseReason != "" {
		t.Errorf("reopened = %+v", got)
	}
	if err := write(s, func(tx *Tx) error { _, err := tx.Reopen(b.ID); return err }); err == nil {
		t.Error("reopening an open bead succeeded")
	}
	log, _ := s.AuditLog(context.Background(), b.ID)
	var types []string
	for _, e := range log {
		types = append(types, e.EventType)
	}
	if !eqStrings(types, []string{"created", "closed", "reopened"}) {
		t.Errorf("audit types = %v", types)
	}
	if log[1].OldValue != "open" || log[1].NewValue != "closed" || log[1].Comment != "fixed" {
		t.Errorf("close audit = %+v", log[1])
	}
}

func TestClaim(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b := create(t, s, models.Bead{Title: "x"}, CreateOpts{})
	tests := []struct {
		actor, wantErr string
	}{
		{"rig/polecats/nux", ""},
		{"rig/polecats/nux", ""}, // same holder: no-op
		{"rig/polecats/slit", "already claimed by rig/polecats/nux"},
		{"", "claim: actor is required"},
	}
	for _, tt := range tests {
		var got *models.Bead
		err := write(s, func(tx *Tx) error { var err error; got, err = tx.Claim(b.ID, tt.actor); return err })
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("claim by %q: err = %v, want %q", tt.actor, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Assignee != tt.actor || got.Status != models.StatusInProgress {
			t.Errorf("claim by %q = %+v, %v", tt.actor, got, err)
		}
	}
}

func TestUpdateFields(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b := create(t, s, models.Bead{Title: "x", Notes: "first", ExternalRef: "gh-1"}, CreateOpts{})
	other := create(t, s, models.Bead{Title: "y", ExternalRef: "gh-2"}, CreateOpts{})
	str := func(v string) *string { return &v }
	prio, est := 0, 30
	typ := models.TypeBug
	defer1 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var got *models.Bead
	mustWrite(t, s, func(tx *Tx) error {
		var err error
		got, err = tx.Update(b.ID, Update{
			Title: str("new title"), AppendNotes: str("second"), Priority: &prio, IssueType: &typ,
			EstimatedMinutes: &est, DeferUntil: &defer1, AddLabels: []string{"l1", "l2"}, Assignee: str("mayor"),
			Metadata: json.RawMessage(`{"k":1}`),
		})
		return err
	})
	if got.Title != "new title" || got.Notes != "first\nsecond" || got.Priority != 0 || got.IssueType != models.TypeBug ||
		*got.EstimatedMinutes != 30 || !got.DeferUntil.Equal(defer1) || !eqStrings(got.Labels, []string{"l1", "l2"}) ||
		got.Assignee != "mayor" || string(got.Metadata) != `{"k":1}` || !got.UpdatedAt.After(b.UpdatedAt) {
		t.Errorf("updated = %+v", got)
	}
	var zero time.Time
	mustWrite(t, s, func(tx *Tx) error {
		var err error
		got, err = tx.Update(b.ID, Update{DeferUntil: &zero, RemoveLabels: []string{"l1"}})
		return err
	})
	if got.DeferUntil != nil || !eqStrings(got.Labels, []string{"l2"}) {
		t.Errorf("cleared = %+v", got)
	}
	bad := models.Status("nope")
	neg, p9 := -1, 9
	errTests := []struct {
		name string
		u    Update
		want string
	}{
		{"status", Update{Status: &bad}, "invalid status: nope"},
		{"title", Update{Title: str("")}, "title is required"},
		{"priority", Update{Priority: &p9}, "priority must be between 0 and 4 (got 9)"},
		{"estimate", Update{EstimatedMinutes: &neg}, "estimated_minutes cannot be negative"},
		{"external ref", Update{ExternalRef: str("gh-2")}, `external_ref "gh-2" is already used by ` + other.ID},
		{"metadata", Update{Metadata: json.RawMessage(`"s"`)}, "metadata must be a JSON object"},
		{"label", Update{AddLabels: []string{" "}}, "label is required"},
	}
	for _, tt := range errTests {
		err := write(s, func(tx *Tx) error { _, err := tx.Update(b.ID, tt.u); return err })
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := s.Get(context.Background(), "gt-none"); !errors.Is(err, ErrNotFound) || err.Error() != `no issue found matching "gt-none"` {
		t.Errorf("get missing: %v", err)
	}
}

func TestSetMetadataAndComments(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b := create(t, s, models.Bead{Title: "x", Metadata: json.RawMessage(`{"keep":"me"}`)}, CreateOpts{})
	mustWrite(t, s, func(tx *Tx) error {
		if err := tx.SetMetadata(b.ID, "gt", map[string]any{"owner": "mayor", "auto": true}); err != nil {
			return err
		}
		if err := tx.SetMetadata(b.ID, "gone", 1); err != nil {
			return err
		}
		return tx.SetMetadata(b.ID, "gone", nil)
	})
	got, _ := s.Get(context.Background(), b.ID)
	if string(got.Metadata) != `{"gt":{"auto":true,"owner":"mayor"},"keep":"me"}` {
		t.Errorf("metadata = %s", got.Metadata)
	}
	var c *models.Comment
	mustWrite(t, s, func(tx *Tx) error { var err error; c, err = tx.AddComment(b.ID, "", "hello"); return err })
	if c.Author != "tester" || c.Text != "hello" || c.ID == 0 {
		t.Errorf("comment = %+v", c)
	}
	if err := write(s, func(tx *Tx) error { _, err := tx.AddComment(b.ID, "a", " "); return err }); err == nil || err.Error() != "comment text is required" {
		t.Errorf("empty comment: %v", err)
	}
	cs, _ := s.Comments(context.Background(), b.ID)
	if len(cs) != 1 || cs[0].Text != "hello" {
		t.Errorf("comments = %+v", cs)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	create(t, s, models.Bead{ID: "gt-a", Title: "Fix login bug", IssueType: models.TypeBug, Priority: 1, Labels: []string{"auth"}}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-b", Title: "Write docs", Assignee: "mayor", Priority: 3}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-c", Title: "Old", Status: models.StatusClosed}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-d", Title: "mail", Ephemeral: true}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-a.1", Title: "child"}, CreateOpts{})
	addDep(t, s, "gt-a.1", "gt-a", models.DepParentChild)
	create(t, s, models.Bead{ID: "mp-x", Title: "other rig login"}, CreateOpts{})
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"default hides closed and ephemeral", Filter{Sort: "id"}, []string{"gt-a", "gt-a.1", "gt-b", "mp-x"}},
		{"all", Filter{IncludeClosed: true, Sort: "id"}, []string{"gt-a", "gt-a.1", "gt-b", "gt-c", "gt-d", "mp-x"}},
		{"status", Filter{Status: []models.Status{models.StatusClosed}}, []string{"gt-c"}},
		{"type", Filter{Types: []models.IssueType{models.TypeBug}}, []string{"gt-a"}},
		{"assignee", Filter{Assignee: "mayor"}, []string{"gt-b"}},
		{"label", Filter{Labels: []string{"auth"}}, []string{"gt-a"}},
		{"parent", Filter{Parent: "gt-a"}, []string{"gt-a.1"}},
		{"query", Filter{Query: "LOGIN", Sort: "id"}, []string{"gt-a", "mp-x"}},
		{"prefix", Filter{Prefix: "mp"}, []string{"mp-x"}},
		{"priority sort and limit", Filter{Limit: 3}, []string{"gt-a.1", "mp-x", "gt-a"}}, // zero Priority is P0
	}
	for _, tt := range tests {
		got, err := s.List(context.Background(), tt.f)
		if err != nil || !eqStrings(ids(got), tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, ids(got), err, tt.want)
		}
	}
	if _, err := s.List(context.Background(), Filter{Sort: "zzz"}); err == nil || err.Error() != "invalid sort field: zzz" {
		t.Errorf("bad sort: %v", err)
	}
	kids, _ := s.Children(context.Background(), "gt-a")
	if !eqStrings(ids(kids), []string{"gt-a.1"}) {
		t.Errorf("children = %v", ids(kids))
	}
}

func TestPrefixesAndConfig(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for _, p := range []string{"mp", "hq", "mp"} {
		if err := s.AddPrefix(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Prefixes(ctx)
	if !eqStrings(got, []string{"gt", "hq", "mp"}) {
		t.Errorf("prefixes = %v", got)
	}
	for _, bad := range []string{"", "9a", "a_b", "abcdefghijklmnopqrstu"} {
		if err := s.AddPrefix(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("AddPrefix(%q) = %v", bad, err)
		}
	}
	if p, _ := s.DefaultPrefix(ctx); p != "gt" {
		t.Errorf("default prefix = %q", p)
	}
	if err := s.SetConfig(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.GetConfig(ctx, "k"); v != "v" || !ok || err != nil {
		t.Errorf("config = %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.GetConfig(ctx, "missing"); ok {
		t.Error("missing key reported present")
	}
}
