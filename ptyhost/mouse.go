package ptyhost

import (
	"strconv"
	"unicode/utf8"
)

// MouseButton is the button of a mouse event.
type MouseButton uint8

// Mouse buttons.
const (
	MouseNone MouseButton = iota
	MouseLeft
	MouseMiddle
	MouseRight
	MouseWheelUp
	MouseWheelDown
	MouseWheelLeft
	MouseWheelRight
)

// MouseAction is what happened.
type MouseAction uint8

// Mouse actions.
const (
	MousePress MouseAction = iota
	MouseRelease
	MouseMotion
)

// MouseEvent is a mouse event in pane coordinates (0-based cells).
type MouseEvent struct {
	X, Y   int
	Button MouseButton
	Action MouseAction
	Mod    Mod
}

// String names the button.
func (b MouseButton) String() string {
	switch b {
	case MouseLeft:
		return "left"
	case MouseMiddle:
		return "middle"
	case MouseRight:
		return "right"
	case MouseWheelUp:
		return "wheelup"
	case MouseWheelDown:
		return "wheeldown"
	case MouseWheelLeft:
		return "wheelleft"
	case MouseWheelRight:
		return "wheelright"
	default:
		return "none"
	}
}

// String names the action.
func (a MouseAction) String() string {
	switch a {
	case MouseRelease:
		return "release"
	case MouseMotion:
		return "motion"
	default:
		return "press"
	}
}

func (b MouseButton) isWheel() bool { return b >= MouseWheelUp && b <= MouseWheelRight }

// EncodeMouse returns the report the application asked for with its mouse
// modes, or nil when the event is not reported in those modes (tracking
// off, motion without motion tracking, release in X10 mode, coordinates the
// encoding cannot express).
func EncodeMouse(ev MouseEvent, m Modes) []byte {
	if ev.X < 0 || ev.Y < 0 {
		return nil
	}
	switch m.Mouse {
	case MouseTrackingOff:
		return nil
	case MouseTrackingX10:
		if ev.Action != MousePress {
			return nil
		}
	case MouseTrackingNormal:
		if ev.Action == MouseMotion {
			return nil
		}
	case MouseTrackingButton:
		if ev.Action == MouseMotion && ev.Button == MouseNone {
			return nil
		}
	}
	if ev.Action == MouseRelease && ev.Button.isWheel() {
		return nil // wheels only "press"
	}

	var code int
	switch ev.Button {
	case MouseLeft:
		code = 0
	case MouseMiddle:
		code = 1
	case MouseRight:
		code = 2
	case MouseNone:
		code = 3
	case MouseWheelUp:
		code = 64
	case MouseWheelDown:
		code = 65
	case MouseWheelLeft:
		code = 66
	case MouseWheelRight:
		code = 67
	}
	if m.Mouse != MouseTrackingX10 {
		if ev.Mod&ModShift != 0 {
			code += 4
		}
		if ev.Mod&(ModAlt|ModMeta) != 0 {
			code += 8
		}
		if ev.Mod&ModCtrl != 0 {
			code += 16
		}
	}
	if ev.Action == MouseMotion {
		code += 32
	}
	x, y := ev.X+1, ev.Y+1

	switch m.MouseEncoding {
	case MouseEncodingSGR:
		final := byte('M')
		if ev.Action == MouseRelease {
			final = 'm'
		}
		return []byte("\x1b[<" + strconv.Itoa(code) + ";" + strconv.Itoa(x) + ";" + strconv.Itoa(y) + string(final))
	}
	// The legacy encodings cannot name the released button.
	if ev.Action == MouseRelease {
		code = code&^3 | 3
	}
	switch m.MouseEncoding {
	case MouseEncodingURXVT:
		return []byte("\x1b[" + strconv.Itoa(code+32) + ";" + strconv.Itoa(x) + ";" + strconv.Itoa(y) + "M")
	case MouseEncodingUTF8:
		if x+32 > 2047 || y+32 > 2047 {
			return nil
		}
		b := []byte{0x1b, '[', 'M', byte(code + 32)}
		b = utf8.AppendRune(b, rune(x+32))
		return utf8.AppendRune(b, rune(y+32))
	default:
		if x+32 > 255 || y+32 > 255 {
			return nil
		}
		return []byte{0x1b, '[', 'M', byte(code + 32), byte(x + 32), byte(y + 32)}
	}
}
