package main

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

type updateFlags struct {
	status, title, typ, priority, assignee, description string
	design, acceptance, notes, appendNotes, deferUntil  string
	dueAt, externalRef                                  string
	addLabels, removeLabels                             []string
	estimate                                            int
	claim                                               bool
}

func newBDUpdateCommand(e *env) *cobra.Command {
	var f updateFlags
	cmd := &cobra.Command{
		Use:   "update <id>...",
		Short: "Change fields of beads",
		Args:  needArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			return runUpdate(cmd, s, &f, args)
		}),
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.status, "status", "s", "", "new status")
	fl.StringVar(&f.title, "title", "", "new title")
	fl.StringVarP(&f.typ, "type", "t", "", "new issue type")
	fl.StringVarP(&f.priority, "priority", "p", "", "new priority 0-4 or P0-P4")
	fl.StringVarP(&f.assignee, "assignee", "a", "", "new assignee (\"\" clears)")
	fl.StringVarP(&f.description, "description", "d", "", "new description")
	fl.StringVar(&f.design, "design", "", "new design notes")
	fl.StringVar(&f.acceptance, "acceptance", "", "new acceptance criteria")
	fl.StringVar(&f.notes, "notes", "", "replace the notes")
	fl.StringVar(&f.appendNotes, "append-notes", "", "append a line to the notes")
	fl.StringSliceVar(&f.addLabels, "add-label", nil, "add labels (a,b)")
	fl.StringSliceVar(&f.removeLabels, "remove-label", nil, "remove labels (a,b)")
	fl.StringVar(&f.deferUntil, "defer", "", "hide from ready until (2026-01-02, RFC 3339, 2d; \"\" clears)")
	fl.StringVar(&f.dueAt, "due", "", "due date (2026-01-02, RFC 3339, 2d; \"\" clears)")
	fl.StringVar(&f.externalRef, "external-ref", "", "external reference (unique)")
	fl.IntVarP(&f.estimate, "estimate", "e", 0, "estimated minutes")
	fl.BoolVar(&f.claim, "claim", false, "claim: only if unassigned; sets in_progress and assigns you")
	return cmd
}

// buildUpdate turns the changed flags into a store Update. It reports
// whether any field (other than labels, notes appends and claims) changes.
func buildUpdate(cmd *cobra.Command, f *updateFlags) (beads.Update, bool, error) {
	var u beads.Update
	ch := cmd.Flags().Changed
	any := false
	str := func(flag, v string, dst **string) {
		if ch(flag) {
			val := v
			*dst = &val
			any = true
		}
	}
	if ch("status") {
		st, err := models.ParseStatus(f.status)
		if err != nil {
			return u, false, err
		}
		if st == models.StatusTombstone {
			return u, false, fmt.Errorf("invalid status: %s (bd never creates tombstones)", f.status)
		}
		u.Status = &st
		any = true
	}
	if ch("title") {
		if strings.TrimSpace(f.title) == "" {
			return u, false, errors.New("title is required")
		}
		if n := len([]rune(f.title)); n > models.MaxTitleLen {
			return u, false, fmt.Errorf("title must be 500 characters or less (got %d)", n)
		}
	}
	str("title", f.title, &u.Title)
	if ch("type") {
		t, err := models.ParseIssueType(f.typ)
		if err != nil {
			return u, false, err
		}
		u.IssueType = &t
		any = true
	}
	if ch("priority") {
		p, err := models.ParsePriority(f.priority)
		if err != nil {
			return u, false, err
		}
		u.Priority = &p
		any = true
	}
	str("assignee", f.assignee, &u.Assignee)
	str("description", f.description, &u.Description)
	str("design", f.design, &u.Design)
	str("acceptance", f.acceptance, &u.AcceptanceCriteria)
	str("external-ref", f.externalRef, &u.ExternalRef)
	if ch("notes") && ch("append-notes") {
		return u, false, errors.New("use either --notes or --append-notes, not both")
	}
	str("notes", f.notes, &u.Notes)
	if ch("estimate") {
		if f.estimate < 0 {
			return u, false, errors.New("estimated_minutes cannot be negative")
		}
		est := f.estimate
		u.EstimatedMinutes = &est
		any = true
	}
	now := time.Now()
	if ch("defer") {
		when, err := parseWhen("defer", f.deferUntil, now)
		if err != nil {
			return u, false, err
		}
		u.DeferUntil = clearableTime(when)
		any = true
	}
	if ch("due") {
		when, err := parseWhen("due", f.dueAt, now)
		if err != nil {
			return u, false, err
		}
		u.DueAt = clearableTime(when)
		any = true
	}
	return u, any, nil
}

