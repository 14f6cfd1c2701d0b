package formulas

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText prints the proto as bd cook does (§7.5):
//
//	Formula: <name> (<type>, v<version>)
//	Vars: k=v, ...
//	Steps:
//	  N. <id>  <title>  [needs: a, b]
//	     <description lines>
func (p *Proto) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Formula: %s (%s, v%d)\n", p.Formula, p.Type, p.Version)
	fmt.Fprintf(&b, "Vars: %s\n", p.varsLine())
	b.WriteString("Steps:\n")
	if len(p.Steps) == 0 {
		b.WriteString("  (none)\n")
	}
	for i, s := range p.Steps {
		num := fmt.Sprintf("%d.", i+1)
		fmt.Fprintf(&b, "  %s %s  %s", num, s.ID, s.Title)
		if len(s.Needs) > 0 {
			fmt.Fprintf(&b, "  [needs: %s]", strings.Join(s.Needs, ", "))
		}
		if s.Condition != "" {
			fmt.Fprintf(&b, "  [if: %s]", s.Condition)
		}
		b.WriteString("\n")
		indent := strings.Repeat(" ", 3+len(num))
		for _, line := range descriptionLines(s.Description) {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString(indent + line + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func descriptionLines(d string) []string {
	d = strings.TrimRight(d, " \t\n")
	if d == "" {
		return nil
	}
	return strings.Split(d, "\n")
}

// varsLine renders "k=v, ..." for the declared vars (then any undeclared
// values given), "(none)" when there are none.
func (p *Proto) varsLine() string {
	var parts []string
	declared := map[string]bool{}
	for _, v := range p.Vars {
		declared[v.Name] = true
		switch {
		case v.Set:
			parts = append(parts, v.Name+"="+v.Value)
		default:
			parts = append(parts, v.Name+"={{"+v.Name+"}}")
		}
	}
	var extra []string
	for k := range p.Given {
		if !declared[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		parts = append(parts, k+"="+p.Given[k])
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

// CookJSON is the JSON shape of bd cook --json (§7.5).
type CookJSON struct {
	Formula     string                 `json:"formula"`
	Type        string                 `json:"type"`
	Version     int                    `json:"version"`
	Description string                 `json:"description"`
	Vars        map[string]CookJSONVar `json:"vars"`
	Steps       []CookJSONStep         `json:"steps"`
	Warnings    []string               `json:"warnings"`
}

// CookJSONVar is one variable of CookJSON.
type CookJSONVar struct {
	Description string  `json:"description"`
	Required    bool    `json:"required"`
	Default     *string `json:"default"`
	Value       *string `json:"value"`
}

// CookJSONStep is one step of CookJSON.
type CookJSONStep struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Type        string   `json:"type"`
	Priority    int      `json:"priority"`
	Labels      []string `json:"labels"`
	Assignee    string   `json:"assignee"`
	Needs       []string `json:"needs"`
	Condition   string   `json:"condition"`
}

// JSON returns the proto in the bd cook --json shape.
func (p *Proto) JSON() CookJSON {
	out := CookJSON{
		Formula: p.Formula, Type: string(p.Type), Version: p.Version, Description: p.Description,
		Vars: map[string]CookJSONVar{}, Steps: []CookJSONStep{}, Warnings: []string{},
	}
	for _, v := range p.Vars {
		jv := CookJSONVar{Description: v.Description, Required: v.Required, Default: v.Default}
		if v.Set {
			val := v.Value
			jv.Value = &val
		}
		out.Vars[v.Name] = jv
	}
	for _, s := range p.Steps {
		out.Steps = append(out.Steps, CookJSONStep{
			ID: s.ID, Title: s.Title, Description: s.Description, Type: string(s.Type),
			Priority: s.Priority, Labels: nonNil(s.Labels), Assignee: s.Assignee,
			Needs: nonNil(s.Needs), Condition: s.Condition,
		})
	}
	for _, w := range p.Warnings {
		out.Warnings = append(out.Warnings, w.String())
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteChecklist renders the proto as the checklist gt prime shows (§5.6):
// `## Formula checklist: <formula>`, then `N. [ ] <title>` with each step's
// description indented below it (gate beads are left out: nobody works
// them); for a polecat it ends with `When every step is done, run gt done.`
func (p *Proto) WriteChecklist(w io.Writer, polecat bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Formula checklist: %s\n\n", p.Formula)
	n := 0
	for _, s := range p.Steps {
		if s.IsGate() {
			continue
		}
		n++
		num := fmt.Sprintf("%d.", n)
		fmt.Fprintf(&b, "%s [ ] %s\n", num, s.Title)
		indent := strings.Repeat(" ", len(num)+1)
		for _, line := range descriptionLines(s.Description) {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString(indent + line + "\n")
		}
	}
	if polecat {
		b.WriteString("\nWhen every step is done, run gt done.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
