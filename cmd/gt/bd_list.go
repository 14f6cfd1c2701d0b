package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// listFlags are the filters shared by bd list and bd search.
type listFlags struct {
	status, types, labels []string
	assignee, parent      string
	sort                  string
	all                   bool
	limit                 int
}

func (f *listFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.status, "status", "s", nil, "only these statuses (a,b)")
	fl.StringSliceVarP(&f.types, "type", "t", nil, "only these types (a,b)")
	fl.StringVarP(&f.assignee, "assignee", "a", "", "only beads assigned to this address")
	fl.StringSliceVarP(&f.labels, "label", "l", nil, "only beads with every one of these labels")
	fl.StringVar(&f.parent, "parent", "", "only children of this bead")
	fl.BoolVar(&f.all, "all", false, "include closed beads, tombstones and wisps")
	fl.IntVarP(&f.limit, "limit", "n", 50, "at most this many (0 = all)")
	fl.StringVar(&f.sort, "sort", "", "sort by priority, created, oldest, newest, updated, id, title or status")
}

func (f *listFlags) filter(s *bdSession) (beads.Filter, error) {
	var flt beads.Filter
	for _, v := range splitList(f.status) {
		st, err := models.ParseStatus(v)
		if err != nil {
			return flt, err
		}
		flt.Status = append(flt.Status, st)
	}
	for _, v := range splitList(f.types) {
		t, err := models.ParseIssueType(v)
		if err != nil {
			return flt, err
		}
		flt.Types = append(flt.Types, t)
	}
	if f.limit < 0 {
		return flt, fmt.Errorf("--limit must be 0 or more (got %d)", f.limit)
	}
	if f.parent != "" {
		p, err := s.store.Resolve(s.ctx, f.parent)
		if err != nil {
			return flt, err
		}
		flt.Parent = p
	}
	flt.Assignee = f.assignee
	flt.Labels = splitList(f.labels)
	flt.IncludeClosed = f.all
	flt.Limit = f.limit
	flt.Sort = f.sort
	return flt, nil
}

func newBDListCommand(e *env) *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List beads",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			flt, err := f.filter(s)
			if err != nil {
				return err
			}
			return printList(s, flt)
		}),
	}
	f.register(cmd)
	return cmd
}

func newBDSearchCommand(e *env) *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:   "search <query>",
		Short: "Search titles, descriptions, notes and IDs",
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			q := strings.TrimSpace(strings.Join(args, " "))
			if q == "" {
				return errors.New("search query is required")
			}
			flt, err := f.filter(s)
			if err != nil {
				return err
			}
			flt.Query = q
			return printList(s, flt)
		}),
	}
	f.register(cmd)
	return cmd
}

