package formulas

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gastown/gt/models"
)

// Diagnostic is one problem found in a formula: an error or a warning, with
// where it was found.
type Diagnostic struct {
	Pos     models.SourcePos
	Message string
	Warning bool
}

// String renders the diagnostic the way bd prints it:
// `<file>:<line>:<col>: <message>` (with `warning: ` before the message of a
// warning). Without a line the file alone is given; without a file, the
// message alone.
func (d Diagnostic) String() string {
	msg := d.Message
	if d.Warning {
		msg = "warning: " + msg
	}
	if p := d.Pos.String(); p != "" {
		return p + ": " + msg
	}
	return msg
}

// ValidationError carries every error found in one pass over a formula (and
// the formulas it pulls in). Its Error text is the summary line; callers
// print Diagnostics first, one per line.
type ValidationError struct {
	Diagnostics []Diagnostic
	// Warnings found on the way, for callers that print them too.
	Warnings []Diagnostic
}

// Error returns `formula validation failed: N errors`.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("formula validation failed: %d errors", len(e.Diagnostics))
}

// Lines returns every diagnostic rendered, in order.
func (e *ValidationError) Lines() []string {
	out := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		out[i] = d.String()
	}
	return out
}

// SyntaxError is a TOML syntax error; it is reported alone, as
// `<file>:<line>:<col>: toml: <message>`.
type SyntaxError struct {
	Pos     models.SourcePos
	Message string
}

// Error renders the syntax error.
func (e *SyntaxError) Error() string {
	return Diagnostic{Pos: e.Pos, Message: "toml: " + e.Message}.String()
}

// ErrNotFound is wrapped by the error returned when a formula is not on the
// search path.
var ErrNotFound = errors.New("formula not found")

// NotFoundError says which formula was missing and where it was looked for.
type NotFoundError struct {
	Name     string
	Searched string
}

// Error returns `formula "x" not found (searched: <dirs>)`.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("formula %q not found (searched: %s)", e.Name, e.Searched)
}

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// diags collects diagnostics during a pass.
type diags struct {
	list []Diagnostic
	seen map[string]bool
}

func (d *diags) add(pos models.SourcePos, warning bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	dg := Diagnostic{Pos: pos, Message: msg, Warning: warning}
	key := dg.String()
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if d.seen[key] {
		return
	}
	d.seen[key] = true
	d.list = append(d.list, dg)
}

func (d *diags) errorf(pos models.SourcePos, format string, args ...any) {
	d.add(pos, false, format, args...)
}

func (d *diags) warnf(pos models.SourcePos, format string, args ...any) {
	d.add(pos, true, format, args...)
}

func (d *diags) merge(in []Diagnostic) {
	for _, x := range in {
		d.add(x.Pos, x.Warning, "%s", x.Message)
	}
}

// errors and warnings split the collected diagnostics, each sorted by file
// and position (stable, so same-position messages keep their order).
func (d *diags) errors() []Diagnostic   { return sortDiags(d.list, false) }
func (d *diags) warnings() []Diagnostic { return sortDiags(d.list, true) }

func sortDiags(in []Diagnostic, warning bool) []Diagnostic {
	var out []Diagnostic
	for _, x := range in {
		if x.Warning == warning {
			out = append(out, x)
		}
	}
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			strings.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
		)
	})
	return out
}
