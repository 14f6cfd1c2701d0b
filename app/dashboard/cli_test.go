package dashboard

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// startupLine is the line gt dashboard prints once it listens.
var startupLine = regexp.MustCompile(`^Dashboard: http://127\.0\.0\.1:(\d+)  \(Ctrl-C to stop\)$`)

// gtDashboard runs `gt dashboard --port 0` in dir and returns the base URL
// once the startup line appears. The process gets SIGINT when the test
// ends and must exit 0.
func gtDashboard(t *testing.T, dir string) string {
	t.Helper()
	base, _ := gtDashboardStderr(t, dir)
	return base
}

// gtDashboardStderr is gtDashboard that also returns the process's stderr.
func gtDashboardStderr(t *testing.T, dir string) (string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(gtBinary, "dashboard", "--port", "0")
	cmd.Dir = dir
	cmd.Env = gtEnv()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("gt dashboard after Ctrl-C: %v (stderr %q)", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("gt dashboard did not stop on SIGINT")
		}
	})
	select {
	case line, ok := <-lines:
		m := startupLine.FindStringSubmatch(line)
		if !ok || m == nil {
			t.Fatalf("startup line %q (stderr %q)", line, stderr.String())
		}
		return "http://127.0.0.1:" + m[1], stderr
	case <-time.After(30 * time.Second):
		t.Fatalf("no startup line (stderr %q)", stderr.String())
	}
	return "", stderr
}