func printList(s *bdSession, flt beads.Filter) error {
	list, err := s.store.List(s.ctx, flt)
	if err != nil {
		return err
	}
	if s.asJSON {
		return s.printJSON(beadsJSON(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(s.e.stdout, "No issues found.")
		return nil
	}
	for i := range list {
		fmt.Fprintln(s.e.stdout, s.pal.listLine(&list[i]))
	}
	return nil
}

// beadsJSON makes sure an empty list prints as [].
func beadsJSON(list []models.Bead) []models.Bead {
	if list == nil {
		return []models.Bead{}
	}
	return list
}

// readyFlags are the filters of bd ready and bd blocked.
type readyFlags struct {
	limit      int
	assignee   string
	unassigned bool
	labels     []string
	types      []string
	mol        string
	sort       string
}

func (f *readyFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVarP(&f.limit, "limit", "n", 10, "at most this many (0 = all)")
	fl.StringVarP(&f.assignee, "assignee", "a", "", "only beads assigned to this address")
	fl.BoolVarP(&f.unassigned, "unassigned", "u", false, "only unassigned beads")
	fl.StringSliceVarP(&f.labels, "label", "l", nil, "only beads with every one of these labels")
	fl.StringSliceVarP(&f.types, "type", "t", nil, "only these types (a,b)")
	fl.StringVar(&f.mol, "mol", "", "the steps of this molecule")
	fl.StringVarP(&f.sort, "sort", "s", "hybrid", "hybrid, priority or oldest")
}

func (f *readyFlags) filter(s *bdSession) (beads.ReadyFilter, error) {
	var flt beads.ReadyFilter
	switch f.sort {
	case "hybrid", "priority", "oldest":
	default:
		return flt, fmt.Errorf("invalid sort %q (use hybrid, priority or oldest)", f.sort)
	}
	if f.limit < 0 {
		return flt, fmt.Errorf("--limit must be 0 or more (got %d)", f.limit)
	}
	if f.assignee != "" && f.unassigned {
		return flt, errors.New("--assignee and --unassigned cannot be used together")
	}
	for _, v := range splitList(f.types) {
		t, err := models.ParseIssueType(v)
		if err != nil {
			return flt, err
		}
		flt.Types = append(flt.Types, t)
	}
	if f.mol != "" {
		m, err := s.store.Resolve(s.ctx, f.mol)
		if err != nil {
			return flt, err
		}
		flt.Mol = m
	}
	flt.Limit = f.limit
	flt.Assignee = f.assignee
	flt.Unassigned = f.unassigned
	flt.Labels = splitList(f.labels)
	flt.Sort = f.sort
	return flt, nil
}

func newBDReadyCommand(e *env) *cobra.Command {
	var f readyFlags
	cmd := &cobra.Command{
		Use:   "ready",
		Short: "List beads that are ready to work on",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			flt, err := f.filter(s)
			if err != nil {
				return err
			}
			list, err := s.store.Ready(s.ctx, flt)
			if err != nil {
				return err
			}
			if s.asJSON {
				out := make([]json.RawMessage, 0, len(list))
				for i := range list {
					raw, err := list[i].JSONWith(map[string]any{"blocked_by_count": 0, "blocked_by": []string{}})
					if err != nil {
						return err
					}
					out = append(out, raw)
				}
				return s.printJSON(out)
			}
			if len(list) == 0 {
				fmt.Fprintln(s.e.stdout, "No ready work.")
				return nil
			}
			noun := "issues"
			if len(list) == 1 {
				noun = "issue"
			}
			fmt.Fprintf(s.e.stdout, "Ready work (%d %s with no blockers):\n\n", len(list), noun)
			width := len(fmt.Sprint(len(list)))
			for i := range list {
				b := &list[i]
				line := fmt.Sprintf("%*d. [%s] [%s] %s: %s", width, i+1, s.pal.priority(b.Priority), b.IssueType, s.pal.cyan(b.ID), oneLineText(b.Title))
				if b.Assignee != "" {
					line += "  " + s.pal.dim("@"+b.Assignee)
				}
				fmt.Fprintln(s.e.stdout, line)
			}
			return nil
		}),
	}
	f.register(cmd)
	return cmd
}

func newBDBlockedCommand(e *env) *cobra.Command {
	var f readyFlags
	cmd := &cobra.Command{
		Use:   "blocked",
		Short: "List beads that are blocked, with what blocks them",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			flt, err := f.filter(s)
			if err != nil {
				return err
			}
			list, err := s.store.Blocked(s.ctx, flt)
			if err != nil {
				return err
			}
			if s.asJSON {
				out := make([]json.RawMessage, 0, len(list))
				for i := range list {
					by := list[i].BlockedBy
					if by == nil {
						by = []string{}
					}
					raw, err := list[i].Bead.JSONWith(map[string]any{"blocked_by_count": len(by), "blocked_by": by})
					if err != nil {
						return err
					}
					out = append(out, raw)
				}
				return s.printJSON(out)
			}
			if len(list) == 0 {
				fmt.Fprintln(s.e.stdout, "No blocked issues.")
				return nil
			}
			for i := range list {
				fmt.Fprintf(s.e.stdout, "%s blocked by %s\n", s.pal.cyan(list[i].Bead.ID), idList(list[i].BlockedBy))
			}
			return nil
		}),
	}
	f.register(cmd)
	return cmd
}
