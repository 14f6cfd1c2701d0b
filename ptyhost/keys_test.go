package ptyhost

import (
	"testing"
	"time"
)

// TestEncodeKeyMatchesXterm: expected bytes are what xterm (default
// resources, modifyCursorKeys=2, modifyFunctionKeys=2) sends; mod = 1 +
// shift + 2*alt + 4*ctrl.
func TestEncodeKeyMatchesXterm(t *testing.T) {
	t.Parallel()
	const (
		S = ModShift
		A = ModAlt
		C = ModCtrl
	)
	for _, c := range []struct {
		key       Key
		appCursor bool
		want      string
	}{
		{Key{Code: KeyUp}, false, "\x1b[A"},
		{Key{Code: KeyDown}, false, "\x1b[B"},
		{Key{Code: KeyRight}, false, "\x1b[C"},
		{Key{Code: KeyLeft}, false, "\x1b[D"},
		{Key{Code: KeyUp}, true, "\x1bOA"},
		{Key{Code: KeyLeft}, true, "\x1bOD"},
		{Key{Code: KeyHome}, false, "\x1b[H"},
		{Key{Code: KeyEnd}, false, "\x1b[F"},
		{Key{Code: KeyHome}, true, "\x1bOH"},
		{Key{Code: KeyEnd}, true, "\x1bOF"},
		{Key{Code: KeyUp, Mod: S}, false, "\x1b[1;2A"},
		{Key{Code: KeyUp, Mod: S}, true, "\x1b[1;2A"}, // modified arrows ignore DECCKM
		{Key{Code: KeyDown, Mod: A}, false, "\x1b[1;3B"},
		{Key{Code: KeyRight, Mod: C}, false, "\x1b[1;5C"},
		{Key{Code: KeyLeft, Mod: C}, true, "\x1b[1;5D"},
		{Key{Code: KeyLeft, Mod: C | S}, false, "\x1b[1;6D"},
		{Key{Code: KeyRight, Mod: C | A}, false, "\x1b[1;7C"},
		{Key{Code: KeyUp, Mod: C | A | S}, false, "\x1b[1;8A"},
		{Key{Code: KeyHome, Mod: S}, false, "\x1b[1;2H"},
		{Key{Code: KeyEnd, Mod: C}, false, "\x1b[1;5F"},
		{Key{Code: KeyInsert}, false, "\x1b[2~"},
		{Key{Code: KeyDelete}, false, "\x1b[3~"},
		{Key{Code: KeyPgUp}, false, "\x1b[5~"},
		{Key{Code: KeyPgDown}, false, "\x1b[6~"},
		{Key{Code: KeyPgUp}, true, "\x1b[5~"},
		{Key{Code: KeyPgUp, Mod: S}, false, "\x1b[5;2~"},
		{Key{Code: KeyPgDown, Mod: S}, false, "\x1b[6;2~"},
		{Key{Code: KeyDelete, Mod: C}, false, "\x1b[3;5~"},
		{Key{Code: KeyPgDown, Mod: A}, false, "\x1b[6;3~"},
		{Key{Code: KeyF1}, false, "\x1bOP"},
		{Key{Code: KeyF2}, false, "\x1bOQ"},
		{Key{Code: KeyF3}, false, "\x1bOR"},
		{Key{Code: KeyF4}, false, "\x1bOS"},
		{Key{Code: KeyF1, Mod: S}, false, "\x1b[1;2P"},
		{Key{Code: KeyF4, Mod: C}, false, "\x1b[1;5S"},
		{Key{Code: KeyF5}, false, "\x1b[15~"},
		{Key{Code: KeyF6}, false, "\x1b[17~"},
		{Key{Code: KeyF7}, false, "\x1b[18~"},
		{Key{Code: KeyF8}, false, "\x1b[19~"},
		{Key{Code: KeyF9}, false, "\x1b[20~"},
		{Key{Code: KeyF10}, false, "\x1b[21~"},
		{Key{Code: KeyF11}, false, "\x1b[23~"},
		{Key{Code: KeyF12}, false, "\x1b[24~"},
		{Key{Code: KeyF5, Mod: S}, false, "\x1b[15;2~"},
		{Key{Code: KeyF12, Mod: C | S}, false, "\x1b[24;6~"},
		{Key{Code: KeyF10, Mod: A}, false, "\x1b[21;3~"},
		{Key{Code: KeyEnter}, false, "\r"},
		{Key{Code: KeyEnter, Mod: A}, false, "\x1b\r"},
		{Key{Code: KeyEnter, Mod: S}, false, "\x1b\r"}, // newline in agent CLIs
		{Key{Code: KeyEnter, Mod: C}, false, "\r"},
		{Key{Code: KeyTab}, false, "\t"},
		{Key{Code: KeyTab, Mod: S}, false, "\x1b[Z"},
		{Key{Code: KeyTab, Mod: A}, false, "\x1b\t"},
		{Key{Code: KeyBackspace}, false, "\x7f"},
		{Key{Code: KeyBackspace, Mod: C}, false, "\x08"},
		{Key{Code: KeyBackspace, Mod: A}, false, "\x1b\x7f"},
		{Key{Code: KeyEscape}, false, "\x1b"},
		{Key{Code: KeyEscape, Mod: A}, false, "\x1b\x1b"},
		{Key{Code: KeySpace}, false, " "},
		{Key{Code: KeySpace, Mod: C}, false, "\x00"},
		{Key{Code: KeySpace, Mod: A}, false, "\x1b "},
		{Key{Code: KeySpace, Mod: C | A}, false, "\x1b\x00"},
		{Key{Code: KeyRune, Rune: 'a'}, false, "a"},
		{Key{Code: KeyRune, Rune: 'A', Mod: S}, false, "A"},
		{Key{Code: KeyRune, Rune: 'é'}, false, "é"},
		{Key{Code: KeyRune, Rune: '✳'}, false, "✳"},
		{Key{Code: KeyRune, Rune: 'a', Mod: C}, false, "\x01"},
		{Key{Code: KeyRune, Rune: 'c', Mod: C}, false, "\x03"},
		{Key{Code: KeyRune, Rune: 'z', Mod: C}, false, "\x1a"},
		{Key{Code: KeyRune, Rune: 'C', Mod: C | S}, false, "\x03"},
		{Key{Code: KeyRune, Rune: '@', Mod: C}, false, "\x00"},
		{Key{Code: KeyRune, Rune: '2', Mod: C}, false, "\x00"},
		{Key{Code: KeyRune, Rune: '[', Mod: C}, false, "\x1b"},
		{Key{Code: KeyRune, Rune: '\\', Mod: C}, false, "\x1c"},
		{Key{Code: KeyRune, Rune: ']', Mod: C}, false, "\x1d"},
		{Key{Code: KeyRune, Rune: '^', Mod: C}, false, "\x1e"},
		{Key{Code: KeyRune, Rune: '_', Mod: C}, false, "\x1f"},
		{Key{Code: KeyRune, Rune: '/', Mod: C}, false, "\x1f"},
		{Key{Code: KeyRune, Rune: '?', Mod: C}, false, "\x7f"},
		{Key{Code: KeyRune, Rune: 'x', Mod: A}, false, "\x1bx"},
		{Key{Code: KeyRune, Rune: 'X', Mod: A | S}, false, "\x1bX"},
		{Key{Code: KeyRune, Rune: 'b', Mod: C | A}, false, "\x1b\x02"},
		{Key{Code: KeyRune, Rune: '.', Mod: A}, false, "\x1b."},
		{Key{Code: KeyRune, Rune: 0xd800}, false, ""},
	} {
		if got := string(EncodeKey(c.key, c.appCursor)); got != c.want {
			t.Errorf("EncodeKey(%v mod=%d rune=%q, app=%v) = %q, want %q", c.key.Code, c.key.Mod, c.key.Rune, c.appCursor, got, c.want)
		}
	}
}

