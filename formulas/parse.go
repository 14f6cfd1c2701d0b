package formulas

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/gastown/gt/models"
)

// FileSuffix is the file name ending of a formula file.
const FileSuffix = ".formula.toml"

// File is one parsed formula file: the formula, where it came from, and what
// parsing and the per-file checks found. A File with Errors can still be
// listed and shown; cooking it fails.
type File struct {
	Formula *models.Formula
	// Path is the file name used in diagnostics.
	Path string
	// Source says which search path entry the file came from (zero for Parse).
	Source Source
	// Warnings are unknown keys and other non-fatal findings; Errors are the
	// §7.3 problems that this file alone shows.
	Warnings []Diagnostic
	Errors   []Diagnostic

	pos positions
}

// at returns the source position of a key path in this file.
func (f *File) at(path string) models.SourcePos {
	p := models.SourcePos{File: f.Path}
	if pp, ok := f.pos.lookup(path); ok {
		p.Line, p.Col = pp.line, pp.col
	}
	return p
}

// Parse reads formula TOML. path is only used to name the file in
// diagnostics. A TOML syntax error is returned as *SyntaxError; every other
// problem is recorded in the File's Warnings and Errors.
func Parse(path string, data []byte) (*File, error) {
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &SyntaxError{
				Pos:     models.SourcePos{File: path, Line: pe.Position.Line, Col: max(pe.Position.Col, 1)},
				Message: pe.Message,
			}
		}
		return nil, &SyntaxError{Pos: models.SourcePos{File: path, Line: 1, Col: 1}, Message: err.Error()}
	}
	f := &File{Path: path, pos: scanKeyPositions(string(data))}
	p := &parser{file: f}
	f.Formula = p.formula(raw)
	checkFile(f, &p.d)
	f.Errors = p.d.errors()
	f.Warnings = p.d.warnings()
	return f, nil
}

type parser struct {
	file *File
	d    diags
}

func (p *parser) at(path string) models.SourcePos { return p.file.at(path) }

// sortedKeys returns a table's keys in document order (by position), so that
// diagnostics and declaration-ordered things (vars) are deterministic.
func (p *parser) sortedKeys(m map[string]any, path string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, oka := p.file.pos.exact(join(path, a))
		pb, okb := p.file.pos.exact(join(path, b))
		switch {
		case oka && okb && pa != pb:
			if pa.line != pb.line {
				return pa.line - pb.line
			}
			return pa.col - pb.col
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

func (p *parser) unknown(path, key string) {
	p.d.warnf(p.at(join(path, key)), "unknown key %q ignored", key)
}

func tomlKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	case time.Time:
		return "a date"
	}
	return fmt.Sprintf("%T", v)
}

func (p *parser) typeErr(path, label string, v any, want string) {
	p.d.errorf(p.at(path), "%s: must be %s (got %s)", label, want, tomlKind(v))
}

func (p *parser) str(v any, path, label string) string {
	s, ok := v.(string)
	if !ok {
		p.typeErr(path, label, v, "a string")
	}
	return s
}

func (p *parser) boolean(v any, path, label string) bool {
	b, ok := v.(bool)
	if !ok {
		p.typeErr(path, label, v, "a boolean")
	}
	return b
}

func (p *parser) integer(v any, path, label string) (int, bool) {
	n, ok := v.(int64)
	if !ok {
		p.typeErr(path, label, v, "an integer")
		return 0, false
	}
	if n > 1<<31-1 || n < -(1<<31) {
		p.d.errorf(p.at(path), "%s: %d is out of range", label, n)
		return 0, false
	}
	return int(n), true
}

// strList accepts an array of strings, or a single string as a one-element
// list.
func (p *parser) strList(v any, path, label string) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				p.typeErr(join(path, strconv.Itoa(i)), fmt.Sprintf("%s[%d]", label, i), e, "a string")
				continue
			}
			out = append(out, s)
		}
		return out
	}
	p.typeErr(path, label, v, "an array of strings")
	return nil
}

