package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
)

func newBDLabelCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "label",
		Short: "Add, remove or list labels",
		Args:  rejectUnknown,
		RunE:  groupHelp,
	}
	cmd.AddCommand(
		newBDLabelChange(e, "add"),
		newBDLabelChange(e, "remove"),
		&cobra.Command{
			Use:   "list <id>",
			Short: "List a bead's labels",
			Args:  exactArgs(1, "issue ID"),
			RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
				id, err := s.store.Resolve(s.ctx, args[0])
				if err != nil {
					return err
				}
				b, err := s.store.Get(s.ctx, id)
				if err != nil {
					return err
				}
				labels := b.Labels
				if labels == nil {
					labels = []string{}
				}
				if s.asJSON {
					return s.printJSON(labels)
				}
				if len(labels) == 0 {
					fmt.Fprintf(s.e.stdout, "%s has no labels\n", id)
					return nil
				}
				fmt.Fprintf(s.e.stdout, "Labels for %s:\n", id)
				for _, l := range labels {
					fmt.Fprintln(s.e.stdout, "  "+l)
				}
				return nil
			}),
		},
	)
	return cmd
}

// labelResult is one row of bd label add/remove --json.
type labelResult struct {
	Status  string `json:"status"`
	IssueID string `json:"issue_id"`
	Label   string `json:"label"`
}

// newBDLabelChange builds `bd label add|remove <id...> <label>`.
func newBDLabelChange(e *env, verb string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " <id>... <label>",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " a label",
		Args:  needArgs(2, "issue ID and label"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			label := strings.TrimSpace(args[len(args)-1])
			if label == "" {
				return errors.New("label is required")
			}
			partials := args[:len(args)-1]
			var ids []string
			err := s.write(func(tx *beads.Tx, ev *eventSink) error {
				ids = make([]string, 0, len(partials))
				for _, p := range partials {
					id, err := tx.Resolve(p)
					if err != nil {
						return err
					}
					if verb == "add" {
						err = tx.AddLabel(id, label)
					} else {
						err = tx.RemoveLabel(id, label)
					}
					if err != nil {
						return err
					}
					b, err := tx.Get(id)
					if err != nil {
						return err
					}
					ev.add("bead_updated", b, s.actor, map[string]any{"fields": []string{"labels"}})
					ids = append(ids, id)
				}
				return nil
			})
			if err != nil {
				return err
			}
			status := "added"
			if verb == "remove" {
				status = "removed"
			}
			if s.asJSON {
				out := make([]labelResult, 0, len(ids))
				for _, id := range ids {
					out = append(out, labelResult{Status: status, IssueID: id, Label: label})
				}
				return s.printJSON(out)
			}
			for _, id := range ids {
				if verb == "add" {
					fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Added label '%s' to %s", label, id)))
				} else {
					fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Removed label '%s' from %s", label, id)))
				}
			}
			return nil
		}),
	}
}
