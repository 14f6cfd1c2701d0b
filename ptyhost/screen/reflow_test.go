package screen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// logical is the main screen's content as logical lines (scrollback then
// screen, rows joined by the soft-wrap flag), read from the engine's
// internals: each line's cells with trailing default blanks trimmed, and
// the cursor as (line, cell offset).
type logical struct {
	lines            [][]rcell
	curLine, curCell int
}

func readLogical(s *Screen) logical {
	b := &s.bufs[0]
	nsb := s.sb.len()
	total := nsb + s.rows
	wrapped := func(i int) bool {
		if i < nsb {
			return s.sb.at(i).wrapped
		}
		return b.row(i - nsb).wrapped
	}
	startsWide := func(i int) bool {
		if i < nsb {
			return s.sb.at(i).startsWide()
		}
		return b.row(i - nsb).cells[0].kind == kindWide
	}
	var lg logical
	curRow := nsb + b.cur.y
	var cur []rcell
	for i := range total {
		start := len(cur)
		if i < nsb {
			cur = s.sb.at(i).appendRcells(cur, s.cols)
		} else {
			for _, v := range b.row(i - nsb).cells {
				cur = append(cur, s.rcellOf(v))
			}
		}
		if i == curRow {
			lg.curLine, lg.curCell = len(lg.lines), start+b.cur.x
			if s.pending && !s.alt {
				lg.curCell++
			}
		}
		if wrapped(i) && i+1 < total {
			if n := len(cur); cur[n-1].blank() && startsWide(i+1) {
				cur = cur[:n-1]
			}
			continue
		}
		n := len(cur)
		for n > 0 && cur[n-1].blank() && cur[n-1].st.IsZero() {
			n--
		}
		lg.lines = append(lg.lines, cur[:n])
		cur = nil
	}
	// Empty lines below the cursor are padding.
	n := len(lg.lines)
	for n > lg.curLine+1 && len(lg.lines[n-1]) == 0 {
		n--
	}
	lg.lines = lg.lines[:n]
	return lg
}

// text renders a logical line: contents, with styles, trailing spaces
// trimmed.
func lineText(l []rcell, styles bool) string {
	for len(l) > 0 && l[len(l)-1].space() && l[len(l)-1].st.IsZero() {
		l = l[:len(l)-1]
	}
	var b strings.Builder
	cur := Style{}
	for _, c := range l {
		if c.w == 0 {
			continue
		}
		if styles && c.st != cur {
			fmt.Fprintf(&b, "{%v}", c.st)
			cur = c.st
		}
		switch {
		case c.str != "":
			b.WriteString(c.str)
		case c.ch == 0:
			b.WriteByte(' ')
		default:
			b.WriteRune(rune(c.ch))
		}
	}
	if styles {
		return b.String()
	}
	return strings.TrimRight(b.String(), " ")
}

func (lg logical) texts(styles bool) []string {
	out := make([]string, len(lg.lines))
	for i, l := range lg.lines {
		out[i] = lineText(l, styles)
	}
	return out
}

// joined is the whole text, one line per logical line, trailing empty
// lines dropped.
func (lg logical) joined() string {
	return strings.TrimRight(strings.Join(lg.texts(false), "\n"), "\n")
}

// cursorPos is the byte offset in joined() of the cursor's line start
// plus its text up to the cursor's cell.
func (lg logical) cursorPos() int {
	t := lg.texts(false)
	pos := 0
	for i := range lg.curLine {
		pos += len(t[i]) + 1
	}
	l := lg.lines[lg.curLine]
	return pos + min(len(lineText(l[:min(lg.curCell, len(l))], false)), len(t[lg.curLine]))
}

func screenRows(s *Screen) []string {
	var out []string
	for y := range s.rows {
		out = append(out, s.AppendLine(nil, y).Plain())
	}
	return out
}

func long(tag string, n int) string {
	return tag + strings.Repeat("abcdefghij", n/10+1)[:n-len(tag)]
}

