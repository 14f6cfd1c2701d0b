package ptyhost

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// DeliveryTiming tunes TypeText (spec §5.9). Zero fields take the defaults.
type DeliveryTiming struct {
	// SubmitDelay separates the text from the CR that submits it (300 ms).
	SubmitDelay time.Duration
	// RetryAfter is how long to wait for output after a CR before checking
	// whether the text is still sitting in the input (3 s).
	RetryAfter time.Duration
	// MaxRetries is how many times the CR is resent (2).
	MaxRetries int
}

func (d DeliveryTiming) withDefaults() DeliveryTiming {
	if d.SubmitDelay <= 0 {
		d.SubmitDelay = 300 * time.Millisecond
	}
	if d.RetryAfter <= 0 {
		d.RetryAfter = 3 * time.Second
	}
	if d.MaxRetries <= 0 {
		d.MaxRetries = 2
	}
	return d
}

type deliveryJob struct {
	ctx  context.Context
	text string
	done chan error
}

// TypeText types text into the pane and submits it (spec §5.9): one
// bracketed paste if the application enabled mode 2004, else the raw text
// with line breaks turned into spaces; SubmitDelay later a separate CR. If
// RetryAfter later the pane printed nothing and the text still shows on its
// last non-empty lines, the CR is resent, at most MaxRetries times, and then
// ErrNotSubmitted is returned. Calls are queued per session and delivered
// one at a time in call order; TypeText returns when its text was delivered
// (or failed, or ctx ended: a job not yet started is then skipped).
func (s *Session) TypeText(ctx context.Context, text string) error {
	job := &deliveryJob{ctx: ctx, text: text, done: make(chan error, 1)}
	select {
	case s.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrExited
	case <-s.released:
		return ErrExited
	}
	select {
	case err := <-job.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		// The deliver loop stops at exit; a job it never took ends here.
		select {
		case err := <-job.done:
			return err
		default:
			return ErrExited
		}
	}
}

// deliverLoop runs the session's typing jobs in FIFO order, so two nudges
// never interleave their text and CRs.
func (s *Session) deliverLoop() {
	defer s.recoverGoroutine("deliver")
	for {
		select {
		case job := <-s.jobs:
			if err := job.ctx.Err(); err != nil {
				job.done <- err
				continue
			}
			job.done <- s.deliver(job.ctx, job.text)
		case <-s.released:
			return
		case <-s.done:
			return
		}
	}
}

func (s *Session) deliver(ctx context.Context, text string) error {
	t := s.spec.Delivery.withDefaults()
	payload := typedBytes(text, s.term.Modes().BracketedPaste)
	if err := s.enqueue(payload, true); err != nil {
		return err
	}
	if err := s.sleep(ctx, t.SubmitDelay); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		mark := s.outputCount()
		if err := s.enqueue([]byte{'\r'}, true); err != nil {
			return err
		}
		if err := s.sleep(ctx, t.RetryAfter); err != nil {
			return err
		}
		if s.outputCount() != mark || !s.textOnScreen(text) {
			return nil
		}
		if attempt == t.MaxRetries {
			return ErrNotSubmitted
		}
	}
}

func (s *Session) outputCount() uint64 {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	return s.act.OutputCount
}

// sleep waits d, failing early if ctx ends or the process exits.
func (s *Session) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrExited
	}
}

// typedBytes prepares text for typing: control characters never go in
// (they would be keystrokes); line breaks stay inside a bracketed paste and
// become spaces otherwise.
func typedBytes(text string, bracketed bool) []byte {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			if bracketed {
				return r
			}
			return ' '
		case r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return -1
		}
		return r
	}, text)
	if bracketed {
		return []byte("\x1b[200~" + clean + "\x1b[201~")
	}
	return []byte(clean)
}

// textOnScreen reports whether the end of text is visible on the last
// non-empty lines of the screen, ignoring whitespace and box drawing (input
// boxes wrap and frame what was typed).
func (s *Session) textOnScreen(text string) bool {
	return textOnLines(s.Snapshot().PlainLines(), text)
}

func textOnLines(lines []string, text string) bool {
	needle := []rune(squash(text))
	if len(needle) == 0 {
		return false
	}
	if len(needle) > 24 {
		needle = needle[len(needle)-24:]
	}
	// Enough trailing non-empty lines to hold the needle even when wrapped
	// one character per line is absurd; a dozen covers real input boxes.
	var tail []string
	for i := len(lines) - 1; i >= 0 && len(tail) < 12; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			tail = append([]string{lines[i]}, tail...)
		}
	}
	return strings.Contains(squash(strings.Join(tail, "")), string(needle))
}

// squash drops whitespace, controls and box-drawing characters.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsControl(r) || (r >= 0x2500 && r <= 0x257f) {
			return -1
		}
		return r
	}, s)
}
