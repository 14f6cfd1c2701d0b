package town

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gastown/gt/models"
)

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"claude --dangerously-skip-permissions", []string{"claude", "--dangerously-skip-permissions"}, ""},
		{"  codex   --thinking\tlow  ", []string{"codex", "--thinking", "low"}, ""},
		{"", nil, ""},
		{`a 'b c' d`, []string{"a", "b c", "d"}, ""},
		{`a "b c" d`, []string{"a", "b c", "d"}, ""},
		{`a "b \"c\" \\ \$x \q"`, []string{"a", `b "c" \ $x \q`}, ""},
		{`a 'it''s'`, []string{"a", "its"}, ""},
		{`a b\ c`, []string{"a", "b c"}, ""},
		{`a \'x\'`, []string{"a", "'x'"}, ""},
		{`x''y ""`, []string{"xy", ""}, ""},
		{`echo $HOME ~ *.go $(rm -rf /); ls`, []string{"echo", "$HOME", "~", "*.go", "$(rm", "-rf", "/);", "ls"}, ""},
		{`model --name "deep seek" --flag='a b'`, []string{"model", "--name", "deep seek", "--flag=a b"}, ""},
		{"a \\\nb", []string{"a", "b"}, ""},
		{`a 'b`, nil, "unterminated single quote"},
		{`a "b`, nil, "unterminated double quote"},
		{`a b\`, nil, "trailing backslash"},
	}
	for _, c := range cases {
		got, err := SplitCommand(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("SplitCommand(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("SplitCommand(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitCommand(%q) = %q, want %q", c.in, got, c.want)
		}
		// JoinCommand round-trips.
		if len(got) > 0 {
			back, err := SplitCommand(JoinCommand(got))
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("round trip of %q via %q: %q %v", got, JoinCommand(got), back, err)
			}
		}
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{`a "b c"`, `'x`, `a\ b`, `"\$"`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv, err := SplitCommand(s)
		if err != nil {
			return
		}
		back, err := SplitCommand(JoinCommand(argv))
		if err != nil || len(back) != len(argv) {
			t.Fatalf("round trip of %q: %q %v", argv, back, err)
		}
	})
}