func (p *parser) table(v any, path, label string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		p.typeErr(path, label, v, "a table")
	}
	return m
}

// tables accepts an array of tables (or a single table as one element).
func (p *parser) tables(v any, path, label string) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case map[string]any:
		return []map[string]any{x}
	case []any:
		out := make([]map[string]any, 0, len(x))
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				p.typeErr(join(path, strconv.Itoa(i)), fmt.Sprintf("%s[%d]", label, i), e, "a table")
				out = append(out, nil)
				continue
			}
			out = append(out, m)
		}
		return out
	}
	p.typeErr(path, label, v, "an array of tables")
	return nil
}

func (p *parser) strMap(v any, path, label string) map[string]string {
	m := p.table(v, path, label)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for _, k := range p.sortedKeys(m, path) {
		switch x := m[k].(type) {
		case string:
			out[k] = x
		case int64, bool, float64:
			out[k] = fmt.Sprint(x)
		default:
			p.typeErr(join(path, k), label+"."+k, x, "a string")
		}
	}
	return out
}

func (p *parser) formula(raw map[string]any) *models.Formula {
	f := &models.Formula{Version: 1, Pos: models.SourcePos{File: p.file.Path}}
	versionSet := false
	for _, k := range p.sortedKeys(raw, "") {
		v := raw[k]
		switch k {
		case "formula":
			f.Name = p.str(v, k, "formula")
		case "description":
			f.Description = p.str(v, k, "description")
		case "version":
			if n, ok := p.integer(v, k, "version"); ok {
				f.Version = n
				versionSet = true
			}
		case "type":
			f.Type = models.FormulaType(p.str(v, k, "type"))
			f.TypeSet = true
		case "extends":
			f.Extends = p.strList(v, k, "extends")
		case "vars":
			f.Vars = p.vars(v)
		case "steps":
			f.Steps = p.steps(v, "steps", "steps")
		case "template":
			f.Template = p.steps(v, "template", "template")
		case "compose":
			f.Compose = p.compose(v)
		case "advice":
			f.Advice = p.advice(v)
		case "legs":
			f.Legs = p.steps(v, "legs", "legs")
		case "synthesis":
			if m := p.table(v, k, k); m != nil {
				f.Synthesis = p.step(m, "synthesis", "synthesis")
				if f.Synthesis.ID == "" {
					f.Synthesis.ID = "synthesis"
				}
			}
		case "inputs":
			f.Inputs = p.table(v, k, k)
		case "prompts":
			f.Prompts = p.table(v, k, k)
		case "output":
			f.Output = p.table(v, k, k)
		case "pour":
			f.Pour = p.boolean(v, k, k)
		case "phase":
			f.Phase = p.str(v, k, k)
		default:
			p.unknown("", k)
		}
	}
	if versionSet && f.Version < 1 {
		p.d.errorf(p.at("version"), "version: must be >= 1")
	}
	if !f.TypeSet {
		f.Type = inferType(f)
	}
	return f
}

// inferType applies the §7.1 inference order.
func inferType(f *models.Formula) models.FormulaType {
	switch {
	case len(f.Steps) > 0 || len(f.Extends) > 0:
		return models.FormulaWorkflow
	case len(f.Template) > 0:
		return models.FormulaExpansion
	case len(f.Advice) > 0 || (f.Compose != nil && len(f.Compose.Aspects) > 0):
		return models.FormulaAspect
	case len(f.Legs) > 0:
		return models.FormulaConvoy
	}
	return models.FormulaWorkflow
}

