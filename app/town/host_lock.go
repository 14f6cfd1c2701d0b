package town

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HostedError is the refusal of a second host (spec §5.4).
type HostedError struct {
	Root string
	PID  int
}

func (e *HostedError) Error() string {
	return fmt.Sprintf("town %s is already hosted by pid %d", e.Root, e.PID)
}

// acquireHostLock takes the exclusive flock on .runtime/host.lock and writes
// our pid into it. A lock file whose flock is free is stale and taken over.
// Readers (HostLockHolder) probe the flock for an instant, so a busy lock is
// retried briefly before it counts as another host's.
func acquireHostLock(t *Town) (*os.File, error) {
	path := t.HostLockPath()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(path)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			f.Close()
			return nil, &HostedError{Root: t.Root, PID: pid}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return f, nil
}

// RuntimeBinDir is <town>/.runtime/bin, first on every pane's PATH.
func RuntimeBinDir(townRoot string) string { return filepath.Join(townRoot, ".runtime", "bin") }

// linkRuntimeBin (re)creates .runtime/bin/gt and .runtime/bin/bd as
// symlinks to exe (spec §2). The links are replaced atomically (a new link
// renamed over the old one) so a pane never sees a missing gt.
func linkRuntimeBin(t *Town, exe string) error {
	if exe == "" {
		return errors.New("host: the gt executable path is unknown")
	}
	abs, err := filepath.Abs(exe)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", exe, err)
	}
	dir := RuntimeBinDir(t.Root)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, name := range []string{"gt", "bd"} {
		link := filepath.Join(dir, name)
		if cur, err := os.Readlink(link); err == nil && cur == abs {
			continue
		}
		tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", name, os.Getpid()))
		_ = os.Remove(tmp)
		if err := os.Symlink(abs, tmp); err != nil {
			return fmt.Errorf("link %s: %w", link, err)
		}
		if err := os.Rename(tmp, link); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("link %s: %w", link, err)
		}
	}
	return nil
}

// killStaleSessions ends the sessions a previous host of this town left
// behind (it was killed, so it could not signal them). Normally the kernel
// hung them up when the host's PTY masters closed; a process that ignored
// SIGHUP is killed here with its process group. A pid is only touched when
// it still leads its own process group and (where /proc exists) its
// environment names this town, so a recycled pid is never hit. The agents
// listed are remembered: they start again with beacon topic restart.
func (h *Host) killStaleSessions() {
	f, err := ReadSessions(h.town.Root)
	if err != nil || f == nil {
		return
	}
	for _, s := range f.Sessions {
		h.previous[s.Agent] = true
		if s.Exited || s.PID <= 1 || s.PID == os.Getpid() {
			continue
		}
		if !isTownProcess(s.PID, h.town.Root) {
			continue
		}
		h.log.Warn("killing a stale session of a previous host", "agent", s.Agent, "pid", s.PID, "host_pid", f.HostPID)
		_ = syscall.Kill(-s.PID, syscall.SIGKILL)
		_ = syscall.Kill(s.PID, syscall.SIGKILL)
	}
}

// isTownProcess reports whether pid is alive, leads its process group and
// (on Linux) runs with GT_TOWN_ROOT=root.
func isTownProcess(pid int, root string) bool {
	pgid, err := syscall.Getpgid(pid)
	if err != nil || pgid != pid {
		return false
	}
	if runtime.GOOS != "linux" {
		return true
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return false
	}
	want := []byte("GT_TOWN_ROOT=" + root)
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}
