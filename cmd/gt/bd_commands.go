package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// addBeadsCommands registers the bd verbs (create, show, list, ...).
func addBeadsCommands(root *cobra.Command, e *env) {
	root.AddCommand(
		newBDInitCommand(e),
		newBDCreateCommand(e),
		newBDShowCommand(e),
		newBDListCommand(e),
		newBDSearchCommand(e),
		newBDReadyCommand(e),
		newBDBlockedCommand(e),
		newBDUpdateCommand(e),
		newBDCloseCommand(e),
		newBDReopenCommand(e),
		newBDDepCommand(e),
		newBDCommentsCommand(e),
		newBDLabelCommand(e),
		newBDStatsCommand(e),
		newBDExportCommand(e),
		newBDImportCommand(e),
	)
}

// withBeads opens the store for a verb and closes it afterwards.
func withBeads(e *env, fn func(cmd *cobra.Command, s *bdSession, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := openBeads(cmd, e)
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(cmd, s, args)
	}
}

// needArgs is a cobra.Args that names what is missing in one line.
func needArgs(min int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min {
			return fmt.Errorf("%s is required (usage: %s)", what, cmd.UseLine())
		}
		return nil
	}
}

// exactArgs is like needArgs but also rejects extra arguments.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return fmt.Errorf("%s is required (usage: %s)", what, cmd.UseLine())
		}
		if len(args) > n {
			return fmt.Errorf("too many arguments (usage: %s)", cmd.UseLine())
		}
		return nil
	}
}
