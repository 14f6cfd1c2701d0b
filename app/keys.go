package app

import (
	"strings"

	"charm.land/bubbles/v2/key"
)

// KeyMap is the global keys of spec §8: after the prefix in a pane, or
// directly when a panel has focus.
type KeyMap struct {
	Prefix                         key.Binding
	Next, Prev                     key.Binding
	Left, Right, Up, Down          key.Binding
	PaneN, Mayor, Zoom, Tabs, Copy key.Binding
	Convoys, Beads, Feed, Problems key.Binding
	NewBead, Sling                 key.Binding
	Restart, Stop, Help, Quit, Esc key.Binding
}

// DefaultKeyMap returns the global keys with prefix as the prefix key
// (tui.prefix_key, e.g. "ctrl+space").
func DefaultKeyMap(prefix string) KeyMap {
	prefix = strings.TrimSpace(prefix)
	if prefix == "" {
		prefix = "ctrl+space"
	}
	keys := []string{prefix}
	if prefix == "ctrl+space" {
		// Terminals send NUL for both; some decoders call it ctrl+@.
		keys = append(keys, "ctrl+@")
	}
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Prefix:   key.NewBinding(key.WithKeys(keys...), key.WithHelp(prefixHelp(prefix), "prefix")),
		Next:     b("tab", "next", "tab"),
		Prev:     b("shift+tab", "previous", "shift+tab"),
		Left:     b("←", "focus left", "left"),
		Right:    b("→", "focus right", "right"),
		Up:       b("↑", "focus up", "up"),
		Down:     b("↓", "focus down", "down"),
		PaneN:    b("1…9", "focus pane N", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Mayor:    b("m", "mayor", "m"),
		Zoom:     b("z", "zoom", "z"),
		Tabs:     b("t", "grid/tabs", "t"),
		Copy:     b("[", "copy mode", "["),
		Convoys:  b("c", "convoys", "c"),
		Beads:    b("b", "beads", "b"),
		Feed:     b("f", "feed", "f"),
		Problems: b("p", "problems", "p"),
		NewBead:  b("n", "new bead", "n"),
		Sling:    b("s", "sling", "s"),
		Restart:  b("r", "restart agent", "r"),
		Stop:     b("x", "stop agent", "x"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q"),
		Esc:      b("esc", "back", "esc"),
	}
}

// prefixHelp shows ctrl+space as ctrl+␣.
func prefixHelp(p string) string { return strings.ReplaceAll(p, "space", "␣") }

// ShortHelp is the global part of the status bar help.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Help} }

// FullHelp is the global section of the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Prefix, k.Next, k.Prev, k.Left, k.Right, k.Up, k.Down, k.PaneN},
		{k.Mayor, k.Zoom, k.Tabs, k.Copy, k.Convoys, k.Beads, k.Feed, k.Problems},
		{k.NewBead, k.Sling, k.Restart, k.Stop, k.Help, k.Quit},
	}
}
