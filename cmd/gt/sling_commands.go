package main

import (
	"github.com/gastown/gt/app/town"
	"github.com/spf13/cobra"
)

// addWorkCommands registers gt sling, hook, prime, done and refinery.
func addWorkCommands(root *cobra.Command, e *env) {
	if root.PersistentFlags().Lookup("actor") == nil {
		root.PersistentFlags().String("actor", "", "who is acting (default $BD_ACTOR, else the role of this directory)")
	}
	root.AddCommand(
		newSlingCommand(e),
		newHookCommand(e),
		newPrimeCommand(e),
		newDoneCommand(e),
		newRefineryCommand(e),
	)
}

func newSlingCommand(e *env) *cobra.Command {
	var o town.SlingOptions
	cmd := &cobra.Command{
		Use:   "sling <bead-or-formula>... [target]",
		Short: "Hook work to an agent (a rig's polecat, crew, or the Mayor) and start it",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, cwd, err := openTown()
			if err != nil {
				return err
			}
			o.Args, o.Actor, o.Cwd, o.Out = args, callerOf(cmd, t, cwd), cwd, e.stdout
			_, err = t.Sling(cmd.Context(), o)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Agent, "agent", "", "runtime of any session this sling starts")
	f.BoolVar(&o.NoConvoy, "no-convoy", false, "do not create a convoy")
	f.BoolVarP(&o.DryRun, "dry-run", "n", false, "print what would happen and change nothing")
	f.BoolVar(&o.Force, "force", false, "re-sling hooked, deferred or other-rig beads")
	f.StringVarP(&o.AgentArgs, "args", "a", "", "instructions for the agent, stored with the work")
	f.StringArrayVar(&o.Vars, "var", nil, "formula variable k=v (repeatable)")
	f.StringVar(&o.Formula, "formula", "", "formula to attach instead of the default")
	f.StringVar(&o.Merge, "merge", "", "merge strategy: mr, direct or local")
	return cmd
}
