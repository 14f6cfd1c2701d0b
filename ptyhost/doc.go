// Package ptyhost runs agent processes in pseudo-terminals and keeps each
// one's screen in a terminal emulator. It never imports UI packages.
//
// A Terminal is one pane's screen: bytes written to it pass through a stream
// filter and then gt's own screen engine, ptyhost/screen (compact 8-byte
// cells, a ring of rows so scrolling is O(1), damage tracking per row;
// charmbracelet/x/vt is its reference implementation in the tests). The
// filter consumes every
// string sequence itself (so a 0x9C byte inside an OSC title, such as the
// "✳" of Claude Code's title, cannot end it early), extracts titles (OSC
// 0/2) and notifications (OSC 9, OSC 777;notify), drops OSC 52 and unknown
// strings, turns invalid UTF-8 into U+FFFD, and holds back an unfinished
// grapheme cluster or escape sequence across reads, so that any chunking of
// a stream gives the same screen as one write (spec R7). Rows scrolling off
// the top go to the engine's compact scrollback (text plus style runs packed
// in an arena, about 100 bytes a row). Every engine call is guarded: a panic
// resets only that terminal. Screens are read with Snapshot (cells,
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
