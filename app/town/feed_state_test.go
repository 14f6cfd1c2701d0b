package town

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// step is one moment of a synthetic timeline: change the signals, then
// compute the state at `at` (an offset from the timeline's start).
type step struct {
	name   string
	at     time.Duration
	change func(s *AgentSignals, t0 time.Time)
	want   models.AgentState
	reason string
	// attention is §9's "needs attention" for the result.
	attention bool
}

func runTimeline(t *testing.T, th StateThresholds, init AgentSignals, steps []step) {
	t.Helper()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sig := init
	for _, st := range steps {
		if st.change != nil {
			st.change(&sig, t0)
		}
		got := ComputeAgentState(sig, th, t0.Add(st.at))
		att := got.State.NeedsAttention(sig.Hooked, sig.ExitCode)
		if got.State != st.want || got.Reason != st.reason || att != st.attention {
			t.Errorf("%s (t0+%v): got %v %q attention=%v, want %v %q attention=%v",
				st.name, st.at, got.State, got.Reason, att, st.want, st.reason, st.attention)
		}
	}
}

// TestStateTimelines walks agents through synthetic timelines covering
// every §9 state and the exact edges of each threshold.
func TestStateTimelines(t *testing.T) {
	const ns = time.Nanosecond
	def := DefaultStateThresholds()

	t.Run("polecat works, stalls, goes gupp, recovers, exits", func(t *testing.T) {
		runTimeline(t, def, AgentSignals{}, []step{
			{name: "no hook, no session", at: 0, want: models.StateIdle},
			{name: "hooked before its session starts", at: time.Second,
				change: func(s *AgentSignals, t0 time.Time) { s.Hooked, s.Since = true, t0 },
				want:   models.StateZombie, reason: "hooked work but no session", attention: true},
			{name: "session starts", at: 2 * time.Second,
				change: func(s *AgentSignals, t0 time.Time) { s.HasSession = true },
				want:   models.StateWorking},
			{name: "pane output at 1m", at: time.Minute,
				change: func(s *AgentSignals, t0 time.Time) { s.LastOutput = t0.Add(time.Minute) },
				want:   models.StateWorking},
			{name: "audit row by the agent at 10m", at: 10 * time.Minute,
				change: func(s *AgentSignals, t0 time.Time) { s.LastAudit = t0.Add(10 * time.Minute) },
				want:   models.StateWorking},
			{name: "1ns before stalled_after", at: 25*time.Minute - ns, want: models.StateWorking},
			{name: "exactly stalled_after", at: 25 * time.Minute,
				want: models.StateStalled, reason: "Stalled: no progress for 15m", attention: true},
			{name: "1ns before gupp_after", at: 40*time.Minute - ns,
				want: models.StateStalled, reason: "Stalled: no progress for 29m", attention: true},
			{name: "exactly gupp_after", at: 40 * time.Minute,
				want: models.StateGUPP, reason: "GUPP: hooked work, no progress for 30m", attention: true},
			{name: "hours later still gupp", at: 3 * time.Hour,
				want: models.StateGUPP, reason: "GUPP: hooked work, no progress for 170m", attention: true},
			{name: "pane output resumes", at: 3*time.Hour + time.Second,
				change: func(s *AgentSignals, t0 time.Time) { s.LastOutput = t0.Add(3 * time.Hour) },
				want:   models.StateWorking},
			{name: "bead update alone is progress too", at: 3*time.Hour + 20*time.Minute,
				change: func(s *AgentSignals, t0 time.Time) { s.LastAudit = t0.Add(3*time.Hour + 10*time.Minute) },
				want:   models.StateWorking},
			{name: "hook emptied (gt done)", at: 4 * time.Hour,
				change: func(s *AgentSignals, t0 time.Time) { s.Hooked = false },
				want:   models.StateIdle},
			{name: "process exits 0 without work", at: 4*time.Hour + time.Second,
				change: func(s *AgentSignals, t0 time.Time) { s.Exited, s.ExitCode = true, 0 },
				want:   models.StateExited, reason: "exited with code 0"},
		})
	})

	t.Run("exited: code and hook decide attention", func(t *testing.T) {
		runTimeline(t, def, AgentSignals{HasSession: true, Exited: true, ExitCode: 2}, []step{
			{name: "non-zero exit, no hook", want: models.StateExited, reason: "exited with code 2", attention: true},
			{name: "zero exit with hooked work",
				change: func(s *AgentSignals, _ time.Time) { s.ExitCode, s.Hooked = 0, true },
				want:   models.StateExited, reason: "exited with code 0", attention: true},
			{name: "exit 127 (agent command missing) beats a question on screen",
				change: func(s *AgentSignals, _ time.Time) { s.ExitCode, s.QuestionOnScreen = 127, true },
				want:   models.StateExited, reason: "exited with code 127", attention: true},
		})
	})

	t.Run("waiting: quiet edge, signals, clearing", func(t *testing.T) {
		runTimeline(t, def, AgentSignals{Hooked: true, HasSession: true}, []step{
			{name: "prompt printed at 10s", at: 10 * time.Second,
				change: func(s *AgentSignals, t0 time.Time) {
					s.LastOutput, s.QuestionOnScreen = t0.Add(10*time.Second), true
				},
				want: models.StateWorking},
			{name: "1ns before waiting_quiet", at: 12*time.Second - ns, want: models.StateWorking},
			{name: "exactly waiting_quiet", at: 12 * time.Second,
				want: models.StateWaiting, reason: "question on screen", attention: true},
			{name: "waiting beats gupp an hour later", at: time.Hour,
				want: models.StateWaiting, reason: "question on screen", attention: true},
			{name: "answered: output resumes, no question", at: time.Hour + time.Second,
				change: func(s *AgentSignals, t0 time.Time) {
					s.LastOutput, s.QuestionOnScreen = t0.Add(time.Hour), false
				},
				want: models.StateWorking},
			{name: "bell, quiet 2s", at: time.Hour + 2*time.Second,
				change: func(s *AgentSignals, _ time.Time) { s.Notified = true },
				want:   models.StateWaiting, reason: "notification", attention: true},
			{name: "keyboard input clears the notification", at: time.Hour + 3*time.Second,
				change: func(s *AgentSignals, _ time.Time) { s.Notified = false },
				want:   models.StateWorking},
			{name: "ready prompt on the cursor line with hooked work", at: time.Hour + 4*time.Second,
				change: func(s *AgentSignals, _ time.Time) { s.ReadyPromptOnCursor = true },
				want:   models.StateWaiting, reason: "at the prompt with hooked work", attention: true},
			{name: "ready prompt without hooked work is idle", at: time.Hour + 5*time.Second,
				change: func(s *AgentSignals, _ time.Time) { s.Hooked = false },
				want:   models.StateIdle},
			{name: "host flag from sessions.json", at: time.Hour + 6*time.Second,
				change: func(s *AgentSignals, _ time.Time) { s.ReadyPromptOnCursor, s.HostWaiting = false, true },
				want:   models.StateWaiting, reason: "waiting for input", attention: true},
		})
	})

	t.Run("thresholds from settings", func(t *testing.T) {
		st := &TownSettings{Problems: &ProblemsSettings{StalledAfter: "2s", GuppAfter: "4s", WaitingQuiet: "500ms"}}
		th := st.Thresholds()
		if th != (StateThresholds{StalledAfter: 2 * time.Second, GuppAfter: 4 * time.Second, WaitingQuiet: 500 * time.Millisecond}) {
			t.Fatalf("thresholds %+v", th)
		}
		runTimeline(t, th, AgentSignals{Hooked: true, HasSession: true}, []step{
			{name: "output at 0", change: func(s *AgentSignals, t0 time.Time) { s.LastOutput = t0 }, want: models.StateWorking},
			{name: "2s-1ns", at: 2*time.Second - ns, want: models.StateWorking},
			{name: "2s", at: 2 * time.Second, want: models.StateStalled, reason: "Stalled: no progress for 0m", attention: true},
			{name: "4s-1ns", at: 4*time.Second - ns, want: models.StateStalled, reason: "Stalled: no progress for 0m", attention: true},
			{name: "4s", at: 4 * time.Second, want: models.StateGUPP, reason: "GUPP: hooked work, no progress for 0m", attention: true},
			{name: "question, quiet 500ms-1ns", at: 5*time.Second - ns,
				change: func(s *AgentSignals, t0 time.Time) {
					s.LastOutput, s.QuestionOnScreen = t0.Add(4500*time.Millisecond), true
				},
				want: models.StateWorking},
			{name: "question, quiet 500ms", at: 5 * time.Second, want: models.StateWaiting, reason: "question on screen", attention: true},
		})
		// Bad or missing values fall back to the defaults.
		bad := &TownSettings{Problems: &ProblemsSettings{StalledAfter: "soon", GuppAfter: "-1m"}}
		if got := bad.Thresholds(); got != DefaultStateThresholds() {
			t.Fatalf("bad settings: %+v", got)
		}
		var none *TownSettings
		if got := none.Thresholds(); got != DefaultStateThresholds() {
			t.Fatalf("nil settings: %+v", got)
		}
	})
}

