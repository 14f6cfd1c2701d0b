package beads

import (
	"context"
	"testing"

	"github.com/gastown/gt/models"
)

func TestAgentSessionsWanted(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	if err := s.SetWanted(ctx, "", "claude", true); err == nil {
		t.Fatal("empty agent accepted")
	}
	if err := s.SetWanted(ctx, "mayor", "claude", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetWanted(ctx, "rig/crew/joe", "shell", true); err != nil {
		t.Fatal(err)
	}
	// Stop keeps the remembered runtime.
	if err := s.SetWanted(ctx, "mayor", "", false); err != nil {
		t.Fatal(err)
	}
	all, err := s.AgentSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Agent != "mayor" || all[0].Wanted || all[0].Runtime != "claude" || all[0].UpdatedAt.IsZero() {
		t.Fatalf("rows = %+v", all)
	}
	w, err := s.Wanted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || w[0].Agent != "rig/crew/joe" || w[0].Runtime != "shell" {
		t.Fatalf("wanted = %+v", w)
	}
	// Start with a new runtime replaces it.
	if err := s.SetWanted(ctx, "mayor", "codex", true); err != nil {
		t.Fatal(err)
	}
	w, _ = s.Wanted(ctx)
	if len(w) != 2 || w[0].Agent != "mayor" || w[0].Runtime != "codex" {
		t.Fatalf("wanted = %+v", w)
	}
	// Desired sessions are never exported.
	if dirty, err := s.ExportIfDirty(ctx); err != nil || dirty {
		t.Fatalf("export after SetWanted: dirty=%v err=%v", dirty, err)
	}
}

func TestLastActivity(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	var id string
	err := s.Write(ctx, "rig/polecats/nux", func(tx *Tx) error {
		b, err := tx.Create(&models.Bead{Title: "one"}, CreateOpts{})
		id = b.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.LastActivity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t0, ok := first["rig/polecats/nux"]
	if !ok || t0.IsZero() {
		t.Fatalf("activity = %v", first)
	}
	if _, ok := first["mayor"]; ok {
		t.Fatalf("mayor has activity: %v", first)
	}
	mustWrite(t, s, func(tx *Tx) error { return tx.AddLabel(id, "x") }) // actor "tester"
	err = s.Write(ctx, "rig/polecats/nux", func(tx *Tx) error { return tx.AddLabel(id, "y") })
	if err != nil {
		t.Fatal(err)
	}
	second, _ := s.LastActivity(ctx)
	if !second["rig/polecats/nux"].After(t0) || second["tester"].IsZero() {
		t.Fatalf("activity = %v (first %v)", second, t0)
	}
}
