package agenttree

import "charm.land/bubbles/v2/key"

// KeyMap is the Agents panel's keys (spec §9 gt feed).
type KeyMap struct {
	Up, Down, Top, Bottom, HalfUp, HalfDown, Focus, Nudge key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
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
		Focus:    b("enter", "focus in gt", "enter"),
		Nudge:    b("n", "nudge", "n"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Nudge, k.Focus}
}

// FullHelp is the panel's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.HalfUp, k.HalfDown}, {k.Nudge, k.Focus}}
}
