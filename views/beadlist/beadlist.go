// Package beadlist is the Beads panel: the town's beads in four views
// (ready, open, hooked, all), a text filter, multi-selection with space, and
// intent messages for slinging, convoys and details.
package beadlist

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// View selects which beads the panel lists.
type View int

// The views, in `v` cycling order.
const (
	ViewReady View = iota
	ViewOpen
	ViewHooked
	ViewAll
)

// String names the view as the panel title shows it.
func (v View) String() string {
	switch v {
	case ViewReady:
		return "ready"
	case ViewOpen:
		return "open"
	case ViewHooked:
		return "hooked"
	case ViewAll:
		return "all"
	}
	return "unknown"
}

// Item is one bead with whether it is ready (spec §4.5).
type Item struct {
	Bead  models.Bead
	Ready bool
}

func (it Item) in(v View) bool {
	switch v {
	case ViewReady:
		return it.Ready
	case ViewOpen:
		return it.Bead.Status == models.StatusOpen
	case ViewHooked:
		return it.Bead.Status == models.StatusHooked || it.Bead.Status == models.StatusInProgress
	}
	return true
}

// Model is the Beads panel.
type Model struct {
	c         common.Common
	keys      KeyMap
	items     []Item
	view      View
	filter    string
	filtering bool
	selected  map[string]bool
	cursor    int
	w, h      int
	focused   bool
}

// New returns an empty panel on the ready view.
func New(c common.Common) Model {
	return Model{c: c, keys: DefaultKeyMap(), selected: map[string]bool{}}
}

// SetSize sets the outer size (frame included).
func (m *Model) SetSize(w, h int) { m.w, m.h = max(w, 0), max(h, 0) }

// Focus focuses the panel.
func (m *Model) Focus() { m.focused = true }

// Blur unfocuses the panel (and ends filter typing).
func (m *Model) Blur() { m.focused, m.filtering = false, false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// Filtering reports whether the filter is being typed (the panel then takes
// every key).
func (m Model) Filtering() bool { return m.filtering }

// KeyMap returns the panel's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// CurrentView returns the view.
func (m Model) CurrentView() View { return m.view }

// SetItems replaces the beads, keeping the cursor on the same bead and
// dropping selections of beads that are gone.
func (m *Model) SetItems(items []Item) {
	cur, hadCur := m.Current()
	m.items = items
	keep := map[string]bool{}
	for _, it := range items {
		if m.selected[it.Bead.ID] {
			keep[it.Bead.ID] = true
		}
	}
	m.selected = keep
	vis := m.Visible()
	m.cursor = min(m.cursor, max(len(vis)-1, 0))
	if hadCur {
		for i, it := range vis {
			if it.Bead.ID == cur.ID {
				m.cursor = i
			}
		}
	}
}

// Visible returns the beads the view and filter show, in order.
func (m Model) Visible() []Item {
	f := strings.ToLower(m.filter)
	var out []Item
	for _, it := range m.items {
		if !it.in(m.view) {
			continue
		}
		if f != "" && !strings.Contains(strings.ToLower(it.Bead.ID+" "+it.Bead.Title), f) {
			continue
		}
		out = append(out, it)
	}
	return out
}

// Current returns the bead under the cursor.
func (m Model) Current() (models.Bead, bool) {
	vis := m.Visible()
	if m.cursor < 0 || m.cursor >= len(vis) {
		return models.Bead{}, false
	}
	return vis[m.cursor].Bead, true
}

// Selected returns the selected IDs in list order, or the current bead's ID
// when nothing is selected.
func (m Model) Selected() []string {
	var ids []string
	for _, it := range m.items {
		if m.selected[it.Bead.ID] {
			ids = append(ids, it.Bead.ID)
		}
	}
	if len(ids) == 0 {
		if b, ok := m.Current(); ok {
			ids = []string{b.ID}
		}
	}
	return ids
}

// ClearSelection empties the multi-selection (after a sling).
func (m *Model) ClearSelection() { m.selected = map[string]bool{} }

// Update handles the panel's keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	if m.filtering {
		return m.updateFilter(kp), nil
	}
	k := m.keys
	n := len(m.Visible())
	switch {
	case key.Matches(kp, k.Up):
		m.cursor = max(m.cursor-1, 0)
	case key.Matches(kp, k.Down):
		m.cursor = max(min(m.cursor+1, n-1), 0)
	case key.Matches(kp, k.Select):
		if b, ok := m.Current(); ok {
			sel := make(map[string]bool, len(m.selected)+1)
			for id := range m.selected {
				sel[id] = true
			}
			if sel[b.ID] {
				delete(sel, b.ID)
			} else {
				sel[b.ID] = true
			}
			m.selected = sel
			m.cursor = max(min(m.cursor+1, n-1), 0)
		}
	case key.Matches(kp, k.Details):
		if b, ok := m.Current(); ok {
			return m, emit(ShowMsg{Bead: b})
		}
	case key.Matches(kp, k.Filter):
		m.filtering = true
	case key.Matches(kp, k.CycleView):
		m.view = (m.view + 1) % (ViewAll + 1)
		m.cursor = 0
	case key.Matches(kp, k.Sling):
		return m, m.emitIDs(func(ids []string) tea.Msg { return SlingMsg{IDs: ids} })
	case key.Matches(kp, k.Convoy):
		return m, m.emitIDs(func(ids []string) tea.Msg { return CreateConvoyMsg{IDs: ids} })
	case key.Matches(kp, k.AddToConvoy):
		return m, m.emitIDs(func(ids []string) tea.Msg { return AddToConvoyMsg{IDs: ids} })
	}
	return m, nil
}

