package town

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gastown/gt/models"
)

// Prompt modes: how the beacon reaches the agent (spec §5.3, §5.5).
const (
	PromptArg  = "arg"  // as an argv element (or the value of BeaconFlag)
	PromptNone = "none" // typed into the pane once it is quiet
)

// Runtime sources, as shown by gt config agent get.
const (
	SourceBuiltIn = "built-in"
	SourceTown    = "town"
	SourceRig     = "rig"
)

// Runtime is a resolved agent runtime: what to exec and how to hand it the
// beacon.
type Runtime struct {
	Alias       string
	Command     string // the program, looked up on PATH
	Args        []string
	Env         map[string]string
	PromptMode  string // PromptArg or PromptNone
	BeaconFlag  string // with PromptArg: flag before the beacon ("" = last argument)
	ReadyPrompt string
	Provider    string // preset the runtime is based on, if any
	Source      string // SourceBuiltIn, SourceTown or SourceRig
	// NoBeacon is set for the shell: nothing is ever typed or passed.
	NoBeacon bool
}

// preset is a built-in runtime.
type preset struct {
	alias, command string
	args           []string
	env            map[string]string
	promptMode     string
	beaconFlag     string
	readyPrompt    string
	noBeacon       bool
}

// presets returns the built-in runtimes of spec §5.3 (a fresh copy each
// call, so callers cannot change them).
func presets() []preset {
	return []preset{
		{alias: "claude", command: "claude", args: []string{"--dangerously-skip-permissions"}, promptMode: PromptArg, readyPrompt: "❯"},
		{alias: "codex", command: "codex", args: []string{"--dangerously-bypass-approvals-and-sandbox"}, promptMode: PromptNone, readyPrompt: "›"},
		{alias: "gemini", command: "gemini", args: []string{"--approval-mode", "yolo"}, promptMode: PromptArg, beaconFlag: "-i"},
		{alias: "cursor", command: "cursor-agent", args: []string{"-f"}, promptMode: PromptArg},
		{alias: "auggie", command: "auggie", args: []string{"--allow-indexing"}, promptMode: PromptArg},
		{alias: "amp", command: "amp", args: []string{"--dangerously-allow-all", "--no-ide"}, promptMode: PromptArg},
		{alias: "opencode", command: "opencode", args: []string{}, env: map[string]string{"OPENCODE_PERMISSION": `{"*":"allow"}`}, promptMode: PromptArg, beaconFlag: "--prompt"},
		{alias: "copilot", command: "copilot", args: []string{"--yolo"}, promptMode: PromptArg, beaconFlag: "-i"},
		{alias: "shell", command: "$SHELL", args: []string{}, promptMode: PromptNone, noBeacon: true},
		{alias: "demo", command: "gt", args: []string{"demo-agent"}, promptMode: PromptNone, readyPrompt: "demo> "},
	}
}

// PresetNames lists the built-in aliases, sorted.
func PresetNames() []string {
	var n []string
	for _, p := range presets() {
		n = append(n, p.alias)
	}
	sort.Strings(n)
	return n
}

func findPreset(alias string) (preset, bool) {
	for _, p := range presets() {
		if p.alias == alias {
			return p, true
		}
	}
	return preset{}, false
}

// presetForProgram finds the preset whose program is prog (by base name).
func presetForProgram(prog string) (preset, bool) {
	base := filepath.Base(prog)
	for _, p := range presets() {
		if p.command == base && p.alias != "demo" && p.alias != "shell" {
			return p, true
		}
	}
	return preset{}, false
}

// IsPreset reports whether alias is a built-in runtime.
func IsPreset(alias string) bool {
	_, ok := findPreset(alias)
	return ok
}

func (t *Town) presetRuntime(p preset) Runtime {
	cmd := p.command
	if p.alias == "shell" {
		cmd = t.getenv("SHELL")
		if cmd == "" {
			cmd = "/bin/sh"
		}
	}
	env := map[string]string{}
	for k, v := range p.env {
		env[k] = v
	}
	return Runtime{
		Alias: p.alias, Command: cmd, Args: append([]string{}, p.args...), Env: env,
		PromptMode: p.promptMode, BeaconFlag: p.beaconFlag, ReadyPrompt: p.readyPrompt,
		Provider: p.alias, Source: SourceBuiltIn, NoBeacon: p.noBeacon,
	}
}

