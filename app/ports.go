package app

import (
	"context"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
)

// The TUI's consumer interfaces (STYLE §10): app talks to the host and the
// town through these, so Update-level tests drive it with fakes and the real
// *town.Host / *town.Town are adapted in adapters.go.

// Terminal is an agent's PTY session as the TUI uses it. *ptyhost.Session
// satisfies it.
type Terminal interface {
	// RenderRows appends visible rows [from, to) rendered width cells wide;
	// unchanged rows come from the terminal's memo.
	RenderRows(dst []string, from, to, width int) []string
	Size() (cols, rows int)
	Snapshot() *ptyhost.Screen
	Scrollback(from, to int) []ptyhost.ScrollbackLine
	ScrollbackLen() int
	Title() string
	Modes() ptyhost.Modes
	SendKey(k ptyhost.Key) error
	Write(p []byte) (int, error)
	Paste(text string) error
	SendMouse(ev ptyhost.MouseEvent) (bool, error)
	// SendFocus reports focus in/out if the application enabled focus
	// events (mode 1004).
	SendFocus(focused bool) error
}

// Agent is one agent as the host reports it.
type Agent struct {
	Address string
	Role    models.Role
	// PaneTitle is the §5.1 pane title (mayor, <rig>/<name>, <rig>/crew/<name>).
	PaneTitle string
	Runtime   string
	State     models.AgentState
	Reason    string
	Hook      string
	HookTitle string
	Exited    bool
	ExitCode  int
	// Message replaces the screen when no process could start.
	Message string
	Idle    time.Duration
	// Term is the session (nil: no session).
	Term Terminal
}

// Live reports whether the agent has a running session.
func (a Agent) Live() bool { return a.Term != nil && !a.Exited }

// HasPane reports whether the agent gets a pane: a session (live or
// exited) or a start failure message.
func (a Agent) HasPane() bool { return a.Term != nil || a.Message != "" }

// Host is the running host as the TUI uses it.
type Host interface {
	Agents() []Agent
	Updates() <-chan town.HostUpdate
	Poke()
	Resize(addr string, cols, rows int) error
	StartAgent(ctx context.Context, addr, runtime string) error
	StopAgent(ctx context.Context, addr string) error
	RestartAgent(ctx context.Context, addr, runtime string) error
	Nudge(ctx context.Context, addr, text, mode string) error
}

// Target is one sling destination offered by the sling dialog.
type Target struct {
	// Label is what the dialog shows; Value is what gt sling gets.
	Label, Value string
}

// Snapshot is the durable state the panels show, loaded in one Cmd.
type Snapshot struct {
	TownName string
	Convoys  []town.ConvoyView
	// Beads are work beads (not closed, plus recently closed ones) and
	// Ready marks those bd ready lists.
	Beads  []models.Bead
	Ready  map[string]bool
	Unread int
	// Events are the latest feed events, oldest first.
	Events []models.Event
	// Prefixes are the rig prefixes (first rig first) then hq.
	Prefixes []string
}

// NewBead is the new bead dialog's result.
type NewBead struct {
	Title, Description string
	Type               models.IssueType
	Priority           int
	Prefix             string
}

// Town is the durable state and the CLI code paths the TUI calls. Every
// method may block (SQLite, git, files): app only calls them from Cmds.
type Town interface {
	Load(ctx context.Context) (Snapshot, error)
	Targets(ctx context.Context) ([]Target, error)
	AgentAliases() ([]string, error)
	// Sling runs the gt sling code path and returns its output lines.
	Sling(ctx context.Context, o town.SlingOptions) ([]string, error)
	CreateConvoy(ctx context.Context, name string, beads []string) (string, error)
	AddToConvoy(ctx context.Context, convoy string, beads []string) (string, error)
	RemoveFromConvoy(ctx context.Context, convoy string, beads []string) (string, error)
	RenameConvoy(ctx context.Context, convoy, name string) (string, error)
	CloseConvoy(ctx context.Context, convoy string) (string, error)
	CreateBead(ctx context.Context, b NewBead) (string, error)
	// WantMayor marks the Mayor wanted (gt mayor start).
	WantMayor(ctx context.Context) error
	Nudge(ctx context.Context, addr, message string) (string, error)
}
