// Package common holds what every gt view shares: the Styles (in Common) and
// small text helpers that keep each rendered line exactly as wide as its
// rectangle, plus the box-drawing frame used by panes and panels.
package common

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/gastown/gt/views/styles"
)

// Common is passed to every view's constructor.
type Common struct {
	Styles *styles.Styles
}

// New returns a Common with the given styles.
func New(s *styles.Styles) Common { return Common{Styles: s} }

// Fit returns s (which may contain SGR sequences) cut or padded with spaces
// to exactly w cells. Cut text ends with "…".
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	switch {
	case sw == w:
		return s
	case sw < w:
		return s + strings.Repeat(" ", w-sw)
	}
	t := ansi.Truncate(s, w, "…")
	if tw := ansi.StringWidth(t); tw < w {
		t += strings.Repeat(" ", w-tw)
	}
	return t
}

// Cut returns s cut to at most w cells (with "…"), without padding.
func Cut(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Width is the display width of s in cells, ignoring SGR sequences.
func Width(s string) int { return ansi.StringWidth(s) }

// FitLines returns exactly h lines, each exactly w cells wide.
func FitLines(lines []string, w, h int) []string {
	if h <= 0 {
		return nil
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = Fit(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", max(w, 0))
		}
	}
	return out
}

// Frame draws a box-drawing border of w×h cells around body with title
// in the top edge. body lines must already be exactly w-2 cells wide (use
// FitLines); missing lines are blank. The border runes are painted with
// border; the title keeps its own styling. Boxes smaller than 2×2 return
// the body fitted to w×h.
func Frame(title string, body []string, w, h int, border styles.Paint) []string {
	if w < 2 || h < 2 {
		return FitLines(body, w, h)
	}
	out := make([]string, 0, h)
	out = append(out, TopEdge(title, w, border))
	side := border.Render("│")
	iw := w - 2
	var blank string
	for i := 0; i < h-2; i++ {
		if i < len(body) {
			out = append(out, side+body[i]+side)
			continue
		}
		if blank == "" {
			blank = strings.Repeat(" ", iw)
		}
		out = append(out, side+blank+side)
	}
	out = append(out, border.Render("└"+strings.Repeat("─", iw)+"┘"))
	return out
}

// TopEdge renders "┌ title ────┐" exactly w cells wide.
func TopEdge(title string, w int, border styles.Paint) string {
	if w < 2 {
		return strings.Repeat(" ", max(w, 0))
	}
	iw := w - 2
	if title == "" || iw < 3 {
		return border.Render("┌" + strings.Repeat("─", iw) + "┐")
	}
	t := Cut(title, iw-2)
	rest := iw - 2 - Width(t)
	return border.Render("┌ ") + t + border.Render(" "+strings.Repeat("─", rest)+"┐")
}