// TestCLIRebuildsStore: a town whose beads.db is gone is rebuilt from
// issues.jsonl, with the notice every command prints.
func TestCLIRebuildsStore(t *testing.T) {
	tw := newTown(t)
	for _, title := range []string{"one", "two"} {
		cmd := exec.Command(gtBinary, "bd", "create", title)
		cmd.Dir = tw.Root
		cmd.Env = gtEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("bd create: %v %s", err, out)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(tw.BeadsDB() + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	base, stderr := gtDashboardStderr(t, tw.Root)
	if got := stderr.String(); got != "Rebuilt beads.db from issues.jsonl (3 issues)\n" {
		t.Errorf("stderr %q", got)
	}
	if st := fetchState(t, base); len(st.Ready) != 2 {
		t.Errorf("ready after the rebuild: %+v", st.Ready)
	}
}

func fetchState(t *testing.T, base string) State {
	t.Helper()
	resp, err := http.Get(base + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func fetchPage(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s %s", resp.Status, b)
	}
	return string(b)
}

func agentByAddress(st State, addr string) (Agent, bool) {
	for _, a := range st.Agents {
		if a.Address == addr {
			return a, true
		}
	}
	return Agent{}, false
}

// TestCLIWithAndWithoutHost: gt dashboard serves a town with no host, then
// shows live session states from a running (fake) host's sessions.json,
// and falls back when the host goes away.
func TestCLIWithAndWithoutHost(t *testing.T) {
	tw := newTown(t)
	s := openStore(t, tw)
	hooked := createBead(t, s, models.Bead{Title: "Polish the chrome", Priority: 1, Status: models.StatusHooked,
		Assignee: "gastown/polecats/nux"}, beads.CreateOpts{})
	addAgentBead(t, s, "gastown/crew/max", "crew", "gastown")
	addAgentBead(t, s, "gastown/polecats/nux", "polecat", "gastown")

	base := gtDashboard(t, tw.Path("mayor")) // any directory inside the town
	st := fetchState(t, base)
	nux, ok := agentByAddress(st, "gastown/polecats/nux")
	if !ok || nux.State != "zombie" || nux.Session != "none" || nux.Hook != hooked {
		t.Fatalf("without a host nux is %+v", nux)
	}
	if max, ok := agentByAddress(st, "gastown/crew/max"); !ok || max.State != "idle" || max.Session != "none" {
		t.Errorf("without a host max is %+v", max)
	}
	if page := fetchPage(t, base); !strings.Contains(page, "no gt host running") {
		t.Error("page does not say that no host runs")
	}

	h := startFakeHost(t, tw, os.Getpid(), hostSessions())
	// The host's sessions are read on every request.
	st = fetchState(t, base)
	nux, _ = agentByAddress(st, "gastown/polecats/nux")
	if nux.State != "working" || nux.Session != "live" || nux.PID == nil || *nux.PID != 4242 || nux.Runtime != "demo" || nux.NeedsAttention {
		t.Errorf("with a host nux is %+v", nux)
	}
	mayor, _ := agentByAddress(st, "mayor")
	if mayor.State != "waiting" || mayor.Reason != "Allow demo agent to commit? [y/n]" || mayor.Session != "live" || !mayor.NeedsAttention {
		t.Errorf("with a host the mayor is %+v", mayor)
	}
	max, _ := agentByAddress(st, "gastown/crew/max")
	if max.State != "exited" || max.Session != "exited" || max.ExitCode == nil || *max.ExitCode != 2 || !max.NeedsAttention {
		t.Errorf("with a host max is %+v", max)
	}
	var probs []string
	for _, p := range st.Problems {
		probs = append(probs, p.Address+":"+p.State)
	}
	if got := strings.Join(probs, ","); got != "mayor:waiting,gastown/crew/max:exited" {
		t.Errorf("problems %s, want the waiting mayor then the exited crew", got)
	}
	page := fetchPage(t, base)
	for _, want := range []string{fmt.Sprintf("host running (pid %d)", os.Getpid()),
		`data-agent="gastown/polecats/nux" data-state="working"`, `data-agent="mayor" data-state="waiting"`,
		"pid 4242", "Allow demo agent to commit? [y/n]"} {
		if !strings.Contains(page, want) {
			t.Errorf("page with a host lacks %q", want)
		}
	}

	h.Stop()
	st = fetchState(t, base)
	if nux, _ := agentByAddress(st, "gastown/polecats/nux"); nux.State != "zombie" {
		t.Errorf("after the host stopped nux is %+v", nux)
	}
}

func TestCLINotInTown(t *testing.T) {
	cmd := exec.Command(gtBinary, "dashboard")
	cmd.Dir = t.TempDir()
	cmd.Env = gtEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if got := stderr.String(); got != "Error: not in a Gas Town workspace (run gt install <path>, or gt demo)\n" {
		t.Errorf("stderr %q", got)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q", stdout.String())
	}
}

func TestCLIPortBusy(t *testing.T) {
	tw := newTown(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gtBinary, "dashboard", "--port", fmt.Sprint(port))
	cmd.Dir = tw.Root
	cmd.Env = gtEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v (stderr %q)", err, stderr.String())
	}
	if got, want := stderr.String(), fmt.Sprintf("Error: port %d is in use (try --port N)\n", port); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %q before failing", stdout.String())
	}
}

func TestCLIBadPort(t *testing.T) {
	tw := newTown(t)
	for _, p := range []string{"70000", "-1"} {
		cmd := exec.Command(gtBinary, "dashboard", "--port", p)
		cmd.Dir = tw.Root
		cmd.Env = gtEnv()
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != "Error: invalid port "+p+" (expected 0-65535)\n" {
			t.Errorf("--port %s: %v %q", p, err, out)
		}
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	ln, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := ln.Addr().(*net.TCPAddr)
	if !a.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("listening on %s", a)
	}
	// Not reachable on any other local address.
	addrs, _ := net.InterfaceAddrs()
	for _, ad := range addrs {
		ipn, ok := ad.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), fmt.Sprint(a.Port)), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("dashboard port reachable on %s", ipn.IP)
		}
	}
	// A second listener on the same port is a PortInUseError with the
	// spec's message.
	_, err = Listen(a.Port)
	var pe *PortInUseError
	if err == nil || !errors.As(err, &pe) || err.Error() != fmt.Sprintf("port %d is in use (try --port N)", a.Port) ||
		!errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second listen: %v", err)
	}
}

func TestServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler(), context.Background(), slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 30*time.Second ||
		srv.WriteTimeout != 60*time.Second || srv.IdleTimeout != 120*time.Second {
		t.Errorf("timeouts %s %s %s %s", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}
