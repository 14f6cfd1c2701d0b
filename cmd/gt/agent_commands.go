package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/app"
	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
)

// addOrchestrationCommands registers gt convoy, mail, nudge, agents, mayor,
// and gt crew start|stop (on the crew group addTownCommands made).
func addOrchestrationCommands(root *cobra.Command, e *env) {
	if root.PersistentFlags().Lookup("actor") == nil {
		root.PersistentFlags().String("actor", "", "who is acting (default $BD_ACTOR, else the role of this directory)")
	}
	root.AddCommand(
		newConvoyCommand(e),
		newMailCommand(e),
		newNudgeCommand(e),
		newAgentsCommand(e),
		newMayorCommand(e),
	)
	var crew *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "crew" {
			crew = c
		}
	}
	if crew == nil {
		crew = &cobra.Command{Use: "crew", Short: "Manage crew workspaces", Args: rejectUnknown, RunE: groupHelp}
		root.AddCommand(crew)
	}
	crew.AddCommand(newCrewStartCommand(e), newCrewStopCommand(e))
}

func newNudgeCommand(e *env) *cobra.Command {
	var msg, mode string
	cmd := &cobra.Command{
		Use:   "nudge <target> [message]",
		Short: "Type a message into an agent's session (queued until it runs)",
		Args:  needArgs(1, "target"),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := strings.Join(args[1:], " ")
			switch {
			case strings.TrimSpace(text) != "" && cmd.Flags().Changed("message"):
				return errors.New("give the message as an argument or with -m, not both")
			case strings.TrimSpace(text) == "":
				text = msg
			}
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			res, err := t.Nudge(cmd.Context(), town.NudgeOptions{Target: args[0], Message: text, Mode: mode, Sender: caller})
			if err != nil {
				return err
			}
			if res.Queued {
				fmt.Fprintf(e.stdout, "✓ Queued nudge for %s\n", args[0])
			} else {
				fmt.Fprintf(e.stdout, "✓ Nudged %s\n", args[0])
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&msg, "message", "m", "", "the message")
	cmd.Flags().StringVar(&mode, "mode", town.NudgeWaitIdle, "wait-idle, queue or immediate")
	return cmd
}

// agentsHeader is the exact header of gt agents.
const agentsHeader = "AGENT  ROLE  STATE  HOOK  IDLE  RUNTIME"

func newAgentsCommand(e *env) *cobra.Command {
	var asJSON, problems bool
	cmd := &cobra.Command{
		Use:   "agents",
		Short: "Every known agent with its state",
		Args:  rejectUnknown,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			rep, err := t.Agents(cmd.Context(), time.Now())
			if err != nil {
				return err
			}
			rows := make([]town.AgentRow, 0, len(rep.Agents))
			for _, r := range rep.Agents {
				if !problems || r.NeedsAttention {
					rows = append(rows, r)
				}
			}
			if asJSON {
				return printJSON(e.stdout, rows)
			}
			printAgents(e.stdout, rows, problems, rep.HostLive)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&problems, "problems", false, "only agents that need attention")

	var agent string
	restart := &cobra.Command{
		Use:   "restart <address>",
		Short: "Restart an agent's session (e.g. one that exited)",
		Args:  exactArgs(1, "agent address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			res, err := t.RestartSession(cmd.Context(), args[0], agent)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Restarting %s\n", res.Address)
			return nil
		},
	}
	restart.Flags().StringVar(&agent, "agent", "", "runtime alias for the new session")
	cmd.AddCommand(restart)
	return cmd
}

