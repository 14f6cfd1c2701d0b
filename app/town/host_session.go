package town

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
	"github.com/gastown/gt/ptyhost"
)

// DefaultStopWait bounds how long a start waits for a stopping session.
const DefaultStopWait = 5 * time.Second

// stopReason says why the host ends a session.
type stopReason uint8

const (
	stopNone    stopReason = iota
	stopLinger             // the agent is no longer desired (hook empty)
	stopUser               // StopAgent (gt mayor stop, TUI x)
	stopRestart            // RestartAgent
	stopQuit               // the host closes
)

// hostEntry is one session the host owns (live or exited).
type hostEntry struct {
	addr      models.Address
	alias     string
	rt        Runtime
	sess      *ptyhost.Session
	startedAt time.Time
	// message replaces the pane when no process started (✗ line).
	message string

	// The fields below are guarded by Host.mu.
	exited         bool
	exit           ptyhost.ExitStatus
	wasDesired     bool
	undesiredSince time.Time
	stopping       stopReason
	state          AgentStateResult
	stateKnown     bool
	// nudgeFailedAt is when typed text was last found unsubmitted; output
	// after it clears the mark (zero: none).
	nudgeFailedAt time.Time

	beaconCh   chan struct{} // closed once the beacon was delivered (or none is due)
	beaconOnce sync.Once
	nudges     *nudgeWorker
	cancel     context.CancelFunc
	// done is closed when the session's watcher has handled its exit.
	done chan struct{}
}

func (e *hostEntry) markBeaconDelivered() { e.beaconOnce.Do(func() { close(e.beaconCh) }) }

func (e *hostEntry) beaconDelivered() bool {
	select {
	case <-e.beaconCh:
		return true
	default:
		return false
	}
}

// StartAgent starts addr's session with runtime ("" = its resolved or
// wanted runtime), or starts it again when it exited. A live session is an
// error.
func (h *Host) StartAgent(ctx context.Context, addr, runtime string) error {
	a, err := h.parseAgent(addr)
	if err != nil {
		return err
	}
	h.spawnMu.Lock()
	defer h.spawnMu.Unlock()
	d := h.desiredFor(ctx, a)
	topic, sender := TopicColdStart, SenderHuman
	if d.Hooked != nil {
		topic = TopicAssigned
	}
	h.mu.Lock()
	if e := h.agents[a.String()]; e != nil && (e.exited || e.stopping != stopNone) {
		topic, sender = TopicRestart, SenderHost
	}
	h.mu.Unlock()
	_, err = h.startLocked(ctx, d, runtime, topic, sender, false)
	return err
}

// RestartAgent ends addr's session if it runs and starts it again with
// beacon topic restart.
func (h *Host) RestartAgent(ctx context.Context, addr, runtime string) error {
	a, err := h.parseAgent(addr)
	if err != nil {
		return err
	}
	h.spawnMu.Lock()
	defer h.spawnMu.Unlock()
	h.mu.Lock()
	e := h.agents[a.String()]
	h.mu.Unlock()
	if e != nil {
		h.endEntry(ctx, e, stopRestart)
	}
	_, err = h.startLocked(ctx, h.desiredFor(ctx, a), runtime, TopicRestart, SenderHost, false)
	return err
}

// StopAgent ends addr's session; it stays listed as exited (so it is not
// started again automatically) until started or no longer desired.
func (h *Host) StopAgent(ctx context.Context, addr string) error {
	a, err := h.parseAgent(addr)
	if err != nil {
		return err
	}
	h.mu.Lock()
	e := h.agents[a.String()]
	h.mu.Unlock()
	if e == nil {
		return fmt.Errorf("%s has no session", a)
	}
	h.endEntry(ctx, e, stopUser)
	return nil
}

func (h *Host) parseAgent(addr string) (models.Address, error) {
	a, err := models.ParseAddress(addr)
	if err != nil || !a.IsAgent() || a.Role == models.RoleUnknown {
		if a2, err2 := h.town.ResolveAddress(addr); err2 == nil && a2.IsAgent() {
			return a2, nil
		}
		return models.Address{}, &UnknownAddressError{Target: addr}
	}
	return a, nil
}

// desiredFor reads what the reconciler knows of a, or builds it from the
// store for an agent it does not consider desired.
func (h *Host) desiredFor(ctx context.Context, a models.Address) desiredAgent {
	h.mu.Lock()
	for _, d := range h.snap.desired {
		if d.Addr == a {
			h.mu.Unlock()
			return d
		}
	}
	w := h.snap.wanted[a.String()]
	h.mu.Unlock()
	d := desiredAgent{Addr: a, Wanted: w.Wanted, Runtime: w.Runtime}
	if list, err := hookedTo(ctx, h.store, a.String()); err == nil && len(list) > 0 {
		d.Hooked = &list[0]
	}
	if a.Role == models.RolePolecat {
		d.Runtime, d.Branch = h.polecatMeta(ctx, a)
	}
	return d
}

