package app

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/views/beadlist"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/convoys"
	"github.com/gastown/gt/views/dialogs"
	"github.com/gastown/gt/views/pane"
	"github.com/gastown/gt/views/panegrid"
	"github.com/gastown/gt/views/problems"
	"github.com/gastown/gt/views/statusbar"
	"github.com/gastown/gt/views/styles"
)

// focusKind is what has keyboard focus (spec §8 Focus model). A dialog,
// when open, swallows input whatever the focus.
type focusKind int

const (
	focusPane focusKind = iota
	focusConvoys
	focusBeads
	focusFeed
)

// String names the focus.
func (f focusKind) String() string {
	return [...]string{"pane", "convoys", "beads", "feed"}[f]
}

// Config is the TUI's settings (spec §11 tui.*).
type Config struct {
	PrefixKey string
	// MaxFPS bounds repaints of changed panes (1–60, default 30).
	MaxFPS int
	// Bell rings the terminal bell when an agent starts waiting.
	Bell bool
	// FocusMayor focuses (and with Zoom zooms) the Mayor's pane when it
	// appears (gt mayor attach, gt demo).
	FocusMayor, Zoom bool
	// Tabs starts in tabs layout (tui.layout = "tabs").
	Tabs bool
	// RefreshEvery is how often durable state is reloaded (default 1 s).
	RefreshEvery time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxFPS <= 0 {
		c.MaxFPS = 30
	}
	c.MaxFPS = min(c.MaxFPS, 60)
	if c.RefreshEvery <= 0 {
		c.RefreshEvery = time.Second
	}
	return c
}

// paneEntry is one shown pane: the agent and its view.
type paneEntry struct {
	agent Agent
	view  pane.Model
	// inner is the size the PTY was last resized to.
	innerW, innerH int
}

// Model is gt's root bubbletea model.
type Model struct {
	ctx   context.Context
	cfg   Config
	c     common.Common
	keys  KeyMap
	host  Host
	town  Town
	input func(inputJob)
	sizes *sizeBook
	now   func() time.Time

	w, h int
	lay  Layout

	agents    []Agent
	panes     []*paneEntry
	focus     focusKind
	focusAddr string
	// wantFocus is an agent to focus as soon as its pane appears.
	wantFocus string
	zoom      bool
	tabs      bool
	armed     bool
	// overlay is the panel shown over the pane area on narrow windows.
	overlay   focusKind
	showPanel bool

	grid    panegrid.Model
	convoys convoys.Model
	beads   beadlist.Model
	feed    feedPanel
	status  statusbar.Model
	dialog  *dialogs.Model
	pending pendingOp

	snap       Snapshot
	loading    bool
	notice     string
	noticeErr  bool
	noticeTime time.Time

	// dirty holds panes whose screens changed since their last render;
	// frameArmed says a frame tick is scheduled. rendered caches each
	// pane's lines so unchanged panes cost nothing per frame.
	dirty      map[string]bool
	frameArmed bool
	rendered   map[string][]string
	// renders counts pane renders (tests check frame gating with it).
	renders int

	// viewCache is the last composed screen, valid until the next Update
	// that can change it.
	viewCache string
	viewValid bool

	attention map[string]bool
	states    map[string]int
	quitting  bool
}

// pendingOp is what a dialog will do when submitted.
type pendingOp struct {
	ids    []string
	convoy string
	addr   string
	quit   bool
}

// New builds the model. host and town are the live host and town (or
// fakes); ctx bounds every Cmd the model starts.
func New(ctx context.Context, cfg Config, host Host, tw Town, sizes *sizeBook) *Model {
	st := styles.Default()
	c := common.New(&st)
	cfg = cfg.withDefaults()
	m := &Model{
		ctx: ctx, cfg: cfg, c: c, keys: DefaultKeyMap(cfg.PrefixKey), host: host, town: tw,
		input: syncInput, sizes: sizes, now: time.Now,
		convoys: convoys.New(c), beads: beadlist.New(c), feed: newFeedPanel(c), status: statusbar.New(c),
		dirty: map[string]bool{}, rendered: map[string][]string{}, attention: map[string]bool{},
		states: map[string]int{}, tabs: cfg.Tabs, zoom: cfg.Zoom, focus: focusBeads,
	}
	if m.sizes == nil {
		m.sizes = newSizeBook()
	}
	if cfg.FocusMayor {
		m.wantFocus = "mayor"
	}
	m.grid = panegrid.New(c, m.keys.Prefix.Keys()[0])
	m.beads.Focus()
	return m
}

