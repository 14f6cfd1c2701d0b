package town

import (
	"fmt"
	"time"

	"github.com/gastown/gt/models"
)

// StateThresholds are the §9 timing settings (problems.* in town settings).
type StateThresholds struct {
	StalledAfter time.Duration // default 15m
	GuppAfter    time.Duration // default 30m
	WaitingQuiet time.Duration // default 2s
}

// DefaultStateThresholds are the spec defaults.
func DefaultStateThresholds() StateThresholds {
	return StateThresholds{StalledAfter: DefaultStalledAfter, GuppAfter: DefaultGuppAfter, WaitingQuiet: DefaultWaitingQuiet}
}

// Thresholds reads the §9 thresholds from town settings.
func (s *TownSettings) Thresholds() StateThresholds {
	return StateThresholds{StalledAfter: s.StalledAfter(), GuppAfter: s.GuppAfter(), WaitingQuiet: s.WaitingQuiet()}
}

// AgentSignals is everything the §9 state rules look at for one agent. The
// host fills every field from its live sessions; other processes fill what
// sessions.json and the beads store tell them.
type AgentSignals struct {
	// Hooked: the agent has a bead with status hooked or in_progress
	// assigned to it.
	Hooked bool
	// HasSession: a session exists for the agent (live or exited).
	HasSession bool
	// Exited: the host saw the session's process end, with ExitCode.
	Exited   bool
	ExitCode int
	// LastOutput is the session's last PTY output (zero: none yet).
	LastOutput time.Time
	// LastAudit is the agent's latest row in the bead audit log (zero:
	// none).
	LastAudit time.Time
	// Since is when the current hook or session began; it stands in for
	// progress when neither output nor audit rows exist yet, so a fresh
	// hook does not count as "no progress since the epoch".
	Since time.Time
	// Notified: an OSC 777 / OSC 9 notification or a bell arrived since
	// the last input.
	Notified bool
	// QuestionOnScreen: the last 15 non-empty screen lines match a
	// question pattern.
	QuestionOnScreen bool
	// ReadyPromptOnCursor: the runtime's ready_prompt is on the cursor line.
	ReadyPromptOnCursor bool
	// HostWaiting: the host already decided the session is waiting (the
	// "waiting" flag of sessions.json); readers without screen access use
	// it instead of the three signals above.
	HostWaiting bool
}

// Progress is the later of the agent's last audit row and its last output,
// falling back to Since.
func (s AgentSignals) Progress() time.Time {
	p := s.LastAudit
	if s.LastOutput.After(p) {
		p = s.LastOutput
	}
	if p.IsZero() {
		p = s.Since
	}
	return p
}

// AgentStateResult is a computed state with its human reason ("" when the
// state needs none).
type AgentStateResult struct {
	State  models.AgentState
	Reason string
}

// ComputeAgentState applies the §9 rules in order, first match wins:
// exited, zombie, waiting, gupp, stalled, working, idle.
func ComputeAgentState(in AgentSignals, th StateThresholds, now time.Time) AgentStateResult {
	if in.HasSession && in.Exited {
		return AgentStateResult{State: models.StateExited, Reason: fmt.Sprintf("exited with code %d", in.ExitCode)}
	}
	if in.Hooked && !in.HasSession {
		return AgentStateResult{State: models.StateZombie, Reason: "hooked work but no session"}
	}
	if in.HasSession {
		quietOK := !in.LastOutput.IsZero() && now.Sub(in.LastOutput) >= th.WaitingQuiet
		if in.LastOutput.IsZero() {
			// No output at all yet: quiet since the session began.
			quietOK = !in.Since.IsZero() && now.Sub(in.Since) >= th.WaitingQuiet
		}
		signal := in.Notified || in.QuestionOnScreen || (in.Hooked && in.ReadyPromptOnCursor)
		if in.HostWaiting || (quietOK && signal) {
			return AgentStateResult{State: models.StateWaiting, Reason: waitingReason(in)}
		}
	}
	if in.Hooked {
		if p := in.Progress(); !p.IsZero() {
			idle := now.Sub(p)
			switch {
			case idle >= th.GuppAfter:
				return AgentStateResult{State: models.StateGUPP,
					Reason: fmt.Sprintf("GUPP: hooked work, no progress for %dm", int(idle/time.Minute))}
			case idle >= th.StalledAfter:
				return AgentStateResult{State: models.StateStalled,
					Reason: fmt.Sprintf("Stalled: no progress for %dm", int(idle/time.Minute))}
			}
		}
		return AgentStateResult{State: models.StateWorking}
	}
	return AgentStateResult{State: models.StateIdle}
}

func waitingReason(in AgentSignals) string {
	switch {
	case in.Notified:
		return "notification"
	case in.QuestionOnScreen:
		return "question on screen"
	case in.Hooked && in.ReadyPromptOnCursor:
		return "at the prompt with hooked work"
	}
	return "waiting for input"
}
