package agenttree

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the Agents panel's keys (spec §9 gt feed).
type KeyMap struct {
	common.ListKeys
	Focus, Nudge key.Binding
}

// DefaultKeyMap returns the panel's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		ListKeys: common.DefaultListKeys(),
		Focus:    common.Bind("enter", "focus in gt", "enter"),
		Nudge:    common.Bind("n", "nudge", "n"),
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