// fromConfig builds a runtime from an agents entry or a legacy rig runtime
// block. Args nil means the preset's defaults when the command is the
// preset's bare program.
func (t *Town) fromConfig(alias string, c AgentConfig, source string) (Runtime, error) {
	var argv []string
	if c.Command != "" {
		var err error
		argv, err = SplitCommand(c.Command)
		if err != nil {
			return Runtime{}, fmt.Errorf("agent %q: %w", alias, err)
		}
	}
	var p preset
	var havePreset bool
	if c.Provider != "" {
		p, havePreset = findPreset(c.Provider)
	} else if len(argv) > 0 {
		p, havePreset = presetForProgram(argv[0])
	}
	if len(argv) == 0 {
		if !havePreset {
			return Runtime{}, fmt.Errorf("agent %q has no command", alias)
		}
		argv = []string{t.presetRuntime(p).Command}
	}
	r := Runtime{Alias: alias, Command: argv[0], PromptMode: PromptArg, Source: source, Env: map[string]string{}}
	if havePreset {
		pr := t.presetRuntime(p)
		r.PromptMode, r.BeaconFlag, r.ReadyPrompt, r.Provider, r.NoBeacon = pr.PromptMode, pr.BeaconFlag, pr.ReadyPrompt, pr.Alias, pr.NoBeacon
		for k, v := range pr.Env {
			r.Env[k] = v
		}
	}
	r.Args = append([]string{}, argv[1:]...)
	switch {
	case c.Args != nil:
		r.Args = append(r.Args, c.Args...)
	case len(argv) == 1 && havePreset:
		r.Args = append(r.Args, p.args...)
	}
	if c.PromptMode != "" {
		r.PromptMode = c.PromptMode
	}
	if c.ReadyPrompt != "" {
		r.ReadyPrompt = c.ReadyPrompt
	}
	if c.Provider != "" {
		r.Provider = c.Provider
	}
	for k, v := range c.Env {
		r.Env[k] = v
	}
	return r, nil
}

// UnknownAgentError is returned for an alias nothing defines.
type UnknownAgentError struct{ Alias string }

// Error formats the spec's message.
func (e *UnknownAgentError) Error() string {
	return fmt.Sprintf("unknown agent %q (see gt config agent list)", e.Alias)
}

// LookupAgent resolves an alias in the rig's agents (when rig is not ""),
// then the town's agents, then the presets.
func (t *Town) LookupAgent(alias, rig string) (Runtime, error) {
	if rig != "" {
		rs, err := t.RigSettings(rig)
		if err != nil {
			return Runtime{}, err
		}
		if c, ok := rs.Agents[alias]; ok {
			return t.fromConfig(alias, c, SourceRig)
		}
	}
	ts, err := t.Settings()
	if err != nil {
		return Runtime{}, err
	}
	if c, ok := ts.Agents[alias]; ok {
		return t.fromConfig(alias, c, SourceTown)
	}
	if p, ok := findPreset(alias); ok {
		return t.presetRuntime(p), nil
	}
	return Runtime{}, &UnknownAgentError{Alias: alias}
}

// RuntimeAlias returns the alias that decides the runtime of role in rig
// (spec §5.3, override aside), and the legacy runtime block when the rig
// has one (it then decides for every role).
func (t *Town) RuntimeAlias(role models.Role, rig string) (string, *AgentConfig, error) {
	ts, err := t.Settings()
	if err != nil {
		return "", nil, err
	}
	var rs *RigSettings
	if rig != "" {
		if rs, err = t.RigSettings(rig); err != nil {
			return "", nil, err
		}
		if rs.Runtime != nil && (rs.Runtime.Command != "" || rs.Runtime.Provider != "") {
			return legacyAlias(rs.Runtime), rs.Runtime, nil
		}
		if a := rs.RoleAgents[role.String()]; a != "" {
			return a, nil, nil
		}
	}
	if a := ts.RoleAgents[role.String()]; a != "" {
		return a, nil, nil
	}
	if rs != nil && rs.Agent != "" {
		return rs.Agent, nil, nil
	}
	return ts.DefaultAgentName(), nil, nil
}

func legacyAlias(c *AgentConfig) string {
	if c.Provider != "" {
		return c.Provider
	}
	argv, err := SplitCommand(c.Command)
	if err != nil || len(argv) == 0 {
		return c.Command
	}
	return filepath.Base(argv[0])
}

