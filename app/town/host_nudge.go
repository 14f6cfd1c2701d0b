package town

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gastown/gt/ptyhost"
)

// nudgeJob is one text to type into a pane.
type nudgeJob struct {
	text string
	mode string
	from string
}

// nudgeWorker types one session's nudges in order (spec §5.9). Jobs wait
// for the beacon; wait-idle jobs wait up to 15 s for 1.5 s of quiet and are
// otherwise moved to the agent's file queue, which is drained when the
// session is quiet (the state loop kicks the worker) or right after the
// beacon.
type nudgeWorker struct {
	h *Host
	e *hostEntry

	mu    sync.Mutex
	jobs  []nudgeJob
	drain bool
	busy  bool
	wake  chan struct{}
}

func newNudgeWorker(h *Host, e *hostEntry) *nudgeWorker {
	return &nudgeWorker{h: h, e: e, wake: make(chan struct{}, 1)}
}

// push queues a job.
func (w *nudgeWorker) push(j nudgeJob) {
	w.mu.Lock()
	w.jobs = append(w.jobs, j)
	w.mu.Unlock()
	w.signal()
}

// kick asks the worker to drain the agent's file queue.
func (w *nudgeWorker) kick() {
	w.mu.Lock()
	w.drain = true
	w.mu.Unlock()
	w.signal()
}

func (w *nudgeWorker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// idle reports whether the worker has nothing queued or under way.
func (w *nudgeWorker) idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.busy && len(w.jobs) == 0 && !w.drain
}

func (w *nudgeWorker) run(ctx context.Context) {
	select {
	case <-w.e.beaconCh:
	case <-ctx.Done():
		w.requeueAll()
		return
	}
	for {
		for {
			w.mu.Lock()
			if len(w.jobs) == 0 {
				drain := w.drain
				w.drain = false
				w.busy = drain
				w.mu.Unlock()
				if drain {
					w.drainQueue(ctx)
					w.mu.Lock()
					w.busy = false
					w.mu.Unlock()
				}
				break
			}
			j := w.jobs[0]
			w.jobs = w.jobs[1:]
			w.busy = true
			w.mu.Unlock()
			w.deliver(ctx, j)
			w.mu.Lock()
			w.busy = false
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			w.requeueAll()
			return
		case <-w.wake:
		}
	}
}

// requeueAll moves jobs still waiting into the file queue, so the next
// session of the agent gets them.
func (w *nudgeWorker) requeueAll() {
	w.mu.Lock()
	jobs := w.jobs
	w.jobs = nil
	w.mu.Unlock()
	for _, j := range jobs {
		w.enqueue(j)
	}
}

func (w *nudgeWorker) enqueue(j nudgeJob) {
	if _, err := EnqueueNudge(w.h.town.Root, w.e.addr, QueuedNudge{From: j.from, Text: j.text, Mode: j.mode}); err != nil {
		w.h.log.Warn("queue nudge", "agent", w.e.addr.String(), "err", err)
	}
}

func (w *nudgeWorker) deliver(ctx context.Context, j nudgeJob) {
	switch j.mode {
	case NudgeQueue:
		w.enqueue(j)
		return
	case NudgeWaitIdle:
		wctx, cancel := context.WithTimeout(ctx, NudgeIdleWait)
		err := w.e.sess.WaitQuiet(wctx, BeaconQuiet)
		cancel()
		if err != nil {
			// Not quiet within 15 s (or gone): it waits in the queue
			// for the next quiet moment or the next session.
			w.enqueue(j)
			return
		}
	}
	w.typeText(ctx, j)
}

// drainQueue types every queued nudge of the agent, oldest first.
func (w *nudgeWorker) drainQueue(ctx context.Context) {
	for ctx.Err() == nil {
		n, ok, err := PopNudge(w.h.town.Root, w.e.addr, w.h.now())
		if err != nil {
			w.h.log.Warn("read nudge queue", "agent", w.e.addr.String(), "err", err)
			return
		}
		if !ok {
			return
		}
		if !w.typeText(ctx, nudgeJob{text: n.Text, mode: n.Mode, from: n.From}) {
			return
		}
	}
}

// typeText types j now; it reports whether the session is still usable.
func (w *nudgeWorker) typeText(ctx context.Context, j nudgeJob) bool {
	err := w.e.sess.TypeText(ctx, j.text)
	switch {
	case err == nil:
		w.h.log.Debug("nudge delivered", "agent", w.e.addr.String())
		return true
	case errors.Is(err, ptyhost.ErrNotSubmitted):
		w.h.nudgeFailed(w.e, j.text)
		return true
	default:
		// The session ended (or the host is closing) first: keep the
		// text for the next session.
		w.enqueue(j)
		return false
	}
}

// Nudge types text into addr's pane exactly as given (callers build it with
// NudgeText) per mode (spec §5.9): immediate now; wait-idle after 1.5 s of
// quiet (at most 15 s, else queued); queue at the next quiet moment. With no
// live session the text waits in .runtime/nudge_queue until one starts.
// Shell panes never get typed text: the UI gets a notice instead and the
// nudge is refused.
func (h *Host) Nudge(ctx context.Context, addr, text, mode string) error {
	_, err := h.nudge(ctx, addr, text, mode)
	return err
}

func (h *Host) nudge(_ context.Context, addr, text, mode string) (queued bool, err error) {
	mode, err = ParseNudgeMode(mode)
	if err != nil {
		return false, err
	}
	a, err := h.parseAgent(addr)
	if err != nil {
		return false, err
	}
	key := a.String()
	h.mu.Lock()
	e := h.agents[key]
	live := e != nil && !e.exited && e.stopping == stopNone && e.sess != nil
	h.mu.Unlock()
	from := senderOfText(text)
	if !live {
		if _, err := EnqueueNudge(h.town.Root, a, QueuedNudge{From: from, Text: text, Mode: mode}); err != nil {
			return false, err
		}
		return true, nil
	}
	if e.rt.NoBeacon {
		msg := fmt.Sprintf("%s runs a shell: not typing %q", key, oneLineText(text))
		h.updates.post(HostUpdate{Kind: UpdateNotice, Agent: key, Text: msg})
		return false, fmt.Errorf("%s runs a shell; nudges are shown as notices, not typed", key)
	}
	e.nudges.push(nudgeJob{text: text, mode: mode, from: from})
	return mode == NudgeQueue, nil
}

// senderOfText reads "<sender>" from "[from <sender>] …" ("" otherwise).
func senderOfText(text string) string {
	const p = "[from "
	if len(text) > len(p) && text[:len(p)] == p {
		for i := len(p); i < len(text); i++ {
			if text[i] == ']' {
				return text[len(p):i]
			}
		}
	}
	return ""
}

// drainQuietQueues kicks the worker of every live, quiet session whose
// file queue holds nudges (called by the state loop).
func (h *Host) drainQuietQueues(live []*hostEntry, now time.Time) {
	for _, e := range live {
		if !e.beaconDelivered() || e.rt.NoBeacon || !e.nudges.idle() {
			continue
		}
		act := e.sess.Activity()
		if act.OutputCount == 0 || now.Sub(act.LastOutput) < BeaconQuiet {
			continue
		}
		if list, err := PendingNudges(h.town.Root, e.addr, now); err == nil && len(list) > 0 {
			e.nudges.kick()
		}
	}
}
