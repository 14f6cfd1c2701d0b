package town

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHost records requests and answers them from canned values.
type fakeHost struct {
	mu       sync.Mutex
	reqs     []HostRequest
	queued   bool
	headless bool
	sessions []SessionRecord
	fail     error // returned by every op when set
}

func (h *fakeHost) record(r HostRequest) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, r)
	return h.fail
}

// set changes the canned answers while the server runs.
func (h *fakeHost) set(fn func(h *fakeHost)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

func (h *fakeHost) requests() []HostRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HostRequest(nil), h.reqs...)
}

func (h *fakeHost) Poke(context.Context) error { return h.record(HostRequest{Op: OpPoke}) }
func (h *fakeHost) Focus(_ context.Context, agent string, zoom bool) error {
	return h.record(HostRequest{Op: OpFocus, Agent: agent, Zoom: zoom})
}
func (h *fakeHost) Nudge(_ context.Context, agent, msg, mode string) (bool, error) {
	err := h.record(HostRequest{Op: OpNudge, Agent: agent, Message: msg, Mode: mode})
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.queued, err
}
func (h *fakeHost) Start(_ context.Context, agent, rt string) error {
	return h.record(HostRequest{Op: OpStart, Agent: agent, Runtime: rt})
}
func (h *fakeHost) Stop(_ context.Context, agent string) error {
	return h.record(HostRequest{Op: OpStop, Agent: agent})
}
func (h *fakeHost) Status(context.Context) (HostStatus, error) {
	if err := h.record(HostRequest{Op: OpStatus}); err != nil {
		return HostStatus{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return HostStatus{PID: 4242, Headless: h.headless, Sessions: h.sessions}, nil
}

// shortRoot returns a temp dir whose socket path stays well under the
// 104/108-byte sun_path limit.
func shortRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gth")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// startFakeHost serves h on <root>/.runtime/host.sock until the test ends.
func startFakeHost(t *testing.T, root string, h HostHandler) {
	t.Helper()
	ln, err := ListenHost(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeHost(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServeHost: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("ServeHost did not stop")
		}
	})
}

func TestHostClientOps(t *testing.T) {
	root := shortRoot(t)
	h := &fakeHost{queued: true, sessions: []SessionRecord{{Agent: "mayor", Runtime: "claude", PID: 7}}}
	startFakeHost(t, root, h)

	st, err := os.Stat(HostSocketPath(root))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode = %v, want socket 0600", st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(root, ".runtime")); st.Mode().Perm() != 0o700 {
		t.Errorf(".runtime mode = %v, want 0700", st.Mode().Perm())
	}

	ctx := context.Background()
	hosted, err := PokeHost(ctx, root)
	if !hosted || err != nil {
		t.Fatalf("PokeHost = %v, %v", hosted, err)
	}
	c := NewHostClient(root)
	rep, err := c.Do(ctx, HostRequest{Op: OpNudge, Agent: "mayor", Message: "[from overseer] hi", Mode: NudgeImmediate})
	if err != nil || !rep.OK || !rep.Queued || rep.V != HostProtoVersion {
		t.Fatalf("nudge reply = %+v, %v", rep, err)
	}
	if _, err := c.Do(ctx, HostRequest{Op: OpFocus, Agent: "mayor", Zoom: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, HostRequest{Op: OpStart, Agent: "r/crew/joe", Runtime: "shell"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, HostRequest{Op: OpStop, Agent: "r/crew/joe"}); err != nil {
		t.Fatal(err)
	}
	hs, err := HostStatusOf(ctx, root)
	if err != nil || hs.PID != 4242 || len(hs.Sessions) != 1 || hs.Sessions[0].Runtime != "claude" {
		t.Fatalf("status = %+v, %v", hs, err)
	}
	want := []HostRequest{
		{Op: OpPoke},
		{Op: OpNudge, Agent: "mayor", Message: "[from overseer] hi", Mode: NudgeImmediate},
		{Op: OpFocus, Agent: "mayor", Zoom: true},
		{Op: OpStart, Agent: "r/crew/joe", Runtime: "shell"},
		{Op: OpStop, Agent: "r/crew/joe"},
		{Op: OpStatus},
	}
	got := h.requests()
	if len(got) != len(want) {
		t.Fatalf("requests = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestHostClientErrors(t *testing.T) {
	root := shortRoot(t)
	h := &fakeHost{}
	startFakeHost(t, root, h)
	ctx := context.Background()
	c := NewHostClient(root)

	cases := []struct {
		req  HostRequest
		want string
	}{
		{HostRequest{Op: "explode"}, `unknown op "explode"`},
		{HostRequest{Op: ""}, "op is required"},
		{HostRequest{Op: OpNudge, Agent: "mayor"}, "nudge: message is required"},
		{HostRequest{Op: OpNudge, Agent: "mayor", Message: "x", Mode: "loud"}, `invalid --mode "loud"`},
		{HostRequest{Op: OpStop}, "stop: agent is required"},
		{HostRequest{Op: OpPoke, V: HostProtoVersion + 1}, "unsupported protocol version"},
	}
	for _, tc := range cases {
		_, err := c.Do(ctx, tc.req)
		var he *HostError
		if !errors.As(err, &he) || !strings.Contains(he.Msg, tc.want) {
			t.Errorf("%+v: err = %v, want host error containing %q", tc.req, err, tc.want)
		}
	}
	if n := len(h.requests()); n != 0 {
		t.Errorf("invalid requests reached the handler %d times", n)
	}

	// A handler error comes back as {"ok":false,"error":…}; PokeHost says
	// hosted (someone answered) and returns it.
	h.set(func(h *fakeHost) { h.fail = errors.New("reconcile busy") })
	hosted, err := PokeHost(ctx, root)
	if !hosted || err == nil || err.Error() != "reconcile busy" {
		t.Fatalf("PokeHost = %v, %v", hosted, err)
	}

	// Raw protocol: garbage and unknown fields are refused with one line.
	for _, line := range []string{"not json\n", `{"op":"poke","bogus":1}` + "\n"} {
		conn, err := net.Dial("unix", HostSocketPath(root))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = conn.Write([]byte(line))
		resp, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rep HostReply
		if json.Unmarshal([]byte(resp), &rep) != nil || rep.OK || !strings.HasPrefix(rep.Error, "bad request") {
			t.Errorf("reply to %q = %q", line, resp)
		}
	}
}

func TestHostClientNoHost(t *testing.T) {
	root := shortRoot(t)
	ctx := context.Background()
	// No socket at all.
	hosted, err := PokeHost(ctx, root)
	if hosted || err != nil {
		t.Fatalf("PokeHost without socket = %v, %v", hosted, err)
	}
	if _, err := NewHostClient(root).Do(ctx, HostRequest{Op: OpStatus}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("Do without socket: %v", err)
	}
	// A stale socket file nobody listens on.
	ln, err := ListenHost(root)
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(HostSocketPath(root)); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	if hosted, err := PokeHost(ctx, root); hosted || err != nil {
		t.Fatalf("PokeHost with stale socket = %v, %v", hosted, err)
	}
}

func TestHostClientTimeout(t *testing.T) {
	root := shortRoot(t)
	if err := os.MkdirAll(filepath.Join(root, ".runtime"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A server that accepts and never answers.
	ln, err := net.Listen("unix", HostSocketPath(root))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	start := time.Now()
	hosted, err := PokeHost(context.Background(), root)
	el := time.Since(start)
	if hosted || err != nil {
		t.Fatalf("PokeHost against a silent server = %v, %v", hosted, err)
	}
	if el < HostClientTimeout-100*time.Millisecond || el > HostClientTimeout+time.Second {
		t.Fatalf("gave up after %v, want about %v", el, HostClientTimeout)
	}
	// A caller's shorter deadline wins.
	c := &HostClient{Socket: HostSocketPath(root), Timeout: 200 * time.Millisecond}
	start = time.Now()
	if _, err := c.Do(context.Background(), HostRequest{Op: OpPoke}); !errors.Is(err, ErrNoHost) {
		t.Fatalf("Do = %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("short timeout took %v", el)
	}
}

func TestServeConnPanickingHandler(t *testing.T) {
	root := shortRoot(t)
	startFakeHost(t, root, &panicHost{})
	_, err := NewHostClient(root).Do(context.Background(), HostRequest{Op: OpPoke})
	var he *HostError
	if !errors.As(err, &he) || !strings.Contains(he.Msg, "internal error") {
		t.Fatalf("err = %v", err)
	}
}

type panicHost struct{ fakeHost }

var _ HostHandler = (*panicHost)(nil)

func (*panicHost) Poke(context.Context) error { panic("boom") }

func TestServeConnRefusesUnverifiablePeer(t *testing.T) {
	// net.Pipe has no peer credentials: the request must not reach the
	// handler (spec R9: same-uid peers only).
	srv, cli := net.Pipe()
	h := &fakeHost{}
	done := make(chan struct{})
	go func() { ServeConn(context.Background(), srv, h); close(done) }()
	_ = cli.SetDeadline(time.Now().Add(5 * time.Second))
	go func() { _, _ = cli.Write([]byte(`{"op":"poke"}` + "\n")) }()
	line, err := bufio.NewReader(cli).ReadString('\n')
	cli.Close()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	var rep HostReply
	if json.Unmarshal([]byte(line), &rep) != nil || rep.OK || !strings.Contains(rep.Error, "not a unix socket") {
		t.Fatalf("reply = %q", line)
	}
	if len(h.requests()) != 0 {
		t.Fatal("handler ran for an unverified peer")
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{`{"op":"poke"}`, `{"v":1,"op":"nudge","agent":"mayor","message":"hi","mode":"queue"}`,
		`{"op":"focus","agent":"mayor","zoom":true}`, `{"op":`, "\x00\xff", `{"op":"start","agent":"x","runtime":"claude"}` + "\n{}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		req, err := readRequest(strings.NewReader(in))
		if err != nil {
			return
		}
		if verr := req.Validate(); verr != nil {
			t.Fatalf("readRequest accepted an invalid request %+v: %v", req, verr)
		}
		// A valid request always dispatches to exactly one handler call.
		h := &fakeHost{}
		rep := dispatch(context.Background(), req, h)
		if !rep.OK || len(h.requests()) != 1 || h.requests()[0].Op != req.Op {
			t.Fatalf("dispatch(%+v) = %+v, calls %+v", req, rep, h.requests())
		}
	})
}
