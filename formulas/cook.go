package formulas

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gastown/gt/models"
)

// Loader finds formulas by name; extends, compose.expand/map and aspects use
// it. *SearchPath is the usual Loader. A missing formula must be reported as
// *NotFoundError.
type Loader interface {
	LoadFormula(name string) (*File, error)
}

// CookOptions control one cook.
type CookOptions struct {
	// Vars are the --var values; undeclared names are accepted.
	Vars map[string]string
	// Proto keeps {{placeholders}} and allows missing variables (bd cook
	// --proto, bd formula validate).
	Proto bool
	// Pour evaluates step conditions, dropping the steps whose condition is
	// false (bd mol pour / wisp, gt sling). Without it conditions are kept
	// on the cooked steps as written.
	Pour bool
}

// Proto is a cooked formula: the flat, ordered list of steps a molecule is
// poured from, with variables substituted (unless cooked as a proto).
type Proto struct {
	Formula     string
	Type        models.FormulaType
	Version     int
	Description string
	// RootTitle and RootDescription are for the molecule's root bead (§7.2).
	RootTitle       string
	RootDescription string
	Phase           string
	Vars            []ProtoVar
	// Given holds the --var values as given, declared or not.
	Given map[string]string
	// Steps are in pour order: dependency order among siblings, each gate
	// right after its step, children after their parent.
	Steps    []ProtoStep
	Warnings []Diagnostic
}

// ProtoVar is a declared variable and the value the cook used.
type ProtoVar struct {
	Name        string
	Description string
	Required    bool
	Default     *string
	// Value is the value used; Set is false when the variable had none.
	Value string
	Set   bool
}

// ProtoStep is one bead-to-be of a molecule.
type ProtoStep struct {
	ID          string
	Title       string
	Description string
	Notes       string
	Type        models.IssueType
	Priority    int
	Labels      []string
	Assignee    string
	// Needs are step IDs (of this proto) that block this step.
	Needs     []string
	Condition string
	Metadata  map[string]any
	// Parent is the step ID of the enclosing epic step ("" at top level).
	Parent string
	// Gate is set for a gate bead (type gate); GateFor is the step it blocks.
	Gate    *ProtoGate
	GateFor string
}

// ProtoGate is what a gate bead awaits.
type ProtoGate struct {
	Type    string
	ID      string
	Timeout time.Duration
}

// IsGate reports whether the step is a gate bead.
func (s ProtoStep) IsGate() bool { return s.Gate != nil }

// Step returns the proto step with the given ID.
func (p *Proto) Step(id string) (ProtoStep, bool) {
	for _, s := range p.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return ProtoStep{}, false
}

// VarValues returns the values the cook used, by name.
func (p *Proto) VarValues() map[string]string {
	out := maps.Clone(p.Given)
	if out == nil {
		out = map[string]string{}
	}
	for _, v := range p.Vars {
		if v.Set {
			out[v.Name] = v.Value
		}
	}
	return out
}

// Validate checks a formula completely without variables: everything Cook
// checks except missing variables. It returns the warnings, the number of
// steps the formula cooks to (gates not counted) and a *ValidationError if
// anything is wrong.
func Validate(f *File, l Loader) ([]Diagnostic, int, error) {
	p, err := Cook(f, l, CookOptions{Proto: true})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return ve.Warnings, 0, err
		}
		return nil, 0, err
	}
	n := 0
	for _, s := range p.Steps {
		if !s.IsGate() {
			n++
		}
	}
	return p.Warnings, n, nil
}

// Cook resolves a parsed formula (extends, loops, convoy legs,
// compose.expand/map, aspects and advice), validates it, applies the
// variables and returns the proto. Every problem found is returned at once
// as a *ValidationError; warnings ride on the Proto (or the error).
func Cook(f *File, l Loader, opt CookOptions) (*Proto, error) {
	c := &cooker{l: l, opt: opt, cache: map[string]*File{}}
	return c.cook(f)
}

type cooker struct {
	l     Loader
	opt   CookOptions
	d     diags
	cache map[string]*File
	// expanded counts the steps loops have produced, against maxSteps.
	expanded int
}

// maxSteps bounds how many steps loops may produce in one cook, so nested
// loops cannot explode into millions of beads.
const maxSteps = 5000

func (c *cooker) fail() error {
	return &ValidationError{Diagnostics: c.d.errors(), Warnings: c.d.warnings()}
}

