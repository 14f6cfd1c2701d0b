// Package statusbar renders gt's bottom line: town, agent counts by state,
// unread overseer mail, PREFIX while the prefix key is armed, the latest
// notice and the focused area's short help.
package statusbar

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Data is what the status bar shows.
type Data struct {
	Town   string
	Agents int
	// Counts are agents per state.
	Counts map[models.AgentState]int
	// Problems counts agents that need attention.
	Problems int
	Unread   int
	Armed    bool
	// Notice is a transient message (sling result, waiting agent, error).
	Notice string
	// NoticeIsError paints the notice as an error.
	NoticeIsError bool
	// Help is the focused area's short help.
	Help []key.Binding
	// PrefixHelp names the prefix key ("ctrl+␣").
	PrefixHelp string
}

// Model is the status bar.
type Model struct {
	c    common.Common
	w    int
	data Data
}

// New returns a status bar.
func New(c common.Common) Model { return Model{c: c} }

// SetSize sets the width (the bar is one line).
func (m *Model) SetSize(w, _ int) { m.w = max(w, 0) }

// SetData replaces what the bar shows.
func (m *Model) SetData(d Data) { m.data = d }

// Data returns what the bar shows.
func (m Model) Data() Data { return m.data }

// LeftText is the left part without styling.
func (d Data) LeftText() string {
	parts := []string{d.Town, plural(d.Agents, "agent")}
	for _, st := range []models.AgentState{models.StateWorking, models.StateWaiting} {
		parts = append(parts, st.Glyph()+" "+strconv.Itoa(d.Counts[st])+" "+st.String())
	}
	parts = append(parts, "⚠ "+strconv.Itoa(d.Problems)+" problems")
	if d.Unread > 0 {
		parts = append(parts, "✉ "+strconv.Itoa(d.Unread))
	}
	return strings.Join(parts, " · ")
}

// View renders the bar, exactly the set width.
func (m Model) View() string {
	if m.w <= 0 {
		return ""
	}
	s := m.c.Styles
	d := m.data
	left := " " + d.LeftText()
	if d.Armed {
		left = s.Prefix.Render(" PREFIX ") + s.StatusBar.Render(left)
	} else {
		left = s.StatusBar.Render(left)
	}
	if d.Notice != "" {
		st := s.Notice
		if d.NoticeIsError {
			st = s.Error
		}
		left += s.StatusBar.Render("  ") + st.Background(s.Palette.StatusBg).Render(d.Notice)
	}
	var help []string
	for _, b := range d.Help {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		help = append(help, h.Key+" "+h.Desc)
	}
	right := strings.Join(help, " · ")
	if d.PrefixHelp != "" {
		if right != "" {
			right += " · "
		}
		right += d.PrefixHelp + " ? help"
	}
	right += " "
	lw, rw := common.Width(left), common.Width(right)
	if lw+rw+1 > m.w {
		// The left part matters more: help goes first.
		return s.StatusBar.Render(common.Fit(left, m.w))
	}
	return left + s.StatusBar.Render(strings.Repeat(" ", m.w-lw-rw)+right)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
