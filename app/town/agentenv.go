package town

import (
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gastown/gt/models"
)

// AgentEnvOptions are the inputs of the pane environment of one agent
// process (spec §5.2).
type AgentEnvOptions struct {
	// TownRoot is the absolute town path.
	TownRoot string
	// Address is the agent's address (mayor, polecat or crew).
	Address models.Address
	// Alias is the runtime alias (GT_AGENT).
	Alias string
	// Branch is the polecat's work branch or the crew's branch at start;
	// ignored for the Mayor.
	Branch string
	// Base is the host's environment ("KEY=value" entries, os.Environ()).
	Base []string
	// RuntimeEnv is the runtime's own env map, applied last.
	RuntimeEnv map[string]string
}

// droppedEnv reports whether an inherited variable must not reach an agent:
// tmux and Claude Code markers, and every GT_* / BD_ACTOR of the host.
func droppedEnv(key string) bool {
	switch key {
	case "TMUX", "TMUX_PANE", "CLAUDECODE", "BD_ACTOR", "PATH", "TERM", "COLORTERM", "GIT_CEILING_DIRECTORIES":
		return true
	}
	return strings.HasPrefix(key, "GT_")
}

// AgentEnv builds the environment of an agent process (spec §5.2): the base
// environment minus TMUX, TMUX_PANE, CLAUDECODE and any inherited GT_*/
// BD_ACTOR, plus the gt variables, PATH with <town>/.runtime/bin first,
// TERM and COLORTERM, then the runtime's env map. The result is sorted by
// key so it is stable for tests and logs.
func AgentEnv(o AgentEnvOptions) []string {
	vars := map[string]string{}
	inheritedPath := ""
	for _, kv := range o.Base {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if k == "PATH" {
			inheritedPath = v
		}
		if droppedEnv(k) {
			continue
		}
		vars[k] = v
	}
	root := o.TownRoot
	vars["GT_TOWN_ROOT"] = root
	vars["GT_ROOT"] = root
	vars["GIT_CEILING_DIRECTORIES"] = root
	vars["GT_ROLE"] = o.Address.Role.String()
	vars["BD_ACTOR"] = o.Address.String()
	if o.Alias != "" {
		vars["GT_AGENT"] = o.Alias
	}
	switch o.Address.Role {
	case models.RolePolecat:
		vars["GT_RIG"] = o.Address.Rig
		vars["GT_POLECAT"] = o.Address.Name
	case models.RoleCrew:
		vars["GT_RIG"] = o.Address.Rig
		vars["GT_CREW"] = o.Address.Name
	}
	if o.Address.Role != models.RoleMayor && o.Branch != "" {
		vars["GT_BRANCH"] = o.Branch
	}
	bin := filepath.Join(root, ".runtime", "bin")
	if inheritedPath != "" {
		vars["PATH"] = bin + ":" + inheritedPath
	} else {
		vars["PATH"] = bin
	}
	vars["TERM"] = "xterm-256color"
	vars["COLORTERM"] = "truecolor"
	for k, v := range o.RuntimeEnv {
		if k != "" {
			vars[k] = v
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// RoleFromEnv reads GT_ROLE, accepting the plain role names and the
// original's address form (<rig>/polecats/<name>, spec §5.2).
func RoleFromEnv(v string) (models.Role, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return models.RoleUnknown, false
	}
	if r, err := models.ParseRole(v); err == nil && r != models.RoleOverseer {
		return r, true
	}
	if a, err := models.ParseAddress(v); err == nil && a.IsAgent() {
		return a.Role, true
	}
	return models.RoleUnknown, false
}

// Beacon topics (spec §5.5).
const (
	TopicColdStart = "cold-start"
	TopicAssigned  = "assigned"
	TopicRestart   = "restart"
)

// Beacon senders other than an actor's address (spec §5.5).
const (
	SenderHuman = "human"
	SenderHost  = "host"
)

// Beacon lines after the header (spec §5.5).
const (
	beaconHooked = "Work is on your hook. Run gt prime for your context and checklist, then start at once."
	beaconIdle   = "Run gt prime for your context, check gt mail inbox, then wait for instructions."
)

// Beacon returns the startup prompt of an agent session (spec §5.5):
// `[GAS TOWN] <address> <- <sender> • <YYYY-MM-DDTHH:MM> • <topic>`, a blank
// line, then the hooked or idle instruction. The time is formatted in its
// own location; the host passes local time.
func Beacon(addr models.Address, sender string, at time.Time, topic string, hooked bool) string {
	body := beaconIdle
	if hooked {
		body = beaconHooked
	}
	return "[GAS TOWN] " + addr.String() + " <- " + sender + " • " + at.Format("2006-01-02T15:04") + " • " + topic + "\n\n" + body
}