// ResolveRuntime picks the runtime for an agent of role in rig (rig "" for
// the Mayor): override (--agent) > rig legacy runtime > rig role_agents >
// town role_agents > rig agent > town default_agent > claude.
func (t *Town) ResolveRuntime(override string, role models.Role, rig string) (Runtime, error) {
	if override != "" {
		return t.LookupAgent(override, rig)
	}
	alias, legacy, err := t.RuntimeAlias(role, rig)
	if err != nil {
		return Runtime{}, err
	}
	if legacy != nil {
		return t.fromConfig(alias, *legacy, SourceRig)
	}
	return t.LookupAgent(alias, rig)
}

// Argv is the process argv for a session given its beacon (spec §5.5): with
// prompt_mode arg the beacon is the last argument or the value of the
// preset's flag; otherwise it is not in argv.
func (r Runtime) Argv(beacon string) []string {
	argv := append([]string{r.Command}, r.Args...)
	if r.PromptMode == PromptArg && !r.NoBeacon && beacon != "" {
		if r.BeaconFlag != "" {
			argv = append(argv, r.BeaconFlag)
		}
		argv = append(argv, beacon)
	}
	return argv
}

// CommandLine is the runtime's command and args as one quoted string.
func (r Runtime) CommandLine() string { return JoinCommand(append([]string{r.Command}, r.Args...)) }

// LookPath finds the runtime's program on the town environment's PATH.
func (t *Town) LookPath(prog string) (string, error) {
	if strings.Contains(prog, "/") {
		if isExecutable(prog) {
			return prog, nil
		}
		return "", fmt.Errorf("%s: not an executable file", prog)
	}
	for _, dir := range filepath.SplitList(t.getenv("PATH")) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, prog)
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found on PATH", prog)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// aliasPattern is the rule for agent alias names.
var aliasPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidateAgentAlias checks an agent alias name.
func ValidateAgentAlias(name string) error {
	if !aliasPattern.MatchString(name) {
		return fmt.Errorf("invalid agent name %q: use letters, digits, '.', '_' or '-' (at most 64)", name)
	}
	return nil
}

// SplitCommand splits a command line into argv with shell-like quoting and
// no expansion: whitespace separates words; '…' is literal; inside "…" a
// backslash escapes only \ " $ ` and newline; elsewhere a backslash escapes
// the next character. $VAR, globs, ~ and ; are ordinary characters.
func SplitCommand(s string) ([]string, error) {
	var argv []string
	var cur strings.Builder
	inWord := false
	const (
		plain = iota
		single
		double
	)
	state := plain
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch state {
		case single:
			if c == '\'' {
				state = plain
			} else {
				cur.WriteRune(c)
			}
		case double:
			switch c {
			case '"':
				state = plain
			case '\\':
				if i+1 < len(rs) && strings.ContainsRune("\\\"$`\n", rs[i+1]) {
					i++
					if rs[i] != '\n' {
						cur.WriteRune(rs[i])
					}
				} else {
					cur.WriteRune(c)
				}
			default:
				cur.WriteRune(c)
			}
		default:
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				if inWord {
					argv = append(argv, cur.String())
					cur.Reset()
					inWord = false
				}
			case c == '\'':
				state, inWord = single, true
			case c == '"':
				state, inWord = double, true
			case c == '\\':
				if i+1 >= len(rs) {
					return nil, fmt.Errorf("trailing backslash in command %q", s)
				}
				i++
				if rs[i] != '\n' {
					cur.WriteRune(rs[i])
					inWord = true
				}
			default:
				cur.WriteRune(c)
				inWord = true
			}
		}
	}
	switch state {
	case single:
		return nil, fmt.Errorf("unterminated single quote in command %q", s)
	case double:
		return nil, fmt.Errorf("unterminated double quote in command %q", s)
	}
	if inWord {
		argv = append(argv, cur.String())
	}
	return argv, nil
}

// JoinCommand formats argv so that SplitCommand gives it back: words with
// special characters are single-quoted.
func JoinCommand(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = quoteWord(a)
	}
	return strings.Join(out, " ")
}

func quoteWord(w string) string {
	if w == "" {
		return "''"
	}
	if !strings.ContainsAny(w, " \t\n\r'\"\\$`;&|<>()*?[]{}~#!") {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// errCommandRequired is returned by config agent set for an empty command.
var errCommandRequired = errors.New("command is required")
