package town

import "sync"

// maxQueuedNotices bounds queued notices and focus requests; the oldest are
// dropped beyond it (they are advisory). Exits are never dropped: there is
// at most one per session start.
const maxQueuedNotices = 64

// updateQueue delivers HostUpdates to one reader without ever blocking the
// host: posts go into coalescing slots and small queues, and a pump
// goroutine hands them to the out channel one at a time. A slow reader
// delays notices; it never makes the host wait and never loses an exit.
type updateQueue struct {
	out    chan HostUpdate
	active bool

	mu      sync.Mutex
	wake    chan struct{}
	done    chan struct{}
	closed  bool
	exits   []HostUpdate
	focus   []HostUpdate
	notices []HostUpdate
	panes   []string // agents with pending output, in arrival order
	paneSet map[string]bool
	agents  bool
	state   bool
}

// newUpdateQueue returns a queue; an inactive one (headless host) drops
// everything and its channel never delivers.
func newUpdateQueue(active bool) *updateQueue {
	q := &updateQueue{out: make(chan HostUpdate), active: active, wake: make(chan struct{}, 1),
		done: make(chan struct{}), paneSet: map[string]bool{}}
	if active {
		go q.pump()
	}
	return q
}

// post queues u (coalescing where its kind allows).
func (q *updateQueue) post(u HostUpdate) {
	if !q.active {
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	switch u.Kind {
	case UpdatePaneOutput:
		if !q.paneSet[u.Agent] {
			q.paneSet[u.Agent] = true
			q.panes = append(q.panes, u.Agent)
		}
	case UpdateAgents:
		q.agents = true
	case UpdateState:
		q.state = true
	case UpdateExit:
		q.exits = append(q.exits, u)
	case UpdateFocus:
		q.focus = appendBounded(q.focus, u)
	default:
		q.notices = appendBounded(q.notices, u)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func appendBounded(list []HostUpdate, u HostUpdate) []HostUpdate {
	if len(list) >= maxQueuedNotices {
		list = append(list[:0], list[1:]...)
	}
	return append(list, u)
}

// next pops the most important pending update: exits, then focus requests,
// agent/state changes, notices, pane output.
func (q *updateQueue) next() (HostUpdate, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case len(q.exits) > 0:
		u := q.exits[0]
		q.exits = q.exits[1:]
		return u, true
	case len(q.focus) > 0:
		u := q.focus[0]
		q.focus = q.focus[1:]
		return u, true
	case q.agents:
		q.agents = false
		return HostUpdate{Kind: UpdateAgents}, true
	case q.state:
		q.state = false
		return HostUpdate{Kind: UpdateState}, true
	case len(q.notices) > 0:
		u := q.notices[0]
		q.notices = q.notices[1:]
		return u, true
	case len(q.panes) > 0:
		a := q.panes[0]
		q.panes = q.panes[1:]
		delete(q.paneSet, a)
		return HostUpdate{Kind: UpdatePaneOutput, Agent: a}, true
	}
	return HostUpdate{}, false
}

func (q *updateQueue) pump() {
	defer close(q.out)
	for {
		u, ok := q.next()
		if !ok {
			select {
			case <-q.wake:
				continue
			case <-q.done:
				return
			}
		}
		select {
		case q.out <- u:
		case <-q.done:
			return
		}
	}
}

// close stops the pump; the out channel is closed.
func (q *updateQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.done)
}
