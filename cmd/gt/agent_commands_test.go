package main

import (
	"context"
	"encoding/json"
	"github.com/mattn/go-runewidth"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
)

// cliHost is an in-process stand-in for the gt host: it holds host.lock,
// keeps sessions.json fresh and answers the socket.
type cliHost struct {
	mu       sync.Mutex
	reqs     []town.HostRequest
	headless bool
}

func (h *cliHost) add(r town.HostRequest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reqs = append(h.reqs, r)
}

func (h *cliHost) requests() []town.HostRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]town.HostRequest(nil), h.reqs...)
}

func (h *cliHost) Poke(context.Context) error { h.add(town.HostRequest{Op: town.OpPoke}); return nil }
func (h *cliHost) Focus(_ context.Context, a string, z bool) error {
	h.add(town.HostRequest{Op: town.OpFocus, Agent: a, Zoom: z})
	return nil
}
func (h *cliHost) Nudge(_ context.Context, a, m, mode string) (bool, error) {
	h.add(town.HostRequest{Op: town.OpNudge, Agent: a, Message: m, Mode: mode})
	return false, nil
}
func (h *cliHost) Start(_ context.Context, a, rt string) error {
	h.add(town.HostRequest{Op: town.OpStart, Agent: a, Runtime: rt})
	return nil
}
func (h *cliHost) Stop(_ context.Context, a string) error {
	h.add(town.HostRequest{Op: town.OpStop, Agent: a})
	return nil
}
func (h *cliHost) Status(context.Context) (town.HostStatus, error) {
	h.add(town.HostRequest{Op: town.OpStatus})
	h.mu.Lock()
	defer h.mu.Unlock()
	return town.HostStatus{PID: os.Getpid(), Headless: h.headless}, nil
}

func (h *cliHost) setHeadless(v bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.headless = v
}

// startCLIHost makes this test process the town's host until the test ends.
func startCLIHost(t *testing.T, root string, sessions []town.SessionRecord) *cliHost {
	t.Helper()
	h := &cliHost{}
	ln, err := town.ListenHost(root)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(root, ".runtime", "host.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.WriteString(strconv.Itoa(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = town.ServeHost(ctx, ln, h) }()
	write := func() {
		_ = town.WriteSessions(root, town.SessionsFile{HostPID: os.Getpid(), UpdatedAt: time.Now().UTC(), Sessions: sessions})
	}
	write()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				write()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		lock.Close()
	})
	return h
}