func TestEncodeMouse(t *testing.T) {
	t.Parallel()
	sgr := func(tr MouseTracking) Modes { return Modes{Mouse: tr, MouseEncoding: MouseEncodingSGR} }
	for _, c := range []struct {
		ev    MouseEvent
		modes Modes
		want  string
	}{
		{MouseEvent{X: 0, Y: 0, Button: MouseLeft}, Modes{}, ""},
		{MouseEvent{X: 0, Y: 0, Button: MouseLeft}, sgr(MouseTrackingNormal), "\x1b[<0;1;1M"},
		{MouseEvent{X: 9, Y: 4, Button: MouseLeft, Action: MouseRelease}, sgr(MouseTrackingNormal), "\x1b[<0;10;5m"},
		{MouseEvent{X: 9, Y: 4, Button: MouseRight, Mod: ModCtrl | ModShift}, sgr(MouseTrackingNormal), "\x1b[<22;10;5M"},
		{MouseEvent{X: 2, Y: 3, Button: MouseWheelUp}, sgr(MouseTrackingNormal), "\x1b[<64;3;4M"},
		{MouseEvent{X: 2, Y: 3, Button: MouseWheelDown, Mod: ModAlt}, sgr(MouseTrackingNormal), "\x1b[<73;3;4M"},
		{MouseEvent{X: 2, Y: 3, Button: MouseLeft, Action: MouseMotion}, sgr(MouseTrackingNormal), ""},
		{MouseEvent{X: 2, Y: 3, Button: MouseLeft, Action: MouseMotion}, sgr(MouseTrackingButton), "\x1b[<32;3;4M"},
		{MouseEvent{X: 2, Y: 3, Action: MouseMotion}, sgr(MouseTrackingButton), ""},
		{MouseEvent{X: 2, Y: 3, Action: MouseMotion}, sgr(MouseTrackingAny), "\x1b[<35;3;4M"},
		{MouseEvent{X: 300, Y: 400, Button: MouseMiddle}, sgr(MouseTrackingAny), "\x1b[<1;301;401M"},
		{MouseEvent{X: 0, Y: 0, Button: MouseLeft}, Modes{Mouse: MouseTrackingNormal}, "\x1b[M !!"},
		{MouseEvent{X: 0, Y: 0, Button: MouseLeft, Action: MouseRelease}, Modes{Mouse: MouseTrackingNormal}, "\x1b[M#!!"},
		{MouseEvent{X: 300, Y: 0, Button: MouseLeft}, Modes{Mouse: MouseTrackingNormal}, ""},
		{MouseEvent{X: 1, Y: 2, Button: MouseLeft, Mod: ModCtrl}, Modes{Mouse: MouseTrackingX10}, "\x1b[M \"#"},
		{MouseEvent{X: 1, Y: 2, Button: MouseLeft, Action: MouseRelease}, Modes{Mouse: MouseTrackingX10}, ""},
		{MouseEvent{X: 1, Y: 2, Button: MouseRight}, Modes{Mouse: MouseTrackingNormal, MouseEncoding: MouseEncodingURXVT}, "\x1b[34;2;3M"},
		{MouseEvent{X: 300, Y: 2, Button: MouseLeft}, Modes{Mouse: MouseTrackingNormal, MouseEncoding: MouseEncodingUTF8}, "\x1b[M " + string(rune(333)) + "#"},
	} {
		if got := string(EncodeMouse(c.ev, c.modes)); got != c.want {
			t.Errorf("EncodeMouse(%+v, %+v) = %q, want %q", c.ev, c.modes, got, c.want)
		}
	}
}

