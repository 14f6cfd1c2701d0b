package town

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ErrNoHost means no host answered on the town's socket: none is running,
// the socket is stale, or the host did not answer within the client
// timeout. Callers take the "no host" path (spec §5.4).
var ErrNoHost = errors.New("no gt host running")

// HostClientTimeout is how long a client waits for the whole exchange.
const HostClientTimeout = 2 * time.Second

// HostError is a host's {"ok":false,"error":…} reply.
type HostError struct{ Msg string }

func (e *HostError) Error() string { return e.Msg }

// HostClient talks to one town's host socket.
type HostClient struct {
	// Socket is the path of host.sock.
	Socket string
	// Timeout bounds dial, write and read together; 0 means
	// HostClientTimeout.
	Timeout time.Duration
}

// NewHostClient returns a client for the town rooted at townRoot.
func NewHostClient(townRoot string) *HostClient {
	return &HostClient{Socket: HostSocketPath(townRoot), Timeout: HostClientTimeout}
}

// Do sends req and returns the host's reply. It returns ErrNoHost (wrapped)
// when nobody answers in time, and a *HostError when the host refused the
// request.
func (c *HostClient) Do(ctx context.Context, req HostRequest) (HostReply, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = HostClientTimeout
	}
	if req.V == 0 {
		req.V = HostProtoVersion
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.Socket)
	if err != nil {
		return HostReply{}, fmt.Errorf("%w (%v)", ErrNoHost, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	// Closing the connection when ctx ends unblocks a read or write early.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	line, err := json.Marshal(req)
	if err != nil {
		return HostReply{}, fmt.Errorf("encode host request: %w", err)
	}
	if _, err := conn.Write(append(line, '\n')); err != nil {
		return HostReply{}, fmt.Errorf("%w (write: %v)", ErrNoHost, err)
	}
	br := bufio.NewReader(io.LimitReader(conn, maxHostLine+1))
	resp, err := br.ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(resp) > 0) {
		return HostReply{}, fmt.Errorf("%w (read: %v)", ErrNoHost, err)
	}
	var rep HostReply
	if err := json.Unmarshal(resp, &rep); err != nil {
		return HostReply{}, fmt.Errorf("bad reply from host: %w", err)
	}
	if !rep.OK {
		msg := rep.Error
		if msg == "" {
			msg = "host refused the request"
		}
		return rep, &HostError{Msg: msg}
	}
	return rep, nil
}

// PokeHost asks the town's host to reconcile now. hosted is false (and err
// nil) when no host answers; err is the host's refusal otherwise.
func PokeHost(ctx context.Context, townRoot string) (hosted bool, err error) {
	_, err = NewHostClient(townRoot).Do(ctx, HostRequest{Op: OpPoke})
	if errors.Is(err, ErrNoHost) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return true, nil
}

// HostStatusOf asks the town's host for its status; ErrNoHost without one.
func HostStatusOf(ctx context.Context, townRoot string) (HostStatus, error) {
	rep, err := NewHostClient(townRoot).Do(ctx, HostRequest{Op: OpStatus})
	if err != nil {
		return HostStatus{}, err
	}
	return HostStatus{PID: rep.PID, Headless: rep.Headless, Sessions: rep.Sessions}, nil
}
