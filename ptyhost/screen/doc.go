// Package screen is gt's own terminal screen engine: a compact cell grid
// (a rune or grapheme-cluster reference plus a 16-bit style index per cell),
// a ring buffer of rows so a scroll at the bottom is O(1) row moves, a
// compact scrollback of styled runs, a fast path for runs of printable
// ASCII, and per-row generation counters so a renderer redraws only the rows
// that changed.
//
// It parses output with charmbracelet/x/ansi's parser and implements the
// xterm behaviour gt's panes need. charmbracelet/x/vt is the reference
// implementation: the differential tests feed both engines the same streams
// and compare screens, cursors and scrollback. Where the two differ, the
// difference is an x/vt bug documented by a TestXVTBug_* test.
//
// A Screen is not safe for concurrent use; ptyhost.Terminal serializes it.
package screen