func TestWaitingRule(t *testing.T) {
	t.Parallel()
	const q = 2 * time.Second
	claude := []string{"", "╭────────────╮", "│ >          │", "╰────────────╯", "  ? for shortcuts", ""}
	for _, c := range []struct {
		name       string
		lines      []string
		quiet      time.Duration
		notified   bool
		ready      string
		cursorLine string
		hooked     bool
		want       bool
		reason     string
	}{
		{"busy output", []string{"Do you want to proceed?"}, time.Second, true, "", "", true, false, ""},
		{"notification", claude, 3 * time.Second, true, "", "", false, true, "notification"},
		{"quiet, nothing", claude, time.Hour, false, "", "", false, false, ""},
		{"do you want", []string{" Do you want to make this edit to x.go?", "❯ 1. Yes", "  2. No"}, q, false, "", "", false, true, "question: Do you want to make this edit to x.go?"},
		{"would you like", []string{"Would you like to continue"}, q, false, "", "", false, true, "question: Would you like to continue"},
		{"[y/n]", []string{"Overwrite? [Y/n]"}, q, false, "", "", false, true, "question: Overwrite? [Y/n]"},
		{"(y/n)", []string{"Proceed (y/N)"}, q, false, "", "", false, true, "question: Proceed (y/N)"},
		{"allow ?", []string{"Allow this command to run?"}, q, false, "", "", false, true, "question: Allow this command to run?"},
		{"allow without ?", []string{"allowed hosts: all"}, q, false, "", "", false, false, ""},
		{"permission", []string{"PERMISSION REQUIRED"}, q, false, "", "", false, true, "question: PERMISSION REQUIRED"},
		{"press enter", []string{"Press Enter to continue…"}, q, false, "", "", false, true, "question: Press Enter to continue…"},
		{"question scrolled out of the window", append([]string{"Do you want to proceed?"}, repeatLines("output", 15)...), q, false, "", "", false, false, ""},
		{"blank lines do not count", append(append([]string{"Do you want to proceed?"}, repeatLines("output", 14)...), "", "", ""), q, false, "", "", false, true, "question: Do you want to proceed?"},
		{"ready prompt, hooked", claude, q, false, "❯", "❯ ", true, true, "ready prompt"},
		{"ready prompt, not hooked", claude, q, false, "❯", "❯ ", false, false, ""},
		{"ready prompt elsewhere", claude, q, false, "demo> ", "working…", true, false, ""},
		{"demo prompt", []string{"demo> "}, q, false, "demo> ", "demo> ", true, true, "ready prompt"},
	} {
		got, reason := Waiting(c.lines, c.quiet, c.notified, c.ready, c.cursorLine, c.hooked, q)
		if got != c.want || reason != c.reason {
			t.Errorf("%s: Waiting = %v %q, want %v %q", c.name, got, reason, c.want, c.reason)
		}
	}
}

