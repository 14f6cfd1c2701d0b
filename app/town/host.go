package town

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
)

// Host timing (spec §5.4, §5.5, §5.9, §5.10).
const (
	ReconcileInterval = 5 * time.Second
	StateInterval     = time.Second
	RefineryInterval  = 30 * time.Second
	ExportDelay       = time.Second
	BeaconQuiet       = 1500 * time.Millisecond
	BeaconMaxWait     = 30 * time.Second
	NudgeIdleWait     = 15 * time.Second
	// SessionsHeartbeat rewrites an unchanged sessions.json so readers keep
	// trusting it (they need updated_at < 5 s old).
	SessionsHeartbeat = 2 * time.Second
	// DefaultPaneCols and DefaultPaneRows size a hidden pane.
	DefaultPaneCols = 80
	DefaultPaneRows = 24
	// ExitCommandNotFound is the exit code of a session whose agent
	// command is missing (spec §5.3).
	ExitCommandNotFound = 127
)

// HostOptions configure StartHost.
type HostOptions struct {
	// Exe is the running gt executable; .runtime/bin/{gt,bd} link to it.
	Exe string
	// Headless is set for gt host: no UI reads Updates and focus requests
	// are refused.
	Headless bool
	// PaneSize returns the size of an agent's pane; ok false (or a nil
	// func) means hidden: 80x24.
	PaneSize func(addr string) (cols, rows int, ok bool)
	// Env is the base environment of agent processes (nil: os.Environ()).
	Env []string
	// Logger receives the host's log; nil opens <town>/.runtime/gt.log.
	Logger *slog.Logger
	// Debug logs at debug level (only when Logger is nil).
	Debug bool
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// StopGrace is the SIGHUP→SIGKILL delay (0: 3 s).
	StopGrace time.Duration

	// spawn starts a session (tests substitute it; nil: ptyhost.Start).
	spawn func(ctx context.Context, spec ptyhost.Spec) (*ptyhost.Session, error)
}

// HostAgent is one agent as the host sees it.
type HostAgent struct {
	Address string
	Role    models.Role
	Rig     string
	Name    string
	// Runtime is the alias the session runs (or would run) with.
	Runtime string
	// Session is the PTY session, live or exited; nil when there is none.
	Session *ptyhost.Session
	State   models.AgentState
	// Reason explains the state (waiting reason, stalled minutes, exit).
	Reason    string
	Hook      string
	HookTitle string
	// Exited is set once the session's process ended, with ExitStatus.
	Exited     bool
	ExitStatus ptyhost.ExitStatus
	// Message is shown in place of the pane when no process could start
	// (e.g. the ✗ missing-command line).
	Message string
	// Idle is the time since the last output, input or audit row.
	Idle time.Duration
	// Wanted: the agent_sessions row asks for a session.
	Wanted bool
}

// HostUpdateKind says what a HostUpdate reports.
type HostUpdateKind uint8

// Update kinds.
const (
	// UpdatePaneOutput: Agent's screen changed (coalesced per agent).
	UpdatePaneOutput HostUpdateKind = iota + 1
	// UpdateAgents: the set of agents or sessions changed (coalesced).
	UpdateAgents
	// UpdateState: some agent's §9 state changed (coalesced).
	UpdateState
	// UpdateFocus: focus (and with Zoom, zoom) Agent's pane.
	UpdateFocus
	// UpdateNotice: show Text to the user.
	UpdateNotice
	// UpdateExit: Agent's session ended with Exit (must-deliver).
	UpdateExit
)

// String names the kind.
func (k HostUpdateKind) String() string {
	switch k {
	case UpdatePaneOutput:
		return "pane-output"
	case UpdateAgents:
		return "agents"
	case UpdateState:
		return "state"
	case UpdateFocus:
		return "focus"
	case UpdateNotice:
		return "notice"
	case UpdateExit:
		return "exit"
	}
	return "unknown"
}

// HostUpdate is one notice from the host to the UI.
type HostUpdate struct {
	Kind  HostUpdateKind
	Agent string
	Zoom  bool
	Text  string
	Exit  ptyhost.ExitStatus
}

