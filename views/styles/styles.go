// Package styles builds gt's one Styles struct from a palette of semantic
// colours. Views never hard-code colours: they read the Styles they are given
// through views/common.
package styles

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/gastown/gt/models"
)

// Palette names the colours gt uses by meaning, not by hue.
type Palette struct {
	Text, Muted, Dim, Accent, Highlight color.Color
	Border, BorderFocus                 color.Color
	Working, Waiting, Problem, Idle     color.Color
	Exited, Success, Danger             color.Color
	SelectionBg, StatusBg, StatusFg     color.Color
	ProgressDone, ProgressTodo          color.Color
}

// DefaultPalette is the palette gt ships with: ANSI-256 colours that read
// on dark and light terminals.
func DefaultPalette() Palette {
	c := lipgloss.Color
	return Palette{
		Text: c("252"), Muted: c("245"), Dim: c("240"), Accent: c("39"), Highlight: c("220"),
		Border: c("240"), BorderFocus: c("255"),
		Working: c("35"), Waiting: c("214"), Problem: c("203"), Idle: c("244"),
		Exited: c("160"), Success: c("42"), Danger: c("196"),
		SelectionBg: c("237"), StatusBg: c("236"), StatusFg: c("250"),
		ProgressDone: c("42"), ProgressTodo: c("238"),
	}
}

// Paint is a pair of SGR strings wrapped around text. It is precomputed once
// from a lipgloss style so hot paths (pane borders repainted every frame)
// skip lipgloss's per-call work.
type Paint struct{ On, Off string }

// Render wraps s in the paint.
func (p Paint) Render(s string) string {
	if p.On == "" || s == "" {
		return s
	}
	return p.On + s + p.Off
}

// PaintOf captures the SGR a lipgloss style emits around text.
func PaintOf(s lipgloss.Style) Paint {
	const mark = "\x01"
	out := s.Render(mark)
	i := strings.Index(out, mark)
	if i < 0 {
		return Paint{}
	}
	return Paint{On: out[:i], Off: out[i+len(mark):]}
}

// StatePaints holds one paint per agent state.
type StatePaints [7]Paint

// Of returns the paint of state st (idle for an unknown state).
func (p StatePaints) Of(st models.AgentState) Paint {
	if st < 0 || int(st) >= len(p) {
		return p[models.StateIdle]
	}
	return p[st]
}

// Styles is every style gt's views use.
type Styles struct {
	Palette Palette

	Text, Muted, Dim, Accent, Bold, Title lipgloss.Style
	Selected, Cursor, Error, Success      lipgloss.Style
	StatusBar, StatusKey, Prefix, Notice  lipgloss.Style
	DialogTitle, FieldLabel, FieldFocus   lipgloss.Style
	Button, ButtonFocus                   lipgloss.Style

	// Border is an unfocused pane or panel frame; BorderFocus a focused one.
	Border, BorderFocus Paint
	// StateBorder and StateBorderFocus colour pane frames by agent state.
	StateBorder, StateBorderFocus StatePaints
	// StateText colours a state glyph and name.
	StateText StatePaints
	// ProgressDone and ProgressTodo paint progress bars.
	ProgressDone, ProgressTodo Paint
	// MutedPaint and SelectionPaint are fast paints for list rows.
	MutedPaint, SelectionPaint, AccentPaint, WaitingPaint Paint
}

// New builds the Styles of a palette.
func New(p Palette) Styles {
	ns := lipgloss.NewStyle
	s := Styles{
		Palette:     p,
		Text:        ns().Foreground(p.Text),
		Muted:       ns().Foreground(p.Muted),
		Dim:         ns().Foreground(p.Dim),
		Accent:      ns().Foreground(p.Accent),
		Bold:        ns().Bold(true),
		Title:       ns().Foreground(p.Accent).Bold(true),
		Selected:    ns().Background(p.SelectionBg),
		Cursor:      ns().Reverse(true),
		Error:       ns().Foreground(p.Danger),
		Success:     ns().Foreground(p.Success),
		StatusBar:   ns().Foreground(p.StatusFg).Background(p.StatusBg),
		StatusKey:   ns().Foreground(p.Accent).Background(p.StatusBg),
		Prefix:      ns().Foreground(p.StatusBg).Background(p.Highlight).Bold(true),
		Notice:      ns().Foreground(p.Highlight),
		DialogTitle: ns().Foreground(p.Accent).Bold(true),
		FieldLabel:  ns().Foreground(p.Muted),
		FieldFocus:  ns().Foreground(p.Highlight).Bold(true),
		Button:      ns().Foreground(p.Muted),
		ButtonFocus: ns().Foreground(p.StatusBg).Background(p.Accent).Bold(true),
	}
	s.Border = PaintOf(ns().Foreground(p.Border))
	s.BorderFocus = PaintOf(ns().Foreground(p.BorderFocus).Bold(true))
	stateColor := map[models.AgentState]color.Color{
		models.StateIdle: p.Idle, models.StateExited: p.Exited, models.StateZombie: p.Problem,
		models.StateWaiting: p.Waiting, models.StateGUPP: p.Problem, models.StateStalled: p.Problem,
		models.StateWorking: p.Working,
	}
	for st, c := range stateColor {
		s.StateBorder[st] = PaintOf(ns().Foreground(c).Faint(true))
		s.StateBorderFocus[st] = PaintOf(ns().Foreground(c).Bold(true))
		s.StateText[st] = PaintOf(ns().Foreground(c))
	}
	s.ProgressDone = PaintOf(ns().Foreground(p.ProgressDone))
	s.ProgressTodo = PaintOf(ns().Foreground(p.ProgressTodo))
	s.MutedPaint = PaintOf(ns().Foreground(p.Muted))
	s.SelectionPaint = PaintOf(ns().Background(p.SelectionBg))
	s.AccentPaint = PaintOf(ns().Foreground(p.Accent))
	s.WaitingPaint = PaintOf(ns().Foreground(p.Waiting).Bold(true))
	return s
}

// Default is New(DefaultPalette()).
func Default() Styles { return New(DefaultPalette()) }
