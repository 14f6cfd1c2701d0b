package ptyhost

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Deterministic synthetic output streams shared by tests and benchmarks.

// plainLinesStream is `seq`-like output: short lines scrolling.
func plainLinesStream(size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%08d the quick brown fox jumps over the lazy dog %d\r\n", i, i*7919)
	}
	return b.Bytes()[:size]
}

// buildLogStream is a colourful compiler/test log.
func buildLogStream(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	pkgs := []string{"app/town", "beads", "formulas", "ptyhost", "views/pane", "cmd/gt"}
	for i := 0; b.Len() < size; i++ {
		p := pkgs[r.IntN(len(pkgs))]
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "\x1b[1;32m✓\x1b[0m \x1b[2m%s\x1b[0m \x1b[36mTest%d\x1b[0m (%d.%02ds)\r\n", p, i, r.IntN(3), r.IntN(100))
		case 1:
			fmt.Fprintf(&b, "\x1b[1;31m✗ FAIL\x1b[0m %s/%s.go:%d: \x1b[33mexpected\x1b[0m %q, \x1b[33mgot\x1b[0m %q\r\n", p, p, r.IntN(900), "abc", "世界")
		case 2:
			fmt.Fprintf(&b, "\x1b[38;5;%dm[%3d%%]\x1b[39m Compiling \x1b[1m%s\x1b[22m v0.%d.%d\r\n", r.IntN(256), r.IntN(101), p, r.IntN(9), r.IntN(30))
		case 3:
			fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm%s\x1b[m \x1b[48;5;236m %s \x1b[49m\r\n", r.IntN(256), r.IntN(256), r.IntN(256), strings.Repeat("━", r.IntN(30)), p)
		case 4:
			// A progress line rewritten in place.
			for j := 0; j <= 100; j += 25 {
				fmt.Fprintf(&b, "\r\x1b[K\x1b[34m%s\x1b[0m %3d%% %s", p, j, strings.Repeat("█", j/10))
			}
			b.WriteString("\r\n")
		default:
			fmt.Fprintf(&b, "    at %s (%s:%d:%d) 👍🏽 é e\u0301 ✳\ufe0f\r\n", p, p, r.IntN(500), r.IntN(80))
		}
	}
	return b.Bytes()
}

// inkRedrawStream imitates an Ink (Claude Code) UI: the bottom block is
// erased with cursor-up + erase-line and redrawn on every frame, a spinner
// title changes, and finished output is committed above it.
func inkRedrawStream(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	var b bytes.Buffer
	spin := []string{"⠂", "⠐", "✶", "✻", "✽", "✢"}
	const block = 8
	for frame := 0; b.Len() < size; frame++ {
		// erase the previous frame
		if frame > 0 {
			for range block - 1 {
				b.WriteString("\x1b[2K\x1b[1A")
			}
			b.WriteString("\x1b[2K\x1b[G")
		}
		if frame%10 == 9 {
			fmt.Fprintf(&b, "\x1b[38;2;215;119;87m⏺\x1b[39m Update(\x1b[1mptyhost/file%d.go\x1b[22m)\r\n", frame)
			fmt.Fprintf(&b, "  ⎿  Updated with \x1b[1m%d\x1b[22m additions\r\n", r.IntN(50))
		}
		fmt.Fprintf(&b, "\x1b]0;%s Claude Code\x07", spin[frame%len(spin)])
		fmt.Fprintf(&b, "\x1b[38;2;215;119;87m%s\x1b[39m Thinking… \x1b[2m(%ds · esc to interrupt)\x1b[22m\r\n", spin[frame%len(spin)], frame/10)
		b.WriteString("\r\n")
		b.WriteString("\x1b[2m╭" + strings.Repeat("─", 70) + "╮\x1b[22m\r\n")
		fmt.Fprintf(&b, "\x1b[2m│\x1b[22m > %-66s \x1b[2m│\x1b[22m\r\n", strings.Repeat("x", frame%60))
		b.WriteString("\x1b[2m╰" + strings.Repeat("─", 70) + "╯\x1b[22m\r\n")
		b.WriteString("  \x1b[2m? for shortcuts\x1b[22m\r\n")
		b.WriteString("\r\n")
		b.WriteString("\x1b[?25l")
	}
	return b.Bytes()
}

// mixedStream concatenates the other generators plus cursor addressing,
// scroll regions, tabs, wide and combining characters, OSC sequences and the
// alternate screen, in pieces of random sizes.
func mixedStream(size int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	var b bytes.Buffer
	for b.Len() < size {
		switch r.IntN(7) {
		case 0:
			b.Write(plainLinesStream(1 + r.IntN(8000)))
		case 1:
			b.Write(buildLogStream(1+r.IntN(16000), r.Uint64()))
		case 2:
			b.Write(inkRedrawStream(1+r.IntN(16000), r.Uint64()))
		case 3:
			for range 50 {
				fmt.Fprintf(&b, "\x1b[%d;%dH\x1b[3%dm%s\t|", 1+r.IntN(30), 1+r.IntN(90), r.IntN(8), []string{"世界", "é", "e\u0301", "🇫🇷", "👩‍👩‍👧", "x"}[r.IntN(6)])
			}
		case 4:
			fmt.Fprintf(&b, "\x1b[%d;%dr", 1+r.IntN(12), 12+r.IntN(12))
			for range 30 {
				fmt.Fprintf(&b, "scroll region line %d\n\x1bM\x1bD\x1b[%dS\x1b[%dT\x1b[%dL\x1b[%dM", r.IntN(1000), r.IntN(3), r.IntN(3), r.IntN(3), r.IntN(3))
			}
			b.WriteString("\x1b[r")
		case 5:
			b.WriteString("\x1b[?1049h\x1b[H\x1b[2J")
			for i := range 40 {
				fmt.Fprintf(&b, "\x1b[%d;1Halt row %d \x1b[7m%s\x1b[27m", 1+i%24, i, strings.Repeat("~", r.IntN(60)))
			}
			b.WriteString("\x1b[?1049l")
		default:
			fmt.Fprintf(&b, "\x1b]0;✳ title %d\x07\x1b]8;;http://e.test/%d\x1b\\link\x1b]8;;\x1b\\ \x1b]9;done %d\x07\x07\x1b[%d@\x1b[%dP\x1b[%dX\x1b[K\x1b[1J\r\n",
				r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(5), r.IntN(5), r.IntN(5))
		}
	}
	return b.Bytes()
}
