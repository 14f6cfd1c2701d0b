package problems

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the Problems view's keys (spec §8 Feed / Problems).
type KeyMap struct {
	common.ListKeys
	Focus, Nudge, Restart key.Binding
}

// DefaultKeyMap returns the view's default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		ListKeys: common.DefaultListKeys(),
		Focus:    common.Bind("enter", "focus pane", "enter"),
		Nudge:    common.Bind("n", "nudge continue", "n"),
		Restart:  common.Bind("r", "restart", "r"),
	}
}

// ShortHelp is the status-bar help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Focus, k.Nudge, k.Restart}
}

// FullHelp is the view's section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.HalfUp, k.HalfDown}, {k.Focus, k.Nudge, k.Restart}}
}
