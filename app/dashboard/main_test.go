package dashboard

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// gtBinary is the gt executable built once by TestMain: /api/run needs the
// real binary to exec. Tests only read it.
var gtBinary string

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeExeEnv); mode != "" {
		os.Exit(fakeExe(mode))
	}
	os.Exit(runTests(m))
}

// fakeExeEnv makes the test binary act as a stand-in gt executable, so
// tests can see exactly how /api/run starts a command.
const fakeExeEnv = "DASHBOARD_TEST_FAKE_EXE"

// fakeExeDir is where the stand-in leaves pid files and waits for files.
const fakeExeDir = "DASHBOARD_TEST_FAKE_DIR"

// fakeExe is the stand-in: "echo" prints its argv, cwd and identity as
// JSON; "hang" prints partial output, starts a child in its process group
// and never ends; "block" waits until <dir>/release exists; "record"
// writes its argv to <dir>/args.json; "fail" exits 4.
func fakeExe(mode string) int {
	dir := os.Getenv(fakeExeDir)
	switch mode {
	case "echo":
		wd, _ := os.Getwd()
		_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
			"args": os.Args, "cwd": wd, "bd_actor": os.Getenv("BD_ACTOR"), "gt_town_root": os.Getenv("GT_TOWN_ROOT"),
			"gt_rig": os.Getenv("GT_RIG"),
		})
		return 0
	case "hang":
		fmt.Println("partial-out")
		fmt.Fprintln(os.Stderr, "partial-err")
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		_ = os.WriteFile(filepath.Join(dir, "child.pid"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		time.Sleep(time.Hour)
		return 0
	case "record":
		b, _ := json.Marshal(os.Args)
		_ = os.WriteFile(filepath.Join(dir, "args.json"), b, 0o644)
		return 0
	case "fail":
		return 4
	case "block":
		for {
			if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
				fmt.Println("released")
				return 0
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return 2
}

// testExe is the path of this test binary, for use as a stand-in gt.
func testExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func runTests(m *testing.M) int {
	flag.Parse()
	if !needsGT() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "gt-dashboard-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	gtBinary = filepath.Join(dir, "gt")
	build := exec.Command("go", "build", "-o", gtBinary, "./cmd/gt")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/gt: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// needsGT reports whether this run executes tests at all: fuzz workers
// and `-run '^$'` (make fuzz-short, make bench) need no gt binary.
func needsGT() bool {
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		return false
	}
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "^$" {
		return false
	}
	return true
}

// moduleRoot is the directory of go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the gt module")
	}
	return filepath.Dir(gomod), nil
}

// gtEnv is a clean environment for running the gt binary in a test.
func gtEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GT_") || k == "BD_ACTOR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// newTown installs a real town with the gt binary in a temp dir.
func newTown(t *testing.T) *town.Town {
	t.Helper()
	root := filepath.Join(t.TempDir(), "town")
	cmd := exec.Command(gtBinary, "install", root)
	cmd.Env = gtEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gt install: %v\n%s", err, out)
	}
	tw, err := town.Open(root, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return tw
}

// addRig registers a rig backed by a fresh local git repository.
func addRig(t *testing.T, tw *town.Town, name string) {
	t.Helper()
	src := filepath.Join(t.TempDir(), name+"-src")
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=gt test", "-c", "user.email=test@gastown.local",
			"-c", "init.defaultBranch=main"}, args...)...)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	git("init", "-q")
	if err := os.WriteFile(filepath.Join(src, "README.md"), []byte("# "+name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "README.md")
	git("commit", "-q", "-m", "first")
	cmd := exec.Command(gtBinary, "rig", "add", name, src)
	cmd.Dir = tw.Root
	cmd.Env = gtEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gt rig add: %v\n%s", err, out)
	}
}

// addAgentBead creates the agent bead of addr (as sling or crew add would).
func addAgentBead(t *testing.T, s *beads.Store, addr, role, rig string) {
	t.Helper()
	createBead(t, s, models.Bead{Title: addr, Priority: 2, IssueType: models.TypeAgent, RoleType: role, Rig: rig,
		Labels: []string{models.AgentLabel}, Metadata: json.RawMessage(`{"gt":{"agent":"` + addr + `"}}`)}, beads.CreateOpts{})
}

// openStore opens the town's store for the test to write to.
func openStore(t *testing.T, tw *town.Town) *beads.Store {
	t.Helper()
	s, err := tw.OpenStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// createBead creates a bead and returns its ID.
func createBead(t *testing.T, s *beads.Store, b models.Bead, o beads.CreateOpts) string {
	t.Helper()
	var id string
	err := s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
		nb := b
		got, err := tx.Create(&nb, o)
		if err != nil {
			return err
		}
		id = got.ID
		return nil
	})
	if err != nil {
		t.Fatalf("create %q: %v", b.Title, err)
	}
	return id
}

// createConvoy creates a convoy tracking ids.
func createConvoy(t *testing.T, s *beads.Store, title string, ids ...string) string {
	t.Helper()
	var id string
	err := s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
		c, err := tx.Create(&models.Bead{Title: title, IssueType: models.TypeConvoy,
			Description: fmt.Sprintf("Convoy tracking %d issues", len(ids))}, beads.CreateOpts{Kind: "convoy"})
		if err != nil {
			return err
		}
		for _, b := range ids {
			if err := tx.AddDependency(c.ID, b, models.DepTracks); err != nil {
				return err
			}
		}
		if err := tx.SetMetadata(c.ID, "gt", map[string]any{"owner": "overseer", "notify": []string{"mayor/"}, "merge": "mr", "owned": false}); err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	if err != nil {
		t.Fatalf("create convoy: %v", err)
	}
	return id
}

// closeBead closes id through the store (as bd close would).
func closeBead(t *testing.T, s *beads.Store, id string) {
	t.Helper()
	err := s.Write(context.Background(), "overseer", func(tx *beads.Tx) error {
		_, err := tx.CloseIssue(id, "done", false)
		return err
	})
	if err != nil {
		t.Fatalf("close %s: %v", id, err)
	}
}

// testServer runs a dashboard for tw on a loopback port until the test ends.
type testServer struct {
	srv  *Server
	base string
	port int
}

func startServer(t *testing.T, o Options) *testServer {
	t.Helper()
	if o.Exe == "" {
		o.Exe = gtBinary
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := Listen(0)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("server did not stop")
		}
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	port := ln.Addr().(*net.TCPAddr).Port
	return &testServer{srv: s, base: fmt.Sprintf("http://127.0.0.1:%d", port), port: port}
}

// getState fetches /api/state.
func (ts *testServer) getState(t *testing.T) State {
	t.Helper()
	resp, err := http.Get(ts.base + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/state: %s", resp.Status)
	}
	var st State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
