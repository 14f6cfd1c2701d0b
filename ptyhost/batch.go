package ptyhost

import (
	"strconv"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// Scroll batching.
//
// x/vt scrolls one line by copying every cell of every other row of the
// scroll region, so `cat`-style output (N lines at the bottom of the screen)
// costs N full-screen copies, and that dominates its throughput. When the
// cursor sits at column 0 of the last row of a full-screen scroll region,
// the pen has no background colour, and the output is k plain lines (text
// narrower than the screen, SGR that cannot set a background, CR LF),
// printing them one by one is equivalent to: scroll up k at once
// (CSI k S pushes the same k top rows into the scrollback, in order), then
// print line i on row rows-1-k+i, then put the cursor back at column 0 of
// the last row. That costs one copy instead of k. k is capped at rows-1 so
// every row pushed to the scrollback is one that existed before the batch.
// Nothing else about the emulator's state differs: the background stays
// default throughout, so every blank row a scroll creates is the same; the
// same bytes print in the same order with the same SGR changes (same pen,
// same last character for REP, same charsets, same grapheme clusters: CUP
// ends a cluster as CR does); CUP resets a pending wrap as CR does.
// TestFilterMatchesRawEmulator and TestBatchingMatchesRawEmulator check the
// result against a bare emulator fed the same bytes.

// minBatch is the fewest lines worth batching.
const minBatch = 2

// Scanner states for nextLineRun (filtered output only: valid UTF-8, no
// DCS/APC/PM/SOS; OSC only as re-emitted by the filter, ended by ESC \).
const (
	scanGround = iota
	scanEsc
	scanEscInter
	scanCSI
	scanOSC
	scanOSCEsc
)

// nextLineRun finds the first run of at least minBatch plain lines in p
// (which starts in the parser's ground state). A plain line begins at a
// line start in the ground state, holds printable characters (UTF-8 allowed)
// and SGR sequences that cannot set a background colour (so every blank row
// a scroll creates is the same default blank), fits in cols-1 cells, and
// ends with CR LF. It returns the run's byte range and line count (at most
// maxLines), or lines == 0 when there is none.
func nextLineRun(p []byte, cols, maxLines int) (start, end, lines int) {
	st := scanGround
	lineStart := 0
	simple := true
	ascii := 0        // printable ASCII bytes on this line
	nonASCII := false // the line has UTF-8 (width measured at its end)
	csiStart := 0     // where the current CSI's parameters begin
	runStart, runEnd, runLines := 0, 0, 0
	endLine := func() (done bool) {
		if !simple {
			if runLines >= minBatch {
				return true
			}
			runLines = 0
		}
		return false
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch st {
		case scanGround:
			switch {
			case b >= 0x20 && b < 0x7f:
				ascii++
				continue
			case b >= 0x80:
				nonASCII = true
				continue
			case b == '\r' && i+1 < len(p) && p[i+1] == '\n':
				if simple {
					if nonASCII {
						// Two cells of slack in case the emulator measures a
						// cluster differently: a wrap must be impossible.
						simple = ansi.StringWidth(string(p[lineStart:i])) <= cols-3
					} else {
						simple = ascii <= cols-1
					}
				}
				if simple {
					if runLines == 0 {
						runStart = lineStart
					}
					runLines++
					runEnd = i + 2
					if runLines == maxLines {
						return runStart, runEnd, runLines
					}
				} else if endLine() {
					return runStart, runEnd, runLines
				}
				i++
				lineStart = i + 1
				simple, ascii, nonASCII = true, 0, false
				continue
			case b == 0x1b:
				st = scanEsc
				continue
			}
			// Any other control: this line is not plain.
			simple = false
			if endLine() {
				return runStart, runEnd, runLines
			}
		case scanEsc:
			switch {
			case b == '[':
				st = scanCSI
				csiStart = i + 1
				continue
			case b == ']':
				st = scanOSC
			case b >= 0x20 && b <= 0x2f:
				st = scanEscInter
			case b == 0x1b:
			case b >= 0x30 && b <= 0x7e, b == 0x18, b == 0x1a, b >= 0x80:
				st = scanGround
			}
			simple = false
			if endLine() {
				return runStart, runEnd, runLines
			}
		case scanEscInter:
			switch {
			case b == 0x1b:
				st = scanEsc
			case b >= 0x30 && b <= 0x7e, b == 0x18, b == 0x1a, b >= 0x80:
				st = scanGround
			}
		case scanCSI:
			switch {
			case b == 0x1b:
				st = scanEsc
				simple = false
			case b >= 0x40 && b <= 0x7e:
				// Final byte. (The emulator also abandons a CSI whose
				// intermediates are followed by a parameter byte; both end
				// in the ground state before the next line start matters.)
				st = scanGround
				if b != 'm' || !sgrKeepsBackground(p[csiStart:i]) {
					simple = false
				}
			case b == 0x18 || b == 0x1a || b >= 0x80:
				st = scanGround
				simple = false
			case b < 0x20:
				simple = false // a control executed inside the sequence
			}
			if !simple && endLine() {
				return runStart, runEnd, runLines
			}
		case scanOSC:
			if b == 0x1b {
				st = scanOSCEsc
			}
		case scanOSCEsc:
			st = scanGround
			if b != '\\' {
				st = scanEsc
				i--
			}
		}
	}
	if runLines >= minBatch {
		return runStart, runEnd, runLines
	}
	return len(p), len(p), 0
}

// sgrKeepsBackground reports whether SGR parameters params (digits, ';' and
// ':' only: no private prefix, no intermediates) cannot set a background
// colour. A number 40-49 or 100-107 is refused, except as the index or a
// component of a well-formed semicolon 38;5;N or 38;2;R;G;B (or 58;…)
// colour, which x/vt consumes whole. Colon groups are judged number by
// number (a malformed one is read as plain attributes).
func sgrKeepsBackground(params []byte) bool {
	const maxGroups = 32
	var vals [maxGroups]int
	var colon [maxGroups]bool
	n, cur := 0, 0
	bg := func(v int) bool { return (v >= 40 && v <= 49) || (v >= 100 && v <= 107) }
	for _, c := range params {
		switch {
		case c >= '0' && c <= '9':
			if cur < 1000 {
				cur = cur*10 + int(c-'0')
			}
		case c == ':':
			if bg(cur) {
				return false
			}
			colon[n] = true
			cur = 0
		case c == ';':
			if n == maxGroups-1 {
				return false
			}
			vals[n] = cur
			n++
			cur = 0
		default:
			return false
		}
	}
	vals[n] = cur
	n++
	for i := 0; i < n; i++ {
		v := vals[i]
		if colon[i] {
			if bg(v) {
				return false
			}
			continue
		}
		switch {
		case (v == 38 || v == 58) && i+2 < n && vals[i+1] == 5 && !colon[i+1] && !colon[i+2]:
			i += 2
		case (v == 38 || v == 58) && i+4 < n && vals[i+1] == 2 &&
			!colon[i+1] && !colon[i+2] && !colon[i+3] && !colon[i+4]:
			i += 4
		case bg(v):
			return false
		}
	}
	return true
}

// screensOf returns the emulator's two Screen values (main, alternate),
// reached by reflection like disableAltScrollback; nil when unavailable.
func screensOf(e *vt.Emulator) (main, alt *vt.Screen) {
	defer func() {
		if recover() != nil {
			main, alt = nil, nil
		}
	}()
	a, err := emulatorScreens(e)
	if err != nil {
		return nil, nil
	}
	return a[0], a[1]
}

// canBatchLocked reports whether the emulator is in the state the batch
// transformation assumes.
func (t *Terminal) canBatchLocked() bool {
	if t.screens[0] == nil || t.cols < 2 || t.rows < 3 {
		return false
	}
	ok := false
	t.guard("batch-check", func() {
		scr := t.screens[0]
		if t.emu.IsAltScreen() {
			scr = t.screens[1]
		}
		pos := t.emu.CursorPosition()
		r := scr.ScrollRegion()
		ok = pos.X == 0 && pos.Y == t.rows-1 && scr.Cursor().Pen.Bg == nil &&
			r.Min.X == 0 && r.Min.Y == 0 && r.Max.X == t.cols && r.Max.Y == t.rows &&
			scr.Width() == t.cols && scr.Height() == t.rows
	})
	return ok
}

// batchLocked writes a run of k plain lines as one scroll plus positioned
// prints (see the comment at the top of this file).
func (t *Terminal) batchLocked(run []byte, k int) {
	t.batches++
	seq := make([]byte, 0, len(run)+k*10+16)
	seq = append(seq, 0x1b, '[')
	seq = strconv.AppendInt(seq, int64(k), 10)
	seq = append(seq, 'S')
	row := t.rows - k // 1-based row of the first line
	for len(run) > 0 {
		j := 0
		for run[j] != '\r' {
			j++
		}
		if j > 0 {
			seq = append(seq, 0x1b, '[')
			seq = strconv.AppendInt(seq, int64(row), 10)
			seq = append(seq, ";1H"...)
			seq = append(seq, run[:j]...)
		}
		run = run[j+2:]
		row++
	}
	seq = append(seq, 0x1b, '[')
	seq = strconv.AppendInt(seq, int64(t.rows), 10)
	seq = append(seq, ";1H"...)

	// The scroll pushes the top k rows into the emulator's scrollback, which
	// clones them (~9 KB each) only for drainLocked to re-encode them. Encode
	// them straight from the screen instead and switch the emulator's
	// scrollback off for this one write.
	scr := t.screens[0]
	if t.emu.IsAltScreen() {
		scr = t.screens[1]
	}
	sb := scr.Scrollback()
	if sb == nil {
		t.rawWriteLocked(seq)
		return
	}
	for y := range k {
		row := t.uvScratch[:0]
		for x := range t.cols {
			if c := scr.CellAt(x, y); c != nil {
				row = append(row, *c)
			} else {
				row = append(row, uv.Cell{})
			}
		}
		t.uvScratch = row
		var w int
		t.lineBuf, w = encodeStoredLine(t.lineBuf[:0], row, &t.lineScratch)
		t.sb.push(storedLine{text: string(t.lineBuf), width: w})
	}
	clear(t.uvScratch) // drop references to cell strings
	scr.SetScrollback(nil)
	t.rawWriteLocked(seq)
	scr.SetScrollback(sb)
}
