package app

import (
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/panegrid"
	"github.com/gastown/gt/views/statusbar"
)

// tooSmallText is shown below 20x5 (spec §8).
const tooSmallText = "terminal too small (need at least 20x5)"

// canvas collects each region's lines by screen row and joins them. Regions
// do not overlap (dialogs are spliced in afterwards), so a row is its
// segments in x order with gaps filled by spaces.
type canvas struct {
	w, h int
	rows [][]segment
}

type segment struct {
	x, w int
	s    string
}

func newCanvas(w, h int) *canvas { return &canvas{w: w, h: h, rows: make([][]segment, h)} }

// place puts lines (each exactly r.W wide) at r.
func (c *canvas) place(r rect, lines []string) {
	for i, l := range lines {
		y := r.Y + i
		if i >= r.H || y < 0 || y >= c.h {
			break
		}
		c.rows[y] = append(c.rows[y], segment{x: r.X, w: r.W, s: l})
	}
}

func (c *canvas) lines() []string {
	out := make([]string, c.h)
	var sb strings.Builder
	for y, segs := range c.rows {
		sort.Slice(segs, func(i, j int) bool { return segs[i].x < segs[j].x })
		sb.Reset()
		x := 0
		for _, s := range segs {
			if s.x > x {
				sb.WriteString(strings.Repeat(" ", s.x-x))
			}
			sb.WriteString(s.s)
			x = s.x + s.w
		}
		if x < c.w {
			sb.WriteString(strings.Repeat(" ", c.w-x))
		}
		out[y] = sb.String()
	}
	return out
}

// render composes the whole screen.
func (m *Model) render() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	l := m.lay
	if l.Mode == modeTooSmall {
		return common.Cut(tooSmallText, m.w)
	}
	cv := newCanvas(m.w, m.h)
	switch {
	case l.Mode == modeSingle:
		cv.place(l.Main, m.singleLines(l.Main))
	case m.showPanel && !l.Side:
		cv.place(l.Main, m.panelLines(m.overlay))
	default:
		cv.place(l.Main, m.gridLines(l.Main))
	}
	if l.Side && l.Mode == modeFull {
		cv.place(l.Convoys, m.convoys.Lines())
		cv.place(l.Beads, m.beads.Lines())
		cv.place(l.Feed, m.feed.Lines())
	}
	m.status.SetData(m.statusData())
	cv.place(l.Status, []string{m.status.View()})
	lines := cv.lines()
	if m.dialog != nil {
		lines = overlay(lines, m.dialog.Lines(), m.w)
	}
	return strings.Join(lines, "\n")
}

// paneLines returns the cached render of p, rendering it if the cache is
// missing or stale in size.
func (m *Model) paneLines(p *paneEntry, r rect) []string {
	ls, ok := m.rendered[p.agent.Address]
	if !ok || len(ls) != r.H {
		p.view.SetSize(r.W, r.H)
		m.renderPane(p)
		ls = m.rendered[p.agent.Address]
	}
	return ls
}

// singleLines is the one area of a small window: the focused pane or panel.
func (m *Model) singleLines(r rect) []string {
	if p := m.focusedPane(); m.focus == focusPane && p != nil {
		return m.paneLines(p, r)
	}
	f := m.focus
	if f == focusPane {
		f = focusBeads
	}
	return m.panelLines(f)
}

func (m *Model) panelLines(f focusKind) []string {
	switch f {
	case focusConvoys:
		return m.convoys.Lines()
	case focusFeed:
		return m.feed.Lines()
	}
	return m.beads.Lines()
}

// gridTabs are the tab bar's entries, the shown pane marked.
func (m *Model) gridTabs() []panegrid.Tab {
	tabs := make([]panegrid.Tab, len(m.panes))
	for i, p := range m.panes {
		tabs[i] = panegrid.Tab{N: i + 1, Title: p.agent.PaneTitle, State: p.agent.State,
			Shown: i < len(m.lay.Panes) && !m.lay.Panes[i].Empty()}
	}
	return tabs
}

// gridLines composes the pane area: the shown panes' cached renders (grid
// or tabs), or the welcome card.
func (m *Model) gridLines(area rect) []string {
	m.grid.SetSize(area.W, area.H)
	var tiles []panegrid.Tile
	for i, p := range m.panes {
		if r := m.lay.Panes[i]; !r.Empty() {
			tiles = append(tiles, panegrid.Tile{X: r.X - area.X, Y: r.Y - area.Y, W: r.W, H: r.H, Lines: m.paneLines(p, r)})
		}
	}
	m.grid.SetTiles(tiles)
	m.grid.SetTabs(nil)
	if m.lay.Tabs {
		m.grid.SetTabs(m.gridTabs())
	}
	return m.grid.Lines()
}

// statusData gathers the status bar's contents.
func (m *Model) statusData() statusbar.Data {
	d := statusbar.Data{Town: m.snap.TownName, Counts: map[models.AgentState]int{}, Unread: m.snap.Unread,
		Armed: m.armed, PrefixHelp: m.keys.Prefix.Help().Key}
	for _, a := range m.agents {
		if !a.Live() && a.Hook == "" && !a.Exited {
			continue
		}
		d.Agents++
		d.Counts[a.State]++
		if a.State.NeedsAttention(a.Hook != "", a.ExitCode) {
			d.Problems++
		}
	}
	d.Notice, d.NoticeIsError = m.notice, m.noticeErr
	d.Help = m.shortHelp()
	return d
}

func (m *Model) shortHelp() []key.Binding {
	if m.dialog != nil {
		return m.dialog.KeyMap().ShortHelp()
	}
	switch m.focus {
	case focusBeads:
		return m.beads.KeyMap().ShortHelp()
	case focusConvoys:
		return m.convoys.KeyMap().ShortHelp()
	case focusFeed:
		return m.feed.ShortHelp()
	}
	if p := m.focusedPane(); p != nil && p.view.InCopyMode() {
		return p.view.KeyMap().ShortHelp()
	}
	return nil
}

// overlay splices box into the middle of lines.
func overlay(lines, box []string, w int) []string {
	if len(box) == 0 {
		return lines
	}
	bw := common.Width(box[0])
	x := max((w-bw)/2, 0)
	y := max((len(lines)-1-len(box))/2, 0)
	for i, b := range box {
		if y+i >= len(lines) {
			break
		}
		l := lines[y+i]
		lines[y+i] = ansi.Cut(l, 0, x) + b + ansi.Cut(l, x+bw, w)
	}
	return lines
}
