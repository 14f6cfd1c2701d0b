package dashboard

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// sseFrame is one event-stream frame: its event name, data, or a comment.
type sseFrame struct {
	event, data, comment string
	at                   time.Time
}

// openStream connects to /api/events and delivers frames until the test
// ends.
func openStream(t *testing.T, ts *testServer, query string) <-chan sseFrame {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+"/api/events"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /api/events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	frames := make(chan sseFrame, 100)
	go func() {
		defer resp.Body.Close()
		defer close(frames)
		r := bufio.NewReader(resp.Body)
		var f sseFrame
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				f.at = time.Now()
				frames <- f
				f = sseFrame{}
			case strings.HasPrefix(line, ":"):
				f.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				f.event = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				f.data = line[len("data: "):]
			}
		}
	}()
	return frames
}

// next waits for a frame matching ok, failing after d.
func next(t *testing.T, frames <-chan sseFrame, d time.Duration, what string, ok func(sseFrame) bool) sseFrame {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, open := <-frames:
			if !open {
				t.Fatalf("stream ended while waiting for %s", what)
			}
			if ok(f) {
				return f
			}
		case <-deadline:
			t.Fatalf("no %s within %s", what, d)
		}
	}
}

func isEvent(name string) func(sseFrame) bool {
	return func(f sseFrame) bool { return f.event == name }
}

func TestEventStream(t *testing.T) {
	tw := newTown(t)
	s := openStore(t, tw)
	a := createBead(t, s, models.Bead{Title: "A", Priority: 2}, beads.CreateOpts{})
	b := createBead(t, s, models.Bead{Title: "B", Priority: 2}, beads.CreateOpts{})
	createConvoy(t, s, "AB", a, b)
	// A hooked polecat without a host: its idle time ticks every second,
	// which must not count as a change.
	createBead(t, s, models.Bead{Title: "H", Priority: 2, Status: models.StatusHooked, Assignee: "gastown/polecats/nux"}, beads.CreateOpts{})
	// A 500 ms poll (the default is 1 s, see TestDefaults) keeps the 2 s bound
	// below from flaking on a loaded machine.
	ts := startServer(t, Options{Town: tw, Keepalive: 400 * time.Millisecond, PollInterval: 500 * time.Millisecond})

	frames := openStream(t, ts, "")
	first := next(t, frames, 2*time.Second, "first frame", func(sseFrame) bool { return true })
	if first.event != "connected" {
		t.Fatalf("first frame %+v, want event connected", first)
	}
	next(t, frames, 2*time.Second, "keepalive", func(f sseFrame) bool { return f.comment == "keepalive" && f.event == "" })

	// Nothing changes: only keepalives for 2.5 s.
	quiet := time.After(2500 * time.Millisecond)
wait:
	for {
		select {
		case f := <-frames:
			if f.event != "" {
				t.Fatalf("unexpected %+v while nothing changed", f)
			}
		case <-quiet:
			break wait
		}
	}

	closed := time.Now()
	closeBead(t, s, a)
	up := next(t, frames, 3*time.Second, "dashboard-update", isEvent("dashboard-update"))
	if lag := up.at.Sub(closed); lag > 2*time.Second {
		t.Errorf("dashboard-update %s after the change, want within 2 s", lag)
	}
	if up.data == "" {
		t.Error("dashboard-update has no data")
	}
	// The update carries the hash the page will render.
	_, body := ts.do(t, "GET", "/", "", nil, nil)
	if !strings.Contains(string(body), `data-state-hash="`+up.data+`"`) {
		t.Errorf("page hash differs from the announced %s", up.data)
	}

	// A page rendered before a change learns about it as soon as it
	// connects.
	stale := openStream(t, ts, "?since=0123456789abcdef01234567")
	next(t, stale, 2*time.Second, "connected", isEvent("connected"))
	next(t, stale, 2*time.Second, "dashboard-update for a stale page", isEvent("dashboard-update"))
	// A current page does not.
	current := openStream(t, ts, "?since="+up.data)
	next(t, current, 2*time.Second, "connected", isEvent("connected"))
	select {
	case f := <-current:
		if f.event == "dashboard-update" {
			t.Errorf("a current page got %+v", f)
		}
	case <-time.After(1500 * time.Millisecond):
	}
}

func TestEventStreamRefusesForeignHost(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	resp, body := ts.do(t, "GET", "/api/events", "evil.example:80", nil, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "bad origin") {
		t.Errorf("foreign host: %s %s", resp.Status, body)
	}
	resp, _ = ts.do(t, "POST", "/api/events", "", nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/events: %s", resp.Status)
	}
}

// TestStreamsEndOnShutdown: stopping the server ends open streams.
func TestStreamsEndOnShutdown(t *testing.T) {
	tw := newTown(t)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Options{Town: tw})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	ts := &testServer{srv: s, base: "http://" + ln.Addr().String()}
	frames := openStream(t, ts, "")
	next(t, frames, 2*time.Second, "connected", isEvent("connected"))
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("server did not stop with a stream open")
	}
	select {
	case _, open := <-frames:
		if open {
			for range frames {
			}
		}
	case <-time.After(2 * time.Second):
		t.Error("stream still open after shutdown")
	}
}
