package main

import "github.com/spf13/cobra"

// addBeadsCommands registers the bd verbs (create, show, list, ...).
func addBeadsCommands(root *cobra.Command, e *env) {}
