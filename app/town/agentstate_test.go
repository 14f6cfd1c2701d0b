package town

import (
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func TestComputeAgentState(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	th := DefaultStateThresholds()
	cases := []struct {
		name   string
		in     AgentSignals
		want   models.AgentState
		reason string
	}{
		{"idle: nothing at all", AgentSignals{}, models.StateIdle, ""},
		{"idle: live session, not hooked", AgentSignals{HasSession: true, LastOutput: ago(time.Hour)}, models.StateIdle, ""},
		{"exited wins over hooked", AgentSignals{Hooked: true, HasSession: true, Exited: true, ExitCode: 3}, models.StateExited, "exited with code 3"},
		{"exited with 0 unhooked", AgentSignals{HasSession: true, Exited: true}, models.StateExited, "exited with code 0"},
		{"zombie: hooked, no session", AgentSignals{Hooked: true, Since: ago(time.Hour)}, models.StateZombie, "hooked work but no session"},
		{"no session, not hooked is idle", AgentSignals{LastAudit: ago(time.Hour)}, models.StateIdle, ""},
		{"waiting: bell after 2s quiet", AgentSignals{HasSession: true, Notified: true, LastOutput: ago(2 * time.Second)}, models.StateWaiting, "notification"},
		{"not waiting: bell, quiet 1.9s", AgentSignals{HasSession: true, Notified: true, LastOutput: ago(1900 * time.Millisecond)}, models.StateIdle, ""},
		{"waiting: question on screen, hooked", AgentSignals{Hooked: true, HasSession: true, QuestionOnScreen: true, LastOutput: ago(3 * time.Second)}, models.StateWaiting, "question on screen"},
		{"waiting: ready prompt with hooked work", AgentSignals{Hooked: true, HasSession: true, ReadyPromptOnCursor: true, LastOutput: ago(5 * time.Second)}, models.StateWaiting, "at the prompt with hooked work"},
		{"ready prompt without hook is idle", AgentSignals{HasSession: true, ReadyPromptOnCursor: true, LastOutput: ago(5 * time.Second)}, models.StateIdle, ""},
		{"waiting: no output yet, quiet since start", AgentSignals{HasSession: true, QuestionOnScreen: true, Since: ago(10 * time.Second)}, models.StateWaiting, "question on screen"},
		{"waiting: host said so", AgentSignals{HasSession: true, HostWaiting: true, LastOutput: ago(time.Second)}, models.StateWaiting, "waiting for input"},
		{"waiting beats gupp", AgentSignals{Hooked: true, HasSession: true, Notified: true, LastOutput: ago(time.Hour)}, models.StateWaiting, "notification"},
		{"gupp at exactly 30m", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(30 * time.Minute)}, models.StateGUPP, "GUPP: hooked work, no progress for 30m"},
		{"stalled just under 30m", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(30*time.Minute - time.Second)}, models.StateStalled, "Stalled: no progress for 29m"},
		{"stalled at exactly 15m", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(15 * time.Minute)}, models.StateStalled, "Stalled: no progress for 15m"},
		{"working just under 15m", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(15*time.Minute - time.Second)}, models.StateWorking, ""},
		{"audit row counts as progress", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(time.Hour), LastAudit: ago(time.Minute)}, models.StateWorking, ""},
		{"output counts as progress", AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(time.Minute), LastAudit: ago(time.Hour)}, models.StateWorking, ""},
		{"no progress yet: measured from hook time", AgentSignals{Hooked: true, HasSession: true, Since: ago(16 * time.Minute)}, models.StateStalled, "Stalled: no progress for 16m"},
		{"working: hooked, fresh", AgentSignals{Hooked: true, HasSession: true, Since: ago(time.Minute)}, models.StateWorking, ""},
		{"hooked with no times at all is working", AgentSignals{Hooked: true, HasSession: true}, models.StateWorking, ""},
	}
	for _, tc := range cases {
		got := ComputeAgentState(tc.in, th, now)
		if got.State != tc.want || got.Reason != tc.reason {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, got.State, got.Reason, tc.want, tc.reason)
		}
	}
	// Custom thresholds move the edges.
	custom := StateThresholds{StalledAfter: time.Minute, GuppAfter: 2 * time.Minute, WaitingQuiet: 10 * time.Second}
	in := AgentSignals{Hooked: true, HasSession: true, LastOutput: ago(90 * time.Second), Notified: false}
	if got := ComputeAgentState(in, custom, now); got.State != models.StateStalled || got.Reason != "Stalled: no progress for 1m" {
		t.Errorf("custom stalled: %+v", got)
	}
	in = AgentSignals{HasSession: true, Notified: true, LastOutput: ago(5 * time.Second)}
	if got := ComputeAgentState(in, custom, now); got.State != models.StateIdle {
		t.Errorf("custom quiet not reached: %+v", got)
	}
}

func TestFormatIdle(t *testing.T) {
	n := func(s int64) *int64 { return &s }
	cases := []struct {
		in   *int64
		want string
	}{
		{nil, "-"}, {n(0), "0s"}, {n(12), "12s"}, {n(59), "59s"}, {n(60), "1m"}, {n(4*60 + 59), "4m"},
		{n(3600), "1h"}, {n(2 * 3600), "2h"}, {n(47 * 3600), "47h"}, {n(48 * 3600), "2d"},
	}
	for _, tc := range cases {
		if got := FormatIdle(tc.in); got != tc.want {
			t.Errorf("FormatIdle(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
