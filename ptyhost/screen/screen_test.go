package screen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func plainRows(s *Screen) []string {
	out := make([]string, s.rows)
	for y := range s.rows {
		out[y] = Line(s.AppendLine(nil, y)).Plain()
	}
	return out
}

func TestDamageTracking(t *testing.T) {
	s := New(10, 4, Options{})
	_, _ = s.WriteString("a\r\nb\r\nc")
	g := s.Generation()
	_, _ = s.WriteString("\x1b[2;5Hx")
	if got := s.DirtyRows(nil, g); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after a write on row 1 dirty rows = %v", got)
	}
	g = s.Generation()
	_, _ = s.WriteString("\x1b[5;1H") // cursor moves change no cell
	if got := s.DirtyRows(nil, g); len(got) != 0 {
		t.Fatalf("a cursor move dirtied rows %v", got)
	}
	_, _ = s.WriteString("\x1b[4;1H\n") // scroll: every row shows new content
	if got := s.DirtyRows(nil, g); len(got) != 4 {
		t.Fatalf("after a scroll dirty rows = %v", got)
	}
	g = s.Generation()
	_, _ = s.WriteString("\x1b[2;3r\x1b[3;1H\n") // region scroll: rows 1-2 only
	if got := s.DirtyRows(nil, g); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("after a region scroll dirty rows = %v", got)
	}
	if s.RowGeneration(1) <= g || s.RowGeneration(0) > g {
		t.Fatalf("row generations %d %d (since %d)", s.RowGeneration(0), s.RowGeneration(1), g)
	}
}

func TestScrollIsRingRotation(t *testing.T) {
	s := New(5, 3, Options{Scrollback: 2})
	before := &s.cur.rows[0].cells[0]
	_, _ = s.WriteString("1\r\n2\r\n3\r\n4\r\n5")
	if &s.cur.rows[0].cells[0] != before {
		t.Fatal("row storage was reallocated by scrolling")
	}
	if got := strings.Join(plainRows(s), "|"); got != "3|4|5" {
		t.Fatalf("screen %q", got)
	}
	if s.ScrollbackLen() != 2 || s.ScrollbackText(0) != "1" || s.ScrollbackText(1) != "2" {
		t.Fatalf("scrollback %d %q %q", s.ScrollbackLen(), s.ScrollbackText(0), s.ScrollbackText(1))
	}
	_, _ = s.WriteString("\r\n6")
	if s.ScrollbackText(0) != "2" || s.ScrollbackText(1) != "3" {
		t.Fatalf("ring did not drop the oldest row: %q %q", s.ScrollbackText(0), s.ScrollbackText(1))
	}
}

