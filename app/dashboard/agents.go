package dashboard

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
)

// Agent is one agent with its live state (spec §9): the row gt agents
// --json prints, plus the state's glyph, the problem reason and whether it
// needs attention. The state rules are app/town's, shared with gt agents,
// the feed and the TUI.
type Agent struct {
	Address        string `json:"address"`
	Role           string `json:"role"`
	Rig            string `json:"rig"`
	Name           string `json:"name"`
	State          string `json:"state"`
	Glyph          string `json:"glyph"`
	Hook           string `json:"hook"`
	HookTitle      string `json:"hook_title"`
	IdleSeconds    *int64 `json:"idle_seconds"`
	Runtime        string `json:"runtime"`
	Session        string `json:"session"`
	PID            *int   `json:"pid"`
	ExitCode       *int   `json:"exit_code"`
	Reason         string `json:"reason"`
	NeedsAttention bool   `json:"needs_attention"`

	state models.AgentState
}

// Idle formats IdleSeconds like gt agents: 12s, 4m, 2h, 3d, or - when
// unknown.
func (a Agent) Idle() string { return town.FormatIdle(a.IdleSeconds) }

// hostView is what the page says about the town's host.
type hostView struct {
	// Running: a process holds host.lock.
	Running bool
	PID     int
	// Live: sessions.json is trusted, so agent states include sessions.
	Live bool
}

// agents computes every known agent's state (Mayor first, then by rig,
// crew before polecats, by name) and what is known about the host.
func (s *Server) agents(ctx context.Context, now time.Time) ([]Agent, hostView, error) {
	var host hostView
	pid, held, _, err := s.town.HostLockHolder()
	if err != nil {
		return nil, host, err
	}
	host.Running, host.PID = held, pid
	rep, err := s.town.Agents(ctx, now)
	if err != nil {
		return nil, host, err
	}
	host.Live = rep.HostLive
	out := make([]Agent, 0, len(rep.Agents))
	for _, r := range rep.Agents {
		st, err := models.ParseAgentState(r.State)
		if err != nil {
			st = models.StateIdle
		}
		out = append(out, Agent{
			Address: r.Address, Role: r.Role, Rig: r.Rig, Name: r.Name, State: r.State, Glyph: st.Glyph(),
			Hook: r.Hook, HookTitle: r.HookTitle, IdleSeconds: r.IdleSeconds, Runtime: r.Runtime, Session: r.Session,
			PID: r.PID, ExitCode: r.ExitCode, Reason: r.Reason, NeedsAttention: r.NeedsAttention, state: st,
		})
	}
	return out, host, nil
}

// idle is IdleSeconds, 0 when unknown.
func (a Agent) idle() int64 {
	if a.IdleSeconds == nil {
		return 0
	}
	return *a.IdleSeconds
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
		return cmp.Or(cmp.Compare(a.state.ProblemRank(), b.state.ProblemRank()), cmp.Compare(b.idle(), a.idle()))
	})
	return out
}

// formatIdle renders a duration as its largest whole unit, as gt agents
// does.
func formatIdle(d time.Duration) string {
	secs := int64(d / time.Second)
	return town.FormatIdle(&secs)
}
