package town

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// installEnv isolates git from the developer's configuration.
func installEnv(t *testing.T) func(string) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env := map[string]string{"HOME": home, "USER": "ann"}
	return func(k string) string { return env[k] }
}

func TestInstall(t *testing.T) {
	getenv := installEnv(t)
	ctx := context.Background()
	base := t.TempDir()

	cases := []struct {
		name string
		opts InstallOptions
		err  string
		want []string // files that must exist afterwards
	}{
		{name: "plain", opts: InstallOptions{Path: "plain", Name: "hq1", Owner: "o@example.com"},
			want: []string{"mayor/town.json", "mayor/rigs.json", "mayor/overseer.json", "CLAUDE.md", "AGENTS.md", ".beads/beads.db", ".beads/issues.jsonl", ".beads/formulas", ".runtime", ".events.jsonl"}},
		{name: "git", opts: InstallOptions{Path: "withgit", Git: true}, want: []string{".git", ".gitignore"}},
		{name: "tilde", opts: InstallOptions{Path: "~/tilde"}, want: []string{"mayor/town.json"}},
		{name: "over a town", opts: InstallOptions{Path: "plain"}, err: "plain is already a Gas Town workspace (use --force)"},
		{name: "inside a town", opts: InstallOptions{Path: "plain/sub/inner"}, err: "cannot create a town inside another town (" + filepath.Join(base, "plain") + ")"},
		{name: "bad owner", opts: InstallOptions{Path: "owner", Owner: "not-an-email"}, err: "invalid --owner"},
		{name: "force keeps town.json", opts: InstallOptions{Path: "plain", Force: true, Name: "renamed"}, want: []string{"mayor/town.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Cwd, c.opts.Getenv = base, getenv
			before, _ := filepath.Glob(filepath.Join(base, "*"))
			res, err := Install(ctx, c.opts)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				after, _ := filepath.Glob(filepath.Join(base, "*"))
				if len(after) != len(before) {
					t.Fatalf("refusal created something: %v → %v", before, after)
				}
				if _, err := os.Stat(filepath.Join(base, "plain", "sub")); err == nil {
					t.Fatal("refusal created a directory")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range c.want {
				if _, err := os.Stat(res.Town.Path(f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			if c.name == "tilde" && res.Town.Root != filepath.Join(getenv("HOME"), "tilde") {
				t.Errorf("~ not expanded: %s", res.Town.Root)
			}
		})
	}
	// --force over a town whose town.json is broken refuses and changes
	// nothing (overseer.json included).
	broken := filepath.Join(base, "withgit")
	writeFile(t, filepath.Join(broken, TownConfigFile), "{oops")
	ovBefore, _ := os.ReadFile(filepath.Join(broken, OverseerFile))
	if _, err := Install(ctx, InstallOptions{Path: broken, Force: true, Getenv: getenv}); err == nil || !strings.Contains(err.Error(), "invalid JSON at line 1 col 2") {
		t.Fatalf("--force over broken town.json: %v", err)
	}
	if ovAfter, _ := os.ReadFile(filepath.Join(broken, OverseerFile)); string(ovAfter) != string(ovBefore) {
		t.Fatal("refused --force rewrote overseer.json")
	}
	tw, err := Open(filepath.Join(base, "plain"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := tw.TownConfig()
	if err != nil || tc.Name != "hq1" || tc.Owner != "o@example.com" || tc.Version != 2 {
		t.Fatalf("--force changed town.json: %+v %v", tc, err)
	}
	ov, err := tw.Overseer()
	if err != nil || ov.Name != "ann" || ov.Source != "env" {
		t.Fatalf("overseer: %+v %v", ov, err)
	}
	st, _ := os.Stat(tw.RuntimeDir())
	if st.Mode().Perm() != 0o700 {
		t.Fatalf(".runtime mode %v", st.Mode().Perm())
	}
}

func TestInstallGitIdentity(t *testing.T) {
	getenv := installEnv(t)
	gitcfg := filepath.Join(getenv("HOME"), ".gitconfig")
	writeFile(t, gitcfg, "[user]\n\tname = Ann Example\n\temail = ann@example.com\n")
	res, err := Install(context.Background(), InstallOptions{Path: filepath.Join(t.TempDir(), "town"), Git: true, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	ov, _ := res.Town.Overseer()
	tc, _ := res.Town.TownConfig()
	if ov.Name != "Ann Example" || ov.Email != "ann@example.com" || ov.Source != "git-config" || tc.Owner != "ann@example.com" {
		t.Fatalf("overseer %+v owner %q", ov, tc.Owner)
	}
	author, err := git(context.Background(), res.Town.Root, "log", "-1", "--format=%an <%ae> %s")
	if err != nil || author != "Ann Example <ann@example.com> Initialize Gas Town" {
		t.Fatalf("commit: %q %v", author, err)
	}
}

// TestDoctorAgentChecks covers hooked-to-unknown-agent and stalled-polecats
// against a real store.
func TestDoctorAgentChecks(t *testing.T) {
	getenv := installEnv(t)
	ctx := context.Background()
	res, err := Install(ctx, InstallOptions{Path: filepath.Join(t.TempDir(), "town"), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	tw := res.Town
	if err := tw.SaveRigs(&RigsRegistry{Version: 1, Rigs: map[string]RigEntry{"mp": {GitURL: "x", DefaultBranch: "main", Beads: BeadsRef{Prefix: "mp"}}}}); err != nil {
		t.Fatal(err)
	}
	hooked := models.StatusHooked
	mk := func(title, assignee string) {
		err := tw.WithStore(ctx, func(s *beads.Store) error {
			return s.Write(ctx, "mayor", func(tx *beads.Tx) error {
				b, err := tx.Create(&models.Bead{Title: title}, beads.CreateOpts{Prefix: "hq"})
				if err != nil {
					return err
				}
				_, err = tx.Update(b.ID, beads.Update{Status: &hooked, Assignee: &assignee})
				return err
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if f := checkHookedUnknown(ctx, tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("empty: %+v", f)
	}
	mk("polecat work", "mp/polecats/nux")
	mk("mayor work", "mayor")
	if f := checkHookedUnknown(ctx, tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("known agents: %+v", f)
	}
	mk("lost work", "zz/polecats/nux")
	mk("crew that is not there", "mp/crew/ghost")
	f := checkHookedUnknown(ctx, tw, DoctorOptions{})
	if f.status != CheckError || !strings.Contains(f.message, "zz/polecats/nux") || !strings.Contains(f.message, "mp/crew/ghost") || strings.Contains(f.message, "mp/polecats/nux") {
		t.Fatalf("unknown agents: %+v", f)
	}
	if f := checkStalledPolecats(ctx, tw, DoctorOptions{Now: time.Now()}); f.status != CheckOK {
		t.Fatalf("fresh work stalled: %+v", f)
	}
	f = checkStalledPolecats(ctx, tw, DoctorOptions{Now: time.Now().Add(20 * time.Minute)})
	if f.status != CheckWarning || !strings.Contains(f.message, "mp/polecats/nux") || strings.Contains(f.message, "mayor") {
		t.Fatalf("stalled: %+v", f)
	}
	if f := checkJSONLSync(ctx, tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("jsonl sync after WithStore: %+v", f)
	}
	// Out of sync: the file loses a line; --fix exports again.
	writeFile(t, tw.IssuesJSONL(), "")
	f = checkJSONLSync(ctx, tw, DoctorOptions{})
	if f.status != CheckError || f.fix == nil {
		t.Fatalf("emptied jsonl: %+v", f)
	}
	if err := f.fix(ctx); err != nil {
		t.Fatal(err)
	}
	if f := checkJSONLSync(ctx, tw, DoctorOptions{}); f.status != CheckOK {
		t.Fatalf("after fix: %+v", f)
	}
}
