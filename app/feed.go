package app

// FeedModel is the root model of `gt feed` on a terminal (spec §9): a
// full-screen program of its own, separate from the gt window, and the one
// documented exception to "only app.Model implements tea.Model". It shows
// three panels (Agents, Convoys, Events) or the Problems view, reloads the
// durable state every second, follows the events file every 100 ms and
// turns the panels' intents (nudge, focus, restart) into the same code
// paths gt nudge, the host socket and gt agents restart use.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/agenttree"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/feed"
	"github.com/gastown/gt/views/problems"
	"github.com/gastown/gt/views/styles"
)

// Feed timing.
const (
	// FeedReloadEvery is how often agents, convoys and queues reload.
	FeedReloadEvery = time.Second
	// feedNoticeTTL is how long a notice stays in the footer.
	feedNoticeTTL = 6 * time.Second
	// feedNudgeMessage is what n types into an agent (spec §8).
	feedNudgeMessage = "continue"
)

// FeedSource is what the feed reads and the actions it asks for. Every
// method may block (SQLite, files, the host socket): FeedModel only calls
// them from Cmds, and never runs two Polls or two Loads at once.
type FeedSource interface {
	// Load reads agents, convoys and merge queues.
	Load(ctx context.Context, now time.Time) (town.FeedSnapshot, error)
	// Poll returns new feed events; the first call returns the preload
	// (the last 200 matching events).
	Poll() ([]town.FeedEvent, error)
	// Nudge, Focus and Restart act on an agent and return a notice.
	Nudge(ctx context.Context, addr string) (string, error)
	Focus(ctx context.Context, addr string) (string, error)
	Restart(ctx context.Context, addr string) (string, error)
}

// feedPanel names the panels focus cycles through.
type feedPanelID int

const (
	feedAgents feedPanelID = iota
	feedConvoys
	feedEvents
	feedPanelCount
)

// FeedKeyMap is the feed program's own keys (the panels have theirs).
type FeedKeyMap struct {
	Next, Prev, Agents, Convoys, Events, Problems, Search, Help, Quit key.Binding
}

// DefaultFeedKeyMap returns the feed's keys (spec §9).
func DefaultFeedKeyMap() FeedKeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return FeedKeyMap{
		Next:     b("tab", "next panel", "tab"),
		Prev:     b("shift+tab", "previous panel", "shift+tab"),
		Agents:   b("1", "agents", "1"),
		Convoys:  b("2", "convoys", "2"),
		Events:   b("3", "events", "3"),
		Problems: b("p", "problems", "p"),
		Search:   b("/", "search events", "/"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q", "ctrl+c"),
	}
}

// ShortHelp is the footer's help.
func (k FeedKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Problems, k.Search, k.Help, k.Quit}
}

// FullHelp is the feed's section of the help screen.
func (k FeedKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Next, k.Prev, k.Agents, k.Convoys, k.Events}, {k.Problems, k.Search, k.Help, k.Quit}}
}

