package ptyhost

import (
	"strconv"

	"github.com/charmbracelet/x/vt"
)

// Scroll batching.
//
// x/vt scrolls one line by copying every cell of every other row of the
// scroll region, so `cat`-style output (N lines at the bottom of the screen)
// costs N full-screen copies, and that dominates its throughput. When the
// cursor sits at column 0 of the last row of a full-screen scroll region
// and the output is k plain lines ("printable ASCII shorter than the width,
// CR LF"), printing them one by one is equivalent to: scroll up k at once
// (CSI k S pushes the same k top rows into the scrollback, in order), then
// print line i on row rows-1-k+i, then put the cursor back at column 0 of
// the last row. That costs one copy instead of k. k is capped at rows-1 so
// every row pushed to the scrollback is one that existed before the batch.
// Nothing else about the emulator's state differs: no SGR is involved (the
// blank rows get the same pen), the characters print in the same order
// (same last character for REP, same charset handling), and CUP only resets
// a pending-wrap state that cannot be set at column 0.
// TestFilterMatchesRawEmulator and TestBatchingMatchesRawEmulator check the
// result against a bare emulator fed the same bytes.

// minBatch is the fewest lines worth batching.
const minBatch = 2

// Scanner states for nextLineRun (filtered output only: no DCS/APC/PM/SOS;
// OSC only as re-emitted by the filter, ended by ESC \).
const (
	scanGround = iota
	scanEsc
	scanEscInter
	scanCSI
	scanOSC
	scanOSCEsc
)

// nextLineRun finds the first run of at least minBatch plain lines in p
// (which starts in the parser's ground state): each line begins at a line
// start in the ground state, is printable ASCII of at most cols-1
// characters, and ends with CR LF. It returns the run's byte range and line
// count (at most maxLines), or lines == 0 when there is none.
func nextLineRun(p []byte, cols, maxLines int) (start, end, lines int) {
	st := scanGround
	lineStart := 0
	simple := true
	runStart, runEnd, runLines := 0, 0, 0
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch st {
		case scanGround:
			switch {
			case b >= 0x20 && b < 0x7f:
				continue
			case b == '\r' && i+1 < len(p) && p[i+1] == '\n':
				if simple && i-lineStart <= cols-1 {
					if runLines == 0 {
						runStart = lineStart
					}
					runLines++
					runEnd = i + 2
					if runLines == maxLines {
						return runStart, runEnd, runLines
					}
				} else {
					if runLines >= minBatch {
						return runStart, runEnd, runLines
					}
					runLines = 0
				}
				i++
				lineStart = i + 1
				simple = true
				continue
			case b == 0x1b:
				st = scanEsc
			}
			// Any other control, an escape or a non-ASCII byte: this line
			// is not plain.
			simple = false
			if runLines >= minBatch {
				return runStart, runEnd, runLines
			}
			runLines = 0
		case scanEsc:
			switch {
			case b == '[':
				st = scanCSI
			case b == ']':
				st = scanOSC
			case b >= 0x20 && b <= 0x2f:
				st = scanEscInter
			case b == 0x1b:
			case b >= 0x30 && b <= 0x7e:
				st = scanGround
			case b == 0x18 || b == 0x1a:
				st = scanGround
			case b >= 0x80:
				st = scanGround
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
			case b >= 0x40 && b <= 0x7e, b == 0x18, b == 0x1a, b >= 0x80:
				// Final byte; CAN/SUB abort; a high byte leaves the sequence.
				// (The emulator also drops CSI intermediates followed by a
				// parameter byte; both end in the ground state well before
				// the next line start matters.)
				st = scanGround
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
		ok = pos.X == 0 && pos.Y == t.rows-1 &&
			r.Min.X == 0 && r.Min.Y == 0 && r.Max.X == t.cols && r.Max.Y == t.rows &&
			scr.Width() == t.cols && scr.Height() == t.rows
	})
	return ok
}

// batchLocked writes a run of k plain lines as one scroll plus positioned
// prints (see the comment at the top of this file).
func (t *Terminal) batchLocked(run []byte, k int) {
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
	t.rawWriteLocked(seq)
}