// testTown makes a minimal town (marker files only) for config tests.
func testTown(t *testing.T, env map[string]string) *Town {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"mayor", "settings"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tw := &Town{Root: root, Getenv: func(k string) string { return env[k] }}
	if err := tw.SaveTownConfig(&TownConfig{Type: "town", Version: 2, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	return tw
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveRuntime(t *testing.T) {
	cases := []struct {
		name     string
		town     string // settings/config.json ("" = none)
		rig      string // rig settings ("" = none)
		override string
		role     models.Role
		rigName  string
		alias    string
		argv     []string // Argv("BEACON")
		source   string
		err      string
	}{
		{name: "default claude", role: models.RoleMayor, alias: "claude",
			argv: []string{"claude", "--dangerously-skip-permissions", "BEACON"}, source: SourceBuiltIn},
		{name: "town default", town: `{"default_agent":"codex"}`, role: models.RoleMayor, alias: "codex",
			argv: []string{"codex", "--dangerously-bypass-approvals-and-sandbox"}, source: SourceBuiltIn},
		{name: "gemini flag", town: `{"default_agent":"gemini"}`, role: models.RoleCrew, rigName: "r", alias: "gemini",
			argv: []string{"gemini", "--approval-mode", "yolo", "-i", "BEACON"}, source: SourceBuiltIn},
		{name: "opencode prompt flag", override: "opencode", role: models.RoleMayor, alias: "opencode",
			argv: []string{"opencode", "--prompt", "BEACON"}, source: SourceBuiltIn},
		{name: "shell", override: "shell", role: models.RoleCrew, rigName: "r", alias: "shell", argv: []string{"/bin/zsh"}, source: SourceBuiltIn},
		{name: "demo", override: "demo", role: models.RoleCrew, rigName: "r", alias: "demo", argv: []string{"gt", "demo-agent"}, source: SourceBuiltIn},
		{name: "town custom", town: `{"default_agent":"ds","agents":{"ds":{"command":"deepseek-x","args":["--dangerously-skip-permissions"]}}}`,
			role: models.RoleMayor, alias: "ds", argv: []string{"deepseek-x", "--dangerously-skip-permissions", "BEACON"}, source: SourceTown},
		{name: "custom based on codex is typed", town: `{"agents":{"codex-low":{"command":"codex","args":["--thinking","low"]}}}`,
			override: "codex-low", role: models.RoleMayor, alias: "codex-low", argv: []string{"codex", "--thinking", "low"}, source: SourceTown},
		{name: "custom with null args gets preset args", town: `{"agents":{"c2":{"command":"claude","args":null}}}`,
			override: "c2", role: models.RoleMayor, alias: "c2", argv: []string{"claude", "--dangerously-skip-permissions", "BEACON"}, source: SourceTown},
		{name: "custom with empty args", town: `{"agents":{"c3":{"command":"claude","args":[]}}}`,
			override: "c3", role: models.RoleMayor, alias: "c3", argv: []string{"claude", "BEACON"}, source: SourceTown},
		{name: "town role agent beats rig agent", town: `{"role_agents":{"polecat":"amp"}}`, rig: `{"agent":"auggie"}`,
			role: models.RolePolecat, rigName: "r", alias: "amp", argv: []string{"amp", "--dangerously-allow-all", "--no-ide", "BEACON"}, source: SourceBuiltIn},
		{name: "rig agent beats town default", town: `{"default_agent":"codex"}`, rig: `{"agent":"auggie"}`,
			role: models.RoleCrew, rigName: "r", alias: "auggie", argv: []string{"auggie", "--allow-indexing", "BEACON"}, source: SourceBuiltIn},
		{name: "rig role agent beats town role agent", town: `{"role_agents":{"crew":"amp"}}`, rig: `{"role_agents":{"crew":"cursor"}}`,
			role: models.RoleCrew, rigName: "r", alias: "cursor", argv: []string{"cursor-agent", "-f", "BEACON"}, source: SourceBuiltIn},
		{name: "rig agents shadow town agents", town: `{"agents":{"x":{"command":"town-x"}}}`, rig: `{"agent":"x","agents":{"x":{"command":"rig-x"}}}`,
			role: models.RoleCrew, rigName: "r", alias: "x", argv: []string{"rig-x", "BEACON"}, source: SourceRig},
		{name: "legacy runtime decides every role", town: `{"role_agents":{"crew":"amp"}}`,
			rig:  `{"role_agents":{"crew":"cursor"},"runtime":{"provider":"codex","command":"codex","args":[],"prompt_mode":"none"}}`,
			role: models.RoleCrew, rigName: "r", alias: "codex", argv: []string{"codex"}, source: SourceRig},
		{name: "legacy runtime null args", rig: `{"runtime":{"provider":"codex","command":"codex"}}`,
			role: models.RolePolecat, rigName: "r", alias: "codex", argv: []string{"codex", "--dangerously-bypass-approvals-and-sandbox"}, source: SourceRig},
		{name: "override beats legacy", rig: `{"runtime":{"command":"codex"}}`, override: "claude",
			role: models.RolePolecat, rigName: "r", alias: "claude", argv: []string{"claude", "--dangerously-skip-permissions", "BEACON"}, source: SourceBuiltIn},
		{name: "unknown alias", override: "nosuch", role: models.RoleMayor, err: `unknown agent "nosuch" (see gt config agent list)`},
		{name: "unknown default", town: `{"default_agent":"ghost"}`, role: models.RoleMayor, err: `unknown agent "ghost"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tw := testTown(t, map[string]string{"SHELL": "/bin/zsh"})
			if c.town != "" {
				writeFile(t, tw.Path(TownSettingsFile), c.town)
			}
			if c.rig != "" {
				writeFile(t, tw.Path("r", RigSettingsName), c.rig)
			}
			r, err := tw.ResolveRuntime(c.override, c.role, c.rigName)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				var ua *UnknownAgentError
				if !errors.As(err, &ua) {
					t.Fatalf("error %T is not UnknownAgentError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Alias != c.alias || r.Source != c.source {
				t.Errorf("alias %s source %s, want %s %s", r.Alias, r.Source, c.alias, c.source)
			}
			if got := r.Argv("BEACON"); !reflect.DeepEqual(got, c.argv) {
				t.Errorf("argv %q, want %q", got, c.argv)
			}
		})
	}
}

func TestPresetDetails(t *testing.T) {
	tw := testTown(t, nil)
	want := map[string]struct{ mode, ready string }{
		"claude": {PromptArg, "❯"}, "codex": {PromptNone, "›"}, "demo": {PromptNone, "demo> "},
		"shell": {PromptNone, ""}, "copilot": {PromptArg, ""},
	}
	for alias, w := range want {
		r, err := tw.LookupAgent(alias, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.PromptMode != w.mode || r.ReadyPrompt != w.ready {
			t.Errorf("%s: mode %s ready %q", alias, r.PromptMode, r.ReadyPrompt)
		}
	}
	if r, _ := tw.LookupAgent("shell", ""); r.Command != "/bin/sh" || len(r.Argv("B")) != 1 {
		t.Errorf("shell without $SHELL: %+v", r)
	}
	if r, _ := tw.LookupAgent("opencode", ""); r.Env["OPENCODE_PERMISSION"] != `{"*":"allow"}` {
		t.Errorf("opencode env: %v", r.Env)
	}
	if got := PresetNames(); strings.Join(got, ",") != "amp,auggie,claude,codex,copilot,cursor,demo,gemini,opencode,shell" {
		t.Errorf("presets: %v", got)
	}
}

func TestAgentConfigCommands(t *testing.T) {
	tw := testTown(t, nil)
	writeFile(t, tw.Path(TownSettingsFile), `{"type":"town-settings","version":1,"future_key":{"a":1},"tui":{"max_fps":20,"theme":"dark"},"agents":{"old":{"command":"old","env":{"K":"V"},"extra":true}}}`)
	shadows, err := tw.SetAgent(SetAgentOptions{Name: "deepseek-x", Argv: []string{"deepseek-x", "--dangerously-skip-permissions"}})
	if err != nil || shadows {
		t.Fatalf("set: %v %v", shadows, err)
	}
	if shadows, err := tw.SetAgent(SetAgentOptions{Name: "claude", Argv: []string{"claude", "--model", "x"}}); err != nil || !shadows {
		t.Fatalf("set claude: %v %v", shadows, err)
	}
	if _, err := tw.SetAgent(SetAgentOptions{Name: "old", Argv: []string{"new", "-v"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.SetAgent(SetAgentOptions{Name: "x", Argv: nil}); err == nil || err.Error() != "command is required" {
		t.Fatalf("empty command: %v", err)
	}
	if _, err := tw.SetAgent(SetAgentOptions{Name: "bad name", Argv: []string{"x"}}); err == nil {
		t.Fatal("bad alias accepted")
	}
	if _, err := tw.SetAgent(SetAgentOptions{Name: "y", Argv: []string{"y"}, PromptMode: "sometimes"}); err == nil {
		t.Fatal("bad prompt mode accepted")
	}
	if err := tw.SetDefaultAgent("deepseek-x", ""); err != nil {
		t.Fatal(err)
	}
	if err := tw.SetDefaultAgent("nosuch", ""); err == nil || err.Error() != `unknown agent "nosuch" (see gt config agent list)` {
		t.Fatalf("unknown default: %v", err)
	}
	if err := tw.RemoveAgent("codex", ""); err == nil || err.Error() != "cannot remove built-in agent 'codex'" {
		t.Fatalf("remove built-in: %v", err)
	}
	if err := tw.RemoveAgent("claude", ""); err != nil {
		t.Fatal(err) // the custom shadow can go
	}
	data, err := os.ReadFile(tw.Path(TownSettingsFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{`"future_key": {`, `"theme": "dark"`, `"max_fps": 20`, `"extra": true`, `"K": "V"`, `"default_agent": "deepseek-x"`, `"command": "new"`} {
		if !strings.Contains(s, want) {
			t.Errorf("settings lost %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"claude"`) {
		t.Errorf("removed agent still present:\n%s", s)
	}
	list, def, err := tw.ListAgents()
	if err != nil || def != "deepseek-x" {
		t.Fatalf("list: %v %v", def, err)
	}
	types := map[string]string{}
	for _, a := range list {
		types[a.Name] = a.Type
	}
	if types["claude"] != "built-in" || types["deepseek-x"] != "custom" || types["old"] != "custom" || len(list) != 12 {
		t.Errorf("list types: %v", types)
	}
}
