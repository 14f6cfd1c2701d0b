package town

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFallbackBranch(t *testing.T) {
	cases := []struct {
		heads, want, err string
	}{
		{"main", "main", ""},
		{"feature\nmain\nmaster", "main", ""},
		{"master\ntopic", "master", ""},
		{"trunk", "trunk", ""},
		{"a\nb", "", "cannot tell the repository's default branch (use --branch)"},
		{"", "", "cannot tell the repository's default branch (use --branch)"},
	}
	for _, c := range cases {
		got, err := fallbackBranch(c.heads)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("fallbackBranch(%q) error %v, want %q", c.heads, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("fallbackBranch(%q) = %q, %v; want %q", c.heads, got, err, c.want)
		}
	}
}

// TestRigAddDanglingHead adds a bare repository whose HEAD still names
// master (git init --bare) while only main was pushed: a common first setup.
func TestRigAddDanglingHead(t *testing.T) {
	getenv := installEnv(t)
	ctx := context.Background()
	base := t.TempDir()
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	origin := filepath.Join(base, "origin.git")
	run(base, "init", "-q", "--bare", "-b", "master", origin)
	work := filepath.Join(base, "work")
	run(base, "init", "-q", "-b", "main", work)
	if err := os.WriteFile(filepath.Join(work, "README.md"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(work, "add", ".")
	run(work, "commit", "-qm", "init")
	run(work, "push", "-q", origin, "main")

	if _, err := Install(ctx, InstallOptions{Path: "town", Cwd: base, Getenv: getenv}); err != nil {
		t.Fatal(err)
	}
	tw, err := Open(filepath.Join(base, "town"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tw.AddRig(ctx, RigAddOptions{Name: "proj", Repo: origin})
	if err != nil {
		t.Fatalf("rig add: %v", err)
	}
	if res.Branch != "main" {
		t.Fatalf("branch %q, want main", res.Branch)
	}
	out, err := exec.Command("git", "--git-dir", filepath.Join(base, "town", "proj", ".repo.git"), "symbolic-ref", "--short", "HEAD").Output()
	if err != nil || strings.TrimSpace(string(out)) != "main" {
		t.Fatalf("bare HEAD %q, %v; want main", out, err)
	}
}

// TestGitErrorUsesStdout: git commit with nothing to commit explains itself
// only on stdout; the error must say so rather than "exit status 1".
func TestGitErrorUsesStdout(t *testing.T) {
	dir := t.TempDir()
	if _, err := git(context.Background(), dir, "init", "-q"); err != nil {
		t.Fatal(err)
	}
	_, err := git(context.Background(), dir, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-m", "x")
	if err == nil || !strings.Contains(err.Error(), "nothing to commit") {
		t.Fatalf("err = %v, want git's nothing-to-commit line", err)
	}
}
