package problems

import "charm.land/bubbles/v2/key"

// KeyMap is the Problems view's keys (spec §8 Feed / Problems).
type KeyMap struct {
	Up, Down, Top, Bottom, HalfUp, HalfDown, Focus, Nudge, Restart key.Binding
}

// DefaultKeyMap returns the view's default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("k/↑", "up", "k", "up"),
		Down:     b("j/↓", "down", "j", "down"),
		Top:      b("g", "top", "g", "home"),
		Bottom:   b("G", "bottom", "G", "end"),
		HalfUp:   b("ctrl+u", "half page up", "ctrl+u", "pgup"),
		HalfDown: b("ctrl+d", "half page down", "ctrl+d", "pgdown"),
		Focus:    b("enter", "focus pane", "enter"),
		Nudge:    b("n", "nudge continue", "n"),
		Restart:  b("r", "restart", "r"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Focus, k.Nudge, k.Restart}
}

// FullHelp is the view's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.HalfUp, k.HalfDown}, {k.Focus, k.Nudge, k.Restart}}
}
