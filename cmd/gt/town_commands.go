package main

import "github.com/spf13/cobra"

// addTownCommands registers gt install, rig, crew, config and doctor.
func addTownCommands(root *cobra.Command, e *env) {}
