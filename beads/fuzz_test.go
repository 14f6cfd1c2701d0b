package beads

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImportLine feeds arbitrary bytes to the JSONL line parser and to a
// real import: neither may panic, and a line that parses must re-encode to a
// line that parses to the same encoding.
func FuzzImportLine(f *testing.F) {
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 0 {
			f.Add(line)
		}
	}
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"id":""}`, `{"id":"a","created_at":"2025-01-01T00:00:00Z","priority":1e400}`,
		`{"id":"a","created_at":"0000-01-01T00:00:00Z","closed_at":"9999-12-31T23:59:59-23:59"}`,
		`{"id":"a","title":"\ud800","created_at":"2025-01-01T00:00:00Z","metadata":{"a":`,
		`{"id":"a","created_at":"2025-01-01T00:00:00Z","dependencies":[{"depends_on_id":"a","type":"parent-child"}]}`,
		`{"id":"a","created_at":"2025-01-01T00:00:00Z","comments":[{"id":-5,"text":""}],"labels":[""]}`,
	} {
		f.Add([]byte(seed))
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "beads.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })

	f.Fuzz(func(t *testing.T, line []byte) {
		b, err := ParseLine(line)
		if err == nil {
			enc, err := json.Marshal(b)
			if err != nil {
				return // e.g. a time Go can parse but not format; import reports it
			}
			b2, err := ParseLine(enc)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", enc, err)
			}
			enc2, err := json.Marshal(b2)
			if err != nil || !bytes.Equal(enc, enc2) {
				t.Fatalf("encoding not stable:\n%s\n%s (%v)", enc, enc2, err)
			}
		}
		_, _ = s.Import(ctx, bytes.NewReader(line), "fuzz.jsonl")
	})
}
