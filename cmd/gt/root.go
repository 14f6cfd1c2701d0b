package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Set by the linker (see Makefile).
var (
	version = "0.1.0-dev"
	commit  = "none"
)

// env carries what every command needs from the process: its streams and
// the path of the running executable. Commands get it through closures so no
// package-level state is mutated.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// exe is the absolute path of this binary, used when gt runs itself
	// (demo agents, dashboard commands, runtime bin links).
	exe string
}

// run dispatches on the program name (multi-call) and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, exe: selfPath(args)}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer startProfile(stderr)()

	var root *cobra.Command
	name := filepath.Base(args[0])
	if name == "bd" || strings.HasPrefix(name, "bd.") {
		root = newBDCommand(e)
	} else {
		root = newGTCommand(e)
	}
	root.SetArgs(args[1:])
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return execute(ctx, root, e, args[1:])
}

// execute runs a command tree and turns any error into the one-line
// `Error: <message>` the spec requires (plus {"error":…} on stdout when the
// command was asked for JSON).
func execute(ctx context.Context, root *cobra.Command, e *env, args []string) int {
	root.SilenceErrors = true
	root.SilenceUsage = true
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var ex *exitCodeError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			fmt.Fprintln(e.stderr, "Error: "+ex.msg)
		}
		return ex.code
	}
	msg := oneLine(err.Error())
	if (cmd != nil && jsonRequested(cmd)) || jsonInArgs(args) {
		b, _ := json.Marshal(map[string]string{"error": msg})
		fmt.Fprintln(e.stdout, string(b))
	}
	fmt.Fprintln(e.stderr, "Error: "+msg)
	return 1
}

// exitCodeError ends a command with a specific exit code; msg may be empty
// when the command already printed what happened (e.g. gt doctor).
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return e.msg }

// exitCode returns an error that makes the process exit with code and print
// nothing more.
func exitCode(code int) error { return &exitCodeError{code: code} }

// jsonInArgs notices --json among the raw arguments, for errors raised while
// cobra was still parsing flags (the flag value is not set yet then).
func jsonInArgs(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--json" || a == "--json=true" {
			return true
		}
	}
	return false
}

func jsonRequested(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("json")
	return f != nil && f.Value.String() == "true"
}

// oneLine keeps error output to a single line whatever a library returned.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// selfPath finds the absolute path of the running binary without resolving
// the bd link (so multi-call still works when gt re-execs itself as bd).
func selfPath(args []string) string {
	if p, err := os.Executable(); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return r
		}
		return p
	}
	return args[0]
}

// newGTCommand builds the gt command tree. Each command group lives in its
// own file and registers itself through an add* function.
func newGTCommand(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "gt",
		Short:         "Gas Town: a multi-agent workspace in one terminal",
		Version:       version + " (" + commit + ")",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          rejectUnknown,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), e)
		},
	}
	root.SetVersionTemplate("gt version {{.Version}}\n")
	root.PersistentFlags().Bool("debug", false, "log at debug level to <town>/.runtime/gt.log")
	root.AddCommand(newVersionCommand(e, "gt"))
	bd := newBDCommand(e)
	bd.Use = "bd"
	bd.Short = "The beads CLI (same as running bd)"
	root.AddCommand(bd)
	addTownCommands(root, e)
	addOrchestrationCommands(root, e)
	addWorkCommands(root, e)
	addDashboardCommands(root, e)
	addHostCommands(root, e)
	addFeedCommands(root, e)
	return root
}

// newBDCommand builds the bd (beads) command tree.
func newBDCommand(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "bd",
		Short:         "Beads: the issue store Gas Town runs on",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          rejectUnknown,
		RunE:          groupHelp, // runnable, so rejectUnknown sees stray words
	}
	root.PersistentFlags().Bool("json", false, "print JSON")
	root.PersistentFlags().String("actor", "", "who is acting (default $BD_ACTOR, else the role of this directory)")
	root.PersistentFlags().String("db", "", "use this database instead of discovering one")
	root.AddCommand(newVersionCommand(e, "bd"))
	addBeadsCommands(root, e)
	addFormulaCommands(root, e)
	return root
}

func newVersionCommand(e *env, prog string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if prog == "bd" {
				fmt.Fprintf(e.stdout, "bd version %s (gt multi-call)\n", version)
				return nil
			}
			fmt.Fprintf(e.stdout, "gt version %s (%s)\n", version, commit)
			return nil
		},
	}
}

// rejectUnknown turns a stray word after a command group into a one-line
// error instead of cobra's help screen.
func rejectUnknown(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}
