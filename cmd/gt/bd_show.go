package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func newBDShowCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show <id>...",
		Short: "Show beads in detail",
		Args:  needArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			ids, err := resolveAll(s.ctx, s.store, args)
			if err != nil {
				return err
			}
			details := make([]beadDetail, 0, len(ids))
			for _, id := range ids {
				d, err := loadDetail(s, id)
				if err != nil {
					return err
				}
				details = append(details, d)
			}
			if s.asJSON {
				out := make([]json.RawMessage, 0, len(details))
				for _, d := range details {
					raw, err := d.json()
					if err != nil {
						return err
					}
					out = append(out, raw)
				}
				return s.printJSON(out)
			}
			for i, d := range details {
				if i > 0 {
					fmt.Fprintln(s.e.stdout)
				}
				d.render(s.e.stdout, s.pal)
			}
			return nil
		}),
	}
}

// linked is a bead on the other end of a dependency edge. Bead is nil when
// the edge points at a bead this database does not have (kept from import).
type linked struct {
	id   string
	typ  models.DepType
	bead *models.Bead
}

// beadDetail is everything bd show prints about one bead.
type beadDetail struct {
	bead          *models.Bead
	parent        string
	dependsOn     []linked // outgoing edges except parent-child
	dependents    []linked // incoming edges except parent-child
	children      []linked // incoming parent-child edges
	allDeps       []linked // every outgoing edge, for JSON
	allDependents []linked
	comments      []models.Comment
}

func loadDetail(s *bdSession, id string) (beadDetail, error) {
	d := beadDetail{}
	b, err := s.store.Get(s.ctx, id)
	if err != nil {
		return d, err
	}
	d.bead = b
	deps, err := s.store.Dependencies(s.ctx, id)
	if err != nil {
		return d, err
	}
	for _, dep := range deps {
		l, err := linkTo(s, dep.DependsOnID, dep.Type)
		if err != nil {
			return d, err
		}
		d.allDeps = append(d.allDeps, l)
		if dep.Type == models.DepParentChild {
			d.parent = dep.DependsOnID
			continue
		}
		d.dependsOn = append(d.dependsOn, l)
	}
	rdeps, err := s.store.Dependents(s.ctx, id)
	if err != nil {
		return d, err
	}
	for _, dep := range rdeps {
		l, err := linkTo(s, dep.IssueID, dep.Type)
		if err != nil {
			return d, err
		}
		d.allDependents = append(d.allDependents, l)
		if dep.Type == models.DepParentChild {
			d.children = append(d.children, l)
			continue
		}
		d.dependents = append(d.dependents, l)
	}
	d.comments = b.Comments
	if d.comments == nil {
		if d.comments, err = s.store.Comments(s.ctx, id); err != nil {
			return d, err
		}
	}
	return d, nil
}

func linkTo(s *bdSession, id string, t models.DepType) (linked, error) {
	b, err := s.store.Get(s.ctx, id)
	switch {
	case errors.Is(err, beads.ErrNotFound):
		return linked{id: id, typ: t}, nil
	case err != nil:
		return linked{}, err
	}
	return linked{id: id, typ: t, bead: b}, nil
}

// json is the bd show --json object: the bead's own keys, then
// dependencies and dependents as beads with a dependency_type key,
// comments, labels and (when it has one) parent.
func (d beadDetail) json() (json.RawMessage, error) {
	deps, err := linkedJSON(d.allDeps)
	if err != nil {
		return nil, err
	}
	rdeps, err := linkedJSON(d.allDependents)
	if err != nil {
		return nil, err
	}
	comments := d.comments
	if comments == nil {
		comments = []models.Comment{}
	}
	labels := d.bead.Labels
	if labels == nil {
		labels = []string{}
	}
	extra := map[string]any{
		"dependencies": deps,
		"dependents":   rdeps,
		"comments":     comments,
		"labels":       labels,
	}
	if d.parent != "" {
		extra["parent"] = d.parent
	}
	return d.bead.JSONWith(extra)
}