func (m Model) updateFilter(kp tea.KeyPressMsg) Model {
	switch kp.String() {
	case "esc":
		m.filtering, m.filter = false, ""
	case "enter":
		m.filtering = false
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	default:
		if kp.Text != "" {
			m.filter += kp.Text
		}
	}
	m.cursor = 0
	return m
}

func (m Model) emitIDs(f func([]string) tea.Msg) tea.Cmd {
	ids := m.Selected()
	if len(ids) == 0 {
		return nil
	}
	return emit(f(slices.Clone(ids)))
}

func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// Lines renders the panel as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	s := m.c.Styles
	iw, ih := max(m.w-2, 0), max(m.h-2, 0)
	vis := m.Visible()
	var body []string
	if m.filtering || m.filter != "" {
		f := "/" + m.filter
		if m.filtering {
			f += "▏"
		}
		body = append(body, s.AccentPaint.Render(common.Fit(" "+f, iw)))
	}
	rowsH := ih - len(body)
	if len(vis) == 0 && rowsH > 0 {
		body = append(body, s.MutedPaint.Render(common.Fit(" No "+m.view.String()+" beads. n creates one.", iw)))
	}
	top := 0
	if rowsH > 0 && len(vis) > rowsH {
		top = max(0, min(m.cursor-rowsH/2, len(vis)-rowsH))
	}
	for i := top; i < len(vis) && len(body) < ih; i++ {
		b := vis[i].Bead
		cur, sel := " ", " "
		if i == m.cursor && m.focused {
			cur = "▸"
		}
		if m.selected[b.ID] {
			sel = "*"
		}
		line := common.Fit(cur+sel+b.ID+" P"+strconv.Itoa(b.Priority)+" "+padRight(string(b.IssueType), 5)+b.Title, iw)
		if i == m.cursor && m.focused {
			line = s.SelectionPaint.Render(line)
		}
		body = append(body, line)
	}
	body = common.FitLines(body, iw, ih)
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	title := s.Title.Render("Beads") + " [" + m.view.String() + "]"
	if n := len(m.selected); n > 0 {
		title += " " + strconv.Itoa(n) + " selected"
	}
	return common.Frame(title, body, m.w, m.h, border)
}

// View renders the panel.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }

func padRight(s string, w int) string {
	if len(s) >= w {
		return s + " "
	}
	return s + strings.Repeat(" ", w-len(s))
}
