package models

import (
	"fmt"
	"strings"
)

// FormulaType is the kind of a formula (spec §7.1).
type FormulaType string

// The formula types.
const (
	FormulaWorkflow  FormulaType = "workflow"
	FormulaExpansion FormulaType = "expansion"
	FormulaAspect    FormulaType = "aspect"
	FormulaConvoy    FormulaType = "convoy"
)

// String returns the type as written in TOML.
func (t FormulaType) String() string { return string(t) }

// Valid reports whether t is one of the four formula types.
func (t FormulaType) Valid() bool {
	switch t {
	case FormulaWorkflow, FormulaExpansion, FormulaAspect, FormulaConvoy:
		return true
	}
	return false
}

// SourcePos is where something was defined: a file and a 1-based line and
// column. A zero Line means the position is unknown.
type SourcePos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col (or just the file, or "" when
// nothing is known).
func (p SourcePos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Formula is a parsed formula file: a TOML workflow template that cooks into
// a molecule proto (spec §7.1). Vars keep their declaration order.
type Formula struct {
	Name        string
	Description string
	Version     int
	Type        FormulaType
	// TypeSet is true when the file said `type = ...` (else Type was inferred).
	TypeSet bool
	Extends []string
	Vars    []*Var
	Steps   []*Step
	// Template holds the steps of an expansion formula.
	Template []*Step
	Compose  *Compose
	Advice   []*Advice
	// Legs and Synthesis are the convoy-type body.
	Legs      []*Step
	Synthesis *Step
	// Inputs, Prompts and Output are convoy-type tables kept as written.
	Inputs  map[string]any
	Prompts map[string]any
	Output  map[string]any
	Pour    bool
	Phase   string

	// Pos is where the formula was read from (file only).
	Pos SourcePos
}

// Var finds a declared variable by name.
func (f *Formula) Var(name string) *Var {
	for _, v := range f.Vars {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Var is a declared template variable.
type Var struct {
	Name        string
	Description string
	Required    bool
	// Default is nil when the variable has no default; a pointer to "" is an
	// explicit empty default.
	Default *string
	Enum    []string
	Pattern string
	Type    string
	Pos     SourcePos
}

// HasDefault reports whether the variable declares a default value.
func (v *Var) HasDefault() bool { return v.Default != nil }

// Step is one step of a formula: a child bead once poured.
type Step struct {
	ID          string
	Title       string
	Description string
	Notes       string
	// Needs merges `needs` and `depends_on`.
	Needs []string
	// Type is the issue type as written; unknown values cook to task.
	Type string
	// Priority is nil when not given (cooks to the default, 2).
	Priority  *int
	Labels    []string
	Assignee  string
	Metadata  map[string]any
	Children  []*Step
	Condition string
	Gate      *Gate
	Loop      *Loop

	// Pos is where the step was defined; Path names it inside its file
	// (e.g. "steps[2].children[0]"); KeyPos holds where each of its keys was
	// written (shared between clones, never modified after parsing).
	Pos    SourcePos
	Path   string
	KeyPos map[string]SourcePos
}

// At returns where key was written in the step, else where the step starts.
func (s *Step) At(key string) SourcePos {
	if p, ok := s.KeyPos[key]; ok {
		return p
	}
	return s.Pos
}

// Clone returns a deep copy of the step (metadata maps are copied one level).
func (s *Step) Clone() *Step {
	if s == nil {
		return nil
	}
	c := *s
	c.Needs = append([]string(nil), s.Needs...)
	c.Labels = append([]string(nil), s.Labels...)
	if s.Priority != nil {
		p := *s.Priority
		c.Priority = &p
	}
	if s.Metadata != nil {
		c.Metadata = make(map[string]any, len(s.Metadata))
		for k, v := range s.Metadata {
			c.Metadata[k] = v
		}
	}
	c.Children = CloneSteps(s.Children)
	if s.Gate != nil {
		g := *s.Gate
		c.Gate = &g
	}
	if s.Loop != nil {
		l := *s.Loop
		l.Body = CloneSteps(s.Loop.Body)
		c.Loop = &l
	}
	return &c
}

// CloneSteps deep-copies a list of steps.
func CloneSteps(in []*Step) []*Step {
	if in == nil {
		return nil
	}
	out := make([]*Step, len(in))
	for i, s := range in {
		out[i] = s.Clone()
	}
	return out
}

// Gate is an asynchronous wait attached to a step: a gate bead that blocks it.
type Gate struct {
	Type    string
	ID      string
	Timeout string
	Pos     SourcePos
}

// gateTypes are the known gate types; others are accepted with a warning.
var gateTypes = [...]string{"gh:run", "gh:pr", "timer", "human", "mail"}

// KnownGateType reports whether t is a known gate type (gh:run, gh:pr,
// timer, human or mail).
func KnownGateType(t string) bool {
	for _, g := range gateTypes {
		if g == t {
			return true
		}
	}
	return false
}

// Loop repeats a body of steps: Count times, over Range ("a..b"), or Until a
// condition with at most Max iterations.
type Loop struct {
	Count int
	// CountSet distinguishes `count = 0` from no count.
	CountSet bool
	Range    string
	Until    string
	Max      int
	Var      string
	Body     []*Step
	Pos      SourcePos
}

// Compose holds the composition rules of a formula.
type Compose struct {
	Expand  []*ExpandRule
	Map     []*MapRule
	Aspects []string
	Pos     SourcePos
}

// ExpandRule replaces one target step with an expansion formula's template.
type ExpandRule struct {
	Target string
	With   string
	Vars   map[string]string
	Pos    SourcePos
}

// MapRule replaces every step whose ID matches the Select glob with an
// expansion formula's template.
type MapRule struct {
	Select string
	With   string
	Vars   map[string]string
	Pos    SourcePos
}

// Advice inserts steps before, after or around the steps matching Target.
type Advice struct {
	Target string
	Before []*Step
	After  []*Step
	Pos    SourcePos
}

// StepIssueType maps a step's type to the issue type of its bead: the work
// types task, bug, feature, epic and chore are kept, anything else is task.
func StepIssueType(t string) IssueType {
	switch IssueType(strings.ToLower(strings.TrimSpace(t))) {
	case TypeBug:
		return TypeBug
	case TypeFeature:
		return TypeFeature
	case TypeEpic:
		return TypeEpic
	case TypeChore:
		return TypeChore
	}
	return TypeTask
}
