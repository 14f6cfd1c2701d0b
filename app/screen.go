package app

import "strings"

// termScreen adapts a Terminal to pane.Screen: the scrollback rows followed
// by the live screen, each rendered exactly as wide as the pane asks.
type termScreen struct{ t Terminal }

func (s termScreen) rows() int {
	_, r := s.t.Size()
	return r
}

func (s termScreen) Len() int { return s.t.ScrollbackLen() + s.rows() }

func (s termScreen) Title() string { return s.t.Title() }

func (s termScreen) Render(from, n, width int) []string {
	if n <= 0 || width <= 0 {
		return nil
	}
	from = max(from, 0)
	sb := s.t.ScrollbackLen()
	out := make([]string, 0, n)
	if from < sb {
		for _, l := range s.t.Scrollback(from, min(sb, from+n)) {
			out = append(out, l.ANSI(width))
		}
	}
	if len(out) < n {
		y := max(from-sb, 0)
		out = s.t.RenderRows(out, y, y+n-len(out), width)
	}
	return out
}

func (s termScreen) Plain(from, n int) []string {
	if n <= 0 {
		return nil
	}
	from = max(from, 0)
	sb := s.t.ScrollbackLen()
	out := make([]string, 0, n)
	if from < sb {
		for _, l := range s.t.Scrollback(from, min(sb, from+n)) {
			out = append(out, l.Plain())
		}
	}
	if len(out) < n {
		snap := s.t.Snapshot()
		for i := max(from-sb, 0); i < len(snap.Lines) && len(out) < n; i++ {
			out = append(out, snap.Lines[i].Plain())
		}
	}
	return out
}

// textScreen shows fixed text (a start failure message) in a pane.
type textScreen struct{ lines []string }

func newTextScreen(s string) textScreen { return textScreen{lines: strings.Split(s, "\n")} }

func (s textScreen) Len() int      { return len(s.lines) }
func (s textScreen) Title() string { return "" }

func (s textScreen) Render(from, n, width int) []string {
	// Plain text: the pane fits each line to its width.
	return s.Plain(from, n)
}

func (s textScreen) Plain(from, n int) []string {
	from = max(from, 0)
	if from >= len(s.lines) || n <= 0 {
		return nil
	}
	return append([]string(nil), s.lines[from:min(len(s.lines), from+n)]...)
}
