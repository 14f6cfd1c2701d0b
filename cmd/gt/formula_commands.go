package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/formulas"
	"github.com/gastown/gt/models"
)

// addFormulaCommands registers bd formula, bd cook and bd mol.
func addFormulaCommands(root *cobra.Command, e *env) {
	formula := &cobra.Command{
		Use:   "formula",
		Short: "List, show and validate formulas (workflow templates)",
		Args:  rejectUnknown,
	}
	formula.AddCommand(newFormulaListCommand(e), newFormulaShowCommand(e), newFormulaValidateCommand(e))
	mol := &cobra.Command{
		Use:   "mol",
		Short: "Pour formulas into molecules and follow their progress",
		Args:  rejectUnknown,
	}
	mol.AddCommand(
		newMolPourCommand(e, false), newMolPourCommand(e, true),
		newMolListCommand(e), newMolShowCommand(e), newMolCurrentCommand(e),
	)
	root.AddCommand(formula, newCookCommand(e), mol)
}

// formulaSearchPath builds the §7.4 search path for the working directory:
// the caller's checkout (or <rig>/mayor/rig inside a rig), the town, then
// ~/.beads/formulas and the embedded formulas.
func formulaSearchPath() *formulas.SearchPath {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	cwd = bdRealPath(cwd)
	town := bdTownRoot(cwd, os.Getenv)
	home, _ := os.UserHomeDir()
	return formulas.SearchPathFor(town, cwd, home)
}

// printDiagnostics writes warnings (and, for a validation failure, every
// error line) to stderr; the summary line is left to the caller's error.
func printDiagnostics(w io.Writer, warnings []formulas.Diagnostic, err error) {
	for _, d := range warnings {
		fmt.Fprintln(w, d.String())
	}
	var ve *formulas.ValidationError
	if errors.As(err, &ve) {
		for _, line := range ve.Lines() {
			fmt.Fprintln(w, line)
		}
	}
}

// cookFormula loads and cooks ref, printing warnings and error lines to
// stderr.
func cookFormula(e *env, ref string, opt formulas.CookOptions) (*formulas.Proto, error) {
	p, err := formulaSearchPath().Cook(ref, opt)
	if err != nil {
		var ve *formulas.ValidationError
		if errors.As(err, &ve) {
			printDiagnostics(e.stderr, ve.Warnings, err)
		}
		return nil, err
	}
	printDiagnostics(e.stderr, p.Warnings, nil)
	return p, nil
}

func jsonFlag(cmd *cobra.Command) bool {
	v, _ := cmd.Flags().GetBool("json")
	return v
}

func newFormulaListCommand(e *env) *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the formulas on the search path (shadowed ones left out)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if typ != "" && !models.FormulaType(typ).Valid() {
				return fmt.Errorf("invalid formula type %q (must be workflow, expansion, aspect or convoy)", typ)
			}
			list, err := formulaSearchPath().List()
			if err != nil {
				return err
			}
			type row struct {
				Name        string `json:"name"`
				Type        string `json:"type"`
				Description string `json:"description"`
				Source      string `json:"source"`
				Path        string `json:"path"`
				Steps       int    `json:"steps"`
				Vars        int    `json:"vars"`
			}
			rows := []row{}
			for _, l := range list {
				if l.Err != nil {
					fmt.Fprintf(e.stderr, "⚠ %s: %s\n", l.Source.Path, oneLine(l.Err.Error()))
					continue
				}
				if typ != "" && string(l.Type) != typ {
					continue
				}
				rows = append(rows, row{l.Name, string(l.Type), l.Description, string(l.Source.Kind), l.Source.Path, l.Steps, l.Vars})
			}
			if jsonFlag(cmd) {
				return bdWriteJSON(e.stdout, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stdout, "No formulas.")
				return nil
			}
			// The §7.5 columns, aligned.
			table := [][]string{{"NAME", "TYPE", "STEPS", "VARS", "SOURCE"}}
			for _, r := range rows {
				table = append(table, []string{r.Name, r.Type, strconv.Itoa(r.Steps), strconv.Itoa(r.Vars), r.Source})
			}
			return writeTable(e.stdout, table)
		},
	}
	cmd.Flags().StringVar(&typ, "type", "", "only formulas of this type")
	return cmd
}

func newFormulaShowCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show <name>",
		Short: "Show a formula: type, version, vars and steps",
		Args:  exactArgs(1, "formula name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, _, err := formulaSearchPath().Load(args[0])
			if err != nil {
				return err
			}
			printDiagnostics(e.stderr, f.Warnings, nil)
			if jsonFlag(cmd) {
				return bdWriteJSON(e.stdout, formulaJSON(f))
			}
			return writeFormulaText(e.stdout, f)
		},
	}
}

type formulaVarJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Required    bool     `json:"required"`
	Default     *string  `json:"default"`
	Enum        []string `json:"enum"`
	Pattern     string   `json:"pattern"`
}

type formulaStepJSON struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Type        string            `json:"type"`
	Needs       []string          `json:"needs"`
	Condition   string            `json:"condition,omitempty"`
	Children    []formulaStepJSON `json:"children,omitempty"`
}

func stepsJSON(steps []*models.Step) []formulaStepJSON {
	out := []formulaStepJSON{}
	for _, s := range steps {
		needs := s.Needs
		if needs == nil {
			needs = []string{}
		}
		js := formulaStepJSON{ID: s.ID, Title: s.Title, Description: s.Description, Type: string(models.StepIssueType(s.Type)), Needs: needs, Condition: s.Condition}
		js.Children = stepsJSON(s.Children)
		if s.Loop != nil {
			js.Children = append(js.Children, stepsJSON(s.Loop.Body)...)
		}
		if len(js.Children) == 0 {
			js.Children = nil
		}
		out = append(out, js)
	}
	return out
}

func formulaJSON(f *formulas.File) any {
	fm := f.Formula
	vars := []formulaVarJSON{}
	for _, v := range fm.Vars {
		enum := v.Enum
		if enum == nil {
			enum = []string{}
		}
		vars = append(vars, formulaVarJSON{v.Name, v.Description, v.Required, v.Default, enum, v.Pattern})
	}
	extends := fm.Extends
	if extends == nil {
		extends = []string{}
	}
	return map[string]any{
		"name": fm.Name, "type": fm.Type, "version": fm.Version, "description": fm.Description,
		"source": f.Source.Kind, "path": f.Source.Path, "extends": extends,
		"vars": vars, "steps": stepsJSON(fm.Steps),
	}
}

