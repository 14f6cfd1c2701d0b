package dashboard

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// chromiumPath is Debian's Chromium, installed by .ci/run. Outside CI a
// machine without it skips the browser test; in CI its absence fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	const p = "/usr/bin/chromium"
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI must have chromium (.ci/run installs it): %v", err)
		}
		t.Skipf("%s is not installed", p)
	}
	return p
}

// asStep drops an action's result so it can run among other steps.
func asStep[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := a(ctx, t)
		return err
	})
}

// consoleLog collects what the page writes to its console.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *consoleLog) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

// errors returns the errors and exceptions seen so far. The one expected
// failure is the browser's network log line for the 409 that asks the
// palette to confirm (the page then re-sends with confirmed:true).
func (c *consoleLog) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Source == "network" && strings.Contains(m.Text, "status of 409 (Conflict)") && strings.HasSuffix(m.URL, "/api/run") {
			continue
		}
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

// newBrowser starts headless Chromium with the flags this machine needs
// (no sandbox, no GPU, no background networking, a fresh profile) and
// collects its console. Everything stops when the test ends.
func newBrowser(t *testing.T, chromium string) (context.Context, *consoleLog) {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancel := context.WithTimeout(tabCtx, 2*time.Minute)
	console := &consoleLog{}
	messages := chromedp.Console(tabCtx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()
	t.Cleanup(func() {
		cancel()
		cancelTab()
		<-consoleDone
		cancelAlloc() // kills Chromium and waits for it
	})
	return ctx, console
}

// TestBrowserEndToEnd drives the page in headless Chromium: it loads with
// no console errors, shows the town's convoy, follows a bead closing
// through server-sent events, runs `convoy list` from the palette, and
// runs a confirm-required command through the confirm dialog.
func TestBrowserEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	chromium := chromiumPath(t)

	tw := newTown(t)
	s := openStore(t, tw)
	a := createBead(t, s, models.Bead{Title: "Wire the fuel pump", Priority: 1}, beads.CreateOpts{})
	b := createBead(t, s, models.Bead{Title: "Paint the war rig", Priority: 2}, beads.CreateOpts{})
	convoy := createConvoy(t, s, "Work: Wire the fuel pump (+1 more)", a, b)
	ts := startServer(t, Options{Town: tw, Keepalive: 2 * time.Second})

	ctx, console := newBrowser(t, chromium)

	// within runs steps with their own bound, so a missing update fails
	// fast with a clear message instead of hanging.
	within := func(d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, stop := context.WithTimeout(ctx, d)
		defer stop()
		if err := chromedp.Do(c, steps...); err != nil {
			status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#palette-status")))
			out, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#palette-output")))
			t.Fatalf("%s: %v\npalette: %s\n%s\nconsole: %v", what, err, status, out, console.errors())
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	convoySel := "#convoy-" + convoy

	// The page loads and shows the town's convoy.
	within(60*time.Second, "load the page",
		chromedp.Navigate(ts.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(convoySel)),
	)
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || title != "Gas Town Dashboard" {
		t.Errorf("title %q %v", title, err)
	}
	if got := text(convoySel + " .progress-text"); got != "0/2" {
		t.Errorf("progress %q, want 0/2", got)
	}
	if got := text(convoySel + " .title"); got != "Work: Wire the fuel pump (+1 more)" {
		t.Errorf("convoy title %q", got)
	}
	for _, id := range []string{a, b} {
		if got := text(convoySel + ` li[data-bead-id="` + id + `"]`); !strings.Contains(got, id) {
			t.Errorf("tracked bead %s shows %q", id, got)
		}
	}
	// The event stream connects.
	within(15*time.Second, "SSE connects", chromedp.WaitVisible(chromedp.CSS("#live-status.up")))

	// A bead closes in the store; the page follows through SSE, well
	// before the 30 s fallback could.
	closeBead(t, s, a)
	within(10*time.Second, "progress after a bead closed",
		chromedp.WaitVisible(chromedp.CSS(convoySel+` .progress-text[data-completed="1"]`)))
	if got := text(convoySel + " .progress-text"); got != "1/2" {
		t.Errorf("progress %q, want 1/2", got)
	}
	if got := text(convoySel + ` li[data-bead-id="` + a + `"] .mark`); got != "✓" {
		t.Errorf("closed bead mark %q", got)
	}

	// The palette runs convoy list through /api/run.
	within(30*time.Second, "run convoy list",
		chromedp.SendKeys(chromedp.CSS("#palette-input"), "convoy list"),
		chromedp.Click(chromedp.CSS("#palette-run")),
		chromedp.WaitVisible(chromedp.CSS("#palette-output.ok")),
	)
	if out := text("#palette-output"); !strings.Contains(out, convoy) {
		t.Errorf("convoy list output %q lacks %s", out, convoy)
	}
	if st := text("#palette-status"); !strings.Contains(st, "exit 0") {
		t.Errorf("palette status %q", st)
	}

	// A confirm-required command asks first, then runs confirmed; closing
	// the last bead lands the convoy, which the page shows.
	within(30*time.Second, "bd close asks for confirmation",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("palette-input").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#palette-input"), "bd close "+b),
		chromedp.Click(chromedp.CSS("#palette-run")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-dialog[open]")),
	)
	if got := text("#confirm-command"); got != "gt bd close "+b {
		t.Errorf("confirm dialog names %q", got)
	}
	within(30*time.Second, "confirmed bd close runs",
		chromedp.Click(chromedp.CSS("#confirm-ok")),
		chromedp.WaitNotPresent(chromedp.CSS("#confirm-dialog[open]")),
		asStep(chromedp.Poll[bool](`document.getElementById("palette-output").textContent.includes("Closed `+b+`")`)),
	)
	within(10*time.Second, "the convoy lands", chromedp.WaitVisible(chromedp.CSS(convoySel+".landed")))
	if got := text(convoySel + " .progress-text"); got != "2/2" {
		t.Errorf("landed progress %q", got)
	}
	if got, _ := openStore(t, tw).Get(t.Context(), b); got == nil || got.Status != models.StatusClosed || got.CreatedBy != "overseer" {
		t.Errorf("bead %s after the palette closed it: %+v", b, got)
	}

	if errs := console.errors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// TestBrowserFallbackWithoutSSE: with the event stream blocked, the page
// says it is offline and still follows changes by refreshing itself on the
// fallback timer (30 s in production, 1 s here).
func TestBrowserFallbackWithoutSSE(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	chromium := chromiumPath(t)
	tw := newTown(t)
	s := openStore(t, tw)
	a := createBead(t, s, models.Bead{Title: "Fix the harpoon", Priority: 2}, beads.CreateOpts{})
	b := createBead(t, s, models.Bead{Title: "Load the guzzoline", Priority: 2}, beads.CreateOpts{})
	convoy := createConvoy(t, s, "Fallback", a, b)
	ts := startServer(t, Options{Town: tw, Fallback: time.Second})
	ctx, console := newBrowser(t, chromium)

	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/api/events*", Block: true}},
	}); err != nil {
		t.Fatal(err)
	}
	step := func(d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, stop := context.WithTimeout(ctx, d)
		defer stop()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s: %v (console: %v)", what, err, console.errors())
		}
	}
	sel := "#convoy-" + convoy
	step(60*time.Second, "load the page", chromedp.Navigate(ts.base+"/"), chromedp.WaitVisible(chromedp.CSS(sel)))
	step(15*time.Second, "page notices SSE is down", chromedp.WaitVisible(chromedp.CSS("#live-status.down")))
	if got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#live-status"))); err != nil || got != "offline: refreshing every 1 s" {
		t.Errorf("live status %q %v", got, err)
	}
	closeBead(t, s, a)
	step(10*time.Second, "fallback refresh shows the closed bead",
		chromedp.WaitVisible(chromedp.CSS(sel+` .progress-text[data-completed="1"]`)))
	if n := ts.srv.hub.subscribers(); n != 0 {
		t.Errorf("%d event streams reached the server although SSE was blocked", n)
	}
}

// TestBrowserStaleToken: a page whose token no longer matches (the
// dashboard restarted) fetches the current one and runs the command.
func TestBrowserStaleToken(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test")
	}
	chromium := chromiumPath(t)
	ts := startServer(t, Options{Town: newTown(t)})
	ctx, console := newBrowser(t, chromium)
	c, stop := context.WithTimeout(ctx, 60*time.Second)
	defer stop()
	err := chromedp.Do(c,
		chromedp.Navigate(ts.base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#palette-input")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('meta[name="dashboard-token"]').setAttribute("content", "stale")`),
		chromedp.SendKeys(chromedp.CSS("#palette-input"), "version"),
		chromedp.Click(chromedp.CSS("#palette-run")),
		chromedp.WaitVisible(chromedp.CSS("#palette-output.ok")),
	)
	if err != nil {
		t.Fatalf("run with a stale token: %v (console %v)", err, console.errors())
	}
	out, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#palette-output")))
	if err != nil || !strings.HasPrefix(out, "gt version ") {
		t.Errorf("output %q %v", out, err)
	}
	tok, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('meta[name="dashboard-token"]').getAttribute("content")`))
	if err != nil || tok != ts.srv.Token() {
		t.Errorf("token after refresh %q %v", tok, err)
	}
}
