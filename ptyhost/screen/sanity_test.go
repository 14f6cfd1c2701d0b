package screen

import "testing"

// TestDiffDetectsDifferences keeps the comparison honest: a cell, a cursor
// and a scrollback row that differ are all reported.
func TestDiffDetectsDifferences(t *testing.T) {
	ref, ours, _ := feedBoth(t, 20, 3, []byte("hello\r\nworld\r\n1\r\n2\r\n3"))
	if d := diffStates(ref, ours); d != "" {
		t.Fatalf("identical input differs:\n%s", d)
	}
	if len(ref.sb) != 2 || ref.sb[0].Plain() != "hello" {
		t.Fatalf("reference scrollback = %d rows", len(ref.sb))
	}
	ours.lines[1][2].Content = "X"
	ours.cx++
	ours.sb[0][0].Style.Attrs = AttrBold
	d := diffStates(ref, ours)
	for _, want := range []string{"cursor", "row 1 col 2", "scrollback row 0 col 0"} {
		if !contains(d, want) {
			t.Errorf("diff misses %q:\n%s", want, d)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
