package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

func newBDDepCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dep",
		Short: "Add, remove or show dependencies",
		Args:  rejectUnknown,
		RunE:  groupHelp,
	}
	var addType string
	add := &cobra.Command{
		Use:   "add <issue> <depends-on>",
		Short: "Make <issue> depend on <depends-on> (it is blocked until that closes)",
		Args:  exactArgs(2, "two issue IDs"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			t, err := models.ParseDepType(addType)
			if err != nil {
				return err
			}
			var from, to string
			err = s.write(func(tx *beads.Tx, ev *eventSink) error {
				var err error
				if from, err = tx.Resolve(args[0]); err != nil {
					return err
				}
				if to, err = tx.Resolve(args[1]); err != nil {
					return err
				}
				if err := tx.AddDependency(from, to, t); err != nil {
					return err
				}
				b, err := tx.Get(from)
				if err != nil {
					return err
				}
				ev.add("bead_updated", b, s.actor, map[string]any{"fields": []string{"dependencies"}})
				return nil
			})
			if err != nil {
				return err
			}
			if s.asJSON {
				return s.printJSON(map[string]string{"status": "added", "issue_id": from, "depends_on_id": to, "type": string(t)})
			}
			fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Added dependency: %s depends on %s (%s)", from, to, t)))
			return nil
		}),
	}
	add.Flags().StringVarP(&addType, "type", "t", "blocks", "dependency type")

	remove := &cobra.Command{
		Use:   "remove <issue> <depends-on>",
		Short: "Remove the dependency of <issue> on <depends-on>",
		Args:  exactArgs(2, "two issue IDs"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			var from, to string
			err := s.write(func(tx *beads.Tx, ev *eventSink) error {
				var err error
				if from, err = tx.Resolve(args[0]); err != nil {
					return err
				}
				if to, err = tx.Resolve(args[1]); err != nil {
					return err
				}
				if err := tx.RemoveDependency(from, to); err != nil {
					return err
				}
				b, err := tx.Get(from)
				if err != nil {
					return err
				}
				ev.add("bead_updated", b, s.actor, map[string]any{"fields": []string{"dependencies"}})
				return nil
			})
			if err != nil {
				return err
			}
			if s.asJSON {
				return s.printJSON(map[string]string{"status": "removed", "issue_id": from, "depends_on_id": to})
			}
			fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Removed dependency: %s no longer depends on %s", from, to)))
			return nil
		}),
	}

	var depth int
	var direction string
	tree := &cobra.Command{
		Use:   "tree <id>",
		Short: "Show the dependency tree of a bead",
		Args:  exactArgs(1, "issue ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			if direction != "down" && direction != "up" {
				return fmt.Errorf("invalid --direction %q (use down or up)", direction)
			}
			if depth < 1 {
				return fmt.Errorf("--max-depth must be at least 1 (got %d)", depth)
			}
			id, err := s.store.Resolve(s.ctx, args[0])
			if err != nil {
				return err
			}
			nodes, err := depTree(s, id, direction == "up", depth)
			if err != nil {
				return err
			}
			if s.asJSON {
				out := make([]json.RawMessage, 0, len(nodes))
				for _, n := range nodes {
					raw, err := n.json()
					if err != nil {
						return err
					}
					out = append(out, raw)
				}
				return s.printJSON(out)
			}
			renderTree(s.e.stdout, s.pal, nodes)
			return nil
		}),
	}
	tree.Flags().IntVarP(&depth, "max-depth", "d", 50, "how deep to go")
	tree.Flags().StringVar(&direction, "direction", "down", "down (what it depends on) or up (what depends on it)")

	cmd.AddCommand(add, remove, tree)
	return cmd
}