func (p *parser) vars(v any) []*models.Var {
	m := p.table(v, "vars", "vars")
	if m == nil {
		return nil
	}
	var out []*models.Var
	for _, name := range p.sortedKeys(m, "vars") {
		path := join("vars", name)
		label := "vars." + name
		vr := &models.Var{Name: name, Pos: p.at(path)}
		switch x := m[name].(type) {
		case string:
			d := x
			vr.Default = &d
		case map[string]any:
			for _, k := range p.sortedKeys(x, path) {
				kp := join(path, k)
				switch k {
				case "description":
					vr.Description = p.str(x[k], kp, label+".description")
				case "required":
					vr.Required = p.boolean(x[k], kp, label+".required")
				case "default":
					var d string
					switch dv := x[k].(type) {
					case string:
						d = dv
					case int64, float64, bool:
						d = fmt.Sprint(dv)
					default:
						p.typeErr(kp, label+".default", dv, "a string")
					}
					vr.Default = &d
				case "enum":
					vr.Enum = p.strList(x[k], kp, label+".enum")
				case "pattern":
					vr.Pattern = p.str(x[k], kp, label+".pattern")
				case "type":
					vr.Type = p.str(x[k], kp, label+".type")
				default:
					p.unknown(path, k)
				}
			}
		default:
			p.typeErr(path, label, x, "a string or a table")
		}
		out = append(out, vr)
	}
	return out
}

// steps parses an array of step tables. path is the key path, label the
// human path ("steps", "steps[1].children").
func (p *parser) steps(v any, path, label string) []*models.Step {
	ts := p.tables(v, path, label)
	out := make([]*models.Step, 0, len(ts))
	for i, m := range ts {
		if m == nil {
			continue
		}
		out = append(out, p.step(m, join(path, strconv.Itoa(i)), fmt.Sprintf("%s[%d]", label, i)))
	}
	return out
}

func (p *parser) step(m map[string]any, path, label string) *models.Step {
	s := &models.Step{Pos: p.at(path), Path: label, KeyPos: map[string]models.SourcePos{}}
	for _, k := range p.sortedKeys(m, path) {
		v := m[k]
		kp := join(path, k)
		kl := label + "." + k
		s.KeyPos[k] = p.at(kp)
		switch k {
		case "id":
			s.ID = p.str(v, kp, kl)
		case "title":
			s.Title = p.str(v, kp, kl)
		case "description":
			s.Description = p.str(v, kp, kl)
		case "notes":
			s.Notes = p.str(v, kp, kl)
		case "needs", "depends_on":
			for _, n := range p.strList(v, kp, kl) {
				if !slices.Contains(s.Needs, n) {
					s.Needs = append(s.Needs, n)
				}
			}
		case "type":
			s.Type = p.str(v, kp, kl)
		case "priority":
			if n, ok := p.integer(v, kp, kl); ok {
				s.Priority = &n
			}
		case "labels":
			s.Labels = p.strList(v, kp, kl)
		case "assignee":
			s.Assignee = p.str(v, kp, kl)
		case "metadata":
			s.Metadata = p.table(v, kp, kl)
		case "children":
			s.Children = p.steps(v, kp, kl)
		case "condition":
			s.Condition = p.str(v, kp, kl)
		case "gate":
			s.Gate = p.gate(v, kp, kl)
		case "loop":
			s.Loop = p.loop(v, kp, kl)
		case "focus":
			// Convoy legs carry a focus line; keep it with the step.
			if s.Metadata == nil {
				s.Metadata = map[string]any{}
			}
			s.Metadata["focus"] = p.str(v, kp, kl)
		default:
			p.unknown(path, k)
		}
	}
	return s
}

func (p *parser) gate(v any, path, label string) *models.Gate {
	m := p.table(v, path, label)
	if m == nil {
		return nil
	}
	g := &models.Gate{Pos: p.at(path)}
	for _, k := range p.sortedKeys(m, path) {
		kp := join(path, k)
		switch k {
		case "type":
			g.Type = p.str(m[k], kp, label+".type")
		case "id":
			g.ID = p.str(m[k], kp, label+".id")
		case "timeout":
			g.Timeout = p.str(m[k], kp, label+".timeout")
		default:
			p.unknown(path, k)
		}
	}
	return g
}

