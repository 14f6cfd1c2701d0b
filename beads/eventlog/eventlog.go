// Package eventlog appends to and reads the town's event log,
// <town>/.events.jsonl (spec §4.8). Every append is one write(2) of one
// complete line made while holding an exclusive flock on
// .events.jsonl.lock, so concurrent writers in different processes never
// interleave; readers skip malformed lines and leave a partial last line for
// the next read.
package eventlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gastown/gt/models"
)

// FileName and LockName are the event log and its lock file, relative to the
// town root.
const (
	FileName = ".events.jsonl"
	LockName = ".events.jsonl.lock"
)

// Sources of events.
const (
	SourceGT   = "gt"
	SourceBD   = "bd"
	SourceHost = "host"
)

// Path returns the event log path of a town.
func Path(townRoot string) string { return filepath.Join(townRoot, FileName) }

// New builds an event stamped now, marshalling payload (nil means {}).
func New(source, typ, actor string, payload any, vis models.Visibility) (models.Event, error) {
	raw := json.RawMessage(`{}`)
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return models.Event{}, fmt.Errorf("marshal %s event payload: %w", typ, err)
		}
		raw = b
	}
	return models.Event{TS: time.Now().UTC(), Source: source, Type: typ, Actor: actor, Payload: raw, Visibility: vis}, nil
}

// Encode turns an event into its log line (with the trailing newline),
// filling a zero timestamp with now, an empty payload with {} and an empty
// visibility with "feed".
func Encode(ev models.Event) ([]byte, error) {
	if ev.Type == "" {
		return nil, errors.New("event type is required")
	}
	if ev.TS.IsZero() {
		ev.TS = time.Now()
	}
	ev.TS = ev.TS.UTC()
	if len(bytes.TrimSpace(ev.Payload)) == 0 {
		ev.Payload = json.RawMessage(`{}`)
	}
	if ev.Visibility == "" {
		ev.Visibility = models.VisibilityFeed
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", ev.Type, err)
	}
	return append(b, '\n'), nil
}

// Append adds one event to the town's log.
func Append(townRoot string, ev models.Event) error {
	line, err := Encode(ev)
	if err != nil {
		return err
	}
	return appendLine(townRoot, line)
}

// Emit builds an event with New and appends it.
func Emit(townRoot, source, typ, actor string, payload any, vis models.Visibility) error {
	ev, err := New(source, typ, actor, payload, vis)
	if err != nil {
		return err
	}
	return Append(townRoot, ev)
}

func appendLine(townRoot string, line []byte) error {
	lock, err := os.OpenFile(filepath.Join(townRoot, LockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("open event log lock: %w", err)
	}
	defer lock.Close()
	if err := flock(lock, syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock event log: %w", err)
	}
	// Closing the lock file descriptor releases the flock.
	f, err := os.OpenFile(Path(townRoot), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open event log: %w", err)
	}
	// One write(2) for the whole line: os.File.Write loops only on short
	// writes, which regular files do not produce short of a full disk.
	n, werr := f.Write(line)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("append event: %w", werr)
	}
	if n != len(line) {
		return fmt.Errorf("append event: short write (%d of %d bytes)", n, len(line))
	}
	if cerr != nil {
		return fmt.Errorf("close event log: %w", cerr)
	}
	return nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// ReadFrom reads the complete lines after byte offset off and returns the
// events they hold and the offset just past the last complete line. Lines
// that do not decode as events are skipped; a last line without its newline
// is not consumed, so a follower sees it once it is complete. If the file is
// shorter than off (it was replaced), reading restarts at 0. A missing file
// reads as empty.
func ReadFrom(townRoot string, off int64) ([]models.Event, int64, error) {
	f, err := os.Open(Path(townRoot))
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, off, fmt.Errorf("open event log: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, off, fmt.Errorf("stat event log: %w", err)
	}
	if off < 0 || st.Size() < off {
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, off, fmt.Errorf("seek event log: %w", err)
	}
	var out []models.Event
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			off += int64(len(line))
			if ev, ok := decode(line); ok {
				out = append(out, ev)
			}
		}
		if err == io.EOF {
			return out, off, nil
		}
		if err != nil {
			return out, off, fmt.Errorf("read event log: %w", err)
		}
	}
}

// decode parses one line; ok is false for anything that is not an event.
func decode(line []byte) (models.Event, bool) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return models.Event{}, false
	}
	var ev models.Event
	if err := json.Unmarshal(line, &ev); err != nil || ev.Type == "" {
		return models.Event{}, false
	}
	return ev, true
}

// ReadAll returns every well-formed event in the log.
func ReadAll(townRoot string) ([]models.Event, error) {
	evs, _, err := ReadFrom(townRoot, 0)
	return evs, err
}

// Last returns the last n well-formed events (all of them when n <= 0).
func Last(townRoot string, n int) ([]models.Event, error) {
	evs, err := ReadAll(townRoot)
	if err != nil {
		return nil, err
	}
	if n > 0 && len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	return evs, nil
}

// Follower reads a town's log incrementally: each Poll returns the events
// appended since the previous one. It is not safe for concurrent use.
type Follower struct {
	root string
	off  int64
}

// NewFollower starts following at byte offset off (0: from the start; use
// End to skip what is already there).
func NewFollower(townRoot string, off int64) *Follower {
	return &Follower{root: townRoot, off: off}
}

// End returns the current size of the log, the offset at which a follower
// sees only new events.
func End(townRoot string) (int64, error) {
	st, err := os.Stat(Path(townRoot))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("stat event log: %w", err)
	}
	return st.Size(), nil
}

// Poll returns the complete events written since the last call.
func (f *Follower) Poll() ([]models.Event, error) {
	evs, off, err := ReadFrom(f.root, f.off)
	f.off = off
	return evs, err
}

// Offset is the byte offset the next Poll starts at.
func (f *Follower) Offset() int64 { return f.off }
