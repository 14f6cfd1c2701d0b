package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

type createFlags struct {
	title, typ, priority, description, design, acceptance, notes string
	assignee, parent, id, prefix, rig, externalRef, deferUntil   string
	labels, deps                                                 []string
	estimate                                                     int
	ephemeral, silent                                            bool
}

func newBDCreateCommand(e *env) *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create <title>",
		Short: "Create a bead",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("too many arguments: quote the title (usage: %s)", cmd.UseLine())
			}
			return nil
		},
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			if len(args) == 1 {
				if f.title != "" && f.title != args[0] {
					return errors.New("give the title once (argument or --title)")
				}
				f.title = args[0]
			}
			return runCreate(cmd, s, &f)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.title, "title", "", "title (instead of the argument)")
	fl.StringVarP(&f.typ, "type", "t", "task", "issue type")
	fl.StringVarP(&f.priority, "priority", "p", "2", "priority 0-4 or P0-P4")
	fl.StringVarP(&f.description, "description", "d", "", "description")
	fl.StringVar(&f.design, "design", "", "design notes")
	fl.StringVar(&f.acceptance, "acceptance", "", "acceptance criteria")
	fl.StringVar(&f.notes, "notes", "", "notes")
	fl.StringVarP(&f.assignee, "assignee", "a", "", "assignee address")
	fl.StringSliceVarP(&f.labels, "labels", "l", nil, "labels (a,b)")
	fl.StringVar(&f.parent, "parent", "", "parent bead: the new bead becomes <parent>.<n>")
	fl.StringSliceVar(&f.deps, "deps", nil, "dependencies type:id,... (type defaults to blocks)")
	fl.StringVar(&f.id, "id", "", "explicit ID")
	fl.StringVar(&f.prefix, "prefix", "", "ID prefix")
	fl.StringVar(&f.rig, "rig", "", "use this rig's prefix")
	fl.StringVar(&f.externalRef, "external-ref", "", "external reference (unique)")
	fl.StringVar(&f.deferUntil, "defer", "", "hide from ready until (2026-01-02, RFC 3339, or 2d)")
	fl.IntVarP(&f.estimate, "estimate", "e", -1, "estimated minutes")
	fl.BoolVar(&f.ephemeral, "ephemeral", false, "never exported (wisp)")
	fl.BoolVar(&f.silent, "silent", false, "print only the new ID")
	return cmd
}

// depSpec is one --deps entry.
type depSpec struct {
	typ    models.DepType
	target string
}

// parseDeps reads `type:id` or `id` entries.
func parseDeps(vals []string) ([]depSpec, error) {
	var out []depSpec
	for _, v := range splitList(vals) {
		typ, target := "", v
		if i := strings.LastIndexByte(v, ':'); i >= 0 {
			typ, target = v[:i], v[i+1:]
		}
		if strings.TrimSpace(target) == "" {
			return nil, fmt.Errorf("invalid --deps entry %q (expected type:id)", v)
		}
		t, err := models.ParseDepType(typ)
		if err != nil {
			return nil, err
		}
		out = append(out, depSpec{typ: t, target: strings.TrimSpace(target)})
	}
	return out, nil
}

func runCreate(cmd *cobra.Command, s *bdSession, f *createFlags) error {
	if strings.TrimSpace(f.title) == "" {
		return errors.New("title is required")
	}
	typ, err := models.ParseIssueType(f.typ)
	if err != nil {
		return err
	}
	prio, err := models.ParsePriority(f.priority)
	if err != nil {
		return err
	}
	deps, err := parseDeps(f.deps)
	if err != nil {
		return err
	}
	prefix, err := s.newBeadPrefix(f.prefix, f.rig)
	if err != nil {
		return err
	}
	tmpl := models.Bead{
		ID:                 strings.TrimSpace(f.id),
		Title:              f.title,
		Description:        f.description,
		Design:             f.design,
		AcceptanceCriteria: f.acceptance,
		Notes:              f.notes,
		Status:             models.StatusOpen,
		Priority:           prio,
		IssueType:          typ,
		Assignee:           f.assignee,
		ExternalRef:        f.externalRef,
		Ephemeral:          f.ephemeral,
	}
	if cmd.Flags().Changed("estimate") {
		if f.estimate < 0 {
			return errors.New("estimated_minutes cannot be negative")
		}
		est := f.estimate
		tmpl.EstimatedMinutes = &est
	}
	if f.deferUntil != "" {
		when, err := parseWhen("defer", f.deferUntil, time.Now())
		if err != nil {
			return err
		}
		tmpl.DeferUntil = when
	}
	labels := splitList(f.labels)

	var created *models.Bead
	err = s.write(func(tx *beads.Tx, ev *eventSink) error {
		b := tmpl
		b.Labels = append([]string(nil), labels...)
		opts := beads.CreateOpts{Prefix: prefix}
		if f.parent != "" {
			parent, err := tx.Resolve(f.parent)
			if err != nil {
				return err
			}
			opts.Parent = parent
		}
		targets := make([]string, len(deps))
		for i, d := range deps {
			t, err := tx.Resolve(d.target)
			if err != nil {
				return err
			}
			targets[i] = t
		}
		nb, err := tx.Create(&b, opts)
		if err != nil {
			return err
		}
		for i, d := range deps {
			if err := tx.AddDependency(nb.ID, targets[i], d.typ); err != nil {
				return err
			}
		}
		if created, err = tx.Get(nb.ID); err != nil {
			return err
		}
		ev.add("bead_created", created, s.actor, nil)
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case s.asJSON:
		return s.printJSON(created)
	case f.silent:
		fmt.Fprintln(s.e.stdout, created.ID)
	default:
		fmt.Fprintln(s.e.stdout, s.pal.ok("Created issue: "+s.pal.cyan(created.ID)))
	}
	return nil
}

// newBeadPrefix picks the prefix for a new bead: --prefix, else --rig's
// prefix, else the caller's rig prefix ($GT_RIG or cwd), else "" (the
// store's default, hq in a town).
func (s *bdSession) newBeadPrefix(prefixFlag, rigFlag string) (string, error) {
	if prefixFlag != "" {
		if err := beads.ValidatePrefix(prefixFlag); err != nil {
			return "", err
		}
		return prefixFlag, nil
	}
	rigs, err := rigPrefixes(s.place.town)
	if err != nil {
		return "", err
	}
	if rigFlag != "" {
		if s.place.town == "" {
			return "", fmt.Errorf("--rig %s: not in a Gas Town workspace (run gt install <path>, or gt demo)", rigFlag)
		}
		p, ok := rigs[rigFlag]
		if !ok {
			return "", fmt.Errorf("unknown rig %q (see gt rig list)", rigFlag)
		}
		return p, nil
	}
	if r := callerRig(s.place, rigs, s.getenv); r != "" {
		if p, ok := rigs[r]; ok {
			return p, nil
		}
	}
	return "", nil
}