// FeedOptions configure NewFeedModel.
type FeedOptions struct {
	// Problems opens the Problems view (gt feed --problems).
	Problems bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Messages of the feed program.
type (
	feedSnapshotMsg struct {
		snap town.FeedSnapshot
		err  error
	}
	feedEventsMsg struct {
		evs []town.FeedEvent
		err error
	}
	feedReloadMsg struct{}
	feedPollMsg   struct{}
	feedNoticeMsg struct{ text string }
	feedClearMsg  struct{ seq int }
)

// FeedModel is gt feed's root model.
type FeedModel struct {
	ctx      context.Context
	src      FeedSource
	now      func() time.Time
	c        common.Common
	keys     FeedKeyMap
	agents   agenttree.Model
	convoys  feed.Convoys
	events   feed.Model
	problems problems.Model
	focus    feedPanelID
	probMode bool
	help     bool
	w, h     int
	notice   string
	noticeN  int
	snap     town.FeedSnapshot
	loaded   bool
	err      error
}

// NewFeedModel builds the feed over src.
func NewFeedModel(ctx context.Context, src FeedSource, o FeedOptions) FeedModel {
	st := styles.Default()
	c := common.New(&st)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	m := FeedModel{
		ctx: ctx, src: src, now: now, c: c, keys: DefaultFeedKeyMap(),
		agents: agenttree.New(c), convoys: feed.NewConvoys(c), events: feed.New(c), problems: problems.New(c),
		probMode: o.Problems,
	}
	m.events.SetMax(town.FeedPreload * 5)
	m.setFocus(feedAgents)
	return m
}

// Init loads the state and the preloaded events.
func (m FeedModel) Init() tea.Cmd {
	return tea.Batch(feedLoadCmd(m.ctx, m.src, m.now()), feedPollCmd(m.src))
}

// feedLoadCmd reads agents, convoys and queues.
func feedLoadCmd(ctx context.Context, src FeedSource, now time.Time) tea.Cmd {
	return func() tea.Msg {
		snap, err := src.Load(ctx, now)
		return feedSnapshotMsg{snap: snap, err: err}
	}
}

// feedPollCmd reads the events appended since the last poll.
func feedPollCmd(src FeedSource) tea.Cmd {
	return func() tea.Msg {
		evs, err := src.Poll()
		return feedEventsMsg{evs: evs, err: err}
	}
}

// feedActionCmd runs a nudge, focus or restart and reports its notice.
func feedActionCmd(ctx context.Context, fn func(context.Context, string) (string, error), addr string) tea.Cmd {
	return func() tea.Msg {
		text, err := fn(ctx, addr)
		if err != nil {
			return feedNoticeMsg{text: "✗ " + err.Error()}
		}
		return feedNoticeMsg{text: text}
	}
}

// Update routes messages: window size, data, the panels' intents, keys.
func (m FeedModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case feedSnapshotMsg:
		return m, m.handleSnapshot(msg)
	case feedEventsMsg:
		return m, m.handleEvents(msg)
	case feedReloadMsg:
		return m, feedLoadCmd(m.ctx, m.src, m.now())
	case feedPollMsg:
		return m, feedPollCmd(m.src)
	case feedNoticeMsg:
		return m, m.setNotice(msg.text)
	case feedClearMsg:
		if msg.seq == m.noticeN {
			m.notice = ""
		}
	case agenttree.NudgeMsg:
		return m, feedActionCmd(m.ctx, m.src.Nudge, msg.Address)
	case problems.NudgeMsg:
		return m, feedActionCmd(m.ctx, m.src.Nudge, msg.Address)
	case agenttree.FocusMsg:
		return m, feedActionCmd(m.ctx, m.src.Focus, msg.Address)
	case problems.FocusMsg:
		return m, feedActionCmd(m.ctx, m.src.Focus, msg.Address)
	case problems.RestartMsg:
		return m, feedActionCmd(m.ctx, m.src.Restart, msg.Address)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}
	return m, nil
}

func (m *FeedModel) handleSnapshot(msg feedSnapshotMsg) tea.Cmd {
	next := tea.Tick(FeedReloadEvery, func(time.Time) tea.Msg { return feedReloadMsg{} })
	if msg.err != nil {
		m.err = msg.err
		return next
	}
	m.err, m.snap, m.loaded = nil, msg.snap, true
	m.agents.SetAgents(treeAgents(msg.snap.Agents.Agents))
	m.problems.SetRows(problemRows(msg.snap.Agents.Agents))
	cs := make([]feed.Convoy, 0, len(msg.snap.Convoys))
	for _, c := range msg.snap.Convoys {
		cs = append(cs, feed.Convoy{ID: c.ID, Title: c.Title, Landed: c.Landed, Completed: c.Completed, Total: c.Total})
	}
	qs := make([]string, 0, len(msg.snap.Queues))
	for _, q := range msg.snap.Queues {
		qs = append(qs, q.String())
	}
	m.convoys.SetData(cs, qs)
	return next
}