// groupHelp is the RunE of a command group: bare, it prints help; with a
// word that is no subcommand, rejectUnknown has already failed.
func groupHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// treeNode is one line of bd dep tree.
type treeNode struct {
	id       string
	bead     *models.Bead // nil: not in this database
	depth    int
	parentID string
	depType  models.DepType
	last     []bool // per level: is this node the last child at that level
	seen     bool   // shown earlier; its subtree is not repeated
	cut      bool   // depth limit reached with more below
}

// depTree walks dependencies (or dependents when up) depth-first from id,
// in pre-order. A bead met again is shown once more, marked, without its
// subtree, so diamonds and relates-to loops stay finite.
func depTree(s *bdSession, id string, up bool, maxDepth int) ([]treeNode, error) {
	root, err := s.store.Get(s.ctx, id)
	if err != nil {
		return nil, err
	}
	nodes := []treeNode{{id: id, bead: root}}
	seen := map[string]bool{id: true}
	var walk func(from string, depth int, last []bool) error
	walk = func(from string, depth int, last []bool) error {
		var edges []models.Dependency
		var err error
		if up {
			edges, err = s.store.Dependents(s.ctx, from)
		} else {
			edges, err = s.store.Dependencies(s.ctx, from)
		}
		if err != nil {
			return err
		}
		if depth > maxDepth {
			if len(edges) > 0 {
				nodes[len(nodes)-1].cut = true
			}
			return nil
		}
		for i, e := range edges {
			next := e.DependsOnID
			if up {
				next = e.IssueID
			}
			n := treeNode{id: next, depth: depth, parentID: from, depType: e.Type,
				last: append(append([]bool(nil), last...), i == len(edges)-1)}
			b, err := s.store.Get(s.ctx, next)
			switch {
			case errors.Is(err, beads.ErrNotFound):
			case err != nil:
				return err
			default:
				n.bead = b
			}
			n.seen = seen[next]
			nodes = append(nodes, n)
			if n.seen || n.bead == nil {
				continue
			}
			seen[next] = true
			if err := walk(next, depth+1, n.last); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(id, 1, nil); err != nil {
		return nil, err
	}
	return nodes, nil
}

func (n treeNode) json() (json.RawMessage, error) {
	extra := map[string]any{"depth": n.depth, "truncated": n.cut}
	if n.parentID != "" {
		extra["parent_id"] = n.parentID
		extra["dependency_type"] = string(n.depType)
	}
	if n.bead == nil {
		extra["id"] = n.id
		return json.Marshal(extra)
	}
	b := *n.bead
	b.Dependencies, b.Comments = nil, nil
	return b.JSONWith(extra)
}

// renderTree draws the nodes with box-drawing branches:
//
//	gt-a: Root [P2] (open)
//	├── gt-b: Child [P1] (open) blocks
//	│   └── gt-c: Grandchild [P2] (closed) blocks
//	└── gt-d: Other [P2] (open) related
func renderTree(w io.Writer, p palette, nodes []treeNode) {
	for _, n := range nodes {
		var sb strings.Builder
		for lvl := 0; lvl < len(n.last)-1; lvl++ {
			if n.last[lvl] {
				sb.WriteString("    ")
			} else {
				sb.WriteString("│   ")
			}
		}
		if len(n.last) > 0 {
			if n.last[len(n.last)-1] {
				sb.WriteString("└── ")
			} else {
				sb.WriteString("├── ")
			}
		}
		sb.WriteString(p.cyan(n.id))
		if n.bead != nil {
			fmt.Fprintf(&sb, ": %s [%s] (%s)", oneLineText(n.bead.Title), p.priority(n.bead.Priority), p.status(n.bead.Status))
		} else {
			sb.WriteString(" (not in this database)")
		}
		if n.parentID != "" {
			sb.WriteString(" " + p.dim(string(n.depType)))
		}
		if n.seen {
			sb.WriteString(p.dim(" (shown above)"))
		}
		if n.cut {
			sb.WriteString(p.dim(" …"))
		}
		fmt.Fprintln(w, sb.String())
	}
}