func (c *cooker) load(name string) (*File, error) {
	if f, ok := c.cache[name]; ok {
		return f, nil
	}
	if c.l == nil {
		return nil, &NotFoundError{Name: name, Searched: "(no search path)"}
	}
	f, err := c.l.LoadFormula(name)
	if err != nil {
		return nil, err
	}
	c.cache[name] = f
	return f, nil
}

// loadRef loads a referenced formula, reporting failures as diagnostics at
// pos with the given context ("extends", "compose.expand", ...).
func (c *cooker) loadRef(name, context string, pos models.SourcePos) *File {
	f, err := c.load(name)
	if err == nil {
		return f
	}
	var nf *NotFoundError
	var se *SyntaxError
	switch {
	case errors.As(err, &nf):
		c.d.errorf(pos, "%s: formula %q not found (searched: %s)", context, name, nf.Searched)
	case errors.As(err, &se):
		c.d.errorf(se.Pos, "toml: %s", se.Message)
	default:
		c.d.errorf(pos, "%s: %v", context, err)
	}
	return nil
}

func (c *cooker) cook(file *File) (*Proto, error) {
	name := file.Formula.Name
	if name == "" {
		name = file.Path
	}
	f := c.resolve(file, []string{name})

	// Needs and cycles on the formula as written (after extends).
	c.checkGraph(allSteps(f), true)

	vals := c.values(f)
	f.Steps = c.expandLoops(f.Steps, vals)
	if f.Type == models.FormulaConvoy || len(f.Legs) > 0 {
		c.convoy(f)
	}
	c.compose(f)
	c.aspects(f)

	if len(c.d.errors()) == 0 {
		// Composition can only introduce problems through templates and
		// advice; check the result once more.
		c.checkGraph(f.Steps, false)
	}
	c.checkValues(f, vals)
	if c.opt.Pour {
		f.Steps = c.applyConditions(f.Steps, vals)
	}
	if len(c.d.errors()) > 0 {
		return nil, c.fail()
	}
	p := c.build(f, vals)
	if len(c.d.errors()) > 0 {
		return nil, c.fail()
	}
	p.Warnings = c.d.warnings()
	return p, nil
}

