package dialogs

import "charm.land/bubbles/v2/key"

// KeyMap is the keys every dialog shares (spec §8 Dialogs).
type KeyMap struct {
	Next, Prev, Submit, Cancel, Yes, No, Up, Down, Left, Right, Toggle key.Binding
}

// DefaultKeyMap returns the dialogs' default bindings.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Next:   b("tab", "next field", "tab"),
		Prev:   b("shift+tab", "previous field", "shift+tab"),
		Submit: b("enter", "submit", "enter"),
		Cancel: b("esc", "cancel", "esc"),
		Yes:    b("y", "yes", "y", "Y"),
		No:     b("n", "no", "n", "N"),
		Up:     b("↑", "previous choice", "up"),
		Down:   b("↓", "next choice", "down"),
		Left:   b("←", "previous value", "left"),
		Right:  b("→", "next value", "right"),
		Toggle: b("space", "toggle", "space"),
	}
}

// ShortHelp is the status-bar help while a dialog is open.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Submit, k.Cancel} }

// FullHelp is the dialogs' section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Submit, k.Cancel}, {k.Up, k.Down, k.Left, k.Right, k.Toggle, k.Yes, k.No}}
}
