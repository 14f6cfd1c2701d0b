package beadlist

import "charm.land/bubbles/v2/key"

// KeyMap is the Beads panel's keys (spec §8).
type KeyMap struct {
	Up, Down, Select, Details, Filter, CycleView, Sling, Convoy, AddToConvoy key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:          b("k/↑", "up", "k", "up"),
		Down:        b("j/↓", "down", "j", "down"),
		Select:      b("space", "select", "space"),
		Details:     b("enter", "details", "enter"),
		Filter:      b("/", "filter", "/"),
		CycleView:   b("v", "view", "v"),
		Sling:       b("s", "sling", "s"),
		Convoy:      b("C", "convoy from selection", "C"),
		AddToConvoy: b("A", "add to convoy", "A"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Select, k.Sling, k.CycleView, k.Filter, k.Convoy}
}

// FullHelp is the panel's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Select, k.Details, k.Filter, k.CycleView},
		{k.Sling, k.Convoy, k.AddToConvoy},
	}
}