func (m *FeedModel) handleEvents(msg feedEventsMsg) tea.Cmd {
	next := tea.Tick(town.FeedPollInterval, func(time.Time) tea.Msg { return feedPollMsg{} })
	if msg.err != nil {
		m.err = msg.err
		return next
	}
	evs := make([]feed.Event, 0, len(msg.evs))
	for _, e := range msg.evs {
		evs = append(evs, feedEventOf(e))
	}
	m.events.Append(evs...)
	return next
}

func (m *FeedModel) setNotice(text string) tea.Cmd {
	m.noticeN++
	m.notice = text
	seq := m.noticeN
	return tea.Tick(feedNoticeTTL, func(time.Time) tea.Msg { return feedClearMsg{seq: seq} })
}

// handleKey: a search being typed takes every key; then the feed's own
// keys; then the focused panel (or the Problems view).
func (m FeedModel) handleKey(kp tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.events.Searching() {
		var cmd tea.Cmd
		m.events, cmd = m.events.Update(kp)
		return m, cmd
	}
	if m.help {
		if key.Matches(kp, k.Quit) && kp.String() == "ctrl+c" {
			return m, tea.Quit
		}
		m.help = false
		return m, nil
	}
	switch {
	case key.Matches(kp, k.Quit):
		return m, tea.Quit
	case key.Matches(kp, k.Help):
		m.help = true
	case key.Matches(kp, k.Problems):
		m.probMode = !m.probMode
		m.setFocus(m.focus)
	case !m.probMode && key.Matches(kp, k.Next):
		m.setFocus((m.focus + 1) % feedPanelCount)
	case !m.probMode && key.Matches(kp, k.Prev):
		m.setFocus((m.focus + feedPanelCount - 1) % feedPanelCount)
	case !m.probMode && key.Matches(kp, k.Agents):
		m.setFocus(feedAgents)
	case !m.probMode && key.Matches(kp, k.Convoys):
		m.setFocus(feedConvoys)
	case !m.probMode && key.Matches(kp, k.Events):
		m.setFocus(feedEvents)
	case key.Matches(kp, k.Search):
		m.probMode = false
		m.setFocus(feedEvents)
		var cmd tea.Cmd
		m.events, cmd = m.events.Update(kp)
		return m, cmd
	default:
		return m.routeToPanel(kp)
	}
	m.layout()
	return m, nil
}

func (m FeedModel) routeToPanel(kp tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	ak := m.agents.KeyMap()
	switch {
	case !m.probMode && m.focus != feedAgents && (key.Matches(kp, ak.Nudge) || key.Matches(kp, ak.Focus)):
		// n and enter act on an agent: say where to pick one.
		return m, m.setNotice("Pick an agent first: 1 for Agents, or p for Problems")
	case m.probMode:
		m.problems, cmd = m.problems.Update(kp)
	case m.focus == feedAgents:
		m.agents, cmd = m.agents.Update(kp)
	case m.focus == feedConvoys:
		m.convoys, cmd = m.convoys.Update(kp)
	default:
		m.events, cmd = m.events.Update(kp)
	}
	return m, cmd
}

func (m *FeedModel) setFocus(f feedPanelID) {
	m.focus = f
	m.agents.Blur()
	m.convoys.Blur()
	m.events.Blur()
	m.problems.Blur()
	switch {
	case m.probMode:
		m.problems.Focus()
	case f == feedAgents:
		m.agents.Focus()
	case f == feedConvoys:
		m.convoys.Focus()
	default:
		m.events.Focus()
	}
	m.layout()
}

func (m *FeedModel) resize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.layout()
}

// feedRect is a panel's place on the screen.
type feedRect struct{ X, Y, W, H int }

// feedLayoutOf is the feed's pure layout: header row, body, footer row.
// Wide screens put Agents over Convoys on the left and Events on the
// right; tall narrow ones stack the three; small ones show only the
// focused panel (single). Below 20x5 nothing fits (tooSmall).
type feedLayoutOf struct {
	Agents, Convoys, Events, Problems feedRect
	Single, TooSmall                  bool
}

