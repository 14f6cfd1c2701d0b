// Package formulas parses, validates and cooks formula TOML files (spec §7)
// into molecule protos, and finds formulas along the search path. It is
// pure: it reads formula files but never touches the beads store, so the
// same code serves bd cook, bd mol pour, gt sling and gt prime.
//
// # Pipeline
//
//	Parse (TOML → models.Formula, unknown-key warnings, per-file checks)
//	  → resolve extends → check needs and cycles → expand loops
//	  → convoy legs/synthesis → compose.expand / compose.map
//	  → aspects and advice → check variable values
//	  → conditions (when pouring) → substitute {{vars}} → Proto
//
// Every stage collects problems instead of stopping at the first one, so a
// failed cook returns one *ValidationError listing them all, each as
// `<file>:<line>:<col>: <message>`. A TOML syntax error is a *SyntaxError,
// reported alone. A missing formula is a *NotFoundError
// (errors.Is(err, ErrNotFound)).
//
// # Using it from other packages
//
// Resolve a formula by name along the search path, validate it with vars and
// get the cooked steps:
//
//	sp := formulas.SearchPathFor(townRoot, cwd, homeDir)
//	// or formulas.NewSearchPath(rigCheckout, townRoot, homeDir); "" leaves a level out
//	vars, err := formulas.ParseVars(varFlags) // `invalid --var "X" (expected key=value)`
//	proto, err := sp.Cook("mol-polecat-work", formulas.CookOptions{
//		Vars: map[string]string{"issue": id, "feature": title},
//	})
//	// err: *ValidationError (print err.Lines(), then err), *SyntaxError or
//	// *NotFoundError. proto.Warnings holds unknown keys etc.
//
// Only validate (what gt sling needs before attaching a formula it does not
// pour): cook as above; or, without vars, formulas.Validate(file, loader).
//
// Render the checklist gt prime shows:
//
//	proto.WriteChecklist(w, isPolecat) // "## Formula checklist: <name>", "N. [ ] <title>", ...
//
// Pour a molecule: cook with CookOptions{Pour: true} (conditions are then
// evaluated), then formulas.PlanPour(proto, PourOptions{Wisp, Assignee})
// gives the root bead and the step beads in order, with their parents and
// needs; the caller creates them in one store transaction (cmd/gt's
// pourPlan does this with beads.Tx).
//
// CallerCheckout(town, cwd) is the §7.4 rig level for a directory (its git
// checkout, else <rig>/mayor/rig). Lower-level pieces: (*SearchPath).Find(name) (*Source, error),
// LoadFormula(name) (*File, error), Load(nameOrPath) (*File, Loader, error)
// for arguments that may be file paths, List() for bd formula list, Parse
// for bytes, Cook(file, loader, opts), Substitute and Placeholders for
// {{var}} text, and (*Proto).WriteText / JSON for bd cook output.
//
// # Search path (§7.4)
//
// <rig checkout>/.beads/formulas, <town>/.beads/formulas,
// ~/.beads/formulas, then the formulas embedded from embedded/*.formula.toml
// (release, mol-polecat-work, code-review, tdd, bugfix, feature). Earlier
// directories shadow later ones.
package formulas
