package town

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInvalidJSONPositions(t *testing.T) {
	cases := []struct {
		name   string
		data   string
		line   int
		col    int
		reason string
	}{
		{"bad key", "{\n  \"a\": 1,\n  ,\n}", 3, 3, "invalid character ',' looking for beginning of object key string"},
		{"truncated", "{\"version\":1,\"rigs\":{", 1, 22, "unexpected end of JSON input"},
		{"trailing comma", `{"a": {"b": 1,}}`, 1, 15, "invalid character '}' looking for beginning of object key string"},
		{"type error", "{\n\"version\": \"two\"}", 2, 12, "version: expected an integer, got JSON string"},
		{"nested type error", `{"tui": {"max_fps": "fast"}}`, 1, 21, "tui.max_fps: expected an integer, got JSON string"},
		{"not an object", `[1,2]`, 1, 1, "expected an object, got JSON array"},
		{"empty", "  \n", 1, 1, "file is empty"},
		{"trailing data", "{}\n{}", 2, 1, "invalid character after top-level value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s TownSettings
			err := decodeJSON("settings/config.json", []byte(c.data), &s)
			var ij *InvalidJSONError
			if !errors.As(err, &ij) {
				t.Fatalf("error %T %v, want InvalidJSONError", err, err)
			}
			if ij.Line != c.line || ij.Col != c.col || !strings.Contains(ij.Reason, c.reason) {
				t.Fatalf("got line %d col %d %q, want %d %d %q", ij.Line, ij.Col, ij.Reason, c.line, c.col, c.reason)
			}
			if !strings.HasPrefix(err.Error(), "settings/config.json: invalid JSON at line ") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func FuzzDecodeSettings(f *testing.F) {
	f.Add(`{"agents":{"x":{"command":"y"}}}`)
	f.Add(`{"tui":`)
	f.Add(`{"rigs":{"a":{"beads":{"prefix":1}}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []any{&TownSettings{}, &RigSettings{}, &RigsRegistry{}} {
			err := decodeJSON("f", []byte(s), v)
			if err == nil {
				continue
			}
			var ij *InvalidJSONError
			if !errors.As(err, &ij) || ij.Line < 1 || ij.Col < 1 || strings.Contains(ij.Error(), "\n") {
				t.Fatalf("decode %q: %v", s, err)
			}
		}
	})
}

func TestUnknownKeysSurviveWrites(t *testing.T) {
	tw := testTown(t, nil)
	writeFile(t, tw.Path(RigsFile), `{"version":1,"note":"hand edit","rigs":{"a":{"git_url":"u","default_branch":"main","added_at":"2026-01-01T00:00:00Z","beads":{"prefix":"a","color":"red"},"pinned":true}}}`)
	reg, err := tw.Rigs()
	if err != nil {
		t.Fatal(err)
	}
	reg.Rigs["b"] = RigEntry{GitURL: "v", DefaultBranch: "main", Beads: BeadsRef{Prefix: "b"}}
	if err := tw.SaveRigs(reg); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	data, _ := os.ReadFile(tw.Path(RigsFile))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	a := m["rigs"].(map[string]any)["a"].(map[string]any)
	if m["note"] != "hand edit" || a["pinned"] != true || a["beads"].(map[string]any)["color"] != "red" {
		t.Fatalf("unknown keys lost: %s", data)
	}
	if _, ok := m["rigs"].(map[string]any)["b"]; !ok {
		t.Fatalf("new rig missing: %s", data)
	}
	// The write is atomic: no temp files remain.
	ents, _ := os.ReadDir(tw.Path("mayor"))
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("temp file left: %s", e.Name())
		}
	}
	// Rig settings keep their unknown keys through a round trip.
	writeFile(t, tw.Path("r", RigSettingsName), `{"merge_queue":{"strategy":"direct","future":[1,2]},"x":null}`)
	rs, err := tw.RigSettings("r")
	if err != nil {
		t.Fatal(err)
	}
	if rs.MergeStrategy() != "direct" || rs.Push() != true || rs.GateTimeout().String() != "10m0s" {
		t.Fatalf("rig settings accessors: %+v", rs)
	}
	if err := tw.SaveRigSettings("r", rs); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(tw.Path("r", RigSettingsName))
	if !strings.Contains(string(data), `"future": [`) || !strings.Contains(string(data), `"x": null`) {
		t.Fatalf("rig settings lost keys: %s", data)
	}
}

func TestSettingsDefaultsAndValidation(t *testing.T) {
	var nilSettings *TownSettings
	if nilSettings.DefaultAgentName() != "claude" || nilSettings.MaxFPS() != 30 || nilSettings.StalledAfter().String() != "15m0s" ||
		!nilSettings.Autocommit() || nilSettings.Layout() != "grid" || nilSettings.MaxPolecatsPerRig() != 30 {
		t.Fatal("defaults wrong")
	}
	cases := []struct {
		json string
		err  string
	}{
		{`{}`, ""},
		{`{"problems":{"stalled_after":"soon"}}`, `problems.stalled_after: invalid duration "soon"`},
		{`{"tui":{"max_fps":61}}`, "tui.max_fps must be between 1 and 60 (got 61)"},
		{`{"tui":{"layout":"stack"}}`, `tui.layout must be grid or tabs`},
		{`{"role_agents":{"witness":"claude"}}`, `role_agents: unknown role "witness"`},
		{`{"agents":{"x":{"args":["a"]}}}`, "agents.x: command is required"},
		{`{"agents":{"x":{"command":"a 'b"}}}`, "agents.x: unterminated single quote"},
		{`{"agents":{"x":{"command":"a","prompt_mode":"typed"}}}`, `agents.x.prompt_mode must be arg or none`},
		{`{"type":"rig-settings"}`, `type is "rig-settings"`},
	}
	for _, c := range cases {
		var s TownSettings
		if err := json.Unmarshal([]byte(c.json), &s); err != nil {
			t.Fatal(err)
		}
		err := s.Validate()
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.json, err, c.err)
		}
	}
	var rs RigSettings
	_ = json.Unmarshal([]byte(`{"merge_queue":{"strategy":"rebase"}}`), &rs)
	if err := rs.Validate(); err == nil || !strings.Contains(err.Error(), "merge_queue.strategy") {
		t.Errorf("rig strategy: %v", err)
	}
}

func TestMissingFiles(t *testing.T) {
	tw := testTown(t, nil)
	if s, err := tw.Settings(); err != nil || s.DefaultAgentName() != "claude" {
		t.Fatalf("missing settings: %v", err)
	}
	if rs, err := tw.RigSettings("nope"); err != nil || rs.MergeStrategy() != "mr" {
		t.Fatalf("missing rig settings: %v", err)
	}
	if reg, err := tw.Rigs(); err != nil || len(reg.Rigs) != 0 {
		t.Fatalf("missing rigs.json: %v", err)
	}
	if _, err := tw.Overseer(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing overseer: %v", err)
	}
	// Settings are created on first write.
	if _, err := os.Stat(filepath.Join(tw.Root, TownSettingsFile)); err == nil {
		t.Fatal("settings exist before any write")
	}
}

func TestValueStartBounds(t *testing.T) {
	data := []byte(`{"a": "x"}`)
	for _, end := range []int64{-5, 0, 1, 9, 10, 99} {
		if got := valueStart(data, end); got < 0 || got > int64(len(data)) {
			t.Errorf("valueStart(%d) = %d", end, got)
		}
	}
	if got := valueStart(data, 9); got != 6 {
		t.Errorf("valueStart of \"x\" = %d, want 6", got)
	}
}