func linkedJSON(ls []linked) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(ls))
	for _, l := range ls {
		if l.bead == nil {
			raw, err := json.Marshal(map[string]string{"id": l.id, "dependency_type": string(l.typ)})
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
			continue
		}
		b := *l.bead
		b.Dependencies, b.Comments = nil, nil
		raw, err := b.JSONWith(map[string]any{"dependency_type": string(l.typ)})
		if err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, nil
}

// render prints the human form: `<id>: <title>`, an aligned field block,
// the text fields, then the DEPENDS ON / BLOCKS / CHILDREN / COMMENTS
// sections that have entries.
func (d beadDetail) render(w io.Writer, p palette) {
	b := d.bead
	fmt.Fprintf(w, "%s: %s\n", p.cyan(b.ID), p.bold(oneLineText(b.Title)))
	assignee := b.Assignee
	if assignee == "" {
		assignee = "-"
	}
	created := shortTime(b.CreatedAt)
	if b.CreatedBy != "" {
		created += " by " + b.CreatedBy
	}
	rows := [][2]string{
		{"Status", p.status(b.Status)},
		{"Priority", p.priority(b.Priority)},
		{"Type", string(b.IssueType)},
		{"Assignee", assignee},
		{"Created", created},
		{"Updated", shortTime(b.UpdatedAt)},
	}
	if b.Owner != "" {
		rows = append(rows, [2]string{"Owner", b.Owner})
	}
	if b.ClosedAt != nil {
		closed := shortTime(*b.ClosedAt)
		if b.CloseReason != "" {
			closed += " (" + oneLineText(b.CloseReason) + ")"
		}
		rows = append(rows, [2]string{"Closed", closed})
	}
	if b.DeferUntil != nil {
		rows = append(rows, [2]string{"Deferred until", shortTime(*b.DeferUntil)})
	}
	if b.DueAt != nil {
		rows = append(rows, [2]string{"Due", shortTime(*b.DueAt)})
	}
	if b.EstimatedMinutes != nil {
		rows = append(rows, [2]string{"Estimate", strconv.Itoa(*b.EstimatedMinutes) + "m"})
	}
	if b.ExternalRef != "" {
		rows = append(rows, [2]string{"External ref", b.ExternalRef})
	}
	if d.parent != "" {
		rows = append(rows, [2]string{"Parent", d.parent})
	}
	if len(b.Labels) > 0 {
		rows = append(rows, [2]string{"Labels", strings.Join(b.Labels, ", ")})
	}
	if b.Ephemeral {
		rows = append(rows, [2]string{"Ephemeral", "yes"})
	}
	kvBlock(w, rows)
	for _, sec := range [][2]string{
		{"Description", b.Description},
		{"Design", b.Design},
		{"Acceptance criteria", b.AcceptanceCriteria},
		{"Notes", b.Notes},
	} {
		if strings.TrimSpace(sec[1]) == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", p.bold(sec[0]))
		for _, line := range strings.Split(strings.TrimRight(sec[1], "\n"), "\n") {
			fmt.Fprintln(w, "  "+line)
		}
	}
	section := func(title, arrow string, ls []linked, showType bool) {
		if len(ls) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", p.bold(title))
		for _, l := range ls {
			line := "  " + arrow + " " + p.cyan(l.id)
			if l.bead != nil {
				line += ": " + oneLineText(l.bead.Title) + " [" + p.status(l.bead.Status) + "]"
			} else {
				line += " (not in this database)"
			}
			if showType {
				line += " (" + string(l.typ) + ")"
			}
			fmt.Fprintln(w, line)
		}
	}
	section("DEPENDS ON", "→", d.dependsOn, true)
	section("BLOCKS", "←", d.dependents, true)
	section("CHILDREN", "↳", d.children, false)
	if len(d.comments) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.bold("COMMENTS"))
		for _, c := range d.comments {
			fmt.Fprintln(w, "  "+commentLine(c, p))
		}
	}
}

// commentLine is `[<time>] <author>: <text>`; further lines of a
// multi-line comment are indented under it.
func commentLine(c models.Comment, p palette) string {
	text := strings.ReplaceAll(strings.TrimRight(c.Text, "\n"), "\n", "\n    ")
	return p.dim("["+shortTime(c.CreatedAt)+"]") + " " + c.Author + ": " + text
}