// TestReflowRoundTrip: narrowing then widening back restores the logical
// lines (text and styles) and the cursor's place in them; at the narrow
// width the lines are the same too.
func TestReflowRoundTrip(t *testing.T) {
	prompt := "\x1b[1;32muser@host\x1b[m:\x1b[34m~/src\x1b[m$ "
	cases := []struct {
		name         string
		cols, rows   int
		in           string
		ncols, nrows int // the narrow size (nrows 0: unchanged)
		wantNarrow   []string
	}{
		{name: "long lines", cols: 40, rows: 10, ncols: 20,
			in: long("L1-", 63) + "\r\n" + long("L2-", 63) + "\r\n" + long("L3-", 63) + "\r\nPROMPT$ "},
		{name: "exact width lines", cols: 20, rows: 6, ncols: 7,
			in:         long("A", 20) + "\r\n" + long("B", 20) + "\r\n" + long("C", 20),
			wantNarrow: []string{"Babcdef", "ghijabc", "defghi", "Cabcdef", "ghijabc", "defghi"}},
		{name: "wide chars at the edge", cols: 10, rows: 6, ncols: 5,
			in:         "abcd世界x世界世界yz\r\n",
			wantNarrow: []string{"abcd", "世界x", "世界", "世界y", "z", ""}},
		{name: "wide padding at old width", cols: 5, rows: 6, ncols: 3,
			in: "abcd世界x世界世界yz\r\n"},
		{name: "combining clusters", cols: 8, rows: 5, ncols: 3,
			in: "e\u0301e\u0301e\u0301👍🏽🇫🇷xyze\u0301e\u0301ab👍🏽\r\nnext"},
		{name: "trailing spaces", cols: 20, rows: 6, ncols: 8,
			in: "hello   \r\nx\x1b[41m   \x1b[m\r\n" + long("w", 20) + " \x1b[44m \x1b[m\r\n$ "},
		{name: "erased blank before a wide char", cols: 10, rows: 4, ncols: 3,
			in: "ab\x1b[1C世cd\r\n", wantNarrow: []string{"ab", "世c", "d", ""}},
		{name: "trailing spaces make no rows", cols: 20, rows: 4, ncols: 8,
			in: "hello" + strings.Repeat(" ", 15) + "\r\n$ ", wantNarrow: []string{"hello", "$", "", ""}},
		{name: "hard and soft breaks", cols: 10, rows: 8, ncols: 4,
			in: "aaaaaaaaaa\r\nbbbbbbbbbbbb\r\n\r\ncc\r\n" + long("d", 25)},
		{name: "styles across the wrap", cols: 12, rows: 6, ncols: 5,
			in: "\x1b[31mred \x1b[1;44mbold on blue\x1b[m plain \x1b[4:3;58;5;9mcurly\x1b[m\r\n" + prompt},
		{name: "cursor mid-line", cols: 30, rows: 5, ncols: 9,
			in: long("M", 70) + "\x1b[25D"},
		{name: "cursor at the end", cols: 30, rows: 5, ncols: 7,
			in: long("E", 45)},
		{name: "cursor on a pending wrap", cols: 20, rows: 5, ncols: 7,
			in: long("P", 40)},
		{name: "cursor past the text", cols: 30, rows: 5, ncols: 8,
			in: "abc\x1b[20C"},
		{name: "cursor on a wide char", cols: 10, rows: 5, ncols: 3,
			in: "ab世界cd世界\x1b[5D"},
		{name: "scrollback crossing", cols: 20, rows: 4, ncols: 6,
			in: strings.Repeat(long("S", 50)+"\r\n", 6) + long("T", 35) + "\r\n" + prompt + "ls"},
		{name: "one column", cols: 12, rows: 5, ncols: 1,
			in: long("one", 30) + "\r\nab\r\n$ "},
		{name: "height change too", cols: 30, rows: 10, ncols: 10, nrows: 4,
			in: long("H", 70) + "\r\n" + long("I", 15) + "\r\n" + prompt},
		{name: "height grows", cols: 30, rows: 4, ncols: 12, nrows: 9,
			in: long("G", 70) + "\r\n" + long("J", 15) + "\r\n" + prompt},
		{name: "content below the cursor", cols: 20, rows: 6, ncols: 10,
			in: long("top", 30) + "\r\n" + long("mid", 25) + "\r\nbottom\x1b[2;5H"},
		{name: "log then prompt", cols: 40, rows: 8, ncols: 17,
			in: string(buildLog(3000, 3)) + prompt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(c.cols, c.rows, Options{Reflow: true})
			_, _ = s.WriteString(c.in)
			before := readLogical(s)
			beforeRows := screenRows(s)
			nrows := c.nrows
			if nrows == 0 {
				nrows = c.rows
			}
			check := func(when string, got logical) {
				t.Helper()
				if g, w := got.texts(true), before.texts(true); strings.Join(g, "\n") != strings.Join(w, "\n") {
					t.Fatalf("%s: logical lines\n got %q\nwant %q", when, g, w)
				}
				if got.curLine != before.curLine || got.curCell != before.curCell {
					t.Fatalf("%s: cursor on line %d cell %d, want line %d cell %d", when, got.curLine, got.curCell, before.curLine, before.curCell)
				}
			}
			s.Resize(c.ncols, nrows)
			check("narrow", readLogical(s))
			if c.wantNarrow != nil {
				if got := screenRows(s); strings.Join(got, "|") != strings.Join(c.wantNarrow, "|") {
					t.Fatalf("narrow rows\n got %q\nwant %q", got, c.wantNarrow)
				}
			}
			cur := s.Cursor()
			if cur.X >= c.ncols || cur.Y >= nrows {
				t.Fatalf("cursor %+v outside %dx%d", cur, c.ncols, nrows)
			}
			s.Resize(c.cols, c.rows)
			check("widened back", readLogical(s))
			if got := screenRows(s); strings.Join(got, "\n") != strings.Join(beforeRows, "\n") {
				t.Fatalf("screen after the round trip\n got %q\nwant %q", got, beforeRows)
			}
		})
	}
}

