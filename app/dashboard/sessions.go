package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gastown/gt/app/town"
)

// sessionsFreshness is how old sessions.json may be before readers stop
// trusting it (spec §5.4).
const sessionsFreshness = 5 * time.Second

// liveSession is one entry of <town>/.runtime/sessions.json (spec §5.4).
type liveSession struct {
	Agent         string
	Runtime       string
	PID           int
	StartedAt     time.Time
	LastOutputAt  time.Time
	LastInputAt   time.Time
	Waiting       bool
	WaitingReason string
	Exited        bool
	ExitCode      int
}

// sessionsFile is the on-disk form; times are decoded leniently because a
// writer may leave a field empty.
type sessionsFile struct {
	HostPID   int    `json:"host_pid"`
	UpdatedAt string `json:"updated_at"`
	Sessions  []struct {
		Agent         string `json:"agent"`
		Runtime       string `json:"runtime"`
		PID           int    `json:"pid"`
		StartedAt     string `json:"started_at"`
		LastOutputAt  string `json:"last_output_at"`
		LastInputAt   string `json:"last_input_at"`
		Waiting       bool   `json:"waiting"`
		WaitingReason string `json:"waiting_reason"`
		Exited        bool   `json:"exited"`
		ExitCode      int    `json:"exit_code"`
	} `json:"sessions"`
}

// hostView is what the dashboard knows about the town's host: whether one
// holds the lock, and its sessions when sessions.json can be trusted.
type hostView struct {
	Running bool
	PID     int
	// Trusted is true when sessions.json was written by the lock holder less
	// than five seconds ago; only then are Sessions meaningful.
	Trusted  bool
	Sessions map[string]liveSession
}

// parseTime reads an RFC 3339 time; empty or malformed values are zero.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// readHost inspects host.lock and sessions.json. Without a host, or with a
// stale file, the view has no sessions and Trusted is false.
func readHost(t *town.Town, now time.Time) (hostView, error) {
	var v hostView
	pid, held, _, err := t.HostLockHolder()
	if err != nil {
		return v, err
	}
	v.Running, v.PID = held, pid
	if !held {
		return v, nil
	}
	data, err := os.ReadFile(t.Path(".runtime", "sessions.json"))
	if errors.Is(err, os.ErrNotExist) {
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("read sessions.json: %w", err)
	}
	var f sessionsFile
	if err := json.Unmarshal(data, &f); err != nil {
		// A torn or foreign file is not trusted; the host rewrites it.
		return v, nil
	}
	updated := parseTime(f.UpdatedAt)
	if updated.IsZero() || now.Sub(updated) >= sessionsFreshness || (pid != 0 && f.HostPID != pid) {
		return v, nil
	}
	v.Trusted = true
	v.Sessions = make(map[string]liveSession, len(f.Sessions))
	for _, s := range f.Sessions {
		agent := strings.TrimSpace(s.Agent)
		if agent == "" {
			continue
		}
		v.Sessions[agent] = liveSession{
			Agent: agent, Runtime: s.Runtime, PID: s.PID,
			StartedAt: parseTime(s.StartedAt), LastOutputAt: parseTime(s.LastOutputAt), LastInputAt: parseTime(s.LastInputAt),
			Waiting: s.Waiting, WaitingReason: s.WaitingReason, Exited: s.Exited, ExitCode: s.ExitCode,
		}
	}
	return v, nil
}
