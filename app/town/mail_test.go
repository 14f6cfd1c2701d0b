package town

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func TestMailSendInboxRead(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()

	bad := []struct {
		o    MailSendOptions
		want string
	}{
		{MailSendOptions{To: "mayor", Body: "b", From: "overseer"}, "subject is required (-s)"},
		{MailSendOptions{To: "", Subject: "s"}, "recipient is required"},
		{MailSendOptions{To: "nope/crew/x", Subject: "s"}, `unknown rig "nope"`},
		{MailSendOptions{To: "mayor", Subject: "s", Priority: 7}, "priority must be between 0 and 4 (got 7)"},
		{MailSendOptions{To: "mayor", Subject: "s", Type: "spam"}, `invalid --type "spam"`},
		{MailSendOptions{To: "mayor", Subject: "s", ReplyTo: "hq-zzzzz"}, `no issue found matching "hq-zzzzz"`},
	}
	for _, tc := range bad {
		if _, err := tw.SendMail(ctx, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.o, err, tc.want)
		}
	}
	if len(eventsOf(t, tw, "mail")) != 0 {
		t.Fatal("failed sends wrote events")
	}

	m1, err := tw.SendMail(ctx, MailSendOptions{To: "mayor/", Subject: "Status?", Body: "How is it going?", From: "overseer", Priority: 2})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	m2, err := tw.SendMail(ctx, MailSendOptions{To: "mayor", Subject: "Urgent", Body: "now", From: "myproject/crew/joe", Priority: 0, Permanent: true, Type: MailTypeTask})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m1.ID, "hq-") || m1.To != "mayor" || m1.From != "overseer" || m1.Type != "notification" || m1.Permanent {
		t.Fatalf("m1 = %+v", m1)
	}
	withStore(t, tw, func(s *beads.Store) {
		b, err := s.Get(ctx, m1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.IssueType != models.TypeMessage || b.Title != "Status?" || b.Description != "How is it going?" || b.Assignee != "mayor" || !b.Ephemeral {
			t.Fatalf("message bead %+v", b)
		}
		want := map[string]bool{"gt:message": true, "from:overseer": true, "msg-type:notification": true}
		for _, l := range b.Labels {
			delete(want, l)
		}
		if len(want) != 0 {
			t.Fatalf("labels %v lack %v", b.Labels, want)
		}
	})
	// Ephemeral mail is never exported; permanent mail is.
	jsonl, _ := os.ReadFile(tw.IssuesJSONL())
	if strings.Contains(string(jsonl), m1.ID) || !strings.Contains(string(jsonl), m2.ID) {
		t.Fatalf("export: ephemeral %s present=%v, permanent %s present=%v", m1.ID, strings.Contains(string(jsonl), m1.ID), m2.ID, strings.Contains(string(jsonl), m2.ID))
	}

	inbox, err := tw.Inbox(ctx, InboxOptions{Identity: "mayor"})
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != 2 || inbox[0].ID != m2.ID || inbox[1].ID != m1.ID {
		t.Fatalf("inbox newest first = %+v", inbox)
	}
	if other, _ := tw.Inbox(ctx, InboxOptions{Identity: "overseer"}); len(other) != 0 {
		t.Fatalf("overseer inbox = %+v", other)
	}

	// Read marks it read (partial ID accepted); the default inbox hides it.
	got, err := tw.ReadMail(ctx, strings.TrimPrefix(m1.ID, "hq-"), "mayor")
	if err != nil || got.Subject != "Status?" || got.Body != "How is it going?" || !got.Read {
		t.Fatalf("read = %+v, %v", got, err)
	}
	if _, err := tw.ReadMail(ctx, m1.ID, "mayor"); err != nil { // twice is fine
		t.Fatal(err)
	}
	inbox, _ = tw.Inbox(ctx, InboxOptions{Identity: "mayor"})
	if len(inbox) != 1 || inbox[0].ID != m2.ID {
		t.Fatalf("unread inbox = %+v", inbox)
	}
	all, _ := tw.Inbox(ctx, InboxOptions{Identity: "mayor", All: true})
	if len(all) != 2 || !all[1].Read || all[0].Read {
		t.Fatalf("--all inbox = %+v", all)
	}
	withStore(t, tw, func(s *beads.Store) {
		if n, err := UnreadCount(ctx, s, "mayor"); n != 1 || err != nil {
			t.Fatalf("unread = %d, %v", n, err)
		}
	})
	// Reading a non-message fails.
	work := mkBead(t, tw, "overseer", models.Bead{Title: "work"}, "mp")
	if _, err := tw.ReadMail(ctx, work.ID, "mayor"); err == nil || err.Error() != work.ID+" is not a message" {
		t.Fatalf("read work bead: %v", err)
	}

	// Reply threads to the original.
	r, err := tw.SendMail(ctx, MailSendOptions{To: "overseer", Subject: "Re: Status?", Body: "fine", From: "mayor", ReplyTo: m1.ID})
	if err != nil || r.ReplyTo != m1.ID || r.Type != "reply" {
		t.Fatalf("reply = %+v, %v", r, err)
	}
	if _, err := tw.SendMail(ctx, MailSendOptions{To: "mayor", Subject: "x", ReplyTo: work.ID}); err == nil || !strings.Contains(err.Error(), "is not a message") {
		t.Fatalf("reply to work bead: %v", err)
	}

	evs := eventsOf(t, tw, "mail")
	if len(evs) != 3 {
		t.Fatalf("%d mail events", len(evs))
	}
	var p map[string]string
	_ = json.Unmarshal(evs[0].Payload, &p)
	if evs[0].Actor != "overseer" || p["id"] != m1.ID || p["to"] != "mayor" || p["subject"] != "Status?" {
		t.Fatalf("mail event %+v %v", evs[0], p)
	}
}

