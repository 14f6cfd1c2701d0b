// Package ptyhost runs agent processes in pseudo-terminals and keeps each
// one's screen in a terminal emulator. It never imports UI packages.
//
// A Terminal is one pane's screen: bytes written to it pass through a stream
// filter and then the charmbracelet/x/vt emulator. The filter consumes every
// string sequence itself (so a 0x9C byte inside an OSC title, such as the
// "✳" of Claude Code's title, cannot end it early), extracts titles (OSC
// 0/2) and notifications (OSC 9, OSC 777;notify), drops OSC 52 and unknown
// strings, turns invalid UTF-8 into U+FFFD, and holds back an unfinished
// grapheme cluster or escape sequence across reads, so that any chunking of
// a stream gives the same screen as one write (spec R7). Rows scrolling off
// the top are moved from the emulator into a compact ring (SGR text, about
// 100 bytes a row instead of ~9 KB of cells). Every emulator call is guarded:
// a panic resets only that terminal. Screens are read with Snapshot (cells,
// ANSI lines padded to the width, plain lines) and View (with scrollback).
//
// A Session is a process started with Start in its own session and process
// group, its PTY sized before exec. One goroutine reads the PTY and feeds
// the Terminal; one writes queued input (keys from EncodeKey, mouse reports
// from EncodeMouse, pastes, emulator replies to terminal queries) so callers
// never block on a child that does not read; Changed is a capacity-1
// "screen changed" notice and Events carries output, title, bell,
// notification and (always, last) exit events. TypeText types a nudge as
// spec §5.9 says, through a per-session FIFO. Waiting is the pure §9 rule.
package ptyhost
