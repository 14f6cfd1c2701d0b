package town

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// Demo town constants (spec §6.7).
const (
	DemoRig        = "demo"
	DemoPrefix     = "dm"
	DemoGate       = "test -f README.md"
	DemoConvoyName = "Demo convoy"
	DemoAgentAlias = "demo"
)

// demoBeads are the three beads of the demo town (a constant table).
var demoBeads = [...]struct{ title, desc string }{
	{"Add a greeting to the demo project", "Write a short greeting for people who open the demo project."},
	{"Describe how the demo convoy lands", "Explain in one paragraph how the convoy closes itself when every bead is merged."},
	{"List the agents that worked on the demo", "Record which polecats took part in the demo run."},
}

// DemoOptions configure CreateDemoTown.
type DemoOptions struct {
	// Dir is the town directory ("" = a new $TMPDIR/gt-demo-*).
	Dir string
	// Out receives progress lines (nil: discarded).
	Out io.Writer
	// Getenv reads HOME, USER and the like (nil: os.Getenv).
	Getenv func(string) string
}

// DemoTown is what CreateDemoTown made.
type DemoTown struct {
	Town   *Town
	Beads  []string
	Convoy string
}

// CreateDemoTown builds the demo town of spec §6.7: a bare origin
// repository with one commit whose HEAD is main, gt install --git, rig demo
// (prefix dm, gate `test -f README.md`), default_agent demo, three beads, the
// convoy `Demo convoy` tracking them (notifying the Mayor), the Mayor
// wanted, and each bead slung to the rig. Nothing starts until a host runs.
func CreateDemoTown(ctx context.Context, o DemoOptions) (*DemoTown, error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "gt-demo-")
		if err != nil {
			return nil, fmt.Errorf("create demo directory: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(r, filepath.Base(abs))
	}
	res, err := Install(ctx, InstallOptions{Path: abs, Git: true, Getenv: getenv})
	if err != nil {
		return nil, err
	}
	t := res.Town
	fmt.Fprintf(out, "✓ Created demo town %s\n", t.Root)
	origin, err := makeDemoOrigin(ctx, t)
	if err != nil {
		return nil, err
	}
	if _, err := t.AddRig(ctx, RigAddOptions{Name: DemoRig, Repo: origin, Prefix: DemoPrefix, Actor: models.OverseerAddress.String()}); err != nil {
		return nil, fmt.Errorf("add rig %s: %w", DemoRig, err)
	}
	if err := demoRefineryIdentity(ctx, t); err != nil {
		return nil, err
	}
	rs, err := t.RigSettings(DemoRig)
	if err != nil {
		return nil, err
	}
	if rs.MergeQueue == nil {
		rs.MergeQueue = &MergeQueueSettings{}
	}
	rs.MergeQueue.Gates = []string{DemoGate}
	if err := t.SaveRigSettings(DemoRig, rs); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "✓ Rig %s added (prefix %s, gate %q)\n", DemoRig, DemoPrefix, DemoGate)
	overseer := models.OverseerAddress.String()
	if err := t.SetDefaultAgent(DemoAgentAlias, overseer); err != nil {
		return nil, err
	}
	dt := &DemoTown{Town: t}
	err = t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, overseer, func(tx *beads.Tx) error {
			dt.Beads = dt.Beads[:0]
			for _, b := range demoBeads {
				nb, err := tx.Create(&models.Bead{Title: b.title, Description: b.desc, IssueType: models.TypeTask,
					Status: models.StatusOpen, Priority: models.DefaultPriority}, beads.CreateOpts{Prefix: DemoPrefix})
				if err != nil {
					return err
				}
				dt.Beads = append(dt.Beads, nb.ID)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("create demo beads: %w", err)
	}
	for i, id := range dt.Beads {
		_ = eventlog.Emit(t.Root, eventlog.SourceGT, "bead_created", overseer,
			map[string]string{"bead": id, "title": demoBeads[i].title}, models.VisibilityBoth)
	}
	fmt.Fprintf(out, "✓ Created %d beads\n", len(dt.Beads))
	cv, err := t.CreateConvoy(ctx, ConvoyCreateOptions{Args: append([]string{DemoConvoyName}, dt.Beads...),
		Notify: []string{"mayor/"}, Actor: overseer})
	if err != nil {
		return nil, fmt.Errorf("create demo convoy: %w", err)
	}
	dt.Convoy = cv.ID
	fmt.Fprintf(out, "🚚 Convoy %s tracks %d beads\n", cv.ID, len(dt.Beads))
	if err := t.setWanted(ctx, models.MayorAddress, DemoAgentAlias, true); err != nil {
		return nil, err
	}
	for _, id := range dt.Beads {
		if _, err := t.Sling(ctx, SlingOptions{Args: []string{id, DemoRig}, Actor: overseer, Cwd: t.Root, Out: out, NoHostHint: true}); err != nil {
			return nil, fmt.Errorf("sling %s: %w", id, err)
		}
	}
	return dt, nil
}

