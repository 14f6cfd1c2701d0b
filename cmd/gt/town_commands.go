package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gastown/gt/app/town"
	"github.com/spf13/cobra"
)

// addTownCommands registers gt install, rig, crew, config and doctor.
func addTownCommands(root *cobra.Command, e *env) {
	if root.PersistentFlags().Lookup("actor") == nil {
		root.PersistentFlags().String("actor", "", "who is acting (default $BD_ACTOR, else the role of this directory)")
	}
	root.AddCommand(
		newInstallCommand(e),
		newRigCommand(e),
		newCrewCommand(e),
		newConfigCommand(e),
		newDoctorCommand(e),
	)
}

// openTown discovers the town of the working directory (spec §3).
func openTown() (*town.Town, string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, "", fmt.Errorf("get working directory: %w", err)
	}
	t, err := town.Find(cwd, os.Getenv)
	if err != nil {
		return nil, "", err
	}
	return t, cwd, nil
}

// callerOf is the caller's identity for cmd (spec §5.1).
func callerOf(cmd *cobra.Command, t *town.Town, cwd string) string {
	var flag string
	if f := cmd.Flags().Lookup("actor"); f != nil {
		flag = f.Value.String()
	}
	return t.Caller(flag, cwd)
}

// printJSON writes v as 2-space-indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func newInstallCommand(e *env) *cobra.Command {
	var o town.InstallOptions
	cmd := &cobra.Command{
		Use:   "install [path]",
		Short: "Create a Gas Town workspace",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Path = args[0]
			}
			o.Getenv = os.Getenv
			res, err := town.Install(cmd.Context(), o)
			if err != nil {
				return err
			}
			w := e.stdout
			for _, c := range res.Created {
				fmt.Fprintf(w, "✓ Created %s\n", c)
			}
			fmt.Fprintln(w, "Next steps:")
			fmt.Fprintln(w, "  1. gt rig add <name> <git-url>")
			fmt.Fprintln(w, "  2. gt crew add <name> --rig <rig>")
			fmt.Fprintln(w, "  3. gt mayor attach")
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Git, "git", false, "make the town a git repository (.gitignore, git init, first commit)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "re-run in an existing town, keeping town.json and rigs.json")
	cmd.Flags().StringVar(&o.Name, "name", "", "town name (default: the directory name)")
	cmd.Flags().StringVar(&o.Owner, "owner", "", "owner email (default: from git config)")
	return cmd
}

func newRigCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "rig", Short: "Manage rigs (projects)", Args: rejectUnknown}
	var o town.RigAddOptions
	add := &cobra.Command{
		Use:   "add <name> <repo>",
		Short: "Add a git repository as a rig",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			o.Name, o.Repo, o.Cwd = args[0], args[1], cwd
			o.Actor = callerOf(cmd, t, cwd)
			o.Progress = e.stderr
			res, err := t.AddRig(cmd.Context(), o)
			if err != nil {
				return err
			}
			w := e.stdout
			fmt.Fprintf(w, "✓ Rig %s added (prefix %s)\n", res.Name, res.Prefix)
			fmt.Fprintf(w, "  Repo: %s\n  Branch: %s\n  Path: %s\n", res.GitURL, res.Branch, res.Path)
			if res.Imported > 0 {
				fmt.Fprintf(w, "✓ Imported %d issues from .beads/issues.jsonl\n", res.Imported)
			}
			fmt.Fprintf(w, "Next: gt crew add <name> --rig %s\n", res.Name)
			return nil
		},
	}
	add.Flags().StringVar(&o.Prefix, "prefix", "", "beads prefix (default: the repository's, else derived from the name)")
	add.Flags().StringVar(&o.Branch, "branch", "", "default branch (default: the remote HEAD)")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List rigs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			rigs, err := t.ListRigs(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, rigs)
			}
			if len(rigs) == 0 {
				fmt.Fprintln(e.stdout, "No rigs yet. Add one with gt rig add <name> <repo>")
				return nil
			}
			fmt.Fprintf(e.stdout, "Rigs in %s:\n", t.Root)
			for _, r := range rigs {
				fmt.Fprintf(e.stdout, "  %s  (prefix %s)\n", r.Name, r.BeadsPrefix)
				fmt.Fprintf(e.stdout, "     Polecats: %d (%d working)  Crew: %d  Merge queue: %d\n", r.Polecats, r.Working, r.Crew, r.MergeQueue)
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list)
	return cmd
}

func newCrewCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "crew", Short: "Manage crew workspaces", Args: rejectUnknown}
	var o town.CrewAddOptions
	add := &cobra.Command{
		Use:   "add <name>...",
		Short: "Create crew workspaces (full clones)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			o.Names, o.Cwd = args, cwd
			o.Actor = callerOf(cmd, t, cwd)
			o.Progress = e.stderr
			results, err := t.AddCrew(cmd.Context(), o)
			for _, r := range results {
				if r.Skipped {
					fmt.Fprintf(e.stdout, "⚠ crew %s exists; skipped\n", r.Address.Name)
					continue
				}
				fmt.Fprintf(e.stdout, "✓ Crew workspace %s created\n", r.Address)
				fmt.Fprintf(e.stdout, "  Path: %s\n  Branch: %s\n", r.Path, r.Branch)
				fmt.Fprintf(e.stdout, "Start it with: gt crew start %s/%s\n", r.Address.Rig, r.Address.Name)
			}
			return err
		},
	}
	add.Flags().StringVar(&o.Rig, "rig", "", "rig of the crew (default: $GT_RIG or the rig of this directory)")
	add.Flags().BoolVar(&o.Branch, "branch", false, "create and check out the branch crew/<name>")

	var rig string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List crew workspaces",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			crew, err := t.ListCrew(cmd.Context(), rig)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, crew)
			}
			if len(crew) == 0 {
				fmt.Fprintln(e.stdout, "No crew yet. Add one with gt crew add <name> --rig <rig>")
				return nil
			}
			for _, c := range crew {
				fmt.Fprintf(e.stdout, "%s  %s  %s\n", c.Address, c.Branch, c.State)
			}
			return nil
		},
	}
	list.Flags().StringVar(&rig, "rig", "", "only this rig")
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(add, list)
	return cmd
}

func newConfigCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Town configuration", Args: rejectUnknown}
	agent := &cobra.Command{Use: "agent", Short: "Agent runtimes (aliases)", Args: rejectUnknown}

	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List agents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			agents, def, err := t.ListAgents()
			if err != nil {
				return err
			}
			if listJSON {
				return printJSON(e.stdout, agents)
			}
			fmt.Fprintln(e.stdout, "Agents:")
			for _, a := range agents {
				fmt.Fprintf(e.stdout, "  %s [%s] %s\n", a.Name, a.Type, town.JoinCommand(append([]string{a.Command}, a.Args...)))
			}
			fmt.Fprintf(e.stdout, "Default: %s\n", def)
			return nil
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")

	var getJSON bool
	get := &cobra.Command{
		Use:   "get <name>",
		Short: "Show the resolved runtime of an agent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			rig, _ := t.RigFromDir(cwd)
			r, err := t.LookupAgent(args[0], rig)
			if err != nil {
				return err
			}
			if getJSON {
				return printJSON(e.stdout, map[string]any{
					"name": r.Alias, "command": r.Command, "args": nonNilArgs(r.Args),
					"prompt_mode": r.PromptMode, "source": r.Source,
				})
			}
			fmt.Fprintf(e.stdout, "Name: %s\nCommand: %s\nArgs: %s\nPrompt mode: %s\nSource: %s\n",
				r.Alias, r.Command, town.JoinCommand(r.Args), r.PromptMode, r.Source)
			return nil
		},
	}
	get.Flags().BoolVar(&getJSON, "json", false, "print JSON")

	var promptMode, provider string
	set := &cobra.Command{
		Use:   `set <name> "<command args...>"`,
		Short: "Define a custom agent in the town settings",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			var argv []string
			switch {
			case len(args) == 2:
				if argv, err = town.SplitCommand(args[1]); err != nil {
					return err
				}
			case len(args) > 2:
				argv = args[1:]
			}
			if len(argv) == 0 {
				return fmt.Errorf("command is required")
			}
			shadows, err := t.SetAgent(town.SetAgentOptions{Name: args[0], Argv: argv, PromptMode: promptMode,
				Provider: provider, Actor: callerOf(cmd, t, cwd)})
			if err != nil {
				return err
			}
			line := fmt.Sprintf("✓ Agent %s = %s", args[0], town.JoinCommand(argv))
			if shadows {
				line += " (shadows the built-in preset)"
			}
			fmt.Fprintln(e.stdout, line)
			return nil
		},
	}
	set.Flags().StringVar(&promptMode, "prompt-mode", "", "how the beacon is passed: arg or none")
	set.Flags().StringVar(&provider, "provider", "", "built-in agent this one behaves like")

	remove := &cobra.Command{
		Use:   "remove <name>",
		Short: "Remove a custom agent",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			if err := t.RemoveAgent(args[0], callerOf(cmd, t, cwd)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Removed agent %s\n", args[0])
			return nil
		},
	}
	agent.AddCommand(list, get, set, remove)

	def := &cobra.Command{
		Use:   "default-agent [name]",
		Short: "Show or set the default agent",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				name, err := t.DefaultAgent()
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Default agent: %s\n", name)
				return nil
			}
			if err := t.SetDefaultAgent(args[0], callerOf(cmd, t, cwd)); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Default agent set to '%s'\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(agent, def)
	return cmd
}

func nonNilArgs(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

func newDoctorCommand(e *env) *cobra.Command {
	var o town.DoctorOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the town and optionally repair it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			o.Exe = e.exe
			o.Actor = callerOf(cmd, t, cwd)
			rep := t.Doctor(cmd.Context(), o)
			if asJSON {
				if err := printJSON(e.stdout, rep.Results); err != nil {
					return err
				}
			} else {
				for _, r := range rep.Results {
					// One line per check (§6.7), its fix hint at the end.
					line := doctorLine(r, o.Verbose)
					if r.Status != town.CheckOK && r.Hint != "" {
						line += " → " + r.Hint
					}
					fmt.Fprintln(e.stdout, line)
				}
				p, w, x := rep.Counts()
				fmt.Fprintf(e.stdout, "%d passed, %d warnings, %d errors\n", p, w, x)
			}
			if _, _, x := rep.Counts(); x > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Fix, "fix", false, "repair what can be repaired")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVarP(&o.Verbose, "verbose", "v", false, "show details of passing checks")
	return cmd
}

func doctorLine(r town.CheckResult, verbose bool) string {
	switch r.Status {
	case town.CheckWarning:
		return "⚠ " + r.Check + ": " + r.Message
	case town.CheckError:
		return "✗ " + r.Check + ": " + r.Message
	}
	if r.Fixed {
		return "✓ " + r.Check + ": fixed: " + r.Message
	}
	if verbose && r.Message != "" {
		return "✓ " + r.Check + ": " + strings.TrimSpace(r.Message)
	}
	return "✓ " + r.Check
}
