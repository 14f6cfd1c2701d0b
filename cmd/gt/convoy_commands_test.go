package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
)

// cliTown is a town made by the real gt install, plus rig "myproject"
// (prefix mp) registered directly with crew joe, for CLI tests that need no
// git remote.
type cliTown struct {
	t    *testing.T
	home string
	root string
}

func newCLITown(t *testing.T) *cliTown {
	t.Helper()
	base, err := os.MkdirTemp("", "gtc") // short: host.sock must fit sun_path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	if r, err := filepath.EvalSymlinks(base); err == nil {
		base = r
	}
	c := &cliTown{t: t, home: filepath.Join(base, "home"), root: filepath.Join(base, "town")}
	if err := os.MkdirAll(c.home, 0o755); err != nil {
		t.Fatal(err)
	}
	c.ok(base, "gt", "install", c.root)
	tw, err := town.Open(c.root, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tw.Rigs()
	if err != nil {
		t.Fatal(err)
	}
	reg.Rigs["myproject"] = town.RigEntry{GitURL: "file:///nowhere", DefaultBranch: "main", AddedAt: time.Now().UTC(), Beads: town.BeadsRef{Prefix: "mp"}}
	if err := tw.SaveRigs(reg); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(c.root, "myproject", "crew", "joe", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cliTown) env(extra ...string) []string {
	return append([]string{"HOME=" + c.home, "USER=tester", "GIT_CONFIG_NOSYSTEM=1",
		"XDG_CONFIG_HOME=" + filepath.Join(c.home, ".config")}, extra...)
}

// ok runs a command in dir and fails the test unless it exits 0.
func (c *cliTown) ok(dir string, args ...string) string {
	c.t.Helper()
	out, errOut, code := runBin(c.t, dir, c.env(), args...)
	if code != 0 {
		c.t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// gt runs gt in the town root and expects success.
func (c *cliTown) gt(args ...string) string {
	c.t.Helper()
	return c.ok(c.root, append([]string{"gt"}, args...)...)
}

// fail runs gt in the town root and expects exit 1 with exactly
// "Error: <want>" on stderr.
func (c *cliTown) fail(want string, args ...string) string {
	c.t.Helper()
	out, errOut, code := runBin(c.t, c.root, c.env(), append([]string{"gt"}, args...)...)
	if code != 1 || strings.TrimSpace(errOut) != "Error: "+want {
		c.t.Fatalf("gt %s: exit %d stderr %q, want exit 1 and %q", strings.Join(args, " "), code, errOut, "Error: "+want)
	}
	return out
}

func (c *cliTown) bead(title string) string {
	c.t.Helper()
	return strings.TrimSpace(c.ok(c.root, "bd", "create", title, "--prefix", "mp", "--silent"))
}

func (c *cliTown) jsonOut(v any, args ...string) {
	c.t.Helper()
	if err := json.Unmarshal([]byte(c.gt(args...)), v); err != nil {
		c.t.Fatalf("gt %s: %v", strings.Join(args, " "), err)
	}
}

func TestAttachOptionalValue(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"X", "--notify", "--human"}, []string{"X", "--notify", "--human"}},
		{[]string{"X", "--notify"}, []string{"X", "--notify"}},
		{[]string{"X", "--notify", "overseer"}, []string{"X", "--notify=overseer"}},
		{[]string{"X", "--notify", "mp-abc12"}, []string{"X", "--notify", "mp-abc12"}},
		{[]string{"X", "--notify", "rig/crew/joe", "a"}, []string{"X", "--notify=rig/crew/joe", "a"}},
		{[]string{"--", "--notify", "mayor"}, []string{"--", "--notify", "mayor"}},
	}
	for _, tc := range cases {
		if got := attachOptionalValue(tc.in, "notify", isAddress); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConvoySeedCommands(t *testing.T) {
	c := newCLITown(t)
	a, b := c.bead("Alpha"), c.bead("Beta")

	// Unknown bead: error, nothing created.
	c.fail(`no issue found matching "mp-zzzzz"`, "convoy", "create", "Feature X", a, "mp-zzzzz", "--notify", "--human")
	c.fail(`invalid --merge "fast" (expected mr, direct or local)`, "convoy", "create", "Y", "--merge", "fast")
	c.fail("convoy name is required (usage: gt convoy create <name> [bead...] [flags])", "convoy", "create", "--human")
	c.fail("unknown flag: --bogus", "convoy", "create", "Y", "--bogus")
	if out := c.gt("convoy", "list"); out != "No convoys.\n" {
		t.Fatalf("after failures: %q", out)
	}

	// The seed: gt convoy create "Feature X" gt-abc12 gt-def34 --notify --human
	out := c.gt("convoy", "create", "Feature X", a, b, "--notify", "--human")
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "✓ Created convoy 🚚 hq-cv-") {
		t.Fatalf("create output:\n%s", out)
	}
	cv := strings.TrimPrefix(lines[0], "✓ Created convoy 🚚 ")
	want := "✓ Created convoy 🚚 " + cv + "\n\n" +
		"  Name:     Feature X\n" +
		"  Tracking: 2 issues\n" +
		"  Issues:   " + a + ", " + b + "\n" +
		"  Owner:    overseer\n" +
		"  Notify:   mayor, overseer\n\n" +
		"  Lands (closes itself) when every tracked issue is closed\n"
	if out != want {
		t.Fatalf("create output:\n%s\nwant:\n%s", out, want)
	}
	// gt convoy create "Bug Fixes" --human
	out = c.gt("convoy", "create", "Bug Fixes", "--human")
	cv2 := strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "✓ Created convoy 🚚 ")
	if !strings.Contains(out, "  Tracking: 0 issues\n") || strings.Contains(out, "Issues:") || !strings.Contains(out, "  Notify:   overseer\n") {
		t.Fatalf("Bug Fixes output:\n%s", out)
	}
	// --notify with a space-separated address; --owner, --owned, --merge.
	var created town.ConvoyShowJSON
	c.jsonOut(&created, "convoy", "create", "Third", "--notify", "myproject/joe", "--owner", "mayor", "--owned", "--merge", "local", "--json")
	if strings.Join(created.Notify, ",") != "myproject/crew/joe" || !created.Owned || created.MergeStrategy != "local" || created.Total != 0 {
		t.Fatalf("--json create = %+v", created)
	}
	// First argument a bead: all are beads, name = its title.
	out = c.gt("convoy", "create", b)
	if !strings.Contains(out, "  Name:     Beta\n") || !strings.Contains(out, "  Issues:   "+b+"\n") {
		t.Fatalf("bead-first create:\n%s", out)
	}

	// gt convoy add hq-cv-abc gt-m3k9p gt-w5t2x
	d, e := c.bead("Delta"), c.bead("Echo")
	if out := c.gt("convoy", "add", cv2, d, e); out != "✓ Convoy 🚚 "+cv2+" now tracks 2 more issue(s)\n" {
		t.Fatalf("add: %q", out)
	}
	if out := c.gt("convoy", "add", cv2, d); out != "⚠ "+d+" is already tracked by "+cv2+"; skipped\n✓ Convoy 🚚 "+cv2+" now tracks 0 more issue(s)\n" {
		t.Fatalf("add again: %q", out)
	}
	c.fail(a+" is not a convoy", "convoy", "add", a, d)

	// gt convoy list / show (no argument lists open convoys) / show <n>.
	list := c.gt("convoy", "list")
	wantList := "Convoys\n\n  1. 🚚 " + cv + ": Feature X ●\n  2. 🚚 " + cv2 + ": Bug Fixes ●\n"
	if !strings.HasPrefix(list, wantList) || !strings.HasSuffix(list, "\nUse 'gt convoy show <id>' or 'gt convoy show <n>' for details.\n") {
		t.Fatalf("list:\n%s", list)
	}
	if show := c.gt("convoy", "show"); show != list {
		t.Fatalf("show without argument:\n%s", show)
	}
	c.ok(c.root, "bd", "update", a, "-s", "in_progress", "-a", "myproject/polecats/nux")
	c.ok(c.root, "bd", "close", b)
	show := c.gt("convoy", "show", "1")
	for _, l := range []string{
		"🚚 " + cv + ": Feature X\n\n",
		"  Status:    ●\n",
		"  Owned:     no\n",
		"  Progress:  1/2 completed\n",
		"  Created:   ",
		"\n  Tracked Issues:\n",
		"    ▶ " + a + ": Alpha [myproject/polecats/nux]\n",
		"    ✓ " + b + ": Beta [task]\n",
	} {
		if !strings.Contains(show, l) {
			t.Fatalf("show 1 lacks %q:\n%s", l, show)
		}
	}
	if st := c.gt("convoy", "status", cv); st != show {
		t.Fatalf("status differs from show:\n%s", st)
	}
	var sj map[string]any
	c.jsonOut(&sj, "convoy", "show", cv, "--json")
	keys := make([]string, 0, len(sj))
	for k := range sj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "completed,id,merge_strategy,notify,owned,status,title,total,tracked" {
		t.Fatalf("show --json keys %v", keys)
	}
	tr := sj["tracked"].([]any)[0].(map[string]any)
	if len(tr) != 6 || tr["id"] != a || tr["status"] != "in_progress" || tr["assignee"] != "myproject/polecats/nux" || tr["blocked"] != false || tr["issue_type"] != "task" {
		t.Fatalf("tracked[0] = %v", tr)
	}
	var lj []map[string]any
	c.jsonOut(&lj, "convoy", "list", "--json")
	if len(lj) != 3 || lj[0]["id"] != cv || lj[0]["completed"] != float64(1) || lj[0]["total"] != float64(2) || len(lj[0]) != 7 {
		t.Fatalf("list --json = %v", lj)
	}
	if tree := c.gt("convoy", "list", "--tree"); !strings.Contains(tree, "🚚 "+cv+": Feature X (1/2)\n├── ▶ "+a+": Alpha\n└── ✓ "+b+": Beta\n") {
		t.Fatalf("tree:\n%s", tree)
	}

	// Landing through bd close: the convoy closes, owner and notify get mail.
	out = c.ok(c.root, "bd", "close", a)
	if !strings.Contains(out, "✓ Closed "+cv+": All tracked issues completed") {
		t.Fatalf("bd close output:\n%s", out)
	}
	var inbox []town.Message
	c.jsonOut(&inbox, "mail", "inbox", "--json")
	found := 0
	for _, m := range inbox {
		if m.Subject == "🚚 Convoy landed: Feature X" && m.Body == "Every issue tracked by convoy "+cv+" is closed." {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("overseer inbox = %+v", inbox)
	}
	c.jsonOut(&inbox, "mail", "inbox", "--json", "--identity", "mayor")
	if len(inbox) != 1 || inbox[0].Subject != "🚚 Convoy landed: Feature X" {
		t.Fatalf("mayor inbox = %+v", inbox)
	}
	if list := c.gt("convoy", "list", "--status", "closed"); !strings.Contains(list, "🚚 "+cv+": Feature X ✓") {
		t.Fatalf("closed list:\n%s", list)
	}

	// add reopens a closed convoy; rename; remove; close.
	f := c.bead("Foxtrot")
	if out := c.gt("convoy", "add", cv, f); out != "↺ Convoy "+cv+" reopened\n✓ Convoy 🚚 "+cv+" now tracks 1 more issue(s)\n" {
		t.Fatalf("add to closed: %q", out)
	}
	if out := c.gt("convoy", "rename", cv, "Feature Y"); out != "✓ Renamed convoy 🚚 "+cv+" to \"Feature Y\"\n" {
		t.Fatalf("rename: %q", out)
	}
	c.fail(f+" is not tracked by convoy "+cv2, "convoy", "remove", cv2, f)
	if out := c.gt("convoy", "remove", cv2, e); out != "✓ Removed "+e+" from convoy 🚚 "+cv2+"\n" {
		t.Fatalf("remove: %q", out)
	}
	if out := c.gt("convoy", "close", cv2, "--reason", "dropped"); out != "✓ Closed convoy 🚚 "+cv2+"\n" {
		t.Fatalf("close: %q", out)
	}
	c.fail(cv2+" is already closed", "convoy", "close", cv2)

	// Events of §4.8: four created; closed = "Beta" landing with bd close b,
	// Feature X landing, the manual close of Bug Fixes.
	raw, _ := os.ReadFile(filepath.Join(c.root, ".events.jsonl"))
	created2, closed := strings.Count(string(raw), `"type":"convoy_created"`), strings.Count(string(raw), `"type":"convoy_closed"`)
	if created2 != 4 || closed != 3 {
		t.Fatalf("events: %d convoy_created, %d convoy_closed", created2, closed)
	}
	// JSON errors also go to stdout.
	out, _, code := runBin(t, c.root, c.env(), "gt", "convoy", "show", "mp-nope", "--json")
	if code != 1 || strings.TrimSpace(out) != `{"error":"no issue found matching \"mp-nope\""}` {
		t.Fatalf("json error: %d %q", code, out)
	}
}