// Init starts listening to the host and loads the town's state.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(waitForHostEvent(m.host), refreshAgentsCmd(m.host), loadSnapshotCmd(m.ctx, m.town),
		refreshTick(m.cfg.RefreshEvery))
}

// Update routes a message (STYLE §3): window → dialog → global keys →
// focused view → data messages.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if u, ok := msg.(hostUpdateMsg); !ok || u.u.Kind != town.UpdatePaneOutput {
		// Anything but a pane-output notice may change the screen; those
		// only mark a pane dirty until the next frame, so View can reuse
		// the last composed screen (notices arrive far more often than
		// frames).
		m.viewValid = false
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m, m.handleResize(msg.Width, msg.Height)
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case tea.PasteMsg:
		return m, m.handlePaste(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	case tea.FocusMsg, tea.BlurMsg:
		// The outer terminal gained or lost focus: so did the focused pane.
		if p := m.focusedPane(); p != nil && m.focus == focusPane {
			_, in := msg.(tea.FocusMsg)
			m.sendFocus(p, in)
		}
		return m, nil
	case frameMsg:
		return m, m.handleFrame()
	case paneResizedMsg:
		m.markDirty(msg.addr)
		return m, m.armFrame()
	case hostUpdateMsg:
		return m, m.handleHostUpdate(msg)
	case hostClosedMsg:
		return m, tea.Quit
	case agentsMsg:
		return m, m.handleAgents(msg.agents)
	case snapshotMsg:
		return m, m.handleSnapshot(msg)
	case refreshMsg:
		return m, m.handleRefresh()
	case opDoneMsg:
		return m, m.handleOpDone(msg)
	case slingDataMsg:
		return m, m.openSlingDialog(msg)
	case convoyPickerDataMsg:
		return m, m.openConvoyPicker(msg)
	case dialogs.SubmitMsg:
		return m, m.handleSubmit(msg)
	case dialogs.CancelMsg:
		m.dialog, m.pending = nil, pendingOp{}
		return m, nil
	case pane.CopyMsg:
		return m, m.handleCopy(msg)
	case pane.CopyModeExitedMsg:
		m.markDirty(m.focusAddr)
		return m, m.armFrame()
	}
	return m, m.handleIntent(msg)
}

// handleIntent handles the panels' intent messages.
func (m *Model) handleIntent(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case beadlist.SlingMsg:
		return loadSlingDataCmd(m.ctx, m.town, msg.IDs)
	case beadlist.CreateConvoyMsg:
		return m.openConvoyName("New convoy from selection", msg.IDs, "")
	case beadlist.AddToConvoyMsg:
		return loadConvoyPickerCmd(msg.IDs, m.snap.Convoys)
	case beadlist.ShowMsg:
		return m.openDetail(msg)
	case convoys.RenameMsg:
		return m.openRename(msg)
	case convoys.AddMsg:
		return m.openBeadPicker(msg.ID)
	case convoys.RemoveMsg:
		return removeFromConvoyCmd(m.ctx, m.town, msg.Convoy, []string{msg.Bead})
	case convoys.CloseMsg:
		return m.openConfirm("Close convoy", "Close convoy 🚚 "+msg.ID+" ("+msg.Title+")?", pendingOp{convoy: msg.ID})
	case convoys.NewMsg:
		return m.openConvoyName("New convoy", nil, "")
	case problems.FocusMsg:
		m.focusAgent(msg.Address)
		return m.relayout()
	case problems.NudgeMsg:
		return nudgeCmd(m.ctx, m.town, msg.Address, "continue")
	case problems.RestartMsg:
		return restartAgentCmd(m.ctx, m.host, msg.Address)
	}
	return nil
}

// View renders the frame from cached pane renders.
func (m *Model) View() tea.View {
	if !m.viewValid {
		m.viewCache, m.viewValid = m.render(), true
	}
	v := tea.NewView(m.viewCache)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.ReportFocus = true
	v.WindowTitle = "gt · " + m.snap.TownName
	return v
}
