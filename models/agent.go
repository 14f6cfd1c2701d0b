package models

import (
	"fmt"
	"regexp"
	"strings"
)

// Role is the kind of agent an address names (spec §5.1).
type Role int

// The roles. Only mayor, polecat and crew run as agents; the overseer is the
// human.
const (
	RoleUnknown Role = iota
	RoleMayor
	RolePolecat
	RoleCrew
	RoleOverseer
)

// String returns the role as used in GT_ROLE and agent beads' role_type.
func (r Role) String() string {
	switch r {
	case RoleMayor:
		return "mayor"
	case RolePolecat:
		return "polecat"
	case RoleCrew:
		return "crew"
	case RoleOverseer:
		return "overseer"
	}
	return "unknown"
}

// ParseRole reads a role name ("mayor", "polecat", "crew", "overseer").
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mayor":
		return RoleMayor, nil
	case "polecat", "polecats":
		return RolePolecat, nil
	case "crew":
		return RoleCrew, nil
	case "overseer", "human":
		return RoleOverseer, nil
	}
	return RoleUnknown, fmt.Errorf("unknown role %q (expected mayor, polecat, crew or overseer)", s)
}

// Address identifies an agent or the overseer. Its String form is the value
// of BD_ACTOR and of a bead's assignee.
type Address struct {
	Role Role
	Rig  string // polecat and crew only
	Name string // polecat and crew only
}

// Well-known addresses.
var (
	// MayorAddress is the Mayor's address.
	MayorAddress = Address{Role: RoleMayor}
	// OverseerAddress is the human's address.
	OverseerAddress = Address{Role: RoleOverseer}
)

// String formats the canonical address: "mayor", "overseer",
// "<rig>/polecats/<name>" or "<rig>/crew/<name>".
func (a Address) String() string {
	switch a.Role {
	case RoleMayor:
		return "mayor"
	case RoleOverseer:
		return "overseer"
	case RolePolecat:
		return a.Rig + "/polecats/" + a.Name
	case RoleCrew:
		return a.Rig + "/crew/" + a.Name
	}
	if a.Rig != "" && a.Name != "" {
		return a.Rig + "/" + a.Name
	}
	return ""
}

// IsZero reports whether a is the zero address.
func (a Address) IsZero() bool { return a == Address{} }

// IsAgent reports whether the address names an agent (mayor, polecat, crew).
func (a Address) IsAgent() bool {
	return a.Role == RoleMayor || a.Role == RolePolecat || a.Role == RoleCrew
}

// PaneTitle is the title of the agent's pane (spec §5.1).
func (a Address) PaneTitle() string {
	if a.Role == RolePolecat {
		return a.Rig + "/" + a.Name
	}
	return a.String()
}

// Slug is a file-name-safe form of the address ("/" becomes "--"), used for
// per-agent directories such as the nudge queue.
func (a Address) Slug() string { return strings.ReplaceAll(a.String(), "/", "--") }

// ParseAddress parses the unambiguous address spellings: "mayor", "mayor/",
// "overseer", "@overseer", "<rig>/polecats/<name>" and "<rig>/crew/<name>".
// The short form "<rig>/<name>" depends on which crew exist and is returned
// with Role RoleUnknown and Rig and Name set; the town resolves it.
func ParseAddress(s string) (Address, error) {
	in := strings.TrimSpace(s)
	switch in {
	case "mayor", "mayor/":
		return MayorAddress, nil
	case "overseer", "@overseer", "human":
		return OverseerAddress, nil
	}
	parts := strings.Split(in, "/")
	switch {
	case len(parts) == 3 && (parts[1] == "polecats" || parts[1] == "crew"):
		role := RolePolecat
		if parts[1] == "crew" {
			role = RoleCrew
		}
		if err := ValidateRigName(parts[0]); err != nil {
			return Address{}, fmt.Errorf("invalid address %q: %w", s, err)
		}
		if err := ValidateAgentName(parts[2]); err != nil {
			return Address{}, fmt.Errorf("invalid address %q: %w", s, err)
		}
		return Address{Role: role, Rig: parts[0], Name: parts[2]}, nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		if err := ValidateRigName(parts[0]); err != nil {
			return Address{}, fmt.Errorf("invalid address %q: %w", s, err)
		}
		if err := ValidateAgentName(parts[1]); err != nil {
			return Address{}, fmt.Errorf("invalid address %q: %w", s, err)
		}
		return Address{Role: RoleUnknown, Rig: parts[0], Name: parts[1]}, nil
	}
	return Address{}, fmt.Errorf("invalid address %q (expected mayor, overseer, <rig>/polecats/<name> or <rig>/crew/<name>)", s)
}

// namePattern is the rule for rig, crew and polecat names: they delimit bead
// IDs and paths, so no '-', '.', '/' or spaces.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// NamePattern is the textual form of the name rule, for messages.
const NamePattern = `^[A-Za-z0-9_]{1,32}$`

