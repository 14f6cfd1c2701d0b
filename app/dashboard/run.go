package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultRunTimeout is a palette command's timeout when the request names
// none.
const DefaultRunTimeout = 30 * time.Second

// runRequest is the body of POST /api/run.
type runRequest struct {
	Command   string   `json:"command"`
	Confirmed bool     `json:"confirmed"`
	Timeout   *float64 `json:"timeout"`
}

// RunResult is the reply of POST /api/run. Error is set only for a timeout
// (504), which still carries the partial output.
type RunResult struct {
	OK         bool   `json:"ok"`
	ExitCode   int    `json:"exit_code"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// handleRun serves POST /api/run. The method, Host and Origin checks ran in
// the guard; the rest follow here in the order of spec §10.
func (s *Server) handleRun(w http.ResponseWriter, r *http.Request) {
	if !s.tokenOK(r) {
		writeError(w, http.StatusForbidden, "invalid dashboard token")
		return
	}
	if r.ContentLength > maxBody {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	req, err := decodeRunRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body")
		return
	}
	argv, err := splitCommand(req.Command)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(argv) > 0 && argv[0] == "gt" {
		argv = argv[1:] // "gt convoy list" means "convoy list"
	}
	if len(argv) == 0 {
		writeError(w, http.StatusBadRequest, "command is required")
		return
	}
	for _, a := range argv {
		if !validArg(a) {
			writeError(w, http.StatusBadRequest, "invalid character in argument")
			return
		}
	}
	if hasForce(argv) {
		writeError(w, http.StatusForbidden, "--force is not allowed from the dashboard")
		return
	}
	entry, ok := matchCommand(allowList(), argv)
	if !ok {
		writeError(w, http.StatusForbidden, "command not allowed: "+leadingWords(argv))
		return
	}
	if entry.Confirm && !req.Confirmed {
		writeError(w, http.StatusConflict, "confirmation required")
		return
	}
	timeout := DefaultRunTimeout
	if req.Timeout != nil {
		t := *req.Timeout
		if math.IsNaN(t) || t < 1 || t > 60 {
			writeError(w, http.StatusBadRequest, "timeout must be 1-60 seconds")
			return
		}
		timeout = time.Duration(t * float64(time.Second))
	}
	select {
	case s.slots <- struct{}{}:
	default:
		writeError(w, http.StatusTooManyRequests, "too many commands running")
		return
	}
	defer func() { <-s.slots }()

	// The reply is written after the command ends, possibly later than the
	// server's write timeout allows by default.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + 15*time.Second))
	res, timedOut, err := s.runCommand(r.Context(), argv, timeout)
	switch {
	case timedOut:
		res.Error = fmt.Sprintf("command timed out after %s", timeout)
		writeJSON(w, http.StatusGatewayTimeout, res)
	case err != nil:
		s.log.Error("dashboard run", "command", strings.Join(argv, " "), "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// decodeRunRequest parses exactly one JSON object with the known fields.
func decodeRunRequest(body []byte) (runRequest, error) {
	var req runRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, err
	}
	if dec.More() {
		return req, errors.New("trailing data after the request object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, errors.New("trailing data after the request object")
	}
	return req, nil
}

// runCommand runs argv (gt words, or "bd" and its words) from the gt
// executable with argv[0] set for multi-call dispatch, in the town root, as
// the overseer, in its own process group. On timeout the whole group is
// killed and timedOut is true; the result holds what was printed so far.
func (s *Server) runCommand(ctx context.Context, argv []string, timeout time.Duration) (RunResult, bool, error) {
	if s.exe == "" {
		return RunResult{}, false, errors.New("dashboard has no gt executable to run commands with")
	}
	prog, args := "gt", argv
	if argv[0] == "bd" {
		prog, args = "bd", argv[1:]
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.exe)
	cmd.Args = append([]string{prog}, args...)
	cmd.Dir = s.town.Root
	cmd.Env = commandEnv(os.Environ(), s.town.Root)
	stdout, stderr := &capped{max: maxOutput}, &capped{max: maxOutput}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Negative pid: the whole process group, so children die too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	// Children that inherited the output pipes must not hold the reply.
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	res := RunResult{Stdout: stdout.String(), Stderr: stderr.String(), DurationMS: time.Since(start).Milliseconds()}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.ExitCode = -1
		return res, true, nil
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		res.OK = true
	case errors.As(err, &exitErr):
	case errors.Is(err, exec.ErrWaitDelay):
		res.OK = res.ExitCode == 0
	default:
		return res, false, fmt.Errorf("run %s %s: %w", prog, strings.Join(args, " "), err)
	}
	return res, false, nil
}

// commandEnv is the environment of a palette command: the dashboard's own,
// minus any identity or town it inherited, plus the town and the overseer
// as the actor.
func commandEnv(env []string, root string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GT_") || k == "BD_ACTOR" {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GT_TOWN_ROOT="+root, "BD_ACTOR=overseer")
}

// capped is a goroutine-safe buffer that keeps the first max bytes and
// notes that the rest was dropped.
type capped struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int
	dropped bool
}

// Write keeps what fits and reports everything written, so the command
// never blocks or fails on a full buffer.
func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.max - c.buf.Len()
	if room < len(p) {
		c.dropped = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// String is the kept output, marked when some was dropped.
func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.buf.String()
	if c.dropped {
		s += "\n… output truncated"
	}
	return s
}
