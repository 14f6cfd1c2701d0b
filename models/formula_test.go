package models

import "testing"

func TestFormulaTypeValid(t *testing.T) {
	for _, ft := range []FormulaType{FormulaWorkflow, FormulaExpansion, FormulaAspect, FormulaConvoy} {
		if !ft.Valid() {
			t.Errorf("%s not valid", ft)
		}
	}
	for _, bad := range []FormulaType{"", "pipeline", "Workflow"} {
		if bad.Valid() {
			t.Errorf("%q valid", bad)
		}
	}
}

func TestStepIssueType(t *testing.T) {
	cases := map[string]IssueType{"": TypeTask, "task": TypeTask, "Bug": TypeBug, "feature": TypeFeature,
		"epic": TypeEpic, "chore": TypeChore, "decision": TypeTask, "gate": TypeTask, "molecule": TypeTask}
	for in, want := range cases {
		if got := StepIssueType(in); got != want {
			t.Errorf("StepIssueType(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestStepCloneIsDeep(t *testing.T) {
	p := 1
	s := &Step{ID: "a", Needs: []string{"x"}, Labels: []string{"l"}, Priority: &p,
		Metadata: map[string]any{"k": "v"}, Gate: &Gate{Type: "timer"},
		Children: []*Step{{ID: "c", Needs: []string{"a"}}},
		Loop:     &Loop{Count: 2, Body: []*Step{{ID: "b"}}}}
	c := s.Clone()
	c.Needs[0] = "y"
	c.Labels[0] = "m"
	*c.Priority = 3
	c.Metadata["k"] = "w"
	c.Gate.Type = "human"
	c.Children[0].Needs[0] = "z"
	c.Loop.Body[0].ID = "q"
	if s.Needs[0] != "x" || s.Labels[0] != "l" || *s.Priority != 1 || s.Metadata["k"] != "v" ||
		s.Gate.Type != "timer" || s.Children[0].Needs[0] != "a" || s.Loop.Body[0].ID != "b" {
		t.Errorf("clone shares state with the original: %+v", s)
	}
	if (*Step)(nil).Clone() != nil || CloneSteps(nil) != nil {
		t.Error("nil clones should be nil")
	}
}

func TestSourcePosString(t *testing.T) {
	cases := []struct {
		p    SourcePos
		want string
	}{
		{SourcePos{File: "f.toml", Line: 3, Col: 7}, "f.toml:3:7"},
		{SourcePos{File: "f.toml"}, "f.toml"},
		{SourcePos{}, ""},
	}
	for _, tc := range cases {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.p, got, tc.want)
		}
	}
	if !KnownGateType("gh:run") || KnownGateType("slack") {
		t.Error("KnownGateType")
	}
	s := &Step{Pos: SourcePos{File: "f", Line: 1, Col: 1}, KeyPos: map[string]SourcePos{"id": {File: "f", Line: 2, Col: 1}}}
	if s.At("id").Line != 2 || s.At("title").Line != 1 {
		t.Error("Step.At")
	}
	f := &Formula{Vars: []*Var{{Name: "a"}}}
	if f.Var("a") == nil || f.Var("b") != nil {
		t.Error("Formula.Var")
	}
}