// startLocked starts one session; h.spawnMu is held, so the check for an
// existing session and the creation of the new one are atomic. A session
// that cannot start (unknown runtime, missing command, missing workdir) is
// recorded as exited with a ✗ message and never retried automatically.
func (h *Host) startLocked(ctx context.Context, d desiredAgent, override, topic, sender string, byReconciler bool) (*hostEntry, error) {
	key := d.Addr.String()
	h.mu.Lock()
	if e := h.agents[key]; e != nil && !e.exited && e.stopping != stopNone {
		// A stop is under way (gt agents restart = stop + start): wait
		// for the process to end first.
		h.mu.Unlock()
		select {
		case <-e.done:
		case <-time.After(DefaultStopWait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		h.mu.Lock()
	}
	if h.closed {
		h.mu.Unlock()
		return nil, errors.New("the host is closing")
	}
	if e := h.agents[key]; e != nil {
		if !e.exited {
			h.mu.Unlock()
			return nil, fmt.Errorf("%s is already running (pid %d)", key, e.pid())
		}
		delete(h.agents, key)
	}
	h.mu.Unlock()

	alias := override
	if alias == "" {
		alias = d.Runtime
	}
	e := &hostEntry{addr: d.Addr, alias: alias, startedAt: h.now(), beaconCh: make(chan struct{}), done: make(chan struct{}), wasDesired: byReconciler}
	fail := func(code int, msg string) (*hostEntry, error) {
		e.message, e.exited = msg, true
		e.exit = ptyhost.ExitStatus{Code: code}
		e.markBeaconDelivered()
		close(e.done)
		h.mu.Lock()
		h.agents[key] = e
		h.mu.Unlock()
		h.log.Error("session not started", "agent", key, "reason", msg)
		_ = eventlog.Emit(h.town.Root, eventlog.SourceHost, "session_end", SenderHost,
			map[string]any{"agent": key, "exit_code": code}, models.VisibilityBoth)
		h.updates.post(HostUpdate{Kind: UpdateNotice, Agent: key, Text: msg})
		h.updates.post(HostUpdate{Kind: UpdateExit, Agent: key, Exit: e.exit})
		h.updates.post(HostUpdate{Kind: UpdateAgents})
		return e, errors.New(strings.TrimPrefix(msg, "✗ "))
	}
	rt, err := h.town.ResolveRuntime(alias, d.Addr.Role, d.Addr.Rig)
	if err != nil {
		return fail(1, fmt.Sprintf("✗ Cannot start %s: %v", key, err))
	}
	e.rt, e.alias = rt, rt.Alias
	dir := h.town.Workdir(d.Addr)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fail(1, fmt.Sprintf("✗ Cannot start %s: workdir %s is missing", key, dir))
	}
	branch := d.Branch
	if d.Addr.Role == models.RoleCrew {
		branch, _ = git(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD")
	}
	env := AgentEnv(AgentEnvOptions{TownRoot: h.town.Root, Address: d.Addr, Alias: rt.Alias, Branch: branch, Base: h.opts.Env, RuntimeEnv: rt.Env})
	if _, ok := lookPathEnv(rt.Command, env); !ok {
		return fail(ExitCommandNotFound, fmt.Sprintf("✗ Cannot start %s: agent command %q not found on PATH (agent %s)", key, rt.Command, rt.Alias))
	}
	hooked := d.Hooked != nil
	beacon := Beacon(d.Addr, sender, h.now().Local(), topic, hooked)
	cols, rows := DefaultPaneCols, DefaultPaneRows
	if h.opts.PaneSize != nil {
		if c, r, ok := h.opts.PaneSize(key); ok && c > 0 && r > 0 {
			cols, rows = c, r
		}
	}
	scroll := DefaultScrollbackLines
	if st, err := h.town.Settings(); err == nil {
		scroll = st.ScrollbackLines()
	}
	spec := ptyhost.Spec{Argv: rt.Argv(beacon), Env: env, Dir: dir, Cols: cols, Rows: rows, Scrollback: scroll,
		StopGrace: h.opts.StopGrace, Logger: h.log.With("agent", key)}
	sess, err := h.opts.spawn(ctx, spec)
	if errors.Is(err, ptyhost.ErrCommandNotFound) {
		return fail(ExitCommandNotFound, fmt.Sprintf("✗ Cannot start %s: agent command %q not found on PATH (agent %s)", key, rt.Command, rt.Alias))
	}
	if err != nil {
		return fail(1, fmt.Sprintf("✗ Cannot start %s: %v", key, err))
	}
	e.sess = sess
	e.startedAt = sess.StartedAt()
	sctx, cancel := context.WithCancel(h.sessCtx)
	e.cancel = cancel
	e.nudges = newNudgeWorker(h, e)
	h.mu.Lock()
	if h.closed {
		// Close began while the process started: it must not outlive
		// the host.
		h.mu.Unlock()
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = sess.Close(sctx)
		return nil, errors.New("the host is closing")
	}
	h.agents[key] = e
	// The session's goroutines are counted while h.mu is held and the
	// host is open, so Close's wait on swg never races an Add.
	typed := !rt.NoBeacon && rt.PromptMode != PromptArg
	if typed {
		h.swg.Add(3)
	} else {
		h.swg.Add(2)
	}
	h.mu.Unlock()
	h.log.Info("session started", "agent", key, "runtime", rt.Alias, "pid", sess.Pid(), "topic", topic, "argv0", rt.Command)
	_ = eventlog.Emit(h.town.Root, eventlog.SourceHost, "session_start", SenderHost,
		map[string]any{"agent": key, "runtime": rt.Alias, "pid": sess.Pid()}, models.VisibilityBoth)
	h.setAgentBeadState(ctx, d.Addr, models.AgentBeadRunning)
	h.updates.post(HostUpdate{Kind: UpdateAgents})

	go func() {
		defer h.swg.Done()
		defer h.recoverPanic("watch " + key)
		h.watch(sctx, e)
	}()
	go func() {
		defer h.swg.Done()
		defer h.recoverPanic("nudges " + key)
		e.nudges.run(sctx)
	}()
	switch {
	case rt.NoBeacon:
		// The shell gets nothing typed; it counts as delivered so queued
		// notices are not held forever (they are refused for shells).
		e.markBeaconDelivered()
	case rt.PromptMode == PromptArg:
		e.markBeaconDelivered()
		if hooked {
			h.beaconDelivered(ctx, e)
		}
	case typed:
		go func() {
			defer h.swg.Done()
			defer h.recoverPanic("beacon " + key)
			h.typeBeacon(sctx, e, beacon, hooked)
		}()
	}
	return e, nil
}

// pid is the session's process id (0 without one).
func (e *hostEntry) pid() int {
	if e.sess == nil {
		return 0
	}
	return e.sess.Pid()
}

// typeBeacon types the beacon of a prompt_mode none runtime once the pane
// has produced output and then been quiet for 1.5 s, at most 30 s after
// start (spec §5.5).
func (h *Host) typeBeacon(ctx context.Context, e *hostEntry, beacon string, hooked bool) {
	wctx, cancel := context.WithDeadline(ctx, e.startedAt.Add(BeaconMaxWait))
	err := e.sess.WaitQuiet(wctx, BeaconQuiet)
	cancel()
	if ctx.Err() != nil || errors.Is(err, ptyhost.ErrExited) {
		return
	}
	err = e.sess.TypeText(ctx, beacon)
	if ctx.Err() != nil || errors.Is(err, ptyhost.ErrExited) {
		return
	}
	if err != nil {
		h.log.Warn("beacon not submitted", "agent", e.addr.String(), "err", err)
		h.nudgeFailed(e, beacon)
		return
	}
	h.log.Info("beacon delivered", "agent", e.addr.String())
	e.markBeaconDelivered()
	if hooked {
		h.beaconDelivered(ctx, e)
	}
	e.nudges.kick()
}

// beaconDelivered records the delivery: hooked beads become in_progress.
func (h *Host) beaconDelivered(ctx context.Context, e *hostEntry) {
	if err := h.town.MarkBeaconDelivered(ctx, e.addr); err != nil {
		h.log.Warn("mark beacon delivered", "agent", e.addr.String(), "err", err)
	}
	h.Poke()
}

// nudgeFailed records text that was typed but never submitted (spec §5.9).
func (h *Host) nudgeFailed(e *hostEntry, text string) {
	h.mu.Lock()
	e.nudgeFailedAt = time.Now()
	h.mu.Unlock()
	_ = eventlog.Emit(h.town.Root, eventlog.SourceHost, "nudge_failed", SenderHost,
		map[string]string{"to": e.addr.String(), "message": text}, models.VisibilityBoth)
}

// watch drains the session's events: a screen change notifies the UI; the
// exit is recorded, logged as session_end and passed on (must-deliver).
func (h *Host) watch(ctx context.Context, e *hostEntry) {
	defer close(e.done)
	key := e.addr.String()
	// Only a TUI redraws panes: a headless host does not wake per output.
	var changed <-chan struct{}
	if h.updates.active {
		changed = e.sess.Changed()
	}
	events := e.sess.Events()
	for {
		select {
		case <-changed:
			h.updates.post(HostUpdate{Kind: UpdatePaneOutput, Agent: key})
		case ev, ok := <-events:
			if !ok {
				h.sessionExited(e, e.sess.ExitStatus())
				return
			}
			if ev.Kind == ptyhost.EventExit {
				h.sessionExited(e, ev.Exit)
				return
			}
		case <-ctx.Done():
			// Only reached if a process outlived Close's stop: kill
			// its group so nothing outlives the host.
			_ = syscall.Kill(-e.sess.Pid(), syscall.SIGKILL)
			wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, _ := e.sess.Wait(wctx)
			cancel()
			h.sessionExited(e, st)
			return
		}
	}
}

// sessionExited records the end of a session's process.
func (h *Host) sessionExited(e *hostEntry, st ptyhost.ExitStatus) {
	key := e.addr.String()
	h.mu.Lock()
	if e.exited {
		h.mu.Unlock()
		return
	}
	e.exited, e.exit = true, st
	reason := e.stopping
	remove := reason == stopLinger
	if remove && h.agents[key] == e {
		delete(h.agents, key)
	}
	h.mu.Unlock()
	e.cancel()
	e.markBeaconDelivered()
	h.log.Info("session ended", "agent", key, "exit", st.String(), "reason", reason)
	payload := map[string]any{"agent": key, "exit_code": st.Code}
	if st.Signal != 0 {
		payload["signal"] = st.Signal.String()
	}
	_ = eventlog.Emit(h.town.Root, eventlog.SourceHost, "session_end", SenderHost, payload, models.VisibilityBoth)
	h.updates.post(HostUpdate{Kind: UpdateExit, Agent: key, Exit: st})
	h.updates.post(HostUpdate{Kind: UpdateAgents})
	if reason != stopQuit {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		h.setAgentBeadState(ctx, e.addr, models.AgentBeadStopped)
		if remove && e.addr.Role == models.RolePolecat {
			if err := h.town.ResetPolecatWorktree(ctx, e.addr); err != nil {
				h.log.Warn("reset polecat worktree", "agent", key, "err", err)
			}
		}
	}
	// Release the session's goroutines; its screen stays readable.
	cctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = e.sess.Close(cctx)
}

// endEntry stops e's process (SIGHUP to its group, SIGKILL after the grace
// period) and waits until its exit was handled.
func (h *Host) endEntry(ctx context.Context, e *hostEntry, why stopReason) {
	h.mu.Lock()
	if e.stopping == stopNone {
		e.stopping = why
	}
	exited := e.exited
	h.mu.Unlock()
	if e.sess == nil || exited {
		if why == stopLinger || why == stopUser {
			h.forget(e, why)
		}
		return
	}
	if err := e.sess.Stop(ctx); err != nil {
		// ctx ended before the grace period: kill the group now.
		_ = syscall.Kill(-e.sess.Pid(), syscall.SIGKILL)
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = e.sess.Wait(wctx)
		cancel()
	}
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		h.log.Warn("session watcher did not finish", "agent", e.addr.String())
	}
}

// forget drops an exited entry that was stopped on purpose.
func (h *Host) forget(e *hostEntry, why stopReason) {
	if why != stopLinger {
		return
	}
	h.mu.Lock()
	if h.agents[e.addr.String()] == e {
		delete(h.agents, e.addr.String())
	}
	h.mu.Unlock()
	h.updates.post(HostUpdate{Kind: UpdateAgents})
}

// setAgentBeadState writes agent_state on addr's agent bead (if it has
// one); a done agent stays done when its session stops.
func (h *Host) setAgentBeadState(ctx context.Context, addr models.Address, state string) {
	id := h.town.agentBeadIDFor(addr.String())
	if id == "" {
		return
	}
	err := h.store.Write(ctx, SenderHost, func(tx *beads.Tx) error {
		b, err := tx.Get(id)
		if errors.Is(err, beads.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if b.AgentState == state || (state == models.AgentBeadStopped && b.AgentState == models.AgentBeadDone) {
			return nil
		}
		_, err = tx.Update(id, beads.Update{AgentState: &state})
		return err
	})
	if err != nil && ctx.Err() == nil {
		h.log.Warn("set agent_state", "agent", addr.String(), "state", state, "err", err)
	}
}

// lookPathEnv finds prog on the PATH of env (a pane's environment).
func lookPathEnv(prog string, env []string) (string, bool) {
	if strings.Contains(prog, "/") {
		return prog, isExecutable(prog)
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, prog)
		if isExecutable(p) {
			return p, true
		}
	}
	return "", false
}
