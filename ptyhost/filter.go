package ptyhost

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep hostile output from growing the filter without bound.
const (
	// maxStringPayload caps the bytes kept of one OSC/DCS/APC/PM/SOS string;
	// the rest is consumed and dropped (the sequence is then ignored).
	maxStringPayload = 64 << 10
	// maxTitleBytes caps a window title.
	maxTitleBytes = 1024
	// maxHeldBytes caps what the filter holds back across reads for an
	// unfinished grapheme cluster or escape sequence. Beyond it the bytes are
	// released anyway: exactness across chunk boundaries is only promised for
	// sane streams.
	maxHeldBytes = 64 << 10
)

type filterState uint8

const (
	stGround   filterState = iota
	stEsc                  // after ESC
	stEscInter             // ESC + intermediate bytes
	stCSI                  // CSI entry/param
	stCSIInter             // CSI intermediate bytes
	stString               // inside OSC/DCS/APC/PM/SOS (never shown to the emulator)
)

type stringKind uint8

const (
	strOSC stringKind = iota
	strDCS
	strAPC
	strPM
	strSOS
)

// Notification is a desktop notification an application asked for with
// OSC 9 or OSC 777;notify.
type Notification struct {
	Title string
	Body  string
}

// feedSignals collects what the filter saw in one chunk besides screen data.
type feedSignals struct {
	titleSet      bool
	title         string
	bells         int
	notifications []Notification
}

// streamFilter sits between the PTY and the emulator. It
//   - consumes every string sequence (OSC, DCS, APC, PM, SOS) itself, UTF-8
//     aware, so a 0x9C byte inside one (e.g. the ✳ in Claude Code's title)
//     never ends it early; titles, notifications, OSC 52 and unknown strings
//     never reach the emulator; OSC 7/8/10-12/110-112 are re-emitted in a
//     form the emulator parses safely;
//   - replaces invalid UTF-8 and stray C1 bytes with U+FFFD;
//   - mirrors the emulator parser's states closely enough to know where the
//     emulator would hold an unfinished grapheme cluster or escape sequence,
//     and holds those bytes back so that feeding a stream in any chunking
//     gives the same screen as feeding it in one write (x/vt flushes its
//     grapheme buffer at the end of every Write).
//
// The output buffer `out` holds filtered bytes not yet written to the
// emulator. graphemeStart/escStart index into it (-1 when none).
type streamFilter struct {
	state filterState

	// Partial UTF-8 sequence in the ground state.
	u8     [4]byte
	u8n    int
	u8need int

	// Current string sequence.
	kind     stringKind
	payload  []byte
	overflow bool
	strEsc   bool // previous byte inside the string was ESC

	out           []byte
	graphemeStart int
	escStart      int

	sig feedSignals
}

func newStreamFilter() *streamFilter {
	return &streamFilter{graphemeStart: -1, escStart: -1}
}

// reset drops every partial state (used when the emulator is replaced).
func (f *streamFilter) reset() {
	*f = streamFilter{graphemeStart: -1, escStart: -1, out: f.out[:0], payload: f.payload[:0]}
}

// holdPoint returns how many bytes of out can be written to the emulator now
// without changing what it would do had it seen the whole stream at once.
func (f *streamFilter) holdPoint() int {
	h := len(f.out)
	if f.graphemeStart >= 0 && f.graphemeStart < h {
		h = f.graphemeStart
	}
	if f.escStart >= 0 && f.escStart < h {
		h = f.escStart
	}
	if len(f.out)-h > maxHeldBytes {
		return len(f.out)
	}
	return h
}

// flushPoint is where a timed flush may cut: everything except an
// unfinished escape sequence (the pending grapheme goes out and the write
// ends it, which is what a pause in the output means anyway).
func (f *streamFilter) flushPoint() int {
	if f.escStart >= 0 && len(f.out)-f.escStart <= maxHeldBytes {
		return f.escStart
	}
	return len(f.out)
}

// consume removes the first n bytes of out (after they were written).
func (f *streamFilter) consume(n int) {
	if n <= 0 {
		return
	}
	if n >= len(f.out) {
		// Also the case after a reset emptied out under the caller.
		f.out = f.out[:0]
		f.graphemeStart, f.escStart = -1, -1
		return
	}
	rest := copy(f.out, f.out[n:])
	f.out = f.out[:rest]
	if f.graphemeStart >= 0 {
		f.graphemeStart -= n
		if f.graphemeStart < 0 {
			f.graphemeStart = -1
		}
	}
	if f.escStart >= 0 {
		f.escStart -= n
		if f.escStart < 0 {
			f.escStart = -1
		}
	}
}

func (f *streamFilter) flushGrapheme() { f.graphemeStart = -1 }

func (f *streamFilter) emitPrintable(b []byte, ascii bool) {
	if ascii || f.graphemeStart < 0 {
		// An ASCII character always starts a new cluster (it flushes the
		// previous one in the emulator); anything else may join the pending one.
		f.graphemeStart = len(f.out)
	}
	f.out = append(f.out, b...)
}