// resolve merges a formula with the formulas it extends (§7.1): parent vars
// and steps first, a child step with the same ID replacing the parent's in
// place, child vars overriding. It also gathers every file's diagnostics.
func (c *cooker) resolve(file *File, chain []string) *models.Formula {
	c.d.merge(file.Errors)
	c.d.merge(file.Warnings)
	src := file.Formula
	out := &models.Formula{
		Name: src.Name, Description: src.Description, Version: src.Version,
		Type: src.Type, TypeSet: src.TypeSet, Extends: src.Extends,
		Inputs: src.Inputs, Prompts: src.Prompts, Output: src.Output,
		Pour: src.Pour, Phase: src.Phase, Pos: src.Pos,
	}
	var compose models.Compose
	for i, parent := range src.Extends {
		pos := file.at("extends." + strconv.Itoa(i))
		if slices.Contains(chain, parent) {
			c.d.errorf(pos, "circular extends: %s -> %s", strings.Join(chain, " -> "), parent)
			continue
		}
		pf := c.loadRef(parent, "extends", pos)
		if pf == nil {
			continue
		}
		pr := c.resolve(pf, append(slices.Clone(chain), parent))
		out.Vars = mergeVars(out.Vars, pr.Vars)
		out.Steps = mergeSteps(out.Steps, pr.Steps)
		out.Template = mergeSteps(out.Template, pr.Template)
		out.Legs = mergeSteps(out.Legs, pr.Legs)
		if pr.Synthesis != nil {
			out.Synthesis = pr.Synthesis
		}
		out.Advice = append(out.Advice, pr.Advice...)
		if pr.Compose != nil {
			compose.Expand = append(compose.Expand, pr.Compose.Expand...)
			compose.Map = append(compose.Map, pr.Compose.Map...)
			compose.Aspects = appendNew(compose.Aspects, pr.Compose.Aspects...)
		}
		if out.Description == "" {
			out.Description = pr.Description
		}
		if out.Phase == "" {
			out.Phase = pr.Phase
		}
	}
	out.Vars = mergeVars(out.Vars, src.Vars)
	out.Steps = mergeSteps(out.Steps, models.CloneSteps(src.Steps))
	out.Template = mergeSteps(out.Template, models.CloneSteps(src.Template))
	out.Legs = mergeSteps(out.Legs, models.CloneSteps(src.Legs))
	if src.Synthesis != nil {
		out.Synthesis = src.Synthesis.Clone()
	}
	out.Advice = append(out.Advice, src.Advice...)
	if src.Compose != nil {
		compose.Expand = append(compose.Expand, src.Compose.Expand...)
		compose.Map = append(compose.Map, src.Compose.Map...)
		compose.Aspects = appendNew(compose.Aspects, src.Compose.Aspects...)
		compose.Pos = src.Compose.Pos
	}
	if len(compose.Expand)+len(compose.Map)+len(compose.Aspects) > 0 {
		out.Compose = &compose
	}
	return out
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

// mergeVars overlays vars by name: a redefinition replaces in place.
func mergeVars(base, over []*models.Var) []*models.Var {
	out := slices.Clone(base)
	for _, v := range over {
		if i := slices.IndexFunc(out, func(b *models.Var) bool { return b.Name == v.Name }); i >= 0 {
			out[i] = v
		} else {
			out = append(out, v)
		}
	}
	return out
}

// mergeSteps overlays steps by ID: a redefinition replaces in place.
func mergeSteps(base, over []*models.Step) []*models.Step {
	out := slices.Clone(base)
	for _, s := range over {
		if i := slices.IndexFunc(out, func(b *models.Step) bool { return s.ID != "" && b.ID == s.ID }); i >= 0 {
			out[i] = s
		} else {
			out = append(out, s)
		}
	}
	return out
}

// allSteps is the workflow's step list plus convoy legs and synthesis, for
// the graph check before legs are turned into steps.
func allSteps(f *models.Formula) []*models.Step {
	out := slices.Clone(f.Steps)
	out = append(out, f.Legs...)
	if f.Synthesis != nil {
		out = append(out, f.Synthesis)
	}
	return out
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
		if s.ID != "" {
			ids[s.ID] = true
			order = append(order, s)
		}
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

// values returns the variable values of this cook: --var values, else
// declared defaults.
func (c *cooker) values(f *models.Formula) map[string]string {
	vals := map[string]string{}
	for _, v := range f.Vars {
		if v.Default != nil {
			vals[v.Name] = *v.Default
		}
	}
	for k, v := range c.opt.Vars {
		vals[k] = v
	}
	return vals
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
				c.d.warnf(l.Pos, "loop %q: %v; showing one iteration", s.ID, err)
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

// checkValues reports missing variables (unless cooking a proto) and values
// outside a var's enum or pattern.
func (c *cooker) checkValues(f *models.Formula, vals map[string]string) {
	referenced := map[string]bool{}
	ref := func(texts ...string) {
		for _, t := range texts {
			for _, n := range Placeholders(t) {
				referenced[n] = true
			}
		}
	}
	ref(f.Description)
	walk(f.Steps, func(s *models.Step) {
		ref(s.Title, s.Description, s.Notes, s.Assignee, s.Condition)
		if s.Gate != nil {
			ref(s.Gate.ID)
		}
	})
	for _, v := range f.Vars {
		val, has := vals[v.Name]
		if !has {
			if !c.opt.Proto && (v.Required || referenced[v.Name]) {
				c.d.errorf(v.Pos, "missing required variable %q (provide --var %s=<value>)", v.Name, v.Name)
			}
			continue
		}
		if _, given := c.opt.Vars[v.Name]; !given {
			continue // defaults were checked with the declaration
		}
		if len(v.Enum) > 0 && !slices.Contains(v.Enum, val) {
			c.d.errorf(v.Pos, "vars.%s: value %q not in enum [%s]", v.Name, val, strings.Join(v.Enum, ", "))
		}
		if v.Pattern != "" {
			if re, err := regexp.Compile(v.Pattern); err == nil && !re.MatchString(val) {
				c.d.errorf(v.Pos, "vars.%s: value %q does not match pattern \"%s\"", v.Name, val, v.Pattern)
			}
		}
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

// build flattens the resolved steps into the proto: sibling steps in
// dependency order (stable), each gate after its step, children after their
// parent; variables substituted unless cooking a proto.
func (c *cooker) build(f *models.Formula, vals map[string]string) *Proto {
	p := &Proto{
		Formula: f.Name, Type: f.Type, Version: f.Version, Phase: f.Phase,
		Given: maps.Clone(c.opt.Vars),
	}
	if p.Given == nil {
		p.Given = map[string]string{}
	}
	declared := map[string]bool{}
	for _, v := range f.Vars {
		declared[v.Name] = true
		pv := ProtoVar{Name: v.Name, Description: v.Description, Required: v.Required, Default: v.Default}
		pv.Value, pv.Set = vals[v.Name]
		p.Vars = append(p.Vars, pv)
	}
	text := func(where models.SourcePos, ref, s string) string {
		if c.opt.Proto {
			return s
		}
		out, unresolved, hb := Substitute(s, vals)
		for _, n := range unresolved {
			c.d.warnf(where, "%s: unknown variable %q left as {{%s}}", ref, n, n)
		}
		if hb {
			c.d.warnf(where, "%s: Handlebars-like text left as is", ref)
		}
		return out
	}
	p.Description = text(f.Pos, "description", f.Description)
	p.RootTitle = f.Name
	if declared["title"] {
		if v, ok := vals["title"]; ok && !c.opt.Proto {
			p.RootTitle = v
		} else {
			p.RootTitle = "{{title}}"
		}
	}
	p.RootDescription = p.Description
	if declared["desc"] {
		if v, ok := vals["desc"]; ok && !c.opt.Proto {
			p.RootDescription = v
		} else {
			p.RootDescription = "{{desc}}"
		}
	}
	var emit func(steps []*models.Step, parent string)
	emit = func(steps []*models.Step, parent string) {
		for _, s := range topoOrder(steps) {
			ref := stepRef(s)
			ps := ProtoStep{
				ID:          s.ID,
				Title:       text(s.Pos, ref, s.Title),
				Description: text(s.Pos, ref, s.Description),
				Notes:       text(s.Pos, ref, s.Notes),
				Type:        models.StepIssueType(s.Type),
				Priority:    models.DefaultPriority,
				Labels:      slices.Clone(s.Labels),
				Assignee:    text(s.Pos, ref, s.Assignee),
				Needs:       slices.Clone(s.Needs),
				Condition:   s.Condition,
				Metadata:    s.Metadata,
				Parent:      parent,
			}
			if ps.Labels == nil {
				ps.Labels = []string{}
			}
			if ps.Needs == nil {
				ps.Needs = []string{}
			}
			if s.Priority != nil {
				ps.Priority = *s.Priority
			}
			if len(s.Children) > 0 {
				ps.Type = models.TypeEpic
			}
			var gate *ProtoStep
			if g := s.Gate; g != nil {
				gid := text(g.Pos, ref, g.ID)
				var timeout time.Duration
				if g.Timeout != "" {
					d, err := time.ParseDuration(g.Timeout)
					if err != nil {
						c.d.errorf(g.Pos, "%s: gate timeout %q is not a duration", ref, g.Timeout)
					}
					timeout = d
				}
				title := strings.TrimSpace("Gate: " + g.Type + " " + gid)
				gate = &ProtoStep{
					ID: s.ID + ".gate", Title: title, Type: models.TypeGate,
					Priority: ps.Priority, Labels: []string{}, Needs: []string{},
					Parent: parent, GateFor: s.ID,
					Gate: &ProtoGate{Type: g.Type, ID: gid, Timeout: timeout},
				}
				ps.Needs = append(ps.Needs, gate.ID)
			}
			p.Steps = append(p.Steps, ps)
			if gate != nil {
				p.Steps = append(p.Steps, *gate)
			}
			emit(s.Children, s.ID)
		}
	}
	emit(f.Steps, "")
	return p
}

// topoOrder sorts sibling steps so that each comes after the siblings it
// needs, keeping the written order otherwise (Kahn's algorithm, always
// taking the earliest ready step).
func topoOrder(steps []*models.Step) []*models.Step {
	pos := map[string]int{}
	for i, s := range steps {
		pos[s.ID] = i
	}
	// A step's needs include those of its descendants towards siblings, so
	// an epic comes after what its children need.
	deps := make([][]int, len(steps))
	for i, s := range steps {
		walk([]*models.Step{s}, func(x *models.Step) {
			for _, n := range x.Needs {
				if j, ok := pos[n]; ok && j != i {
					deps[i] = append(deps[i], j)
				}
			}
		})
	}
	done := make([]bool, len(steps))
	out := make([]*models.Step, 0, len(steps))
	for len(out) < len(steps) {
		picked := -1
		for i := range steps {
			if done[i] {
				continue
			}
			ready := true
			for _, j := range deps[i] {
				if !done[j] {
					ready = false
					break
				}
			}
			if ready {
				picked = i
				break
			}
		}
		if picked < 0 { // a cycle (already reported): keep written order
			for i := range steps {
				if !done[i] {
					picked = i
					break
				}
			}
		}
		done[picked] = true
		out = append(out, steps[picked])
	}
	return out
}
