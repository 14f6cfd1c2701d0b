package main

import (
	"context"

	"github.com/gastown/gt/app"
)

// runTUI starts the full-screen host for the town around the working
// directory.
func runTUI(ctx context.Context, e *env) error {
	return runTUIWith(ctx, e, app.Options{})
}

// runTUIWith starts the TUI host with options (gt mayor attach and gt demo
// focus the Mayor).
func runTUIWith(ctx context.Context, e *env, o app.Options) error {
	o.Exe = e.exe
	return app.Run(ctx, o)
}
