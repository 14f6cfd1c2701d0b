package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzBDFlagParsers: the bd flag parsers never panic, and what they accept
// is well formed.
func FuzzBDFlagParsers(f *testing.F) {
	for _, s := range []string{"", "2d", "+1w", "90m", "2026-01-02", "2026-01-02 15:04", "2026-05-01T10:00:00Z",
		"blocks:tt-a,related:tt-b", "tt-c", ":", "a:b:c", "-5m", "99999999999999999999d", "\xff\xfe", "P4", "{\"rigs\":"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if w, err := parseWhen("defer", s, now); err == nil && strings.TrimSpace(s) != "" && w == nil {
			t.Fatalf("parseWhen(%q) accepted without a time", s)
		} else if err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error for %q", s)
		}
		if deps, err := parseDeps([]string{s}); err == nil {
			for _, d := range deps {
				if d.target == "" || len(d.typ) > 50 {
					t.Fatalf("parseDeps(%q) gave %+v", s, d)
				}
			}
		}
		if p := prefixFromDir("/x/" + s); p != "" && (len(p) > 20 || !utf8.ValidString(p)) {
			t.Fatalf("prefixFromDir(%q) = %q", s, p)
		}
		_ = roleFromDir("/t", "/t/"+s)
	})
}
