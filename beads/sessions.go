package beads

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AgentSession is one row of the agent_sessions table: whether the user
// wants a session for an agent and with which runtime alias (spec §5.4).
// The table holds desired state only; it is never exported to JSONL.
type AgentSession struct {
	Agent     string
	Wanted    bool
	Runtime   string
	UpdatedAt time.Time
}

// SetWanted marks the session of agent (an address such as "mayor") wanted
// or not. runtime is the alias to run it with; an empty runtime keeps the
// alias stored before (so stop followed by start remembers it).
func (s *Store) SetWanted(ctx context.Context, agent, runtime string, wanted bool) error {
	agent = strings.TrimSpace(agent)
	if agent == "" {
		return invalidf("agent is required")
	}
	w := 0
	if wanted {
		w = 1
	}
	return s.Write(ctx, agent, func(tx *Tx) error {
		_, err := tx.tx.ExecContext(tx.ctx, `INSERT INTO agent_sessions(agent, wanted, runtime, updated_at) VALUES(?, ?, ?, ?)
			ON CONFLICT(agent) DO UPDATE SET wanted = excluded.wanted,
			  runtime = CASE WHEN excluded.runtime = '' THEN agent_sessions.runtime ELSE excluded.runtime END,
			  updated_at = excluded.updated_at`,
			agent, w, runtime, formatTime(tx.now()))
		if err != nil {
			return fmt.Errorf("set session wanted for %s: %w", agent, err)
		}
		return nil
	})
}

// AgentSessions returns every agent_sessions row (wanted or not), ordered
// by agent.
func (s *Store) AgentSessions(ctx context.Context) ([]AgentSession, error) {
	var out []AgentSession
	err := s.read(ctx, func(r reader) error {
		rows, err := r.q.QueryContext(r.ctx, `SELECT agent, wanted, runtime, updated_at FROM agent_sessions ORDER BY agent`)
		if err != nil {
			return fmt.Errorf("agent sessions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a AgentSession
			var w int
			var ts string
			if err := rows.Scan(&a.Agent, &w, &a.Runtime, &ts); err != nil {
				return fmt.Errorf("agent sessions: %w", err)
			}
			a.Wanted = w != 0
			a.UpdatedAt, _ = parseTime(ts)
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// Wanted returns the agents whose session is wanted, ordered by agent.
func (s *Store) Wanted(ctx context.Context) ([]AgentSession, error) {
	all, err := s.AgentSessions(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if a.Wanted {
			out = append(out, a)
		}
	}
	return out, nil
}

// LastActivity returns, per actor, the time of that actor's latest row in
// the bead audit log (the "progress" of spec §9). Rows are compared by
// insertion order, which follows commit order.
func (s *Store) LastActivity(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.read(ctx, func(r reader) error {
		rows, err := r.q.QueryContext(r.ctx, `SELECT actor, created_at FROM events
			WHERE id IN (SELECT max(id) FROM events GROUP BY actor)`)
		if err != nil {
			return fmt.Errorf("last activity: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var actor, ts string
			if err := rows.Scan(&actor, &ts); err != nil {
				return fmt.Errorf("last activity: %w", err)
			}
			if t, err := parseTime(ts); err == nil {
				out[actor] = t
			}
		}
		return rows.Err()
	})
	return out, err
}
