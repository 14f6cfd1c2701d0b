package formulas

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gastown/gt/models"
)

// expandLoops replaces every loop step by its iterations (§7.1): body steps
// become <id>.iter<N>.<bodyid>, iterations are chained, the first inherits
// the loop's needs and whatever needed the loop needs the last iteration.
func (c *cooker) expandLoops(steps []*models.Step, vals map[string]string) []*models.Step {
	type alias struct {
		id    string
		exits []string
	}
	var aliases []alias
	var out []*models.Step
	for _, s := range steps {
		s.Children = c.expandLoops(s.Children, vals)
		if s.Loop == nil {
			out = append(out, s)
			continue
		}
		iters, ok := c.loopValues(s, vals)
		if !ok {
			continue
		}
		bodyIDs := map[string]bool{}
		walk(s.Loop.Body, func(b *models.Step) { bodyIDs[b.ID] = true })
		c.expanded += len(iters) * len(bodyIDs)
		if c.expanded > maxSteps {
			c.d.errorf(s.Loop.Pos, "loop %q: the formula expands to more than %d steps", s.ID, maxSteps)
			continue
		}
		prev := slices.Clone(s.Needs)
		for n, val := range iters {
			prefix := fmt.Sprintf("%s.iter%d.", s.ID, n+1)
			iter := models.CloneSteps(s.Loop.Body)
			repl := map[string]string{"{index}": strconv.Itoa(n + 1)}
			if s.Loop.Var != "" {
				repl["{"+s.Loop.Var+"}"] = val
			}
			walk(iter, func(b *models.Step) {
				for i, need := range b.Needs {
					if bodyIDs[need] {
						b.Needs[i] = prefix + need
					}
				}
				b.ID = prefix + b.ID
				b.Title = replaceAll(b.Title, repl)
				b.Description = replaceAll(b.Description, repl)
				b.Notes = replaceAll(b.Notes, repl)
				b.Assignee = replaceAll(b.Assignee, repl)
				if s.Loop.Until != "" {
					if b.Metadata == nil {
						b.Metadata = map[string]any{}
					}
					b.Metadata["loop_until"] = s.Loop.Until
				}
			})
			iter = c.expandLoops(iter, vals)
			entries, exits := entriesExits(iter)
			for _, e := range entries {
				e.Needs = appendNew(slices.Clone(prev), e.Needs...)
			}
			prev = stepIDs(exits)
			out = append(out, iter...)
		}
		aliases = append(aliases, alias{s.ID, prev})
	}
	for _, a := range aliases {
		rewire(out, a.id, a.exits, nil)
	}
	// Steps elsewhere in the tree (a parent's siblings) may need the loop
	// too; cook rewires them with the recorded aliases.
	for _, a := range aliases {
		c.loopExits = append(c.loopExits, loopExit{a.id, a.exits})
	}
	return out
}

func replaceAll(s string, repl map[string]string) string {
	keys := slices.Sorted(maps.Keys(repl))
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, repl[k])
	}
	// One pass, longest match first at each position: values are never
	// re-scanned, so the result does not depend on map order.
	return strings.NewReplacer(pairs...).Replace(s)
}

// loopValues returns the loop variable's value for each iteration.
func (c *cooker) loopValues(s *models.Step, vals map[string]string) ([]string, bool) {
	l := s.Loop
	if len(l.Body) == 0 {
		return nil, false // reported by checkFile
	}
	var out []string
	switch {
	case l.CountSet:
		if l.Count < 0 {
			return nil, false
		}
		if l.Count > maxLoopIterations {
			c.d.errorf(l.Pos, "loop %q: %d iterations is more than %d", s.ID, l.Count, maxLoopIterations)
			return nil, false
		}
		for i := 1; i <= l.Count; i++ {
			out = append(out, strconv.Itoa(i))
		}
	case l.Range != "":
		lo, hi, err := evalRange(l.Range, vals)
		if err != nil {
			if errors.Is(err, errNoValue) && c.opt.Proto {
				if !c.validating {
					c.d.warnf(l.Pos, "loop %q: %v; showing one iteration", s.ID, err)
				}
				return []string{"1"}, true
			}
			c.d.errorf(l.Pos, "loop %q: %v", s.ID, err)
			return nil, false
		}
		if hi-lo+1 > maxLoopIterations {
			c.d.errorf(l.Pos, "loop %q: %d iterations is more than %d", s.ID, hi-lo+1, maxLoopIterations)
			return nil, false
		}
		for i := lo; i <= hi; i++ {
			out = append(out, strconv.FormatInt(i, 10))
		}
	case l.Until != "":
		if l.Max <= 0 {
			return nil, false
		}
		if l.Max > maxLoopIterations {
			c.d.errorf(l.Pos, "loop %q: %d iterations is more than %d", s.ID, l.Max, maxLoopIterations)
			return nil, false
		}
		for i := 1; i <= l.Max; i++ {
			out = append(out, strconv.Itoa(i))
		}
	default:
		return nil, false
	}
	return out, true
}

