package town

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestTrustSessions(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f := func(pid int, age time.Duration) *SessionsFile {
		return &SessionsFile{HostPID: pid, UpdatedAt: now.Add(-age)}
	}
	cases := []struct {
		name    string
		file    *SessionsFile
		lockPID int
		held    bool
		want    bool
	}{
		{"fresh and held by the host", f(100, time.Second), 100, true, true},
		{"just under 5s", f(100, 5*time.Second-time.Millisecond), 100, true, true},
		{"exactly 5s is stale", f(100, 5*time.Second), 100, true, false},
		{"old", f(100, time.Minute), 100, true, false},
		{"lock free (host died)", f(100, time.Second), 100, false, false},
		{"lock held by another pid", f(100, time.Second), 101, true, false},
		{"no pid in file", f(0, time.Second), 0, true, false},
		{"far future timestamp", f(100, -time.Minute), 100, true, false},
		{"no file", nil, 100, true, false},
	}
	for _, tc := range cases {
		if got := TrustSessions(tc.file, tc.lockPID, tc.held, now); got != tc.want {
			t.Errorf("%s: TrustSessions = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSessionsFileRoundTripAndLock(t *testing.T) {
	tw := orchTown(t)
	now := time.Now().UTC()
	if f, ok, err := tw.LiveSessions(now); f != nil || ok || err != nil {
		t.Fatalf("no file: %v %v %v", f, ok, err)
	}
	out := now.Add(-time.Second)
	want := SessionsFile{HostPID: os.Getpid(), UpdatedAt: now, Sessions: []SessionRecord{
		{Agent: "mayor", Runtime: "claude", PID: 12, StartedAt: now.Add(-time.Minute), LastOutputAt: &out, Cols: 80, Rows: 24},
	}}
	if err := WriteSessions(tw.Root, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(SessionsPath(tw.Root))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sessions.json: %v %v", st, err)
	}
	raw, _ := os.ReadFile(SessionsPath(tw.Root))
	for _, key := range []string{`"host_pid"`, `"updated_at"`, `"agent"`, `"runtime"`, `"pid"`, `"started_at"`, `"last_output_at"`,
		`"last_input_at"`, `"waiting"`, `"waiting_reason"`, `"exited"`, `"exit_code"`, `"cols"`, `"rows"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("sessions.json lacks %s:\n%s", key, raw)
		}
	}
	// Written but no host holds the lock: not trusted.
	if _, ok, err := tw.LiveSessions(now); ok || err != nil {
		t.Fatalf("trusted without a lock holder (err %v)", err)
	}
	holdHostLock(t, tw)
	f, ok, err := tw.LiveSessions(now.Add(time.Second))
	if err != nil || !ok {
		t.Fatalf("LiveSessions = %v, %v", ok, err)
	}
	s, found := f.Find("mayor")
	if !found || s.PID != 12 || s.LastOutputAt == nil || !s.LastOutputAt.Equal(out) || s.LastInputAt != nil {
		t.Fatalf("mayor session = %+v", s)
	}
	if _, found := f.Find("nobody"); found {
		t.Fatal("found a session for nobody")
	}
	// Stale once 5 s pass without a rewrite.
	if _, ok, _ := tw.LiveSessions(now.Add(6 * time.Second)); ok {
		t.Fatal("stale file trusted")
	}
	// A broken file is an error naming the file, not a panic.
	if err := os.WriteFile(SessionsPath(tw.Root), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tw.LiveSessions(now); err == nil || !strings.Contains(err.Error(), "sessions.json") {
		t.Fatalf("broken file: %v", err)
	}
}