func feedLayout(w, h int, focus feedPanelID, probMode bool) feedLayoutOf {
	var l feedLayoutOf
	if w < 20 || h < 5 {
		l.TooSmall = true
		return l
	}
	body := feedRect{X: 0, Y: 1, W: w, H: h - 2}
	l.Problems = body
	switch {
	case probMode:
	case w >= 100 && body.H >= 10:
		left := min(max(w*2/5, 44), 70)
		ah := max(body.H*3/5, 3)
		l.Agents = feedRect{0, 1, left, ah}
		l.Convoys = feedRect{0, 1 + ah, left, body.H - ah}
		l.Events = feedRect{left, 1, w - left, body.H}
	case body.H >= 18:
		ah, ch := body.H*2/5, body.H/4
		l.Agents = feedRect{0, 1, w, ah}
		l.Convoys = feedRect{0, 1 + ah, w, ch}
		l.Events = feedRect{0, 1 + ah + ch, w, body.H - ah - ch}
	default:
		l.Single = true
		switch focus {
		case feedAgents:
			l.Agents = body
		case feedConvoys:
			l.Convoys = body
		default:
			l.Events = body
		}
	}
	return l
}

// layout sizes the panels (hidden ones keep a zero size).
func (m *FeedModel) layout() {
	l := feedLayout(m.w, m.h, m.focus, m.probMode)
	m.agents.SetSize(l.Agents.W, l.Agents.H)
	m.convoys.SetSize(l.Convoys.W, l.Convoys.H)
	m.events.SetSize(l.Events.W, l.Events.H)
	if m.probMode {
		m.problems.SetSize(l.Problems.W, l.Problems.H)
	} else {
		m.problems.SetSize(0, 0)
	}
}

// View draws the screen in the alternate screen buffer.
func (m FeedModel) View() tea.View {
	v := tea.NewView(strings.Join(m.Lines(), "\n"))
	v.AltScreen = true
	v.WindowTitle = "GT Feed"
	return v
}

// Lines renders the whole screen as exactly h lines of w cells.
func (m FeedModel) Lines() []string {
	if m.w <= 0 || m.h <= 0 {
		return nil
	}
	l := feedLayout(m.w, m.h, m.focus, m.probMode)
	if l.TooSmall {
		return common.FitLines([]string{"terminal too small (need at least 20x5)"}, m.w, m.h)
	}
	screen := make([]string, m.h)
	screen[0] = common.Fit(m.header(), m.w)
	screen[m.h-1] = common.Fit(m.footer(), m.w)
	if m.help {
		copy(screen[1:m.h-1], m.helpLines(m.w, m.h-2))
		return screen
	}
	body := make([]string, m.h-2)
	place := func(r feedRect, lines []string) {
		for i, line := range lines {
			if y := r.Y - 1 + i; y >= 0 && y < len(body) && i < r.H {
				body[y] += line
			}
		}
	}
	if m.probMode {
		place(l.Problems, m.problems.Lines())
	} else {
		// Left column first so each body row is built left to right.
		place(l.Agents, m.agents.Lines())
		place(l.Convoys, m.convoys.Lines())
		place(l.Events, m.events.Lines())
	}
	for i := range body {
		screen[1+i] = common.Fit(body[i], m.w)
	}
	return screen
}

// header is `GT Feed` with a summary, or the Problems header of §9.
func (m FeedModel) header() string {
	s := m.c.Styles
	if m.probMode {
		return s.Title.Render(m.problems.Header())
	}
	h := s.Title.Render("GT Feed")
	if l := feedLayout(m.w, m.h, m.focus, m.probMode); l.Single {
		// Only the focused panel shows: name them all, focused one marked.
		for i, n := range [...]string{"1 Agents", "2 Convoys", "3 Events"} {
			if feedPanelID(i) == m.focus {
				h += " " + s.AccentPaint.Render("["+n+"]")
			} else {
				h += s.MutedPaint.Render(" " + n)
			}
		}
	}
	if !m.loaded {
		return h + s.MutedPaint.Render("  loading…")
	}
	att, ok := m.problems.Counts()
	h += "  " + strconv.Itoa(att+ok) + " agents · "
	if att > 0 {
		h += s.StateText.Of(models.StateStalled).Render(strconv.Itoa(att) + " need attention")
	} else {
		h += "0 need attention"
	}
	if !m.snap.Agents.HostLive {
		h += s.MutedPaint.Render(" · no gt host running")
	}
	return h
}

