package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// Environment of TestFeedWriterHelper when the test binary is re-executed
// as an event writer.
const (
	feedHelperRoot = "GT_FEED_WRITER_ROOT"
	feedHelperID   = "GT_FEED_WRITER_ID"
	feedHelperN    = "GT_FEED_WRITER_N"
)

// TestFeedWriterHelper is not a test: TestFeedFollowExact re-executes the
// test binary with -test.run=TestFeedWriterHelper and the variables above
// so that each writer is its own process appending through the real
// eventlog appender (flock + one write per line). Run normally it skips.
func TestFeedWriterHelper(t *testing.T) {
	root := os.Getenv(feedHelperRoot)
	if root == "" {
		t.Skip("helper process for TestFeedFollowExact")
	}
	id := os.Getenv(feedHelperID)
	n, _ := strconv.Atoi(os.Getenv(feedHelperN))
	// A large payload makes a torn or interleaved line show.
	pad := strings.Repeat("x", 2500)
	for i := range n {
		err := eventlog.Emit(root, eventlog.SourceGT, "mail", "w"+id,
			map[string]any{"to": "overseer", "subject": fmt.Sprintf("w%s-%d", id, i), "pad": pad}, models.VisibilityFeed)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	os.Exit(0)
}

// expectedPlain formats every feed event of the town's log as gt feed
// --plain prints it, in file order.
func expectedPlain(t *testing.T, root string) []string {
	t.Helper()
	evs, err := eventlog.ReadAll(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.InFeed() {
			out = append(out, town.DescribeEvent(e).PlainLine())
		}
	}
	return out
}

// TestFeedFollowExact: gt feed --plain -f follows the events file while 20
// writer processes append to it, printing every line exactly once, in file
// order, and nothing else.
func TestFeedFollowExact(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := newCLITown(t)
	if err := eventlog.Emit(c.root, eventlog.SourceGT, "mail", "mayor", map[string]any{"to": "overseer", "subject": "marker"}, models.VisibilityFeed); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	follower := exec.CommandContext(ctx, filepath.Join(binDir(t), "gt"), "feed", "--plain", "-f", "-n", "0")
	follower.Dir = c.root
	follower.Env = append(cleanEnv(), c.env()...)
	stdout, err := follower.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	follower.Stderr = &stderr
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = follower.Process.Kill(); _ = follower.Wait() }()

	var mu sync.Mutex
	var got []string
	lines := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			got = append(got, sc.Text())
			mu.Unlock()
			select {
			case lines <- struct{}{}:
			default:
			}
		}
	}()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	waitFor := func(n int, what string) {
		t.Helper()
		deadline := time.After(90 * time.Second)
		for count() < n {
			select {
			case <-lines:
			case <-time.After(100 * time.Millisecond):
			case <-deadline:
				t.Fatalf("%s: follower printed %d lines, want %d; stderr: %s", what, count(), n, stderr.String())
			}
		}
	}
	// The follower is running once it printed the existing event.
	waitFor(1, "marker")

	const writers, perWriter = 20, 40
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		cmd := exec.CommandContext(ctx, exe, "-test.run=^TestFeedWriterHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), feedHelperRoot+"="+c.root, feedHelperID+"="+strconv.Itoa(w), feedHelperN+"="+strconv.Itoa(perWriter))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("writer %d: %v\n%s", w, err, out.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	want := expectedPlain(t, c.root)
	if len(want) != 1+writers*perWriter {
		t.Fatalf("log holds %d feed events, want %d", len(want), 1+writers*perWriter)
	}
	waitFor(len(want), "all events")
	// Give a repeated line the chance to show before stopping.
	time.Sleep(3 * town.FeedPollInterval)
	if err := follower.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := follower.Wait(); err != nil {
		t.Fatalf("follower exit: %v; stderr: %s", err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("follower printed %d lines, want exactly %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
	// Each writer's events arrived in its own order (file order).
	seen := map[string]int{}
	for _, l := range got[1:] {
		f := strings.Fields(l)
		subj := f[len(f)-1]
		w, seq, _ := strings.Cut(subj, "-")
		if n, _ := strconv.Atoi(seq); n != seen[w] {
			t.Fatalf("%s: seq %d, want %d", w, n, seen[w])
		}
		seen[w]++
	}
}

func TestFeedPlainCLI(t *testing.T) {
	c := newCLITown(t)
	a := c.bead("Alpha task")
	b := c.bead("Beta task")
	hq := strings.TrimSpace(c.ok(c.root, "bd", "create", "Town chore", "--silent"))
	c.ok(c.root, "bd", "close", a, "-r", "done")
	_ = eventlog.Emit(c.root, eventlog.SourceGT, "doctor_fixed", "overseer", nil, models.VisibilityAudit)

	want := expectedPlain(t, c.root)
	if len(want) != 4 {
		t.Fatalf("feed events %d: %v", len(want), want)
	}
	// Not a terminal: plain mode without --plain, the whole list fits
	// the default limit.
	if got := c.gt("feed"); got != strings.Join(want, "\n")+"\n" {
		t.Fatalf("gt feed:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got := c.gt("feed", "--plain", "-n", "2"); got != strings.Join(want[2:], "\n")+"\n" {
		t.Fatalf("-n 2:\n%s", got)
	}
	// <ts> <symbol> <actor> <type> <summary>
	line := strings.Fields(want[0])
	if _, err := time.Parse(time.RFC3339, line[0]); err != nil || line[1] != "+" || line[2] != "overseer" || line[3] != "bead_created" ||
		!strings.HasSuffix(want[0], " created "+a+": Alpha task") {
		t.Fatalf("plain line %q", want[0])
	}
	got := c.gt("feed", "--type", "bead_closed")
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, " ✓ overseer bead_closed closed "+a) {
		t.Fatalf("--type:\n%s", got)
	}
	got = c.gt("feed", "--rig", "myproject")
	if strings.Count(got, "\n") != 3 || strings.Contains(got, hq) || !strings.Contains(got, b) {
		t.Fatalf("--rig:\n%s", got)
	}
	if got := c.gt("feed", "--since", "1h"); strings.Count(got, "\n") != 4 {
		t.Fatalf("--since 1h:\n%s", got)
	}
	if got := c.gt("feed", "--since", "2000-01-01T00:00:00Z", "--type", "mail"); got != "" {
		t.Fatalf("no mail:\n%q", got)
	}
	c.fail(`invalid --since "yesterday" (expected a duration like 5m or 1h, or an RFC 3339 time)`, "feed", "--since", "yesterday")
	c.fail(`unknown rig "nope" (see gt rig list)`, "feed", "--rig", "nope")
	c.fail(`invalid --limit -1 (must be 0 or more)`, "feed", "-n", "-1")

	// --problems --plain: no problem yet (nothing hooked, no host).
	out, errOut, code := runBin(t, c.root, c.env(), "gt", "feed", "--problems", "--plain")
	if code != 0 || errOut != "" || out != "0 need attention, 2 ok\n" {
		t.Fatalf("no problems: exit %d %q %q", code, out, errOut)
	}
	// Hooked work with no host: a zombie, exit 1.
	c.ok(c.root, "bd", "update", b, "-s", "hooked", "-a", "myproject/crew/joe")
	out, errOut, code = runBin(t, c.root, c.env(), "gt", "feed", "-p")
	if code != 1 || errOut != "" || out != "ZOMBIE  myproject/crew/joe  "+b+"  - hooked work but no session\n1 need attention, 1 ok\n" {
		t.Fatalf("zombie: exit %d %q %q", code, out, errOut)
	}
	// gt agents --problems agrees (one state engine).
	if a := c.gt("agents", "--problems"); !strings.Contains(a, "myproject/crew/joe  crew  💀 zombie  "+b) {
		t.Fatalf("gt agents --problems:\n%s", a)
	}
}
