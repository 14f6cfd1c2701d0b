package convoys

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the Convoys panel's keys (spec §8).
type KeyMap struct {
	Up, Down, Toggle, Rename, Add, Remove, Close, New key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	lk := common.DefaultListKeys()
	return KeyMap{
		Up:     lk.Up,
		Down:   lk.Down,
		Toggle: common.Bind("enter", "expand", "enter"),
		Rename: common.Bind("R", "rename", "R"),
		Add:    common.Bind("A", "add beads", "A"),
		Remove: common.Bind("d", "remove bead", "d"),
		Close:  common.Bind("X", "close convoy", "X"),
		New:    common.Bind("N", "new convoy", "N"),
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
