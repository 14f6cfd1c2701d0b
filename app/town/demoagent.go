package town

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DemoAgentOptions configure gt demo-agent (spec §5.11).
type DemoAgentOptions struct {
	// StepDelay is the pause after each checklist step (default 1 s).
	StepDelay time.Duration
	// Ask asks `Allow demo agent to commit? [y/n]` before committing.
	Ask bool
	// ExitAfterPrime, when set, makes the agent exit with that code right
	// after priming.
	ExitAfterPrime *int
	// Hang makes the agent go silent after priming.
	Hang bool
	// Actor is BD_ACTOR.
	Actor string
	// Dir is the working directory (the agent's workdir).
	Dir    string
	Stdin  io.Reader
	Stdout io.Writer
	// Env is the environment of the commands it runs (nil: inherited).
	Env []string
}

// DemoExitError ends the demo agent with a specific exit code.
type DemoExitError struct{ Code int }

func (e *DemoExitError) Error() string { return fmt.Sprintf("demo agent exits with %d", e.Code) }

// DemoPrompt is the demo agent's prompt (its runtime's ready_prompt).
const DemoPrompt = "demo> "

// demoTrigger reports whether a line starts a pass: a beacon, a nudge, or a
// line mentioning gt prime or gt hook.
func demoTrigger(line string) bool {
	return strings.HasPrefix(line, "[GAS TOWN]") || strings.HasPrefix(line, "[from ") ||
		strings.Contains(line, "gt prime") || strings.Contains(line, "gt hook")
}

// RunDemoAgent is gt demo-agent: a real agent that follows the contract
// with scripted work. It prints `demo agent <actor> ready` and the prompt,
// then reads lines until EOF or ctx ends; each triggering line runs a pass
// (gt prime --json; the checklist with the step delay; demo/<id>.md
// committed; a bd comment; gt done). Every command is run with argv from
// PATH.
func RunDemoAgent(ctx context.Context, o DemoAgentOptions) error {
	if o.StepDelay < 0 {
		o.StepDelay = 0
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(o.Stdin)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			select {
			case lines <- strings.TrimRight(sc.Text(), "\r"):
			case <-ctx.Done():
				return
			}
		}
	}()
	d := &demoAgent{o: o, lines: lines}
	fmt.Fprintf(o.Stdout, "demo agent %s ready\n", o.Actor)
	for {
		fmt.Fprint(o.Stdout, DemoPrompt)
		var line string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				fmt.Fprintln(o.Stdout)
				return nil
			}
			line = strings.TrimSpace(l)
		}
		if line == "" {
			continue
		}
		fmt.Fprintf(o.Stdout, "heard: %s\n", clip(line, 100))
		if !demoTrigger(line) {
			continue
		}
		if err := d.pass(ctx); err != nil {
			var ex *DemoExitError
			if errors.As(err, &ex) || ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(o.Stdout, "✗ %s\n", oneLineText(err.Error()))
		}
	}
}

type demoAgent struct {
	o     DemoAgentOptions
	lines <-chan string
}

// pass is one round of work.
func (d *demoAgent) pass(ctx context.Context) error {
	out, err := d.run(ctx, "gt", "prime", "--json")
	if err != nil {
		return fmt.Errorf("gt prime: %w", err)
	}
	var info PrimeInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return fmt.Errorf("gt prime --json: %w", err)
	}
	if info.Hooked != nil {
		fmt.Fprintf(d.o.Stdout, "primed: %s %s\n", info.Hooked.ID, clip(info.Hooked.Title, 60))
	} else {
		fmt.Fprintln(d.o.Stdout, "primed: nothing hooked")
	}
	if d.o.ExitAfterPrime != nil {
		return &DemoExitError{Code: *d.o.ExitAfterPrime}
	}
	if d.o.Hang {
		// Silent from here on: the host should see stalled, then gupp.
		<-ctx.Done()
		return ctx.Err()
	}
	if info.Hooked == nil {
		fmt.Fprintln(d.o.Stdout, "nothing on hook")
		return nil
	}
	id := info.Hooked.ID
	var steps []string
	if info.Formula != nil {
		for _, s := range info.Formula.Steps {
			steps = append(steps, s.Title)
		}
	}
	if len(steps) == 0 {
		steps = []string{"Work on " + info.Hooked.Title}
	}
	for i, s := range steps {
		fmt.Fprintf(d.o.Stdout, "▶ %d/%d %s\n", i+1, len(steps), s)
		if err := sleepCtx(ctx, d.o.StepDelay); err != nil {
			return err
		}
	}
	if d.o.Ask {
		ok, err := d.ask(ctx)
		if err != nil || !ok {
			return err
		}
	}
	rel := filepath.Join("demo", id+".md")
	if err := os.MkdirAll(filepath.Join(d.o.Dir, "demo"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.o.Dir, rel), []byte(info.Hooked.Title+"\n"), 0o644); err != nil {
		return err
	}
	if _, err := d.run(ctx, "git", "add", "--", rel); err != nil {
		return fmt.Errorf("git add: %w", err)
	}
	name := d.o.Actor
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	commit := append(gitIdentity(name), "commit", "--quiet", "-m", id+": demo change")
	if _, err := d.run(ctx, "git", commit...); err != nil {
		return fmt.Errorf("git commit: %w", err)
	}
	sha, err := d.run(ctx, "git", "rev-parse", "HEAD")
	if err != nil {
		return fmt.Errorf("git rev-parse: %w", err)
	}
	if _, err := d.run(ctx, "bd", "comments", "add", id, "demo agent committed "+strings.TrimSpace(string(sha))); err != nil {
		return fmt.Errorf("bd comments add: %w", err)
	}
	done, err := d.run(ctx, "gt", "done")
	if err != nil {
		return fmt.Errorf("gt done: %w", err)
	}
	_, _ = d.o.Stdout.Write(done)
	fmt.Fprintf(d.o.Stdout, "✓ done %s\n", id)
	return nil
}

// ask waits for y (→ true) or n (→ false) to the commit question.
func (d *demoAgent) ask(ctx context.Context) (bool, error) {
	for {
		fmt.Fprint(d.o.Stdout, "Allow demo agent to commit? [y/n] ")
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case l, ok := <-d.lines:
			if !ok {
				return false, io.EOF
			}
			switch strings.ToLower(strings.TrimSpace(l)) {
			case "y", "yes":
				return true, nil
			case "n", "no":
				fmt.Fprintln(d.o.Stdout, "not committing")
				return false, nil
			}
		}
	}
}

// run runs argv (program from PATH) in the agent's directory and returns
// its stdout; a failure carries the first line of its stderr.
func (d *demoAgent) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = d.o.Dir
	cmd.Env = d.o.Env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := firstErrorLine(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.Bytes(), errors.New(msg)
	}
	return out.Bytes(), nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
