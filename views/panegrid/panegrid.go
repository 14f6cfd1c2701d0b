// Package panegrid composes the pane area: the panes' rendered frames at
// their rectangles (grid, or one pane under a row of tabs when the grid
// would make panes too small), or a welcome card when no agent has a pane.
// The rectangles come from app's pure layout; panegrid only draws.
package panegrid

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// Tile is one shown pane: its rectangle relative to the area and its
// rendered lines (each exactly W cells wide).
type Tile struct {
	X, Y, W, H int
	Lines      []string
}

// Tab is one pane's entry in the tab bar.
type Tab struct {
	N     int
	Title string
	State models.AgentState
	// Shown marks the pane shown under the tabs.
	Shown bool
}

// Label is the tab's text, ` N <title> <glyph> `.
func (t Tab) Label() string {
	return " " + strconv.Itoa(t.N) + " " + t.Title + " " + t.State.Glyph() + " "
}

// Model is the pane area.
type Model struct {
	c      common.Common
	w, h   int
	tiles  []Tile
	tabs   []Tab
	prefix string
}

// New returns an empty pane area; prefix names the prefix key on the
// welcome card (e.g. "ctrl+space").
func New(c common.Common, prefix string) Model { return Model{c: c, prefix: prefix} }

// SetSize sets the area's size.
func (m *Model) SetSize(w, h int) { m.w, m.h = max(w, 0), max(h, 0) }

// SetTiles replaces the shown panes.
func (m *Model) SetTiles(t []Tile) { m.tiles = t }

// SetTabs shows a tab bar on the first row (nil: grid, no tab bar).
func (m *Model) SetTabs(t []Tab) { m.tabs = t }

// TabAt returns the index of the tab at column x of the tab bar, -1 if none.
func (m Model) TabAt(x int) int {
	at := 0
	for i, t := range m.tabs {
		w := common.Width(t.Label())
		if x >= at && x < at+w {
			return i
		}
		at += w + 1 // the │ separator
	}
	return -1
}

// Lines renders the area as exactly h lines of exactly w cells.
func (m Model) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	if len(m.tiles) == 0 && len(m.tabs) == 0 {
		return m.welcome()
	}
	rows := make([][]seg, m.h)
	if m.tabs != nil {
		rows[0] = append(rows[0], seg{0, m.w, m.tabBar()})
	}
	for _, t := range m.tiles {
		for i, l := range t.Lines {
			y := t.Y + i
			if i >= t.H || y < 0 || y >= m.h || t.X < 0 || t.X+t.W > m.w {
				break
			}
			rows[y] = append(rows[y], seg{t.X, t.W, l})
		}
	}
	out := make([]string, m.h)
	var sb strings.Builder
	for y, segs := range rows {
		sort.Slice(segs, func(i, j int) bool { return segs[i].x < segs[j].x })
		sb.Reset()
		x := 0
		for _, s := range segs {
			if s.x < x {
				continue // overlapping tile: keep the first
			}
			sb.WriteString(strings.Repeat(" ", s.x-x))
			sb.WriteString(s.s)
			x = s.x + s.w
		}
		sb.WriteString(strings.Repeat(" ", max(m.w-x, 0)))
		out[y] = sb.String()
	}
	return out
}

type seg struct {
	x, w int
	s    string
}

// tabBar renders the tabs, the shown one highlighted, others coloured by
// state.
func (m Model) tabBar() string {
	s := m.c.Styles
	parts := make([]string, len(m.tabs))
	for i, t := range m.tabs {
		if t.Shown {
			parts[i] = s.ButtonFocus.Render(t.Label())
		} else {
			parts[i] = s.StateText.Of(t.State).Render(t.Label())
		}
	}
	return common.Fit(strings.Join(parts, s.Border.Render("│")), m.w)
}

// welcome is the card shown when no agent has a pane (spec §8).
func (m Model) welcome() []string {
	s := m.c.Styles
	pk := m.prefix + " m"
	pad := func(k string) string { return k + strings.Repeat(" ", max(len(pk)-len(k), 0)) }
	body := []string{
		"",
		s.Title.Render("  Welcome to Gas Town"),
		"",
		"  No agents are running yet.",
		"",
		"  " + s.Accent.Render(pk) + "  start the Mayor",
		"  " + s.Accent.Render(pad("s")) + "  sling the selected beads (space selects)",
		"  " + s.Accent.Render(pad("n")) + "  new bead",
		"  " + s.Accent.Render(pad("?")) + "  help",
	}
	return common.Frame(s.Title.Render("gt"), common.FitLines(body, max(m.w-2, 0), max(m.h-2, 0)), m.w, m.h, s.Border)
}

// View renders the area.
func (m Model) View() string { return strings.Join(m.Lines(), "\n") }
