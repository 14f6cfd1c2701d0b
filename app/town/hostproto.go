package town

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Host socket protocol (spec §5.4): a client connects to
// <town>/.runtime/host.sock, writes one JSON request line and reads one JSON
// reply line. Replies are {"ok":true,…} or {"ok":false,"error":"…"}.

// HostProtoVersion is the protocol version clients send in "v". A request
// without "v" is treated as version 1; a newer version than the server
// knows is refused.
const HostProtoVersion = 1

// Host operations.
const (
	OpPoke   = "poke"   // reconcile desired sessions now
	OpFocus  = "focus"  // {agent, zoom}: focus (and zoom) a pane in the TUI
	OpNudge  = "nudge"  // {agent, message, mode}: type text into a pane
	OpStart  = "start"  // {agent, runtime?}: start (or restart an exited) session
	OpStop   = "stop"   // {agent}: end a session
	OpStatus = "status" // host pid, headless flag, sessions
)

// Nudge modes (spec §5.9).
const (
	NudgeWaitIdle  = "wait-idle"
	NudgeQueue     = "queue"
	NudgeImmediate = "immediate"
)

// maxHostLine bounds one request or reply line.
const maxHostLine = 1 << 20

// HostRequest is one request line.
type HostRequest struct {
	V       int    `json:"v,omitempty"`
	Op      string `json:"op"`
	Agent   string `json:"agent,omitempty"`
	Zoom    bool   `json:"zoom,omitempty"`
	Message string `json:"message,omitempty"`
	Mode    string `json:"mode,omitempty"`
	Runtime string `json:"runtime,omitempty"`
}

// HostReply is one reply line. Fields beyond ok/error are filled by the op
// that uses them: nudge sets Queued, status sets PID, Headless and Sessions.
type HostReply struct {
	OK       bool            `json:"ok"`
	Error    string          `json:"error,omitempty"`
	V        int             `json:"v,omitempty"`
	Queued   bool            `json:"queued,omitempty"`
	PID      int             `json:"pid,omitempty"`
	Headless bool            `json:"headless,omitempty"`
	Sessions []SessionRecord `json:"sessions,omitempty"`
}

// Validate checks a request's op and the fields that op needs.
func (r HostRequest) Validate() error {
	if r.V > HostProtoVersion {
		return fmt.Errorf("unsupported protocol version %d (host speaks %d)", r.V, HostProtoVersion)
	}
	switch r.Op {
	case OpPoke, OpStatus:
		return nil
	case OpFocus, OpStart, OpStop:
		if strings.TrimSpace(r.Agent) == "" {
			return fmt.Errorf("%s: agent is required", r.Op)
		}
		return nil
	case OpNudge:
		if strings.TrimSpace(r.Agent) == "" {
			return errors.New("nudge: agent is required")
		}
		if r.Message == "" {
			return errors.New("nudge: message is required")
		}
		if _, err := ParseNudgeMode(r.Mode); err != nil {
			return fmt.Errorf("nudge: %w", err)
		}
		return nil
	case "":
		return errors.New("op is required")
	}
	return fmt.Errorf("unknown op %q", r.Op)
}

// ParseNudgeMode validates a nudge mode; "" means wait-idle.
func ParseNudgeMode(m string) (string, error) {
	switch m {
	case "":
		return NudgeWaitIdle, nil
	case NudgeWaitIdle, NudgeQueue, NudgeImmediate:
		return m, nil
	}
	return "", fmt.Errorf("invalid --mode %q (expected wait-idle, queue or immediate)", m)
}

// HostStatus is what the status op reports.
type HostStatus struct {
	PID      int
	Headless bool
	Sessions []SessionRecord
}