// convoy turns legs into steps and the synthesis into a final step needing
// every leg.
func (c *cooker) convoy(f *models.Formula) {
	legs := models.CloneSteps(f.Legs)
	f.Steps = append(f.Steps, legs...)
	if f.Synthesis != nil {
		syn := f.Synthesis.Clone()
		syn.Needs = appendNew(syn.Needs, stepIDs(legs)...)
		if syn.Title == "" {
			syn.Title = "Synthesis"
		}
		f.Steps = append(f.Steps, syn)
	}
	f.Legs, f.Synthesis = nil, nil
}

// findStep finds a step anywhere in the tree and returns the sibling list
// holding it.
func findStep(steps *[]*models.Step, id string) (*[]*models.Step, int) {
	for i, s := range *steps {
		if s.ID == id {
			return steps, i
		}
		if list, j := findStep(&s.Children, id); list != nil {
			return list, j
		}
	}
	return nil, -1
}

// expansion loads and checks an expansion formula for compose.
func (c *cooker) expansion(name, context string, pos models.SourcePos) *models.Formula {
	ef := c.loadRef(name, context, pos)
	if ef == nil {
		return nil
	}
	x := c.resolve(ef, []string{name})
	if x.Type != models.FormulaExpansion {
		c.d.errorf(pos, "%s: %q is not an expansion formula", context, name)
		return nil
	}
	return x
}

// compose applies compose.expand and compose.map.
func (c *cooker) compose(f *models.Formula) {
	if f.Compose == nil {
		return
	}
	for _, r := range f.Compose.Expand {
		if r.Target == "" || r.With == "" {
			continue
		}
		x := c.expansion(r.With, "compose.expand", r.Pos)
		if _, i := findStep(&f.Steps, r.Target); i < 0 {
			c.d.errorf(r.Pos, "compose.expand: target step %q not found", r.Target)
			continue
		}
		if x != nil {
			c.expandTarget(f, r.Target, x, r.Vars)
		}
	}
	for _, r := range f.Compose.Map {
		if r.Select == "" || r.With == "" {
			continue
		}
		x := c.expansion(r.With, "compose.map", r.Pos)
		var targets []string
		walk(f.Steps, func(s *models.Step) {
			if ok, _ := matchGlob(r.Select, s.ID); ok {
				targets = append(targets, s.ID)
			}
		})
		if len(targets) == 0 {
			c.d.warnf(r.Pos, "compose.map: no step matches %q", r.Select)
		}
		if x == nil {
			continue
		}
		for _, t := range targets {
			c.expandTarget(f, t, x, r.Vars)
		}
	}
}

// expandTarget replaces step target with the expansion's template: the first
// new step inherits the target's needs and whatever needed the target needs
// the last new step.
func (c *cooker) expandTarget(f *models.Formula, target string, x *models.Formula, ruleVars map[string]string) {
	list, i := findStep(&f.Steps, target)
	if list == nil {
		return
	}
	t := (*list)[i]
	if len(x.Template) == 0 {
		c.d.errorf(t.Pos, "compose: expansion %q has no template steps", x.Name)
		return
	}
	// Expansion vars: the rule's values, else the expansion's defaults; the
	// rest stay as placeholders for the cook (and are declared on f).
	xv := map[string]string{}
	for _, v := range x.Vars {
		if val, ok := ruleVars[v.Name]; ok {
			xv[v.Name] = val
		} else if v.Default != nil {
			xv[v.Name] = *v.Default
		} else if f.Var(v.Name) == nil {
			f.Vars = append(f.Vars, v)
		}
	}
	for k, v := range ruleVars {
		xv[k] = v
	}
	repl := map[string]string{
		"{target.id}": t.ID, "{target.title}": t.Title,
		"{target.description}": t.Description, "{target}": t.ID,
	}
	tmplIDs := map[string]string{}
	newSteps := models.CloneSteps(x.Template)
	for _, s := range newSteps {
		old := s.ID
		s.ID = expandedID(s.ID, t.ID, repl)
		tmplIDs[old] = s.ID
	}
	walk(newSteps, func(s *models.Step) {
		s.Title = subst(replaceAll(s.Title, repl), xv)
		s.Description = subst(replaceAll(s.Description, repl), xv)
		s.Notes = subst(replaceAll(s.Notes, repl), xv)
		s.Assignee = subst(replaceAll(s.Assignee, repl), xv)
		for j, n := range s.Needs {
			if id, ok := tmplIDs[n]; ok {
				s.Needs[j] = id
			} else {
				s.Needs[j] = replaceAll(n, repl)
			}
		}
	})
	entries, exits := entriesExits(newSteps)
	if len(entries) > 0 {
		entries[0].Needs = appendNew(slices.Clone(t.Needs), entries[0].Needs...)
	}
	last := newSteps[len(newSteps)-1].ID
	if len(exits) > 0 {
		last = exits[len(exits)-1].ID
	}
	*list = slices.Concat((*list)[:i], newSteps, (*list)[i+1:])
	rewire(f.Steps, t.ID, []string{last}, nil)
}

