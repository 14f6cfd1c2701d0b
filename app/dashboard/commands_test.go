package dashboard

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitCommand(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"convoy list", []string{"convoy", "list"}, false},
		{"  bd\tshow   x ", []string{"bd", "show", "x"}, false},
		{`bd create "two words"`, []string{"bd", "create", "two words"}, false},
		{`bd create 'it"s'`, []string{"bd", "create", `it"s`}, false},
		{`bd create "it's"`, []string{"bd", "create", "it's"}, false},
		{`a""b ''`, []string{"ab", ""}, false},
		{`x"y z"w`, []string{"xy zw"}, false},
		{`back\slash "a\"b`, []string{`back\slash`, `a\b`}, false}, // backslash is no escape
		{`"open`, nil, true},
		{`'open`, nil, true},
	}
	for _, c := range cases {
		got, err := splitCommand(c.in)
		if (err != nil) != c.err || !slices.Equal(got, c.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q, err %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestValidArg(t *testing.T) {
	for _, a := range []string{"hq-abc12", "Fix the 'upload' client", "a=b", "~/x", "*", "ünïcødé 🚚", "--json", "P0", "50%"} {
		if !validArg(a) {
			t.Errorf("validArg(%q) = false", a)
		}
	}
	for _, a := range []string{"a;b", "a|b", "a&b", "$HOME", "`x`", "<x", ">x", "(x", "x)", "{x", "x}", `a\b`, "a\nb", "a\tb", "\x00", "\x7f", "\u009b"} {
		if validArg(a) {
			t.Errorf("validArg(%q) = true", a)
		}
	}
}

func TestHasForce(t *testing.T) {
	yes := [][]string{
		{"bd", "close", "x", "--force"}, {"sling", "--force=true", "x"}, {"bd", "close", "-f", "x"},
		{"bd", "close", "-rf", "x"}, {"rm", "--force"},
	}
	no := [][]string{
		{"bd", "list"}, {"bd", "close", "x", "-r", "fixed"}, {"feed", "--plain", "-f"}, {"bd", "show", "--forced"},
		{"bd", "update", "x", "-f"}, {"bd", "close", "--reason", "force"},
	}
	for _, a := range yes {
		if !hasForce(a) {
			t.Errorf("hasForce(%q) = false", a)
		}
	}
	for _, a := range no {
		if hasForce(a) {
			t.Errorf("hasForce(%q) = true", a)
		}
	}
}

func TestMatchCommand(t *testing.T) {
	list := allowList()
	cases := []struct {
		argv    string
		command string
		ok      bool
		confirm bool
	}{
		{"agents", "agents", true, false},
		{"agents --json", "agents", true, false},
		{"convoy show 2", "convoy show", true, false},
		{"convoy close hq-cv-abcde", "convoy close", true, true},
		{"bd mol list", "bd mol list", true, false},
		{"bd mol pour x", "", false, false},
		{"feed --plain -n 5", "feed --plain", true, false},
		{"feed -n 5 --plain", "feed --plain", true, false},
		{"feed -n 5", "", false, false},
		{"doctor", "doctor", true, false},
		{"doctor --fix", "doctor --fix", true, true},
		{"doctor --json --fix=true", "doctor --fix", true, true},
		{"sling hq-abc gastown", "sling", true, true},
		{"convoy", "", false, false},
		{"bd", "", false, false},
		{"bd delete x", "", false, false},
		{"mayor attach", "", false, false},
		{"mayor start --agent demo", "mayor start", true, true},
		{"install /tmp/x", "", false, false},
	}
	for _, c := range cases {
		got, ok := matchCommand(list, strings.Fields(c.argv))
		if ok != c.ok || got.Command != c.command || got.Confirm != c.confirm {
			t.Errorf("matchCommand(%q) = %+v %v; want %q ok=%v confirm=%v", c.argv, got, ok, c.command, c.ok, c.confirm)
		}
	}
	if got := leadingWords([]string{"rm", "-rf", "/", "extra"}); got != "rm -rf /" {
		t.Errorf("leadingWords = %q", got)
	}
	if got := leadingWords([]string{"feed"}); got != "feed" {
		t.Errorf("leadingWords = %q", got)
	}
}

func TestCapped(t *testing.T) {
	c := &capped{max: 10}
	for _, s := range []string{"hello ", "world", "!!!"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := c.String(); got != "hello worl\n… output truncated" {
		t.Errorf("capped = %q", got)
	}
	small := &capped{max: 100}
	_, _ = small.Write([]byte("ok"))
	if small.String() != "ok" {
		t.Errorf("small = %q", small.String())
	}
}

func TestDefaults(t *testing.T) {
	if DefaultKeepalive != 15*time.Second || DefaultFallback != 30*time.Second || DefaultPollInterval > time.Second ||
		DefaultRunTimeout != 30*time.Second || maxRunning != 8 || maxBody != 64<<10 {
		t.Errorf("defaults: keepalive %s fallback %s poll %s run %s running %d body %d",
			DefaultKeepalive, DefaultFallback, DefaultPollInterval, DefaultRunTimeout, maxRunning, maxBody)
	}
}

// FuzzSplitCommand: splitting never panics, and arguments quoted back with
// single quotes split into the same arguments.
func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"convoy list", `bd create "a b" 'c'`, `x"y z"w`, `"`, "a\tb", "é 🚚", `\;$()`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, err := splitCommand(s)
		if err != nil {
			return
		}
		var quoted []string
		for _, a := range args {
			if strings.ContainsRune(a, '\'') {
				return
			}
			quoted = append(quoted, "'"+a+"'")
		}
		again, err := splitCommand(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, args) {
			t.Fatalf("%q split into %q, requoted into %q: %v", s, args, again, err)
		}
	})
}
