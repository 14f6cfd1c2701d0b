package dialogs

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

func cm() common.Common {
	st := styles.Default()
	return common.New(&st)
}

func sling() Model {
	return New(cm(), KindSling, "Sling", "sling",
		Field{Key: "beads", Label: "Beads", Type: FieldInfo, Value: "mp-k3v9a, mp-7q2xw"},
		Field{Key: "target", Label: "Target", Type: FieldList, Required: true, Options: []Option{
			{"myproject (new polecat)", "myproject"}, {"myproject/nux (polecat)", "myproject/polecats/nux"},
			{"myproject/crew/max (crew)", "myproject/crew/max"}, {"mayor", "mayor"}}},
		Field{Key: "agent", Label: "Agent", Type: FieldChoice, Options: []Option{{"claude (default)", ""}, {"codex", "codex"}}},
		Field{Key: "noconvoy", Label: "No convoy", Type: FieldToggle},
		Field{Key: "args", Label: "Args", Type: FieldText},
	)
}

func press(m Model, keys ...string) (Model, tea.Msg) {
	var msg tea.Msg
	for _, k := range keys {
		var kp tea.KeyPressMsg
		switch k {
		case "enter":
			kp = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "esc":
			kp = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "tab":
			kp = tea.KeyPressMsg{Code: tea.KeyTab}
		case "shift+tab":
			kp = tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
		case "down":
			kp = tea.KeyPressMsg{Code: tea.KeyDown}
		case "right":
			kp = tea.KeyPressMsg{Code: tea.KeyRight}
		case "space":
			kp = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "backspace":
			kp = tea.KeyPressMsg{Code: tea.KeyBackspace}
		default:
			kp = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
		}
		var cmd tea.Cmd
		m, cmd = m.Update(kp)
		msg = nil
		if cmd != nil {
			msg = cmd()
		}
	}
	return m, msg
}

func TestGoldenDialogs(t *testing.T) {
	dialogs := map[string]func() Model{
		"sling":   sling,
		"confirm": func() Model { return NewConfirm(cm(), "Quit", "3 agents running. Quit and stop them?", "quit") },
		"newbead": func() Model {
			m := New(cm(), KindNewBead, "New bead", "new",
				Field{Key: "title", Label: "Title", Type: FieldText, Required: true},
				Field{Key: "type", Label: "Type", Type: FieldChoice, Options: []Option{{"task", "task"}}},
				Field{Key: "description", Label: "Description", Type: FieldText})
			m, _ = press(m, "enter") // shows "title is required"
			return m
		},
	}
	for name, mk := range dialogs {
		for _, sz := range [][2]int{{20, 5}, {40, 12}, {80, 24}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				m := mk()
				m.SetSize(sz[0], sz[1])
				out := m.View()
				lines := strings.Split(out, "\n")
				if len(lines) > sz[1] {
					t.Fatalf("%d lines in a %d-high screen", len(lines), sz[1])
				}
				for _, l := range lines {
					if ansi.StringWidth(l) > sz[0] {
						t.Fatalf("line too wide: %q", l)
					}
				}
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

func TestGoldenDialogColour(t *testing.T) {
	m := sling()
	m.SetSize(80, 24)
	golden.RequireEqual(t, m.View())
}

func TestSlingFormValues(t *testing.T) {
	m := sling()
	if m.FocusedField() != "target" {
		t.Fatalf("first focus %q (info fields are skipped)", m.FocusedField())
	}
	m, _ = press(m, "down", "down", "tab", "right", "tab", "space", "tab", "h", "i", "shift+tab", "tab", "x", "backspace")
	_, msg := press(m, "enter")
	sub, ok := msg.(SubmitMsg)
	if !ok {
		t.Fatalf("enter = %#v", msg)
	}
	want := map[string]string{"beads": "mp-k3v9a, mp-7q2xw", "target": "myproject/crew/max", "agent": "codex", "noconvoy": "true", "args": "hi"}
	if fmt.Sprint(sub.Values) != fmt.Sprint(want) || sub.Ref != "sling" || sub.Kind != KindSling {
		t.Fatalf("submit = %+v", sub)
	}
	if _, msg := press(m, "esc"); msg != (CancelMsg{Kind: KindSling, Ref: "sling"}) {
		t.Fatalf("esc = %#v", msg)
	}
}

func TestConfirmKeys(t *testing.T) {
	c := NewConfirm(cm(), "Quit", "Quit?", "quit")
	if _, msg := press(c, "y"); msg == nil {
		t.Fatal("y did not submit")
	} else if _, ok := msg.(SubmitMsg); !ok {
		t.Fatalf("y = %#v", msg)
	}
	if _, msg := press(c, "n"); msg != (CancelMsg{Kind: KindConfirm, Ref: "quit"}) {
		t.Fatalf("n = %#v", msg)
	}
	if _, msg := press(c, "x"); msg != nil {
		t.Fatalf("x = %#v", msg)
	}
}

func TestRequiredField(t *testing.T) {
	m := New(cm(), KindConvoyName, "Name", "r", Field{Key: "name", Label: "Name", Type: FieldText, Required: true})
	m.SetSize(80, 20)
	m, msg := press(m, "enter")
	if msg != nil || !strings.Contains(ansi.Strip(m.View()), "name is required") {
		t.Fatalf("empty required field submitted: %#v\n%s", msg, ansi.Strip(m.View()))
	}
	m, _ = press(m, "o", "k")
	if _, msg := press(m, "enter"); msg == nil {
		t.Fatal("filled field not submitted")
	}
}

func TestTextDialogScrolls(t *testing.T) {
	var lines []string
	for i := 0; i < 40; i++ {
		lines = append(lines, fmt.Sprintf("line %02d", i))
	}
	m := NewText(cm(), KindHelp, "Help", strings.Join(lines, "\n"))
	m.SetSize(60, 12)
	out := ansi.Strip(m.View())
	if !strings.Contains(out, "line 00") || strings.Contains(out, "line 39") || !strings.Contains(out, "7/40") {
		t.Fatalf("top of help:\n%s", out)
	}
	m, _ = press(m, "G")
	out = ansi.Strip(m.View())
	if !strings.Contains(out, "line 39") || strings.Contains(out, "line 00") {
		t.Fatalf("bottom of help:\n%s", out)
	}
	if len(strings.Split(out, "\n")) > 12 {
		t.Fatal("help taller than the screen")
	}
	if _, msg := press(m, "q"); msg != (CancelMsg{Kind: KindHelp}) {
		t.Fatalf("q = %#v", msg)
	}
}
