package models

import (
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	cases := []struct {
		in   string
		want Address
		str  string
		err  string
	}{
		{"mayor", MayorAddress, "mayor", ""},
		{"mayor/", MayorAddress, "mayor", ""},
		{"overseer", OverseerAddress, "overseer", ""},
		{"@overseer", OverseerAddress, "overseer", ""},
		{"myproject/polecats/nux", Address{Role: RolePolecat, Rig: "myproject", Name: "nux"}, "myproject/polecats/nux", ""},
		{"myproject/crew/yourname", Address{Role: RoleCrew, Rig: "myproject", Name: "yourname"}, "myproject/crew/yourname", ""},
		{"myproject/nux", Address{Role: RoleUnknown, Rig: "myproject", Name: "nux"}, "myproject/nux", ""},
		{"my-project/crew/x", Address{}, "", "invalid rig name"},
		{"mp/crew/a.b", Address{}, "", "invalid agent name"},
		{"mp/polecats/refinery", Address{}, "", "is reserved"},
		{"a/b/c/d", Address{}, "", "invalid address"},
		{"", Address{}, "", "invalid address"},
		{"/x", Address{}, "", "invalid address"},
	}
	for _, c := range cases {
		got, err := ParseAddress(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseAddress(%q) err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || got.String() != c.str {
			t.Errorf("ParseAddress(%q) = %+v %q %v", c.in, got, got.String(), err)
		}
	}
}

func TestNames(t *testing.T) {
	for _, n := range []string{"a", "my_project", "Rig2", strings.Repeat("x", 32)} {
		if err := ValidateRigName(n); err != nil {
			t.Errorf("rig %q: %v", n, err)
		}
	}
	for _, n := range []string{"", "my-project", "a/b", "a.b", "a b", strings.Repeat("x", 33), "hq", "HQ", "mayor", "settings"} {
		if err := ValidateRigName(n); err == nil {
			t.Errorf("rig %q accepted", n)
		}
	}
	for _, n := range []string{"mayor", "witness", "refinery", "deacon", "crew", "polecats"} {
		if err := ValidateCrewName(n); err == nil || !strings.Contains(err.Error(), "reserved") {
			t.Errorf("agent %q: %v", n, err)
		}
	}
	if err := ValidateCrewName("nux"); err != nil {
		t.Error(err)
	}
}

func TestAgentBeadID(t *testing.T) {
	cases := []struct {
		prefix string
		addr   Address
		want   string
	}{
		{"hq", MayorAddress, "hq-mayor"},
		{"mp", Address{Role: RolePolecat, Rig: "myproject", Name: "nux"}, "mp-myproject-polecat-nux"},
		{"mp", Address{Role: RoleCrew, Rig: "myproject", Name: "bob"}, "mp-myproject-crew-bob"},
		{"gt", Address{Role: RoleCrew, Rig: "gt", Name: "bob"}, "gt-crew-bob"},
		{"gt", OverseerAddress, ""},
	}
	for _, c := range cases {
		if got := AgentBeadID(c.prefix, c.addr); got != c.want {
			t.Errorf("AgentBeadID(%s, %v) = %q, want %q", c.prefix, c.addr, got, c.want)
		}
	}
}

func TestAgentStates(t *testing.T) {
	want := []struct {
		s     AgentState
		name  string
		glyph string
	}{
		{StateExited, "exited", "■"}, {StateZombie, "zombie", "💀"}, {StateWaiting, "waiting", "◐"},
		{StateGUPP, "gupp", "🔥"}, {StateStalled, "stalled", "⚠"}, {StateWorking, "working", "●"}, {StateIdle, "idle", "○"},
	}
	for _, w := range want {
		if w.s.String() != w.name || w.s.Glyph() != w.glyph {
			t.Errorf("%d: %s %s", w.s, w.s.String(), w.s.Glyph())
		}
		if p, err := ParseAgentState(w.name); err != nil || p != w.s {
			t.Errorf("parse %s: %v %v", w.name, p, err)
		}
	}
	order := []AgentState{StateGUPP, StateWaiting, StateStalled, StateZombie, StateExited, StateWorking, StateIdle}
	for i := 1; i < len(order); i++ {
		if order[i-1].ProblemRank() >= order[i].ProblemRank() {
			t.Errorf("%s should sort before %s", order[i-1], order[i])
		}
	}
	if StateExited.NeedsAttention(false, 0) || !StateExited.NeedsAttention(false, 2) || !StateExited.NeedsAttention(true, 0) ||
		StateWorking.NeedsAttention(true, 0) || !StateZombie.NeedsAttention(true, 0) {
		t.Error("NeedsAttention wrong")
	}
	if AgentState(99).String() != "unknown" || AgentState(-1).Glyph() != "?" {
		t.Error("out of range state")
	}
	if _, err := ParseAgentState("sleepy"); err == nil {
		t.Error("bad state accepted")
	}
	for _, r := range []Role{RoleMayor, RolePolecat, RoleCrew, RoleOverseer} {
		if p, err := ParseRole(r.String()); err != nil || p != r {
			t.Errorf("role %s: %v", r, err)
		}
	}
}
