package town

import (
	"context"
	"fmt"

	"github.com/gastown/gt/models"
)

// hostServer answers the socket protocol (hostproto.go) for a Host.
type hostServer struct{ h *Host }

var _ HostHandler = hostServer{}

// Poke asks for a reconcile (and refinery) pass without waiting for it.
func (s hostServer) Poke(context.Context) error {
	s.h.Poke()
	return nil
}

// Focus forwards a focus request to the UI; a headless host refuses it.
func (s hostServer) Focus(_ context.Context, agent string, zoom bool) error {
	if s.h.opts.Headless {
		return fmt.Errorf("the host (pid %d) is headless; open gt in a terminal", s.h.pid)
	}
	a, err := s.h.parseAgent(agent)
	if err != nil {
		return err
	}
	if a == models.MayorAddress {
		// gt mayor attach marked the Mayor wanted: start it now.
		s.h.Poke()
	}
	s.h.updates.post(HostUpdate{Kind: UpdateFocus, Agent: a.String(), Zoom: zoom})
	return nil
}

// Nudge types (or queues) text for agent.
func (s hostServer) Nudge(ctx context.Context, agent, message, mode string) (bool, error) {
	return s.h.nudge(ctx, agent, message, mode)
}

// Start starts (or restarts an exited) session. The reply must come within
// the client's 2 s, so the spawn runs on its own; a failure to start shows
// as an exited session with its ✗ message.
func (s hostServer) Start(_ context.Context, agent, runtime string) error {
	a, err := s.h.parseAgent(agent)
	if err != nil {
		return err
	}
	s.h.mu.Lock()
	e := s.h.agents[a.String()]
	s.h.mu.Unlock()
	if e != nil && !e.exited && e.stopping == stopNone {
		return fmt.Errorf("%s is already running (pid %d)", a, e.pid())
	}
	s.h.goLoop("start "+a.String(), func(ctx context.Context) {
		if err := s.h.StartAgent(ctx, a.String(), runtime); err != nil {
			s.h.log.Warn("start requested over the socket", "agent", a.String(), "err", err)
		}
	})
	return nil
}

// Stop ends agent's session. The process gets SIGHUP now and SIGKILL after
// the grace period, which may exceed the client's 2 s, so the reply does not
// wait for the exit; a start that follows waits for it instead.
func (s hostServer) Stop(_ context.Context, agent string) error {
	a, err := s.h.parseAgent(agent)
	if err != nil {
		return err
	}
	s.h.mu.Lock()
	e := s.h.agents[a.String()]
	if e != nil && e.stopping == stopNone && !e.exited {
		e.stopping = stopUser
	}
	s.h.mu.Unlock()
	if e == nil {
		return fmt.Errorf("%s has no session", a)
	}
	s.h.goLoop("stop "+a.String(), func(ctx context.Context) {
		s.h.endEntry(context.WithoutCancel(ctx), e, stopUser)
	})
	return nil
}

// Status reports the host and its sessions.
func (s hostServer) Status(context.Context) (HostStatus, error) {
	return s.h.status(), nil
}
