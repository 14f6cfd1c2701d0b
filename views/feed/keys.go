package feed

import (
	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/views/common"
)

// KeyMap is the Events panel's keys (spec §8 Feed, §9 gt feed).
type KeyMap struct {
	common.ListKeys
	Search key.Binding
}

// DefaultKeyMap returns the panel's default bindings: the list motions,
// with g and G described as the oldest and newest event.
func DefaultKeyMap() KeyMap {
	lk := common.DefaultListKeys()
	lk.Top.SetHelp("g", "oldest")
	lk.Bottom.SetHelp("G", "newest (follow)")
	return KeyMap{
		ListKeys: lk,
		Search:   common.Bind("/", "search", "/"),
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
