package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
	"github.com/spf13/cobra"
)

// callerAddress is the caller's identity as an address (the overseer when
// it is not one).
func callerAddress(cmd *cobra.Command, t *town.Town, cwd string) models.Address {
	a, err := models.ParseAddress(callerOf(cmd, t, cwd))
	if err != nil || a.Role == models.RoleUnknown {
		if err == nil {
			if r, rerr := t.ResolveAddress(a.String()); rerr == nil {
				return r
			}
		}
		return models.OverseerAddress
	}
	return a
}

// hookJSON is one bead of gt hook --json.
type hookJSON struct {
	ID         string           `json:"id"`
	Title      string           `json:"title"`
	Status     string           `json:"status"`
	Attachment town.Attachment  `json:"attachment"`
	Steps      int              `json:"steps"`
	Convoy     string           `json:"convoy"`
	Type       models.IssueType `json:"issue_type"`
}

func newHookCommand(e *env) *cobra.Command {
	var asJSON bool
	var hookOpts town.SlingOptions
	cmd := &cobra.Command{
		Use:   "hook [bead [target]]",
		Short: "Show your hook, or hook a bead to an agent (like gt sling --no-convoy, without formula or nudge)",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			if len(args) > 0 {
				return runHookAttach(cmd, e, t, cwd, args, hookOpts)
			}
			return showHook(cmd, e, t, callerAddress(cmd, t, cwd), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&hookOpts.Force, "force", false, "re-hook a bead hooked elsewhere")
	cmd.Flags().BoolVarP(&hookOpts.DryRun, "dry-run", "n", false, "print what would happen and change nothing")

	show := &cobra.Command{
		Use:   "show [address]",
		Short: "Print what is on an agent's hook",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			addr := callerAddress(cmd, t, cwd)
			if len(args) == 1 {
				if addr, err = t.ResolveAddress(args[0]); err != nil {
					return err
				}
			}
			v, err := t.Hook(cmd.Context(), addr)
			if err != nil {
				return err
			}
			if len(v.Beads) == 0 {
				fmt.Fprintf(e.stdout, "%s: (empty)\n", v.Address)
				return nil
			}
			for _, b := range v.Beads {
				fmt.Fprintf(e.stdout, "%s: %s '%s' [%s]\n", v.Address, b.Bead.ID, b.Bead.Title, b.Bead.Status)
			}
			return nil
		},
	}
	var attachOpts town.SlingOptions
	attach := &cobra.Command{
		Use:   "attach <bead> [target]",
		Short: "Hook a bead to an agent (same as gt hook <bead> [target])",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			return runHookAttach(cmd, e, t, cwd, args, attachOpts)
		},
	}
	attach.Flags().BoolVar(&attachOpts.Force, "force", false, "re-hook a bead hooked elsewhere")
	clearCmd := func(use, short string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " [bead]",
			Short: short,
			Args:  cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				t, cwd, err := openTown()
				if err != nil {
					return err
				}
				o := town.HookClearOptions{Actor: callerOf(cmd, t, cwd), Address: callerAddress(cmd, t, cwd)}
				if len(args) == 1 {
					o.Bead = args[0]
				}
				ids, err := t.HookClear(cmd.Context(), o)
				if err != nil {
					return err
				}
				if len(ids) == 0 {
					fmt.Fprintf(e.stdout, "Hook is empty: nothing slung to %s\n", o.Address.String())
					return nil
				}
				for _, id := range ids {
					fmt.Fprintf(e.stdout, "✓ Unhooked %s (status=open)\n", id)
				}
				return nil
			},
		}
	}
	cmd.AddCommand(show, attach,
		clearCmd("clear", "Take beads off your hook (status open, no assignee)"),
		clearCmd("detach", "Same as gt hook clear"))
	return cmd
}

// runHookAttach is gt hook <bead> [target].
func runHookAttach(cmd *cobra.Command, e *env, t *town.Town, cwd string, args []string, o town.SlingOptions) error {
	o.Args, o.Actor, o.Cwd, o.Out = args, callerOf(cmd, t, cwd), cwd, e.stdout
	o.HookOnly, o.NoConvoy = true, true
	_, err := t.Sling(cmd.Context(), o)
	return err
}

// showHook prints gt hook [--json] (spec §5.7).
func showHook(cmd *cobra.Command, e *env, t *town.Town, addr models.Address, asJSON bool) error {
	v, err := t.Hook(cmd.Context(), addr)
	if err != nil {
		return err
	}
	if asJSON {
		out := struct {
			Address string     `json:"address"`
			Hooked  []hookJSON `json:"hooked"`
		}{Address: v.Address, Hooked: []hookJSON{}}
		for _, b := range v.Beads {
			out.Hooked = append(out.Hooked, hookJSON{
				ID: b.Bead.ID, Title: b.Bead.Title, Status: string(b.Bead.Status), Attachment: b.Attachment,
				Steps: b.Steps, Convoy: b.Attachment.ConvoyID, Type: b.Bead.IssueType,
			})
		}
		return printJSON(e.stdout, out)
	}
	w := e.stdout
	if len(v.Beads) == 0 {
		fmt.Fprintf(w, "Hook is empty: nothing slung to %s\n", v.Address)
		return nil
	}
	fmt.Fprintf(w, "🪝 Hook: %s\n", v.Address)
	for _, b := range v.Beads {
		fmt.Fprintf(w, "  %s  %s  [%s]\n", b.Bead.ID, b.Bead.Title, b.Bead.Status)
		a := b.Attachment
		if a.Formula != "" {
			steps := fmt.Sprintf("%d steps", b.Steps)
			if b.Steps < 0 {
				steps = "cannot cook"
			}
			at := ""
			if a.AttachedAt != nil {
				at = a.AttachedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "  Formula: %s (%s)   Attached: %s\n", a.Formula, steps, at)
		}
		if a.ConvoyID != "" {
			fmt.Fprintf(w, "  Convoy: %s\n", a.ConvoyID)
		}
	}
	return nil
}

