package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// townCaller opens the town of the working directory and names the caller.
func townCaller(cmd *cobra.Command) (*town.Town, string, error) {
	t, cwd, err := openTown()
	if err != nil {
		return nil, "", err
	}
	return t, callerOf(cmd, t, cwd), nil
}

// attachOptionalValue rewrites "--<flag> <value>" into "--<flag>=<value>"
// when value is accepted, so a flag with an optional value (pflag
// NoOptDefVal) also takes a space-separated value. Everything after "--"
// is left alone.
func attachOptionalValue(args []string, flag string, accept func(string) bool) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--"+flag && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") && accept(args[i+1]) {
			out = append(out, a+"="+args[i+1])
			i++
			continue
		}
		out = append(out, a)
	}
	return out
}

// isAddress reports whether s parses as an address (bead IDs never do).
func isAddress(s string) bool {
	_, err := models.ParseAddress(s)
	return err == nil
}

func newConvoyCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "convoy", Short: "Group work into convoys that land when everything is closed", Args: rejectUnknown, RunE: groupHelp}
	show := newConvoyShowCommand(e, "show")
	status := newConvoyShowCommand(e, "status")
	status.Hidden = true
	cmd.AddCommand(newConvoyCreateCommand(e), newConvoyListCommand(e), show, status,
		newConvoyAddCommand(e), newConvoyRemoveCommand(e), newConvoyRenameCommand(e), newConvoyCloseCommand(e))
	return cmd
}

func newConvoyCreateCommand(e *env) *cobra.Command {
	var o town.ConvoyCreateOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create <name> [bead...]",
		Short: "Create a convoy tracking beads",
		Long: "Create a convoy tracking beads. If the first argument is an existing bead ID, every argument is a bead\n" +
			"and the convoy is named after the first one. --notify alone notifies the Mayor.",
		// Flags are parsed in RunE so that "--notify ADDR" (space-separated
		// optional value) works as well as a bare "--notify".
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, raw []string) error {
			// ParseFlags is a no-op while DisableFlagParsing is set.
			cmd.DisableFlagParsing = false
			err := cmd.ParseFlags(attachOptionalValue(raw, "notify", isAddress))
			cmd.DisableFlagParsing = true
			if err != nil {
				return err
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			args := cmd.Flags().Args()
			if len(args) == 0 {
				return fmt.Errorf("convoy name is required (usage: %s)", cmd.UseLine())
			}
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			o.Args, o.Actor = args, caller
			v, err := t.CreateConvoy(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, v.ShowJSON())
			}
			printConvoyCreated(e.stdout, v)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.Notify, "notify", nil, "notify ADDR when the convoy lands (alone: the Mayor)")
	f.Lookup("notify").NoOptDefVal = "mayor/"
	f.BoolVar(&o.Human, "human", false, "also notify the overseer")
	f.StringVar(&o.Owner, "owner", "", "owner address (default: the caller)")
	f.BoolVar(&o.Owned, "owned", false, "the owner manages this convoy's lifecycle")
	f.StringVar(&o.Merge, "merge", "", "merge strategy for its work: mr, direct or local")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printConvoyCreated(w io.Writer, v town.ConvoyView) {
	fmt.Fprintf(w, "✓ Created convoy 🚚 %s\n\n", v.ID)
	fmt.Fprintf(w, "  Name:     %s\n", v.Title)
	fmt.Fprintf(w, "  Tracking: %d issues\n", v.Total)
	if v.Total > 0 {
		ids := make([]string, 0, len(v.Tracked))
		for _, ti := range v.Tracked {
			ids = append(ids, ti.ID)
		}
		fmt.Fprintf(w, "  Issues:   %s\n", strings.Join(ids, ", "))
	}
	fmt.Fprintf(w, "  Owner:    %s\n", v.Meta.Owner)
	if len(v.Meta.Notify) > 0 {
		fmt.Fprintf(w, "  Notify:   %s\n", strings.Join(v.Meta.Notify, ", "))
	}
	fmt.Fprintf(w, "\n  Lands (closes itself) when every tracked issue is closed\n")
}

func newConvoyListCommand(e *env) *cobra.Command {
	var o town.ConvoyListOptions
	var tree, asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List convoys (open ones, oldest first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			list, err := t.ListConvoys(cmd.Context(), o)
			if err != nil {
				return err
			}
			return printConvoyList(e.stdout, list, tree, asJSON)
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "include closed convoys")
	cmd.Flags().StringVar(&o.Status, "status", "", "only open or closed convoys")
	cmd.Flags().BoolVar(&tree, "tree", false, "show tracked issues under each convoy")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printConvoyList(w io.Writer, list []town.ConvoyView, tree, asJSON bool) error {
	if asJSON {
		out := make([]town.ConvoyListJSON, 0, len(list))
		for _, v := range list {
			out = append(out, v.ListJSON())
		}
		return printJSON(w, out)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "No convoys.")
		return nil
	}
	if tree {
		for i, v := range list {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "🚚 %s: %s (%d/%d)\n", v.ID, v.Title, v.Completed, v.Total)
			for j, ti := range v.Tracked {
				branch := "├──"
				if j == len(v.Tracked)-1 {
					branch = "└──"
				}
				fmt.Fprintf(w, "%s %s %s: %s\n", branch, ti.Glyph(), ti.ID, ti.Title)
			}
		}
		return nil
	}
	fmt.Fprintf(w, "Convoys\n\n")
	for i, v := range list {
		fmt.Fprintf(w, "  %d. 🚚 %s: %s %s\n", i+1, v.ID, v.Title, v.Glyph())
	}
	fmt.Fprintf(w, "\nUse 'gt convoy show <id>' or 'gt convoy show <n>' for details.\n")
	return nil
}

