package common

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Bind returns a binding for keys whose help shows help and desc.
func Bind(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// ListKeys is the cursor motion of a list panel; panels embed it in their
// KeyMap.
type ListKeys struct {
	Up, Down, Top, Bottom, HalfUp, HalfDown key.Binding
}

// DefaultListKeys returns the list motions: k/↑, j/↓, g/home, G/end,
// ctrl+u/pgup and ctrl+d/pgdown.
func DefaultListKeys() ListKeys {
	return ListKeys{
		Up:       Bind("k/↑", "up", "k", "up"),
		Down:     Bind("j/↓", "down", "j", "down"),
		Top:      Bind("g", "top", "g", "home"),
		Bottom:   Bind("G", "bottom", "G", "end"),
		HalfUp:   Bind("ctrl+u", "half page up", "ctrl+u", "pgup"),
		HalfDown: Bind("ctrl+d", "half page down", "ctrl+d", "pgdown"),
	}
}

// Move applies the motion kp names to pos: one step up or down, half steps
// up or down, 0 for Top and last for Bottom. It reports whether kp is a
// motion (otherwise pos comes back unchanged). The result is not clamped:
// callers clamp it to their own range.
func (k ListKeys) Move(kp tea.KeyPressMsg, pos, last, half int) (int, bool) {
	switch {
	case key.Matches(kp, k.Up):
		return pos - 1, true
	case key.Matches(kp, k.Down):
		return pos + 1, true
	case key.Matches(kp, k.HalfUp):
		return pos - half, true
	case key.Matches(kp, k.HalfDown):
		return pos + half, true
	case key.Matches(kp, k.Top):
		return 0, true
	case key.Matches(kp, k.Bottom):
		return last, true
	}
	return pos, false
}
