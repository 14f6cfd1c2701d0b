package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// subscriber is one open event stream. seen is the state hash it was last
// told about; pending carries the newest hash to announce (a capacity-1
// mailbox: announcements coalesce, the stream only needs the latest).
type subscriber struct {
	seen    string
	primed  bool
	pending chan string
}

// hub recomputes the state hash while at least one page listens and tells
// every page whose last known hash differs.
type hub struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
	wake chan struct{}
}

func newHub() *hub {
	return &hub{subs: map[*subscriber]struct{}{}, wake: make(chan struct{}, 1)}
}

// subscribe registers a stream. since is the hash of the page the stream
// belongs to; when empty, the first hash computed is taken as known.
func (h *hub) subscribe(since string) *subscriber {
	sub := &subscriber{seen: since, primed: since != "", pending: make(chan string, 1)}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return sub
}

func (h *hub) unsubscribe(sub *subscriber) {
	h.mu.Lock()
	delete(h.subs, sub)
	h.mu.Unlock()
}

func (h *hub) listening() bool { return h.subscribers() > 0 }

// subscribers is the number of open event streams.
func (h *hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// publish tells every subscriber that has not seen hash about it.
func (h *hub) publish(hash string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		if !sub.primed {
			sub.seen, sub.primed = hash, true
			continue
		}
		if sub.seen == hash {
			continue
		}
		sub.seen = hash
		select {
		case <-sub.pending:
		default:
		}
		sub.pending <- hash
	}
}

// run polls the state hash every interval while anyone listens, and at once
// when a stream subscribes.
func (h *hub) run(ctx context.Context, interval time.Duration, hash func(context.Context) (string, error), log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.wake:
		}
		if !h.listening() {
			continue
		}
		sum, err := hash(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("dashboard state hash", "err", err)
			}
			continue
		}
		h.publish(sum)
	}
}

// handleEvents serves GET /api/events: `event: connected` first, then
// `event: dashboard-update` whenever the state hash changes, and a
// `: keepalive` comment every keepalive interval.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// A stream outlives the server's read and write timeouts by design.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	sub := s.hub.subscribe(r.URL.Query().Get("since"))
	defer s.hub.unsubscribe(sub)
	if !s.send(w, rc, "event: connected\ndata: {}\n\n") {
		return
	}
	keep := time.NewTicker(s.keepalive)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case h := <-sub.pending:
			if !s.send(w, rc, fmt.Sprintf("event: dashboard-update\ndata: %s\n\n", h)) {
				return
			}
		case <-keep.C:
			if !s.send(w, rc, ": keepalive\n\n") {
				return
			}
		}
	}
}

// send writes and flushes one SSE frame; false means the client is gone.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, frame string) bool {
	if _, err := fmt.Fprint(w, frame); err != nil {
		return false
	}
	return rc.Flush() == nil
}