// reservedAgentNames may not be used for crew or polecats.
var reservedAgentNames = []string{"mayor", "witness", "refinery", "deacon", "crew", "polecats"}

// reservedRigNames may not be used for rigs: "hq" is the town prefix, and
// the others are directories of the town root a rig directory would collide
// with.
var reservedRigNames = []string{"hq", "mayor", "settings"}

func validName(kind, name string, reserved []string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("invalid %s name %q: must match %s (letters, digits and _ only)", kind, name, NamePattern)
	}
	for _, r := range reserved {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("%s name %q is reserved", kind, name)
		}
	}
	return nil
}

// ValidateRigName checks a rig name against the name rule and the reserved
// rig names.
func ValidateRigName(name string) error { return validName("rig", name, reservedRigNames) }

// ValidateAgentName checks a crew or polecat name against the name rule and
// the reserved agent names.
func ValidateAgentName(name string) error { return validName("agent", name, reservedAgentNames) }

// ValidateCrewName is ValidateAgentName with "crew" in its messages.
func ValidateCrewName(name string) error { return validName("crew", name, reservedAgentNames) }

// MayorBeadID is the ID of the Mayor's agent bead.
const MayorBeadID = "hq-mayor"

// AgentBeadID returns the ID of the agent bead for addr in a rig whose beads
// prefix is prefix (spec §4.6): "hq-mayor", "<prefix>-<rig>-polecat-<name>",
// "<prefix>-<rig>-crew-<name>", with "-<rig>" dropped when the rig name
// equals the prefix. It returns "" for addresses that have no agent bead.
func AgentBeadID(prefix string, addr Address) string {
	var kind string
	switch addr.Role {
	case RoleMayor:
		return MayorBeadID
	case RolePolecat:
		kind = "polecat"
	case RoleCrew:
		kind = "crew"
	default:
		return ""
	}
	if addr.Rig == prefix {
		return prefix + "-" + kind + "-" + addr.Name
	}
	return prefix + "-" + addr.Rig + "-" + kind + "-" + addr.Name
}

// AgentLabel is the label every agent bead carries.
const AgentLabel = "gt:agent"

// Agent bead agent_state values (spec §4.2).
const (
	AgentBeadIdle     = "idle"
	AgentBeadSpawning = "spawning"
	AgentBeadRunning  = "running"
	AgentBeadWorking  = "working"
	AgentBeadDone     = "done"
	AgentBeadStopped  = "stopped"
)

// AgentState is the live state the host computes for an agent (spec §9).
type AgentState int

// The states, in the order their rules are tried (first match wins).
const (
	StateIdle AgentState = iota
	StateExited
	StateZombie
	StateWaiting
	StateGUPP
	StateStalled
	StateWorking
)

var agentStateNames = [...]string{
	StateIdle: "idle", StateExited: "exited", StateZombie: "zombie", StateWaiting: "waiting",
	StateGUPP: "gupp", StateStalled: "stalled", StateWorking: "working",
}

var agentStateGlyphs = [...]string{
	StateIdle: "○", StateExited: "■", StateZombie: "💀", StateWaiting: "◐",
	StateGUPP: "🔥", StateStalled: "⚠", StateWorking: "●",
}

// problemRank orders the Problems view: gupp, waiting, stalled, zombie,
// exited, then working, idle.
var problemRank = [...]int{
	StateGUPP: 0, StateWaiting: 1, StateStalled: 2, StateZombie: 3,
	StateExited: 4, StateWorking: 5, StateIdle: 6,
}

// String returns the state's name as shown and stored in events.
func (s AgentState) String() string {
	if s < 0 || int(s) >= len(agentStateNames) {
		return "unknown"
	}
	return agentStateNames[s]
}

// Glyph returns the state's symbol.
func (s AgentState) Glyph() string {
	if s < 0 || int(s) >= len(agentStateGlyphs) {
		return "?"
	}
	return agentStateGlyphs[s]
}

// ProblemRank is the state's sort position in the Problems view (lower
// first).
func (s AgentState) ProblemRank() int {
	if s < 0 || int(s) >= len(problemRank) {
		return len(problemRank)
	}
	return problemRank[s]
}

// NeedsAttention reports whether the state needs the overseer. An exited
// agent needs attention only if it is hooked or its exit code is not 0.
func (s AgentState) NeedsAttention(hooked bool, exitCode int) bool {
	switch s {
	case StateZombie, StateWaiting, StateGUPP, StateStalled:
		return true
	case StateExited:
		return hooked || exitCode != 0
	}
	return false
}

// ParseAgentState reads a state name.
func ParseAgentState(s string) (AgentState, error) {
	for i, n := range agentStateNames {
		if n == s {
			return AgentState(i), nil
		}
	}
	return StateIdle, fmt.Errorf("unknown agent state %q", s)
}
