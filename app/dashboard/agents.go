package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// Agent is one agent with its live state (spec §9), in the shape of
// gt agents --json plus the state's glyph, the problem reason and whether it
// needs attention.
type Agent struct {
	Address        string `json:"address"`
	Role           string `json:"role"`
	Rig            string `json:"rig"`
	Name           string `json:"name"`
	State          string `json:"state"`
	Glyph          string `json:"glyph"`
	Hook           string `json:"hook"`
	HookTitle      string `json:"hook_title"`
	IdleSeconds    int64  `json:"idle_seconds"`
	Runtime        string `json:"runtime"`
	Session        string `json:"session"`
	PID            *int   `json:"pid"`
	ExitCode       *int   `json:"exit_code"`
	Reason         string `json:"reason"`
	NeedsAttention bool   `json:"needs_attention"`

	state models.AgentState
	addr  models.Address
}

// Idle formats IdleSeconds like gt agents: 12s, 4m, 2h, 3d.
func (a Agent) Idle() string { return formatIdle(time.Duration(a.IdleSeconds) * time.Second) }

// formatIdle renders a duration as its largest whole unit.
func formatIdle(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// agentInputs is what the state rules of §9 look at for one agent.
type agentInputs struct {
	hooked   []models.Bead // hooked or in-progress beads assigned to it, oldest first
	hookBead string        // the agent bead's hook_bead
	session  *liveSession  // nil: no session (or no trusted host view)
	progress time.Time     // latest audit row by the agent or PTY output
	since    time.Time     // lower bound for idle when nothing else is known
}

// thresholds are the town's problem settings.
type thresholds struct {
	stalled, gupp time.Duration
}

// classify applies the §9 rules (first match wins) and returns the state,
// the idle time and the reason shown in Problems.
func classify(in agentInputs, th thresholds, hostRunning bool, now time.Time) (models.AgentState, time.Duration, string) {
	last := in.progress
	if in.session != nil {
		last = latest(last, in.session.LastOutputAt, in.session.StartedAt)
	}
	if len(in.hooked) > 0 {
		// Work hooked after the last sign of life restarts the clock.
		for _, b := range in.hooked {
			last = latest(last, b.CreatedAt)
		}
	}
	if last.IsZero() {
		last = in.since
	}
	idle := max(now.Sub(last), 0)
	if last.IsZero() {
		idle = 0
	}
	hooked := len(in.hooked) > 0
	switch {
	case in.session != nil && in.session.Exited:
		return models.StateExited, idle, fmt.Sprintf("exited with code %d", in.session.ExitCode)
	case hooked && in.session == nil:
		if !hostRunning {
			return models.StateZombie, idle, "hooked work, no gt host running"
		}
		return models.StateZombie, idle, "hooked work, no session"
	case in.session != nil && in.session.Waiting:
		reason := in.session.WaitingReason
		if reason == "" {
			reason = "waiting for input"
		}
		return models.StateWaiting, idle, reason
	case hooked && idle >= th.gupp:
		return models.StateGUPP, idle, fmt.Sprintf("GUPP: hooked work, no progress for %dm", int(idle/time.Minute))
	case hooked && idle >= th.stalled:
		return models.StateStalled, idle, fmt.Sprintf("Stalled: no progress for %dm", int(idle/time.Minute))
	case hooked:
		return models.StateWorking, idle, ""
	}
	return models.StateIdle, idle, ""
}

// latest returns the latest of the times.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// agents lists every known agent: those with an agent bead, those with
// hooked work, and those with a session, Mayor first, then by rig, crew
// before polecats, by name.
func (s *Server) agents(ctx context.Context, now time.Time, hooked []models.Bead, host hostView) ([]Agent, error) {
	agentBeads, err := s.store.List(ctx, beads.Filter{Types: []models.IssueType{models.TypeAgent}})
	if err != nil {
		return nil, fmt.Errorf("list agent beads: %w", err)
	}
	activity, err := s.store.LastActivity(ctx)
	if err != nil {
		return nil, err
	}
	th := thresholds{stalled: town.DefaultStalledAfter, gupp: town.DefaultGuppAfter}
	if set, err := s.town.Settings(); err == nil {
		th = thresholds{stalled: set.StalledAfter(), gupp: set.GuppAfter()}
	}

	type entry struct {
		addr models.Address
		bead *models.Bead
	}
	known := map[string]*entry{}
	add := func(addr models.Address) *entry {
		k := addr.String()
		if e, ok := known[k]; ok {
			return e
		}
		e := &entry{addr: addr}
		known[k] = e
		return e
	}
	for i := range agentBeads {
		b := &agentBeads[i]
		var meta struct {
			Agent string `json:"agent"`
		}
		gtMetadata(*b, &meta)
		addr, ok := agentAddress(meta.Agent, b.Title)
		if !ok {
			continue
		}
		add(addr).bead = b
	}
	byAssignee := map[string][]models.Bead{}
	for _, b := range hooked {
		if addr, ok := agentAddress(b.Assignee); ok {
			add(addr)
			byAssignee[addr.String()] = append(byAssignee[addr.String()], b)
		}
	}
	for name := range host.Sessions {
		if addr, ok := agentAddress(name); ok {
			add(addr)
		}
	}

	aliases := map[string]string{}
	out := make([]Agent, 0, len(known))
	for k, e := range known {
		in := agentInputs{hooked: byAssignee[k], progress: activity[k]}
		sort.SliceStable(in.hooked, func(i, j int) bool { return in.hooked[i].CreatedAt.Before(in.hooked[j].CreatedAt) })
		if e.bead != nil {
			in.hookBead = e.bead.HookBead
			in.since = e.bead.UpdatedAt
		}
		if sess, ok := host.Sessions[k]; ok {
			in.session = &sess
		}
		state, idle, reason := classify(in, th, host.Running, now)
		a := Agent{
			Address: k, Role: e.addr.Role.String(), Rig: e.addr.Rig, Name: e.addr.Name,
			State: state.String(), Glyph: state.Glyph(), IdleSeconds: int64(idle / time.Second),
			Session: "none", Reason: reason, state: state, addr: e.addr,
		}
		if e.addr.Role == models.RoleMayor {
			a.Name = "mayor"
		}
		if h := hookOf(in); h != nil {
			a.Hook, a.HookTitle = h.ID, h.Title
		}
		if in.session != nil {
			a.Runtime = in.session.Runtime
			pid := in.session.PID
			a.PID = &pid
			a.Session = "live"
			if in.session.Exited {
				a.Session = "exited"
				code := in.session.ExitCode
				a.ExitCode = &code
			}
		} else {
			ak := e.addr.Role.String() + "/" + e.addr.Rig
			alias, ok := aliases[ak]
			if !ok {
				alias, _, _ = s.town.RuntimeAlias(e.addr.Role, e.addr.Rig)
				aliases[ak] = alias
			}
			a.Runtime = alias
		}
		code := 0
		if a.ExitCode != nil {
			code = *a.ExitCode
		}
		a.NeedsAttention = state.NeedsAttention(len(in.hooked) > 0, code)
		out = append(out, a)
	}
	slices.SortFunc(out, compareAgents)
	return out, nil
}

// hookOf is the bead shown in the HOOK column: the agent bead's hook_bead
// when it is still hooked, else the oldest hooked bead.
func hookOf(in agentInputs) *models.Bead {
	for i := range in.hooked {
		if in.hooked[i].ID == in.hookBead {
			return &in.hooked[i]
		}
	}
	if len(in.hooked) > 0 {
		return &in.hooked[0]
	}
	return nil
}

// agentAddress parses the first candidate that is a canonical agent address.
func agentAddress(candidates ...string) (models.Address, bool) {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		a, err := models.ParseAddress(c)
		if err == nil && a.IsAgent() {
			return a, true
		}
	}
	return models.Address{}, false
}

// roleOrder puts the Mayor first and crew before polecats.
func roleOrder(r models.Role) int {
	switch r {
	case models.RoleMayor:
		return 0
	case models.RoleCrew:
		return 1
	case models.RolePolecat:
		return 2
	}
	return 3
}

func compareAgents(a, b Agent) int {
	if a.addr.Role == models.RoleMayor || b.addr.Role == models.RoleMayor {
		return cmp.Compare(roleOrder(a.addr.Role), roleOrder(b.addr.Role))
	}
	return cmp.Or(
		cmp.Compare(a.addr.Rig, b.addr.Rig),
		cmp.Compare(roleOrder(a.addr.Role), roleOrder(b.addr.Role)),
		cmp.Compare(a.addr.Name, b.addr.Name),
	)
}

// problemsOf lists the agents needing attention in Problems order: by
// state (gupp, waiting, stalled, zombie, exited), longer idle first.
func problemsOf(agents []Agent) []Agent {
	out := []Agent{}
	for _, a := range agents {
		if a.NeedsAttention {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b Agent) int {
		return cmp.Or(cmp.Compare(a.state.ProblemRank(), b.state.ProblemRank()), cmp.Compare(b.IdleSeconds, a.IdleSeconds))
	})
	return out
}