func writeFormulaText(w io.Writer, f *formulas.File) error {
	fm := f.Formula
	var b strings.Builder
	fmt.Fprintf(&b, "Name:        %s\n", fm.Name)
	fmt.Fprintf(&b, "Type:        %s\n", fm.Type)
	fmt.Fprintf(&b, "Version:     %d\n", fm.Version)
	fmt.Fprintf(&b, "Source:      %s (%s)\n", f.Source.Kind, f.Source.Path)
	if len(fm.Extends) > 0 {
		fmt.Fprintf(&b, "Extends:     %s\n", strings.Join(fm.Extends, ", "))
	}
	if fm.Description != "" {
		fmt.Fprintf(&b, "Description: %s\n", oneLineText(fm.Description))
	}
	b.WriteString("Vars:\n")
	if len(fm.Vars) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, v := range fm.Vars {
		var attrs []string
		if v.Required {
			attrs = append(attrs, "required")
		}
		if v.Default != nil {
			attrs = append(attrs, fmt.Sprintf("default: %q", *v.Default))
		}
		if len(v.Enum) > 0 {
			attrs = append(attrs, "one of: "+strings.Join(v.Enum, ", "))
		}
		if v.Pattern != "" {
			attrs = append(attrs, "pattern: "+v.Pattern)
		}
		line := "  " + v.Name
		if len(attrs) > 0 {
			line += " (" + strings.Join(attrs, "; ") + ")"
		}
		if v.Description != "" {
			line += "  " + oneLineText(v.Description)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("Steps:\n")
	if len(fm.Steps)+len(fm.Template)+len(fm.Legs) == 0 {
		b.WriteString("  (none)\n")
	}
	var steps func([]*models.Step, string)
	steps = func(list []*models.Step, indent string) {
		for _, s := range list {
			line := indent + s.ID + "  " + s.Title
			if len(s.Needs) > 0 {
				line += "  [needs: " + strings.Join(s.Needs, ", ") + "]"
			}
			if s.Loop != nil {
				line += "  [loop]"
			}
			b.WriteString(line + "\n")
			steps(s.Children, indent+"  ")
			if s.Loop != nil {
				steps(s.Loop.Body, indent+"  ")
			}
		}
	}
	steps(fm.Steps, "  ")
	steps(fm.Template, "  ")
	steps(fm.Legs, "  ")
	if fm.Synthesis != nil {
		steps([]*models.Step{fm.Synthesis}, "  ")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func newFormulaValidateCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "validate <name-or-file>",
		Short: "Check a formula completely and report every problem",
		Args:  exactArgs(1, "formula name or file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, l, err := formulaSearchPath().Load(args[0])
			if err != nil {
				return err
			}
			warnings, n, err := formulas.Validate(f, l)
			printDiagnostics(e.stderr, warnings, err)
			if err != nil {
				return err
			}
			name := f.Formula.Name
			if jsonFlag(cmd) {
				ws := []string{}
				for _, w := range warnings {
					ws = append(ws, w.String())
				}
				return bdWriteJSON(e.stdout, map[string]any{"name": name, "valid": true, "steps": n, "warnings": ws})
			}
			fmt.Fprintf(e.stdout, "✓ %s: valid (%d steps)\n", name, n)
			return nil
		},
	}
}

func newCookCommand(e *env) *cobra.Command {
	var vars []string
	var proto bool
	cmd := &cobra.Command{
		Use:   "cook <formula>",
		Short: "Resolve a formula with its variables and print the steps (writes nothing)",
		Args:  exactArgs(1, "formula name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			vals, err := formulas.ParseVars(vars)
			if err != nil {
				return err
			}
			p, err := cookFormula(e, args[0], formulas.CookOptions{Vars: vals, Proto: proto})
			if err != nil {
				return err
			}
			if jsonFlag(cmd) {
				return bdWriteJSON(e.stdout, p.JSON())
			}
			return p.WriteText(e.stdout)
		},
	}
	cmd.Flags().StringArrayVar(&vars, "var", nil, "variable value `key=value` (repeatable)")
	cmd.Flags().BoolVar(&proto, "proto", false, "keep {{placeholders}} and allow missing variables")
	return cmd
}

// pourFlags are the flags of bd mol pour and bd mol wisp.
type pourFlags struct {
	vars     []string
	assignee string
	prefix   string
	dryRun   bool
}

func newMolPourCommand(e *env, wisp bool) *cobra.Command {
	var f pourFlags
	use, short := "pour <formula>", "Create a molecule: a root bead plus one bead per step"
	if wisp {
		use, short = "wisp <formula>", "Create an ephemeral molecule (a wisp), never exported"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(1, "formula name"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			return runPour(s, args[0], &f, wisp)
		}),
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.vars, "var", nil, "variable value `key=value` (repeatable)")
	fl.StringVarP(&f.assignee, "assignee", "a", "", "assign the molecule's root bead")
	fl.StringVar(&f.prefix, "prefix", "", "beads prefix for the molecule (default: the caller's rig, else the database's)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show what would be created and change nothing")
	return cmd
}

func runPour(s *bdSession, ref string, f *pourFlags, wisp bool) error {
	vals, err := formulas.ParseVars(f.vars)
	if err != nil {
		return err
	}
	p, err := cookFormula(s.e, ref, formulas.CookOptions{Vars: vals, Pour: true})
	if err != nil {
		return err
	}
	if p.Phase == "vapor" && !wisp {
		fmt.Fprintf(s.e.stderr, "⚠ %s is a vapor formula; consider bd mol wisp\n", p.Formula)
	}
	plan, err := formulas.PlanPour(p, formulas.PourOptions{Wisp: wisp, Assignee: f.assignee})
	if err != nil {
		return err
	}
	prefix, err := s.newBeadPrefix(f.prefix, "")
	if err != nil {
		return err
	}
	steps := 0
	for _, st := range plan.Steps {
		if st.Bead.IssueType != models.TypeGate {
			steps++
		}
	}
	if f.dryRun {
		kind := "molecule"
		if wisp {
			kind = "wisp"
		}
		fmt.Fprintf(s.e.stdout, "Would pour %s (%s): %d steps\n", kind, p.Formula, steps)
		fmt.Fprintf(s.e.stdout, "  root: %s [%s]\n", plan.Root.Title, plan.Root.IssueType)
		for i, st := range plan.Steps {
			line := fmt.Sprintf("  %d. %s  %s", i+1, st.StepID, st.Bead.Title)
			if len(st.Needs) > 0 {
				line += "  [needs: " + strings.Join(st.Needs, ", ") + "]"
			}
			fmt.Fprintln(s.e.stdout, line)
		}
		return nil
	}
	var rootID string
	var mapping map[string]string
	err = s.write(func(tx *beads.Tx, ev *eventSink) error {
		root, ids, err := town.PourPlan(tx, plan, prefix, wisp)
		if err != nil {
			return err
		}
		rootID, mapping = root.ID, ids
		ev.add("bead_created", root, s.actor, map[string]any{"formula": p.Formula, "steps": len(ids)})
		return nil
	})
	if err != nil {
		return err
	}
	if s.asJSON {
		return s.printJSON(map[string]any{
			"new_epic_id": rootID, "id_mapping": mapping, "created": len(mapping) + 1, "phase": plan.Phase,
		})
	}
	// A wisp reports like a molecule (§7.5 "same"); its ID says -wisp-.
	fmt.Fprintln(s.e.stdout, s.pal.ok(fmt.Sprintf("Poured molecule %s (%s): %d steps", s.pal.cyan(rootID), p.Formula, steps)))
	return nil
}

// molStep is a step bead of a molecule with its place in the tree.
type molStep struct {
	bead      models.Bead
	depth     int
	blockedBy []string
}

// molecule is a root bead and its steps, as bd mol list/show/current see it.
type molecule struct {
	root      models.Bead
	steps     []molStep
	completed int
}

func (m *molecule) total() int { return len(m.steps) }

// stepID returns a step's formula step ID from its metadata.
func stepIDOf(b *models.Bead) string {
	var meta map[string]any
	if len(b.Metadata) > 0 && json.Unmarshal(b.Metadata, &meta) == nil {
		if s, ok := meta[formulas.MetaStepID].(string); ok {
			return s
		}
	}
	return ""
}

// loadMolecule reads a molecule root and every step below it.
func loadMolecule(s *bdSession, root models.Bead) (*molecule, error) {
	m := &molecule{root: root}
	var walk func(id string, depth int) error
	walk = func(id string, depth int) error {
		kids, err := s.store.Children(s.ctx, id)
		if err != nil {
			return err
		}
		for _, k := range kids {
			ms := molStep{bead: k, depth: depth}
			if !k.Status.Done() {
				if ms.blockedBy, err = s.store.BlockersOf(s.ctx, k.ID); err != nil {
					return err
				}
			} else {
				m.completed++
			}
			m.steps = append(m.steps, ms)
			if err := walk(k.ID, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root.ID, 0); err != nil {
		return nil, err
	}
	return m, nil
}

// current returns the step to work now: the in-progress (or hooked) step,
// else the first ready one; and the next ready step after it.
func (m *molecule) current() (cur, next *molStep) {
	for i := range m.steps {
		st := &m.steps[i]
		if st.bead.Status == models.StatusInProgress || st.bead.Status == models.StatusHooked {
			cur = st
			break
		}
	}
	for i := range m.steps {
		st := &m.steps[i]
		if st.bead.Status != models.StatusOpen || len(st.blockedBy) > 0 || st.bead.IssueType.System() || st == cur {
			continue
		}
		if cur == nil {
			cur = st
			continue
		}
		next = st
		break
	}
	return cur, next
}

// getMolecule resolves an ID argument to a molecule root.
func getMolecule(s *bdSession, arg string) (*molecule, error) {
	id, err := s.store.Resolve(s.ctx, arg)
	if err != nil {
		return nil, err
	}
	b, err := s.store.Get(s.ctx, id)
	if err != nil {
		return nil, err
	}
	if b.IssueType != models.TypeMolecule {
		return nil, fmt.Errorf("%s is not a molecule", id)
	}
	return loadMolecule(s, *b)
}

// allMolecules lists molecule roots, wisps included; open ones unless all.
func allMolecules(s *bdSession, all bool) ([]models.Bead, error) {
	list, err := s.store.List(s.ctx, beads.Filter{Types: []models.IssueType{models.TypeMolecule}, IncludeClosed: true, Sort: "oldest"})
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, b := range list {
		if all || !(b.Status.Done()) {
			out = append(out, b)
		}
	}
	return out, nil
}

type molStepJSON struct {
	ID        string   `json:"id"`
	StepID    string   `json:"step_id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	BlockedBy []string `json:"blocked_by,omitempty"`
}

func stepJSON(st *molStep) *molStepJSON {
	if st == nil {
		return nil
	}
	return &molStepJSON{ID: st.bead.ID, StepID: stepIDOf(&st.bead), Title: st.bead.Title, Status: string(st.bead.Status)}
}

func newMolListCommand(e *env) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List molecules with their progress and next step",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			roots, err := allMolecules(s, all)
			if err != nil {
				return err
			}
			type row struct {
				ID          string       `json:"id"`
				Formula     string       `json:"formula"`
				Title       string       `json:"title"`
				Status      string       `json:"status"`
				Ephemeral   bool         `json:"ephemeral"`
				Completed   int          `json:"completed"`
				Total       int          `json:"total"`
				CurrentStep *molStepJSON `json:"current_step"`
				Assignee    string       `json:"assignee"`
			}
			rows := []row{}
			var lines []string
			for _, r := range roots {
				m, err := loadMolecule(s, r)
				if err != nil {
					return err
				}
				cur, _ := m.current()
				rows = append(rows, row{r.ID, r.SourceFormula, r.Title, string(r.Status), r.Ephemeral, m.completed, m.total(), stepJSON(cur), r.Assignee})
				next := "next: -"
				if cur != nil {
					next = "next: " + cur.bead.ID + " " + oneLineText(cur.bead.Title)
				}
				line := fmt.Sprintf("%s  %s  %d/%d  %s  %s", s.pal.cyan(r.ID), r.SourceFormula, m.completed, m.total(), r.Status, next)
				if r.Ephemeral {
					line += "  (wisp)"
				}
				lines = append(lines, line)
			}
			if s.asJSON {
				return s.printJSON(rows)
			}
			if len(lines) == 0 {
				fmt.Fprintln(s.e.stdout, "No molecules.")
				return nil
			}
			for _, l := range lines {
				fmt.Fprintln(s.e.stdout, l)
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&all, "all", false, "include closed molecules")
	return cmd
}

// stateMark is the tree symbol of a step: ✓ closed, ▶ being worked, ○ other.
func stateMark(st models.Status) string {
	switch {
	case st.Done():
		return "✓"
	case st == models.StatusInProgress || st == models.StatusHooked:
		return "▶"
	}
	return "○"
}

func newMolShowCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "show <id>",
		Short: "Show a molecule's steps as a tree with their states",
		Args:  exactArgs(1, "molecule ID"),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			m, err := getMolecule(s, args[0])
			if err != nil {
				return err
			}
			if s.asJSON {
				steps := []molStepJSON{}
				for i := range m.steps {
					j := stepJSON(&m.steps[i])
					j.BlockedBy = m.steps[i].blockedBy
					if j.BlockedBy == nil {
						j.BlockedBy = []string{}
					}
					steps = append(steps, *j)
				}
				return s.printJSON(map[string]any{
					"id": m.root.ID, "title": m.root.Title, "status": m.root.Status, "formula": m.root.SourceFormula,
					"ephemeral": m.root.Ephemeral, "completed": m.completed, "total": m.total(), "steps": steps,
				})
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%s: %s [%s] %d/%d\n", m.root.ID, m.root.Title, m.root.Status, m.completed, m.total())
			// last[d] says whether the latest step seen at depth d is the last
			// of its siblings, to draw │ or blank above deeper lines.
			for i, st := range m.steps {
				lastSibling := true
				for _, later := range m.steps[i+1:] {
					if later.depth < st.depth {
						break
					}
					if later.depth == st.depth {
						lastSibling = false
						break
					}
				}
				var prefix strings.Builder
				for d := 0; d < st.depth; d++ {
					if ancestorHasMore(m.steps, i, d) {
						prefix.WriteString("│   ")
					} else {
						prefix.WriteString("    ")
					}
				}
				branch := "├── "
				if lastSibling {
					branch = "└── "
				}
				line := fmt.Sprintf("%s%s%s %s %s", prefix.String(), branch, stateMark(st.bead.Status), st.bead.ID, oneLineText(st.bead.Title))
				if len(st.blockedBy) > 0 {
					line += " (blocked by " + strings.Join(st.blockedBy, ", ") + ")"
				}
				b.WriteString(line + "\n")
			}
			_, err = io.WriteString(s.e.stdout, b.String())
			return err
		}),
	}
}

// ancestorHasMore reports whether the ancestor of steps[i] at depth d has a
// later sibling (so a │ continues through this line).
func ancestorHasMore(steps []molStep, i, d int) bool {
	// Find the ancestor at depth d: the nearest earlier step at that depth.
	a := -1
	for j := i - 1; j >= 0; j-- {
		if steps[j].depth == d {
			a = j
			break
		}
	}
	if a < 0 {
		return false
	}
	for _, later := range steps[a+1:] {
		if later.depth < d {
			return false
		}
		if later.depth == d {
			return true
		}
	}
	return false
}

func newMolCurrentCommand(e *env) *cobra.Command {
	var forAddr string
	cmd := &cobra.Command{
		Use:   "current [id]",
		Short: "Show the step to work on now",
		Args:  cobra.MaximumNArgs(1),
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, args []string) error {
			var mols []*molecule
			addr := forAddr
			if addr == "" {
				addr = s.actor
			}
			if len(args) == 1 {
				m, err := getMolecule(s, args[0])
				if err != nil {
					return err
				}
				mols = append(mols, m)
			} else {
				var err error
				if mols, err = moleculesFor(s, addr); err != nil {
					return err
				}
			}
			type currentJSON struct {
				MoleculeID    string         `json:"molecule_id"`
				MoleculeTitle string         `json:"molecule_title"`
				CurrentStep   *molStepJSON   `json:"current_step"`
				NextStep      *molStepJSON   `json:"next_step"`
				Steps         []stepStateRow `json:"steps"`
				Completed     int            `json:"completed"`
				Total         int            `json:"total"`
			}
			out := []currentJSON{}
			var b strings.Builder
			for _, m := range mols {
				cur, next := m.current()
				rows := []stepStateRow{}
				for _, st := range m.steps {
					rows = append(rows, stepStateRow{st.bead.ID, string(st.bead.Status)})
				}
				out = append(out, currentJSON{m.root.ID, m.root.Title, stepJSON(cur), stepJSON(next), rows, m.completed, m.total()})
				fmt.Fprintf(&b, "Molecule: %s  %s  %d/%d\n", m.root.ID, m.root.Title, m.completed, m.total())
				switch {
				case cur != nil:
					fmt.Fprintf(&b, "Current:  %s %s [%s]\n", cur.bead.ID, oneLineText(cur.bead.Title), cur.bead.Status)
					for _, line := range strings.Split(strings.TrimRight(cur.bead.Description, "\n"), "\n") {
						if line != "" {
							fmt.Fprintf(&b, "          %s\n", line)
						}
					}
				case m.completed == m.total():
					b.WriteString("Current:  (all steps done)\n")
				default:
					b.WriteString("Current:  (nothing ready: every open step is blocked)\n")
				}
				if next != nil {
					fmt.Fprintf(&b, "Next:     %s %s\n", next.bead.ID, oneLineText(next.bead.Title))
				}
			}
			if s.asJSON {
				if len(args) == 1 {
					return s.printJSON(out[0])
				}
				return s.printJSON(out)
			}
			if len(mols) == 0 {
				fmt.Fprintf(s.e.stdout, "No molecule in progress for %s.\n", addr)
				return nil
			}
			_, err := io.WriteString(s.e.stdout, b.String())
			return err
		}),
	}
	cmd.Flags().StringVar(&forAddr, "for", "", "whose molecule (default: the caller)")
	return cmd
}

type stepStateRow struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// moleculesFor finds the molecules hooked to or in progress for addr: open
// roots assigned to it, and roots with a step it is working on.
func moleculesFor(s *bdSession, addr string) ([]*molecule, error) {
	roots, err := allMolecules(s, false)
	if err != nil {
		return nil, err
	}
	var out []*molecule
	for _, r := range roots {
		m, err := loadMolecule(s, r)
		if err != nil {
			return nil, err
		}
		mine := r.Assignee == addr && (r.Status == models.StatusHooked || r.Status == models.StatusInProgress || r.Status == models.StatusOpen)
		if !mine {
			mine = slices.ContainsFunc(m.steps, func(st molStep) bool {
				return st.bead.Assignee == addr && (st.bead.Status == models.StatusInProgress || st.bead.Status == models.StatusHooked)
			})
		}
		if mine {
			out = append(out, m)
		}
	}
	return out, nil
}
