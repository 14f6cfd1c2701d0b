package models

import "testing"

func TestProgressGlyph(t *testing.T) {
	for st, want := range map[Status]string{
		StatusClosed: "✓", StatusTombstone: "✓", StatusHooked: "▶", StatusInProgress: "▶",
		StatusOpen: "○", StatusBlocked: "○", StatusDeferred: "○", StatusPinned: "○", "custom": "○",
	} {
		if got := st.ProgressGlyph(); got != want {
			t.Errorf("%s: %q, want %q", st, got, want)
		}
	}
}
