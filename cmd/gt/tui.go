package main

import (
	"context"
	"errors"
)

// runTUI starts the full-screen host for the town around the working
// directory.
func runTUI(ctx context.Context, e *env) error {
	return errors.New("the gt window is not part of this build yet; see gt --help")
}
