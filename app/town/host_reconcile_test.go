package town

import (
	"reflect"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func polecat(name string) models.Address {
	return models.Address{Role: models.RolePolecat, Rig: "myproject", Name: name}
}

func TestPlanReconcile(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	linger := 10 * time.Second
	nux, slit := polecat("nux"), polecat("slit")
	hooked := &models.Bead{ID: "mp-1", Status: models.StatusHooked}
	cases := []struct {
		name    string
		desired []desiredAgent
		entries map[string]entryView
		now     time.Time
		want    reconcilePlan
	}{
		{name: "desired without session starts",
			desired: []desiredAgent{{Addr: models.MayorAddress, Wanted: true}, {Addr: nux, Hooked: hooked}},
			want:    reconcilePlan{Start: []desiredAgent{{Addr: models.MayorAddress, Wanted: true}, {Addr: nux, Hooked: hooked}}}},
		{name: "never two sessions per address (duplicates in desired)",
			desired: []desiredAgent{{Addr: nux, Hooked: hooked}, {Addr: nux, Hooked: hooked}},
			want:    reconcilePlan{Start: []desiredAgent{{Addr: nux, Hooked: hooked}}}},
		{name: "live session is left alone",
			desired: []desiredAgent{{Addr: nux, Hooked: hooked}},
			entries: map[string]entryView{nux.String(): {WasDesired: true}},
			want:    reconcilePlan{Desired: []string{nux.String()}}},
		{name: "exited desired session is not restarted",
			desired: []desiredAgent{{Addr: nux, Hooked: hooked}},
			entries: map[string]entryView{nux.String(): {Exited: true, WasDesired: true}},
			want:    reconcilePlan{Desired: []string{nux.String()}}},
		{name: "hook emptied: linger clock starts",
			entries: map[string]entryView{nux.String(): {WasDesired: true}},
			want:    reconcilePlan{Undesired: []string{nux.String()}}},
		{name: "within linger nothing happens",
			entries: map[string]entryView{nux.String(): {WasDesired: true, UndesiredSince: t0.Add(-9 * time.Second)}}},
		{name: "linger elapsed: live session stops",
			entries: map[string]entryView{nux.String(): {WasDesired: true, UndesiredSince: t0.Add(-10 * time.Second)}},
			want:    reconcilePlan{Stop: []string{nux.String()}}},
		{name: "linger elapsed: exited session is forgotten",
			entries: map[string]entryView{nux.String(): {Exited: true, WasDesired: true, UndesiredSince: t0.Add(-time.Minute)}},
			want:    reconcilePlan{Forget: []string{nux.String()}}},
		{name: "a stopping session is not stopped twice",
			entries: map[string]entryView{nux.String(): {WasDesired: true, Stopping: true, UndesiredSince: t0.Add(-time.Minute)}}},
		{name: "explicitly started session that never was desired is left alone",
			entries: map[string]entryView{slit.String(): {}}},
		{name: "hook refilled during linger keeps the session",
			desired: []desiredAgent{{Addr: nux, Hooked: hooked}},
			entries: map[string]entryView{nux.String(): {WasDesired: true, UndesiredSince: t0.Add(-5 * time.Second)}},
			want:    reconcilePlan{Desired: []string{nux.String()}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			if now.IsZero() {
				now = t0
			}
			got := planReconcile(c.desired, c.entries, now, linger)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("plan:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// reconcileSim applies plans to a fake session table with a fake clock and
// a fake spawner, the way Host.reconcile does, so whole histories can be
// checked.
type reconcileSim struct {
	now     time.Time
	linger  time.Duration
	entries map[string]*entryView
	spawns  map[string]int
	stops   map[string]int
}

func newSim(t0 time.Time) *reconcileSim {
	return &reconcileSim{now: t0, linger: 10 * time.Second, entries: map[string]*entryView{}, spawns: map[string]int{}, stops: map[string]int{}}
}

func (s *reconcileSim) pass(desired ...desiredAgent) {
	views := map[string]entryView{}
	for k, e := range s.entries {
		views[k] = *e
	}
	p := planReconcile(desired, views, s.now, s.linger)
	for _, k := range p.Desired {
		s.entries[k].WasDesired, s.entries[k].UndesiredSince = true, time.Time{}
	}
	for _, k := range p.Undesired {
		s.entries[k].UndesiredSince = s.now
	}
	for _, k := range p.Stop {
		// The host stops the process; a linger stop removes the entry
		// once the exit was handled.
		s.stops[k]++
		delete(s.entries, k)
	}
	for _, k := range p.Forget {
		delete(s.entries, k)
	}
	for _, d := range p.Start {
		s.spawns[d.Addr.String()]++
		s.entries[d.Addr.String()] = &entryView{WasDesired: true}
	}
}

func (s *reconcileSim) advance(d time.Duration) { s.now = s.now.Add(d) }

func TestReconcileHistory(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	nux := polecat("nux")
	work := desiredAgent{Addr: nux, Hooked: &models.Bead{ID: "mp-1", Status: models.StatusHooked}}
	key := nux.String()

	t.Run("crash loop: an exited session is never restarted", func(t *testing.T) {
		s := newSim(t0)
		s.pass(work)
		s.entries[key].Exited = true // the agent crashed
		for i := 0; i < 100; i++ {   // 100 pokes / 5 s ticks
			s.advance(5 * time.Second)
			s.pass(work)
		}
		if s.spawns[key] != 1 {
			t.Fatalf("spawned %d times, want 1", s.spawns[key])
		}
	})
	t.Run("hook empties: session ends after linger, then new work starts a fresh one", func(t *testing.T) {
		s := newSim(t0)
		s.pass(work)
		s.advance(time.Second)
		s.pass() // gt done emptied the hook
		for _, step := range []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second} {
			s.advance(step)
			s.pass()
			if s.stops[key] != 0 {
				t.Fatalf("stopped before linger at +%s", s.now.Sub(t0))
			}
		}
		s.advance(time.Second) // 10 s after the hook emptied
		s.pass()
		if s.stops[key] != 1 {
			t.Fatalf("stops = %d after linger, want 1", s.stops[key])
		}
		s.advance(time.Second)
		s.pass(work)
		if s.spawns[key] != 2 {
			t.Fatalf("spawns = %d, want 2 (new work after the session ended)", s.spawns[key])
		}
	})
	t.Run("exited polecat whose hook empties is forgotten after linger", func(t *testing.T) {
		s := newSim(t0)
		s.pass(work)
		s.entries[key].Exited = true
		s.advance(time.Second)
		s.pass()
		s.advance(10 * time.Second)
		s.pass()
		if _, ok := s.entries[key]; ok {
			t.Fatal("exited, undesired entry still listed after linger")
		}
		if s.stops[key] != 0 {
			t.Fatal("an exited session was stopped")
		}
	})
}