func (p *parser) loop(v any, path, label string) *models.Loop {
	m := p.table(v, path, label)
	if m == nil {
		return nil
	}
	l := &models.Loop{Pos: p.at(path)}
	for _, k := range p.sortedKeys(m, path) {
		kp := join(path, k)
		switch k {
		case "count":
			if n, ok := p.integer(m[k], kp, label+".count"); ok {
				l.Count, l.CountSet = n, true
			}
		case "range":
			l.Range = p.str(m[k], kp, label+".range")
		case "until":
			l.Until = p.str(m[k], kp, label+".until")
		case "max":
			if n, ok := p.integer(m[k], kp, label+".max"); ok {
				l.Max = n
			}
		case "var":
			l.Var = p.str(m[k], kp, label+".var")
		case "body":
			l.Body = p.steps(m[k], kp, label+".body")
		default:
			p.unknown(path, k)
		}
	}
	return l
}

func (p *parser) compose(v any) *models.Compose {
	m := p.table(v, "compose", "compose")
	if m == nil {
		return nil
	}
	c := &models.Compose{Pos: p.at("compose")}
	for _, k := range p.sortedKeys(m, "compose") {
		kp := join("compose", k)
		switch k {
		case "expand":
			for i, t := range p.tables(m[k], kp, "compose.expand") {
				if t == nil {
					continue
				}
				ep := join(kp, strconv.Itoa(i))
				r := &models.ExpandRule{Pos: p.at(ep)}
				for _, rk := range p.sortedKeys(t, ep) {
					rp := join(ep, rk)
					switch rk {
					case "target":
						r.Target = p.str(t[rk], rp, "compose.expand.target")
					case "with":
						r.With = p.str(t[rk], rp, "compose.expand.with")
					case "vars":
						r.Vars = p.strMap(t[rk], rp, "compose.expand.vars")
					default:
						p.unknown(ep, rk)
					}
				}
				c.Expand = append(c.Expand, r)
			}
		case "map":
			for i, t := range p.tables(m[k], kp, "compose.map") {
				if t == nil {
					continue
				}
				ep := join(kp, strconv.Itoa(i))
				r := &models.MapRule{Pos: p.at(ep)}
				for _, rk := range p.sortedKeys(t, ep) {
					rp := join(ep, rk)
					switch rk {
					case "select":
						r.Select = p.str(t[rk], rp, "compose.map.select")
					case "with":
						r.With = p.str(t[rk], rp, "compose.map.with")
					case "vars":
						r.Vars = p.strMap(t[rk], rp, "compose.map.vars")
					default:
						p.unknown(ep, rk)
					}
				}
				c.Map = append(c.Map, r)
			}
		case "aspects":
			c.Aspects = p.strList(m[k], kp, "compose.aspects")
		default:
			p.unknown("compose", k)
		}
	}
	return c
}

func (p *parser) advice(v any) []*models.Advice {
	var out []*models.Advice
	for i, t := range p.tables(v, "advice", "advice") {
		if t == nil {
			continue
		}
		path := join("advice", strconv.Itoa(i))
		label := fmt.Sprintf("advice[%d]", i)
		a := &models.Advice{Pos: p.at(path)}
		for _, k := range p.sortedKeys(t, path) {
			kp := join(path, k)
			switch k {
			case "target":
				a.Target = p.str(t[k], kp, label+".target")
			case "before":
				a.Before = append(a.Before, p.adviceSteps(t[k], kp, label+".before")...)
			case "after":
				a.After = append(a.After, p.adviceSteps(t[k], kp, label+".after")...)
			case "around":
				m := p.table(t[k], kp, label+".around")
				for _, ak := range p.sortedKeys(m, kp) {
					ap := join(kp, ak)
					switch ak {
					case "before":
						a.Before = append(a.Before, p.adviceSteps(m[ak], ap, label+".around.before")...)
					case "after":
						a.After = append(a.After, p.adviceSteps(m[ak], ap, label+".around.after")...)
					default:
						p.unknown(kp, ak)
					}
				}
			default:
				p.unknown(path, k)
			}
		}
		out = append(out, a)
	}
	return out
}

