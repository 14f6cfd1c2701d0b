package town

import (
	"fmt"
	"sort"

	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// AgentInfo is one row of gt config agent list.
type AgentInfo struct {
	Name       string   `json:"name"`
	Command    string   `json:"command"`
	Args       []string `json:"args"`
	PromptMode string   `json:"prompt_mode"`
	Type       string   `json:"type"` // "built-in" or "custom"
	IsCustom   bool     `json:"is_custom"`
}

// ListAgents returns the town's agents: presets plus custom entries (a
// custom entry shadows the preset of the same name), sorted by name, and the
// default agent's name.
func (t *Town) ListAgents() ([]AgentInfo, string, error) {
	ts, err := t.Settings()
	if err != nil {
		return nil, "", err
	}
	byName := map[string]AgentInfo{}
	for _, n := range PresetNames() {
		p, _ := findPreset(n)
		r := t.presetRuntime(p)
		byName[n] = AgentInfo{Name: n, Command: r.Command, Args: nonNil(r.Args), PromptMode: r.PromptMode, Type: SourceBuiltIn}
	}
	for n, c := range ts.Agents {
		r, err := t.fromConfig(n, c, SourceTown)
		if err != nil {
			return nil, "", err
		}
		byName[n] = AgentInfo{Name: n, Command: r.Command, Args: nonNil(r.Args), PromptMode: r.PromptMode, Type: "custom", IsCustom: true}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]AgentInfo, 0, len(names))
	for _, n := range names {
		out = append(out, byName[n])
	}
	return out, ts.DefaultAgentName(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetAgentOptions are the inputs of gt config agent set.
type SetAgentOptions struct {
	Name       string
	Argv       []string // the command line, already split
	PromptMode string   // "" = keep/derive
	Provider   string
	Actor      string
}

// SetAgent writes agents[name] in the town settings. shadows is true when
// the name is also a built-in preset.
func (t *Town) SetAgent(o SetAgentOptions) (shadows bool, err error) {
	if err := ValidateAgentAlias(o.Name); err != nil {
		return false, err
	}
	if len(o.Argv) == 0 || o.Argv[0] == "" {
		return false, errCommandRequired
	}
	if err := validPromptMode("--prompt-mode", o.PromptMode); err != nil {
		return false, err
	}
	if o.Provider != "" && !IsPreset(o.Provider) {
		return false, fmt.Errorf("unknown provider %q (expected one of the built-in agents)", o.Provider)
	}
	err = t.UpdateSettings(func(ts *TownSettings) error {
		if ts.Agents == nil {
			ts.Agents = map[string]AgentConfig{}
		}
		entry := ts.Agents[o.Name] // keeps env, ready_prompt and unknown keys
		entry.Command = o.Argv[0]
		entry.Args = append([]string{}, o.Argv[1:]...)
		if o.PromptMode != "" {
			entry.PromptMode = o.PromptMode
		}
		if o.Provider != "" {
			entry.Provider = o.Provider
		}
		ts.Agents[o.Name] = entry
		return nil
	})
	if err != nil {
		return false, err
	}
	t.configEvent(o.Actor, "agents."+o.Name, JoinCommand(o.Argv))
	return IsPreset(o.Name), nil
}

// RemoveAgent removes a custom agent from the town settings.
func (t *Town) RemoveAgent(name, actor string) error {
	err := t.UpdateSettings(func(ts *TownSettings) error {
		if _, ok := ts.Agents[name]; !ok {
			if IsPreset(name) {
				return fmt.Errorf("cannot remove built-in agent '%s'", name)
			}
			return &UnknownAgentError{Alias: name}
		}
		delete(ts.Agents, name)
		return nil
	})
	if err != nil {
		return err
	}
	t.configEvent(actor, "agents."+name, "")
	return nil
}

// DefaultAgent returns the town's default agent name.
func (t *Town) DefaultAgent() (string, error) {
	ts, err := t.Settings()
	if err != nil {
		return "", err
	}
	return ts.DefaultAgentName(), nil
}

// SetDefaultAgent validates name (town agents, then presets) and writes
// default_agent.
func (t *Town) SetDefaultAgent(name, actor string) error {
	if _, err := t.LookupAgent(name, ""); err != nil {
		return err
	}
	err := t.UpdateSettings(func(ts *TownSettings) error {
		ts.DefaultAgent = name
		return nil
	})
	if err != nil {
		return err
	}
	t.configEvent(actor, "default_agent", name)
	return nil
}

// configEvent records a settings change (audit only; a failure to log does
// not undo the change).
func (t *Town) configEvent(actor, key, value string) {
	if actor == "" {
		actor = models.OverseerAddress.String()
	}
	_ = eventlog.Emit(t.Root, eventlog.SourceGT, "config_changed", actor,
		map[string]string{"key": key, "value": value}, models.VisibilityAudit)
}
