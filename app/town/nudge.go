package town

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// NudgeMaxAge is how long a queued nudge waits for its session (spec §5.9).
const NudgeMaxAge = 24 * time.Hour

// QueuedNudge is one file of .runtime/nudge_queue/<agent-slug>/.
type QueuedNudge struct {
	To        string    `json:"to"`
	From      string    `json:"from"`
	Text      string    `json:"text"` // exactly what is typed: "[from <sender>] <message>"
	Mode      string    `json:"mode"`
	CreatedAt time.Time `json:"created_at"`
	// Path is the queue file (not stored).
	Path string `json:"-"`
}

// NudgeText is the text a nudge types: "[from <sender>] <message>".
func NudgeText(sender, message string) string {
	return "[from " + sender + "] " + message
}

// NudgeQueueDir is <town>/.runtime/nudge_queue/<agent-slug>.
func NudgeQueueDir(townRoot string, agent models.Address) string {
	return filepath.Join(townRoot, ".runtime", "nudge_queue", agent.Slug())
}

// EnqueueNudge writes n atomically as <unixnano>-<rand>.json in the agent's
// queue directory (created 0700) and returns its path. CreatedAt defaults to
// now.
func EnqueueNudge(townRoot string, agent models.Address, n QueuedNudge) (string, error) {
	if !agent.IsAgent() {
		return "", fmt.Errorf("cannot queue a nudge for %q: not an agent", agent.String())
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = time.Now().UTC()
	}
	n.To = agent.String()
	if err := os.MkdirAll(filepath.Join(townRoot, ".runtime"), 0o700); err != nil {
		return "", fmt.Errorf("create .runtime: %w", err)
	}
	dir := NudgeQueueDir(townRoot, agent)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create nudge queue: %w", err)
	}
	var rb [4]byte
	if _, err := rand.Read(rb[:]); err != nil {
		return "", fmt.Errorf("nudge file name: %w", err)
	}
	data, err := json.Marshal(n)
	if err != nil {
		return "", fmt.Errorf("encode nudge: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d-%s.json", n.CreatedAt.UnixNano(), hex.EncodeToString(rb[:])))
	if err := writeFileAtomic(path, append(data, '\n'), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// queueName splits "<unixnano>-<rand>.json"; ok is false for anything else
// (temp files of writeFileAtomic included).
func queueName(name string) (ns int64, rnd string, ok bool) {
	base, found := strings.CutSuffix(name, ".json")
	if !found || strings.HasPrefix(name, ".") {
		return 0, "", false
	}
	num, rnd, found := strings.Cut(base, "-")
	if !found || rnd == "" {
		return 0, "", false
	}
	ns, err := strconv.ParseInt(num, 10, 64)
	if err != nil || ns <= 0 {
		return 0, "", false
	}
	return ns, rnd, true
}

// PendingNudges returns the agent's queued nudges, oldest first. Entries
// older than NudgeMaxAge at now, and files that cannot be decoded, are
// deleted and not returned.
func PendingNudges(townRoot string, agent models.Address, now time.Time) ([]QueuedNudge, error) {
	dir := NudgeQueueDir(townRoot, agent)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read nudge queue: %w", err)
	}
	type entry struct {
		ns   int64
		rnd  string
		name string
	}
	var list []entry
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		ns, rnd, ok := queueName(e.Name())
		if !ok {
			continue
		}
		list = append(list, entry{ns, rnd, e.Name()})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].ns != list[j].ns {
			return list[i].ns < list[j].ns
		}
		return list[i].rnd < list[j].rnd
	})
	var out []QueuedNudge
	for _, e := range list {
		path := filepath.Join(dir, e.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // popped by someone else meanwhile
		}
		if err != nil {
			return out, fmt.Errorf("read queued nudge: %w", err)
		}
		var n QueuedNudge
		if json.Unmarshal(data, &n) != nil || n.Text == "" {
			_ = os.Remove(path)
			continue
		}
		if n.CreatedAt.IsZero() {
			n.CreatedAt = time.Unix(0, e.ns).UTC()
		}
		if now.Sub(n.CreatedAt) > NudgeMaxAge {
			_ = os.Remove(path)
			continue
		}
		n.Path = path
		out = append(out, n)
	}
	return out, nil
}

