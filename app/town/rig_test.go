package town

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeRepo creates a git repository with one commit on branch and, if
// extra is set, a second branch "dev" with another commit.
func makeRepo(t *testing.T, dir, branch string, extra bool) string {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	id := []string{"-c", "user.name=T", "-c", "user.email=t@example.com"}
	steps := [][]string{{"init", "-q", "-b", branch}}
	for _, s := range steps {
		if _, err := git(ctx, dir, s...); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(dir, "README.md"), "# r\n")
	if _, err := git(ctx, dir, "add", "README.md"); err != nil {
		t.Fatal(err)
	}
	if _, err := git(ctx, dir, append(id, "commit", "-q", "-m", "one")...); err != nil {
		t.Fatal(err)
	}
	if extra {
		if _, err := git(ctx, dir, "checkout", "-q", "-b", "dev"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "DEV.md"), "dev\n")
		if _, err := git(ctx, dir, "add", "DEV.md"); err != nil {
			t.Fatal(err)
		}
		if _, err := git(ctx, dir, append(id, "commit", "-q", "-m", "dev")...); err != nil {
			t.Fatal(err)
		}
		if _, err := git(ctx, dir, "checkout", "-q", branch); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestNormalizeRepo(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	repo := makeRepo(t, filepath.Join(base, "repo"), "main", false)
	plain := filepath.Join(base, "plain")
	if err := os.MkdirAll(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in, want, err string
	}{
		{"https://github.com/you/repo.git", "https://github.com/you/repo.git", ""},
		{"http://host/x", "http://host/x", ""},
		{"ssh://git@host/x.git", "ssh://git@host/x.git", ""},
		{"git@github.com:you/repo.git", "git@github.com:you/repo.git", ""},
		{"file:///srv/x.git", "file:///srv/x.git", ""},
		{"repo", repo, ""},
		{"./repo", repo, ""},
		{repo, repo, ""},
		{"plain", "", "is not a git repository"},
		{"missing", "", "not found"},
		{"--upload-pack=evil", "", "invalid repository"},
		{"", "", "repository is required"},
	}
	for _, c := range cases {
		got, err := NormalizeRepo(ctx, c.in, base, func(string) string { return "" })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q = %q %v, want %q", c.in, got, err, c.want)
		}
	}
}

func TestAddRigBranches(t *testing.T) {
	getenv := installEnv(t)
	ctx := context.Background()
	base := t.TempDir()
	res, err := Install(ctx, InstallOptions{Path: filepath.Join(base, "town"), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	tw := res.Town
	master := makeRepo(t, filepath.Join(base, "legacy"), "master", true)
	cases := []struct {
		name, repo, branch, prefix string
		wantBranch, wantPrefix     string
		wantFile                   string // in mayor/rig
	}{
		{name: "gastown", repo: master, wantBranch: "master", wantPrefix: "gt", wantFile: "README.md"},
		{name: "web_api", repo: master, branch: "dev", wantBranch: "dev", wantPrefix: "wa", wantFile: "DEV.md"},
		{name: "tools", repo: "file://" + master, prefix: "tl", wantBranch: "master", wantPrefix: "tl", wantFile: "README.md"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := tw.AddRig(ctx, RigAddOptions{Name: c.name, Repo: c.repo, Branch: c.branch, Prefix: c.prefix, Actor: "mayor"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Branch != c.wantBranch || r.Prefix != c.wantPrefix {
				t.Fatalf("branch %s prefix %s", r.Branch, r.Prefix)
			}
			for _, sub := range []string{"mayor/rig", "refinery/rig"} {
				if _, err := os.Stat(tw.Path(c.name, sub, c.wantFile)); err != nil {
					t.Errorf("%s lacks %s: %v", sub, c.wantFile, err)
				}
				head, err := git(ctx, tw.Path(c.name, sub), "rev-parse", "--abbrev-ref", "HEAD")
				if err != nil || head != c.wantBranch {
					t.Errorf("%s on %q (%v), want %s", sub, head, err, c.wantBranch)
				}
			}
			rc, err := tw.RigConfig(c.name)
			if err != nil || rc.DefaultBranch != c.wantBranch || rc.Beads.Prefix != c.wantPrefix || rc.Type != "rig" {
				t.Fatalf("rig config %+v %v", rc, err)
			}
		})
	}
	rigs, err := tw.ListRigs(ctx)
	if err != nil || len(rigs) != 3 || rigs[0].Name != "gastown" {
		t.Fatalf("ListRigs: %+v %v", rigs, err)
	}
	// The same derived prefix for another rig is refused.
	if _, err := tw.AddRig(ctx, RigAddOptions{Name: "gasTown", Repo: master}); err == nil || err.Error() != "prefix gt is already used by gastown" {
		t.Fatalf("derived prefix clash: %v", err)
	}
	if _, err := os.Stat(tw.Path("gasTown")); err == nil {
		t.Fatal("refused rig left its directory")
	}
}
