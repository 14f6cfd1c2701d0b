package pane

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is copy mode's keys (spec §8 Copy mode).
type KeyMap struct {
	Up, Down, HalfUp, HalfDown, PageUp, PageDown, Top, Bottom key.Binding
	Search, Next, Prev, Select, Yank, Quit                    key.Binding
}

// DefaultKeyMap returns copy mode's default bindings.
func DefaultKeyMap() KeyMap {
	lk := common.DefaultListKeys()
	return KeyMap{
		Up:       lk.Up,
		Down:     lk.Down,
		HalfUp:   common.Bind("ctrl+u", "half page up", "ctrl+u"),
		HalfDown: common.Bind("ctrl+d", "half page down", "ctrl+d"),
		PageUp:   common.Bind("pgup", "page up", "pgup"),
		PageDown: common.Bind("pgdn", "page down", "pgdown"),
		Top:      common.Bind("g", "top", "g"),
		Bottom:   common.Bind("G", "bottom", "G"),
		Search:   common.Bind("/", "search", "/"),
		Next:     common.Bind("n", "next match", "n"),
		Prev:     common.Bind("N", "previous match", "N"),
		Select:   common.Bind("v", "start selection", "v"),
		Yank:     common.Bind("y", "copy and leave", "y"),
		Quit:     common.Bind("q/esc", "leave copy mode", "q", "esc"),
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