// TestReflowCursorStaysOnScreen: when the rows below the cursor no longer
// fit, the cursor's row stays on screen (the rows below it are cut, as on
// a height shrink) rather than the cursor landing on another line.
func TestReflowCursorStaysOnScreen(t *testing.T) {
	s := New(20, 4, Options{Reflow: true})
	a := long("a", 40)
	_, _ = s.WriteString(a + "\r\n" + long("b", 35) + "\x1b[1;3H")
	s.Resize(10, 4)
	if got, want := screenRows(s), []string{a[:10], a[10:20], a[20:30], a[30:]}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("rows %q, want %q", got, want)
	}
	if c := s.Cursor(); c.X != 2 || c.Y != 0 || s.ScrollbackLen() != 0 {
		t.Fatalf("cursor %+v, scrollback %d", c, s.ScrollbackLen())
	}
}

// TestReflowSavedCursor: the DECSC cursor moves with its character too.
func TestReflowSavedCursor(t *testing.T) {
	text := long("s", 50)
	for _, alt := range []bool{false, true} {
		s := New(20, 10, Options{Reflow: true})
		_, _ = s.WriteString(text + "\x1b[1;15H\x1b7\x1b[3;11H")
		if alt {
			_, _ = s.WriteString("\x1b[?1047h")
		}
		s.Resize(7, 10)
		if alt {
			_, _ = s.WriteString("\x1b[?1047l")
		}
		if c := s.Cursor(); s.CellAt(0, c.Y).Content != text[49:] || c.X != 1 {
			t.Fatalf("alt %v: cursor %+v, want just after the text", alt, c)
		}
		_, _ = s.WriteString("\x1b8")
		if c := s.Cursor(); s.CellAt(c.X, c.Y).Content != text[14:15] || c.X != 0 {
			t.Fatalf("alt %v: restored cursor %+v on %q, want %q", alt, c, s.CellAt(c.X, c.Y).Content, text[14:15])
		}
	}
}