func TestScrollbackRoundTrip(t *testing.T) {
	s := New(12, 2, Options{})
	rows := []string{
		"\x1b[1;31mred\x1b[m plain\x1b[44m bg  ",
		"世界e\u0301👍🏽a\u200db",
		"\x1b[4:3m\x1b[58;2;1;2;3mcurly\x1b[m \x1b(0qx\x1b(B",
	}
	var want []Line
	for _, r := range rows {
		_, _ = s.WriteString("\x1b[2J\x1b[H" + r)
		want = append(want, s.AppendLine(nil, 0))
		_, _ = s.WriteString("\x1b[2;1H\r\n\r\n") // scroll row 0 off
	}
	if s.ScrollbackLen() < len(rows) {
		t.Fatalf("scrollback %d rows", s.ScrollbackLen())
	}
	for i, w := range want {
		// Each written row is the first non-blank row pushed after the
		// clear (ED 2 pushes the screen too); find it.
		found := false
		for j := range s.ScrollbackLen() {
			if got := s.AppendScrollbackLine(nil, j); fmt.Sprint(normalize(got)) == fmt.Sprint(normalize(w)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("row %d (%q) not in the scrollback intact", i, w.Plain())
		}
	}
}

func TestStyleTableCompaction(t *testing.T) {
	s := New(20, 3, Options{Scrollback: 10})
	// 70,000 distinct true colours: more than a 16-bit style index holds.
	for i := range 70000 {
		fmt.Fprintf(s, "\x1b[38;2;%d;%d;%dmx", i>>16, (i>>8)&255, i&255)
	}
	_, _ = s.WriteString("\x1b[H\x1b[38;2;1;2;3mA")
	if c := s.CellAt(0, 0); c.Content != "A" || c.Style.Fg != RGBColor(1, 2, 3) {
		t.Fatalf("cell after compaction %+v", c)
	}
	last := 69999
	if c := s.CellAt(19, 2); c.Style.Fg != RGBColor(uint8(last>>16), uint8(last>>8), uint8(last)) {
		t.Fatalf("last cell %+v", c)
	}
	if len(s.styles) > maxStyles {
		t.Fatalf("style table %d", len(s.styles))
	}
}

func TestClusterTableCompaction(t *testing.T) {
	s := New(10, 2, Options{Scrollback: 5})
	for i := range maxClusters + 100 {
		// e + a combining mark + a distinct variation: distinct clusters.
		fmt.Fprintf(s, "%c\u0301\r\n", rune(0x4e00+i%20000))
	}
	if len(s.clusters) > maxClusters {
		t.Fatalf("cluster table %d", len(s.clusters))
	}
	_, _ = s.WriteString("e\u0301")
	if c := s.CellAt(0, 1); c.Content != "e\u0301" {
		t.Fatalf("cell %+v", c)
	}
}

func TestModesAndCursor(t *testing.T) {
	s := New(10, 3, Options{})
	_, _ = s.WriteString("\x1b[?1h\x1b[?2004h\x1b[?1003h\x1b[?1006h\x1b[?1004h\x1b[?25l\x1b[6 q\x1b=")
	m := s.Modes()
	if !m.AppCursorKeys || !m.BracketedPaste || !m.MouseAny || !m.MouseSGR || !m.FocusEvents || !m.AppKeypad {
		t.Fatalf("modes %+v", m)
	}
	if c := s.Cursor(); c.Visible || c.Shape != CursorBar || c.Blink {
		t.Fatalf("cursor %+v", c)
	}
	_, _ = s.WriteString("\x1bc")
	if m := s.Modes(); m != (Modes{AutoWrap: true}) {
		t.Fatalf("after RIS %+v", m)
	}
}

func TestPendingWrapAndREP(t *testing.T) {
	s := New(5, 3, Options{})
	_, _ = s.WriteString("abcde")
	if c := s.Cursor(); c.X != 4 || !c.PendingWrap {
		t.Fatalf("cursor %+v", c)
	}
	_, _ = s.WriteString("\x1b[3b")
	if got := strings.Join(plainRows(s), "|"); got != "abcde|eee|" {
		t.Fatalf("screen %q", got)
	}
	if !s.RowWrapped(0) || s.RowWrapped(1) {
		t.Fatal("wrap flags")
	}
}

func TestRepliesAndBell(t *testing.T) {
	var replies []string
	bells := 0
	s := New(10, 3, Options{Reply: func(p []byte) { replies = append(replies, string(p)) }, Bell: func() { bells++ }})
	_, _ = s.WriteString("ab\x1b[6n\x07\x1b[5n")
	if strings.Join(replies, ",") != "\x1b[1;3R,\x1b[0n" || bells != 1 {
		t.Fatalf("replies %q bells %d", replies, bells)
	}
}

func TestVersionAndAttributeQueries(t *testing.T) {
	tests := []struct{ query, want string }{
		{"\x1b[>q", "\x1bP>|gt\x1b\\"},
		{"\x1b[>0q", "\x1bP>|gt\x1b\\"},
		{"\x1b[>1q", ""},
		{"\x1b[>c", "\x1b[>1;10;0c"},
		{"\x1b[>0c", "\x1b[>1;10;0c"},
		{"\x1b[>1c", ""},
	}
	for _, tt := range tests {
		var got string
		s := New(10, 3, Options{Reply: func(p []byte) { got += string(p) }})
		_, _ = s.WriteString(tt.query)
		if got != tt.want {
			t.Errorf("%q: replied %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestAppendRowANSI(t *testing.T) {
	s := New(6, 1, Options{})
	_, _ = s.WriteString("\x1b[1mb\x1b[m世x")
	got := string(s.AppendRowANSI(nil, 0, 6))
	if got != "\x1b[0;1mb\x1b[m世x  " {
		t.Fatalf("%q", got)
	}
	if want := Line(s.AppendLine(nil, 0)).ANSI(6); got != want {
		t.Fatalf("AppendRowANSI %q, Line.ANSI %q", got, want)
	}
	if got := string(s.AppendRowANSI(nil, 0, 2)); got != "\x1b[0;1mb\x1b[m " {
		t.Fatalf("cut wide char: %q", got)
	}
}

// TestResizeClampsInactiveCursor: the screen not in use keeps a cursor that
// fits after a resize (it becomes active on the next switch).
func TestResizeClampsInactiveCursor(t *testing.T) {
	s := New(40, 10, Options{})
	_, _ = s.WriteString("\x1b[10;40Hx\x1b[?1049h")
	s.Resize(10, 5)
	_, _ = s.WriteString("\x1b[?1049labc\x1b8def\x1b[?1049h\x1b[?1049l\x1b[?1048lxyz")
	if c := s.Cursor(); c.X >= 10 || c.Y >= 5 {
		t.Fatalf("cursor %+v outside 10x5", c)
	}
}

// TestRandomWithResizesNeverPanics interleaves random streams, random bytes
// and resizes (both screens, scroll regions, saved cursors, pending wraps in
// play), with reflow off and on; the cursor always stays on the screen and
// the scrollback within its limit.
func TestRandomWithResizesNeverPanics(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 80
	}
	for _, reflow := range []bool{false, true} {
		for seed := range n {
			rng := rand.New(rand.NewPCG(uint64(seed), 5))
			s := New(1+rng.IntN(60), 1+rng.IntN(20), Options{Scrollback: 50, Reply: func([]byte) {}, Reflow: reflow})
			for range 8 {
				for _, tk := range randomTokens(rng, 300) {
					_, _ = s.Write(tk)
				}
				junk := make([]byte, rng.IntN(200))
				for i := range junk {
					junk[i] = byte(rng.Uint32())
				}
				_, _ = s.Write(junk)
				s.Resize(1+rng.IntN(60), 1+rng.IntN(20))
				c := s.Cursor()
				if c.X < 0 || c.X >= s.cols || c.Y < 0 || c.Y >= s.rows || s.ScrollbackLen() > 50 {
					t.Fatalf("reflow %v, seed %d: cursor %+v, scrollback %d at %dx%d", reflow, seed, c, s.ScrollbackLen(), s.cols, s.rows)
				}
				for y := range s.rows {
					_ = s.AppendRowANSI(nil, y, s.cols)
				}
				for i := range s.ScrollbackLen() {
					_ = s.AppendScrollbackLine(nil, i)
				}
			}
		}
	}
}

func TestGround(t *testing.T) {
	s := New(10, 2, Options{})
	for _, c := range []struct {
		in     string
		ground bool
	}{{"abc", true}, {"\x1b[3", false}, {"1m", true}, {"\x1b]0;ti", false}, {"tle\x07", true}} {
		_, _ = s.WriteString(c.in)
		if s.Ground() != c.ground {
			t.Errorf("after %q Ground() = %v", c.in, !c.ground)
		}
	}
}