func newConvoyShowCommand(e *env, use string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   use + " [id|n]",
		Short: "Show a convoy and its tracked issues (no argument: list open convoys)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				list, err := t.ListConvoys(cmd.Context(), town.ConvoyListOptions{})
				if err != nil {
					return err
				}
				return printConvoyList(e.stdout, list, false, asJSON)
			}
			v, err := t.ShowConvoy(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, v.ShowJSON())
			}
			printConvoyShow(e.stdout, v)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printConvoyShow(w io.Writer, v town.ConvoyView) {
	owned := "no"
	if v.Meta.Owned {
		owned = "yes"
	}
	fmt.Fprintf(w, "🚚 %s: %s\n\n", v.ID, v.Title)
	fmt.Fprintf(w, "  Status:    %s\n", v.Glyph())
	fmt.Fprintf(w, "  Owned:     %s\n", owned)
	fmt.Fprintf(w, "  Progress:  %d/%d completed\n", v.Completed, v.Total)
	fmt.Fprintf(w, "  Created:   %s\n", v.CreatedAt.Local().Format("2006-01-02 15:04:05"))
	fmt.Fprintf(w, "\n  Tracked Issues:\n")
	if len(v.Tracked) == 0 {
		fmt.Fprintln(w, "    (none)")
	}
	for _, ti := range v.Tracked {
		who := ti.Assignee
		if who == "" {
			who = string(ti.IssueType)
		}
		if who == "" {
			who = "-"
		}
		fmt.Fprintf(w, "    %s %s: %s [%s]\n", ti.Glyph(), ti.ID, ti.Title, who)
	}
}

func newConvoyAddCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "add <convoy> <bead...>",
		Short: "Track more beads (reopens a closed convoy)",
		Args:  needArgs(2, "convoy and at least one bead"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			res, err := t.AddToConvoy(cmd.Context(), args[0], args[1:], caller)
			if err != nil {
				return err
			}
			for _, id := range res.Skipped {
				fmt.Fprintf(e.stdout, "⚠ %s is already tracked by %s; skipped\n", id, res.ID)
			}
			if res.Reopened {
				fmt.Fprintf(e.stdout, "↺ Convoy %s reopened\n", res.ID)
			}
			fmt.Fprintf(e.stdout, "✓ Convoy 🚚 %s now tracks %d more issue(s)\n", res.ID, len(res.Added))
			return nil
		},
	}
}

func newConvoyRemoveCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "remove <convoy> <bead...>",
		Short: "Stop tracking beads",
		Args:  needArgs(2, "convoy and at least one bead"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			res, err := t.RemoveFromConvoy(cmd.Context(), args[0], args[1:], caller)
			for _, id := range res.Removed {
				fmt.Fprintf(e.stdout, "✓ Removed %s from convoy 🚚 %s\n", id, res.ID)
			}
			if res.Landed {
				fmt.Fprintf(e.stdout, "🚚 Convoy %s landed: every tracked issue is closed\n", res.ID)
			}
			return err
		},
	}
}

func newConvoyRenameCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "rename <convoy> <name>",
		Short: "Rename a convoy",
		Args:  exactArgs(2, "convoy and new name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			id, err := t.RenameConvoy(cmd.Context(), args[0], args[1], caller)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Renamed convoy 🚚 %s to %q\n", id, strings.TrimSpace(args[1]))
			return nil
		},
	}
}

func newConvoyCloseCommand(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "close <convoy>",
		Short: "Close a convoy by hand",
		Args:  exactArgs(1, "convoy"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			v, err := t.CloseConvoy(cmd.Context(), args[0], reason, caller)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Closed convoy 🚚 %s\n", v.ID)
			return nil
		},
	}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (default \"Closed\")")
	return cmd
}

// landConvoysAfterBDClose runs the after-commit half of convoy landing
// (spec §6.4: event, landing mail, optional Mayor nudge) for the convoys a
// bd close auto-closed in the town's own database. Failures are warnings:
// the close itself is committed.
func landConvoysAfterBDClose(s *bdSession, auto []*models.Bead) {
	if !s.place.townDB || s.place.town == "" || len(auto) == 0 {
		return
	}
	if err := landConvoys(s.ctx, s.place.town, auto, s.actor); err != nil {
		fmt.Fprintf(s.e.stderr, "⚠ convoy landing: %s\n", oneLine(err.Error()))
	}
}

func landConvoys(ctx context.Context, townRoot string, auto []*models.Bead, actor string) error {
	t, err := town.Open(townRoot, os.Getenv)
	if err != nil {
		return err
	}
	res := beads.CloseResult{}
	for _, b := range auto {
		res.AutoClosed = append(res.AutoClosed, *b)
	}
	return town.AfterClose(ctx, t, res, actor)
}