// TestReflowLikeTmux: the layouts real tmux 3.3a gives for the same
// stream (40x10, then 80 columns, then 25, then 80 again). One deliberate
// difference: narrowing to 25, tmux keeps the two blank rows below the
// cursor and pushes two more content rows to its history (history 12,
// cursor row 7); we drop blank rows below the cursor first (history 10,
// cursor on the last row), as the height-shrink rule does.
func TestReflowLikeTmux(t *testing.T) {
	var in strings.Builder
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&in, "L%d-%s\r\n", i, strings.Repeat("abcdefghij", 6))
	}
	in.WriteString("short\r\nPROMPT$ ")
	s := New(40, 10, Options{Reflow: true})
	_, _ = s.WriteString(in.String())
	steps := []struct {
		cols       int
		hist, x, y int
	}{{40, 4, 8, 9}, {80, 0, 8, 7}, {25, 10, 8, 9}, {80, 0, 8, 7}}
	full := func(i int) string { return fmt.Sprintf("L%d-%s", i, strings.Repeat("abcdefghij", 6)) }
	for _, st := range steps {
		s.Resize(st.cols, 10)
		c := s.Cursor()
		if s.ScrollbackLen() != st.hist || c.X != st.x || c.Y != st.y {
			t.Fatalf("at %d columns: history %d, cursor %d,%d; tmux: %d, %d,%d", st.cols, s.ScrollbackLen(), c.X, c.Y, st.hist, st.x, st.y)
		}
		if st.cols == 80 {
			want := []string{full(1), full(2), full(3), full(4), full(5), full(6), "short", "PROMPT$", "", ""}
			if got := screenRows(s); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("at 80 columns:\n got %q\nwant %q", got, want)
			}
		}
	}
}

// TestReflowScrollbackLimit: rows a narrower width adds beyond the limit
// drop the oldest; what is left is the newest text.
func TestReflowScrollbackLimit(t *testing.T) {
	s := New(30, 4, Options{Reflow: true, Scrollback: 5})
	for i := range 6 {
		_, _ = s.WriteString(long(fmt.Sprintf("%d:", i), 50) + "\r\n")
	}
	_, _ = s.WriteString("$ ")
	before := readLogical(s).joined()
	s.Resize(10, 4)
	if n := s.ScrollbackLen(); n != 5 {
		t.Fatalf("scrollback has %d rows, want the limit 5", n)
	}
	mid := readLogical(s).joined()
	if !strings.HasSuffix(before, mid) || len(mid) >= len(before) {
		t.Fatalf("after narrowing %q is not a shorter tail of %q", mid, before)
	}
	s.Resize(30, 4)
	if got := readLogical(s).joined(); got != mid {
		t.Fatalf("widening changed the text:\n got %q\nwant %q", got, mid)
	}
	// No scrollback at all.
	s = New(30, 4, Options{Reflow: true, Scrollback: -1})
	_, _ = s.WriteString(long("a", 60) + "\r\n" + long("b", 60) + "\r\n$ ")
	s.Resize(10, 4)
	if s.ScrollbackLen() != 0 {
		t.Fatal("a screen without scrollback kept rows")
	}
	if got := screenRows(s); got[3] != "$" || got[2] != "jabcdefghi" {
		t.Fatalf("rows %q", got)
	}
}

// TestReflowOffAndAltScreen: without the option rows are cut as before;
// the alternate screen is cut, the main screen behind it reflowed.
func TestReflowOffAndAltScreen(t *testing.T) {
	s := New(20, 4, Options{})
	_, _ = s.WriteString(long("x", 30))
	s.Resize(10, 4)
	s.Resize(20, 4)
	if got := screenRows(s); got[0] != long("x", 30)[:10] || got[1] != long("x", 30)[20:] {
		t.Fatalf("without reflow: %q", got)
	}

	s = New(20, 4, Options{Reflow: true})
	_, _ = s.WriteString(long("h", 70) + "\r\n" + long("m", 30) + "\x1b[?1049h" + long("a", 30))
	s.Resize(10, 4)
	if n := s.ScrollbackLen(); n != 2 {
		t.Fatalf("scrollback changed under the alt screen: %d rows, want 2 (as tmux)", n)
	}
	if got := screenRows(s); got[0] != long("a", 30)[:10] || got[1] != long("a", 30)[20:] {
		t.Fatalf("alt screen reflowed: %q", got)
	}
	// A style table compaction while the main screen waits.
	for i := range maxStyles + 10 {
		fmt.Fprintf(s, "\x1b[38;2;%d;%d;%dmx", i&255, i>>8&255, 7)
	}
	_, _ = s.WriteString("\x1b[?1049l")
	if got := screenRows(s); got[1] != long("m", 30)[:10] || got[3] != long("m", 30)[20:] {
		t.Fatalf("main screen behind the alt screen: %q", got)
	}
	if c := s.Cursor(); c.X != 9 || c.Y != 3 {
		t.Fatalf("main cursor %+v, want 9,3 (on the last char: a restored cursor has no pending wrap)", c)
	}
	if got := strings.Join(readLogical(s).texts(true), "|"); got != long("h", 70)+"|"+long("m", 30) {
		t.Fatalf("main screen lines after the alt screen: %q", got)
	}
}

