package town

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// withLock runs fn holding an exclusive flock on
// <town>/.runtime/locks/<name>.lock, serializing read-modify-write cycles of
// shared files (rigs.json, settings) across processes.
func (t *Town) withLock(name string, fn func() error) error {
	dir := t.Path(".runtime", "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create lock dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open %s lock: %w", name, err)
	}
	defer f.Close() // closing releases the lock
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", name, err)
	}
	return fn()
}

// UpdateRigs applies fn to mayor/rigs.json under the registry lock and
// writes the result atomically.
func (t *Town) UpdateRigs(fn func(r *RigsRegistry) error) error {
	return t.withLock("rigs", func() error {
		reg, err := t.Rigs()
		if err != nil {
			return err
		}
		if err := fn(reg); err != nil {
			return err
		}
		return t.SaveRigs(reg)
	})
}

// UpdateSettings applies fn to the town settings under the settings lock and
// writes the result atomically (creating settings/config.json on first
// write).
func (t *Town) UpdateSettings(fn func(s *TownSettings) error) error {
	return t.withLock("settings", func() error {
		s, err := t.Settings()
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
		return t.SaveSettings(s)
	})
}
