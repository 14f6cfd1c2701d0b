package town

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gastown/gt/models"
)

func TestFindAndCaller(t *testing.T) {
	tw := testTown(t, nil)
	if err := tw.SaveRigs(&RigsRegistry{Version: 1, Rigs: map[string]RigEntry{"mp": {Beads: BeadsRef{Prefix: "mp"}}}}); err != nil {
		t.Fatal(err)
	}
	deep := tw.Path("mp", "polecats", "nux", "mp", "src")
	crewDir := tw.Path("mp", "crew", "bob", "pkg")
	for _, d := range []string{deep, crewDir, tw.Path("mp", "crew", "bob", ".git"), tw.Path("mayor", "x")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	outside := t.TempDir()
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	cases := []struct {
		name   string
		cwd    string
		env    map[string]string
		actor  string
		root   string
		caller string
		err    error
	}{
		{"root", tw.Root, nil, "", tw.Root, "overseer", nil},
		{"mayor dir", tw.Path("mayor", "x"), nil, "", tw.Root, "mayor", nil},
		{"polecat worktree", deep, nil, "", tw.Root, "mp/polecats/nux", nil},
		{"crew clone", crewDir, nil, "", tw.Root, "mp/crew/bob", nil},
		{"BD_ACTOR wins over cwd", deep, map[string]string{"BD_ACTOR": "mayor"}, "", tw.Root, "mayor", nil},
		{"--actor wins over all", deep, map[string]string{"BD_ACTOR": "mayor"}, "mp/crew/bob", tw.Root, "mp/crew/bob", nil},
		{"GT_TOWN_ROOT from outside", outside, map[string]string{"GT_TOWN_ROOT": tw.Root}, "", tw.Root, "overseer", nil},
		{"outside", outside, nil, "", "", "", ErrNotInTown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clear(env)
			for k, v := range c.env {
				env[k] = v
			}
			found, err := Find(c.cwd, getenv)
			if c.err != nil {
				if !errors.Is(err, c.err) || err.Error() != "not in a Gas Town workspace (run gt install <path>, or gt demo)" {
					t.Fatalf("error %v", err)
				}
				return
			}
			if err != nil || found.Root != c.root {
				t.Fatalf("Find: %v %v", found, err)
			}
			if got := found.Caller(c.actor, c.cwd); got != c.caller {
				t.Fatalf("Caller = %q, want %q", got, c.caller)
			}
		})
	}
	env["GT_TOWN_ROOT"] = outside
	if _, err := Find(tw.Root, getenv); err == nil {
		t.Fatal("GT_TOWN_ROOT pointing at a non-town accepted")
	}

	// <rig>/<name> is the crew member when one exists, else a polecat.
	if a, err := tw.ResolveAddress("mp/bob"); err != nil || a.Role != models.RoleCrew {
		t.Fatalf("mp/bob: %v %v", a, err)
	}
	if a, err := tw.ResolveAddress("mp/nux"); err != nil || a.Role != models.RolePolecat {
		t.Fatalf("mp/nux: %v %v", a, err)
	}
	if _, err := tw.ResolveAddress("zz/nux"); err == nil {
		t.Fatal("unknown rig accepted")
	}
	if rig, ok := tw.RigFromDir(deep); !ok || rig != "mp" {
		t.Fatalf("RigFromDir: %q %v", rig, ok)
	}
	if r, err := tw.PickRig("", crewDir); err != nil || r != "mp" {
		t.Fatalf("PickRig from cwd: %q %v", r, err)
	}
	if _, err := tw.PickRig("", tw.Root); !errors.Is(err, ErrNoRig) {
		t.Fatalf("PickRig at root: %v", err)
	}
	env["GT_RIG"] = "mp"
	tw.Getenv = getenv
	if r, err := tw.PickRig("", tw.Root); err != nil || r != "mp" {
		t.Fatalf("PickRig from GT_RIG: %q %v", r, err)
	}
}

func TestHostLock(t *testing.T) {
	tw := testTown(t, nil)
	if _, _, exists, err := tw.HostLockHolder(); exists || err != nil {
		t.Fatalf("no lock: %v %v", exists, err)
	}
	if err := os.MkdirAll(tw.RuntimeDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tw.HostLockPath(), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pid, held, exists, err := tw.HostLockHolder()
	if err != nil || !exists || held || pid != 4242 {
		t.Fatalf("stale lock: %d %v %v %v", pid, held, exists, err)
	}
	// A lock held through another open file description is live: doctor
	// must not remove it even with --fix.
	f, err := os.OpenFile(tw.HostLockPath(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, held, _, _ := tw.HostLockHolder(); !held {
		t.Fatal("held lock seen as free")
	}
	fnd := checkHostLock(t.Context(), tw, DoctorOptions{})
	if fnd.status != CheckOK || fnd.message != "host running (pid 4242)" {
		t.Fatalf("held lock check: %+v", fnd)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	fnd = checkHostLock(t.Context(), tw, DoctorOptions{})
	if fnd.status != CheckWarning || fnd.fix == nil {
		t.Fatalf("stale lock check: %+v", fnd)
	}
	if err := fnd.fix(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tw.HostLockPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale lock not removed")
	}
}

func TestGitignoreCheck(t *testing.T) {
	tw := testTown(t, nil)
	if f := checkGitignore(t.Context(), tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("no git: %+v", f)
	}
	writeFile(t, tw.Path(".gitignore"), "node_modules/\n.runtime/")
	f := checkGitignore(t.Context(), tw, DoctorOptions{})
	if f.status != CheckWarning || f.fix == nil {
		t.Fatalf("partial: %+v", f)
	}
	if err := f.fix(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f := checkGitignore(t.Context(), tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("after fix: %+v", f)
	}
	data, _ := os.ReadFile(filepath.Join(tw.Root, ".gitignore"))
	if string(data[:len("node_modules/\n.runtime/\n")]) != "node_modules/\n.runtime/\n" {
		t.Fatalf("fix rewrote existing lines: %q", data)
	}
}