// footer is the notice, the last error, or the short help.
func (m FeedModel) footer() string {
	s := m.c.Styles
	switch {
	case m.notice != "":
		return s.Notice.Render(m.notice)
	case m.err != nil:
		return s.Error.Render("✗ " + m.err.Error())
	}
	var parts []string
	for _, b := range m.panelShortHelp() {
		if b.Enabled() {
			parts = append(parts, b.Help().Key+" "+b.Help().Desc)
		}
	}
	for _, b := range m.keys.ShortHelp() {
		parts = append(parts, b.Help().Key+" "+b.Help().Desc)
	}
	return s.MutedPaint.Render(strings.Join(parts, " · "))
}

func (m FeedModel) panelShortHelp() []key.Binding {
	switch {
	case m.probMode:
		return m.problems.KeyMap().ShortHelp()
	case m.focus == feedAgents:
		k := m.agents.KeyMap()
		return []key.Binding{k.Nudge, k.Focus}
	}
	return nil
}

// helpLines is the ? screen: every binding of the feed and its panels.
func (m FeedModel) helpLines(w, h int) []string {
	s := m.c.Styles
	groups := []struct {
		name string
		keys [][]key.Binding
	}{
		{"Feed", m.keys.FullHelp()},
		{"Agents", m.agents.KeyMap().FullHelp()},
		{"Events", m.events.KeyMap().FullHelp()},
		{"Problems", m.problems.KeyMap().FullHelp()},
	}
	var lines []string
	for _, g := range groups {
		lines = append(lines, s.Title.Render(" "+g.name))
		line := " "
		for _, col := range g.keys {
			for _, b := range col {
				part := "  " + b.Help().Key + " " + b.Help().Desc
				if common.Width(line+part) > w-2 && line != " " {
					lines = append(lines, line)
					line = " "
				}
				line += part
			}
		}
		lines = append(lines, line)
	}
	lines = append(lines, s.MutedPaint.Render(" any key closes this help"))
	return common.Frame(s.Title.Render("Help"), common.FitLines(lines, max(w-2, 0), max(h-2, 0)), w, h, s.BorderFocus)
}

// treeAgents converts gt agents rows for the Agents panel.
func treeAgents(rows []town.AgentRow) []agenttree.Agent {
	out := make([]agenttree.Agent, 0, len(rows))
	for _, r := range rows {
		role, _ := models.ParseRole(r.Role)
		st, err := models.ParseAgentState(r.State)
		if err != nil {
			st = models.StateIdle
		}
		out = append(out, agenttree.Agent{
			Address: r.Address, Role: role, Rig: r.Rig, Name: r.Name, State: st,
			Hook: r.Hook, Idle: town.FormatIdle(r.IdleSeconds), Reason: r.Reason,
		})
	}
	return out
}

// problemRows converts gt agents rows for the Problems view.
func problemRows(rows []town.AgentRow) []problems.Row {
	out := make([]problems.Row, 0, len(rows))
	for _, r := range rows {
		st, err := models.ParseAgentState(r.State)
		if err != nil {
			st = models.StateIdle
		}
		idle := int64(-1)
		if r.IdleSeconds != nil {
			idle = *r.IdleSeconds
		}
		out = append(out, problems.Row{
			Address: r.Address, State: st, Idle: town.FormatIdle(r.IdleSeconds), IdleSecs: idle,
			Hook: r.Hook, Reason: r.Reason, NeedsAttention: r.NeedsAttention,
		})
	}
	return out
}

