package beadlist

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the Beads panel's keys (spec §8).
type KeyMap struct {
	Up, Down, Select, Details, Filter, CycleView, Sling, Convoy, AddToConvoy key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	lk := common.DefaultListKeys()
	return KeyMap{
		Up:          lk.Up,
		Down:        lk.Down,
		Select:      common.Bind("space", "select", "space"),
		Details:     common.Bind("enter", "details", "enter"),
		Filter:      common.Bind("/", "filter", "/"),
		CycleView:   common.Bind("v", "view", "v"),
		Sling:       common.Bind("s", "sling", "s"),
		Convoy:      common.Bind("C", "convoy from selection", "C"),
		AddToConvoy: common.Bind("A", "add to convoy", "A"),
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
