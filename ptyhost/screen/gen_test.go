package screen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Stream generators shared by the differential tests, the fuzz seeds and
// the benchmarks. They are deterministic for a given seed.

// plainLines is n bytes of plain log lines ending in CR LF.
func plainLines(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %06d: the quick brown fox jumps over the lazy dog %d\r\n", i, i*7919)
	}
	return []byte(b.String())
}

// buildLog is n bytes of a coloured build log (go test / cargo style).
func buildLog(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "\x1b[1;32m   Compiling\x1b[0m crate-%d v0.%d.%d\r\n", i, rng.IntN(9), rng.IntN(20))
		case 1:
			fmt.Fprintf(&b, "\x1b[33mwarning\x1b[0m\x1b[1m: unused variable `x%d`\x1b[0m\r\n   \x1b[38;5;12m-->\x1b[0m src/lib.rs:%d:%d\r\n", i, rng.IntN(900), rng.IntN(80))
		case 2:
			fmt.Fprintf(&b, "=== RUN   TestThing%d\r\n--- \x1b[32mPASS\x1b[0m: TestThing%d (0.%02ds)\r\n", i, i, rng.IntN(99))
		case 3:
			fmt.Fprintf(&b, "\x1b[38;2;%d;%d;%dm%s\x1b[m ok\r\n", rng.IntN(256), rng.IntN(256), rng.IntN(256), strings.Repeat("=", rng.IntN(120)))
		case 4:
			fmt.Fprintf(&b, "\x1b[4:3m\x1b[58;5;1merror\x1b[24;59m[E%04d]: mismatched types 世界 ✳ é\r\n", rng.IntN(9999))
		default:
			fmt.Fprintf(&b, "\t%s\r\n", strings.Repeat("word ", rng.IntN(30)))
		}
	}
	return []byte(b.String())
}

// inkRedraw is n bytes of an Ink-style agent UI: a status block redrawn in
// place with cursor-up and erase-line, with log lines printed above it.
func inkRedraw(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	var b strings.Builder
	height := 0
	spin := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"}
	for i := 0; b.Len() < n; i++ {
		// Erase the previous block.
		for range height {
			b.WriteString("\x1b[2K\x1b[1A")
		}
		if height > 0 {
			b.WriteString("\x1b[2K\x1b[G")
		}
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, "\x1b[2m⏺\x1b[22m Read file src/part%d.go (%d lines)\r\n", i, rng.IntN(500))
		}
		height = 2 + rng.IntN(4)
		fmt.Fprintf(&b, "\x1b[38;5;208m%s\x1b[39m Thinking… \x1b[2m(%ds · esc to interrupt)\x1b[22m\r\n", spin[i%len(spin)], i)
		for j := 1; j < height; j++ {
			fmt.Fprintf(&b, "\x1b[90m│\x1b[39m > %s\r\n", strings.Repeat("█▌", rng.IntN(20)))
		}
		b.WriteString("\x1b[7m \x1b[27m")
	}
	return []byte(b.String())
}

// randomStream is a stream of random text, controls and escape sequences
// drawn from what panes meet, with random parameters.
func randomStream(rng *rand.Rand, n int) []byte {
	return bytes.Join(randomTokens(rng, n), nil)
}

// randomTokens is randomStream as its pieces (each a whole sequence or
// text run).
func randomTokens(rng *rand.Rand, n int) [][]byte {
	var toks [][]byte
	var b strings.Builder
	size := 0
	p := func() int {
		switch rng.IntN(6) {
		case 0:
			return 0
		case 1:
			return rng.IntN(200)
		default:
			return 1 + rng.IntN(12)
		}
	}
	texts := []string{"hello", "x", "world wide", "世界", "✳", "é", "e\u0301", "👍🏽", "🇫🇷", "日本語のテキスト", "a\u200db", "─│┌", "lqkx", "$", "tab\there"}
	for size < n {
		if b.Len() > 0 {
			toks = append(toks, []byte(b.String()))
			size += b.Len()
			b.Reset()
		}
		switch rng.IntN(40) {
		case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
			b.WriteString(texts[rng.IntN(len(texts))])
		case 10:
			b.WriteString(strings.Repeat("abcdefghij", 1+rng.IntN(10)))
		case 11:
			b.WriteString("\r\n")
		case 12:
			b.WriteByte("\r\n\b\t\x07\x0b\x0c\r\n\b\t\x07\x0b\x0c\x0e\x0f"[rng.IntN(16)])
		case 13:
			fmt.Fprintf(&b, "\x1b[%d;%dH", p(), p())
		case 14:
			fmt.Fprintf(&b, "\x1b[%d%c", p(), "ABCDEFGIZ`adeb"[rng.IntN(14)])
		case 15:
			fmt.Fprintf(&b, "\x1b[%dJ", []int{0, 0, 0, 2, 2, 2, 1, 3}[rng.IntN(8)])
		case 16:
			fmt.Fprintf(&b, "\x1b[%dK", rng.IntN(3))
		case 17:
			fmt.Fprintf(&b, "\x1b[%d%c", p(), "@PXLMST"[rng.IntN(7)])
		case 18:
			fmt.Fprintf(&b, "\x1b[%d;%dr", rng.IntN(8), rng.IntN(9))
		case 19:
			b.WriteString([]string{"\x1b7", "\x1b8", "\x1b[s", "\x1bD", "\x1bM", "\x1bH", "\x1b[g", "\x1b[3g", "\x1b7", "\x1b8", "\x1bD", "\x1bM", "\x1b[u", "\x1bE"}[rng.IntN(14)])
		case 20:
			fmt.Fprintf(&b, "\x1b[%dm", []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 22, 23, 24, 27, 31, 42, 39, 49, 93, 104}[rng.IntN(19)])
		case 21:
			fmt.Fprintf(&b, "\x1b[38;5;%dm\x1b[48;2;%d;%d;%dm", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))
		case 22:
			fmt.Fprintf(&b, "\x1b[4:%dm\x1b[58:5:%dm", rng.IntN(6), rng.IntN(256))
		case 23:
			fmt.Fprintf(&b, "\x1b[?%d%c", []int{1, 7, 25, 1000, 1002, 1003, 1004, 1006, 2004, 1049, 1047, 1048}[rng.IntN(12)], "hl"[rng.IntN(2)])
		case 24:
			b.WriteString([]string{"\x1b(0", "\x1b(B", "\x1b)0", "\x1b(A"}[rng.IntN(4)])
		case 25:
			fmt.Fprintf(&b, "\x1b]0;title %d\x07", rng.IntN(9))
		case 26:
			fmt.Fprintf(&b, "\x1b[%d q", rng.IntN(7))
		case 27:
			b.WriteString([]string{"\x1b[c", "\x1b[>c", "\x1b[5n", "\x1b[6n"}[rng.IntN(4)])
		case 28:
			b.WriteString("\x1b[m")
		case 29:
			fmt.Fprintf(&b, "\x1b[%dI", p())
		default:
			b.WriteString(strings.Repeat("The quick brown fox. ", 1+rng.IntN(3)))
		}
	}
	return toks
}
