package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/beads/eventlog"
	"github.com/gastown/gt/models"
)

// bdSession is what one bd invocation works with: the open store, where it
// stands, who is acting and how to print. Commands build one with
// openBeads and must Close it.
type bdSession struct {
	e      *env
	ctx    context.Context
	store  *beads.Store
	place  bdPlace
	actor  string
	asJSON bool
	pal    palette
	getenv func(string) string

	// events are the town events (§4.8) the last write produced; finishWrite
	// appends them after the export.
	events []models.Event
}

// openBeads discovers the database, opens it and resolves the actor.
func openBeads(cmd *cobra.Command, e *env) (*bdSession, error) {
	s, err := newSession(cmd, e)
	if err != nil {
		return nil, err
	}
	dbFlag, _ := cmd.Flags().GetString("db")
	p, err := locateDB(dbFlag, s.place.cwd, s.getenv)
	if err != nil {
		return nil, err
	}
	s.place = p
	st, err := beads.Open(s.ctx, p.dbPath)
	if err != nil {
		return nil, err
	}
	s.store = st
	if n, ok := st.Rebuilt(); ok {
		fmt.Fprintf(e.stderr, "Rebuilt beads.db from issues.jsonl (%d issues)\n", n)
	}
	actorFlag, _ := cmd.Flags().GetString("actor")
	s.actor = actorFor(actorFlag, p, s.getenv)
	return s, nil
}

// newSession fills what every bd verb needs before any database is opened
// (bd init uses it alone).
func newSession(cmd *cobra.Command, e *env) (*bdSession, error) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	asJSON, _ := cmd.Flags().GetBool("json")
	s := &bdSession{
		e:      e,
		ctx:    ctx,
		asJSON: asJSON,
		getenv: os.Getenv,
		place:  bdPlace{cwd: bdRealPath(cwd)},
	}
	s.pal = newPalette(e.stdout, s.getenv)
	return s, nil
}

// Close closes the store.
func (s *bdSession) Close() {
	if s.store != nil {
		_ = s.store.Close()
	}
}

// write runs fn in one store transaction as the session's actor. fn may run
// more than once (busy retries), so it must reset whatever it collects; the
// events it records are taken only from the run that committed.
func (s *bdSession) write(fn func(tx *beads.Tx, ev *eventSink) error) error {
	var sink eventSink
	err := s.store.Write(s.ctx, s.actor, func(tx *beads.Tx) error {
		sink = eventSink{}
		return fn(tx, &sink)
	})
	if err != nil {
		return err
	}
	s.events = sink.events
	s.finishWrite()
	return nil
}

// finishWrite runs after a committed write. Inside a town the write's
// events go to the town events file (§4.8) and the host is poked (§2); a
// running host exports the JSONL itself a second later, so only with no
// host (or outside a town) does the writing command export before exiting
// (§4.7). None of this can undo the commit, so failures are warnings.
func (s *bdSession) finishWrite() {
	if s.place.townDB {
		for _, ev := range s.events {
			if err := eventlog.Append(s.place.town, ev); err != nil {
				fmt.Fprintf(s.e.stderr, "⚠ could not record event %s: %s\n", ev.Type, oneLine(err.Error()))
				break
			}
		}
		hosted, err := town.PokeHost(s.ctx, s.place.town)
		if err != nil {
			fmt.Fprintf(s.e.stderr, "⚠ gt host: %s\n", oneLine(err.Error()))
		}
		if hosted {
			return
		}
	}
	if _, err := s.store.ExportDirty(s.ctx); err != nil {
		fmt.Fprintf(s.e.stderr, "⚠ could not export %s: %s\n", s.store.JSONLPath(), oneLine(err.Error()))
	}
}

// eventSink collects the town events of one write.
type eventSink struct{ events []models.Event }

// add records a bd event about bead b. Wisps and other ephemeral beads are
// audit-only (§4.8).
func (k *eventSink) add(typ string, b *models.Bead, actor string, payload map[string]any) {
	if payload == nil {
		payload = map[string]any{}
	}
	payload["bead"] = b.ID
	if _, ok := payload["title"]; !ok && b.Title != "" {
		payload["title"] = b.Title
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		raw = []byte(`{}`)
	}
	vis := models.VisibilityBoth
	if b.Ephemeral {
		vis = models.VisibilityAudit
	}
	k.events = append(k.events, models.Event{
		TS:         time.Now().UTC(),
		Source:     eventlog.SourceBD,
		Type:       typ,
		Actor:      actor,
		Payload:    raw,
		Visibility: vis,
	})
}

// printJSON writes v as 2-space-indented JSON.
func (s *bdSession) printJSON(v any) error { return bdWriteJSON(s.e.stdout, v) }

func bdWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// resolveAll resolves partial IDs to full ones, failing on the first bad one.
func resolveAll(ctx context.Context, st *beads.Store, ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		full, err := st.Resolve(ctx, strings.TrimSpace(id))
		if err != nil {
			return nil, err
		}
		out = append(out, full)
	}
	return out, nil
}
