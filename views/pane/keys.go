package pane

import "charm.land/bubbles/v2/key"

// KeyMap is copy mode's keys (spec §8 Copy mode).
type KeyMap struct {
	Up, Down, HalfUp, HalfDown, PageUp, PageDown, Top, Bottom key.Binding
	Search, Next, Prev, Select, Yank, Quit                    key.Binding
}

// DefaultKeyMap returns copy mode's default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("k/↑", "up", "k", "up"),
		Down:     b("j/↓", "down", "j", "down"),
		HalfUp:   b("ctrl+u", "half page up", "ctrl+u"),
		HalfDown: b("ctrl+d", "half page down", "ctrl+d"),
		PageUp:   b("pgup", "page up", "pgup"),
		PageDown: b("pgdn", "page down", "pgdown"),
		Top:      b("g", "top", "g"),
		Bottom:   b("G", "bottom", "G"),
		Search:   b("/", "search", "/"),
		Next:     b("n", "next match", "n"),
		Prev:     b("N", "previous match", "N"),
		Select:   b("v", "start selection", "v"),
		Yank:     b("y", "copy and leave", "y"),
		Quit:     b("q/esc", "leave copy mode", "q", "esc"),
	}
}

// ShortHelp is the status-bar help of copy mode.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Search, k.Select, k.Yank, k.Quit}
}

// FullHelp is copy mode's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.HalfUp, k.HalfDown, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Search, k.Next, k.Prev, k.Select, k.Yank, k.Quit},
	}
}
