package main

import (
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
			t, _, err := openTown()
			if err != nil {
				return err
			}
			return dashboard.Run(cmd.Context(), dashboard.Options{
				Town: t, Exe: e.exe, Port: port, Open: open, Stdout: e.stdout,
			})
		},
	}
	cmd.Flags().IntVar(&port, "port", 8080, "port to listen on (127.0.0.1 only)")
	cmd.Flags().BoolVar(&open, "open", false, "open the dashboard in a browser")
	return cmd
}