func TestMailNotifiesLiveRecipient(t *testing.T) {
	tw := orchTown(t)
	ctx := context.Background()
	h := &fakeHost{sessions: []SessionRecord{{Agent: "myproject/crew/joe", Runtime: "claude", PID: 9}}}
	startFakeHost(t, tw.Root, h)
	if _, err := tw.SendMail(ctx, MailSendOptions{To: "myproject/joe", Subject: "Review please", From: "mayor"}); err != nil {
		t.Fatal(err)
	}
	// Mayor has no live session: no nudge.
	if _, err := tw.SendMail(ctx, MailSendOptions{To: "mayor", Subject: "FYI", From: "overseer"}); err != nil {
		t.Fatal(err)
	}
	var nudges []HostRequest
	for _, r := range h.requests() {
		if r.Op == OpNudge {
			nudges = append(nudges, r)
		}
	}
	if len(nudges) != 1 || nudges[0].Agent != "myproject/crew/joe" ||
		nudges[0].Message != "[from mayor] New mail: Review please - run gt mail inbox" {
		t.Fatalf("nudges = %+v", nudges)
	}
	if q, _ := PendingNudges(tw.Root, models.MayorAddress, time.Now()); len(q) != 0 {
		t.Fatal("mail notice was queued for an offline agent")
	}
}

func TestSystemReminder(t *testing.T) {
	if SystemReminder(nil) != "" {
		t.Fatal("reminder without mail")
	}
	out := SystemReminder([]Message{{ID: "hq-a1", From: "mayor", Subject: "Do\nthis"}, {ID: "hq-b2", From: "overseer", Subject: "Hi"}})
	sc := bufio.NewScanner(strings.NewReader(out))
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	want := []string{
		"<system-reminder>",
		"You have 2 unread messages in your Gas Town inbox:",
		"- hq-a1 from mayor: Do this",
		"- hq-b2 from overseer: Hi",
		"Run gt mail read <id> to read one, gt mail inbox to list them.",
		"</system-reminder>",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("reminder:\n%s", out)
	}
}
