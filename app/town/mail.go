package town

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// Mail labels and types (spec §6.5).
const (
	MailLabel       = "gt:message"
	MailReadLabel   = "read"
	mailFromPrefix  = "from:"
	mailTypePrefix  = "msg-type:"
	MailTypeTask    = "task"
	MailTypeNotify  = "notification"
	MailTypeReply   = "reply"
	mailBeadsPrefix = "hq"
)

// MailSendOptions is one gt mail send.
type MailSendOptions struct {
	To        string // any accepted address spelling; "overseer" for --human
	Subject   string
	Body      string
	From      string // the sender's identity
	Priority  int    // 0–4
	Type      string // task, notification (default) or reply (default with ReplyTo)
	ReplyTo   string // message ID (partial accepted)
	Permanent bool   // exported to JSONL (default: ephemeral)
}

// Message is a mail bead seen as mail.
type Message struct {
	ID        string    `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	Type      string    `json:"type"`
	Priority  int       `json:"priority"`
	Read      bool      `json:"read"`
	Permanent bool      `json:"permanent"`
	ReplyTo   string    `json:"reply_to,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// MessageFromBead reads a message bead's mail fields from its labels.
func MessageFromBead(b models.Bead) Message {
	m := Message{ID: b.ID, To: b.Assignee, Subject: b.Title, Body: b.Description, Priority: b.Priority,
		Permanent: !b.Ephemeral, CreatedAt: b.CreatedAt}
	for _, l := range b.Labels {
		switch {
		case strings.HasPrefix(l, mailFromPrefix):
			m.From = strings.TrimPrefix(l, mailFromPrefix)
		case strings.HasPrefix(l, mailTypePrefix):
			m.Type = strings.TrimPrefix(l, mailTypePrefix)
		case l == MailReadLabel:
			m.Read = true
		}
	}
	for _, d := range b.Dependencies {
		if d.Type == models.DepRepliesTo {
			m.ReplyTo = d.DependsOnID
		}
	}
	if m.From == "" {
		m.From = b.CreatedBy
	}
	return m
}

// mailRecipient normalizes a recipient: the Mayor, the overseer, or a
// crew/polecat address of a registered rig.
func (t *Town) mailRecipient(to string) (models.Address, error) {
	if strings.TrimSpace(to) == "" {
		return models.Address{}, errors.New("recipient is required (an address, or --human)")
	}
	a, err := t.ResolveAddress(to)
	if err != nil {
		return models.Address{}, err
	}
	return a, nil
}

// newMessageBead builds the bead of a message (not yet created).
func newMessageBead(to models.Address, o MailSendOptions) (*models.Bead, error) {
	subject := strings.TrimSpace(o.Subject)
	if subject == "" {
		return nil, errors.New("subject is required (-s)")
	}
	if err := models.ValidatePriority(o.Priority); err != nil {
		return nil, err
	}
	typ := o.Type
	if typ == "" {
		typ = MailTypeNotify
		if o.ReplyTo != "" {
			typ = MailTypeReply
		}
	}
	switch typ {
	case MailTypeTask, MailTypeNotify, MailTypeReply:
	default:
		return nil, fmt.Errorf("invalid --type %q (expected task, notification or reply)", o.Type)
	}
	from := o.From
	if from == "" {
		from = models.OverseerAddress.String()
	}
	return &models.Bead{
		Title:       subject,
		Description: o.Body,
		IssueType:   models.TypeMessage,
		Priority:    o.Priority,
		Assignee:    to.String(),
		Ephemeral:   !o.Permanent,
		Labels:      []string{MailLabel, mailFromPrefix + from, mailTypePrefix + typ},
	}, nil
}

// createMessage creates a message bead in tx.
func createMessage(tx *beads.Tx, to models.Address, o MailSendOptions) (*models.Bead, error) {
	b, err := newMessageBead(to, o)
	if err != nil {
		return nil, err
	}
	if o.ReplyTo != "" {
		id, err := tx.Resolve(o.ReplyTo)
		if err != nil {
			return nil, err
		}
		orig, err := tx.Get(id)
		if err != nil {
			return nil, err
		}
		if orig.IssueType != models.TypeMessage {
			return nil, fmt.Errorf("%s is not a message", id)
		}
		b.Dependencies = []models.Dependency{{DependsOnID: id, Type: models.DepRepliesTo}}
	}
	return tx.Create(b, beads.CreateOpts{Prefix: mailBeadsPrefix})
}

// SendMail creates a message bead, records event mail, and notifies a live
// recipient through the host (spec §5.9); the overseer's host is poked so
// the TUI updates its unread count.
func (t *Town) SendMail(ctx context.Context, o MailSendOptions) (Message, error) {
	to, err := t.mailRecipient(o.To)
	if err != nil {
		return Message{}, err
	}
	if _, err := newMessageBead(to, o); err != nil { // validate before opening the store
		return Message{}, err
	}
	var msg Message
	err = t.WithStore(ctx, func(s *beads.Store) error {
		var b *models.Bead
		if err := s.Write(ctx, senderOf(o), func(tx *beads.Tx) error {
			var err error
			b, err = createMessage(tx, to, o)
			return err
		}); err != nil {
			return err
		}
		msg = MessageFromBead(*b)
		return nil
	})
	if err != nil {
		return Message{}, err
	}
	t.afterMail(ctx, msg)
	return msg, nil
}

func senderOf(o MailSendOptions) string {
	if o.From == "" {
		return models.OverseerAddress.String()
	}
	return o.From
}

// afterMail records the mail event and tells the recipient. Neither can undo
// the sent message, so failures are ignored.
func (t *Town) afterMail(ctx context.Context, m Message) {
	_ = eventlog.Emit(t.Root, eventlog.SourceGT, "mail", m.From,
		map[string]string{"id": m.ID, "to": m.To, "subject": m.Subject}, models.VisibilityBoth)
	to, err := models.ParseAddress(m.To)
	if err != nil {
		return
	}
	if to.IsAgent() {
		t.notifyLive(ctx, to, NudgeText(m.From, "New mail: "+m.Subject+" - run gt mail inbox"))
		return
	}
	_, _ = PokeHost(ctx, t.Root)
}

// InboxOptions selects gt mail inbox.
type InboxOptions struct {
	Identity string // whose inbox
	All      bool   // read messages too
}

// Inbox lists the open messages addressed to o.Identity, newest first;
// unread only unless o.All.
func (t *Town) Inbox(ctx context.Context, o InboxOptions) ([]Message, error) {
	out := []Message{}
	err := t.WithStore(ctx, func(s *beads.Store) error {
		list, err := inboxBeads(ctx, s, o.Identity)
		if err != nil {
			return err
		}
		for _, b := range list {
			m := MessageFromBead(b)
			if m.Read && !o.All {
				continue
			}
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// inboxBeads returns the open message beads of identity, newest first.
func inboxBeads(ctx context.Context, s *beads.Store, identity string) ([]models.Bead, error) {
	// IncludeClosed with an explicit status keeps ephemeral mail in the
	// result (List hides ephemeral beads otherwise).
	list, err := s.List(ctx, beads.Filter{
		Status: []models.Status{models.StatusOpen}, Types: []models.IssueType{models.TypeMessage},
		Assignee: identity, IncludeClosed: true, Sort: "newest",
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CreatedAt.After(list[j].CreatedAt) })
	return list, nil
}

// UnreadCount is the number of unread open messages for identity.
func UnreadCount(ctx context.Context, s *beads.Store, identity string) (int, error) {
	list, err := inboxBeads(ctx, s, identity)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, b := range list {
		if !MessageFromBead(b).Read {
			n++
		}
	}
	return n, nil
}

// Unread returns identity's unread messages, newest first.
func (t *Town) Unread(ctx context.Context, identity string) ([]Message, error) {
	return t.Inbox(ctx, InboxOptions{Identity: identity})
}

// ReadMail returns a message and marks it read (label "read"). actor is who
// reads it (the audit actor).
func (t *Town) ReadMail(ctx context.Context, ref, actor string) (Message, error) {
	var msg Message
	err := t.WithStore(ctx, func(s *beads.Store) error {
		return s.Write(ctx, actor, func(tx *beads.Tx) error {
			id, err := tx.Resolve(strings.TrimSpace(ref))
			if err != nil {
				return err
			}
			b, err := tx.Get(id)
			if err != nil {
				return err
			}
			if b.IssueType != models.TypeMessage {
				return fmt.Errorf("%s is not a message", id)
			}
			m := MessageFromBead(*b)
			if !m.Read {
				if err := tx.AddLabel(id, MailReadLabel); err != nil {
					return err
				}
			}
			m.Read = true
			msg = m
			return nil
		})
	})
	return msg, err
}

// SystemReminder is the block gt mail check --inject prints for an agent
// with unread mail ("" when there is none).
func SystemReminder(unread []Message) string {
	if len(unread) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<system-reminder>\n")
	noun := "messages"
	if len(unread) == 1 {
		noun = "message"
	}
	fmt.Fprintf(&b, "You have %d unread %s in your Gas Town inbox:\n", len(unread), noun)
	for _, m := range unread {
		fmt.Fprintf(&b, "- %s from %s: %s\n", m.ID, m.From, oneLineText(m.Subject))
	}
	b.WriteString("Run gt mail read <id> to read one, gt mail inbox to list them.\n")
	b.WriteString("</system-reminder>\n")
	return b.String()
}

// oneLineText folds line breaks so user text stays on one line.
func oneLineText(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
