package ptyhost

import (
	"strconv"
	"syscall"
	"time"
	"unicode/utf8"
)

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// EventOutput: the application printed something (coalesced: one pending
	// at a time, carrying the latest time, and at most one every 250 ms;
	// Session.Changed signals every change).
	EventOutput EventKind = iota + 1
	// EventTitle: the OSC 0/2 title changed (coalesced to the latest).
	EventTitle
	// EventBell: BEL outside any string sequence (coalesced; Count says how many).
	EventBell
	// EventNotification: OSC 9 or OSC 777;notify.
	EventNotification
	// EventExit: the process ended. Always delivered, always last; the
	// channel is closed after it.
	EventExit
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case EventOutput:
		return "output"
	case EventTitle:
		return "title"
	case EventBell:
		return "bell"
	case EventNotification:
		return "notification"
	case EventExit:
		return "exit"
	default:
		return "event(" + strconv.Itoa(int(k)) + ")"
	}
}

// TitleState classifies an agent's window title.
type TitleState uint8

// Title states.
const (
	TitleNone    TitleState = iota // empty title
	TitleOther                     // a title with no known status glyph
	TitleSpinner                   // starts with a spinner glyph: the agent is working
	TitleIdle                      // starts with ✳: the agent is idle
)

// String names the state.
func (t TitleState) String() string {
	switch t {
	case TitleOther:
		return "other"
	case TitleSpinner:
		return "spinner"
	case TitleIdle:
		return "idle"
	default:
		return "none"
	}
}

// ClassifyTitle reads the status glyph agent CLIs put first in their title:
// a braille spinner (U+2800–U+28FF) or one of ✶✻✽✢·* means working, ✳ idle.
func ClassifyTitle(title string) TitleState {
	if title == "" {
		return TitleNone
	}
	r, _ := utf8.DecodeRuneInString(title)
	switch {
	case r >= 0x2800 && r <= 0x28ff:
		return TitleSpinner
	case r == '✶' || r == '✻' || r == '✽' || r == '✢' || r == '·' || r == '*':
		return TitleSpinner
	case r == '✳':
		return TitleIdle
	default:
		return TitleOther
	}
}

// ExitStatus is how a process ended.
type ExitStatus struct {
	// Code is the exit code, or 128+signal when killed by a signal (the
	// shell convention), or -1 when unknown.
	Code int
	// Signal is the signal that killed the process, 0 if it exited.
	Signal syscall.Signal
}

// String formats the status like a shell would describe it.
func (e ExitStatus) String() string {
	if e.Signal != 0 {
		return "killed by " + e.Signal.String()
	}
	return "exit " + strconv.Itoa(e.Code)
}

// Event is a state signal from a session.
type Event struct {
	Kind         EventKind
	Time         time.Time
	Title        string       // EventTitle
	TitleState   TitleState   // EventTitle
	Count        int          // EventBell: bells coalesced into this event
	Notification Notification // EventNotification
	Exit         ExitStatus   // EventExit
}

// maxQueuedEvents bounds the event queue when nobody reads it; only
// notifications can pile up (everything else coalesces), and the oldest of
// them are dropped first. Their count stays in Activity.
const maxQueuedEvents = 256

// eventQueue coalesces and buffers events between the reader goroutine and
// the consumer of Events().
type eventQueue struct {
	q []Event
}

func (e *eventQueue) push(ev Event) {
	for i := range e.q {
		p := &e.q[i]
		if p.Kind != ev.Kind {
			continue
		}
		switch ev.Kind {
		case EventOutput:
			p.Time = ev.Time
			return
		case EventTitle:
			*p = ev
			return
		case EventBell:
			p.Time = ev.Time
			p.Count += ev.Count
			return
		}
	}
	if len(e.q) >= maxQueuedEvents && ev.Kind != EventExit {
		for i := range e.q {
			if e.q[i].Kind == EventNotification {
				e.q = append(e.q[:i], e.q[i+1:]...)
				break
			}
		}
		if len(e.q) >= maxQueuedEvents {
			return
		}
	}
	e.q = append(e.q, ev)
}

func (e *eventQueue) pop() (Event, bool) {
	if len(e.q) == 0 {
		return Event{}, false
	}
	ev := e.q[0]
	e.q[0] = Event{}
	e.q = e.q[1:]
	return ev, true
}
