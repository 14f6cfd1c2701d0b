package app

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/feed"
	"github.com/gastown/gt/views/problems"
)

// feedPanel is the side column's Feed area: the Events panel of gt feed,
// or in Problems mode (p) the Problems view (spec §8, §9).
type feedPanel struct {
	events   feed.Model
	probs    problems.Model
	toggle   key.Binding
	problems bool
}

func newFeedPanel(c common.Common) feedPanel {
	f := feedPanel{events: feed.New(c), probs: problems.New(c),
		toggle: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "problems"))}
	f.events.SetMax(maxFeedEvents)
	f.events.SetTitle("Feed")
	return f
}

func (f *feedPanel) SetSize(w, h int) {
	f.events.SetSize(w, h)
	f.probs.SetSize(w, h)
}

func (f *feedPanel) Focus() {
	f.events.Focus()
	f.probs.Focus()
}

func (f *feedPanel) Blur() {
	f.events.Blur()
	f.probs.Blur()
}

// SetProblems switches Problems mode; switching it on puts the cursor on
// the most urgent agent (the view keeps its cursor on the same agent across
// refreshes, which after a while is rarely the one that needs you now).
func (f *feedPanel) SetProblems(on bool) {
	if on && !f.problems {
		if ks := f.probs.KeyMap().Top.Keys(); len(ks) > 0 && len([]rune(ks[0])) == 1 {
			r := []rune(ks[0])[0]
			f.probs, _ = f.probs.Update(tea.KeyPressMsg{Code: r, Text: ks[0]})
		}
	}
	f.problems = on
}

// SetEvents describes the town's events for the Events panel.
func (f *feedPanel) SetEvents(evs []models.Event) {
	out := make([]feed.Event, 0, len(evs))
	for _, e := range evs {
		d := town.DescribeEvent(e)
		out = append(out, feed.Event{Clock: d.Clock(), Symbol: d.Symbol, Actor: e.Actor, Type: e.Type, Summary: d.Summary})
	}
	f.events.SetEvents(out)
}

// SetAgents gives the Problems view every agent.
func (f *feedPanel) SetAgents(all []Agent) {
	rows := make([]problems.Row, 0, len(all))
	for _, a := range all {
		secs := int64(a.Idle.Seconds())
		idle := town.FormatIdle(&secs)
		if a.Idle == 0 {
			idle, secs = "-", -1
		}
		rows = append(rows, problems.Row{Address: a.Address, State: a.State, Idle: idle, IdleSecs: secs, Hook: a.Hook,
			Reason: a.Reason, NeedsAttention: a.State.NeedsAttention(a.Hook != "", a.ExitCode)})
	}
	f.probs.SetRows(rows)
}

// Owns reports whether the panel binds kp (its keys win over globals).
func (f feedPanel) Owns(kp tea.KeyPressMsg) bool {
	if key.Matches(kp, f.toggle) {
		return true
	}
	if f.problems {
		return matchesAny(kp, f.probs.KeyMap().FullHelp())
	}
	return f.events.Searching() || matchesAny(kp, f.events.KeyMap().FullHelp())
}

func (f feedPanel) Update(msg tea.Msg) (feedPanel, tea.Cmd) {
	var cmd tea.Cmd
	if kp, ok := msg.(tea.KeyPressMsg); ok && key.Matches(kp, f.toggle) && !f.events.Searching() {
		f.SetProblems(!f.problems)
		return f, nil
	}
	if f.problems {
		f.probs, cmd = f.probs.Update(msg)
	} else {
		f.events, cmd = f.events.Update(msg)
	}
	return f, cmd
}

func (f feedPanel) Lines() []string {
	if f.problems {
		return f.probs.Lines()
	}
	return f.events.Lines()
}

func (f feedPanel) ShortHelp() []key.Binding {
	if f.problems {
		return append([]key.Binding{f.toggle}, f.probs.KeyMap().ShortHelp()...)
	}
	return append([]key.Binding{f.toggle}, f.events.KeyMap().ShortHelp()...)
}

func (f feedPanel) FullHelp() [][]key.Binding {
	pk := f.probs.KeyMap()
	out := [][]key.Binding{{f.toggle}}
	out = append(out, f.events.KeyMap().FullHelp()...)
	// Problems moves like the events list; only its actions are new.
	return append(out, []key.Binding{pk.Focus, pk.Nudge, pk.Restart})
}