// PopNudge removes and returns the agent's oldest pending nudge; ok is
// false when the queue is empty. Removal is the claim: when two readers
// race, only the one whose remove succeeds gets the entry.
func PopNudge(townRoot string, agent models.Address, now time.Time) (n QueuedNudge, ok bool, err error) {
	for {
		list, err := PendingNudges(townRoot, agent, now)
		if err != nil || len(list) == 0 {
			return QueuedNudge{}, false, err
		}
		err = os.Remove(list[0].Path)
		if err == nil {
			return list[0], true, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return QueuedNudge{}, false, fmt.Errorf("claim queued nudge: %w", err)
		}
	}
}

// NudgeOptions is a gt nudge request.
type NudgeOptions struct {
	Target  string // any accepted address spelling
	Message string
	Mode    string // wait-idle (default), queue, immediate
	Sender  string // the caller's address
}

// NudgeResult says where a nudge went.
type NudgeResult struct {
	Address models.Address
	Queued  bool // true: waiting in the queue; false: the host typed it
}

// Nudge sends a message to a live agent through the host, or queues it in
// .runtime/nudge_queue when no host runs (or the host has no live session
// and queued it itself). It records event nudge.
func (t *Town) Nudge(ctx context.Context, o NudgeOptions) (NudgeResult, error) {
	mode, err := ParseNudgeMode(o.Mode)
	if err != nil {
		return NudgeResult{}, err
	}
	msg := strings.TrimSpace(o.Message)
	if msg == "" {
		return NudgeResult{}, errors.New("message is required")
	}
	addr, err := t.ResolveAgent(ctx, o.Target)
	if err != nil {
		return NudgeResult{}, err
	}
	sender := o.Sender
	if sender == "" {
		sender = models.OverseerAddress.String()
	}
	res, err := t.DeliverNudge(ctx, addr, sender, NudgeText(sender, msg), mode)
	if err != nil {
		return res, err
	}
	_ = eventlog.Emit(t.Root, eventlog.SourceGT, "nudge", sender,
		map[string]string{"to": addr.String(), "message": msg}, models.VisibilityBoth)
	return res, nil
}

// DeliverNudge types text (already formatted, e.g. NudgeText or the sling
// notice) into addr's pane through the host, or queues it in
// .runtime/nudge_queue when no host answers. It records no event.
func (t *Town) DeliverNudge(ctx context.Context, addr models.Address, sender, text, mode string) (NudgeResult, error) {
	rep, err := NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpNudge, Agent: addr.String(), Message: text, Mode: mode})
	switch {
	case err == nil:
		return NudgeResult{Address: addr, Queued: rep.Queued}, nil
	case !errors.Is(err, ErrNoHost):
		return NudgeResult{}, fmt.Errorf("nudge %s: %w", addr, err)
	}
	if _, err := EnqueueNudge(t.Root, addr, QueuedNudge{From: sender, Text: text, Mode: mode}); err != nil {
		return NudgeResult{}, err
	}
	return NudgeResult{Address: addr, Queued: true}, nil
}

// notifyLive types text into addr's pane only if a host runs and the agent
// has a live session (mail notices, spec §5.9); it never queues. The bool
// reports whether the host took it.
func (t *Town) notifyLive(ctx context.Context, addr models.Address, text string) bool {
	if !addr.IsAgent() {
		return false
	}
	st, err := HostStatusOf(ctx, t.Root)
	if err != nil {
		return false
	}
	live := false
	for _, s := range st.Sessions {
		if s.Agent == addr.String() && !s.Exited {
			live = true
		}
	}
	if !live {
		return false
	}
	_, err = NewHostClient(t.Root).Do(ctx, HostRequest{Op: OpNudge, Agent: addr.String(), Message: text, Mode: NudgeQueue})
	return err == nil
}
