package town

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// GitError is a failed git command; its message is git's first error line.
type GitError struct {
	Args   []string
	Stderr string
	// Stdout is kept because some failures (e.g. "nothing to commit") are
	// only explained there.
	Stdout string
	Err    error
}

// Error returns git's first error line.
func (e *GitError) Error() string {
	if l := firstErrorLine(e.Stderr); l != "" {
		return l
	}
	if l := lastLine(e.Stdout); l != "" {
		return l
	}
	return fmt.Sprintf("git %s: %v", strings.Join(e.Args, " "), e.Err)
}

// Unwrap returns the exec error.
func (e *GitError) Unwrap() error { return e.Err }

// lastLine is the last non-empty line of s: where git ends a failure it
// prints only on stdout (nothing to commit, merge summaries).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// firstErrorLine picks the first "fatal:"/"error:" line of git's stderr,
// else its first non-empty line that is not progress chatter.
func firstErrorLine(stderr string) string {
	var first string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.LastIndexByte(l, '\r'); i >= 0 {
			l = strings.TrimSpace(l[i+1:])
		}
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "fatal:") || strings.HasPrefix(l, "error:") {
			return l
		}
		if first == "" && !strings.HasPrefix(l, "Cloning into") && !strings.HasPrefix(l, "warning:") {
			first = l
		}
	}
	return first
}

// gitEnv is the environment git runs with: never prompt for credentials,
// stable messages.
func gitEnv() []string {
	return append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_ASKPASS=")
}

// git runs git with argv in dir and returns its trimmed stdout. User text is
// only ever passed as separate argv elements, never through a shell.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitProgress(ctx, dir, nil, args...)
}

// gitProgress is git that also copies git's stderr (progress) to progress.
func gitProgress(ctx context.Context, dir string, progress io.Writer, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	if progress != nil {
		cmd.Stderr = io.MultiWriter(&errb, progress)
	} else {
		cmd.Stderr = &errb
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		var ee *exec.Error
		if errors.As(err, &ee) {
			return "", fmt.Errorf("git is not installed or not on PATH: %w", err)
		}
		return "", &GitError{Args: args, Stderr: errb.String(), Stdout: out.String(), Err: err}
	}
	return strings.TrimRight(out.String(), "\r\n"), nil
}

var gitVersionRE = regexp.MustCompile(`(\d+)\.(\d+)(?:\.(\d+))?`)

// GitVersion returns git's version as major, minor, patch.
func GitVersion(ctx context.Context) (int, int, int, error) {
	out, err := git(ctx, "", "version")
	if err != nil {
		return 0, 0, 0, err
	}
	m := gitVersionRE.FindStringSubmatch(out)
	if m == nil {
		return 0, 0, 0, fmt.Errorf("cannot read git version from %q", out)
	}
	maj, _ := strconv.Atoi(m[1])
	mn, _ := strconv.Atoi(m[2])
	p, _ := strconv.Atoi(m[3])
	return maj, mn, p, nil
}
