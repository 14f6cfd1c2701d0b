package dashboard

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// browserOpeners are the programs tried, in order, to open a URL: open on
// macOS, xdg-open elsewhere (on Linux "open" may be openvt).
func browserOpeners(goos string) []string {
	if goos == "darwin" {
		return []string{"open"}
	}
	return []string{"xdg-open"}
}

// openerWait is how long OpenBrowser waits for the opener to report
// failure before assuming the browser is on its way.
const openerWait = 5 * time.Second

// OpenBrowser opens url with xdg-open (Linux) or open (macOS), passing the
// URL as one argument. It fails if neither exists or the opener exits with
// an error within a few seconds; an opener still running then is left to
// finish in the background.
func OpenBrowser(ctx context.Context, url string) error {
	return openWith(ctx, exec.LookPath, browserOpeners(runtime.GOOS), url)
}

// openWith is OpenBrowser with an injectable PATH lookup.
func openWith(_ context.Context, lookPath func(string) (string, error), openers []string, url string) error {
	for _, name := range openers {
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
	return fmt.Errorf("%s is not on PATH", strings.Join(openers, " or "))
}
