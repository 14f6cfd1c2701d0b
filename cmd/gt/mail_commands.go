package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/models"
)

func newMailCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Messages between agents and the overseer", Args: rejectUnknown, RunE: groupHelp}
	cmd.AddCommand(newMailSendCommand(e), newMailInboxCommand(e), newMailReadCommand(e), newMailCheckCommand(e))
	return cmd
}

func newMailSendCommand(e *env) *cobra.Command {
	var o town.MailSendOptions
	var human, urgent bool
	var priority string
	cmd := &cobra.Command{
		Use:   "send <addr> -s <subject> -m <body>",
		Short: "Send a message (a bead of type message)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case human && len(args) == 1:
				return errors.New("give an address or --human, not both")
			case human:
				o.To = models.OverseerAddress.String()
			case len(args) == 1:
				o.To = args[0]
			default:
				return errors.New("recipient is required (an address, or --human)")
			}
			if strings.TrimSpace(o.Subject) == "" {
				return errors.New("subject is required (-s)")
			}
			o.Priority = models.DefaultPriority
			if cmd.Flags().Changed("priority") {
				p, err := models.ParsePriority(priority)
				if err != nil {
					return err
				}
				o.Priority = p
			}
			if urgent {
				o.Priority = 0
			}
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			o.From = caller
			m, err := t.SendMail(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "✓ Message sent to %s: %s\n", m.To, m.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Subject, "subject", "s", "", "subject (required)")
	f.StringVarP(&o.Body, "message", "m", "", "body")
	f.BoolVar(&human, "human", false, "send to the overseer")
	f.BoolVar(&urgent, "urgent", false, "priority 0")
	f.StringVar(&priority, "priority", "2", "priority 0-4 (or P0-P4)")
	f.StringVar(&o.Type, "type", "", "task, notification or reply (default notification; reply with --reply-to)")
	f.StringVar(&o.ReplyTo, "reply-to", "", "the message this answers")
	f.BoolVar(&o.Permanent, "permanent", false, "keep the message in issues.jsonl (default: ephemeral)")
	return cmd
}

func newMailInboxCommand(e *env) *cobra.Command {
	var o town.InboxOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "List your unread messages, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			if o.Identity == "" {
				o.Identity = caller
			} else if a, err := t.ResolveAddress(o.Identity); err == nil {
				o.Identity = a.String()
			} else {
				return err
			}
			list, err := t.Inbox(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(e.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(e.stdout, "No messages.")
				return nil
			}
			now := time.Now()
			for _, m := range list {
				mark := "●"
				if m.Read {
					mark = "○"
				}
				fmt.Fprintf(e.stdout, "%s %s  %s  %s  %s\n", mark, m.ID, m.From, oneLineField(m.Subject), ageOf(now, m.CreatedAt))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "include read messages")
	cmd.Flags().StringVar(&o.Identity, "identity", "", "whose inbox (default: the caller)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// ageOf formats how long ago t was: 12s, 4m, 2h, 3d.
func ageOf(now, t time.Time) string {
	secs := int64(now.Sub(t) / time.Second)
	if secs < 0 {
		secs = 0
	}
	return town.FormatIdle(&secs)
}

// oneLineField folds whitespace so a user string stays on its line.
func oneLineField(s string) string { return strings.Join(strings.Fields(s), " ") }

func newMailReadCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "read <id>",
		Short: "Print a message and mark it read",
		Args:  exactArgs(1, "message ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			m, err := t.ReadMail(cmd.Context(), args[0], caller)
			if err != nil {
				return err
			}
			w := e.stdout
			fmt.Fprintf(w, "From: %s\n", m.From)
			fmt.Fprintf(w, "To: %s\n", m.To)
			fmt.Fprintf(w, "Subject: %s\n", oneLineField(m.Subject))
			fmt.Fprintf(w, "Date: %s\n", m.CreatedAt.Local().Format("2006-01-02 15:04:05 MST"))
			fmt.Fprintln(w)
			if m.Body != "" {
				fmt.Fprintln(w, strings.TrimRight(m.Body, "\n"))
			}
			return nil
		},
	}
}

func newMailCheckCommand(e *env) *cobra.Command {
	var inject bool
	var identity string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Report unread mail (quiet when there is none); --inject prints a reminder block for agents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, caller, err := townCaller(cmd)
			if err != nil {
				return err
			}
			if identity != "" {
				a, err := t.ResolveAddress(identity)
				if err != nil {
					return err
				}
				caller = a.String()
			}
			unread, err := t.Unread(cmd.Context(), caller)
			if err != nil {
				return err
			}
			if len(unread) == 0 {
				return nil
			}
			if inject {
				fmt.Fprint(e.stdout, town.SystemReminder(unread))
				return nil
			}
			noun := "messages"
			if len(unread) == 1 {
				noun = "message"
			}
			fmt.Fprintf(e.stdout, "✉ %d unread %s (gt mail inbox)\n", len(unread), noun)
			return nil
		},
	}
	cmd.Flags().BoolVar(&inject, "inject", false, "print a <system-reminder> block for an agent's context")
	cmd.Flags().StringVar(&identity, "identity", "", "whose mail (default: the caller)")
	return cmd
}
