// Package dialogs holds gt's modal dialogs: sling, new bead, convoy name,
// convoy picker, confirm and bead details. They are all one form model (text
// fields, choices, toggles) so app keeps a single open dialog; a submitted
// dialog emits SubmitMsg with every field's value.
package dialogs

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/views/common"
)

// Kind names what a dialog is for.
type Kind int

// Dialog kinds.
const (
	KindConfirm Kind = iota
	KindSling
	KindNewBead
	KindConvoyName
	KindConvoyPicker
	KindDetail
	KindHelp
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"confirm", "sling", "new bead", "convoy name", "convoy picker", "detail", "help"}[k]
}

// FieldType is a field's input kind.
type FieldType int

// Field types.
const (
	// FieldText is a one-line text input.
	FieldText FieldType = iota
	// FieldList is a vertical list of options, one chosen.
	FieldList
	// FieldChoice is an inline ‹ value › cycled with ←/→.
	FieldChoice
	// FieldToggle is a [x] checkbox.
	FieldToggle
	// FieldInfo is read-only text.
	FieldInfo
)

// Option is one choice of a list or choice field.
type Option struct{ Label, Value string }

// Field is one input of a dialog.
type Field struct {
	Key, Label string
	Type       FieldType
	Value      string
	Required   bool
	Options    []Option
	Index      int
	// Rows bounds a list field's visible rows (0 = 6).
	Rows int
}

func (f Field) value() string {
	switch f.Type {
	case FieldList, FieldChoice:
		if f.Index >= 0 && f.Index < len(f.Options) {
			return f.Options[f.Index].Value
		}
		return ""
	case FieldToggle:
		if f.Value == "true" {
			return "true"
		}
		return "false"
	}
	return f.Value
}

func (f Field) focusable() bool { return f.Type != FieldInfo }

// Model is one open dialog.
type Model struct {
	c      common.Common
	keys   KeyMap
	kind   Kind
	ref    string
	title  string
	body   []string
	fields []Field
	focus  int
	err    string
	w, h   int
	// scroll is the first body line shown by a text dialog.
	scroll int
}

// New returns a dialog of kind with fields; ref comes back in SubmitMsg.
func New(c common.Common, kind Kind, title, ref string, fields ...Field) Model {
	m := Model{c: c, keys: DefaultKeyMap(), kind: kind, title: title, ref: ref, fields: fields, focus: -1}
	m.focus = m.nextFocusable(-1, 1)
	return m
}

// NewConfirm returns a yes/no dialog asking question.
func NewConfirm(c common.Common, title, question, ref string) Model {
	m := New(c, KindConfirm, title, ref)
	m.body = strings.Split(question, "\n")
	return m
}

// NewText returns a read-only dialog showing text (bead details, help).
func NewText(c common.Common, kind Kind, title string, text string) Model {
	m := New(c, kind, title, "")
	m.body = strings.Split(text, "\n")
	return m
}

// Kind returns the dialog's kind.
func (m Model) Kind() Kind { return m.kind }

// Ref returns the caller's context.
func (m Model) Ref() string { return m.ref }

// Fields returns the fields (for tests and app).
func (m Model) Fields() []Field { return m.fields }

// FocusedField returns the focused field's key ("" when none).
func (m Model) FocusedField() string {
	if m.focus < 0 || m.focus >= len(m.fields) {
		return ""
	}
	return m.fields[m.focus].Key
}

// Values returns every field's value by key.
func (m Model) Values() map[string]string {
	v := make(map[string]string, len(m.fields))
	for _, f := range m.fields {
		v[f.Key] = f.value()
	}
	return v
}

// SetError shows an error line (e.g. a failed submit).
func (m *Model) SetError(e string) { m.err = e }

// KeyMap returns the dialog keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetSize tells the dialog the screen size it is centred in.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

func (m Model) nextFocusable(from, dir int) int {
	n := len(m.fields)
	for i := 1; i <= n; i++ {
		j := ((from+dir*i)%n + n) % n
		if m.fields[j].focusable() {
			return j
		}
	}
	return -1
}

// Update handles the dialog's keys and pastes.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		if f := m.focused(); f != nil && f.Type == FieldText {
			f.Value += strings.ReplaceAll(msg.Content, "\n", " ")
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

func (m *Model) focused() *Field {
	if m.focus < 0 || m.focus >= len(m.fields) {
		return nil
	}
	return &m.fields[m.focus]
}

func (m Model) updateKey(kp tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	kind, ref := m.kind, m.ref
	switch {
	case key.Matches(kp, k.Cancel):
		return m, emit(CancelMsg{Kind: kind, Ref: ref})
	case m.kind == KindConfirm && key.Matches(kp, k.Yes):
		return m, emit(SubmitMsg{Kind: kind, Ref: ref, Values: map[string]string{}})
	case m.kind == KindConfirm && key.Matches(kp, k.No):
		return m, emit(CancelMsg{Kind: kind, Ref: ref})
	case m.isText() && (kp.String() == "q" || key.Matches(kp, k.Submit)):
		return m, emit(CancelMsg{Kind: kind, Ref: ref})
	case m.isText():
		m.scrollText(kp)
		return m, nil
	case key.Matches(kp, k.Submit):
		return m.submit()
	case key.Matches(kp, k.Next):
		if m.focus >= 0 {
			m.focus = m.nextFocusable(m.focus, 1)
		}
		return m, nil
	case key.Matches(kp, k.Prev):
		if m.focus >= 0 {
			m.focus = m.nextFocusable(m.focus, -1)
		}
		return m, nil
	}
	f := m.focused()
	if f == nil {
		return m, nil
	}
	switch f.Type {
	case FieldText:
		editText(f, kp)
	case FieldList, FieldChoice:
		switch {
		case key.Matches(kp, k.Up), key.Matches(kp, k.Left), kp.String() == "k" && f.Type == FieldList:
			f.Index = max(f.Index-1, 0)
		case key.Matches(kp, k.Down), key.Matches(kp, k.Right), kp.String() == "j" && f.Type == FieldList:
			f.Index = min(f.Index+1, len(f.Options)-1)
		}
	case FieldToggle:
		if key.Matches(kp, k.Toggle) || key.Matches(kp, k.Left) || key.Matches(kp, k.Right) {
			if f.Value == "true" {
				f.Value = "false"
			} else {
				f.Value = "true"
			}
		}
	}
	return m, nil
}