// TestReflowGenerations: every row gets a new generation.
func TestReflowGenerations(t *testing.T) {
	s := New(20, 5, Options{Reflow: true})
	_, _ = s.WriteString(long("g", 50) + "\r\n$ ")
	g := s.Generation()
	s.Resize(9, 5)
	for y := range 5 {
		if s.RowGeneration(y) <= g {
			t.Fatalf("row %d kept generation %d", y, s.RowGeneration(y))
		}
	}
}

// checkReflowText resizes s through sizes (each a width change: a
// height-only change is not a reflow, and the engine alone then cuts the
// bottom rows; ptyhost.Terminal scrolls first) and checks after each that
// the text is the one before the first: a prefix of it that reaches the
// cursor (rows below the cursor's row are cut when it must stay on
// screen), or, when the scrollback limit may have dropped rows, a part of
// it. A width of 1 drops wide characters: then only nothing panics.
//
// underAlt does the resizes with the alternate screen on and checks once
// it is left (the main screen is reflowed then, from its size before).
func checkReflowText(t testing.TB, s *Screen, sizes [][2]int, underAlt bool) {
	_, _ = s.WriteString("\x1b[?1049l\x1b[?47l")
	lg := readLogical(s)
	want, curPos := lg.joined(), lg.cursorPos()
	limited := s.sb.max < DefaultScrollback
	lossy := false
	if underAlt {
		_, _ = s.WriteString("\x1b[?1049h\x1b[Hin the alt screen")
	}
	for i, sz := range sizes {
		if sz[0] == s.cols {
			sz[0]++
		}
		s.Resize(sz[0], sz[1])
		lossy = lossy || (sz[0] == 1 && !underAlt) || (underAlt && sizes[len(sizes)-1][0] == 1)
		if underAlt {
			if i < len(sizes)-1 {
				continue
			}
			_, _ = s.WriteString("\x1b[?1049l")
		}
		got := readLogical(s).joined()
		switch {
		case lossy:
		case limited:
			if !strings.Contains(want, got) {
				t.Fatalf("after resize to %v: text is not part of the original\n got %q\nwant %q", sz, got, want)
			}
		case !strings.HasPrefix(want, got) || len(got) < min(curPos, len(want)):
			t.Fatalf("after resize to %v (cursor at byte %d): text\n got %q\nwant %q", sz, curPos, got, want)
		}
		for y := range s.rows {
			_ = s.AppendRowANSI(nil, y, s.cols)
		}
	}
}

// TestReflowPreservesText is the property test over random streams.
func TestReflowPreservesText(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 60
	}
	gens := []func(rng *rand.Rand) []byte{
		func(rng *rand.Rand) []byte { return randomStream(rng, 400+rng.IntN(1500)) },
		func(rng *rand.Rand) []byte { return buildLog(2000+rng.IntN(4000), rng.Uint64()) },
		func(rng *rand.Rand) []byte { return inkRedraw(1000+rng.IntN(3000), rng.Uint64()) },
		func(rng *rand.Rand) []byte { return plainLines(500 + rng.IntN(3000)) },
	}
	for seed := range n {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		sbMax := []int{10000, 30, 3, -1}[rng.IntN(4)]
		s := New(1+rng.IntN(70), 1+rng.IntN(20), Options{Reflow: true, Scrollback: sbMax, Reply: func([]byte) {}})
		_, _ = s.Write(gens[seed%len(gens)](rng))
		var sizes [][2]int
		for range 1 + rng.IntN(6) {
			sizes = append(sizes, [2]int{1 + rng.IntN(90), 1 + rng.IntN(25)})
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkReflowText(t, s, sizes, seed%5 == 4) })
	}
}

