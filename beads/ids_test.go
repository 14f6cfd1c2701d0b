package beads

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func TestHashLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n, want int
	}{
		{0, 5}, {1, 5}, {5898, 5}, {5899, 6}, {35389, 6}, {35390, 7}, {212332, 7}, {212339, 7}, {212340, 8}, {10_000_000, 8},
	}
	for _, tt := range tests {
		if got := HashLength(tt.n); got != tt.want {
			t.Errorf("HashLength(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// refHash is an independent implementation of the §4.6 hash with math/big.
func refHash(in string, length int) string {
	sum := sha256.Sum256([]byte(in))
	nbytes := 4
	if length >= 7 {
		nbytes = 5
	}
	s := new(big.Int).SetBytes(sum[:nbytes]).Text(36)
	for len(s) < length {
		s = "0" + s
	}
	return s[len(s)-length:]
}

func TestHashID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 10, 15, 4, 120931000, time.UTC)
	tests := []struct {
		title, desc, actor string
		nonce, length      int
	}{
		{"Add retry", "Uploads fail", "mayor", 0, 5},
		{"Add retry", "Uploads fail", "mayor", 1, 5},
		{"Add retry", "", "", 0, 6},
		{"x", "y", "z", 9, 7},
		{"ünïcödé", "|", "a|b", 3, 8},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		got := HashID(tt.title, tt.desc, tt.actor, at, tt.nonce, tt.length)
		in := strings.Join([]string{tt.title, tt.desc, tt.actor, "1772446504120931000", string(rune('0' + tt.nonce))}, "|")
		if want := refHash(in, tt.length); got != want {
			t.Errorf("HashID(%q, nonce %d, len %d) = %q, want %q", tt.title, tt.nonce, tt.length, got, want)
		}
		if len(got) != tt.length || !regexp.MustCompile(`^[0-9a-z]+$`).MatchString(got) {
			t.Errorf("HashID = %q: want %d base36 chars", got, tt.length)
		}
		if seen[got] {
			t.Errorf("HashID collision on %q", got)
		}
		seen[got] = true
	}
}

func TestCreateIDKinds(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	parent := create(t, s, models.Bead{Title: "parent"}, CreateOpts{})
	tests := []struct {
		name string
		bead models.Bead
		opts CreateOpts
		want string // regexp
	}{
		{"hash id default prefix", models.Bead{Title: "a"}, CreateOpts{}, `^gt-[0-9a-z]{5}$`},
		{"hash id other prefix", models.Bead{Title: "a"}, CreateOpts{Prefix: "mp"}, `^mp-[0-9a-z]{5}$`},
		{"molecule root", models.Bead{Title: "m", IssueType: models.TypeMolecule}, CreateOpts{Kind: KindMol}, `^gt-mol-[0-9a-z]{5}$`},
		{"wisp root", models.Bead{Title: "w", Ephemeral: true}, CreateOpts{Kind: KindWisp, Prefix: "hq"}, `^hq-wisp-[0-9a-z]{5}$`},
		{"convoy", models.Bead{Title: "c"}, CreateOpts{Kind: KindConvoy}, `^hq-cv-[a-z2-7]{5}$`},
		{"first child", models.Bead{Title: "c1"}, CreateOpts{Parent: parent.ID}, `^` + parent.ID + `\.1$`},
		{"second child", models.Bead{Title: "c2"}, CreateOpts{Parent: parent.ID}, `^` + parent.ID + `\.2$`},
		{"explicit agent id", models.Bead{ID: "hq-mayor", Title: "mayor", IssueType: models.TypeAgent}, CreateOpts{}, `^hq-mayor$`},
	}
	for _, tt := range tests {
		got := create(t, s, tt.bead, tt.opts)
		if !regexp.MustCompile(tt.want).MatchString(got.ID) {
			t.Errorf("%s: id %q does not match %s", tt.name, got.ID, tt.want)
		}
	}
	// Convoys get their type; children get their parent-child edge.
	deps, err := s.Dependencies(context.Background(), parent.ID+".1")
	if err != nil || len(deps) != 1 || deps[0].DependsOnID != parent.ID || deps[0].Type != models.DepParentChild {
		t.Errorf("child edge = %+v, %v", deps, err)
	}
	convoys, err := s.List(context.Background(), Filter{Types: []models.IssueType{models.TypeConvoy}})
	if err != nil || len(convoys) != 1 {
		t.Errorf("convoys = %v, %v", ids(convoys), err)
	}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	create(t, s, models.Bead{ID: "gt-taken", Title: "x", ExternalRef: "gh-1"}, CreateOpts{})
	neg := -1
	tests := []struct {
		name    string
		bead    models.Bead
		opts    CreateOpts
		wantErr string
		is      error
	}{
		{"empty title", models.Bead{Title: "  "}, CreateOpts{}, "title is required", ErrInvalid},
		{"long title", models.Bead{Title: strings.Repeat("é", 501)}, CreateOpts{}, "title must be 500 characters or less (got 501)", ErrInvalid},
		{"priority", models.Bead{Title: "x", Priority: 7}, CreateOpts{}, "priority must be between 0 and 4 (got 7)", ErrInvalid},
		{"status", models.Bead{Title: "x", Status: "weird"}, CreateOpts{}, "invalid status: weird", ErrInvalid},
		{"tombstone", models.Bead{Title: "x", Status: models.StatusTombstone}, CreateOpts{}, "invalid status: tombstone", ErrInvalid},
		{"estimate", models.Bead{Title: "x", EstimatedMinutes: &neg}, CreateOpts{}, "estimated_minutes cannot be negative", ErrInvalid},
		{"duplicate id", models.Bead{ID: "gt-taken", Title: "x"}, CreateOpts{}, "issue gt-taken already exists", ErrExists},
		{"external ref", models.Bead{Title: "x", ExternalRef: "gh-1"}, CreateOpts{}, `external_ref "gh-1" is already used by gt-taken`, ErrExists},
		{"bad prefix", models.Bead{Title: "x"}, CreateOpts{Prefix: "9x"}, `invalid prefix "9x"`, ErrInvalid},
		{"missing parent", models.Bead{Title: "x"}, CreateOpts{Parent: "gt-nope"}, `no issue found matching "gt-nope"`, ErrNotFound},
		{"bad kind", models.Bead{Title: "x"}, CreateOpts{Kind: "bogus"}, `invalid id kind "bogus"`, ErrInvalid},
		{"bad metadata", models.Bead{Title: "x", Metadata: []byte(`[1]`)}, CreateOpts{}, "metadata must be a JSON object", ErrInvalid},
	}
	for _, tt := range tests {
		err := write(s, func(tx *Tx) error { _, err := tx.Create(&tt.bead, tt.opts); return err })
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, tt.is) {
			t.Errorf("%s: err = %v, want %q (%v)", tt.name, err, tt.wantErr, tt.is)
		}
	}
}