// demoRefineryIdentity gives the demo rig's repository a committer
// identity when git has none configured (a fresh machine), so the
// refinery's squash merges work out of the box.
func demoRefineryIdentity(ctx context.Context, t *Town) error {
	dir := t.RefineryDir(DemoRig)
	if v, err := git(ctx, dir, "config", "user.email"); err == nil && v != "" {
		return nil
	}
	gitDir := t.RepoGitDir(DemoRig)
	for _, kv := range [][2]string{{"user.name", "Gas Town Refinery"}, {"user.email", "refinery@gastown.local"}} {
		if _, err := git(ctx, "", "--git-dir", gitDir, "config", "--local", kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// makeDemoOrigin creates the demo's "user" repository: a bare repository
// under .runtime (ignored) with one commit holding README.md, HEAD main.
func makeDemoOrigin(ctx context.Context, t *Town) (string, error) {
	base := filepath.Join(t.RuntimeDir(), "demo")
	origin := filepath.Join(base, "origin.git")
	seed := filepath.Join(base, "seed")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		return "", err
	}
	defer os.RemoveAll(seed)
	id := gitIdentity("demo")
	steps := []struct {
		dir  string
		args []string
	}{
		{base, []string{"init", "--quiet", "--bare", origin}},
		{origin, []string{"symbolic-ref", "HEAD", "refs/heads/main"}},
		{seed, []string{"init", "--quiet"}},
		{seed, []string{"symbolic-ref", "HEAD", "refs/heads/main"}},
	}
	for _, s := range steps {
		if _, err := git(ctx, s.dir, s.args...); err != nil {
			return "", err
		}
	}
	readme := "# Demo project\n\nA throw-away project for the Gas Town demo.\n"
	if err := os.WriteFile(filepath.Join(seed, "README.md"), []byte(readme), 0o644); err != nil {
		return "", err
	}
	for _, args := range [][]string{
		{"add", "README.md"},
		append(append([]string{}, id...), "commit", "--quiet", "-m", "Initial commit"),
		{"push", "--quiet", origin, "main"},
	} {
		if _, err := git(ctx, seed, args...); err != nil {
			return "", err
		}
	}
	return origin, nil
}

// WatchDemo prints the demo's progress from the events file until the
// convoy lands (nil) or ctx ends (its error).
func WatchDemo(ctx context.Context, t *Town, convoy string, out io.Writer) error {
	off, err := eventlog.End(t.Root)
	if err != nil {
		off = 0
	}
	f := eventlog.NewFollower(t.Root, off)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		evs, err := f.Poll()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, ev := range evs {
			if line := demoLine(ev); line != "" {
				fmt.Fprintln(out, line)
			}
			if ev.Type == "convoy_closed" && payloadField(ev, "convoy") == convoy {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// demoLine is the progress line of an event ("" to skip it).
func demoLine(ev models.Event) string {
	ts := ev.TS.Local().Format("15:04:05")
	switch ev.Type {
	case "session_start":
		return fmt.Sprintf("%s ▶ %s started (%s)", ts, payloadField(ev, "agent"), payloadField(ev, "runtime"))
	case "session_end":
		return fmt.Sprintf("%s ■ %s ended (exit %s)", ts, payloadField(ev, "agent"), payloadField(ev, "exit_code"))
	case "done":
		return fmt.Sprintf("%s ✓ %s submitted %s", ts, ev.Actor, payloadField(ev, "bead"))
	case "merge_started":
		return fmt.Sprintf("%s ⚙ merging %s", ts, payloadField(ev, "mr"))
	case "merged":
		return fmt.Sprintf("%s ✓ merged %s", ts, payloadField(ev, "mr"))
	case "merge_failed":
		return fmt.Sprintf("%s ✗ merge failed %s: %s", ts, payloadField(ev, "mr"), payloadField(ev, "reason"))
	case "convoy_closed":
		return fmt.Sprintf("%s 🚚 Convoy landed: %s", ts, payloadField(ev, "title"))
	}
	return ""
}

func payloadField(ev models.Event, key string) string {
	var m map[string]any
	if json.Unmarshal(ev.Payload, &m) != nil {
		return ""
	}
	switch v := m[key].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%d", int64(v))
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