var replacementChar = []byte("\uFFFD")

// process runs one chunk through the filter, appending to f.out.
func (f *streamFilter) process(p []byte) {
	for i := 0; i < len(p); i++ {
		b := p[i]
		switch f.state {
		case stGround:
			if f.u8need > 0 {
				if f.validContinuation(b) {
					f.u8[f.u8n] = b
					f.u8n++
					if f.u8n == f.u8need+1 {
						f.emitPrintable(f.u8[:f.u8n], false)
						f.u8n, f.u8need = 0, 0
					}
					continue
				}
				// Maximal subpart of an ill-formed sequence becomes one U+FFFD;
				// b is then looked at afresh.
				f.u8n, f.u8need = 0, 0
				f.emitPrintable(replacementChar, false)
				i--
				continue
			}
			// Fast path: a run of printable ASCII.
			if b >= 0x20 && b < 0x7f {
				j := i + 1
				for j < len(p) && p[j] >= 0x20 && p[j] < 0x7f {
					j++
				}
				f.graphemeStart = len(f.out) + (j - i) - 1
				f.out = append(f.out, p[i:j]...)
				i = j - 1
				continue
			}
			switch {
			case b == 0x1b:
				f.escStart = len(f.out)
				f.out = append(f.out, b)
				f.state = stEsc
			case b < 0x20 || b == 0x7f:
				f.control(b)
			case b >= 0xc2 && b <= 0xf4:
				f.u8[0] = b
				f.u8n = 1
				switch {
				case b < 0xe0:
					f.u8need = 1
				case b < 0xf0:
					f.u8need = 2
				default:
					f.u8need = 3
				}
			default: // stray continuation, C1 byte, 0xC0/0xC1, 0xF5-0xFF
				f.emitPrintable(replacementChar, false)
			}

		case stEsc:
			switch {
			case b == '[':
				f.out = append(f.out, b)
				f.state = stCSI
			case b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_':
				f.out = f.out[:f.escStart]
				f.escStart = -1
				f.startString(b)
			case b >= 0x20 && b <= 0x2f:
				f.out = append(f.out, b)
				f.state = stEscInter
			case b >= 0x30 && b <= 0x7e:
				f.out = append(f.out, b)
				f.dispatched()
			default:
				f.inSequence(b, &i)
			}

		case stEscInter:
			switch {
			case b >= 0x20 && b <= 0x2f:
				f.out = append(f.out, b)
			case b >= 0x30 && b <= 0x7e:
				f.out = append(f.out, b)
				f.dispatched()
			default:
				f.inSequence(b, &i)
			}

		case stCSI:
			switch {
			case b >= 0x30 && b <= 0x3f:
				f.out = append(f.out, b)
			case b >= 0x20 && b <= 0x2f:
				f.out = append(f.out, b)
				f.state = stCSIInter
			case b >= 0x40 && b <= 0x7e:
				f.out = append(f.out, b)
				f.dispatched()
			default:
				f.inSequence(b, &i)
			}

		case stCSIInter:
			switch {
			case b >= 0x20 && b <= 0x2f:
				f.out = append(f.out, b)
			case b >= 0x30 && b <= 0x3f:
				// The emulator's parser abandons the sequence here and drops
				// this byte (csi_ignore); mirror that.
				f.out = append(f.out, b)
				f.escStart = -1
				f.state = stGround
			case b >= 0x40 && b <= 0x7e:
				f.out = append(f.out, b)
				f.dispatched()
			default:
				f.inSequence(b, &i)
			}

		case stString:
			f.stringByte(b, &i)
		}
	}
}

// validContinuation reports whether b continues the partial UTF-8 sequence
// (with the first-byte constraints that exclude overlongs and surrogates).
func (f *streamFilter) validContinuation(b byte) bool {
	if b < 0x80 || b > 0xbf {
		return false
	}
	if f.u8n == 1 {
		switch f.u8[0] {
		case 0xe0:
			return b >= 0xa0
		case 0xed:
			return b <= 0x9f
		case 0xf0:
			return b >= 0x90
		case 0xf4:
			return b <= 0x8f
		}
	}
	return true
}

// control handles a C0 control (or DEL) in the ground state: the emulator
// executes it, which ends any pending grapheme.
func (f *streamFilter) control(b byte) {
	f.out = append(f.out, b)
	if b == 0x07 {
		f.sig.bells++
	}
	f.flushGrapheme()
}

// dispatched records that an escape sequence completed: the emulator's
// handler flushes the pending grapheme first.
func (f *streamFilter) dispatched() {
	f.flushGrapheme()
	f.escStart = -1
	f.state = stGround
}