// adviceSteps accepts one step table or an array of them.
func (p *parser) adviceSteps(v any, path, label string) []*models.Step {
	if m, ok := v.(map[string]any); ok {
		return []*models.Step{p.step(m, path, label)}
	}
	return p.steps(v, path, label)
}

// checkFile runs the checks that need only this file (§7.3): name, type,
// vars, step ids, titles, priorities, gates, loops and conditions. Needs and
// cycles are checked after extends are resolved, since a child may need a
// parent's step.
func checkFile(file *File, d *diags) {
	f := file.Formula
	if strings.TrimSpace(f.Name) == "" {
		pos := file.at("formula")
		if pos.Line == 0 {
			pos.Line, pos.Col = 1, 1 // no key to point at: the document
		}
		d.errorf(pos, "formula: name is required")
	} else if stem := strings.TrimSuffix(filepath.Base(file.Path), FileSuffix); strings.HasSuffix(filepath.Base(file.Path), FileSuffix) && stem != f.Name {
		d.warnf(file.at("formula"), "formula name %q differs from the file name %q", f.Name, stem)
	}
	if f.TypeSet && !f.Type.Valid() {
		d.errorf(file.at("type"), "type: invalid value %q (must be workflow, expansion, aspect or convoy)", f.Type)
	}
	for _, v := range f.Vars {
		checkVarDecl(v, d)
	}
	if f.Phase != "" && f.Phase != "liquid" && f.Phase != "vapor" {
		d.warnf(file.at("phase"), "phase %q is neither liquid nor vapor", f.Phase)
	}
	ids := map[string]models.SourcePos{}
	checkSteps(f.Steps, ids, d)
	checkSteps(f.Legs, ids, d)
	if f.Synthesis != nil {
		checkSteps([]*models.Step{f.Synthesis}, ids, d)
	}
	checkSteps(f.Template, map[string]models.SourcePos{}, d)
	for _, a := range f.Advice {
		if a.Target == "" {
			d.errorf(a.Pos, "advice: target is required")
		} else if _, err := matchGlob(a.Target, ""); err != nil {
			d.errorf(a.Pos, "advice: invalid target pattern %q", a.Target)
		}
		checkSteps(a.Before, map[string]models.SourcePos{}, d)
		checkSteps(a.After, map[string]models.SourcePos{}, d)
	}
	if c := f.Compose; c != nil {
		for _, r := range c.Expand {
			if r.Target == "" {
				d.errorf(r.Pos, "compose.expand: target is required")
			}
			if r.With == "" {
				d.errorf(r.Pos, "compose.expand: with is required")
			}
		}
		for _, r := range c.Map {
			if r.Select == "" {
				d.errorf(r.Pos, "compose.map: select is required")
			} else if _, err := matchGlob(r.Select, ""); err != nil {
				d.errorf(r.Pos, "compose.map: invalid select pattern %q", r.Select)
			}
			if r.With == "" {
				d.errorf(r.Pos, "compose.map: with is required")
			}
		}
	}
}

func checkVarDecl(v *models.Var, d *diags) {
	if v.Required && v.Default != nil {
		d.errorf(v.Pos, "vars.%s: cannot have both required and default", v.Name)
	}
	switch strings.ToLower(v.Type) {
	case "", "string", "int", "integer", "number", "bool", "boolean":
	default:
		d.warnf(v.Pos, "vars.%s: unknown type %q (treated as string)", v.Name, v.Type)
	}
	if v.Default != nil && !v.Required {
		if msg := checkVarType(v, *v.Default); msg != "" {
			d.errorf(v.Pos, "vars.%s: default %q %s", v.Name, *v.Default, msg)
		}
	}
	var re *regexp.Regexp
	if v.Pattern != "" {
		var err error
		if re, err = regexp.Compile(v.Pattern); err != nil {
			d.errorf(v.Pos, "vars.%s: invalid pattern: %s", v.Name, patternErr(err))
		}
	}
	if v.Default != nil && !v.Required {
		if len(v.Enum) > 0 && !slices.Contains(v.Enum, *v.Default) {
			d.errorf(v.Pos, "vars.%s: default %q not in enum [%s]", v.Name, *v.Default, strings.Join(v.Enum, ", "))
		}
		if re != nil && *v.Default != "" && !re.MatchString(*v.Default) {
			d.errorf(v.Pos, "vars.%s: default %q does not match pattern \"%s\"", v.Name, *v.Default, v.Pattern)
		}
	}
}