func newPrimeCommand(e *env) *cobra.Command {
	var asJSON, hookMode bool
	cmd := &cobra.Command{
		Use:   "prime",
		Short: "Print your role, context, hooked work and checklist (read-only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			addr := callerAddress(cmd, t, cwd)
			info, err := t.Prime(cmd.Context(), addr)
			if err != nil {
				if errors.Is(err, town.ErrStoreUnreadable) {
					return town.ErrStoreUnreadable
				}
				return err
			}
			if asJSON {
				b, err := town.MarshalPrime(info)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(e.stdout, string(b))
				return err
			}
			return town.WritePrime(e.stdout, info, os.Getppid())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	// --hook is how agent CLIs' session-start hooks call gt prime (as in
	// the original); the output is the same.
	cmd.Flags().BoolVar(&hookMode, "hook", false, "called from an agent's session-start hook (same output)")
	return cmd
}

func newDoneCommand(e *env) *cobra.Command {
	var o town.DoneOptions
	cmd := &cobra.Command{
		Use:   "done",
		Short: "Submit your work (polecats): commit, hand the branch to the merge queue, go idle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			o.Actor, o.Out = callerOf(cmd, t, cwd), e.stdout
			_, err = t.Done(cmd.Context(), o)
			return err
		},
	}
	cmd.Flags().StringVar(&o.Status, "status", town.DoneCompleted, "COMPLETED, ESCALATED or DEFERRED")
	cmd.Flags().StringVar(&o.Issue, "issue", "", "the bead (default: your hooked bead, else your branch's)")
	cmd.Flags().StringVarP(&o.Message, "message", "m", "", "message (the escalation mail body)")
	return cmd
}

func newRefineryCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "refinery",
		Short: "The built-in merge queue",
		Args:  rejectUnknown,
		RunE:  groupHelp,
	}
	// rigsFor picks the rig argument, else $GT_RIG or the cwd's rig, else
	// every rig.
	rigsFor := func(t *town.Town, cwd string, args []string) ([]string, error) {
		if len(args) == 1 {
			if _, err := t.RigPrefix(args[0]); err != nil {
				return nil, err
			}
			return args, nil
		}
		if r, err := t.PickRig("", cwd); err == nil {
			return []string{r}, nil
		} else if !errors.Is(err, town.ErrNoRig) {
			return nil, err
		}
		return t.RigNames()
	}
	run := &cobra.Command{
		Use:   "run [rig]",
		Short: "Work the merge queue once, in the foreground",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			rigs, err := rigsFor(t, cwd, args)
			if err != nil {
				return err
			}
			for _, rig := range rigs {
				outs, err := town.RefineryPass(cmd.Context(), t, rig)
				if err != nil {
					return err
				}
				if len(outs) == 0 {
					fmt.Fprintf(e.stdout, "Merge queue for %s is empty.\n", rig)
					continue
				}
				for _, o := range outs {
					for _, w := range o.Warnings {
						fmt.Fprintf(e.stdout, "⚠ %s: %s\n", o.MR, w)
					}
					switch o.Result {
					case town.MergeMerged:
						fmt.Fprintf(e.stdout, "✓ Merged %s (%s) as %s\n", o.MR, o.Bead, short(o.Commit))
					case town.MergeRequeued:
						fmt.Fprintf(e.stdout, "⚠ %s (%s) stays queued: %s\n", o.MR, o.Bead, o.Reason)
					default:
						fmt.Fprintf(e.stdout, "✗ %s (%s): %s\n", o.MR, o.Bead, o.Reason)
					}
				}
			}
			return nil
		},
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [rig]",
		Short: "Show the merge queue",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			rigs, err := rigsFor(t, cwd, args)
			if err != nil {
				return err
			}
			all := []town.MergeRequest{}
			for _, rig := range rigs {
				q, err := t.MergeQueue(cmd.Context(), rig)
				if err != nil {
					return err
				}
				all = append(all, q...)
				if !asJSON && len(q) == 0 {
					fmt.Fprintf(e.stdout, "Merge queue for %s is empty.\n", rig)
				}
			}
			if asJSON {
				return printJSON(e.stdout, all)
			}
			for _, m := range all {
				fmt.Fprintf(e.stdout, "%s  %s  %s  %s  P%d  %s\n", m.ID, m.SourceIssue, m.Branch, m.Worker, m.Priority, m.Status)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(run, list)
	return cmd
}

// short abbreviates a commit hash.
func short(sha string) string {
	if len(sha) > 10 {
		return sha[:10]
	}
	return sha
}
