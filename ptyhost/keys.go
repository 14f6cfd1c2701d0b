package ptyhost

import (
	"strconv"
	"unicode/utf8"
)

// KeyCode names a key. KeyRune means "the character in Key.Rune".
type KeyCode uint8

// Keys.
const (
	KeyRune KeyCode = iota
	KeyEnter
	KeyTab
	KeyBackspace
	KeyEscape
	KeySpace
	KeyUp
	KeyDown
	KeyRight
	KeyLeft
	KeyHome
	KeyEnd
	KeyPgUp
	KeyPgDown
	KeyInsert
	KeyDelete
	KeyF1
	KeyF2
	KeyF3
	KeyF4
	KeyF5
	KeyF6
	KeyF7
	KeyF8
	KeyF9
	KeyF10
	KeyF11
	KeyF12
)

var keyNames = [...]string{
	KeyRune: "rune", KeyEnter: "enter", KeyTab: "tab", KeyBackspace: "backspace",
	KeyEscape: "esc", KeySpace: "space", KeyUp: "up", KeyDown: "down", KeyRight: "right",
	KeyLeft: "left", KeyHome: "home", KeyEnd: "end", KeyPgUp: "pgup", KeyPgDown: "pgdown",
	KeyInsert: "insert", KeyDelete: "delete", KeyF1: "f1", KeyF2: "f2", KeyF3: "f3",
	KeyF4: "f4", KeyF5: "f5", KeyF6: "f6", KeyF7: "f7", KeyF8: "f8", KeyF9: "f9",
	KeyF10: "f10", KeyF11: "f11", KeyF12: "f12",
}

// String names the key code.
func (k KeyCode) String() string {
	if int(k) < len(keyNames) {
		return keyNames[k]
	}
	return "key(" + strconv.Itoa(int(k)) + ")"
}

// Mod is a set of key modifiers. The bit values are xterm's: the modifier
// parameter in CSI 1;<m>X is 1 + the Mod value.
type Mod uint8

// Modifiers.
const (
	ModShift Mod = 1 << iota
	ModAlt
	ModCtrl
	ModMeta
)

// Key is a key press to send to an application.
type Key struct {
	Code KeyCode
	Mod  Mod
	Rune rune // for KeyRune: the character as typed (already shifted: 'A', '!')
}

// EncodeKey returns the bytes xterm sends for k, given the application's
// cursor-key mode (DECCKM). Keys with no encoding return nil.
func EncodeKey(k Key, appCursor bool) []byte {
	mod := k.Mod
	var b []byte
	switch k.Code {
	case KeyUp, KeyDown, KeyRight, KeyLeft, KeyHome, KeyEnd:
		final := "ABCDHF"[k.Code-KeyUp] // KeyUp…KeyEnd are consecutive
		if mod == 0 {
			if appCursor {
				return []byte{0x1b, 'O', final}
			}
			return []byte{0x1b, '[', final}
		}
		return modCSI("1", mod, final)
	case KeyInsert, KeyDelete, KeyPgUp, KeyPgDown, KeyF5, KeyF6, KeyF7, KeyF8, KeyF9, KeyF10, KeyF11, KeyF12:
		num := tildeKeyNumber(k.Code)
		if mod == 0 {
			return []byte("\x1b[" + num + "~")
		}
		return modCSI(num, mod, '~')
	case KeyF1, KeyF2, KeyF3, KeyF4:
		final := "PQRS"[k.Code-KeyF1]
		if mod == 0 {
			return []byte{0x1b, 'O', final}
		}
		return modCSI("1", mod, final)
	case KeyEnter:
		// No legacy xterm sequence tells shift+enter from enter; agent CLIs
		// (Claude Code, Codex) read ESC CR, what alt+enter sends, as
		// "insert a newline", which is what shift+enter means to users.
		if mod&(ModShift|ModAlt|ModMeta) != 0 {
			return []byte{0x1b, '\r'}
		}
		return []byte{'\r'}
	case KeyTab:
		if mod&ModShift != 0 {
			b = []byte("\x1b[Z")
			if mod&(ModAlt|ModMeta) != 0 {
				b = append([]byte{0x1b}, b...)
			}
			return b
		}
		return altPrefix(mod, []byte{'\t'})
	case KeyBackspace:
		if mod&ModCtrl != 0 {
			return altPrefix(mod, []byte{0x08})
		}
		return altPrefix(mod, []byte{0x7f})
	case KeyEscape:
		return altPrefix(mod, []byte{0x1b})
	case KeySpace:
		if mod&ModCtrl != 0 {
			return altPrefix(mod, []byte{0x00})
		}
		return altPrefix(mod, []byte{' '})
	case KeyRune:
		return encodeRune(k.Rune, mod)
	}
	return nil
}

// tildeKeyNumber is the parameter of keys sent as CSI <n> ~.
func tildeKeyNumber(k KeyCode) string {
	switch k {
	case KeyInsert:
		return "2"
	case KeyDelete:
		return "3"
	case KeyPgUp:
		return "5"
	case KeyPgDown:
		return "6"
	case KeyF5:
		return "15"
	case KeyF6:
		return "17"
	case KeyF7:
		return "18"
	case KeyF8:
		return "19"
	case KeyF9:
		return "20"
	case KeyF10:
		return "21"
	case KeyF11:
		return "23"
	default: // KeyF12
		return "24"
	}
}

func modCSI(num string, mod Mod, final byte) []byte {
	return []byte("\x1b[" + num + ";" + strconv.Itoa(1+int(mod&(ModShift|ModAlt|ModCtrl|ModMeta))) + string(final))
}

func altPrefix(mod Mod, b []byte) []byte {
	if mod&(ModAlt|ModMeta) != 0 {
		return append([]byte{0x1b}, b...)
	}
	return b
}

// encodeRune applies ctrl (C0 mapping) and alt (ESC prefix) to a character.
func encodeRune(r rune, mod Mod) []byte {
	if r < 0 || r > utf8.MaxRune || (r >= 0xd800 && r <= 0xdfff) {
		return nil
	}
	if mod&ModCtrl != 0 {
		if c, ok := ctrlByte(r); ok {
			return altPrefix(mod, []byte{c})
		}
	}
	return altPrefix(mod, utf8.AppendRune(nil, r))
}

// ctrlByte maps ctrl+<char> to its C0 byte the way xterm does.
func ctrlByte(r rune) (byte, bool) {
	switch {
	case r >= 'a' && r <= 'z':
		return byte(r - 'a' + 1), true
	case r >= 'A' && r <= 'Z':
		return byte(r - 'A' + 1), true
	}
	switch r {
	case '@', '2', ' ', '`':
		return 0x00, true
	case '[', '3':
		return 0x1b, true
	case '\\', '4':
		return 0x1c, true
	case ']', '5':
		return 0x1d, true
	case '^', '6', '~':
		return 0x1e, true
	case '_', '7', '/', '-':
		return 0x1f, true
	case '?', '8':
		return 0x7f, true
	}
	return 0, false
}
