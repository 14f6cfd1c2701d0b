package dashboard

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// browserOpeners are the programs tried, in order, to open a URL.
func browserOpeners() []string { return []string{"xdg-open", "open"} }

// openerWait is how long OpenBrowser waits for the opener to report
// failure before assuming the browser is on its way.
const openerWait = 5 * time.Second

// OpenBrowser opens url with xdg-open (Linux) or open (macOS), passing the
// URL as one argument. It fails if neither exists or the opener exits with
// an error within a few seconds; an opener still running then is left to
// finish in the background.
func OpenBrowser(ctx context.Context, url string) error {
	return openWith(ctx, exec.LookPath, url)
}

// openWith is OpenBrowser with an injectable PATH lookup.
func openWith(_ context.Context, lookPath func(string) (string, error), url string) error {
	for _, name := range browserOpeners() {
		path, err := lookPath(name)
		if err != nil {
			continue
		}
		// Not CommandContext: the browser must outlive a dashboard stopped
		// right after starting it.
		cmd := exec.Command(path, url)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("%s %s: %w", name, url, err)
			}
		case <-time.After(openerWait):
		}
		return nil
	}
	return errors.New("neither xdg-open nor open is on PATH")
}
