package app

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
)

// feedPanel is the side column's Feed/Problems area. It renders the town's
// latest events, or in Problems mode the agents that need attention (spec
// §9). It stands in for views/feed and views/problems until those
// components exist, with the same keys.
type feedPanel struct {
	c        common.Common
	keys     feedKeyMap
	events   []models.Event
	agents   []Agent
	problems bool
	cursor   int
	w, h     int
	focused  bool
}

type feedKeyMap struct {
	Up, Down, Top, Bottom, HalfUp, HalfDown, Problems, Focus, Nudge, Restart key.Binding
}

func defaultFeedKeyMap() feedKeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return feedKeyMap{
		Up: b("k/↑", "up", "k", "up"), Down: b("j/↓", "down", "j", "down"),
		Top: b("g", "top", "g"), Bottom: b("G", "bottom", "G"),
		HalfUp: b("ctrl+u", "half up", "ctrl+u"), HalfDown: b("ctrl+d", "half down", "ctrl+d"),
		Problems: b("p", "problems", "p"), Focus: b("enter", "focus agent", "enter"),
		Nudge: b("n", "nudge continue", "n"), Restart: b("r", "restart", "r"),
	}
}

func (k feedKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Problems, k.Focus, k.Nudge, k.Restart}
}

func (k feedKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom, k.HalfUp, k.HalfDown}, {k.Problems, k.Focus, k.Nudge, k.Restart}}
}

// Intents of the problems view.
type (
	focusAgentMsg   struct{ addr string }
	nudgeAgentMsg   struct{ addr string }
	restartAgentMsg struct{ addr string }
)

func newFeedPanel(c common.Common) feedPanel { return feedPanel{c: c, keys: defaultFeedKeyMap()} }

func (f *feedPanel) SetSize(w, h int)           { f.w, f.h = max(w, 0), max(h, 0) }
func (f *feedPanel) Focus()                     { f.focused = true }
func (f *feedPanel) Blur()                      { f.focused = false }
func (f *feedPanel) SetEvents(e []models.Event) { f.events = e }
func (f *feedPanel) SetProblems(on bool)        { f.problems, f.cursor = on, 0 }

// SetAgents keeps the agents needing attention, in §9 problems order.
func (f *feedPanel) SetAgents(all []Agent) {
	var ps []Agent
	for _, a := range all {
		if a.State.NeedsAttention(a.Hook != "", a.ExitCode) {
			ps = append(ps, a)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if ri, rj := ps[i].State.ProblemRank(), ps[j].State.ProblemRank(); ri != rj {
			return ri < rj
		}
		return ps[i].Idle > ps[j].Idle
	})
	f.agents = ps
	f.cursor = min(f.cursor, max(f.len()-1, 0))
}

func (f feedPanel) len() int {
	if f.problems {
		return len(f.agents)
	}
	return len(f.events)
}

func (f feedPanel) Update(msg tea.Msg) (feedPanel, tea.Cmd) {
	kp, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return f, nil
	}
	k, n := f.keys, f.len()
	half := max((f.h-2)/2, 1)
	switch {
	case key.Matches(kp, k.Up):
		f.cursor = max(f.cursor-1, 0)
	case key.Matches(kp, k.Down):
		f.cursor = max(min(f.cursor+1, n-1), 0)
	case key.Matches(kp, k.Top):
		f.cursor = 0
	case key.Matches(kp, k.Bottom):
		f.cursor = max(n-1, 0)
	case key.Matches(kp, k.HalfUp):
		f.cursor = max(f.cursor-half, 0)
	case key.Matches(kp, k.HalfDown):
		f.cursor = max(min(f.cursor+half, n-1), 0)
	case key.Matches(kp, k.Problems):
		f.SetProblems(!f.problems)
	case f.problems && f.cursor < len(f.agents):
		addr := f.agents[f.cursor].Address
		switch {
		case key.Matches(kp, k.Focus):
			return f, func() tea.Msg { return focusAgentMsg{addr} }
		case key.Matches(kp, k.Nudge):
			return f, func() tea.Msg { return nudgeAgentMsg{addr} }
		case key.Matches(kp, k.Restart):
			return f, func() tea.Msg { return restartAgentMsg{addr} }
		}
	}
	return f, nil
}

