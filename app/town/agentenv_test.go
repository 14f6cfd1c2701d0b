package town

import (
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/models"
)

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			m[k] = "DUPLICATE"
			continue
		}
		m[k] = v
	}
	return m
}

func TestAgentEnv(t *testing.T) {
	t.Parallel()
	base := []string{"PATH=/usr/bin:/bin", "HOME=/home/u", "TMUX=/tmp/tmux", "TMUX_PANE=%1", "CLAUDECODE=1",
		"GT_RIG=old", "GT_POLECAT=old", "BD_ACTOR=someone", "TERM=screen", "COLORTERM=no", "LANG=C.UTF-8", "GIT_CEILING_DIRECTORIES=/x", "broken"}
	polecat := models.Address{Role: models.RolePolecat, Rig: "myproj", Name: "furiosa"}
	crew := models.Address{Role: models.RoleCrew, Rig: "myproj", Name: "bob"}
	cases := []struct {
		name    string
		opts    AgentEnvOptions
		want    map[string]string
		missing []string
	}{
		{
			name: "polecat",
			opts: AgentEnvOptions{TownRoot: "/t", Address: polecat, Alias: "claude", Branch: "polecat/furiosa/mp-1@x", Base: base},
			want: map[string]string{
				"GT_TOWN_ROOT": "/t", "GT_ROOT": "/t", "GIT_CEILING_DIRECTORIES": "/t", "GT_ROLE": "polecat",
				"BD_ACTOR": "myproj/polecats/furiosa", "GT_RIG": "myproj", "GT_POLECAT": "furiosa", "GT_AGENT": "claude",
				"GT_BRANCH": "polecat/furiosa/mp-1@x", "PATH": "/t/.runtime/bin:/usr/bin:/bin", "TERM": "xterm-256color",
				"COLORTERM": "truecolor", "HOME": "/home/u", "LANG": "C.UTF-8",
			},
			missing: []string{"TMUX", "TMUX_PANE", "CLAUDECODE", "GT_CREW", "broken"},
		},
		{
			name:    "crew",
			opts:    AgentEnvOptions{TownRoot: "/t", Address: crew, Alias: "codex", Branch: "main", Base: base},
			want:    map[string]string{"GT_ROLE": "crew", "BD_ACTOR": "myproj/crew/bob", "GT_RIG": "myproj", "GT_CREW": "bob", "GT_BRANCH": "main"},
			missing: []string{"GT_POLECAT"},
		},
		{
			name:    "mayor",
			opts:    AgentEnvOptions{TownRoot: "/t", Address: models.MayorAddress, Alias: "claude", Branch: "ignored", Base: base},
			want:    map[string]string{"GT_ROLE": "mayor", "BD_ACTOR": "mayor"},
			missing: []string{"GT_RIG", "GT_POLECAT", "GT_CREW", "GT_BRANCH"},
		},
		{
			name: "runtime env last, no inherited PATH",
			opts: AgentEnvOptions{TownRoot: "/t", Address: models.MayorAddress, Alias: "opencode", Base: []string{"HOME=/h"},
				RuntimeEnv: map[string]string{"OPENCODE_PERMISSION": `{"*":"allow"}`, "HOME": "/runtime-home"}},
			want: map[string]string{"OPENCODE_PERMISSION": `{"*":"allow"}`, "HOME": "/runtime-home", "PATH": "/t/.runtime/bin"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := AgentEnv(c.opts)
			m := envMap(env)
			for k, v := range c.want {
				if m[k] != v {
					t.Errorf("%s = %q, want %q", k, m[k], v)
				}
			}
			for _, k := range c.missing {
				if _, ok := m[k]; ok {
					t.Errorf("%s must not be set (%q)", k, m[k])
				}
			}
			for i := 1; i < len(env); i++ {
				if env[i-1] > env[i] {
					t.Fatalf("environment not sorted at %q", env[i])
				}
			}
		})
	}
}

func TestRoleFromEnv(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want models.Role
		ok   bool
	}{
		{"mayor", models.RoleMayor, true},
		{"polecat", models.RolePolecat, true},
		{"crew", models.RoleCrew, true},
		{"myproj/polecats/nux", models.RolePolecat, true},
		{"myproj/crew/bob", models.RoleCrew, true},
		{"overseer", models.RoleUnknown, false},
		{"", models.RoleUnknown, false},
		{"witness", models.RoleUnknown, false},
	}
	for _, c := range cases {
		got, ok := RoleFromEnv(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("RoleFromEnv(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestBeacon(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 2, 9, 5, 59, 0, time.UTC)
	polecat := models.Address{Role: models.RolePolecat, Rig: "myproj", Name: "furiosa"}
	cases := []struct {
		name   string
		addr   models.Address
		sender string
		topic  string
		hooked bool
		want   string
	}{
		{"assigned", polecat, "mayor", TopicAssigned, true,
			"[GAS TOWN] myproj/polecats/furiosa <- mayor • 2026-03-02T09:05 • assigned\n\n" +
				"Work is on your hook. Run gt prime for your context and checklist, then start at once."},
		{"cold start", models.MayorAddress, SenderHuman, TopicColdStart, false,
			"[GAS TOWN] mayor <- human • 2026-03-02T09:05 • cold-start\n\n" +
				"Run gt prime for your context, check gt mail inbox, then wait for instructions."},
		{"restart", models.Address{Role: models.RoleCrew, Rig: "r", Name: "bob"}, SenderHost, TopicRestart, true,
			"[GAS TOWN] r/crew/bob <- host • 2026-03-02T09:05 • restart\n\n" +
				"Work is on your hook. Run gt prime for your context and checklist, then start at once."},
	}
	for _, c := range cases {
		if got := Beacon(c.addr, c.sender, at, c.topic, c.hooked); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
