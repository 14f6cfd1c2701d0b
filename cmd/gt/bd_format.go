package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/gastown/gt/models"
)

// palette colours human output with plain ANSI SGR sequences, and only when
// stdout is a terminal and NO_COLOR is unset; otherwise every method returns
// its input unchanged.
type palette struct{ on bool }

func newPalette(w io.Writer, getenv func(string) string) palette {
	if getenv("NO_COLOR") != "" {
		return palette{}
	}
	f, ok := w.(*os.File)
	return palette{on: ok && term.IsTerminal(f.Fd())}
}

func (p palette) sgr(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.sgr("1", s) }
func (p palette) dim(s string) string    { return p.sgr("2", s) }
func (p palette) red(s string) string    { return p.sgr("31", s) }
func (p palette) green(s string) string  { return p.sgr("32", s) }
func (p palette) yellow(s string) string { return p.sgr("33", s) }
func (p palette) cyan(s string) string   { return p.sgr("36", s) }

// ok prefixes a success line with a green ✓.
func (p palette) ok(s string) string { return p.green("✓") + " " + s }

// priority renders P<n>, red for P0, yellow for P1.
func (p palette) priority(n int) string {
	s := fmt.Sprintf("P%d", n)
	switch n {
	case 0:
		return p.red(s)
	case 1:
		return p.yellow(s)
	}
	return s
}

// status colours a status by how active it is.
func (p palette) status(st models.Status) string {
	s := string(st)
	switch st {
	case models.StatusInProgress, models.StatusHooked:
		return p.yellow(s)
	case models.StatusBlocked:
		return p.red(s)
	case models.StatusClosed, models.StatusTombstone, models.StatusDeferred:
		return p.dim(s)
	}
	return s
}

// listLine is the one-line form of a bead used by list and search:
// `<id> [P<n>] [<type>] <status> <assignee> - <title>` (assignee left out
// when empty).
func (p palette) listLine(b *models.Bead) string {
	var sb strings.Builder
	sb.WriteString(p.cyan(b.ID))
	sb.WriteString(" [" + p.priority(b.Priority) + "]")
	sb.WriteString(" [" + string(b.IssueType) + "]")
	sb.WriteString(" " + p.status(b.Status))
	if b.Assignee != "" {
		sb.WriteString(" " + b.Assignee)
	}
	sb.WriteString(" - " + oneLineText(b.Title))
	return sb.String()
}

// oneLineText flattens line breaks so one record stays on one line.
func oneLineText(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// shortTime formats a time for humans in local time.
func shortTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// kvBlock aligns `key: value` rows on the value column.
func kvBlock(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		if len(r[0]) > width {
			width = len(r[0])
		}
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s %s\n", width+1, r[0]+":", r[1])
	}
}

// idList renders IDs as `[a, b]`.
func idList(ids []string) string { return "[" + strings.Join(ids, ", ") + "]" }

// splitList splits comma-separated flag values, dropping empties.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// parseWhen reads a --defer/--due value: RFC 3339, a date (2026-01-02), a
// date and time (2026-01-02 15:04), or a duration from now (2h, 30m, 3d,
// 2w, optionally with a leading +). The empty string clears (nil, nil).
func parseWhen(flag, in string, now time.Time) (*time.Time, error) {
	s := strings.TrimSpace(in)
	if s == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			u := t.UTC()
			return &u, nil
		}
	}
	d := strings.TrimPrefix(s, "+")
	mult := time.Duration(0)
	switch {
	case strings.HasSuffix(d, "d"):
		mult = 24 * time.Hour
	case strings.HasSuffix(d, "w"):
		mult = 7 * 24 * time.Hour
	}
	if mult != 0 {
		var n int
		// At most a century, so the duration cannot overflow.
		if _, err := fmt.Sscanf(d[:len(d)-1], "%d", &n); err == nil && fmt.Sprint(n) == d[:len(d)-1] && n >= 0 && n <= 36500 {
			u := now.Add(time.Duration(n) * mult).UTC()
			return &u, nil
		}
	} else if dur, err := time.ParseDuration(d); err == nil && dur >= 0 {
		u := now.Add(dur).UTC()
		return &u, nil
	}
	return nil, fmt.Errorf("invalid --%s %q (use 2026-01-02, RFC 3339 or a duration like 2d)", flag, in)
}
