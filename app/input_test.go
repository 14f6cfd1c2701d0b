package app

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/ptyhost"
)

// TestKeyEncoding: bubbletea key presses become the bytes xterm would send.
func TestKeyEncoding(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   tea.KeyPressMsg
		app  bool // application cursor keys (DECCKM)
		want string
	}{
		{"letter", tea.KeyPressMsg{Code: 'a', Text: "a"}, false, "a"},
		{"shifted letter", tea.KeyPressMsg{Code: 'a', ShiftedCode: 'A', Mod: tea.ModShift, Text: "A"}, false, "A"},
		{"punctuation", tea.KeyPressMsg{Code: '!', Text: "!"}, false, "!"},
		{"unicode", tea.KeyPressMsg{Code: 'é', Text: "é"}, false, "é"},
		{"space", tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}, false, " "},
		{"ctrl+space is NUL", tea.KeyPressMsg{Code: tea.KeySpace, Mod: tea.ModCtrl}, false, "\x00"},
		{"ctrl+c", tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}, false, "\x03"},
		{"alt+x", tea.KeyPressMsg{Code: 'x', Mod: tea.ModAlt}, false, "\x1bx"},
		{"enter", tea.KeyPressMsg{Code: tea.KeyEnter}, false, "\r"},
		{"tab", tea.KeyPressMsg{Code: tea.KeyTab}, false, "\t"},
		{"backspace", tea.KeyPressMsg{Code: tea.KeyBackspace}, false, "\x7f"},
		{"escape", tea.KeyPressMsg{Code: tea.KeyEscape}, false, "\x1b"},
		{"up", tea.KeyPressMsg{Code: tea.KeyUp}, false, "\x1b[A"},
		{"up in app cursor mode", tea.KeyPressMsg{Code: tea.KeyUp}, true, "\x1bOA"},
		{"shift+tab", tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}, false, "\x1b[Z"},
		{"ctrl+right", tea.KeyPressMsg{Code: tea.KeyRight, Mod: tea.ModCtrl}, false, "\x1b[1;5C"},
		{"delete", tea.KeyPressMsg{Code: tea.KeyDelete}, false, "\x1b[3~"},
		{"F5", tea.KeyPressMsg{Code: tea.KeyF5}, false, "\x1b[15~"},
		{"pgdn", tea.KeyPressMsg{Code: tea.KeyPgDown}, false, "\x1b[6~"},
	}
	for _, c := range cases {
		k, text, ok := toPTYKey(c.in)
		if !ok || text != "" {
			t.Errorf("%s: ok=%v text=%q", c.name, ok, text)
			continue
		}
		if got := string(ptyhost.EncodeKey(k, c.app)); got != c.want {
			t.Errorf("%s: %q, want %q (key %+v)", c.name, got, c.want, k)
		}
	}
	// An IME commit of several runes is written as text.
	if _, text, ok := toPTYKey(tea.KeyPressMsg{Code: tea.KeyExtended, Text: "日本"}); !ok || text != "日本" {
		t.Errorf("multi-rune text = %q %v", text, ok)
	}
	// Keys with no terminal encoding are dropped.
	if _, _, ok := toPTYKey(tea.KeyPressMsg{Code: tea.KeyCapsLock}); ok {
		t.Error("caps lock has an encoding")
	}
}

func TestMouseMapping(t *testing.T) {
	t.Parallel()
	ev := toPTYMouse(tea.MouseReleaseMsg{X: 12, Y: 7, Button: tea.MouseLeft, Mod: tea.ModCtrl}, 10, 5)
	if ev.X != 2 || ev.Y != 2 || ev.Action != ptyhost.MouseRelease || ev.Button != ptyhost.MouseLeft || ev.Mod != ptyhost.ModCtrl {
		t.Fatalf("release = %+v", ev)
	}
	if ev := toPTYMouse(tea.MouseWheelMsg{X: 1, Y: 1, Button: tea.MouseWheelDown}, 0, 0); ev.Button != ptyhost.MouseWheelDown || ev.Action != ptyhost.MousePress {
		t.Fatalf("wheel = %+v", ev)
	}
}
