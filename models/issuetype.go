package models

import (
	"fmt"
	"strings"
)

// IssueType is a bead's type (spec §4.4). Import accepts any string; the CLI
// accepts only the known set and its aliases.
type IssueType string

// Work types.
const (
	TypeBug      IssueType = "bug"
	TypeFeature  IssueType = "feature"
	TypeTask     IssueType = "task"
	TypeEpic     IssueType = "epic"
	TypeChore    IssueType = "chore"
	TypeDecision IssueType = "decision"
)

// gt's own types.
const (
	TypeConvoy       IssueType = "convoy"
	TypeAgent        IssueType = "agent"
	TypeMessage      IssueType = "message"
	TypeMolecule     IssueType = "molecule"
	TypeMergeRequest IssueType = "merge-request"
	TypeGate         IssueType = "gate"
	TypeEvent        IssueType = "event"
	TypeRig          IssueType = "rig"
	TypeRole         IssueType = "role"
)

// WorkTypes are the types a human files work under.
var WorkTypes = []IssueType{TypeBug, TypeFeature, TypeTask, TypeEpic, TypeChore, TypeDecision}

// SystemTypes are gt's bookkeeping types; beads of these types are never ready.
var SystemTypes = []IssueType{
	TypeConvoy, TypeAgent, TypeMessage, TypeMolecule, TypeMergeRequest,
	TypeGate, TypeEvent, TypeRig, TypeRole,
}

var typeAliases = map[string]IssueType{
	"enhancement": TypeFeature,
	"feat":        TypeFeature,
	"dec":         TypeDecision,
	"adr":         TypeDecision,
}

// String returns the type as stored.
func (t IssueType) String() string { return string(t) }

// System reports whether t is one of gt's bookkeeping types.
func (t IssueType) System() bool {
	for _, s := range SystemTypes {
		if t == s {
			return true
		}
	}
	return false
}

// Known reports whether t is a work or system type.
func (t IssueType) Known() bool {
	if t.System() {
		return true
	}
	for _, w := range WorkTypes {
		if t == w {
			return true
		}
	}
	return false
}

// ParseIssueType validates CLI input, resolving aliases.
func ParseIssueType(in string) (IssueType, error) {
	s := strings.ToLower(strings.TrimSpace(in))
	if a, ok := typeAliases[s]; ok {
		return a, nil
	}
	if t := IssueType(s); t.Known() {
		return t, nil
	}
	return "", fmt.Errorf("invalid issue type: %s", in)
}
