package dashboard

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/app/town"
)

// fakeHost stands in for a running gt host: it holds the flock on
// .runtime/host.lock, listens on .runtime/host.sock and keeps sessions.json
// fresh, as spec §5.4 describes.
type fakeHost struct {
	lock     *os.File
	ln       net.Listener
	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// startFakeHost starts a fake host with pid in host.lock whose
// sessions.json, rewritten every 500 ms with a fresh updated_at, lists
// sessions. It stops when the test ends, or earlier through Stop.
func startFakeHost(t *testing.T, tw *town.Town, pid int, sessions []map[string]any) *fakeHost {
	return startFakeHostPIDs(t, tw, pid, pid, sessions)
}

// startFakeHostPIDs is startFakeHost with a different host_pid in
// sessions.json than in host.lock.
func startFakeHostPIDs(t *testing.T, tw *town.Town, pid, filePID int, sessions []map[string]any) *fakeHost {
	t.Helper()
	rt := tw.RuntimeDir()
	if err := os.MkdirAll(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(rt, "host.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := lock.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.WriteAt([]byte(fmt.Sprint(pid)), 0); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(rt, "host.sock"))
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeHost{lock: lock, ln: ln, stop: make(chan struct{})}
	h.wg.Add(2)
	go func() {
		defer h.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					fmt.Fprintln(c, `{"ok":true}`)
				}
			}()
		}
	}()
	write := func() error {
		b, err := json.Marshal(map[string]any{"host_pid": filePID, "updated_at": time.Now().UTC().Format(time.RFC3339Nano), "sessions": sessions})
		if err != nil {
			return err
		}
		tmp := filepath.Join(rt, "sessions.json.tmp")
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return err
		}
		return os.Rename(tmp, filepath.Join(rt, "sessions.json"))
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
				_ = write()
			}
		}
	}()
	t.Cleanup(h.Stop)
	return h
}

// Stop ends the fake host: the lock is released and the socket removed,
// as a host quitting does.
func (h *fakeHost) Stop() {
	h.stopOnce.Do(func() {
		close(h.stop)
		h.ln.Close()
		h.wg.Wait()
		_ = syscall.Flock(int(h.lock.Fd()), syscall.LOCK_UN)
		h.lock.Close()
	})
}

// hostSessions are the sessions the host tests publish.
func hostSessions() []map[string]any {
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339Nano) }
	return []map[string]any{
		{"agent": "mayor", "runtime": "claude", "pid": 4101, "started_at": ts(time.Hour), "last_output_at": ts(5 * time.Second),
			"last_input_at": ts(time.Hour), "waiting": true, "waiting_reason": "Allow demo agent to commit? [y/n]",
			"exited": false, "exit_code": 0, "cols": 80, "rows": 24},
		{"agent": "gastown/polecats/nux", "runtime": "demo", "pid": 4242, "started_at": ts(time.Minute), "last_output_at": ts(time.Second),
			"last_input_at": nil, "waiting": false, "waiting_reason": "", "exited": false, "exit_code": 0, "cols": 80, "rows": 24},
		{"agent": "gastown/crew/max", "runtime": "shell", "pid": 4300, "started_at": ts(time.Hour), "last_output_at": ts(30 * time.Minute),
			"waiting": false, "exited": true, "exit_code": 2, "cols": 80, "rows": 24},
	}
}

// TestHostView: the dashboard tells a running host from none, and uses
// sessions.json only while the spec's trust rule holds.
func TestHostView(t *testing.T) {
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})
	ctx := t.Context()
	if _, v, err := ts.srv.agents(ctx, time.Now()); err != nil || v.Running || v.Live {
		t.Fatalf("no host: %+v %v", v, err)
	}
	h := startFakeHost(t, tw, os.Getpid(), hostSessions())
	agents, v, err := ts.srv.agents(ctx, time.Now())
	if err != nil || !v.Running || v.PID != os.Getpid() || !v.Live {
		t.Fatalf("fake host: %+v %v", v, err)
	}
	if a, ok := find(agents, "gastown/polecats/nux"); !ok || a.Session != "live" || a.PID == nil || *a.PID != 4242 {
		t.Errorf("nux %+v", a)
	}
	// Older than 5 s: the host runs but its sessions are not trusted.
	if _, v, _ := ts.srv.agents(ctx, time.Now().Add(6*time.Second)); !v.Running || v.Live {
		t.Errorf("stale sessions.json trusted: %+v", v)
	}
	h.Stop()
	// Written by another pid than the lock holder's: not trusted.
	h2 := startFakeHostPIDs(t, tw, os.Getpid(), os.Getpid()+1, hostSessions())
	if _, v, _ := ts.srv.agents(ctx, time.Now()); !v.Running || v.Live {
		t.Errorf("sessions.json of another pid trusted: %+v", v)
	}
	h2.Stop()
	// Lock free again: no host, whatever the file says.
	if _, v, _ := ts.srv.agents(ctx, time.Now()); v.Running || v.Live {
		t.Errorf("after the host stopped: %+v", v)
	}
}

func find(agents []Agent, addr string) (Agent, bool) {
	for _, a := range agents {
		if a.Address == addr {
			return a, true
		}
	}
	return Agent{}, false
}
