package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// AgentRow is one agent as gt agents shows it (spec §6.2).
type AgentRow struct {
	Address     string `json:"address"`
	Role        string `json:"role"`
	Rig         string `json:"rig"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Hook        string `json:"hook"`
	HookTitle   string `json:"hook_title"`
	IdleSeconds *int64 `json:"idle_seconds"`
	Runtime     string `json:"runtime"`
	Session     string `json:"session"` // live, exited or none
	PID         *int   `json:"pid"`
	ExitCode    *int   `json:"exit_code"`

	// Reason explains a problem state ("Stalled: no progress for 20m").
	Reason string `json:"-"`
	// NeedsAttention is §9's "needs attention" column.
	NeedsAttention bool `json:"-"`
	// Wanted: the agent_sessions row asks for a session.
	Wanted bool `json:"-"`

	addr models.Address
	// hooked lists every hooked/in-progress bead, oldest first.
	hooked []models.Bead
}

// AgentAddress is the row's parsed address.
func (r AgentRow) AgentAddress() models.Address { return r.addr }

// AgentsReport is every known agent plus whether live states were
// available.
type AgentsReport struct {
	Agents []AgentRow
	// HostLive: sessions.json was trusted (a host runs); without it states
	// come from beads only.
	HostLive bool
	HostPID  int
}

// NoHostFooter is printed under gt agents when no host runs.
const NoHostFooter = "(no gt host running: live session states unavailable)"

// agentLess sorts the Mayor first, then by rig, crew before polecats, by
// name.
func agentLess(a, b models.Address) bool {
	if (a.Role == models.RoleMayor) != (b.Role == models.RoleMayor) {
		return a.Role == models.RoleMayor
	}
	if a.Rig != b.Rig {
		return a.Rig < b.Rig
	}
	if a.Role != b.Role {
		return a.Role == models.RoleCrew
	}
	return a.Name < b.Name
}

// KnownAgents lists every agent the town knows: the Mayor, crew
// workspaces, polecat directories, agent beads and live sessions, sorted
// as gt agents shows them. s may be nil (then agent beads are not read).
func (t *Town) KnownAgents(ctx context.Context, s *beads.Store, sessions *SessionsFile) ([]models.Address, error) {
	seen := map[string]models.Address{models.MayorAddress.String(): models.MayorAddress}
	add := func(a models.Address) {
		if a.IsAgent() {
			seen[a.String()] = a
		}
	}
	rigs, err := t.RigNames()
	if err != nil {
		return nil, err
	}
	for _, rig := range rigs {
		for _, name := range listSubdirs(t.Path(rig, "crew")) {
			if models.ValidateAgentName(name) == nil && t.CrewExists(rig, name) {
				add(models.Address{Role: models.RoleCrew, Rig: rig, Name: name})
			}
		}
		for _, name := range listSubdirs(t.Path(rig, "polecats")) {
			if models.ValidateAgentName(name) == nil {
				add(models.Address{Role: models.RolePolecat, Rig: rig, Name: name})
			}
		}
	}
	if s != nil {
		agents, err := s.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeAgent}, IncludeClosed: true})
		if err != nil {
			return nil, err
		}
		for _, b := range agents {
			if b.Status == models.StatusClosed || b.Status == models.StatusTombstone {
				continue
			}
			if a, ok := agentBeadAddress(b); ok {
				add(a)
			}
		}
	}
	if sessions != nil {
		for _, r := range sessions.Sessions {
			if a, err := models.ParseAddress(r.Agent); err == nil {
				add(a)
			}
		}
	}
	out := make([]models.Address, 0, len(seen))
	for _, a := range seen {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return agentLess(out[i], out[j]) })
	return out, nil
}

// agentBeadAddress reads the address an agent bead stands for:
// metadata.gt.agent, else its title.
func agentBeadAddress(b models.Bead) (models.Address, bool) {
	var meta struct {
		GT struct {
			Agent string `json:"agent"`
		} `json:"gt"`
	}
	cand := b.Title
	if len(b.Metadata) > 0 && json.Unmarshal(b.Metadata, &meta) == nil && meta.GT.Agent != "" {
		cand = meta.GT.Agent
	}
	a, err := models.ParseAddress(cand)
	if err != nil || !a.IsAgent() {
		return models.Address{}, false
	}
	return a, true
}

// UnknownAddressError is returned for a target that is not a known agent.
type UnknownAddressError struct{ Target string }

func (e *UnknownAddressError) Error() string {
	return fmt.Sprintf("unknown agent address %q", e.Target)
}

// ResolveAgent turns any accepted spelling of an agent address into the
// address of a known agent (Mayor, existing crew, known polecat); anything
// else is `unknown agent address "X"`.
func (t *Town) ResolveAgent(ctx context.Context, target string) (models.Address, error) {
	unknown := &UnknownAddressError{Target: target}
	a, err := models.ParseAddress(target)
	if err != nil || a.Role == models.RoleOverseer {
		return models.Address{}, unknown
	}
	if a.Role == models.RoleMayor {
		return a, nil
	}
	var known []models.Address
	err = t.WithStore(ctx, func(s *beads.Store) error {
		f, _, _ := t.LiveSessions(time.Now())
		var err error
		known, err = t.KnownAgents(ctx, s, f)
		return err
	})
	if err != nil {
		return models.Address{}, err
	}
	is := func(c models.Address) bool {
		for _, k := range known {
			if k == c {
				return true
			}
		}
		return false
	}
	if a.Role == models.RoleUnknown {
		crew := models.Address{Role: models.RoleCrew, Rig: a.Rig, Name: a.Name}
		if t.CrewExists(a.Rig, a.Name) || is(crew) {
			return crew, nil
		}
		a.Role = models.RolePolecat
	}
	if is(a) {
		return a, nil
	}
	return models.Address{}, unknown
}

// Agents computes every known agent's §9 state from beads and, when a host
// runs, sessions.json.
func (t *Town) Agents(ctx context.Context, now time.Time) (AgentsReport, error) {
	var rep AgentsReport
	err := t.WithStore(ctx, func(s *beads.Store) error {
		var err error
		rep, err = t.agentsWith(ctx, s, now)
		return err
	})
	return rep, err
}

func (t *Town) agentsWith(ctx context.Context, s *beads.Store, now time.Time) (AgentsReport, error) {
	sessions, live, err := t.LiveSessions(now)
	if err != nil {
		return AgentsReport{}, err
	}
	return t.agentsWithSessions(ctx, s, now, sessions, live)
}

// agentsWithSessions is agentsWith over sessions the caller already has
// (sessions.json, or a host's status reply, which is fresher); live says
// whether they come from a running host.
func (t *Town) agentsWithSessions(ctx context.Context, s *beads.Store, now time.Time, sessions *SessionsFile, live bool) (AgentsReport, error) {
	settings, err := t.Settings()
	if err != nil {
		return AgentsReport{}, err
	}
	th := settings.Thresholds()
	rep := AgentsReport{HostLive: live}
	if live {
		rep.HostPID = sessions.HostPID
	}
	known, err := t.KnownAgents(ctx, s, sessions)
	if err != nil {
		return AgentsReport{}, err
	}
	hooked, err := s.List(ctx, beads.Filter{
		Status:        []models.Status{models.StatusHooked, models.StatusInProgress},
		IncludeClosed: true, Sort: "oldest",
	})
	if err != nil {
		return AgentsReport{}, err
	}
	byAgent := map[string][]models.Bead{}
	for _, b := range hooked {
		if b.Assignee != "" {
			byAgent[b.Assignee] = append(byAgent[b.Assignee], b)
		}
	}
	activity, err := s.LastActivity(ctx)
	if err != nil {
		return AgentsReport{}, err
	}
	wanted := map[string]beads.AgentSession{}
	rows, err := s.AgentSessions(ctx)
	if err != nil {
		return AgentsReport{}, err
	}
	for _, r := range rows {
		wanted[r.Agent] = r
	}
	for _, a := range known {
		row := AgentRow{Address: a.String(), Role: a.Role.String(), Rig: a.Rig, Name: a.Name, Session: "none", addr: a}
		if a.Role == models.RoleMayor {
			row.Name = "mayor"
		}
		row.hooked = byAgent[a.String()]
		sig := AgentSignals{Hooked: len(row.hooked) > 0, LastAudit: activity[a.String()]}
		if sig.Hooked {
			row.Hook, row.HookTitle = row.hooked[0].ID, row.hooked[0].Title
			sig.Since = row.hooked[0].UpdatedAt
		}
		last := sig.LastAudit
		if sess, ok := sessions.Find(a.String()); ok && live {
			sig.HasSession, sig.Exited, sig.ExitCode, sig.HostWaiting = true, sess.Exited, sess.ExitCode, sess.Waiting
			if sess.StartedAt.After(sig.Since) {
				sig.Since = sess.StartedAt
			}
			if sess.LastOutputAt != nil {
				sig.LastOutput = *sess.LastOutputAt
			}
			for _, ts := range []*time.Time{sess.LastOutputAt, sess.LastInputAt} {
				if ts != nil && ts.After(last) {
					last = *ts
				}
			}
			row.Runtime = sess.Runtime
			pid := sess.PID
			row.PID = &pid
			row.Session = "live"
			if sess.Exited {
				code := sess.ExitCode
				row.Session, row.ExitCode = "exited", &code
			}
			if last.IsZero() {
				last = sess.StartedAt
			}
		}
		res := ComputeAgentState(sig, th, now)
		if res.State == models.StateWaiting {
			if sess, ok := sessions.Find(a.String()); ok && sess.WaitingReason != "" {
				res.Reason = sess.WaitingReason
			}
		}
		row.State, row.Reason = res.State.String(), res.Reason
		row.NeedsAttention = res.State.NeedsAttention(sig.Hooked, sig.ExitCode)
		if !last.IsZero() {
			idle := int64(now.Sub(last) / time.Second)
			if idle < 0 {
				idle = 0
			}
			row.IdleSeconds = &idle
		}
		if w, ok := wanted[a.String()]; ok {
			row.Wanted = w.Wanted
			if row.Runtime == "" {
				row.Runtime = w.Runtime
			}
		}
		if row.Runtime == "" && a.Role == models.RolePolecat {
			// gt sling --agent pins a polecat's runtime on its agent bead.
			if m, ok := t.readAgentBeadMeta(ctx, s, a.String()); ok {
				row.Runtime = m.Runtime
			}
		}
		if row.Runtime == "" {
			if alias, _, err := t.RuntimeAlias(a.Role, a.Rig); err == nil {
				row.Runtime = alias
			}
		}
		rep.Agents = append(rep.Agents, row)
	}
	return rep, nil
}

// FormatIdle prints a duration in seconds like 12s, 4m, 2h or 3d; nil is
// "-".
func FormatIdle(secs *int64) string {
	if secs == nil {
		return "-"
	}
	return formatAge(time.Duration(*secs) * time.Second)
}

func formatAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int64(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int64(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int64(d/(24*time.Hour)))
}

// SessionResult is what a start/stop of a wanted session did.
type SessionResult struct {
	Address models.Address
	Alias   string
	// Hosted: a host answered and was told.
	Hosted bool
}

// sessionTarget resolves the agent of a start/stop: the Mayor or an
// existing crew member.
func (t *Town) sessionTarget(ctx context.Context, target string) (models.Address, error) {
	a, err := t.ResolveAgent(ctx, target)
	if err != nil {
		return models.Address{}, err
	}
	if a.Role == models.RolePolecat {
		return models.Address{}, fmt.Errorf("%s is a polecat: its session follows its hook (use gt sling)", a)
	}
	return a, nil
}

// runtimeFor validates an --agent override or resolves the role's runtime.
func (t *Town) runtimeFor(a models.Address, override string) (string, error) {
	if override == "" {
		alias, _, err := t.RuntimeAlias(a.Role, a.Rig)
		if err != nil {
			return "", err
		}
		override = alias
	}
	rt, err := t.LookupAgent(override, a.Rig)
	if err != nil {
		return "", err
	}
	return rt.Alias, nil
}

// liveSession returns the agent's live (not exited) session from a trusted
// sessions.json.
func (t *Town) liveSession(a models.Address) (SessionRecord, bool) {
	f, ok, err := t.LiveSessions(time.Now())
	if err != nil || !ok {
		return SessionRecord{}, false
	}
	s, found := f.Find(a.String())
	return s, found && !s.Exited
}

// StartSession marks the session of the Mayor or a crew member wanted and
// pokes the host. An explicit override (--agent) is stored with the flag;
// without one the stored alias is kept, or, if none was ever given, the
// runtime is resolved when the session starts (so a later
// `gt config default-agent` still applies). Starting an agent that already
// runs with another alias is refused.
func (t *Town) StartSession(ctx context.Context, target, override, actor string) (SessionResult, error) {
	a, err := t.sessionTarget(ctx, target)
	if err != nil {
		return SessionResult{}, err
	}
	explicit, alias, err := t.sessionRuntime(ctx, a, override)
	if err != nil {
		return SessionResult{}, err
	}
	if s, ok := t.liveSession(a); ok && s.Runtime != "" && s.Runtime != alias {
		restart := "gt mayor restart --agent " + alias
		if a.Role == models.RoleCrew {
			restart = "gt crew stop " + a.String() + " first"
		}
		return SessionResult{}, fmt.Errorf("%s is already running with %s (use %s)", a.Role.String(), s.Runtime, restart)
	}
	if err := t.setWanted(ctx, a, explicit, true); err != nil {
		return SessionResult{}, err
	}
	if t.exitedSession(a) {
		// The host never restarts an exited session on its own; an
		// explicit start asks it to.
		_, err := NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpStart, Agent: a.String(), Runtime: explicit})
		switch {
		case errors.Is(err, ErrNoHost):
			return SessionResult{Address: a, Alias: alias}, nil
		case err != nil:
			return SessionResult{}, fmt.Errorf("start %s: %w", a, err)
		}
		return SessionResult{Address: a, Alias: alias, Hosted: true}, nil
	}
	hosted, err := PokeHost(ctx, t.Root)
	if err != nil {
		return SessionResult{}, fmt.Errorf("host: %w", err)
	}
	return SessionResult{Address: a, Alias: alias, Hosted: hosted}, nil
}

// sessionRuntime returns the alias to store with a wanted flag (the
// validated override, "" to keep what is stored) and the alias the session
// will actually run with (override, else stored, else resolved now).
func (t *Town) sessionRuntime(ctx context.Context, a models.Address, override string) (explicit, effective string, err error) {
	if override != "" {
		explicit, err = t.runtimeFor(a, override)
		return explicit, explicit, err
	}
	if effective, err = t.wantedRuntime(ctx, a); err != nil || effective != "" {
		return "", effective, err
	}
	effective, err = t.runtimeFor(a, "")
	return "", effective, err
}

// exitedSession reports whether a trusted sessions.json shows the agent's
// session as exited.
func (t *Town) exitedSession(a models.Address) bool {
	f, ok, err := t.LiveSessions(time.Now())
	if err != nil || !ok {
		return false
	}
	s, found := f.Find(a.String())
	return found && s.Exited
}

// StopSession clears the wanted flag of the Mayor or a crew member and asks
// the host to end the session.
func (t *Town) StopSession(ctx context.Context, target string) (SessionResult, error) {
	a, err := t.sessionTarget(ctx, target)
	if err != nil {
		return SessionResult{}, err
	}
	if err := t.setWanted(ctx, a, "", false); err != nil {
		return SessionResult{}, err
	}
	_, err = NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpStop, Agent: a.String()})
	var he *HostError
	switch {
	case errors.Is(err, ErrNoHost):
		return SessionResult{Address: a}, nil
	case errors.As(err, &he):
		// Nothing to stop (no session): the flag is cleared, which is
		// all that was asked.
	case err != nil:
		return SessionResult{}, err
	}
	return SessionResult{Address: a, Hosted: true}, nil
}

// RestartSession ends the agent's session (if any) and starts it again; for
// the Mayor and crew it also records the wanted flag with the alias. With
// no host it fails: there is no session to restart.
func (t *Town) RestartSession(ctx context.Context, target, override string) (SessionResult, error) {
	a, err := t.ResolveAgent(ctx, target)
	if err != nil {
		return SessionResult{}, err
	}
	explicit, alias := "", ""
	switch {
	case a.Role != models.RolePolecat:
		if explicit, alias, err = t.sessionRuntime(ctx, a, override); err != nil {
			return SessionResult{}, err
		}
		if err := t.setWanted(ctx, a, explicit, true); err != nil {
			return SessionResult{}, err
		}
	case override != "":
		if explicit, err = t.runtimeFor(a, override); err != nil {
			return SessionResult{}, err
		}
		alias = explicit
	}
	c := NewHostClient(t.Root)
	if _, ok := t.liveSession(a); ok {
		if _, err := c.Do(ctx, HostRequest{Op: OpStop, Agent: a.String()}); errors.Is(err, ErrNoHost) {
			return SessionResult{}, fmt.Errorf("no gt host running: %s starts when you run gt", a)
		}
	}
	if _, err := c.Do(ctx, HostRequest{Op: OpStart, Agent: a.String(), Runtime: explicit}); err != nil {
		if errors.Is(err, ErrNoHost) {
			return SessionResult{}, fmt.Errorf("no gt host running: %s starts when you run gt", a)
		}
		return SessionResult{}, fmt.Errorf("restart %s: %w", a, err)
	}
	return SessionResult{Address: a, Alias: alias, Hosted: true}, nil
}

// wantedRuntime is the alias stored with the agent's desired-session row,
// "" when none is stored.
func (t *Town) wantedRuntime(ctx context.Context, a models.Address) (string, error) {
	var alias string
	err := t.WithStore(ctx, func(s *beads.Store) error {
		rows, err := s.AgentSessions(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Agent == a.String() {
				alias = r.Runtime
			}
		}
		return nil
	})
	return alias, err
}

func (t *Town) setWanted(ctx context.Context, a models.Address, alias string, wanted bool) error {
	return t.WithStore(ctx, func(s *beads.Store) error {
		return s.SetWanted(ctx, a.String(), alias, wanted)
	})
}

// hostPIDFromLock is the pid holding host.lock, 0 when none.
func (t *Town) hostPIDFromLock() int {
	pid, held, _, err := t.HostLockHolder()
	if err != nil || !held {
		return 0
	}
	return pid
}

// FocusMayor asks a running TUI host to focus and zoom the Mayor (gt mayor
// attach). It returns ErrNoHost without a host and an error naming the pid
// when the host is headless.
func (t *Town) FocusMayor(ctx context.Context, override string) (pid int, err error) {
	st, err := HostStatusOf(ctx, t.Root)
	if err != nil {
		return 0, err
	}
	pid = st.PID
	if pid == 0 {
		pid = t.hostPIDFromLock()
	}
	if st.Headless {
		return pid, fmt.Errorf("the host (pid %d) is headless; open gt in a terminal", pid)
	}
	alias, err := t.runtimeFor(models.MayorAddress, override)
	if err != nil {
		return pid, err
	}
	if err := t.setWanted(ctx, models.MayorAddress, alias, true); err != nil {
		return pid, err
	}
	if _, err := NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpFocus, Agent: models.MayorAddress.String(), Zoom: true}); err != nil {
		return pid, err
	}
	return pid, nil
}