// Host is the one process (spec §2, §5.4) that owns a town's agent PTY
// sessions: the TUI (gt) or the headless gt host. StartHost takes the
// town's host.lock, links .runtime/bin/{gt,bd} to the running executable,
// serves .runtime/host.sock and runs these loops until Close:
//
//   - the reconciler (at start, on every poke, every 5 s): desired sessions
//     (the Mayor if wanted or hooked, crew wanted or hooked, hooked
//     polecats) become PTY sessions, never two per address; a session whose
//     agent is no longer desired ends polecat.linger after that; an exited
//     session is never restarted automatically;
//   - the state loop (every second): §9 agent states from the live sessions
//     and the beads store, agent_state events on change, queued nudges
//     typed into quiet panes, sessions.json when it changed;
//   - the refinery loop (every poke and every 30 s): RefineryPass per rig;
//   - the export loop: issues.jsonl a second after the last change;
//   - git autocommit of the tracked state files (§11) and timer gates.
//
// # API for the TUI
//
// The TUI starts the host with StartHost(ctx, town, HostOptions{Exe,
// PaneSize, …}) and then uses:
//
//	h.Agents() []HostAgent          every known agent with its §9 state
//	h.Session(addr) *ptyhost.Session the agent's PTY session (nil: none)
//	h.Updates() <-chan HostUpdate    coalesced notices (see HostUpdate)
//	h.Poke()                         reconcile now (non-blocking)
//	h.StartAgent(ctx, addr, runtime) start (or start again an exited) session
//	h.StopAgent(ctx, addr)           end a session (it then shows as exited)
//	h.RestartAgent(ctx, addr, rt)    stop + start with beacon topic restart
//	h.Resize(addr, cols, rows)       resize the PTY and emulator
//	h.Nudge(ctx, addr, text, mode)   type text (NudgeText(from, msg)) into the pane (§5.9)
//	h.PID(), h.Headless()
//	h.Close(ctx)                     end every session, final export, unlock
//
// Addresses are the canonical strings of models.Address ("mayor",
// "<rig>/polecats/<name>", "<rig>/crew/<name>"). Updates never block the
// host: pane-output, agents-changed and state-changed notices coalesce,
// focus requests and notices queue (bounded), exits are must-deliver.
//
// All methods are safe for concurrent use.
type Host struct {
	town     *Town
	opts     HostOptions
	log      *slog.Logger
	logFile  *os.File
	store    *beads.Store
	lockFile *os.File
	ln       *net.UnixListener
	now      func() time.Time
	pid      int
	started  time.Time

	// ctx and wg are the loops' (socket, reconcile, state, refinery,
	// export, autocommit); sessCtx and swg the sessions' goroutines, which
	// Close ends only after every process is gone.
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	sessCtx    context.Context
	sessCancel context.CancelFunc
	swg        sync.WaitGroup

	pokeCh     chan struct{}
	refineryCh chan struct{}
	updates    *updateQueue

	// spawnMu serializes the decisions that create sessions, so no two
	// sessions ever exist for one address.
	spawnMu sync.Mutex

	mu     sync.Mutex
	agents map[string]*hostEntry
	snap   townSnapshot
	// previous is the agents listed by the sessions.json of the host
	// before us (a crash or a quit): they start again with topic restart.
	previous map[string]bool
	closed   bool
	lastFile SessionsFile
	lastSave time.Time
}

