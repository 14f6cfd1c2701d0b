// Package feed holds the panels of gt feed that show activity: the Events
// panel (newest last, following the tail unless the cursor moved up, with
// / search) and the Convoys panel (open convoys with progress, recently
// landed ones, one merge-queue line per rig). The TUI's Feed side panel
// reuses the Events panel.
package feed

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/views/common"
)

// DefaultMaxEvents bounds the events the panel keeps.
const DefaultMaxEvents = 1000

// Event is one feed event, already described: `HH:MM:SS <symbol> <actor>
// <summary>`.
type Event struct {
	Clock, Symbol, Actor, Type, Summary string
}

// Line is the event's row text.
func (e Event) Line() string {
	return e.Clock + " " + e.Symbol + " " + e.Actor + " " + e.Summary
}

// Model is the Events panel.
type Model struct {
	c       common.Common
	keys    KeyMap
	events  []Event
	max     int
	cursor  int // index into the visible (searched) events
	top     int
	follow  bool
	w, h    int
	focused bool
	title   string

	searching bool
	query     string
}

// New returns an empty panel in follow mode.
func New(c common.Common) Model {
	return Model{c: c, keys: DefaultKeyMap(), max: DefaultMaxEvents, follow: true, title: "Events"}
}

// SetSize sets the panel's outer size (frame included).
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.settle()
}

// Focus focuses the panel.
func (m *Model) Focus() { m.focused = true }

// Blur unfocuses the panel and ends a search being typed (keeping it).
func (m *Model) Blur() { m.focused, m.searching = false, false }

// Focused reports focus.
func (m Model) Focused() bool { return m.focused }

// KeyMap returns the panel's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetTitle replaces the frame title (default "Events").
func (m *Model) SetTitle(t string) { m.title = t }

// SetMax sets how many events are kept (<= 0: DefaultMaxEvents).
func (m *Model) SetMax(n int) {
	if n <= 0 {
		n = DefaultMaxEvents
	}
	m.max = n
	m.trim()
	m.settle()
}

// Following reports follow mode: the newest event stays in view.
func (m Model) Following() bool { return m.follow }

// Searching reports whether a search is being typed (the panel then takes
// every key).
func (m Model) Searching() bool { return m.searching }

// Query is the current search ("" none).
func (m Model) Query() string { return m.query }

// SetEvents replaces the events (oldest first).
func (m *Model) SetEvents(evs []Event) {
	m.events = append([]Event(nil), evs...)
	m.trim()
	m.settle()
}

// Append adds newer events; in follow mode the cursor stays on the newest.
func (m *Model) Append(evs ...Event) {
	if len(evs) == 0 {
		return
	}
	m.events = append(m.events, evs...)
	m.trim()
	m.settle()
}

// Events returns every kept event.
func (m Model) Events() []Event { return m.events }

func (m *Model) trim() {
	if len(m.events) > m.max {
		drop := len(m.events) - m.max
		m.events = append([]Event(nil), m.events[drop:]...)
		if !m.follow && m.query == "" {
			m.cursor = max(m.cursor-drop, 0)
		}
	}
}

// Visible returns the events the search keeps, oldest first.
func (m Model) Visible() []Event {
	if m.query == "" {
		return m.events
	}
	q := strings.ToLower(m.query)
	var out []Event
	for _, e := range m.events {
		if strings.Contains(strings.ToLower(e.Line()+" "+e.Type), q) {
			out = append(out, e)
		}
	}
	return out
}

// Current returns the event under the cursor.
func (m Model) Current() (Event, bool) {
	vis := m.Visible()
	if m.cursor < 0 || m.cursor >= len(vis) {
		return Event{}, false
	}
	return vis[m.cursor], true
}

// settle clamps the cursor (pinning it to the newest event in follow
// mode) and scrolls it into view.
func (m *Model) settle() {
	n := len(m.Visible())
	if m.follow {
		m.cursor = max(n-1, 0)
	}
	m.cursor = max(0, min(m.cursor, n-1))
	ih := m.innerH()
	switch {
	case ih <= 0 || n <= ih:
		m.top = 0
	case m.cursor < m.top:
		m.top = m.cursor
	case m.cursor >= m.top+ih:
		m.top = m.cursor - ih + 1
	}
	m.top = max(0, min(m.top, n-ih))
}

func (m Model) innerH() int { return max(m.h-2, 0) }

// Update handles the panel's keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	if m.searching {
		m.updateSearch(kp)
		return m, nil
	}
	k := m.keys
	n := len(m.Visible())
	half := max(m.innerH()/2, 1)
	switch pos, moved := k.Move(kp, m.cursor, n-1, half); {
	case moved:
		m.cursor = pos
	case key.Matches(kp, k.Search):
		m.searching = true
		return m, nil
	case kp.String() == "esc" && m.query != "":
		m.query, m.follow = "", true
	default:
		return m, nil
	}
	m.cursor = max(0, min(m.cursor, n-1))
	// Follow mode is on exactly when the cursor rests on the newest event.
	m.follow = m.cursor >= n-1
	m.settle()
	return m, nil
}

func (m *Model) updateSearch(kp tea.KeyPressMsg) {
	switch kp.String() {
	case "esc":
		m.searching, m.query = false, ""
	case "enter":
		m.searching = false
	case "backspace":
		if r := []rune(m.query); len(r) > 0 {
			m.query = string(r[:len(r)-1])
		}
	default:
		if kp.Text != "" {
			m.query += kp.Text
		}
	}
	m.follow = true
	m.settle()
}

// Lines renders the panel as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	s := m.c.Styles
	iw, ih := max(m.w-2, 0), m.innerH()
	vis := m.Visible()
	var body []string
	switch {
	case len(m.events) == 0:
		body = append(body, s.MutedPaint.Render(common.Fit(" No events yet.", iw)))
	case len(vis) == 0:
		body = append(body, s.MutedPaint.Render(common.Fit(" No event matches.", iw)))
	}
	for i := m.top; i < len(vis) && len(body) < ih; i++ {
		e := vis[i]
		line := common.Fit(" "+s.MutedPaint.Render(e.Clock)+" "+e.Symbol+" "+s.AccentPaint.Render(e.Actor)+" "+e.Summary, iw)
		if m.focused && !m.follow && i == m.cursor {
			line = s.SelectionPaint.Render(line)
		}
		body = append(body, line)
	}
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	return common.Frame(m.titleText(len(vis)), common.FitLines(body, iw, ih), m.w, m.h, border)
}

func (m Model) titleText(matches int) string {
	s := m.c.Styles
	t := s.Title.Render(m.title)
	switch {
	case m.searching:
		t += " /" + m.query + "▏"
	case m.query != "":
		t += " /" + m.query + " (" + strconv.Itoa(matches) + ")"
	}
	if !m.follow {
		t += s.MutedPaint.Render(" · paused")
	}
	return t
}

// View renders the panel.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }
