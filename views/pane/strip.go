package pane

import "github.com/charmbracelet/x/ansi"

// stripRow removes SGR styling from a rendered row.
func stripRow(s string) string { return ansi.Strip(s) }