// StartHost starts hosting t (see the package comment above). It fails with
// `town <path> is already hosted by pid <pid>` when another host runs.
func StartHost(ctx context.Context, t *Town, o HostOptions) (h *Host, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Env == nil {
		o.Env = os.Environ()
	}
	if o.spawn == nil {
		o.spawn = ptyhost.Start
	}
	if err := os.MkdirAll(t.RuntimeDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", t.RuntimeDir(), err)
	}
	_ = os.Chmod(t.RuntimeDir(), 0o700)
	lf, err := acquireHostLock(t)
	if err != nil {
		return nil, err
	}
	h = &Host{
		town: t, opts: o, lockFile: lf, now: o.Now, pid: os.Getpid(), started: o.Now(),
		pokeCh: make(chan struct{}, 1), refineryCh: make(chan struct{}, 1),
		agents: map[string]*hostEntry{}, previous: map[string]bool{},
		snap: townSnapshot{thresholds: DefaultStateThresholds(), linger: DefaultLinger},
	}
	defer func() {
		if err != nil {
			h.releaseStartup()
		}
	}()
	h.log = o.Logger
	if h.log == nil {
		h.log, h.logFile = openHostLog(t, o.Debug)
	}
	h.updates = newUpdateQueue(!o.Headless)
	h.killStaleSessions()
	if err := linkRuntimeBin(t, o.Exe); err != nil {
		return nil, err
	}
	h.store, err = t.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	h.ln, err = ListenHost(t.Root)
	if err != nil {
		return nil, err
	}
	h.ctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))
	h.sessCtx, h.sessCancel = context.WithCancel(context.WithoutCancel(ctx))
	h.log.Info("host started", "town", t.Root, "pid", h.pid, "headless", o.Headless)
	h.goLoop("server", func(ctx context.Context) {
		if err := ServeHost(ctx, h.ln, hostServer{h}); err != nil {
			h.log.Error("host socket", "err", err)
		}
	})
	h.goLoop("reconcile", h.reconcileLoop)
	h.goLoop("state", h.stateLoop)
	h.goLoop("refinery", h.refineryLoop)
	h.goLoop("export", h.exportLoop)
	h.goLoop("autocommit", h.autocommitLoop)
	return h, nil
}

// releaseStartup undoes a failed StartHost.
func (h *Host) releaseStartup() {
	if h.ln != nil {
		_ = h.ln.Close()
	}
	if h.cancel != nil {
		h.cancel()
		h.sessCancel()
	}
	if h.store != nil {
		_ = h.store.Close()
	}
	if h.lockFile != nil {
		_ = os.Remove(h.town.HostLockPath())
		_ = h.lockFile.Close()
	}
	if h.logFile != nil {
		_ = h.logFile.Close()
	}
}

// goLoop runs fn on its own goroutine until the host closes, logging (and
// surviving) a panic.
func (h *Host) goLoop(name string, fn func(ctx context.Context)) {
	// Add only while the host is open: Close sets closed (under mu)
	// before it waits, so no Add can race with that Wait.
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.log.Debug("not started: the host is closing", "goroutine", name)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		defer h.recoverPanic(name)
		fn(h.ctx)
	}()
}

func (h *Host) recoverPanic(name string) {
	if p := recover(); p != nil {
		h.log.Error("host goroutine panicked", "goroutine", name, "panic", fmt.Sprint(p))
	}
}

// Town returns the hosted town.
func (h *Host) Town() *Town { return h.town }

// PID is the host's process id.
func (h *Host) PID() int { return h.pid }

// Headless reports whether no UI is attached.
func (h *Host) Headless() bool { return h.opts.Headless }

// Updates returns the channel of notices for the UI. With a headless host
// nothing is ever sent.
func (h *Host) Updates() <-chan HostUpdate { return h.updates.out }

// Poke asks for a reconcile pass and a refinery pass; it never blocks.
func (h *Host) Poke() {
	select {
	case h.pokeCh <- struct{}{}:
	default:
	}
	select {
	case h.refineryCh <- struct{}{}:
	default:
	}
}

// Session returns the agent's session (live or exited), nil when none.
func (h *Host) Session(addr string) *ptyhost.Session {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e := h.agents[addr]; e != nil {
		return e.sess
	}
	return nil
}

// Resize resizes the agent's PTY and emulator.
func (h *Host) Resize(addr string, cols, rows int) error {
	s := h.Session(addr)
	if s == nil {
		return fmt.Errorf("no session for %s", addr)
	}
	if s.Exited() {
		return nil
	}
	return s.Resize(cols, rows)
}

// Agents returns every known agent (the Mayor, crew, polecats and every
// session) with its state, sorted as gt agents shows them.
func (h *Host) Agents() []HostAgent {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	seen := map[string]bool{}
	var out []HostAgent
	add := func(a models.Address) {
		key := a.String()
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, h.agentViewLocked(a, now))
	}
	add(models.MayorAddress)
	for _, a := range h.snap.known {
		add(a)
	}
	for _, d := range h.snap.desired {
		add(d.Addr)
	}
	for _, e := range h.agents {
		add(e.addr)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ai, _ := models.ParseAddress(out[i].Address)
		aj, _ := models.ParseAddress(out[j].Address)
		return agentLess(ai, aj)
	})
	return out
}

// agentViewLocked builds one HostAgent; h.mu is held.
func (h *Host) agentViewLocked(a models.Address, now time.Time) HostAgent {
	key := a.String()
	v := HostAgent{Address: key, Role: a.Role, Rig: a.Rig, Name: a.Name}
	if a.Role == models.RoleMayor {
		v.Name = "mayor"
	}
	if hooked := h.snap.hooked[key]; len(hooked) > 0 {
		v.Hook, v.HookTitle = hooked[0].ID, hooked[0].Title
	}
	v.Wanted = h.snap.wanted[key].Wanted
	v.Runtime = h.snap.wanted[key].Runtime
	last := h.snap.activity[key]
	if e := h.agents[key]; e != nil {
		v.Runtime, v.Session, v.Message = e.alias, e.sess, e.message
		v.Exited, v.ExitStatus = e.exited, e.exit
		v.State, v.Reason = e.state.State, e.state.Reason
		if !e.stateKnown {
			// Not computed by the state loop yet (at most a second).
			res := ComputeAgentState(AgentSignals{Hooked: v.Hook != "", HasSession: true, Exited: e.exited, ExitCode: e.exit.Code,
				LastAudit: last, Since: e.startedAt}, h.snap.thresholds, now)
			v.State, v.Reason = res.State, res.Reason
		}
		if e.sess != nil {
			act := e.sess.Activity()
			for _, ts := range []time.Time{act.LastOutput, act.LastInput, e.startedAt} {
				if ts.After(last) {
					last = ts
				}
			}
		}
	} else {
		res := ComputeAgentState(AgentSignals{Hooked: v.Hook != "", LastAudit: last}, h.snap.thresholds, now)
		v.State, v.Reason = res.State, res.Reason
	}
	if !last.IsZero() {
		v.Idle = now.Sub(last)
		if v.Idle < 0 {
			v.Idle = 0
		}
	}
	return v
}

// Close ends every session (SIGHUP to its process group, SIGKILL after the
// grace period), stops the loops, runs a final export and autocommit, and
// removes the lock and socket. Nothing the host started outlives it.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	entries := make([]*hostEntry, 0, len(h.agents))
	for _, e := range h.agents {
		entries = append(entries, e)
	}
	h.mu.Unlock()
	h.log.Info("host closing", "sessions", len(entries))
	// Stop the socket and loops first so nothing starts a new session.
	h.cancel()
	h.wg.Wait()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer h.recoverPanic("close " + e.addr.String())
			h.endEntry(ctx, e, stopQuit)
		}()
	}
	wg.Wait()
	h.sessCancel()
	h.swg.Wait()
	var errs []error
	// Final export and state commit run even when ctx is over: they are
	// short and losing them would lose the last changes.
	fin, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := h.store.ExportDirty(fin); err != nil {
		errs = append(errs, fmt.Errorf("final export: %w", err))
	}
	h.writeSessions(true)
	if err := h.autocommit(fin); err != nil {
		h.log.Warn("autocommit at exit", "err", err)
	}
	if err := h.store.Close(); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(HostSocketPath(h.town.Root))
	_ = os.Remove(h.town.HostLockPath())
	_ = h.lockFile.Close()
	h.updates.close()
	h.log.Info("host closed")
	if h.logFile != nil {
		_ = h.logFile.Close()
	}
	return errors.Join(errs...)
}

// openHostLog opens <town>/.runtime/gt.log for appending; on failure the
// log is discarded (the host must still run).
func openHostLog(t *Town, debug bool) (*slog.Logger, *os.File) {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	f, err := os.OpenFile(filepath.Join(t.RuntimeDir(), "gt.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return slog.New(slog.DiscardHandler), nil
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})).With("component", "host"), f
}