// FuzzReflow: random bytes, then resizes picked by the input; never
// panics, and the text survives as in TestReflowPreservesText.
func FuzzReflow(f *testing.F) {
	for i := range 8 {
		rng := rand.New(rand.NewPCG(uint64(i), 17))
		f.Add(byte(rng.IntN(80)), byte(rng.IntN(20)), []byte{byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))}, randomStream(rng, 300+rng.IntN(600)))
	}
	f.Add(byte(40), byte(10), []byte{20, 80, 1}, buildLog(1500, 5))
	f.Add(byte(12), byte(5), []byte{3, 7, 200}, []byte("ab世界cd世界e\u0301\r\n👍🏽xy"))
	f.Fuzz(func(t *testing.T, c, r byte, widths, data []byte) {
		if len(data) > maxFuzzInput {
			data = data[:maxFuzzInput]
		}
		s := New(1+int(c)%120, 1+int(r)%40, Options{Reflow: true, Scrollback: 200, Reply: func([]byte) {}})
		_, _ = s.Write(data)
		var sizes [][2]int
		for i, w := range widths[:min(len(widths), 6)] {
			sizes = append(sizes, [2]int{1 + int(w)%120, 1 + (int(r)+i*7)%40})
		}
		checkReflowText(t, s, sizes, len(widths) > 0 && widths[0]%4 == 0)
	})
}

// reflowLog is n coloured lines, short and long.
func reflowLog(n int) []byte {
	var b strings.Builder
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "\x1b[32mok\x1b[m   line %d\r\n", i)
		case 1:
			fmt.Fprintf(&b, "\x1b[1;33mwarning\x1b[m: %s \x1b[36m%d\x1b[m\r\n", strings.Repeat("long text ", 20), i)
		case 2:
			fmt.Fprintf(&b, "\x1b[38;2;%d;100;200m%s\x1b[m 世界 %d\r\n", i%256, strings.Repeat("=", 90), i)
		default:
			fmt.Fprintf(&b, "plain %d %s\r\n", i, strings.Repeat("word ", i%30))
		}
	}
	return []byte(b.String())
}

// BenchmarkPaneReflow10k: one op is 80→120 then 120→80 columns with a
// full 10,000-row scrollback of mixed coloured lines.
func BenchmarkPaneReflow10k(b *testing.B) {
	s := New(80, 24, Options{Reflow: true})
	_, _ = s.Write(reflowLog(12000))
	_, _ = s.WriteString("$ ")
	if s.ScrollbackLen() != DefaultScrollback {
		b.Fatalf("scrollback %d", s.ScrollbackLen())
	}
	b.ResetTimer()
	for range b.N {
		s.Resize(120, 24)
		s.Resize(80, 24)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/resize")
}

// TestReflowResetUnderAltScreen: a reset (RIS) with the alternate screen
// on after a resize keeps the scrollback, reflowed to the new width (the
// screen's rows are erased: the line's last 20 characters).
func TestReflowResetUnderAltScreen(t *testing.T) {
	s := New(20, 3, Options{Reflow: true})
	line := long("r", 70)
	_, _ = s.WriteString(line + "\r\n$ \x1b[?1049h")
	s.Resize(10, 3)
	_, _ = s.WriteString("\x1bc")
	lg := readLogical(s)
	if len(lg.lines) == 0 || lineText(lg.lines[0], false) != line[:50] {
		t.Fatalf("after the reset: %q", lg.texts(false))
	}
	for i := range s.ScrollbackLen() {
		if l := s.AppendScrollbackLine(nil, i).Plain(); len(l) > 10 {
			t.Fatalf("scrollback row %q wider than the screen", l)
		}
	}
}

// TestReflowOneColumnWide: at one column wide characters are dropped (as
// on output); a cursor on one moves to the next character.
func TestReflowOneColumnWide(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{{"ab世cd\x1b[3G", "c"}, {"ab世cd\x1b[4G", "c"}, {"世ab\x1b[G", "a"}, {"ab世cd\x1b[2G", "b"}, {"世界", ""}} {
		s := New(10, 8, Options{Reflow: true})
		_, _ = s.WriteString(c.in)
		s.Resize(1, 8)
		cur := s.Cursor()
		if got := s.CellAt(0, cur.Y).Content; strings.TrimSpace(got) != c.want || cur.X != 0 {
			t.Errorf("%q: cursor %+v on %q, want on %q", c.in, cur, got, c.want)
		}
		if got := strings.Join(screenRows(s), ""); got != strings.Map(func(r rune) rune {
			if r == '世' || r == '界' {
				return -1
			}
			return r
		}, strings.Split(c.in, "\x1b")[0]) {
			t.Errorf("%q: text %q", c.in, got)
		}
	}
}