// expandedID names a template step for a target: its {target} placeholders
// filled in, or "<target>.<id>" when it has none.
func expandedID(id, target string, repl map[string]string) string {
	if strings.Contains(id, "{target") {
		return replaceAll(id, repl)
	}
	return target + "." + id
}

func subst(s string, vals map[string]string) string {
	out, _, _ := Substitute(s, vals)
	return out
}

// aspects applies the advice of every aspect named in compose.aspects, then
// the formula's own advice.
func (c *cooker) aspects(f *models.Formula) {
	if f.Compose != nil {
		for _, name := range f.Compose.Aspects {
			pos := f.Compose.Pos
			af := c.loadRef(name, "compose.aspects", pos)
			if af == nil {
				continue
			}
			a := c.resolve(af, []string{name})
			if a.Type != models.FormulaAspect {
				c.d.errorf(pos, "compose.aspects: %q is not an aspect formula", name)
				continue
			}
			for _, adv := range a.Advice {
				c.applyAdvice(f, adv)
			}
		}
	}
	if f.Type != models.FormulaAspect {
		for _, adv := range f.Advice {
			c.applyAdvice(f, adv)
		}
	}
}

// applyAdvice inserts the advice's before and after steps around every step
// matching its target.
func (c *cooker) applyAdvice(f *models.Formula, adv *models.Advice) {
	if adv.Target == "" {
		return
	}
	var targets []string
	walk(f.Steps, func(s *models.Step) {
		if ok, _ := matchGlob(adv.Target, s.ID); ok {
			targets = append(targets, s.ID)
		}
	})
	for _, id := range targets {
		list, i := findStep(&f.Steps, id)
		if list == nil {
			continue
		}
		t := (*list)[i]
		repl := map[string]string{"{step.id}": t.ID, "{step.title}": t.Title}
		mk := func(tmpl []*models.Step, side string) []*models.Step {
			out := models.CloneSteps(tmpl)
			for _, s := range out {
				if strings.Contains(s.ID, "{step.") {
					s.ID = replaceAll(s.ID, repl)
				} else {
					s.ID = t.ID + "." + side + "." + s.ID
				}
				s.Title = replaceAll(s.Title, repl)
				s.Description = replaceAll(s.Description, repl)
				s.Notes = replaceAll(s.Notes, repl)
				s.Needs = nil
			}
			return out
		}
		before := mk(adv.Before, "before")
		after := mk(adv.After, "after")
		prev := t.Needs
		for _, b := range before {
			b.Needs = slices.Clone(prev)
			prev = []string{b.ID}
		}
		if len(before) > 0 {
			t.Needs = prev
		}
		skip := map[string]bool{}
		prev = []string{t.ID}
		for _, a := range after {
			a.Needs = slices.Clone(prev)
			prev = []string{a.ID}
			skip[a.ID] = true
		}
		if len(after) > 0 {
			rewire(f.Steps, t.ID, prev, skip)
		}
		*list = slices.Concat((*list)[:i], before, []*models.Step{t}, after, (*list)[i+1:])
	}
}

// applyConditions drops the steps whose condition is false; whatever needed
// a dropped step needs that step's own needs instead.
func (c *cooker) applyConditions(steps []*models.Step, vals map[string]string) []*models.Step {
	type drop struct {
		id    string
		needs []string
	}
	var drops []drop
	var filter func([]*models.Step) []*models.Step
	filter = func(in []*models.Step) []*models.Step {
		var out []*models.Step
		for _, s := range in {
			if s.Condition != "" {
				cond, err := parseCondition(s.Condition)
				if err == nil && !cond.eval(vals[cond.varName]) {
					drops = append(drops, drop{s.ID, s.Needs})
					walk(s.Children, func(ch *models.Step) { drops = append(drops, drop{ch.ID, s.Needs}) })
					continue
				}
			}
			s.Children = filter(s.Children)
			out = append(out, s)
		}
		return out
	}
	out := filter(steps)
	needsOf := map[string][]string{}
	for _, d := range drops {
		needsOf[d.id] = d.needs
	}
	// A dropped step's needs may name other dropped steps: follow them.
	var resolve func(ids []string, seen map[string]bool) []string
	resolve = func(ids []string, seen map[string]bool) []string {
		var res []string
		for _, id := range ids {
			if n, dropped := needsOf[id]; dropped {
				if !seen[id] {
					seen[id] = true
					res = appendNew(res, resolve(n, seen)...)
				}
				continue
			}
			res = appendNew(res, id)
		}
		return res
	}
	for _, d := range drops {
		rewire(out, d.id, resolve(d.needs, map[string]bool{d.id: true}), nil)
	}
	return out
}
