package beads

import (
	"context"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

type edge struct {
	from, to string
	typ      models.DepType
}

// readyCase builds a small graph and checks Ready and Blocked.
type readyCase struct {
	name    string
	beads   []models.Bead
	edges   []edge
	filter  ReadyFilter
	ready   []string // in order
	blocked map[string][]string
}

func TestReadyAndBlocked(t *testing.T) {
	t.Parallel()
	past := time.Now().Add(-time.Hour)
	future := time.Now().Add(24 * time.Hour)
	old := time.Now().Add(-72 * time.Hour)
	b := func(id string, mods ...func(*models.Bead)) models.Bead {
		x := models.Bead{ID: id, Title: id, Priority: 2}
		for _, m := range mods {
			m(&x)
		}
		return x
	}
	status := func(s models.Status) func(*models.Bead) { return func(x *models.Bead) { x.Status = s } }
	closed := func(reason string) func(*models.Bead) {
		return func(x *models.Bead) { x.Status = models.StatusClosed; x.CloseReason = reason }
	}
	prio := func(p int) func(*models.Bead) { return func(x *models.Bead) { x.Priority = p } }
	at := func(t time.Time) func(*models.Bead) { return func(x *models.Bead) { x.CreatedAt = t } }

	tests := []readyCase{
		{
			name:    "blocks by open, in_progress, blocked, deferred and hooked beads",
			beads:   []models.Bead{b("gt-a"), b("gt-b"), b("gt-c", status(models.StatusInProgress)), b("gt-d", status(models.StatusDeferred)), b("gt-e", status(models.StatusHooked)), b("gt-f", status(models.StatusBlocked)), b("gt-g"), b("gt-h"), b("gt-i")},
			edges:   []edge{{"gt-a", "gt-b", "blocks"}, {"gt-g", "gt-c", "blocks"}, {"gt-h", "gt-d", "blocks"}, {"gt-i", "gt-e", "blocks"}, {"gt-b", "gt-f", "blocks"}},
			ready:   []string{},
			blocked: map[string][]string{"gt-a": {"gt-b"}, "gt-b": {"gt-f"}, "gt-g": {"gt-c"}, "gt-h": {"gt-d"}, "gt-i": {"gt-e"}},
		},
		{
			name:    "closed and tombstoned blockers unblock; pinned status does not block",
			beads:   []models.Bead{b("gt-a"), b("gt-b", closed("done")), b("gt-c"), b("gt-d", status(models.StatusTombstone)), b("gt-e"), b("gt-f", status(models.StatusPinned))},
			edges:   []edge{{"gt-a", "gt-b", "blocks"}, {"gt-c", "gt-d", "blocks"}, {"gt-e", "gt-f", "blocks"}},
			ready:   []string{"gt-a", "gt-c", "gt-e"},
			blocked: map[string][]string{},
		},
		{
			name: "parent-child passes blocking down to all descendants",
			beads: []models.Bead{b("gt-epic"), b("gt-epic.1"), b("gt-epic.1.1"), b("gt-gate"),
				b("gt-other"), b("gt-other.1")},
			edges: []edge{{"gt-epic.1", "gt-epic", "parent-child"}, {"gt-epic.1.1", "gt-epic.1", "parent-child"},
				{"gt-epic", "gt-gate", "blocks"}, {"gt-other.1", "gt-other", "parent-child"}},
			ready:   []string{"gt-gate", "gt-other", "gt-other.1"},
			blocked: map[string][]string{"gt-epic": {"gt-gate"}, "gt-epic.1": {"gt-gate"}, "gt-epic.1.1": {"gt-gate"}},
		},
		{
			name:    "an open parent alone does not block its children",
			beads:   []models.Bead{b("gt-p"), b("gt-p.1")},
			edges:   []edge{{"gt-p.1", "gt-p", "parent-child"}},
			ready:   []string{"gt-p", "gt-p.1"},
			blocked: map[string][]string{},
		},
		{
			name: "conditional-blocks needs a failure close reason",
			beads: []models.Bead{b("gt-try1", closed("Tests FAILED on CI")), b("gt-fb1"),
				b("gt-try2", closed("merged")), b("gt-fb2"), b("gt-try3"), b("gt-fb3"),
				b("gt-try4", closed("wontfix")), b("gt-fb4"), b("gt-fb5")},
			edges: []edge{{"gt-fb1", "gt-try1", "conditional-blocks"}, {"gt-fb2", "gt-try2", "conditional-blocks"},
				{"gt-fb3", "gt-try3", "conditional-blocks"}, {"gt-fb4", "gt-try4", "conditional-blocks"},
				{"gt-fb5", "gt-gone", "conditional-blocks"}},
			ready:   []string{"gt-fb1", "gt-try3", "gt-fb4"},
			blocked: map[string][]string{"gt-fb2": {"gt-try2"}, "gt-fb3": {"gt-try3"}, "gt-fb5": {"gt-gone"}},
		},
		{
			name: "waits-for waits for every child of the target",
			beads: []models.Bead{b("gt-w1"), b("gt-s1"), b("gt-s1.1", closed("ok")), b("gt-s1.2"),
				b("gt-w2"), b("gt-s2"), b("gt-s2.1", closed("ok")), b("gt-w3"), b("gt-s3")},
			edges: []edge{{"gt-w1", "gt-s1", "waits-for"}, {"gt-s1.1", "gt-s1", "parent-child"}, {"gt-s1.2", "gt-s1", "parent-child"},
				{"gt-w2", "gt-s2", "waits-for"}, {"gt-s2.1", "gt-s2", "parent-child"}, {"gt-w3", "gt-s3", "waits-for"}},
			ready:   []string{"gt-s1", "gt-s1.2", "gt-w2", "gt-s2", "gt-w3", "gt-s3"},
			blocked: map[string][]string{"gt-w1": {"gt-s1"}},
		},
		{
			name:    "non-blocking link types and dangling blocks targets",
			beads:   []models.Bead{b("gt-a"), b("gt-b"), b("gt-c"), b("gt-d")},
			edges:   []edge{{"gt-a", "gt-b", "related"}, {"gt-c", "gt-b", "tracks"}, {"gt-d", "gt-b", "discovered-from"}, {"gt-b", "gt-missing", "blocks"}},
			ready:   []string{"gt-a", "gt-b", "gt-c", "gt-d"},
			blocked: map[string][]string{},
		},
		{
			name: "exclusions: statuses, flags, defer, system types, molecule and wisp steps",
			beads: []models.Bead{b("gt-ok"), b("gt-prog", status(models.StatusInProgress)), b("gt-def", status(models.StatusDeferred)),
				b("gt-eph", func(x *models.Bead) { x.Ephemeral = true }), b("gt-pin", func(x *models.Bead) { x.Pinned = true }),
				b("gt-tpl", func(x *models.Bead) { x.IsTemplate = true }),
				b("gt-later", func(x *models.Bead) { x.DeferUntil = &future }), b("gt-was", func(x *models.Bead) { x.DeferUntil = &past }),
				b("gt-cv", func(x *models.Bead) { x.IssueType = models.TypeConvoy }), b("gt-msg", func(x *models.Bead) { x.IssueType = models.TypeMessage }),
				b("gt-gate", func(x *models.Bead) { x.IssueType = models.TypeGate }), b("gt-bug", func(x *models.Bead) { x.IssueType = models.TypeBug }),
				b("gt-mol-abcde.1"), b("gt-wisp-abcde.1"), b("gt-custom", func(x *models.Bead) { x.IssueType = "spike" })},
			ready:   []string{"gt-ok", "gt-was", "gt-bug", "gt-custom"},
			blocked: map[string][]string{},
		},
		{
			name: "hybrid sort: recent by priority, then old oldest first",
			beads: []models.Bead{b("gt-new-p3", prio(3)), b("gt-new-p0", prio(0)), b("gt-old-p0", prio(0), at(old.Add(time.Minute))),
				b("gt-older-p4", prio(4), at(old))},
			ready: []string{"gt-new-p0", "gt-new-p3", "gt-older-p4", "gt-old-p0"},
		},
		{
			name:   "priority sort",
			beads:  []models.Bead{b("gt-new-p3", prio(3)), b("gt-old-p1", prio(1), at(old)), b("gt-new-p1", prio(1))},
			filter: ReadyFilter{Sort: "priority"},
			ready:  []string{"gt-old-p1", "gt-new-p1", "gt-new-p3"},
		},
		{
			name:   "oldest sort and limit",
			beads:  []models.Bead{b("gt-x", prio(0)), b("gt-y", prio(4), at(old)), b("gt-z", prio(4), at(old.Add(time.Hour)))},
			filter: ReadyFilter{Sort: "oldest", Limit: 2},
			ready:  []string{"gt-y", "gt-z"},
		},
		{
			name: "assignee, unassigned, labels and types filters",
			beads: []models.Bead{b("gt-a", func(x *models.Bead) { x.Assignee = "rig/polecats/nux"; x.Labels = []string{"net", "p"} }),
				b("gt-b", func(x *models.Bead) { x.Labels = []string{"net"}; x.IssueType = models.TypeBug }), b("gt-c")},
			filter: ReadyFilter{Labels: []string{"net"}, Types: []models.IssueType{models.TypeBug, models.TypeTask}},
			ready:  []string{"gt-a", "gt-b"},
		},
		{
			name:   "assignee filter",
			beads:  []models.Bead{b("gt-a", func(x *models.Bead) { x.Assignee = "mayor" }), b("gt-b")},
			filter: ReadyFilter{Assignee: "mayor"},
			ready:  []string{"gt-a"},
		},
		{
			name:   "unassigned filter",
			beads:  []models.Bead{b("gt-a", func(x *models.Bead) { x.Assignee = "mayor" }), b("gt-b")},
			filter: ReadyFilter{Unassigned: true},
			ready:  []string{"gt-b"},
		},
		{
			name: "--mol shows that molecule's ready steps, including wisp steps",
			beads: []models.Bead{b("gt-mol-aaaaa", func(x *models.Bead) { x.IssueType = models.TypeMolecule }),
				b("gt-mol-aaaaa.1", closed("ok")), b("gt-mol-aaaaa.2"), b("gt-mol-aaaaa.3"), b("gt-mol-aaaaa.4", func(x *models.Bead) { x.Ephemeral = true }),
				b("gt-mol-bbbbb.1")},
			edges: []edge{{"gt-mol-aaaaa.1", "gt-mol-aaaaa", "parent-child"}, {"gt-mol-aaaaa.2", "gt-mol-aaaaa", "parent-child"},
				{"gt-mol-aaaaa.3", "gt-mol-aaaaa", "parent-child"}, {"gt-mol-aaaaa.4", "gt-mol-aaaaa", "parent-child"},
				{"gt-mol-aaaaa.3", "gt-mol-aaaaa.2", "blocks"}, {"gt-mol-aaaaa.2", "gt-mol-aaaaa.1", "blocks"}},
			filter:  ReadyFilter{Mol: "gt-mol-aaaaa"},
			ready:   []string{"gt-mol-aaaaa.2", "gt-mol-aaaaa.4"},
			blocked: map[string][]string{"gt-mol-aaaaa.3": {"gt-mol-aaaaa.2"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			for i, x := range tt.beads {
				if x.CreatedAt.IsZero() {
					x.CreatedAt = time.Now().Add(-time.Hour + time.Duration(i)*time.Second)
				}
				tomb := x.Status == models.StatusTombstone
				if tomb {
					x.Status = models.StatusOpen // bd never creates tombstones; patch below
				}
				create(t, s, x, CreateOpts{})
				if tomb {
					mustWrite(t, s, func(tx *Tx) error {
						_, err := tx.tx.ExecContext(tx.ctx, `UPDATE issues SET status = 'tombstone' WHERE id = ?`, x.ID)
						return err
					})
				}
			}
			// Edges go in directly: import semantics, so dangling targets are allowed.
			mustWrite(t, s, func(tx *Tx) error {
				for _, e := range tt.edges {
					if err := tx.insertDep(e.from, e.to, e.typ, time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			got, err := s.Ready(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("ready: %v", err)
			}
			if !eqStrings(ids(got), tt.ready) {
				t.Errorf("ready = %v, want %v", ids(got), tt.ready)
			}
			if tt.blocked == nil {
				return
			}
			bl, err := s.Blocked(context.Background(), ReadyFilter{Mol: tt.filter.Mol})
			if err != nil {
				t.Fatalf("blocked: %v", err)
			}
			gotBlocked := map[string][]string{}
			for _, x := range bl {
				gotBlocked[x.Bead.ID] = x.BlockedBy
			}
			if len(gotBlocked) != len(tt.blocked) {
				t.Errorf("blocked = %v, want %v", gotBlocked, tt.blocked)
			}
			for id, want := range tt.blocked {
				if !eqStrings(gotBlocked[id], want) {
					t.Errorf("blocked[%s] = %v, want %v", id, gotBlocked[id], want)
				}
			}
			st, err := s.Stats(context.Background())
			if err != nil {
				t.Fatalf("stats: %v", err)
			}
			if isZeroFilter(tt.filter) && st.Ready != len(tt.ready) {
				t.Errorf("stats ready = %d, want %d", st.Ready, len(tt.ready))
			}
		})
	}
}

func TestReadyBadInput(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	tests := []struct {
		f    ReadyFilter
		want string
	}{
		{ReadyFilter{Sort: "random"}, "invalid sort policy: random (want hybrid, priority or oldest)"},
		{ReadyFilter{Limit: -1}, "limit cannot be negative (got -1)"},
		{ReadyFilter{Mol: "gt-mol-zzzzz"}, `no issue found matching "gt-mol-zzzzz"`},
	}
	for _, tt := range tests {
		if _, err := s.Ready(context.Background(), tt.f); err == nil || err.Error() != tt.want {
			t.Errorf("Ready(%+v) err = %v, want %q", tt.f, err, tt.want)
		}
	}
}

func isZeroFilter(f ReadyFilter) bool {
	return f.Limit == 0 && f.Assignee == "" && !f.Unassigned && len(f.Labels) == 0 && len(f.Types) == 0 && f.Mol == "" && f.Sort == ""
}
