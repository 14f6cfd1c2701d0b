package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/gastown/gt/app"
	"github.com/gastown/gt/app/town"
)

// hostCloseTimeout bounds a host's shutdown (3 s grace + final export).
const hostCloseTimeout = 15 * time.Second

// addHostCommands registers gt host, gt demo-agent and gt demo.
func addHostCommands(root *cobra.Command, e *env) {
	root.AddCommand(newHostCommand(e), newDemoAgentCommand(e), newDemoCommand(e))
}

func debugFlag(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("debug")
	return f != nil && f.Value.String() == "true"
}

func newHostCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "host",
		Short: "Run the town's agents headless (no UI; stops on SIGINT/SIGTERM)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			return runHeadlessHost(cmd.Context(), e, t, debugFlag(cmd), func(ctx context.Context, _ *town.Host) error {
				<-ctx.Done()
				return nil
			})
		},
	}
}

// runHeadlessHost hosts t until body returns (body gets a context that ends
// on SIGINT/SIGTERM), then closes the host cleanly.
func runHeadlessHost(ctx context.Context, e *env, t *town.Town, debug bool, body func(context.Context, *town.Host) error) error {
	// A closed terminal (SIGHUP) also ends the host cleanly, so its agents
	// are stopped rather than orphaned with a stale lock.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	h, err := town.StartHost(ctx, t, town.HostOptions{Exe: e.exe, Headless: true, Debug: debug})
	if err != nil {
		return err
	}
	berr := body(ctx, h)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hostCloseTimeout)
	defer cancel()
	if err := h.Close(cctx); err != nil {
		return errors.Join(berr, err)
	}
	return berr
}

func newDemoAgentCommand(e *env) *cobra.Command {
	var o town.DemoAgentOptions
	var exitAfter int
	cmd := &cobra.Command{
		Use:   "demo-agent",
		Short: "A scripted agent that follows the agent contract (used by gt demo)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("exit-after-prime") {
				o.ExitAfterPrime = &exitAfter
			}
			o.Actor = os.Getenv("BD_ACTOR")
			if o.Actor == "" {
				o.Actor = "overseer"
			}
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			o.Dir, o.Stdin, o.Stdout = dir, e.stdin, e.stdout
			err = town.RunDemoAgent(cmd.Context(), o)
			var ex *town.DemoExitError
			switch {
			case errors.As(err, &ex):
				return exitCode(ex.Code)
			case errors.Is(err, context.Canceled):
				return exitCode(130)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.StepDelay, "step-delay", time.Second, "pause after each checklist step")
	f.BoolVar(&o.Ask, "ask", false, "ask before committing")
	f.IntVar(&exitAfter, "exit-after-prime", 0, "exit with this code right after priming")
	f.BoolVar(&o.Hang, "hang", false, "go silent after priming")
	return cmd
}

func newDemoCommand(e *env) *cobra.Command {
	var dir string
	var noTUI bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a throw-away demo town and watch three demo agents land a convoy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			progress := e.stdout
			if noTUI {
				progress = e.stderr
			}
			dt, err := town.CreateDemoTown(ctx, town.DemoOptions{Dir: dir, Out: progress})
			if err != nil {
				return err
			}
			if noTUI {
				fmt.Fprintf(e.stderr, "⏸ The work is hooked: run gt (or gt host) in %s to start the agents\n", dt.Town.Root)
				fmt.Fprintln(e.stdout, dt.Town.Root)
				return nil
			}
			err = runDemoUI(ctx, e, dt, debugFlag(cmd))
			fmt.Fprintf(e.stdout, "Demo town kept at %s\n", dt.Town.Root)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "create the demo town here (default $TMPDIR/gt-demo-*)")
	cmd.Flags().BoolVar(&noTUI, "no-tui", false, "only build the town and print its path")
	return cmd
}

// runDemoUI shows the demo running: the gt window with the Mayor focused
// when stdin and stdout are a terminal; otherwise (scripts, CI) a headless
// host in the foreground that prints progress until the convoy lands or
// ctrl-C.
func runDemoUI(ctx context.Context, e *env, dt *town.DemoTown, debug bool) error {
	if isTerminal(e.stdin) && isTerminal(e.stdout) {
		return runTUIWith(ctx, e, app.Options{Town: dt.Town, FocusMayor: true, Debug: debug})
	}
	fmt.Fprintf(e.stdout, "Hosting the demo town headless (ctrl-C to stop): %s\n", dt.Town.Root)
	return runHeadlessHost(ctx, e, dt.Town, debug, func(ctx context.Context, _ *town.Host) error {
		err := town.WatchDemo(ctx, dt.Town, dt.Convoy, e.stdout)
		if err == nil {
			fmt.Fprintln(e.stdout, "✓ The demo convoy landed")
		}
		return err
	})
}

// isTerminal reports whether v is a terminal file.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
