package main

import (
	"fmt"

	"github.com/gastown/gt/app/dashboard"
	"github.com/spf13/cobra"
)

// addDashboardCommands registers gt dashboard (spec §10).
func addDashboardCommands(root *cobra.Command, e *env) {
	root.AddCommand(newDashboardCommand(e))
}

func newDashboardCommand(e *env) *cobra.Command {
	var (
		port int
		open bool
	)
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Serve the town's web dashboard on 127.0.0.1",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if port < 0 || port > 65535 {
				return fmt.Errorf("invalid port %d (expected 0-65535)", port)
			}
			t, _, err := openTown()
			if err != nil {
				return err
			}
			debug, _ := cmd.Flags().GetBool("debug")
			return dashboard.Run(cmd.Context(), dashboard.Options{
				Town: t, Exe: e.exe, Port: port, Open: open, Stdout: e.stdout, Stderr: e.stderr, Debug: debug,
			})
		},
	}
	cmd.Flags().IntVar(&port, "port", 8080, "port to listen on (127.0.0.1 only; 0 picks a free one)")
	cmd.Flags().BoolVar(&open, "open", false, "open the dashboard in a browser")
	return cmd
}