func printAgents(w io.Writer, rows []town.AgentRow, problems, hostLive bool) {
	if problems && len(rows) == 0 {
		fmt.Fprintln(w, "No agent needs attention")
	} else {
		table := [][]string{strings.Fields(agentsHeader)}
		for _, r := range rows {
			st, err := models.ParseAgentState(r.State)
			state := r.State
			if err == nil {
				state = st.Glyph() + " " + r.State
			}
			row := []string{r.Address, r.Role, state, dash(r.Hook), town.FormatIdle(r.IdleSeconds), dash(r.Runtime)}
			if r.NeedsAttention && r.Reason != "" {
				row = append(row, r.Reason)
			}
			table = append(table, row)
		}
		_ = writeTable(w, table)
	}
	if !hostLive {
		fmt.Fprintln(w, town.NoHostFooter)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// willRun finishes the start messages: without a host, say when it starts.
func willRun(hosted bool) string {
	if hosted {
		return ""
	}
	return "; it starts when you run gt"
}

func newMayorCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "mayor", Short: "The Mayor's session", Args: rejectUnknown, RunE: groupHelp}
	var startAgent, restartAgent, attachAgent string
	start := &cobra.Command{
		Use:   "start",
		Short: "Mark the Mayor wanted (started by the running gt)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			res, err := t.StartSession(cmd.Context(), models.MayorAddress.String(), startAgent, caller)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Mayor will run with %s%s\n", res.Alias, willRun(res.Hosted))
			return nil
		},
	}
	start.Flags().StringVar(&startAgent, "agent", "", "runtime alias (see gt config agent list)")
	stop := &cobra.Command{
		Use:   "stop",
		Short: "Mark the Mayor unwanted and end its session",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			res, err := t.StopSession(cmd.Context(), models.MayorAddress.String())
			if err != nil {
				return err
			}
			if res.Hosted {
				fmt.Fprintln(e.stdout, "✓ Mayor stopped")
			} else {
				fmt.Fprintln(e.stdout, "✓ Mayor will not start when you run gt")
			}
			return nil
		},
	}
	restart := &cobra.Command{
		Use:   "restart",
		Short: "End the Mayor's session and start it again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			res, err := t.RestartSession(cmd.Context(), models.MayorAddress.String(), restartAgent)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Mayor restarting with %s\n", res.Alias)
			return nil
		},
	}
	restart.Flags().StringVar(&restartAgent, "agent", "", "runtime alias for the new session")
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "The Mayor's state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, _, err := openTown()
			if err != nil {
				return err
			}
			rep, err := t.Agents(cmd.Context(), time.Now())
			if err != nil {
				return err
			}
			var m town.AgentRow
			for _, r := range rep.Agents {
				if r.Address == models.MayorAddress.String() {
					m = r
				}
			}
			if asJSON {
				return printJSON(e.stdout, mayorStatusJSON{AgentRow: m, Wanted: m.Wanted, HostRunning: rep.HostLive})
			}
			detail := dash(m.Runtime)
			if m.PID != nil {
				detail += fmt.Sprintf(", pid %d", *m.PID)
			}
			fmt.Fprintf(e.stdout, "Mayor: %s (%s)\n", m.State, detail)
			return nil
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	attach := &cobra.Command{
		Use:   "attach",
		Short: "Open gt with the Mayor focused (or focus it in the running gt)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			pid, err := t.FocusMayor(cmd.Context(), attachAgent)
			if err == nil {
				fmt.Fprintf(e.stdout, "Mayor is in the running gt window (pid %d)\n", pid)
				return nil
			}
			if !errors.Is(err, town.ErrNoHost) {
				return err
			}
			if _, err := t.StartSession(cmd.Context(), models.MayorAddress.String(), attachAgent, caller); err != nil {
				return err
			}
			debug, _ := cmd.Flags().GetBool("debug")
			return runTUIWith(cmd.Context(), e, app.Options{Town: t, FocusMayor: true, Zoom: true, Debug: debug})
		},
	}
	attach.Flags().StringVar(&attachAgent, "agent", "", "runtime alias (see gt config agent list)")
	cmd.AddCommand(start, stop, restart, status, attach)
	return cmd
}

// mayorStatusJSON is gt mayor status --json: the agents row plus the
// desired-session flag.
type mayorStatusJSON struct {
	town.AgentRow
	Wanted      bool `json:"wanted"`
	HostRunning bool `json:"host_running"`
}

func newCrewStartCommand(e *env) *cobra.Command {
	var agent string
	cmd := &cobra.Command{
		Use:   "start <rig>/<name>",
		Short: "Mark a crew session wanted (started by the running gt)",
		Args:  exactArgs(1, "crew address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := notCrew(args[0]); err != nil {
				return err
			}
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			res, err := t.StartSession(cmd.Context(), args[0], agent, caller)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ crew %s will run (%s)%s\n", res.Address, res.Alias, willRun(res.Hosted))
			return nil
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "runtime alias (see gt config agent list)")
	return cmd
}

func newCrewStopCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "stop <rig>/<name>",
		Short: "Mark a crew session unwanted and end it",
		Args:  exactArgs(1, "crew address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := notCrew(args[0]); err != nil {
				return err
			}
			t, _, err := openTown()
			if err != nil {
				return err
			}
			res, err := t.StopSession(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if res.Hosted {
				fmt.Fprintf(e.stdout, "✓ crew %s stopped\n", res.Address)
			} else {
				fmt.Fprintf(e.stdout, "✓ crew %s will not start when you run gt\n", res.Address)
			}
			return nil
		},
	}
}

// notCrew refuses the Mayor and the overseer as gt crew start|stop targets
// before anything changes (polecats are refused by the town code).
func notCrew(target string) error {
	a, err := models.ParseAddress(target)
	if err == nil && (a.Role == models.RoleMayor || a.Role == models.RoleOverseer) {
		return fmt.Errorf("%s is not a crew member (use gt mayor start|stop for the Mayor)", target)
	}
	return nil
}