// clearableTime maps "no time" to the store's "clear this field" (a
// pointer to the zero time).
func clearableTime(t *time.Time) *time.Time {
	if t == nil {
		return &time.Time{}
	}
	return t
}

func runUpdate(cmd *cobra.Command, s *bdSession, f *updateFlags, partials []string) error {
	u, fields, err := buildUpdate(cmd, f)
	if err != nil {
		return err
	}
	add, remove := splitList(f.addLabels), splitList(f.removeLabels)
	appendNotes := cmd.Flags().Changed("append-notes")
	if appendNotes {
		// The store appends inside the transaction, so concurrent appends
		// never lose a line.
		text := f.appendNotes
		u.AppendNotes = &text
	}
	if !fields && !appendNotes && !f.claim && len(add) == 0 && len(remove) == 0 {
		return errors.New("no updates specified (see bd update --help)")
	}
	var updated []*models.Bead
	err = s.write(func(tx *beads.Tx, ev *eventSink) error {
		updated = make([]*models.Bead, 0, len(partials))
		seen := map[string]bool{}
		for _, p := range partials {
			id, err := tx.Resolve(p)
			if err != nil {
				return err
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			old, err := tx.Get(id)
			if err != nil {
				return err
			}
			if f.claim {
				if _, err := tx.Claim(id, s.actor); err != nil {
					return err
				}
			}
			if fields || appendNotes {
				if _, err := tx.Update(id, u); err != nil {
					return err
				}
			}
			for _, l := range add {
				if err := tx.AddLabel(id, l); err != nil {
					return err
				}
			}
			for _, l := range remove {
				if err := tx.RemoveLabel(id, l); err != nil {
					return err
				}
			}
			nb, err := tx.Get(id)
			if err != nil {
				return err
			}
			recordUpdate(ev, s.actor, old, nb)
			updated = append(updated, nb)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.asJSON {
		return s.printJSON(updated)
	}
	for _, b := range updated {
		fmt.Fprintln(s.e.stdout, s.pal.ok("Updated issue: "+s.pal.cyan(b.ID)))
	}
	return nil
}

// recordUpdate adds bead_status for a status change and bead_updated for
// any other changed fields.
func recordUpdate(ev *eventSink, actor string, old, nb *models.Bead) {
	if old.Status != nb.Status {
		typ := "bead_status"
		switch {
		case nb.Status == models.StatusClosed:
			typ = "bead_closed"
		case old.Status == models.StatusClosed:
			typ = "bead_reopened"
		}
		payload := map[string]any{"from": string(old.Status), "to": string(nb.Status)}
		if nb.Status == models.StatusClosed && nb.CloseReason != "" {
			payload["reason"] = nb.CloseReason
		}
		ev.add(typ, nb, actor, payload)
	}
	if fields := changedFields(old, nb); len(fields) > 0 {
		ev.add("bead_updated", nb, actor, map[string]any{"fields": fields})
	}
}

// changedFields names the user-visible fields that differ (status is
// reported separately).
func changedFields(a, b *models.Bead) []string {
	var out []string
	check := func(name string, x, y any) {
		if !reflect.DeepEqual(x, y) {
			out = append(out, name)
		}
	}
	check("title", a.Title, b.Title)
	check("description", a.Description, b.Description)
	check("design", a.Design, b.Design)
	check("acceptance_criteria", a.AcceptanceCriteria, b.AcceptanceCriteria)
	check("notes", a.Notes, b.Notes)
	check("priority", a.Priority, b.Priority)
	check("issue_type", a.IssueType, b.IssueType)
	check("assignee", a.Assignee, b.Assignee)
	check("estimated_minutes", a.EstimatedMinutes, b.EstimatedMinutes)
	check("defer_until", a.DeferUntil, b.DeferUntil)
	check("due_at", a.DueAt, b.DueAt)
	check("external_ref", a.ExternalRef, b.ExternalRef)
	check("labels", a.Labels, b.Labels)
	return out
}

func newBDCloseCommand(e *env) *cobra.Command {
	var reason string
	var force bool
	cmd := &cobra.Command{
		Use:   "close <id>...",
		Short: "Close beads",
		Args:  needArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			if strings.TrimSpace(reason) == "" {
				reason = "Closed"
			}
			var closed, auto []*models.Bead
			err := s.write(func(tx *beads.Tx, ev *eventSink) error {
				closed, auto = make([]*models.Bead, 0, len(args)), nil
				for _, p := range args {
					id, err := tx.Resolve(p)
					if err != nil {
						return err
					}
					old, err := tx.Get(id)
					if err != nil {
						return err
					}
					res, err := tx.CloseIssue(id, reason, force)
					if err != nil {
						return err
					}
					ev.add("bead_closed", res.Closed, s.actor, map[string]any{"from": string(old.Status), "reason": reason})
					closed = append(closed, res.Closed)
					for i := range res.AutoClosed {
						b := &res.AutoClosed[i]
						actor := s.actor // a molecule root completed by this close
						if b.IssueType == models.TypeConvoy {
							actor = beads.ConvoyCompletionActor
						}
						ev.add("bead_closed", b, actor, map[string]any{"reason": b.CloseReason})
						auto = append(auto, b)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			bdAfterClose(s, auto)
			if s.asJSON {
				return s.printJSON(closed)
			}
			for _, b := range closed {
				fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Closed %s: %s", s.pal.cyan(b.ID), oneLineText(b.CloseReason))))
			}
			for _, b := range auto {
				fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Closed %s: %s", s.pal.cyan(b.ID), oneLineText(b.CloseReason))))
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (default \"Closed\")")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "close even while blocked")
	return cmd
}

// bdAfterClose runs what follows a close that landed convoys (§6.4) through
// town.AfterClose: the convoy_closed event, the landing mail to owner and
// notify addresses, the optional Mayor nudge (inside a town only, like every
// town event).
func bdAfterClose(s *bdSession, auto []*models.Bead) {
	landConvoysAfterBDClose(s, auto) // event convoy_closed, landing mail, Mayor nudge (app/town.AfterClose)
}

func newBDReopenCommand(e *env) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "reopen <id>...",
		Short: "Reopen closed beads",
		Args:  needArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			var reopened []*models.Bead
			err := s.write(func(tx *beads.Tx, ev *eventSink) error {
				reopened = make([]*models.Bead, 0, len(args))
				for _, p := range args {
					id, err := tx.Resolve(p)
					if err != nil {
						return err
					}
					old, err := tx.Get(id)
					if err != nil {
						return err
					}
					if _, err := tx.Reopen(id); err != nil {
						return err
					}
					if strings.TrimSpace(reason) != "" {
						if _, err := tx.AddComment(id, s.actor, "Reopened: "+reason); err != nil {
							return err
						}
					}
					nb, err := tx.Get(id)
					if err != nil {
						return err
					}
					payload := map[string]any{"from": string(old.Status), "to": string(nb.Status)}
					if reason != "" {
						payload["reason"] = reason
					}
					ev.add("bead_reopened", nb, s.actor, payload)
					reopened = append(reopened, nb)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if s.asJSON {
				return s.printJSON(reopened)
			}
			for _, b := range reopened {
				fmt.Fprintln(s.e.stdout, s.pal.ok("Reopened "+s.pal.cyan(b.ID)))
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&reason, "reason", "r", "", "why (added as a comment)")
	return cmd
}
