package town

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SessionsTrustWindow is how fresh sessions.json must be to be believed
// (spec §5.4).
const SessionsTrustWindow = 5 * time.Second

// SessionsFile is <town>/.runtime/sessions.json, written by the host at most
// once a second on change.
type SessionsFile struct {
	HostPID   int             `json:"host_pid"`
	UpdatedAt time.Time       `json:"updated_at"`
	Sessions  []SessionRecord `json:"sessions"`
}

// SessionRecord is one live or exited session the host owns. Zero
// LastOutputAt / LastInputAt mean "never".
type SessionRecord struct {
	Agent         string     `json:"agent"`
	Runtime       string     `json:"runtime"`
	PID           int        `json:"pid"`
	StartedAt     time.Time  `json:"started_at"`
	LastOutputAt  *time.Time `json:"last_output_at"`
	LastInputAt   *time.Time `json:"last_input_at"`
	Waiting       bool       `json:"waiting"`
	WaitingReason string     `json:"waiting_reason"`
	Exited        bool       `json:"exited"`
	ExitCode      int        `json:"exit_code"`
	Cols          int        `json:"cols"`
	Rows          int        `json:"rows"`
}

// SessionsPath is <town>/.runtime/sessions.json.
func SessionsPath(townRoot string) string {
	return filepath.Join(townRoot, ".runtime", "sessions.json")
}

// WriteSessions writes sessions.json atomically (temp + rename), creating
// .runtime with mode 0700. A nil session list is written as [].
func WriteSessions(townRoot string, f SessionsFile) error {
	if f.Sessions == nil {
		f.Sessions = []SessionRecord{}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode sessions.json: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(townRoot, ".runtime"), 0o700); err != nil {
		return fmt.Errorf("create .runtime: %w", err)
	}
	return writeFileAtomic(SessionsPath(townRoot), append(data, '\n'), 0o600)
}

// ReadSessions reads sessions.json as it is, without the trust rule. A
// missing file is (nil, nil).
func ReadSessions(townRoot string) (*SessionsFile, error) {
	data, err := os.ReadFile(SessionsPath(townRoot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read sessions.json: %w", err)
	}
	var f SessionsFile
	if err := decodeJSON(SessionsPath(townRoot), data, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// TrustSessions is the trust rule of spec §5.4: the file is believed only
// while its host_pid is the pid holding host.lock (lockPID, lockHeld) and it
// was updated less than SessionsTrustWindow before now.
func TrustSessions(f *SessionsFile, lockPID int, lockHeld bool, now time.Time) bool {
	if f == nil || !lockHeld || f.HostPID <= 0 || f.HostPID != lockPID {
		return false
	}
	age := now.Sub(f.UpdatedAt)
	return age < SessionsTrustWindow && age > -SessionsTrustWindow
}

// LiveSessions returns the host's sessions when sessions.json can be
// trusted at now; ok false means "no host running" for readers.
func (t *Town) LiveSessions(now time.Time) (f *SessionsFile, ok bool, err error) {
	f, err = ReadSessions(t.Root)
	if err != nil || f == nil {
		return nil, false, err
	}
	pid, held, _, err := t.HostLockHolder()
	if err != nil {
		return nil, false, err
	}
	if !TrustSessions(f, pid, held, now) {
		return nil, false, nil
	}
	return f, true, nil
}

// Find returns the session of agent, if any.
func (f *SessionsFile) Find(agent string) (SessionRecord, bool) {
	if f == nil {
		return SessionRecord{}, false
	}
	for _, s := range f.Sessions {
		if s.Agent == agent {
			return s, true
		}
	}
	return SessionRecord{}, false
}
