package main

import (
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// writeTable prints rows as columns separated by two spaces, each column
// padded to its widest cell by display width (so emoji glyphs such as 💀
// line up), the last column left unpadded.
func writeTable(w io.Writer, rows [][]string) error {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			if n := runewidth.StringWidth(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
