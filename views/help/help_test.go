package help

import (
	"testing"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/exp/golden"
)

func TestText(t *testing.T) {
	b := func(k, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, d)) }
	off := b("x", "hidden")
	off.SetEnabled(false)
	got := Text([]Section{
		{Title: "Global", Bindings: [][]key.Binding{{b("tab", "next"), b("?", "help")}}},
		{Title: "Beads", Bindings: [][]key.Binding{{b("space", "select"), off}}},
	})
	want := "Global\n  tab    next\n  ?      help\n\nBeads\n  space  select"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestGoldenHelp(t *testing.T) {
	b := func(k, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, d)) }
	golden.RequireEqual(t, Text([]Section{
		{Title: "Global (after ctrl+␣ in a pane)", Bindings: [][]key.Binding{{b("tab", "next"), b("shift+tab", "previous")}, {b("q", "quit")}}},
		{Title: "Convoys", Bindings: [][]key.Binding{{b("enter", "expand"), b("R", "rename")}}},
	}))
}
