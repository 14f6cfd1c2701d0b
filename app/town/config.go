package town

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Config file locations, relative to the town root (spec §3, §11).
const (
	TownConfigFile   = "mayor/town.json"
	RigsFile         = "mayor/rigs.json"
	OverseerFile     = "mayor/overseer.json"
	TownSettingsFile = "settings/config.json"
	RigConfigName    = "config.json"
	RigSettingsName  = "settings/config.json"
)

// Every config struct keeps the object keys it does not know in Extra and
// writes them back, so files edited by newer versions or by hand lose
// nothing. The marshal methods go through a method-less "plain" copy of the
// type to avoid recursion.

// TownConfig is mayor/town.json, the town marker.
type TownConfig struct {
	Type      string                     `json:"type"`
	Version   int                        `json:"version"`
	Name      string                     `json:"name"`
	Owner     string                     `json:"owner"`
	CreatedAt time.Time                  `json:"created_at"`
	Extra     map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (c *TownConfig) UnmarshalJSON(b []byte) error {
	type plain TownConfig
	var p plain
	ex, err := splitExtra(b, &p)
	*c = TownConfig(p)
	c.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (c TownConfig) MarshalJSON() ([]byte, error) {
	type plain TownConfig
	return joinExtra(plain(c), c.Extra)
}

// RigsRegistry is mayor/rigs.json, the list of rigs.
type RigsRegistry struct {
	Version int                        `json:"version"`
	Rigs    map[string]RigEntry        `json:"rigs"`
	Extra   map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (r *RigsRegistry) UnmarshalJSON(b []byte) error {
	type plain RigsRegistry
	var p plain
	ex, err := splitExtra(b, &p)
	*r = RigsRegistry(p)
	r.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (r RigsRegistry) MarshalJSON() ([]byte, error) {
	type plain RigsRegistry
	if r.Rigs == nil {
		r.Rigs = map[string]RigEntry{}
	}
	return joinExtra(plain(r), r.Extra)
}

// RigEntry is one rig in rigs.json.
type RigEntry struct {
	GitURL        string                     `json:"git_url"`
	DefaultBranch string                     `json:"default_branch"`
	AddedAt       time.Time                  `json:"added_at"`
	Beads         BeadsRef                   `json:"beads"`
	Extra         map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (r *RigEntry) UnmarshalJSON(b []byte) error {
	type plain RigEntry
	var p plain
	ex, err := splitExtra(b, &p)
	*r = RigEntry(p)
	r.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (r RigEntry) MarshalJSON() ([]byte, error) {
	type plain RigEntry
	return joinExtra(plain(r), r.Extra)
}

// BeadsRef names a rig's beads prefix.
type BeadsRef struct {
	Prefix string                     `json:"prefix"`
	Extra  map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (r *BeadsRef) UnmarshalJSON(b []byte) error {
	type plain BeadsRef
	var p plain
	ex, err := splitExtra(b, &p)
	*r = BeadsRef(p)
	r.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (r BeadsRef) MarshalJSON() ([]byte, error) {
	type plain BeadsRef
	return joinExtra(plain(r), r.Extra)
}

// Overseer is mayor/overseer.json, the human.
type Overseer struct {
	Name     string                     `json:"name"`
	Email    string                     `json:"email"`
	Username string                     `json:"username"`
	Source   string                     `json:"source"`
	Extra    map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (o *Overseer) UnmarshalJSON(b []byte) error {
	type plain Overseer
	var p plain
	ex, err := splitExtra(b, &p)
	*o = Overseer(p)
	o.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (o Overseer) MarshalJSON() ([]byte, error) {
	type plain Overseer
	return joinExtra(plain(o), o.Extra)
}

// RigConfig is <rig>/config.json, the rig's identity.
type RigConfig struct {
	Type          string                     `json:"type"`
	Version       int                        `json:"version"`
	Name          string                     `json:"name"`
	GitURL        string                     `json:"git_url"`
	DefaultBranch string                     `json:"default_branch"`
	CreatedAt     time.Time                  `json:"created_at"`
	Beads         BeadsRef                   `json:"beads"`
	Extra         map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (c *RigConfig) UnmarshalJSON(b []byte) error {
	type plain RigConfig
	var p plain
	ex, err := splitExtra(b, &p)
	*c = RigConfig(p)
	c.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (c RigConfig) MarshalJSON() ([]byte, error) {
	type plain RigConfig
	return joinExtra(plain(c), c.Extra)
}

// AgentConfig is a runtime definition in an `agents` map, or the legacy rig
// `runtime` object. Args nil (JSON null or absent) means the preset's
// default arguments; an empty slice means none.
type AgentConfig struct {
	Command     string                     `json:"command,omitempty"`
	Args        []string                   `json:"args"`
	Env         map[string]string          `json:"env,omitempty"`
	PromptMode  string                     `json:"prompt_mode,omitempty"`
	Provider    string                     `json:"provider,omitempty"`
	ReadyPrompt string                     `json:"ready_prompt,omitempty"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (a *AgentConfig) UnmarshalJSON(b []byte) error {
	type plain AgentConfig
	var p plain
	ex, err := splitExtra(b, &p)
	*a = AgentConfig(p)
	a.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (a AgentConfig) MarshalJSON() ([]byte, error) {
	type plain AgentConfig
	return joinExtra(plain(a), a.Extra)
}

// TownSettings is <town>/settings/config.json. Zero values mean "default";
// the accessor methods apply the defaults of spec §11.
type TownSettings struct {
	Type         string                     `json:"type"`
	Version      int                        `json:"version"`
	DefaultAgent string                     `json:"default_agent,omitempty"`
	Agents       map[string]AgentConfig     `json:"agents,omitempty"`
	RoleAgents   map[string]string          `json:"role_agents,omitempty"`
	Convoy       *ConvoySettings            `json:"convoy,omitempty"`
	Problems     *ProblemsSettings          `json:"problems,omitempty"`
	Polecat      *PolecatSettings           `json:"polecat,omitempty"`
	TUI          *TUISettings               `json:"tui,omitempty"`
	Git          *GitSettings               `json:"git,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *TownSettings) UnmarshalJSON(b []byte) error {
	type plain TownSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = TownSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s TownSettings) MarshalJSON() ([]byte, error) {
	type plain TownSettings
	return joinExtra(plain(s), s.Extra)
}

// ConvoySettings is the town's `convoy` block.
type ConvoySettings struct {
	NotifyOnComplete bool                       `json:"notify_on_complete"`
	Extra            map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *ConvoySettings) UnmarshalJSON(b []byte) error {
	type plain ConvoySettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = ConvoySettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s ConvoySettings) MarshalJSON() ([]byte, error) {
	type plain ConvoySettings
	return joinExtra(plain(s), s.Extra)
}

// ProblemsSettings is the town's `problems` block (Go durations).
type ProblemsSettings struct {
	StalledAfter string                     `json:"stalled_after,omitempty"`
	GuppAfter    string                     `json:"gupp_after,omitempty"`
	WaitingQuiet string                     `json:"waiting_quiet,omitempty"`
	Extra        map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *ProblemsSettings) UnmarshalJSON(b []byte) error {
	type plain ProblemsSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = ProblemsSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s ProblemsSettings) MarshalJSON() ([]byte, error) {
	type plain ProblemsSettings
	return joinExtra(plain(s), s.Extra)
}

// PolecatSettings is the town's `polecat` block.
type PolecatSettings struct {
	Linger    string                     `json:"linger,omitempty"`
	MaxPerRig int                        `json:"max_per_rig,omitempty"`
	Extra     map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *PolecatSettings) UnmarshalJSON(b []byte) error {
	type plain PolecatSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = PolecatSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s PolecatSettings) MarshalJSON() ([]byte, error) {
	type plain PolecatSettings
	return joinExtra(plain(s), s.Extra)
}

// TUISettings is the town's `tui` block.
type TUISettings struct {
	PrefixKey       string                     `json:"prefix_key,omitempty"`
	MaxFPS          int                        `json:"max_fps,omitempty"`
	ScrollbackLines int                        `json:"scrollback_lines,omitempty"`
	Layout          string                     `json:"layout,omitempty"`
	Extra           map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *TUISettings) UnmarshalJSON(b []byte) error {
	type plain TUISettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = TUISettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s TUISettings) MarshalJSON() ([]byte, error) {
	type plain TUISettings
	return joinExtra(plain(s), s.Extra)
}

// GitSettings is the town's `git` block.
type GitSettings struct {
	Autocommit         *bool                      `json:"autocommit,omitempty"`
	AutocommitInterval string                     `json:"autocommit_interval,omitempty"`
	Extra              map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *GitSettings) UnmarshalJSON(b []byte) error {
	type plain GitSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = GitSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s GitSettings) MarshalJSON() ([]byte, error) {
	type plain GitSettings
	return joinExtra(plain(s), s.Extra)
}

// RigSettings is <rig>/settings/config.json; every key is optional.
type RigSettings struct {
	Type       string                     `json:"type,omitempty"`
	Version    int                        `json:"version,omitempty"`
	Agent      string                     `json:"agent,omitempty"`
	Agents     map[string]AgentConfig     `json:"agents,omitempty"`
	RoleAgents map[string]string          `json:"role_agents,omitempty"`
	Runtime    *AgentConfig               `json:"runtime,omitempty"`
	MergeQueue *MergeQueueSettings        `json:"merge_queue,omitempty"`
	Workflow   *WorkflowSettings          `json:"workflow,omitempty"`
	Namepool   *NamepoolSettings          `json:"namepool,omitempty"`
	Extra      map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *RigSettings) UnmarshalJSON(b []byte) error {
	type plain RigSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = RigSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s RigSettings) MarshalJSON() ([]byte, error) {
	type plain RigSettings
	return joinExtra(plain(s), s.Extra)
}

// MergeQueueSettings is a rig's `merge_queue` block.
type MergeQueueSettings struct {
	Strategy             string                     `json:"strategy,omitempty"`
	BuildCommand         string                     `json:"build_command,omitempty"`
	LintCommand          string                     `json:"lint_command,omitempty"`
	TestCommand          string                     `json:"test_command,omitempty"`
	Gates                []string                   `json:"gates,omitempty"`
	GateTimeout          string                     `json:"gate_timeout,omitempty"`
	Push                 *bool                      `json:"push,omitempty"`
	DeleteMergedBranches *bool                      `json:"delete_merged_branches,omitempty"`
	Extra                map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *MergeQueueSettings) UnmarshalJSON(b []byte) error {
	type plain MergeQueueSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = MergeQueueSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s MergeQueueSettings) MarshalJSON() ([]byte, error) {
	type plain MergeQueueSettings
	return joinExtra(plain(s), s.Extra)
}

// WorkflowSettings is a rig's `workflow` block.
type WorkflowSettings struct {
	DefaultFormula string                     `json:"default_formula,omitempty"`
	Extra          map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *WorkflowSettings) UnmarshalJSON(b []byte) error {
	type plain WorkflowSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = WorkflowSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s WorkflowSettings) MarshalJSON() ([]byte, error) {
	type plain WorkflowSettings
	return joinExtra(plain(s), s.Extra)
}

// NamepoolSettings is a rig's `namepool` block.
type NamepoolSettings struct {
	Names []string                   `json:"names,omitempty"`
	Extra map[string]json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps unknown keys in Extra.
func (s *NamepoolSettings) UnmarshalJSON(b []byte) error {
	type plain NamepoolSettings
	var p plain
	ex, err := splitExtra(b, &p)
	*s = NamepoolSettings(p)
	s.Extra = ex
	return err
}

// MarshalJSON writes unknown keys back after the known ones.
func (s NamepoolSettings) MarshalJSON() ([]byte, error) {
	type plain NamepoolSettings
	return joinExtra(plain(s), s.Extra)
}

// Defaults of spec §11.
const (
	DefaultAgentAlias      = "claude"
	DefaultStalledAfter    = 15 * time.Minute
	DefaultGuppAfter       = 30 * time.Minute
	DefaultWaitingQuiet    = 2 * time.Second
	DefaultLinger          = 10 * time.Second
	DefaultMaxPerRig       = 30
	DefaultPrefixKey       = "ctrl+space"
	DefaultMaxFPS          = 30
	DefaultScrollbackLines = 10000
	DefaultLayout          = "grid"
	DefaultAutocommitEvery = 10 * time.Minute
	DefaultGateTimeout     = 10 * time.Minute
	DefaultMergeStrategy   = "mr"
	DefaultFormula         = "mol-polecat-work"
)

func durationOr(s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return def
	}
	return d
}

// DefaultAgentName is default_agent, else claude.
func (s *TownSettings) DefaultAgentName() string {
	if s == nil || s.DefaultAgent == "" {
		return DefaultAgentAlias
	}
	return s.DefaultAgent
}

// StalledAfter is problems.stalled_after (15m).
func (s *TownSettings) StalledAfter() time.Duration {
	if s == nil || s.Problems == nil {
		return DefaultStalledAfter
	}
	return durationOr(s.Problems.StalledAfter, DefaultStalledAfter)
}

// GuppAfter is problems.gupp_after (30m).
func (s *TownSettings) GuppAfter() time.Duration {
	if s == nil || s.Problems == nil {
		return DefaultGuppAfter
	}
	return durationOr(s.Problems.GuppAfter, DefaultGuppAfter)
}

// WaitingQuiet is problems.waiting_quiet (2s).
func (s *TownSettings) WaitingQuiet() time.Duration {
	if s == nil || s.Problems == nil {
		return DefaultWaitingQuiet
	}
	return durationOr(s.Problems.WaitingQuiet, DefaultWaitingQuiet)
}

// PolecatLinger is polecat.linger (10s).
func (s *TownSettings) PolecatLinger() time.Duration {
	if s == nil || s.Polecat == nil {
		return DefaultLinger
	}
	return durationOr(s.Polecat.Linger, DefaultLinger)
}

// MaxPolecatsPerRig is polecat.max_per_rig (30).
func (s *TownSettings) MaxPolecatsPerRig() int {
	if s == nil || s.Polecat == nil || s.Polecat.MaxPerRig <= 0 {
		return DefaultMaxPerRig
	}
	return s.Polecat.MaxPerRig
}

// NotifyOnComplete is convoy.notify_on_complete (false).
func (s *TownSettings) NotifyOnComplete() bool {
	return s != nil && s.Convoy != nil && s.Convoy.NotifyOnComplete
}

// PrefixKey is tui.prefix_key (ctrl+space).
func (s *TownSettings) PrefixKey() string {
	if s == nil || s.TUI == nil || s.TUI.PrefixKey == "" {
		return DefaultPrefixKey
	}
	return s.TUI.PrefixKey
}

// MaxFPS is tui.max_fps (30, clamped to 1-60).
func (s *TownSettings) MaxFPS() int {
	if s == nil || s.TUI == nil || s.TUI.MaxFPS == 0 {
		return DefaultMaxFPS
	}
	return min(max(s.TUI.MaxFPS, 1), 60)
}

// ScrollbackLines is tui.scrollback_lines (10,000).
func (s *TownSettings) ScrollbackLines() int {
	if s == nil || s.TUI == nil || s.TUI.ScrollbackLines <= 0 {
		return DefaultScrollbackLines
	}
	return s.TUI.ScrollbackLines
}

// Layout is tui.layout (grid).
func (s *TownSettings) Layout() string {
	if s == nil || s.TUI == nil || s.TUI.Layout == "" {
		return DefaultLayout
	}
	return s.TUI.Layout
}

// Autocommit is git.autocommit (true).
func (s *TownSettings) Autocommit() bool {
	if s == nil || s.Git == nil || s.Git.Autocommit == nil {
		return true
	}
	return *s.Git.Autocommit
}

// AutocommitInterval is git.autocommit_interval (10m).
func (s *TownSettings) AutocommitInterval() time.Duration {
	if s == nil || s.Git == nil {
		return DefaultAutocommitEvery
	}
	return durationOr(s.Git.AutocommitInterval, DefaultAutocommitEvery)
}

// MergeStrategy is merge_queue.strategy (mr).
func (s *RigSettings) MergeStrategy() string {
	if s == nil || s.MergeQueue == nil || s.MergeQueue.Strategy == "" {
		return DefaultMergeStrategy
	}
	return s.MergeQueue.Strategy
}

// GateTimeout is merge_queue.gate_timeout (10m).
func (s *RigSettings) GateTimeout() time.Duration {
	if s == nil || s.MergeQueue == nil {
		return DefaultGateTimeout
	}
	return durationOr(s.MergeQueue.GateTimeout, DefaultGateTimeout)
}

// Push is merge_queue.push (true; the caller also needs a remote).
func (s *RigSettings) Push() bool {
	if s == nil || s.MergeQueue == nil || s.MergeQueue.Push == nil {
		return true
	}
	return *s.MergeQueue.Push
}

// DeleteMergedBranches is merge_queue.delete_merged_branches (true).
func (s *RigSettings) DeleteMergedBranches() bool {
	if s == nil || s.MergeQueue == nil || s.MergeQueue.DeleteMergedBranches == nil {
		return true
	}
	return *s.MergeQueue.DeleteMergedBranches
}

// DefaultFormulaName is workflow.default_formula (mol-polecat-work).
func (s *RigSettings) DefaultFormulaName() string {
	if s == nil || s.Workflow == nil || s.Workflow.DefaultFormula == "" {
		return DefaultFormula
	}
	return s.Workflow.DefaultFormula
}

// PoolNames is namepool.names (empty: the default theme).
func (s *RigSettings) PoolNames() []string {
	if s == nil || s.Namepool == nil {
		return nil
	}
	return s.Namepool.Names
}

// Validate reports the first semantic problem of the town settings: bad
// durations, out-of-range numbers, bad role keys or agent entries.
func (s *TownSettings) Validate() error {
	if s == nil {
		return nil
	}
	if s.Type != "" && s.Type != "town-settings" {
		return fmt.Errorf("type is %q, want \"town-settings\"", s.Type)
	}
	if err := validateAgents(s.Agents); err != nil {
		return err
	}
	if err := validateRoleAgents(s.RoleAgents); err != nil {
		return err
	}
	if p := s.Problems; p != nil {
		for k, v := range map[string]string{"problems.stalled_after": p.StalledAfter, "problems.gupp_after": p.GuppAfter, "problems.waiting_quiet": p.WaitingQuiet} {
			if err := validDuration(k, v); err != nil {
				return err
			}
		}
	}
	if p := s.Polecat; p != nil {
		if err := validDuration("polecat.linger", p.Linger); err != nil {
			return err
		}
		if p.MaxPerRig < 0 {
			return fmt.Errorf("polecat.max_per_rig must be positive (got %d)", p.MaxPerRig)
		}
	}
	if u := s.TUI; u != nil {
		if u.MaxFPS != 0 && (u.MaxFPS < 1 || u.MaxFPS > 60) {
			return fmt.Errorf("tui.max_fps must be between 1 and 60 (got %d)", u.MaxFPS)
		}
		if u.ScrollbackLines < 0 {
			return fmt.Errorf("tui.scrollback_lines must be positive (got %d)", u.ScrollbackLines)
		}
		if u.Layout != "" && u.Layout != "grid" && u.Layout != "tabs" {
			return fmt.Errorf("tui.layout must be grid or tabs (got %q)", u.Layout)
		}
	}
	if g := s.Git; g != nil {
		if err := validDuration("git.autocommit_interval", g.AutocommitInterval); err != nil {
			return err
		}
	}
	return nil
}

// Validate reports the first semantic problem of rig settings.
func (s *RigSettings) Validate() error {
	if s == nil {
		return nil
	}
	if s.Type != "" && s.Type != "rig-settings" {
		return fmt.Errorf("type is %q, want \"rig-settings\"", s.Type)
	}
	if err := validateAgents(s.Agents); err != nil {
		return err
	}
	if err := validateRoleAgents(s.RoleAgents); err != nil {
		return err
	}
	if r := s.Runtime; r != nil {
		if r.Command == "" && r.Provider == "" {
			return errors.New("runtime needs a command or a provider")
		}
		if err := validPromptMode("runtime.prompt_mode", r.PromptMode); err != nil {
			return err
		}
	}
	if m := s.MergeQueue; m != nil {
		switch m.Strategy {
		case "", "mr", "direct", "local":
		default:
			return fmt.Errorf("merge_queue.strategy must be mr, direct or local (got %q)", m.Strategy)
		}
		if err := validDuration("merge_queue.gate_timeout", m.GateTimeout); err != nil {
			return err
		}
	}
	return nil
}

func validDuration(key, v string) error {
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s: invalid duration %q (use Go syntax like 10s, 15m)", key, v)
	}
	return nil
}

func validPromptMode(key, v string) error {
	switch v {
	case "", PromptArg, PromptNone:
		return nil
	}
	return fmt.Errorf("%s must be arg or none (got %q)", key, v)
}

func validateAgents(agents map[string]AgentConfig) error {
	for name, a := range agents {
		if err := ValidateAgentAlias(name); err != nil {
			return err
		}
		if a.Command == "" {
			return fmt.Errorf("agents.%s: command is required", name)
		}
		if _, err := SplitCommand(a.Command); err != nil {
			return fmt.Errorf("agents.%s: %w", name, err)
		}
		if err := validPromptMode("agents."+name+".prompt_mode", a.PromptMode); err != nil {
			return err
		}
	}
	return nil
}

func validateRoleAgents(m map[string]string) error {
	for role, alias := range m {
		switch role {
		case "mayor", "polecat", "crew":
		default:
			return fmt.Errorf("role_agents: unknown role %q (expected mayor, polecat or crew)", role)
		}
		if alias == "" {
			return fmt.Errorf("role_agents.%s: agent name is empty", role)
		}
	}
	return nil
}

// readConfig reads a config file of the town, labelling errors with its
// path. A missing file returns an error matching os.ErrNotExist.
func (t *Town) readConfig(rel string, v any) error {
	err := readJSONFile(t.Path(rel), t.Path(rel), v)
	if err != nil && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: %w", rel, err)
	}
	return err
}

// TownConfig reads mayor/town.json.
func (t *Town) TownConfig() (*TownConfig, error) {
	var c TownConfig
	if err := t.readConfig(TownConfigFile, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// SaveTownConfig writes mayor/town.json atomically.
func (t *Town) SaveTownConfig(c *TownConfig) error { return writeJSONFile(t.Path(TownConfigFile), c) }

// Rigs reads mayor/rigs.json (an empty registry if the file is missing).
func (t *Town) Rigs() (*RigsRegistry, error) {
	r := RigsRegistry{Version: 1}
	if err := t.readConfig(RigsFile, &r); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &RigsRegistry{Version: 1, Rigs: map[string]RigEntry{}}, nil
		}
		return nil, err
	}
	if r.Rigs == nil {
		r.Rigs = map[string]RigEntry{}
	}
	return &r, nil
}

// SaveRigs writes mayor/rigs.json atomically.
func (t *Town) SaveRigs(r *RigsRegistry) error { return writeJSONFile(t.Path(RigsFile), r) }

// Overseer reads mayor/overseer.json.
func (t *Town) Overseer() (*Overseer, error) {
	var o Overseer
	if err := t.readConfig(OverseerFile, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Settings reads the town settings (defaults if the file does not exist
// yet).
func (t *Town) Settings() (*TownSettings, error) {
	var s TownSettings
	if err := t.readConfig(TownSettingsFile, &s); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &TownSettings{Type: "town-settings", Version: 1}, nil
		}
		return nil, err
	}
	return &s, nil
}

// SaveSettings writes the town settings atomically, creating settings/.
func (t *Town) SaveSettings(s *TownSettings) error {
	if s.Type == "" {
		s.Type = "town-settings"
	}
	if s.Version == 0 {
		s.Version = 1
	}
	if err := os.MkdirAll(t.Path("settings"), 0o755); err != nil {
		return fmt.Errorf("create settings dir: %w", err)
	}
	return writeJSONFile(t.Path(TownSettingsFile), s)
}

// RigConfig reads <rig>/config.json.
func (t *Town) RigConfig(rig string) (*RigConfig, error) {
	var c RigConfig
	if err := t.readConfig(rig+"/"+RigConfigName, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// SaveRigConfig writes <rig>/config.json atomically.
func (t *Town) SaveRigConfig(c *RigConfig) error {
	return writeJSONFile(t.Path(c.Name, RigConfigName), c)
}

// RigSettings reads <rig>/settings/config.json (empty settings if missing).
func (t *Town) RigSettings(rig string) (*RigSettings, error) {
	var s RigSettings
	if err := t.readConfig(rig+"/"+RigSettingsName, &s); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &RigSettings{}, nil
		}
		return nil, err
	}
	return &s, nil
}

// SaveRigSettings writes <rig>/settings/config.json atomically.
func (t *Town) SaveRigSettings(rig string, s *RigSettings) error {
	if err := os.MkdirAll(t.Path(rig, "settings"), 0o755); err != nil {
		return fmt.Errorf("create %s/settings: %w", rig, err)
	}
	return writeJSONFile(t.Path(rig, RigSettingsName), s)
}