func editText(f *Field, kp tea.KeyPressMsg) {
	switch kp.String() {
	case "backspace":
		if r := []rune(f.Value); len(r) > 0 {
			f.Value = string(r[:len(r)-1])
		}
	case "ctrl+u":
		f.Value = ""
	case "ctrl+w":
		v := strings.TrimRight(f.Value, " ")
		if i := strings.LastIndex(v, " "); i >= 0 {
			f.Value = v[:i+1]
		} else {
			f.Value = ""
		}
	default:
		if kp.Text != "" {
			f.Value += kp.Text
		}
	}
}

func (m Model) submit() (Model, tea.Cmd) {
	for i, f := range m.fields {
		if f.Required && strings.TrimSpace(f.value()) == "" {
			m.err = strings.ToLower(f.Label) + " is required"
			m.focus = i
			return m, nil
		}
	}
	m.err = ""
	return m, emit(SubmitMsg{Kind: m.kind, Ref: m.ref, Values: m.Values()})
}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func (m Model) isText() bool { return m.kind == KindDetail || m.kind == KindHelp }

// scrollText moves a text dialog's window (j/k, arrows, pgup/pgdn, g/G).
func (m *Model) scrollText(kp tea.KeyPressMsg) {
	page := max(m.h-6, 1)
	switch kp.String() {
	case "j", "down":
		m.scroll++
	case "k", "up":
		m.scroll--
	case "pgdown", "ctrl+d", "space":
		m.scroll += page
	case "pgup", "ctrl+u":
		m.scroll -= page
	case "g", "home":
		m.scroll = 0
	case "G", "end":
		m.scroll = len(m.body)
	}
	m.scroll = max(0, min(m.scroll, max(len(m.body)-max(m.h-5, 1), 0)))
}

// Lines renders the dialog box (not the screen around it); its width is
// min(screen width, 72) and its height fits the content within the screen.
func (m Model) Lines() []string {
	w := min(m.w, 72)
	if m.kind == KindHelp || m.kind == KindDetail {
		w = min(m.w, 100)
	}
	if w < 4 || m.h < 3 {
		return nil
	}
	iw := w - 2
	s := m.c.Styles
	var body []string
	for _, l := range m.body {
		body = append(body, " "+l)
	}
	if len(m.body) > 0 && len(m.fields) > 0 {
		body = append(body, "")
	}
	for i, f := range m.fields {
		body = append(body, m.fieldLines(i, f, iw)...)
	}
	if m.err != "" {
		body = append(body, "", s.Error.Render(" ✗ "+m.err))
	}
	if m.isText() {
		// Text dialogs scroll: show the window at the scroll offset.
		avail := max(m.h-5, 1)
		if len(body) > avail {
			off := min(m.scroll, len(body)-avail)
			more := " ↑↓ scroll · " + strconv.Itoa(off+avail) + "/" + strconv.Itoa(len(body))
			body = append(body[off:off+avail:off+avail], s.MutedPaint.Render(more))
		}
	}
	body = append(body, "", s.MutedPaint.Render(" "+m.hint()))
	h := min(len(body)+2, m.h)
	if len(body) > h-2 {
		// Keep the focused field in view: drop body lines above it.
		body = body[len(body)-(h-2):]
	}
	body = common.FitLines(body, iw, h-2)
	return common.Frame(s.DialogTitle.Render(m.title), body, w, h, s.BorderFocus)
}

func (m Model) hint() string {
	switch m.kind {
	case KindConfirm:
		return "y yes · n/esc no"
	case KindDetail, KindHelp:
		return "esc/q/enter close"
	}
	return "tab next field · enter submit · esc cancel"
}

func (m Model) fieldLines(i int, f Field, iw int) []string {
	s := m.c.Styles
	focused := i == m.focus
	label := s.FieldLabel.Render(" " + f.Label + ": ")
	if focused {
		label = s.FieldFocus.Render("›" + f.Label + ": ")
	}
	switch f.Type {
	case FieldText:
		v := f.Value
		if focused {
			v += "▏"
		}
		return []string{label + v}
	case FieldInfo:
		return []string{label + f.Value}
	case FieldToggle:
		box := "[ ]"
		if f.Value == "true" {
			box = "[x]"
		}
		return []string{label + box}
	case FieldChoice:
		v := ""
		if f.Index >= 0 && f.Index < len(f.Options) {
			v = f.Options[f.Index].Label
		}
		return []string{label + "‹ " + v + " ›"}
	}
	rows := f.Rows
	if rows <= 0 {
		rows = 6
	}
	out := []string{label}
	top := 0
	if len(f.Options) > rows {
		top = max(0, min(f.Index-rows/2, len(f.Options)-rows))
	}
	for j := top; j < len(f.Options) && j < top+rows; j++ {
		mark := "   "
		if j == f.Index {
			mark = " ▸ "
		}
		line := common.Fit(mark+f.Options[j].Label, iw)
		if j == f.Index && focused {
			line = s.SelectionPaint.Render(line)
		}
		out = append(out, line)
	}
	return out
}

// View renders the dialog box.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }
