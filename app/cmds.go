package app

import (
	"context"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/app/town"
)

// Messages the model's Cmds produce.
type (
	hostUpdateMsg struct{ u town.HostUpdate }
	hostClosedMsg struct{}
	agentsMsg     struct{ agents []Agent }
	snapshotMsg   struct {
		snap Snapshot
		err  error
	}
	refreshMsg struct{}
	frameMsg   struct{}
	opDoneMsg  struct {
		notice string
		err    error
	}
	slingDataMsg struct {
		ids     []string
		targets []Target
		aliases []string
		err     error
	}
	convoyPickerDataMsg struct{ ids []string }
	paneResizedMsg      struct{ addr string }
)

// waitForHostEvent waits for the host's next update; app re-arms it after
// each one (STYLE §14).
func waitForHostEvent(h Host) tea.Cmd {
	if h == nil {
		return nil
	}
	ch := h.Updates()
	return func() tea.Msg {
		u, ok := <-ch
		if !ok {
			return hostClosedMsg{}
		}
		return hostUpdateMsg{u}
	}
}

// refreshAgentsCmd reads the host's agents.
func refreshAgentsCmd(h Host) tea.Cmd {
	if h == nil {
		return nil
	}
	return func() tea.Msg { return agentsMsg{h.Agents()} }
}

// loadSnapshotCmd loads the panels' durable state.
func loadSnapshotCmd(ctx context.Context, t Town) tea.Cmd {
	if t == nil {
		return nil
	}
	return func() tea.Msg {
		s, err := t.Load(ctx)
		return snapshotMsg{snap: s, err: err}
	}
}

// refreshTick schedules the next reload of durable state.
func refreshTick(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return refreshMsg{} })
}

// frameTick schedules the next repaint of dirty panes.
func frameTick(fps int) tea.Cmd {
	return tea.Tick(time.Second/time.Duration(max(fps, 1)), func(time.Time) tea.Msg { return frameMsg{} })
}

// opCmd wraps one town operation's notice line and error as opDoneMsg.
func opCmd(fn func() (string, error)) tea.Cmd {
	return func() tea.Msg {
		n, err := fn()
		return opDoneMsg{notice: n, err: err}
	}
}

// createConvoyCmd runs gt convoy create <name> <beads...>.
func createConvoyCmd(ctx context.Context, t Town, name string, ids []string) tea.Cmd {
	return opCmd(func() (string, error) { return t.CreateConvoy(ctx, name, ids) })
}

// addToConvoyCmd runs gt convoy add <convoy> <beads...>.
func addToConvoyCmd(ctx context.Context, t Town, convoy string, ids []string) tea.Cmd {
	return opCmd(func() (string, error) { return t.AddToConvoy(ctx, convoy, ids) })
}

// removeFromConvoyCmd runs gt convoy remove <convoy> <beads...>.
func removeFromConvoyCmd(ctx context.Context, t Town, convoy string, ids []string) tea.Cmd {
	return opCmd(func() (string, error) { return t.RemoveFromConvoy(ctx, convoy, ids) })
}

// renameConvoyCmd runs gt convoy rename <convoy> <name>.
func renameConvoyCmd(ctx context.Context, t Town, convoy, name string) tea.Cmd {
	return opCmd(func() (string, error) { return t.RenameConvoy(ctx, convoy, name) })
}

// closeConvoyCmd runs gt convoy close <convoy>.
func closeConvoyCmd(ctx context.Context, t Town, convoy string) tea.Cmd {
	return opCmd(func() (string, error) { return t.CloseConvoy(ctx, convoy) })
}

// slingCmd runs the gt sling code path; its first output line becomes the
// notice.
func slingCmd(ctx context.Context, t Town, o town.SlingOptions) tea.Cmd {
	return func() tea.Msg {
		lines, err := t.Sling(ctx, o)
		first := ""
		if len(lines) > 0 {
			first = lines[0]
		}
		return opDoneMsg{notice: first, err: err}
	}
}

// loadSlingDataCmd gathers the sling dialog's targets and agent aliases.
func loadSlingDataCmd(ctx context.Context, t Town, ids []string) tea.Cmd {
	return func() tea.Msg {
		targets, err := t.Targets(ctx)
		if err != nil {
			return slingDataMsg{err: err}
		}
		aliases, err := t.AgentAliases()
		return slingDataMsg{ids: ids, targets: targets, aliases: aliases, err: err}
	}
}

// loadConvoyPickerCmd opens the convoy picker for ids.
func loadConvoyPickerCmd(ids []string, _ []town.ConvoyView) tea.Cmd {
	return func() tea.Msg { return convoyPickerDataMsg{ids: ids} }
}

// createBeadCmd creates a bead from the new bead dialog.
func createBeadCmd(ctx context.Context, t Town, b NewBead) tea.Cmd {
	return opCmd(func() (string, error) { return t.CreateBead(ctx, b) })
}

// wantMayorCmd marks the Mayor wanted and starts its session; an exited
// session is started again explicitly (the reconciler never restarts one).
func wantMayorCmd(ctx context.Context, t Town, h Host, exited bool) tea.Cmd {
	return func() tea.Msg {
		if err := t.WantMayor(ctx); err != nil {
			return opDoneMsg{err: err}
		}
		if h == nil {
			return opDoneMsg{notice: "▶ Starting mayor"}
		}
		if exited {
			if err := h.StartAgent(ctx, "mayor", ""); err != nil {
				return opDoneMsg{err: err}
			}
		}
		h.Poke()
		return opDoneMsg{notice: "▶ Starting mayor"}
	}
}

// nudgeCmd nudges an agent (problems view `n`).
func nudgeCmd(ctx context.Context, t Town, addr, message string) tea.Cmd {
	return opCmd(func() (string, error) { return t.Nudge(ctx, addr, message) })
}

// restartAgentCmd restarts an agent's session.
func restartAgentCmd(ctx context.Context, h Host, addr string) tea.Cmd {
	return func() tea.Msg {
		if err := h.RestartAgent(ctx, addr, ""); err != nil {
			return opDoneMsg{err: err}
		}
		return opDoneMsg{notice: "↻ Restarted " + addr}
	}
}

// stopAgentCmd stops an agent's session.
func stopAgentCmd(ctx context.Context, h Host, addr string) tea.Cmd {
	return func() tea.Msg {
		if err := h.StopAgent(ctx, addr); err != nil {
			return opDoneMsg{err: err}
		}
		return opDoneMsg{notice: "■ Stopped " + addr}
	}
}

// resizeCmd resizes an agent's PTY (TIOCSWINSZ + SIGWINCH) and emulator;
// the pane is repainted once the emulator has its new size.
func resizeCmd(h Host, addr string, cols, rows int) tea.Cmd {
	return func() tea.Msg {
		_ = h.Resize(addr, cols, rows)
		return paneResizedMsg{addr}
	}
}

// bellCmd rings the outer terminal's bell.
func bellCmd() tea.Cmd { return tea.Raw("\a") }

// sizeBook records each shown pane's inner size for the host, which asks
// for it (from its own goroutines) when it spawns a session.
type sizeBook struct {
	mu    sync.Mutex
	sizes map[string][2]int
}

func newSizeBook() *sizeBook { return &sizeBook{sizes: map[string][2]int{}} }

func (b *sizeBook) set(addr string, cols, rows int) {
	b.mu.Lock()
	b.sizes[addr] = [2]int{cols, rows}
	b.mu.Unlock()
}

// Default is the size a newly appearing pane will get.
func (b *sizeBook) setDefault(cols, rows int) { b.set("", cols, rows) }

// PaneSize implements HostOptions.PaneSize: the agent's pane size, else the
// size a new pane would get, else hidden.
func (b *sizeBook) PaneSize(addr string) (int, int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.sizes[addr]; ok {
		return s[0], s[1], true
	}
	if s, ok := b.sizes[""]; ok {
		return s[0], s[1], true
	}
	return 0, 0, false
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
