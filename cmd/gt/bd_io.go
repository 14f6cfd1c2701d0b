package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gastown/gt/beads"
)

func newBDInitCommand(e *env) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a beads database in .beads/ of this directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := newSession(cmd, e)
			if err != nil {
				return err
			}
			dbPath := filepath.Join(s.place.cwd, ".beads", "beads.db")
			if dbFlag, _ := cmd.Flags().GetString("db"); dbFlag != "" {
				if dbPath, err = filepath.Abs(dbFlag); err != nil {
					return fmt.Errorf("--db %s: %w", dbFlag, err)
				}
			}
			if bdIsFile(dbPath) {
				return fmt.Errorf("%s already exists (this directory is already initialized)", dbPath)
			}
			if prefix == "" {
				prefix = prefixFromDir(filepath.Dir(filepath.Dir(dbPath)))
				if prefix == "" {
					return errors.New("prefix is required (bd init --prefix <p>)")
				}
			}
			if err := beads.ValidatePrefix(prefix); err != nil {
				return err
			}
			st, err := beads.Open(s.ctx, dbPath)
			if err != nil {
				return err
			}
			s.store = st
			defer s.Close()
			if n, ok := st.Rebuilt(); ok {
				fmt.Fprintf(e.stderr, "Rebuilt beads.db from issues.jsonl (%d issues)\n", n)
			}
			if err := st.SetDefaultPrefix(s.ctx, prefix); err != nil {
				return err
			}
			jsonl := st.JSONLPath()
			if !bdIsFile(jsonl) {
				if err := os.WriteFile(jsonl, nil, 0o644); err != nil {
					return fmt.Errorf("create %s: %w", jsonl, err)
				}
			}
			if s.asJSON {
				return s.printJSON(map[string]string{"path": dbPath, "jsonl": jsonl, "prefix": prefix})
			}
			fmt.Fprintln(e.stdout, s.pal.ok(fmt.Sprintf("Initialized beads database %s (prefix %s)", dbPath, prefix)))
			return nil
		},
	}
	cmd.Flags().StringVarP(&prefix, "prefix", "p", "", "ID prefix of new beads (default: the directory name)")
	return cmd
}

// nonPrefixChars are the characters a directory name loses on its way to a
// prefix.
var nonPrefixChars = regexp.MustCompile(`[^a-z0-9-]+`)

// prefixFromDir derives a default prefix from a directory name, as the
// original bd init does; "" when nothing usable is left.
func prefixFromDir(dir string) string {
	p := nonPrefixChars.ReplaceAllString(strings.ToLower(filepath.Base(dir)), "")
	p = strings.TrimLeft(p, "0123456789-")
	if len(p) > 20 {
		p = p[:20]
	}
	p = strings.TrimRight(p, "-")
	if beads.ValidatePrefix(p) != nil {
		return ""
	}
	return p
}

func newBDExportCommand(e *env) *cobra.Command {
	var out, prefix string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the beads as JSONL (default: issues.jsonl beside the database)",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			path := s.store.JSONLPath()
			if out != "" {
				abs, err := filepath.Abs(out)
				if err != nil {
					return fmt.Errorf("-o %s: %w", out, err)
				}
				path = abs
			}
			if prefix != "" {
				if err := beads.ValidatePrefix(prefix); err != nil {
					return err
				}
			}
			n, err := s.store.Export(s.ctx, path, beads.ExportOpts{Prefix: prefix})
			if err != nil {
				return err
			}
			if s.asJSON {
				return s.printJSON(map[string]any{"exported": n, "path": path})
			}
			fmt.Fprintln(e.stdout, s.pal.ok(fmt.Sprintf("Exported %d issues to %s", n, path)))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "file to write")
	cmd.Flags().StringVar(&prefix, "prefix", "", "only beads with this prefix")
	return cmd
}

// importResult is the bd import --json shape.
type importResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
}

func newBDImportCommand(e *env) *cobra.Command {
	var in string
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Merge beads from JSONL (default: issues.jsonl beside the database; -i - reads stdin)",
		Args:  cobra.NoArgs,
		RunE: withBeads(e, func(cmd *cobra.Command, s *bdSession, _ []string) error {
			var r io.Reader
			name := in
			switch in {
			case "-":
				r, name = e.stdin, "stdin"
			case "":
				name = s.store.JSONLPath()
				fallthrough
			default:
				f, err := os.Open(name)
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r = f
			}
			res, err := s.store.Import(s.ctx, r, name)
			if err != nil {
				return err
			}
			s.finishWrite()
			out := importResult{Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, Skipped: res.Skipped}
			if s.asJSON {
				return s.printJSON(out)
			}
			// The spec's exact line; skipped beads (older than the stored
			// ones, or tombstoned) are counted in --json only.
			fmt.Fprintln(e.stdout, s.pal.ok(fmt.Sprintf("Imported: %d created, %d updated, %d unchanged", out.Created, out.Updated, out.Unchanged)))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&in, "input", "i", "", "file to read (- for stdin)")
	return cmd
}