// HostHandler is implemented by the host: one method per op. ServeConn
// decodes and validates the request, calls the method and encodes the
// reply, so a handler never deals with the wire format. An error becomes
// {"ok":false,"error":<message>}.
type HostHandler interface {
	// Poke asks for a reconcile pass (it should not wait for it to finish).
	Poke(ctx context.Context) error
	// Focus focuses (and with zoom, zooms) the agent's pane.
	Focus(ctx context.Context, agent string, zoom bool) error
	// Nudge types message into the agent's pane per mode, or queues it
	// (queued true) when the agent has no live session.
	Nudge(ctx context.Context, agent, message, mode string) (queued bool, err error)
	// Start starts the agent's session (runtime "" = its resolved runtime),
	// or restarts it if it exited.
	Start(ctx context.Context, agent, runtime string) error
	// Stop ends the agent's session.
	Stop(ctx context.Context, agent string) error
	// Status reports the host and its sessions.
	Status(ctx context.Context) (HostStatus, error)
}

// hostIOTimeout bounds how long the server waits for a request line and for
// its reply to be written; handlers are given the same budget.
const hostIOTimeout = 5 * time.Second

// ServeConn answers one request on conn and closes it: it checks that the
// peer runs as the same uid (spec R9), reads one line, dispatches it to h
// and writes one reply line.
func ServeConn(ctx context.Context, conn net.Conn, h HostHandler) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(hostIOTimeout))
	if err := checkPeer(conn); err != nil {
		writeReply(conn, HostReply{Error: err.Error()})
		return
	}
	req, err := readRequest(conn)
	if err != nil {
		writeReply(conn, HostReply{Error: err.Error()})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, hostIOTimeout)
	defer cancel()
	writeReply(conn, dispatch(ctx, req, h))
}

// readRequest reads and validates one request line.
func readRequest(r io.Reader) (HostRequest, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxHostLine+1), 4096)
	line, err := br.ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		if len(line) > maxHostLine {
			return HostRequest{}, errors.New("request line too long")
		}
		return HostRequest{}, fmt.Errorf("read request: %w", err)
	}
	var req HostRequest
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return HostRequest{}, fmt.Errorf("bad request: %w", err)
	}
	if err := req.Validate(); err != nil {
		return HostRequest{}, err
	}
	return req, nil
}

// dispatch runs one validated request against h.
func dispatch(ctx context.Context, req HostRequest, h HostHandler) (rep HostReply) {
	defer func() {
		// A handler bug must not take the host down with it.
		if p := recover(); p != nil {
			rep = HostReply{Error: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	var err error
	switch req.Op {
	case OpPoke:
		err = h.Poke(ctx)
	case OpFocus:
		err = h.Focus(ctx, req.Agent, req.Zoom)
	case OpNudge:
		mode, _ := ParseNudgeMode(req.Mode)
		rep.Queued, err = h.Nudge(ctx, req.Agent, req.Message, mode)
	case OpStart:
		err = h.Start(ctx, req.Agent, req.Runtime)
	case OpStop:
		err = h.Stop(ctx, req.Agent)
	case OpStatus:
		var st HostStatus
		st, err = h.Status(ctx)
		rep.PID, rep.Headless, rep.Sessions = st.PID, st.Headless, st.Sessions
	}
	if err != nil {
		return HostReply{Error: err.Error(), V: HostProtoVersion}
	}
	rep.OK, rep.V = true, HostProtoVersion
	return rep
}

func writeReply(w io.Writer, rep HostReply) {
	b, err := json.Marshal(rep)
	if err != nil {
		b = []byte(`{"ok":false,"error":"encode reply"}`)
	}
	_, _ = w.Write(append(b, '\n'))
}

// HostSocketPath is <town>/.runtime/host.sock.
func HostSocketPath(townRoot string) string { return filepath.Join(townRoot, ".runtime", "host.sock") }

// ListenHost creates <town>/.runtime (0700) and listens on host.sock with
// mode 0600, replacing a stale socket file. Only the host (which holds
// host.lock) may call it, so removing an existing socket is safe.
func ListenHost(townRoot string) (*net.UnixListener, error) {
	dir := filepath.Join(townRoot, ".runtime")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("chmod %s: %w", dir, err)
	}
	path := HostSocketPath(townRoot)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale %s: %w", path, err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, nil
}

// ServeHost accepts connections on ln until ctx ends or ln is closed,
// answering each with ServeConn on its own goroutine. It closes ln when ctx
// is done and returns nil then.
func ServeHost(ctx context.Context, ln net.Listener, h HostHandler) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("accept: %w", err)
		}
		go ServeConn(ctx, conn, h)
	}
}
