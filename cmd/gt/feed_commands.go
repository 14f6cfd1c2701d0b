package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/gastown/gt/app"
	"github.com/gastown/gt/app/town"
)

// addFeedCommands registers gt feed.
func addFeedCommands(root *cobra.Command, e *env) {
	root.AddCommand(newFeedCommand(e))
}

// feedFlags are gt feed's flags (spec §9).
type feedFlags struct {
	problems, plain, follow bool
	limit                   int
	since, types, rig       string
}

func newFeedCommand(e *env) *cobra.Command {
	var f feedFlags
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Watch agents, convoys and events live (--plain for text, --problems for what needs attention)",
		Args:  rejectUnknown,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.limit < 0 {
				return fmt.Errorf("invalid --limit %d (must be 0 or more)", f.limit)
			}
			t, _, err := openTown()
			if err != nil {
				return err
			}
			filter, err := t.NewFeedFilter(f.since, f.types, f.rig, time.Now())
			if err != nil {
				return err
			}
			plain := f.plain || !isTerminal(e.stdout)
			switch {
			case f.problems && plain:
				return feedProblemsPlain(cmd.Context(), e.stdout, t)
			case plain:
				return feedPlain(cmd.Context(), e.stdout, t, filter, f.limit, f.follow)
			}
			preload := 0
			if cmd.Flags().Changed("limit") {
				preload = f.limit
			}
			return app.RunFeed(cmd.Context(), app.NewTownFeed(t, filter, preload), app.FeedOptions{Problems: f.problems},
				tea.WithInput(e.stdin), tea.WithOutput(e.stdout))
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.problems, "problems", "p", false, "show the agents that need attention")
	fl.BoolVar(&f.plain, "plain", false, "print text instead of the full-screen view (the default when stdout is not a terminal)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "with --plain, keep printing new events")
	fl.IntVarP(&f.limit, "limit", "n", town.FeedDefaultLimit, "how many past events to print (0: all)")
	fl.StringVar(&f.since, "since", "", "only events newer than this (e.g. 5m, 1h)")
	fl.StringVar(&f.types, "type", "", "only events of these types (comma-separated)")
	fl.StringVar(&f.rig, "rig", "", "only events about this rig")
	return cmd
}

// feedPlain prints the last limit matching events as
// `<ts> <symbol> <actor> <type> <summary>`, then with follow every new one,
// each exactly once, until interrupted.
func feedPlain(ctx context.Context, w io.Writer, t *town.Town, filter town.FeedFilter, limit int, follow bool) error {
	tail := town.NewFeedTail(t.Root, filter)
	evs, err := tail.Load(limit)
	if err != nil {
		return err
	}
	if err := printFeedEvents(w, evs); err != nil || !follow {
		return err
	}
	err = tail.Follow(ctx, town.FeedPollInterval, func(evs []town.FeedEvent) error { return printFeedEvents(w, evs) })
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func printFeedEvents(w io.Writer, evs []town.FeedEvent) error {
	for _, e := range evs {
		if _, err := fmt.Fprintln(w, e.PlainLine()); err != nil {
			return err
		}
	}
	return nil
}

// feedProblemsPlain prints `<STATE>  <address>  <hook|->  <idle> <reason>`
// per agent needing attention (§9 order) and `<n> need attention, <m> ok`;
// it exits 1 when any agent needs attention.
func feedProblemsPlain(ctx context.Context, w io.Writer, t *town.Town) error {
	rep, err := t.FeedAgents(ctx, time.Now())
	if err != nil {
		return err
	}
	ps := town.Problems(rep.Agents)
	for _, r := range ps.Attention {
		fmt.Fprintln(w, town.ProblemLine(r))
	}
	fmt.Fprintln(w, ps.ProblemsFooter())
	if len(ps.Attention) > 0 {
		return exitCode(1)
	}
	return nil
}