// checkVarType checks a value against the var's declared type; it returns
// what is wrong ("" when fine).
func checkVarType(v *models.Var, val string) string {
	if strings.TrimSpace(val) == "" {
		return "" // empty means "not set", whatever the type
	}
	switch strings.ToLower(v.Type) {
	case "int", "integer", "number":
		if _, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64); err != nil {
			return "is not an integer"
		}
	case "bool", "boolean":
		if _, err := strconv.ParseBool(strings.TrimSpace(val)); err != nil {
			return "is not a boolean (true or false)"
		}
	}
	return ""
}

// patternErr strips Go's "error parsing regexp: " prefix.
func patternErr(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// stepRef names a step in messages: `steps[i] (id)` or just `steps[i]`.
func stepRef(s *models.Step) string {
	if s.ID == "" {
		return s.Path
	}
	return fmt.Sprintf("%s (%s)", s.Path, s.ID)
}

func checkSteps(steps []*models.Step, ids map[string]models.SourcePos, d *diags) {
	for _, s := range steps {
		idPos := s.At("id")
		switch {
		case s.ID == "":
			d.errorf(s.Pos, "%s: id is required", s.Path)
		default:
			if first, dup := ids[s.ID]; dup {
				d.errorf(idPos, "%s: duplicate id %q (first defined at line %d)", s.Path, s.ID, first.Line)
			} else {
				ids[s.ID] = idPos
			}
		}
		if strings.TrimSpace(s.Title) == "" && s.Loop == nil {
			d.errorf(s.Pos, "%s: title is required", stepRef(s))
		}
		if s.Priority != nil && (*s.Priority < 0 || *s.Priority > 4) {
			d.errorf(s.At("priority"), "%s: priority must be 0-4", stepRef(s))
		}
		if s.Condition != "" {
			if _, err := parseCondition(s.Condition); err != nil {
				d.errorf(s.At("condition"), "%s: %v", stepRef(s), err)
			}
		}
		if g := s.Gate; g != nil {
			switch {
			case g.Type == "":
				d.errorf(g.Pos, "%s: gate type is required", stepRef(s))
			case !models.KnownGateType(g.Type):
				d.warnf(g.Pos, "%s: unknown gate type %q", stepRef(s), g.Type)
			}
			if g.Timeout != "" {
				if _, err := time.ParseDuration(g.Timeout); err != nil {
					d.errorf(g.Pos, "%s: gate timeout %q is not a duration", stepRef(s), g.Timeout)
				}
			}
		}
		if l := s.Loop; l != nil {
			name := s.ID
			if len(l.Body) == 0 {
				d.errorf(l.Pos, "loop %q: body is required", name)
			}
			switch {
			case !l.CountSet && l.Range == "" && l.Until == "":
				d.errorf(l.Pos, "loop %q: one of count, range or until is required", name)
			case l.Until != "" && l.Max <= 0:
				d.errorf(l.Pos, "loop %q: max is required with until", name)
			case l.CountSet && l.Count < 0:
				d.errorf(l.Pos, "loop %q: count must be >= 0", name)
			}
			if l.Range != "" {
				if _, _, err := splitRange(l.Range); err != nil {
					d.errorf(l.Pos, "loop %q: %v", name, err)
				}
			}
			// A loop body is its own id namespace: iterations prefix it.
			checkSteps(l.Body, map[string]models.SourcePos{}, d)
		}
		checkSteps(s.Children, ids, d)
	}
}