func repeatLines(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestClassifyTitle(t *testing.T) {
	t.Parallel()
	for title, want := range map[string]TitleState{
		"":               TitleNone,
		"✳ Claude Code":  TitleIdle,
		"⠂ Claude Code":  TitleSpinner,
		"⣾ Working":      TitleSpinner,
		"✶ Thinking":     TitleSpinner,
		"✻ x":            TitleSpinner,
		"✽ x":            TitleSpinner,
		"✢ x":            TitleSpinner,
		"· x":            TitleSpinner,
		"* x":            TitleSpinner,
		"bash":           TitleOther,
		"vim notes.txt":  TitleOther,
		"\u2733\ufe0f x": TitleIdle,
	} {
		if got := ClassifyTitle(title); got != want {
			t.Errorf("ClassifyTitle(%q) = %v, want %v", title, got, want)
		}
	}
}

func TestEventQueueCoalesces(t *testing.T) {
	t.Parallel()
	var q eventQueue
	t0 := time.Unix(100, 0)
	q.push(Event{Kind: EventOutput, Time: t0})
	q.push(Event{Kind: EventTitle, Title: "a"})
	q.push(Event{Kind: EventOutput, Time: t0.Add(time.Second)})
	q.push(Event{Kind: EventBell, Count: 1})
	q.push(Event{Kind: EventBell, Count: 2})
	q.push(Event{Kind: EventTitle, Title: "b"})
	for range 2 * maxQueuedEvents {
		q.push(Event{Kind: EventNotification})
	}
	q.push(Event{Kind: EventExit})
	var kinds []EventKind
	var last Event
	for {
		ev, ok := q.pop()
		if !ok {
			break
		}
		switch ev.Kind {
		case EventOutput:
			if !ev.Time.Equal(t0.Add(time.Second)) {
				t.Errorf("output time %v", ev.Time)
			}
		case EventTitle:
			if ev.Title != "b" {
				t.Errorf("title %q", ev.Title)
			}
		case EventBell:
			if ev.Count != 3 {
				t.Errorf("bell count %d", ev.Count)
			}
		}
		kinds = append(kinds, ev.Kind)
		last = ev
	}
	if kinds[0] != EventOutput || kinds[1] != EventTitle || kinds[2] != EventBell || last.Kind != EventExit || len(kinds) > maxQueuedEvents+1 {
		t.Fatalf("kinds %v (len %d)", kinds[:4], len(kinds))
	}
}
