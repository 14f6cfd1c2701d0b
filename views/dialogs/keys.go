package dialogs

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the keys every dialog shares (spec §8 Dialogs).
type KeyMap struct {
	Next, Prev, Submit, Cancel, Yes, No, Up, Down, Left, Right, Toggle key.Binding
}

// DefaultKeyMap returns the dialogs' default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:   common.Bind("tab", "next field", "tab"),
		Prev:   common.Bind("shift+tab", "previous field", "shift+tab"),
		Submit: common.Bind("enter", "submit", "enter"),
		Cancel: common.Bind("esc", "cancel", "esc"),
		Yes:    common.Bind("y", "yes", "y", "Y"),
		No:     common.Bind("n", "no", "n", "N"),
		Up:     common.Bind("↑", "previous choice", "up"),
		Down:   common.Bind("↓", "next choice", "down"),
		Left:   common.Bind("←", "previous value", "left"),
		Right:  common.Bind("→", "next value", "right"),
		Toggle: common.Bind("space", "toggle", "space"),
	}
}

// ShortHelp is the status-bar help while a dialog is open.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Submit, k.Cancel} }

// FullHelp is the dialogs' section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Submit, k.Cancel}, {k.Up, k.Down, k.Left, k.Right, k.Toggle, k.Yes, k.No}}
}