func TestAgentsAndNudgeCLI(t *testing.T) {
	c := newCLITown(t)
	if err := os.MkdirAll(filepath.Join(c.root, "myproject", "polecats", "nux"), 0o755); err != nil {
		t.Fatal(err)
	}
	w := c.bead("Hooked work")
	c.ok(c.root, "bd", "update", w, "-s", "hooked", "-a", "myproject/polecats/nux")

	out := c.gt("agents")
	want := [][]string{
		{"AGENT", "ROLE", "STATE", "HOOK", "IDLE", "RUNTIME"},
		{"mayor", "mayor", "○ idle", "-", "-", "claude"},
		{"myproject/crew/joe", "crew", "○ idle", "-", "-", "claude"},
		{"myproject/polecats/nux", "polecat", "💀 zombie", w, "-", "claude", "hooked work but no session"},
	}
	checkAlignedTable(t, out, want, "(no gt host running: live session states unavailable)")
	if p := c.gt("agents", "--problems"); !regexp.MustCompile(`myproject/polecats/nux +polecat +💀 zombie`).MatchString(p) || regexp.MustCompile(`mayor +mayor`).MatchString(p) {
		t.Fatalf("--problems:\n%s", p)
	}
	var rows []map[string]any
	c.jsonOut(&rows, "agents", "--json")
	keys := make([]string, 0)
	for k := range rows[2] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(rows) != 3 || strings.Join(keys, ",") != "address,exit_code,hook,hook_title,idle_seconds,name,pid,rig,role,runtime,session,state" ||
		rows[2]["state"] != "zombie" || rows[2]["hook_title"] != "Hooked work" || rows[2]["session"] != "none" || rows[2]["rig"] != "myproject" {
		t.Fatalf("agents --json = %v", rows)
	}
	c.fail(`unknown command "bogus" for "gt agents" (see gt agents --help)`, "agents", "bogus")

	// Nudges without a host are queued.
	if out := c.gt("nudge", "myproject/nux", "check", "CI"); out != "✓ Queued nudge for myproject/nux\n" {
		t.Fatalf("nudge: %q", out)
	}
	q, _ := os.ReadDir(filepath.Join(c.root, ".runtime", "nudge_queue", "myproject--polecats--nux"))
	if len(q) != 1 {
		t.Fatalf("queue = %v", q)
	}
	data, _ := os.ReadFile(filepath.Join(c.root, ".runtime", "nudge_queue", "myproject--polecats--nux", q[0].Name()))
	var entry map[string]any
	if json.Unmarshal(data, &entry) != nil || entry["text"] != "[from overseer] check CI" {
		t.Fatalf("queued entry %s", data)
	}
	c.fail(`unknown agent address "ghost"`, "nudge", "ghost", "hi")
	c.fail("message is required", "nudge", "mayor")
	c.fail("give the message as an argument or with -m, not both", "nudge", "mayor", "a", "-m", "b")
	c.fail(`invalid --mode "soon" (expected wait-idle, queue or immediate)`, "nudge", "mayor", "x", "--mode", "soon")

	// Desired sessions without a host.
	if out := c.gt("mayor", "start"); out != "✓ Mayor will run with claude; it starts when you run gt\n" {
		t.Fatalf("mayor start: %q", out)
	}
	c.fail(`unknown agent "nope" (see gt config agent list)`, "mayor", "start", "--agent", "nope")
	if out := c.gt("mayor", "status"); out != "Mayor: idle (claude)\n" {
		t.Fatalf("mayor status: %q", out)
	}
	if out := c.gt("crew", "start", "myproject/joe", "--agent", "shell"); out != "✓ crew myproject/crew/joe will run (shell); it starts when you run gt\n" {
		t.Fatalf("crew start: %q", out)
	}
	c.fail("mayor is not a crew member (use gt mayor start|stop for the Mayor)", "crew", "start", "mayor")
	c.fail(`unknown agent address "myproject/crew/ann"`, "crew", "start", "myproject/crew/ann")
	if out := c.gt("crew", "stop", "myproject/joe"); out != "✓ crew myproject/crew/joe will not start when you run gt\n" {
		t.Fatalf("crew stop: %q", out)
	}
	if out := c.gt("mayor", "stop"); out != "✓ Mayor will not start when you run gt\n" {
		t.Fatalf("mayor stop: %q", out)
	}
	c.fail("no gt host running: myproject/polecats/nux starts when you run gt", "agents", "restart", "myproject/nux")

	// With a host: live states, no footer, nudges handed over, focus.
	now := time.Now().UTC()
	h := startCLIHost(t, c.root, []town.SessionRecord{
		{Agent: "myproject/polecats/nux", Runtime: "claude", PID: 4321, StartedAt: now, LastOutputAt: &now},
		{Agent: "mayor", Runtime: "codex", PID: 4322, StartedAt: now, LastOutputAt: &now},
	})
	out = c.gt("agents")
	if strings.Contains(out, "no gt host running") ||
		!regexp.MustCompile(`(?m)^myproject/polecats/nux +polecat +● working +`+w+` +0s +claude$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^mayor +mayor +○ idle +- +0s +codex$`).MatchString(out) {
		t.Fatalf("hosted gt agents:\n%s", out)
	}
	if out := c.gt("mayor", "status"); out != "Mayor: idle (codex, pid 4322)\n" {
		t.Fatalf("hosted mayor status: %q", out)
	}
	c.fail("mayor is already running with codex (use gt mayor restart --agent claude)", "mayor", "start", "--agent", "claude")
	if out := c.gt("nudge", "mayor", "-m", "continue", "--mode", "immediate"); out != "✓ Nudged mayor\n" {
		t.Fatalf("hosted nudge: %q", out)
	}
	if out := c.gt("mayor", "attach"); out != "Mayor is in the running gt window (pid "+strconv.Itoa(os.Getpid())+")\n" {
		t.Fatalf("attach: %q", out)
	}
	h.setHeadless(true)
	c.fail("the host (pid "+strconv.Itoa(os.Getpid())+") is headless; open gt in a terminal", "mayor", "attach")
	if out := c.gt("agents", "restart", "myproject/nux"); out != "✓ Restarting myproject/polecats/nux\n" {
		t.Fatalf("restart: %q", out)
	}
	var got []string
	for _, r := range h.requests() {
		if r.Op != town.OpStatus {
			b, _ := json.Marshal(r)
			got = append(got, string(b))
		}
	}
	wantReqs := []string{
		`{"op":"nudge","agent":"mayor","message":"[from overseer] continue","mode":"immediate"}`,
		`{"op":"focus","agent":"mayor","zoom":true}`,
		`{"op":"stop","agent":"myproject/polecats/nux"}`,
		`{"op":"start","agent":"myproject/polecats/nux"}`,
	}
	if strings.Join(got, "\n") != strings.Join(wantReqs, "\n") {
		t.Fatalf("host requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantReqs, "\n"))
	}
}

func TestMailCLI(t *testing.T) {
	c := newCLITown(t)
	c.fail("subject is required (-s)", "mail", "send", "mayor", "-m", "body")
	c.fail("recipient is required (an address, or --human)", "mail", "send", "-s", "x")
	c.fail("give an address or --human, not both", "mail", "send", "mayor", "--human", "-s", "x")
	c.fail("priority must be between 0 and 4 (got 9)", "mail", "send", "mayor", "-s", "x", "--priority", "9")
	c.fail(`unknown rig "nowhere" in address "nowhere/crew/x"`, "mail", "send", "nowhere/crew/x", "-s", "x")
	if out := c.gt("mail", "inbox"); out != "No messages.\n" {
		t.Fatalf("empty inbox: %q", out)
	}
	// check is quiet and exits 0 with no mail.
	if out := c.gt("mail", "check"); out != "" {
		t.Fatalf("check without mail: %q", out)
	}

	out := c.gt("mail", "send", "--human", "-s", "Build broke", "-m", "Line one\nLine two", "--urgent")
	if !strings.HasPrefix(out, "✓ Message sent to overseer: hq-") {
		t.Fatalf("send: %q", out)
	}
	id := strings.TrimSpace(strings.TrimPrefix(out, "✓ Message sent to overseer: "))
	out = c.ok(c.root, "gt", "mail", "send", "mayor/", "-s", "Plan", "-m", "go", "--actor", "myproject/crew/joe", "--permanent", "--type", "task")
	mayorMsg := strings.TrimSpace(strings.TrimPrefix(out, "✓ Message sent to mayor: "))

	inbox := c.gt("mail", "inbox")
	if !strings.HasPrefix(inbox, "● "+id+"  overseer  Build broke  ") || strings.Count(inbox, "\n") != 1 {
		t.Fatalf("inbox: %q", inbox)
	}
	if out := c.gt("mail", "check"); out != "✉ 1 unread message (gt mail inbox)\n" {
		t.Fatalf("check: %q", out)
	}
	if out := c.gt("mail", "check", "--inject"); !strings.HasPrefix(out, "<system-reminder>\n") || !strings.Contains(out, "- "+id+" from overseer: Build broke\n") {
		t.Fatalf("check --inject: %q", out)
	}
	read := c.gt("mail", "read", id)
	if !strings.HasPrefix(read, "From: overseer\nTo: overseer\nSubject: Build broke\nDate: ") || !strings.HasSuffix(read, "\n\nLine one\nLine two\n") {
		t.Fatalf("read:\n%s", read)
	}
	if out := c.gt("mail", "inbox"); out != "No messages.\n" {
		t.Fatalf("inbox after read: %q", out)
	}
	if out := c.gt("mail", "inbox", "--all"); !strings.HasPrefix(out, "○ "+id+"  overseer  Build broke  ") {
		t.Fatalf("inbox --all: %q", out)
	}
	if out := c.gt("mail", "check", "--inject"); out != "" {
		t.Fatalf("inject with no unread mail: %q", out)
	}
	var msgs []town.Message
	c.jsonOut(&msgs, "mail", "inbox", "--identity", "mayor", "--json")
	if len(msgs) != 1 || msgs[0].ID != mayorMsg || msgs[0].From != "myproject/crew/joe" || msgs[0].Type != "task" || !msgs[0].Permanent || msgs[0].Priority != 2 {
		t.Fatalf("mayor inbox = %+v", msgs)
	}
	// The agent sees its own inbox through BD_ACTOR.
	out, _, code := runBin(t, c.root, c.env("BD_ACTOR=mayor"), "gt", "mail", "inbox")
	if code != 0 || !strings.HasPrefix(out, "● "+mayorMsg+"  myproject/crew/joe  Plan  ") {
		t.Fatalf("BD_ACTOR=mayor inbox: %d %q", code, out)
	}
	c.fail(`no issue found matching "hq-zzzzz"`, "mail", "read", "hq-zzzzz")
	// Only permanent mail reaches issues.jsonl.
	jsonl, _ := os.ReadFile(filepath.Join(c.root, ".beads", "issues.jsonl"))
	if strings.Contains(string(jsonl), id) || !strings.Contains(string(jsonl), mayorMsg) {
		t.Fatalf("issues.jsonl has ephemeral=%v permanent=%v", strings.Contains(string(jsonl), id), strings.Contains(string(jsonl), mayorMsg))
	}
}

// checkAlignedTable asserts that out holds exactly the rows of want, laid
// out as columns separated by at least two spaces whose starts line up (by
// display width), followed by the footer line.
func checkAlignedTable(t *testing.T, out string, want [][]string, footer string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want)+1 || lines[len(lines)-1] != footer {
		t.Fatalf("table:\n%s\nwant %d rows and footer %q", out, len(want), footer)
	}
	sep := regexp.MustCompile(` {2,}`)
	starts := map[int]int{}
	for i, line := range lines[:len(want)] {
		if got := sep.Split(line, -1); strings.Join(got, "|") != strings.Join(want[i], "|") {
			t.Fatalf("row %d = %q, want %q", i, got, want[i])
		}
		col := 0
		for j, f := range want[i] {
			if j == len(want[i])-1 {
				break
			}
			idx := strings.Index(line[col:], f) + col
			w := runewidth.StringWidth(line[:idx])
			if prev, ok := starts[j]; ok && prev != w {
				t.Fatalf("column %d of row %d starts at %d, others at %d:\n%s", j, i, w, prev, out)
			}
			starts[j] = w
			col = idx + len(f)
		}
	}
}
