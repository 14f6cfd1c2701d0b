package feed

import (
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/views/common"
)

// Convoy is one convoy of the feed's Convoys panel.
type Convoy struct {
	ID, Title        string
	Landed           bool
	Completed, Total int
}

// Convoys is gt feed's Convoys panel: open convoys (oldest first) with a
// progress bar and x/y, convoys landed in the last 24 h marked ✓, then one
// merge-queue line per rig (`⚙ <rig>: N queued[, merging <id>]`).
type Convoys struct {
	c       common.Common
	keys    KeyMap
	convoys []Convoy
	queues  []string
	top     int
	w, h    int
	focused bool
}

// NewConvoys returns an empty panel.
func NewConvoys(c common.Common) Convoys { return Convoys{c: c, keys: DefaultKeyMap()} }

// SetSize sets the panel's outer size (frame included).
func (m *Convoys) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.clamp()
}

// Focus focuses the panel.
func (m *Convoys) Focus() { m.focused = true }

// Blur unfocuses the panel.
func (m *Convoys) Blur() { m.focused = false }

// Focused reports focus.
func (m Convoys) Focused() bool { return m.focused }

// KeyMap returns the panel's keys (search is not used).
func (m Convoys) KeyMap() KeyMap {
	k := m.keys
	k.Search.SetEnabled(false)
	return k
}

// SetData replaces the convoys and the merge-queue lines.
func (m *Convoys) SetData(cs []Convoy, queues []string) {
	m.convoys, m.queues = cs, queues
	m.clamp()
}

func (m Convoys) rowCount() int {
	n := len(m.convoys) + len(m.queues)
	if len(m.convoys) == 0 {
		n++ // the "No convoys" line
	}
	return n
}

func (m *Convoys) clamp() {
	ih := max(m.h-2, 0)
	m.top = max(0, min(m.top, m.rowCount()-ih))
}

// Update scrolls the panel.
func (m Convoys) Update(msg tea.Msg) (Convoys, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	k := m.keys
	half := max((m.h-2)/2, 1)
	m.top, _ = k.Move(kp, m.top, m.rowCount(), half)
	m.clamp()
	return m, nil
}

// Lines renders the panel as exactly h lines of exactly w cells.
func (m Convoys) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	s := m.c.Styles
	iw, ih := max(m.w-2, 0), max(m.h-2, 0)
	var rows []string
	if len(m.convoys) == 0 {
		rows = append(rows, s.MutedPaint.Render(common.Fit(" No convoys.", iw)))
	}
	for _, c := range m.convoys {
		rows = append(rows, m.convoyLine(c, iw))
	}
	for _, q := range m.queues {
		rows = append(rows, common.Fit(" "+q, iw))
	}
	var body []string
	for i := m.top; i < len(rows) && len(body) < ih; i++ {
		body = append(body, rows[i])
	}
	border := s.Border
	if m.focused {
		border = s.BorderFocus
	}
	return common.Frame(s.Title.Render("Convoys"), common.FitLines(body, iw, ih), m.w, m.h, border)
}

// convoyLine is ` 🚚 <id> <title>  ██░░ x/y` (✓ and muted once landed), the
// bar and count right-aligned; narrow panels drop the bar.
func (m Convoys) convoyLine(c Convoy, w int) string {
	s := m.c.Styles
	count := " " + strconv.Itoa(c.Completed) + "/" + strconv.Itoa(c.Total)
	glyph := "🚚"
	if c.Landed {
		glyph = "✓ "
	}
	left := " " + glyph + " " + c.ID + " " + c.Title
	barW := min(10, max(w/6, 3))
	rightW := barW + common.Width(count) + 1
	var line string
	if w-rightW < 14 {
		line = common.Fit(left, max(w-common.Width(count), 0)) + count
	} else {
		done := 0
		if c.Total > 0 {
			done = min(c.Completed*barW/c.Total, barW)
		}
		bar := s.ProgressDone.Render(strings.Repeat("█", done)) + s.ProgressTodo.Render(strings.Repeat("░", barW-done))
		if c.Landed {
			bar = strings.Repeat("█", done) + strings.Repeat("░", barW-done)
		}
		line = common.Fit(left, w-rightW) + " " + bar + count
	}
	line = common.Fit(line, w)
	if c.Landed {
		return s.MutedPaint.Render(line)
	}
	return line
}

// View renders the panel.
func (m Convoys) View() string { return strings.Join(m.Lines(), "\n") }