// TestStateProgressSources checks, through the real store, sessions.json
// and settings, that progress is the later of the agent's own audit rows
// and its pane output, and that without a host states come from beads
// alone.
func TestStateProgressSources(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	st, err := tw.Settings()
	if err != nil {
		t.Fatal(err)
	}
	st.Problems = &ProblemsSettings{StalledAfter: "10m", GuppAfter: "20m"}
	if err := tw.SaveSettings(st); err != nil {
		t.Fatal(err)
	}
	nux := "myproject/polecats/nux"
	work := mkBead(t, tw, "mayor", models.Bead{Title: "Work", Status: models.StatusHooked, Assignee: nux}, "mp")

	state := func(now time.Time) AgentRow {
		t.Helper()
		rep, err := tw.Agents(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		return rowOf(t, rep, nux)
	}

	// No host: hooked work without a session is a zombie, whatever the
	// clock says; crew joe (nothing hooked) is idle.
	if r := state(time.Now()); r.State != "zombie" || !r.NeedsAttention || r.Hook != work.ID {
		t.Fatalf("no host: %+v", r)
	}

	holdHostLock(t, tw)
	live := func(now time.Time, lastOutput time.Time) {
		t.Helper()
		lo := lastOutput.UTC()
		err := WriteSessions(tw.Root, SessionsFile{HostPID: os.Getpid(), UpdatedAt: now.UTC(), Sessions: []SessionRecord{
			{Agent: nux, Runtime: "demo", PID: 1, StartedAt: lo.Add(-time.Minute), LastOutputAt: &lo},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now()
	// Pane output 25m ago and no audit row by nux (mayor created the
	// bead): gupp.
	live(base, base.Add(-25*time.Minute))
	if r := state(base); r.State != "gupp" || r.Reason != "GUPP: hooked work, no progress for 25m" {
		t.Fatalf("old output: %+v", r)
	}
	// Output 15m ago: stalled.
	live(base, base.Add(-15*time.Minute))
	if r := state(base); r.State != "stalled" || r.Reason != "Stalled: no progress for 15m" {
		t.Fatalf("stalled: %+v", r)
	}
	// A bead update by nux itself is progress.
	withStore(t, tw, func(s *beads.Store) {
		notes := "progress"
		if err := s.Write(ctx, nux, func(tx *beads.Tx) error {
			_, err := tx.Update(work.ID, beads.Update{Notes: &notes})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
	now := time.Now()
	live(now, now.Add(-25*time.Minute))
	if r := state(now); r.State != "working" || r.NeedsAttention {
		t.Fatalf("after own bead update: %+v", r)
	}
	// ... until it is itself older than stalled_after.
	later := now.Add(11 * time.Minute)
	live(later, now.Add(-25*time.Minute))
	if r := state(later); r.State != "stalled" || r.Reason != "Stalled: no progress for 11m" {
		t.Fatalf("audit row aged: %+v", r)
	}
	// A bead update by someone else is not nux's progress.
	withStore(t, tw, func(s *beads.Store) {
		notes := "mayor's note"
		if err := s.Write(ctx, "mayor", func(tx *beads.Tx) error {
			_, err := tx.Update(work.ID, beads.Update{Notes: &notes})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
	later = time.Now().Add(11 * time.Minute)
	live(later, now.Add(-25*time.Minute))
	if r := state(later); r.State != "stalled" {
		t.Fatalf("someone else's update counted as progress: %+v", r)
	}
	// Fresh pane output is progress.
	live(later, later.Add(-time.Second))
	if r := state(later); r.State != "working" {
		t.Fatalf("fresh output: %+v", r)
	}
	// A stale sessions.json (host gone quiet) is not trusted: back to
	// beads alone, zombie.
	live(later.Add(-time.Minute), later.Add(-time.Second))
	if r := state(later); r.State != "zombie" {
		t.Fatalf("stale sessions.json trusted: %+v", r)
	}
}
