package beads

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/gastown/gt/models"
)

// configExportStamp records the size and modification time of issues.jsonl
// as the last incremental export left it, so the next one can tell whether
// the file is still exactly what the store wrote.
const configExportStamp = "export_stamp"

// ExportDirty brings JSONLPath up to date after writes, like ExportIfDirty,
// but rewrites only the lines of the beads marked dirty: it reads the
// current file, drops the dirty beads' lines, merges in their fresh
// encodings in id order and replaces the file the same way Export does
// (export.lock, temp file, fsync, rename, line-count check). The result is
// byte-identical to a full export. It falls back to a full export whenever
// the file is missing, was changed by anyone but this function since its
// last run, or does not look like a sorted export. It reports whether it
// wrote the file.
//
// A bd write at 10,000 beads spends most of its time in a full export
// (every bead queried and encoded); the incremental path keeps that to the
// cost of copying the file.
func (s *Store) ExportDirty(ctx context.Context) (bool, error) {
	unlock, err := s.lockExport()
	if err != nil {
		return false, err
	}
	defer unlock()

	path := s.JSONLPath()
	var (
		maxSeq int64
		dirty  []string
		fresh  = map[string][]byte{}
		stamp  string
		all    []models.Bead
		full   bool
	)
	st, statErr := os.Stat(path)
	err = s.read(ctx, func(r reader) error {
		maxSeq, dirty, stamp, all, full = 0, nil, "", nil, false
		clear(fresh)
		if err := r.q.QueryRowContext(r.ctx, `SELECT coalesce(max(seq), 0) FROM dirty_issues`).Scan(&maxSeq); err != nil {
			return fmt.Errorf("dirty marks: %w", err)
		}
		ids, err := r.strings(`SELECT issue_id FROM dirty_issues WHERE seq <= ? ORDER BY issue_id`, maxSeq)
		if err != nil {
			return err
		}
		dirty = ids
		if len(dirty) == 0 && statErr == nil {
			return nil
		}
		var ok bool
		if stamp, ok, err = r.getConfig(configExportStamp); err != nil {
			return err
		} else if !ok {
			stamp = ""
		}
		if statErr != nil || stamp != fileStamp(st) {
			// No trusted base file: load everything for a full export.
			full = true
			all, err = r.exportBeads("")
			return err
		}
		for _, id := range dirty {
			b, err := r.get(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if b.Ephemeral {
				continue
			}
			line, err := b.MarshalJSON()
			if err != nil {
				return fmt.Errorf("encode %s: %w", id, err)
			}
			fresh[id] = line
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("export: %w", err)
	}
	if len(dirty) == 0 && statErr == nil {
		return false, nil
	}
	if full {
		if err := writeJSONL(path, all); err != nil {
			return false, fmt.Errorf("export %s: %w", path, err)
		}
	} else {
		lines, err := mergeExport(path, dirty, fresh)
		if err == nil {
			err = writeLines(path, lines)
		}
		if errors.Is(err, errNotAnExport) {
			// The file is not what we wrote: do the full export instead.
			var beads []models.Bead
			if err = s.read(ctx, func(r reader) error {
				var e error
				beads, e = r.exportBeads("")
				return e
			}); err == nil {
				err = writeJSONL(path, beads)
			}
		}
		if err != nil {
			return false, fmt.Errorf("export %s: %w", path, err)
		}
	}
	st, err = os.Stat(path)
	if err != nil {
		return false, fmt.Errorf("export %s: %w", path, err)
	}
	err = s.Write(ctx, "system:export", func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(tx.ctx, `DELETE FROM dirty_issues WHERE seq <= ?`, maxSeq); err != nil {
			return err
		}
		return tx.SetConfig(configExportStamp, fileStamp(st))
	})
	if err != nil {
		return false, fmt.Errorf("export: clear dirty marks: %w", err)
	}
	return true, nil
}

// fileStamp identifies one version of a file by size and modification time
// (nanoseconds); the rename of a freshly written temp file always changes it.
func fileStamp(st os.FileInfo) string {
	if st == nil {
		return ""
	}
	return strconv.FormatInt(st.Size(), 10) + ":" + strconv.FormatInt(st.ModTime().UnixNano(), 10)
}

var errNotAnExport = errors.New("file is not a sorted beads export")

// mergeExport returns the new file's lines: the old lines minus those of
// the dirty beads, plus the fresh lines, in id order.
func mergeExport(path string, dirty []string, fresh map[string][]byte) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	drop := make(map[string]bool, len(dirty))
	for _, id := range dirty {
		drop[id] = true
	}
	add := make([]string, 0, len(fresh))
	for id := range fresh {
		add = append(add, id)
	}
	sort.Strings(add)
	out := make([][]byte, 0, bytes.Count(data, []byte{'\n'})+len(add))
	prev := ""
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil, errNotAnExport // a last line without newline
		}
		line := data[:i]
		data = data[i+1:]
		id, ok := lineID(line)
		if !ok || id <= prev {
			return nil, errNotAnExport
		}
		prev = id
		for len(add) > 0 && add[0] < id {
			out = append(out, fresh[add[0]])
			add = add[1:]
		}
		if drop[id] {
			continue
		}
		out = append(out, line)
	}
	for _, id := range add {
		out = append(out, fresh[id])
	}
	return out, nil
}

// lineID reads the id of an exported line, which always starts with
// {"id":"<id>" and whose ids never need escaping.
func lineID(line []byte) (string, bool) {
	const head = `{"id":"`
	if !bytes.HasPrefix(line, []byte(head)) {
		return "", false
	}
	rest := line[len(head):]
	end := bytes.IndexByte(rest, '"')
	if end <= 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// writeLines replaces path with the given lines atomically: temp file in
// the same directory, fsync, rename, directory fsync, then a line-count
// check. Both the full and the incremental export write through it.
func writeLines(path string, lines [][]byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	w := bufio.NewWriterSize(tmp, 256<<10)
	for _, l := range lines {
		_, _ = w.Write(l)
		_ = w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("line-count check: %w", err)
	}
	if n := bytes.Count(data, []byte{'\n'}); n != len(lines) {
		return fmt.Errorf("line-count check: wrote %d beads but the file has %d lines", len(lines), n)
	}
	return nil
}