// Lines renders the panel as exactly h lines of exactly w cells.
func (f feedPanel) Lines() []string {
	if f.w <= 0 || f.h <= 0 {
		return nil
	}
	s := f.c.Styles
	iw, ih := max(f.w-2, 0), max(f.h-2, 0)
	var rows []string
	title := s.Title.Render("Feed")
	if f.problems {
		title = s.Title.Render("Problems") + " " + strconv.Itoa(len(f.agents)) + " need attention"
		if len(f.agents) == 0 {
			rows = append(rows, s.MutedPaint.Render(" No agent needs attention"))
		}
		for _, a := range f.agents {
			line := " " + a.State.Glyph() + " " + a.Address + "  " + orDash(a.Hook) + "  " + a.Reason
			rows = append(rows, s.StateText.Of(a.State).Render(common.Fit(line, iw)))
		}
	} else {
		for _, e := range f.events {
			rows = append(rows, common.Fit(" "+eventLine(e), iw))
		}
		if len(rows) == 0 {
			rows = append(rows, s.MutedPaint.Render(" No events yet."))
		}
	}
	top := 0
	if f.problems {
		top = max(0, min(f.cursor-ih/2, len(rows)-ih))
	} else {
		// Newest last: follow the tail unless the cursor moved up.
		top = max(0, len(rows)-ih)
		if f.focused && f.cursor < top {
			top = f.cursor
		}
	}
	var body []string
	for i := top; i < len(rows) && len(body) < ih; i++ {
		line := common.Fit(rows[i], iw)
		if f.focused && f.problems && i == f.cursor {
			line = s.SelectionPaint.Render(line)
		}
		body = append(body, line)
	}
	border := s.Border
	if f.focused {
		border = s.BorderFocus
	}
	return common.Frame(title, common.FitLines(body, iw, ih), f.w, f.h, border)
}

// eventLine is `HH:MM:SS <symbol> <actor> <summary>`.
func eventLine(e models.Event) string {
	var p map[string]any
	_ = json.Unmarshal(e.Payload, &p)
	str := func(k string) string {
		v, _ := p[k].(string)
		return v
	}
	sym, summary := "•", e.Type
	switch e.Type {
	case "bead_created":
		sym, summary = "+", "created "+str("bead")+" "+str("title")
	case "bead_closed":
		sym, summary = "✓", "closed "+str("bead")
	case "bead_status", "bead_updated", "bead_reopened":
		sym, summary = "→", e.Type+" "+str("bead")
	case "sling":
		sym, summary = "🎯", "sling "+str("bead")+" → "+str("target")
	case "hook":
		sym, summary = "🪝", "hook "+str("bead")
	case "nudge":
		sym, summary = "⚡", "nudge "+str("to")
	case "mail":
		sym, summary = "✉", "mail to "+str("to")+": "+str("subject")
	case "convoy_created", "convoy_closed":
		sym, summary = "🚚", strings.TrimPrefix(e.Type, "convoy_")+" "+str("convoy")+" "+str("title")
	case "session_start":
		sym, summary = "▶", "started "+str("agent")
	case "session_end":
		sym, summary = "■", "ended "+str("agent")
	case "merge_started":
		sym, summary = "⚙", "merging "+str("mr")
	case "merged", "done":
		sym, summary = "✓", e.Type+" "+str("mr")+str("bead")
	case "merge_failed", "nudge_failed":
		sym, summary = "✗", e.Type+" "+str("mr")+str("to")
	case "agent_state":
		sym, summary = "→", str("agent")+" "+str("from")+" → "+str("to")
	}
	return e.TS.Local().Format("15:04:05") + " " + sym + " " + e.Actor + " " + summary
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
