package town

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// orchTown installs a town (no git) in a short temp path with rig
// "myproject" (prefix mp), crew joe and polecat directory nux.
func orchTown(t *testing.T) *Town {
	t.Helper()
	getenv := installEnv(t)
	root := shortRoot(t)
	res, err := Install(context.Background(), InstallOptions{Path: root, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	tw := res.Town
	reg, err := tw.Rigs()
	if err != nil {
		t.Fatal(err)
	}
	reg.Rigs["myproject"] = RigEntry{GitURL: "file:///nowhere", DefaultBranch: "main", AddedAt: time.Now().UTC(), Beads: BeadsRef{Prefix: "mp"}}
	if err := tw.SaveRigs(reg); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"myproject/crew/joe/.git", "myproject/polecats/nux/myproject"} {
		if err := os.MkdirAll(tw.Path(filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	withStore(t, tw, func(s *beads.Store) {
		if err := s.AddPrefix(context.Background(), "mp"); err != nil {
			t.Fatal(err)
		}
	})
	return tw
}

func withStore(t *testing.T, tw *Town, fn func(s *beads.Store)) {
	t.Helper()
	s, err := tw.OpenStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

// mkBead creates a bead as actor and returns it.
func mkBead(t *testing.T, tw *Town, actor string, b models.Bead, prefix string) *models.Bead {
	t.Helper()
	var out *models.Bead
	withStore(t, tw, func(s *beads.Store) {
		err := s.Write(context.Background(), actor, func(tx *beads.Tx) error {
			var err error
			out, err = tx.Create(&b, beads.CreateOpts{Prefix: prefix})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// eventsOf returns the town events of one type.
func eventsOf(t *testing.T, tw *Town, typ string) []models.Event {
	t.Helper()
	all, err := eventlog.ReadAll(tw.Root)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.Event
	for _, e := range all {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// holdHostLock makes this process look like the town's host: host.lock
// holds our pid under an exclusive flock until the test ends.
func holdHostLock(t *testing.T, tw *Town) {
	t.Helper()
	if err := os.MkdirAll(tw.RuntimeDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(tw.HostLockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strconv.Itoa(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
