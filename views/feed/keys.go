package feed

import "charm.land/bubbles/v2/key"

// KeyMap is the Events panel's keys (spec §8 Feed, §9 gt feed).
type KeyMap struct {
	Up, Down, Top, Bottom, HalfUp, HalfDown, Search key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:       b("k/↑", "up", "k", "up"),
		Down:     b("j/↓", "down", "j", "down"),
		Top:      b("g", "oldest", "g", "home"),
		Bottom:   b("G", "newest (follow)", "G", "end"),
		HalfUp:   b("ctrl+u", "half page up", "ctrl+u", "pgup"),
		HalfDown: b("ctrl+d", "half page down", "ctrl+d", "pgdown"),
		Search:   b("/", "search", "/"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Bottom, k.Search}
}

// FullHelp is the panel's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.HalfUp, k.HalfDown}, {k.Search}}
}
