package main

import "github.com/spf13/cobra"

// addFormulaCommands registers bd formula, bd cook and bd mol.
func addFormulaCommands(root *cobra.Command, e *env) {}
