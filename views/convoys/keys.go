package convoys

import "charm.land/bubbles/v2/key"

// KeyMap is the Convoys panel's keys (spec §8).
type KeyMap struct {
	Up, Down, Toggle, Rename, Add, Remove, Close, New key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:     b("k/↑", "up", "k", "up"),
		Down:   b("j/↓", "down", "j", "down"),
		Toggle: b("enter", "expand", "enter"),
		Rename: b("R", "rename", "R"),
		Add:    b("A", "add beads", "A"),
		Remove: b("d", "remove bead", "d"),
		Close:  b("X", "close convoy", "X"),
		New:    b("N", "new convoy", "N"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Toggle, k.Add, k.Remove, k.Rename, k.Close, k.New}
}

// FullHelp is the panel's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Toggle}, {k.Rename, k.Add, k.Remove, k.Close, k.New}}
}
