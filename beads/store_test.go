package beads

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mattn/go-sqlite3"
)

func TestWriteRetriesOnBusy(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	busy := sqlite3.Error{Code: sqlite3.ErrBusy}
	tests := []struct {
		name      string
		failures  int // calls that fail before success (-1: always)
		failWith  error
		wantCalls int
		wantErr   bool
	}{
		{"no contention", 0, nil, 1, false},
		{"busy twice", 2, fmt.Errorf("insert: %w", busy), 3, false},
		{"locked five times", 5, sqlite3.Error{Code: sqlite3.ErrLocked}, 6, false},
		{"always busy gives up after 5 retries", -1, busy, 6, true},
		{"other errors are not retried", -1, errors.New("boom"), 1, true},
	}
	for _, tt := range tests {
		calls := 0
		err := s.Write(context.Background(), "tester", func(tx *Tx) error {
			calls++
			if tt.failures < 0 || calls <= tt.failures {
				return tt.failWith
			}
			return tx.SetConfig("k", tt.name)
		})
		if calls != tt.wantCalls || (err != nil) != tt.wantErr {
			t.Errorf("%s: calls = %d, err = %v; want %d calls, error %v", tt.name, calls, err, tt.wantCalls, tt.wantErr)
		}
	}
	if v, _, _ := s.GetConfig(context.Background(), "k"); v != "locked five times" {
		t.Errorf("config k = %q: the successful attempt did not commit", v)
	}
}

func TestWriteRollsBackOnError(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	err := s.Write(context.Background(), "tester", func(tx *Tx) error {
		if err := tx.SetConfig("half", "done"); err != nil {
			return err
		}
		return errors.New("stop")
	})
	if err == nil || err.Error() != "stop" {
		t.Fatalf("err = %v", err)
	}
	if _, ok, _ := s.GetConfig(context.Background(), "half"); ok {
		t.Error("write of a failed transaction is visible")
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "/tmp/x?mode=ro", "/dev/null/x/beads.db"} {
		if s, err := Open(context.Background(), p); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}