// inSequence handles bytes that are not part of the sequence grammar while in
// an ESC/CSI state, mirroring the emulator's "anywhere" transitions.
func (f *streamFilter) inSequence(b byte, i *int) {
	switch {
	case b == 0x1b:
		f.escStart = len(f.out)
		f.out = append(f.out, b)
		f.state = stEsc
	case b == 0x18 || b == 0x1a: // CAN, SUB: executed, sequence abandoned
		f.out = append(f.out, b)
		f.flushGrapheme()
		f.escStart = -1
		f.state = stGround
	case b < 0x20: // executed in place, the sequence continues
		f.out = append(f.out, b)
		if b == 0x07 {
			f.sig.bells++
		}
		f.flushGrapheme()
	case b == 0x7f: // ignored by the parser inside sequences
		f.out = append(f.out, b)
	default: // >= 0x80: the emulator leaves the sequence; treat as ground.
		f.escStart = -1
		f.state = stGround
		*i--
	}
}

func (f *streamFilter) startString(intro byte) {
	switch intro {
	case ']':
		f.kind = strOSC
	case 'P':
		f.kind = strDCS
	case 'X':
		f.kind = strSOS
	case '^':
		f.kind = strPM
	default:
		f.kind = strAPC
	}
	f.payload = f.payload[:0]
	f.overflow = false
	f.strEsc = false
	f.state = stString
}

func (f *streamFilter) stringByte(b byte, i *int) {
	if f.strEsc {
		f.strEsc = false
		f.endString()
		if b == '\\' {
			return // ESC \ = ST
		}
		// ESC + something else: the string ends and a new escape begins.
		f.escStart = len(f.out)
		f.out = append(f.out, 0x1b)
		f.state = stEsc
		*i--
		return
	}
	switch {
	case b == 0x1b:
		f.strEsc = true
	case b == 0x07 && f.kind == strOSC:
		f.endString()
	case b == 0x18 || b == 0x1a: // CAN/SUB abort the string
		f.payload = f.payload[:0]
		f.state = stGround
	case b < 0x20 && f.kind == strOSC:
		// The emulator's parser ignores C0 inside OSC; so do we.
	default:
		if len(f.payload) < maxStringPayload {
			f.payload = append(f.payload, b)
		} else {
			f.overflow = true
		}
	}
}

// endString dispatches the finished string sequence.
func (f *streamFilter) endString() {
	f.state = stGround
	if f.kind != strOSC || f.overflow {
		f.payload = f.payload[:0]
		return
	}
	f.handleOSC(f.payload)
	f.payload = f.payload[:0]
}

func (f *streamFilter) handleOSC(data []byte) {
	cmdPart, rest, _ := bytes.Cut(data, []byte{';'})
	cmd, err := strconv.Atoi(string(cmdPart))
	if err != nil {
		return
	}
	switch cmd {
	case 0, 2:
		f.sig.titleSet = true
		f.sig.title = sanitizeText(rest, maxTitleBytes)
	case 1: // icon name: dropped
	case 9:
		// OSC 9;4;… is ConEmu/Windows Terminal progress, not a notification.
		if bytes.HasPrefix(rest, []byte("4;")) || string(rest) == "4" {
			return
		}
		f.sig.notifications = append(f.sig.notifications, Notification{Body: sanitizeText(rest, maxTitleBytes)})
	case 777:
		parts := bytes.SplitN(rest, []byte{';'}, 3)
		if len(parts) >= 1 && string(parts[0]) == "notify" {
			n := Notification{}
			if len(parts) > 1 {
				n.Title = sanitizeText(parts[1], maxTitleBytes)
			}
			if len(parts) > 2 {
				n.Body = sanitizeText(parts[2], maxTitleBytes)
			}
			f.sig.notifications = append(f.sig.notifications, n)
		}
	case 7, 8:
		// Working directory and hyperlinks: URLs, so percent-encoding every
		// non-ASCII byte keeps their meaning and keeps 0x9C away from the
		// emulator's parser.
		f.reemitOSC(data, true)
	case 10, 11, 12, 110, 111, 112:
		// Colour set/query: ASCII by definition.
		f.reemitOSC(data, false)
	default:
		// OSC 52 (clipboard), 133/633 (shell integration), 1337 … are dropped:
		// the emulator has no use for them and they must never reach the outer
		// terminal.
	}
}

func (f *streamFilter) reemitOSC(data []byte, percentEncode bool) {
	for _, c := range data {
		if c >= 0x80 && !percentEncode {
			return
		}
	}
	f.out = append(f.out, 0x1b, ']')
	for _, c := range data {
		if c >= 0x80 || c < 0x20 || c == 0x7f {
			f.out = append(f.out, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
			continue
		}
		f.out = append(f.out, c)
	}
	f.out = append(f.out, 0x1b, '\\')
	// The emulator dispatches the OSC, which flushes its pending grapheme.
	f.flushGrapheme()
}

// sanitizeText turns an OSC payload into display text: valid UTF-8, no
// control characters, at most max bytes (cut on a rune boundary).
func sanitizeText(b []byte, max int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