func TestCreateDefaults(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	b := create(t, s, models.Bead{Title: "defaults", Labels: []string{"b", "a"}}, CreateOpts{})
	if b.Status != models.StatusOpen || b.IssueType != models.TypeTask || b.CreatedBy != "tester" ||
		b.CreatedAt.IsZero() || !b.UpdatedAt.Equal(b.CreatedAt) || b.ClosedAt != nil {
		t.Errorf("defaults not applied: %+v", b)
	}
	if !eqStrings(b.Labels, []string{"a", "b"}) {
		t.Errorf("labels = %v", b.Labels)
	}
	log, err := s.AuditLog(context.Background(), b.ID)
	if err != nil || len(log) != 1 || log[0].EventType != "created" || log[0].Actor != "tester" {
		t.Errorf("audit = %+v, %v", log, err)
	}
}

func TestIDCollisionUsesNextNonceThenLength(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Occupy the ids for nonces 0..9 at length 5, and nonce 0 at length 6.
	for nonce := range 10 {
		create(t, s, models.Bead{ID: "gt-" + HashID("T", "D", "tester", at, nonce, 5), Title: "squatter"}, CreateOpts{})
	}
	got := create(t, s, models.Bead{Title: "T", Description: "D", CreatedAt: at}, CreateOpts{})
	if want := "gt-" + HashID("T", "D", "tester", at, 0, 6); got.ID != want {
		t.Errorf("after 10 collisions id = %s, want %s (length 6, nonce 0)", got.ID, want)
	}
	again := create(t, s, models.Bead{Title: "T", Description: "D", CreatedAt: at}, CreateOpts{})
	if want := "gt-" + HashID("T", "D", "tester", at, 1, 6); again.ID != want {
		t.Errorf("next id = %s, want %s (length 6, nonce 1)", again.ID, want)
	}
}

