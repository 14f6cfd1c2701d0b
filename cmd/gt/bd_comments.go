package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func newBDCommentsCommand(e *env) *cobra.Command {
	var author string
	cmd := &cobra.Command{
		Use:     "comments <id>",
		Aliases: []string{"comment"},
		Short:   "List a bead's comments (bd comments add <id> <text> adds one)",
		Args:    needArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			// `bd comment <id> <text>` is the original's short form of add.
			if len(args) > 1 {
				return addComment(s, args[0], strings.Join(args[1:], " "), author)
			}
			id, err := s.store.Resolve(s.ctx, args[0])
			if err != nil {
				return err
			}
			list, err := s.store.Comments(s.ctx, id)
			if err != nil {
				return err
			}
			if s.asJSON {
				if list == nil {
					list = []models.Comment{}
				}
				return s.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintf(s.e.stdout, "No comments on %s\n", id)
				return nil
			}
			for _, c := range list {
				fmt.Fprintln(s.e.stdout, commentLine(c, s.pal))
			}
			return nil
		}),
	}
	cmd.Flags().StringVarP(&author, "author", "a", "", "comment author (default: the actor)")

	var addAuthor string
	add := &cobra.Command{
		Use:   "add <id> <text>",
		Short: "Add a comment to a bead",
		Args:  needArgs(2, "issue ID and comment text"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			return addComment(s, args[0], strings.Join(args[1:], " "), addAuthor)
		}),
	}
	add.Flags().StringVarP(&addAuthor, "author", "a", "", "comment author (default: the actor)")
	cmd.AddCommand(add)
	return cmd
}

func addComment(s *bdSession, partial, text, author string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("comment text is required")
	}
	if author == "" {
		author = s.actor
	}
	var added *models.Comment
	err := s.write(func(tx *beads.Tx, ev *eventSink) error {
		id, err := tx.Resolve(partial)
		if err != nil {
			return err
		}
		if added, err = tx.AddComment(id, author, text); err != nil {
			return err
		}
		b, err := tx.Get(id)
		if err != nil {
			return err
		}
		ev.add("bead_updated", b, s.actor, map[string]any{"fields": []string{"comments"}})
		return nil
	})
	if err != nil {
		return err
	}
	if s.asJSON {
		return s.printJSON(added)
	}
	fmt.Fprintln(s.e.stdout, "Comment added")
	return nil
}
