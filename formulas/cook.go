package formulas

import (
	"errors"
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
	c := &cooker{l: l, opt: CookOptions{Proto: true}, cache: map[string]*File{}, validating: true}
	p, err := c.cook(f)
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
	if f.Formula.Type == models.FormulaExpansion {
		n = countSteps(&models.Formula{Template: f.Formula.Template})
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
	// loopExits maps each expanded loop to its last iteration's exits.
	loopExits []loopExit
	// validating is set by Validate: a range that needs a variable without
	// a value is then expected, not worth a warning.
	validating bool
}

// loopExit records what a loop's ID stands for once expanded.
type loopExit struct {
	id    string
	exits []string
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
	for _, le := range c.loopExits {
		rewire(f.Steps, le.id, le.exits, nil)
	}
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
		if msg := checkVarType(v, val); msg != "" {
			c.d.errorf(v.Pos, "vars.%s: value %q %s", v.Name, val, msg)
		}
		if v.Pattern != "" {
			if re, err := regexp.Compile(v.Pattern); err == nil && !re.MatchString(val) {
				c.d.errorf(v.Pos, "vars.%s: value %q does not match pattern \"%s\"", v.Name, val, v.Pattern)
			}
		}
	}
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
	// Each sibling stands for its whole subtree: a need on any step inside
	// sibling j, from anywhere inside sibling i, orders j before i.
	owner := map[string]int{}
	for i, s := range steps {
		walk([]*models.Step{s}, func(x *models.Step) {
			if _, dup := owner[x.ID]; !dup {
				owner[x.ID] = i
			}
		})
	}
	deps := make([][]int, len(steps))
	for i, s := range steps {
		walk([]*models.Step{s}, func(x *models.Step) {
			for _, n := range x.Needs {
				if j, ok := owner[n]; ok && j != i {
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