func feedEventOf(e town.FeedEvent) feed.Event {
	return feed.Event{Clock: e.Clock(), Symbol: e.Symbol, Actor: e.Actor, Type: e.Type, Summary: e.Summary}
}

// TownFeed is the FeedSource of a real town: the beads store,
// sessions.json or the host's status op, and the events file.
type TownFeed struct {
	t       *town.Town
	filter  town.FeedFilter
	preload int
	tail    *town.FeedTail
	first   bool

	// mu guards merges, read by Load and written by Poll (separate Cmds).
	mu     sync.Mutex
	merges []models.Event
}

// NewTownFeed follows t's events through filter, preloading the last
// preload matching events (<= 0: town.FeedPreload).
func NewTownFeed(t *town.Town, filter town.FeedFilter, preload int) *TownFeed {
	if preload <= 0 {
		preload = town.FeedPreload
	}
	// The tail reads every feed event: merge events tell the Convoys
	// panel which MR is merging whatever --type or --rig filter.
	return &TownFeed{t: t, filter: filter, preload: preload, tail: town.NewFeedTail(t.Root, town.FeedFilter{}), first: true}
}

// Load implements FeedSource.
func (f *TownFeed) Load(ctx context.Context, now time.Time) (town.FeedSnapshot, error) {
	f.mu.Lock()
	merges := append([]models.Event(nil), f.merges...)
	f.mu.Unlock()
	return f.t.LoadFeed(ctx, now, merges)
}

// Poll implements FeedSource.
func (f *TownFeed) Poll() ([]town.FeedEvent, error) {
	evs, err := f.tail.Poll()
	if err != nil {
		return nil, err
	}
	var out []town.FeedEvent
	f.mu.Lock()
	for _, e := range evs {
		switch e.Type {
		case "merge_started", "merged", "merge_failed", "merge_skipped":
			f.merges = append(f.merges, e.Event)
		}
		if f.filter.Match(e.Event) {
			out = append(out, e)
		}
	}
	if n := len(f.merges); n > 4*town.FeedPreload {
		f.merges = append([]models.Event(nil), f.merges[n-2*town.FeedPreload:]...)
	}
	f.mu.Unlock()
	if f.first {
		f.first = false
		if len(out) > f.preload {
			out = out[len(out)-f.preload:]
		}
	}
	return out, nil
}

// Nudge implements FeedSource: gt nudge <addr> continue, as the overseer.
func (f *TownFeed) Nudge(ctx context.Context, addr string) (string, error) {
	res, err := f.t.Nudge(ctx, town.NudgeOptions{Target: addr, Message: feedNudgeMessage, Sender: models.OverseerAddress.String()})
	if err != nil {
		return "", err
	}
	if res.Queued {
		return "✓ Queued nudge for " + addr, nil
	}
	return "✓ Nudged " + addr, nil
}

// Focus implements FeedSource: the host socket's focus op.
func (f *TownFeed) Focus(ctx context.Context, addr string) (string, error) {
	err := f.t.FocusAgent(ctx, addr)
	var he *town.HostError
	switch {
	case errors.Is(err, town.ErrNoHost):
		return "No gt host running: run gt to see " + addr, nil
	case errors.As(err, &he):
		return "", errors.New(he.Msg)
	case err != nil:
		return "", err
	}
	return "✓ Focused " + addr + " in the gt window", nil
}

// Restart implements FeedSource: gt agents restart <addr>.
func (f *TownFeed) Restart(ctx context.Context, addr string) (string, error) {
	res, err := f.t.RestartSession(ctx, addr, "")
	if err != nil {
		return "", err
	}
	return "✓ Restarting " + res.Address.String(), nil
}

// RunFeed runs the full-screen feed until q or ctx ends.
func RunFeed(ctx context.Context, src FeedSource, o FeedOptions, opts ...tea.ProgramOption) error {
	m := NewFeedModel(ctx, src, o)
	p := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)...)
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
