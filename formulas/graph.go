package formulas

import (
	"slices"
	"strings"

	"github.com/gastown/gt/models"
)

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

// walk visits every step of a tree, parents before children.
func walk(steps []*models.Step, fn func(s *models.Step)) {
	for _, s := range steps {
		fn(s)
		walk(s.Children, fn)
	}
}

func needsPos(s *models.Step) models.SourcePos {
	if p, ok := s.KeyPos["needs"]; ok {
		return p
	}
	return s.At("depends_on")
}

// checkGraph reports needs naming unknown steps and cycles (§7.3). Loop
// bodies are checked against their own IDs and the outer ones.
func (c *cooker) checkGraph(steps []*models.Step, loops bool) {
	ids := map[string]bool{}
	var order []*models.Step
	walk(steps, func(s *models.Step) {
		if s.ID == "" {
			return
		}
		// Files report their own duplicates; after composition two
		// templates or advice steps can still collide.
		if ids[s.ID] && !loops {
			c.d.errorf(s.Pos, "%s: duplicate id %q after composition", stepRef(s), s.ID)
		}
		ids[s.ID] = true
		order = append(order, s)
	})
	walk(steps, func(s *models.Step) {
		for _, n := range s.Needs {
			if !ids[n] {
				c.d.errorf(needsPos(s), "%s: needs references unknown step %q", stepRef(s), n)
			}
		}
		if loops && s.Loop != nil {
			inner := map[string]bool{}
			walk(s.Loop.Body, func(b *models.Step) { inner[b.ID] = true })
			walk(s.Loop.Body, func(b *models.Step) {
				for _, n := range b.Needs {
					if !inner[n] && !ids[n] {
						c.d.errorf(needsPos(b), "%s: needs references unknown step %q", stepRef(b), n)
					}
				}
			})
			c.checkCycles(s.Loop.Body)
		}
	})
	c.checkCyclesIn(order, ids)
}

func (c *cooker) checkCycles(steps []*models.Step) {
	ids := map[string]bool{}
	var order []*models.Step
	walk(steps, func(s *models.Step) {
		if s.ID != "" {
			ids[s.ID] = true
			order = append(order, s)
		}
	})
	c.checkCyclesIn(order, ids)
}

// checkCyclesIn finds the strongly connected components of the needs graph
// (Tarjan) and reports one cycle per component, starting at its first step.
func (c *cooker) checkCyclesIn(order []*models.Step, ids map[string]bool) {
	byID := map[string]*models.Step{}
	index := map[string]int{}
	for i, s := range order {
		if _, dup := byID[s.ID]; !dup {
			byID[s.ID] = s
			index[s.ID] = i
		}
	}
	edges := func(id string) []string {
		var out []string
		for _, n := range byID[id].Needs {
			if ids[n] && byID[n] != nil {
				out = append(out, n)
			}
		}
		return out
	}
	t := tarjan{edges: edges, idx: map[string]int{}, low: map[string]int{}, on: map[string]bool{}}
	for _, s := range order {
		if _, seen := t.idx[s.ID]; !seen && byID[s.ID] == s {
			t.visit(s.ID)
		}
	}
	for _, comp := range t.comps {
		self := len(comp) == 1 && slices.Contains(edges(comp[0]), comp[0])
		if len(comp) < 2 && !self {
			continue
		}
		slices.SortFunc(comp, func(a, b string) int { return index[a] - index[b] })
		in := map[string]bool{}
		for _, id := range comp {
			in[id] = true
		}
		path := cyclePath(comp[0], in, edges)
		c.d.errorf(byID[comp[0]].Pos, "cycle in needs: %s", strings.Join(path, " -> "))
	}
}

// cyclePath finds the shortest path from start back to itself inside a
// component.
func cyclePath(start string, in map[string]bool, edges func(string) []string) []string {
	prev := map[string]string{}
	queue := []string{start}
	seen := map[string]bool{}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range edges(cur) {
			if !in[n] {
				continue
			}
			if n == start {
				path := []string{start}
				for x := cur; x != start; x = prev[x] {
					path = append(path, "")
					copy(path[2:], path[1:])
					path[1] = x
				}
				return append(path, start)
			}
			if !seen[n] {
				seen[n] = true
				prev[n] = cur
				queue = append(queue, n)
			}
		}
	}
	return []string{start, start}
}

type tarjan struct {
	edges func(string) []string
	n     int
	idx   map[string]int
	low   map[string]int
	on    map[string]bool
	stack []string
	comps [][]string
}

func (t *tarjan) visit(v string) {
	t.idx[v] = t.n
	t.low[v] = t.n
	t.n++
	t.stack = append(t.stack, v)
	t.on[v] = true
	for _, w := range t.edges(v) {
		if _, seen := t.idx[w]; !seen {
			t.visit(w)
			t.low[v] = min(t.low[v], t.low[w])
		} else if t.on[w] {
			t.low[v] = min(t.low[v], t.idx[w])
		}
	}
	if t.low[v] == t.idx[v] {
		var comp []string
		for {
			w := t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.on[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		t.comps = append(t.comps, comp)
	}
}

// rewire makes every step that needs `from` need `to` instead (except the
// steps in skip), keeping needs unique.
func rewire(steps []*models.Step, from string, to []string, skip map[string]bool) {
	walk(steps, func(s *models.Step) {
		if skip[s.ID] || !slices.Contains(s.Needs, from) {
			return
		}
		var needs []string
		for _, n := range s.Needs {
			if n == from {
				for _, t := range to {
					if t != s.ID && !slices.Contains(needs, t) {
						needs = append(needs, t)
					}
				}
			} else if !slices.Contains(needs, n) {
				needs = append(needs, n)
			}
		}
		s.Needs = needs
	})
}

// entriesExits returns, for a list of sibling steps, the ones that need none
// of the others (entries) and the ones none of the others need (exits).
func entriesExits(steps []*models.Step) (entries, exits []*models.Step) {
	in := map[string]bool{}
	needed := map[string]bool{}
	for _, s := range steps {
		in[s.ID] = true
	}
	for _, s := range steps {
		for _, n := range s.Needs {
			if in[n] {
				needed[n] = true
			}
		}
	}
	for _, s := range steps {
		internal := false
		for _, n := range s.Needs {
			if in[n] {
				internal = true
			}
		}
		if !internal {
			entries = append(entries, s)
		}
		if !needed[s.ID] {
			exits = append(exits, s)
		}
	}
	return entries, exits
}

func stepIDs(steps []*models.Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.ID
	}
	return out
}