func TestIDLengthGrowsWithCount(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	bulkInsert(t, s, "gt", 5898, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if b := create(t, s, models.Bead{Title: "at 5898"}, CreateOpts{}); !regexp.MustCompile(`^gt-[0-9a-z]{5}$`).MatchString(b.ID) {
		t.Errorf("with 5898 ids: %s, want 5 hash chars", b.ID)
	}
	// Now 5899 top-level ids exist: children do not count, the next id has 6.
	create(t, s, models.Bead{Title: "child"}, CreateOpts{Parent: "gt-b0000001"})
	if b := create(t, s, models.Bead{Title: "at 5899"}, CreateOpts{}); !regexp.MustCompile(`^gt-[0-9a-z]{6}$`).MatchString(b.ID) {
		t.Errorf("with 5899 ids: %s, want 6 hash chars", b.ID)
	}
	if b := create(t, s, models.Bead{Title: "other prefix"}, CreateOpts{Prefix: "mp"}); !regexp.MustCompile(`^mp-[0-9a-z]{5}$`).MatchString(b.ID) {
		t.Errorf("other prefix: %s, want 5 hash chars", b.ID)
	}
}

func TestChildCounterSkipsTaken(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	p := create(t, s, models.Bead{ID: "gt-p", Title: "p"}, CreateOpts{})
	create(t, s, models.Bead{ID: "gt-p.1", Title: "imported child"}, CreateOpts{})
	c := create(t, s, models.Bead{Title: "c"}, CreateOpts{Parent: p.ID})
	if c.ID != "gt-p.2" {
		t.Errorf("child id = %s, want gt-p.2", c.ID)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	for _, id := range []string{"gt-abc12", "gt-abc12.1", "gt-abc12.2", "gt-abd99", "mp-abc77", "hq-cv-xyz22", "gt-q1234"} {
		create(t, s, models.Bead{ID: id, Title: id}, CreateOpts{})
	}
	tests := []struct {
		in, want, wantErr string
	}{
		{"gt-abc12", "gt-abc12", ""},
		{"gt-abc12.1", "gt-abc12.1", ""},
		{"abc12", "gt-abc12", ""},       // exact hash
		{"gt-abc1", "gt-abc12", ""},     // prefix; children collapse into their parent
		{"abd", "gt-abd99", ""},         // hash prefix
		{"q12", "gt-q1234", ""},         // hash prefix
		{"xyz", "hq-cv-xyz22", ""},      // hash after the last dash
		{"  gt-abd99 ", "gt-abd99", ""}, // trimmed
		{"gt-ab", "", `ambiguous ID "gt-ab" matches 2 issues: [gt-abc12 gt-abd99]`},
		{"abc", "", `ambiguous ID "abc" matches 2 issues: [gt-abc12 mp-abc77]`},
		{"zzz", "", `no issue found matching "zzz"`},
		{"gt-%", "", `no issue found matching "gt-%"`},
		{"", "", "issue id is required"},
	}
	for _, tt := range tests {
		got, err := s.Resolve(context.Background(), tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Resolve(%q) = %q, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := s.Resolve(context.Background(), "gt-ab"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous error does not match ErrAmbiguous: %v", err)
	}
	if _, err := s.Resolve(context.Background(), "zzz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("not-found error does not match ErrNotFound: %v", err)
	}
}

// TestIDCountCacheStaysExact: the cached per-prefix counts equal a fresh
// scan after creates of every kind, children, explicit ids and an import.
func TestIDCountCacheStaysExact(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	steps := []func(){
		func() { create(t, s, models.Bead{Title: "a"}, CreateOpts{}) },
		func() { create(t, s, models.Bead{Title: "b"}, CreateOpts{Prefix: "gt-x"}) },
		func() { create(t, s, models.Bead{Title: "m"}, CreateOpts{Kind: KindMol}) },
		func() { create(t, s, models.Bead{ID: "gt-x-agent", Title: "agent"}, CreateOpts{}) },
		func() { create(t, s, models.Bead{Title: "child"}, CreateOpts{Parent: "gt-x-agent"}) },
		func() { create(t, s, models.Bead{Title: "cv"}, CreateOpts{Kind: KindConvoy}) },
		func() {
			line := `{"id":"gt-imp01","title":"i","created_at":"2025-01-01T00:00:00Z"}`
			if _, err := s.Import(ctx, strings.NewReader(line), "x.jsonl"); err != nil {
				t.Fatal(err)
			}
		},
		func() { create(t, s, models.Bead{Title: "after import"}, CreateOpts{}) },
		func() { create(t, s, models.Bead{Title: "hq"}, CreateOpts{Prefix: "hq"}) },
	}
	for i, step := range steps {
		step()
		mustWrite(t, s, func(tx *Tx) error {
			for _, p := range []string{"gt", "gt-x", "hq"} {
				cached, err := tx.topLevelCount(p)
				if err != nil {
					return err
				}
				var scanned int
				if err := tx.tx.QueryRowContext(tx.ctx, `SELECT count(*) FROM issues WHERE id LIKE ? || '-%' AND instr(id, '.') = 0`, p).Scan(&scanned); err != nil {
					return err
				}
				if cached != scanned {
					t.Errorf("after step %d: prefix %s cached %d, scanned %d", i, p, cached, scanned)
				}
			}
			return nil
		})
	}
}
