package dashboard

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRunExecShape: commands are exec'd from the executable with argv[0]
// gt or bd, in the town root, as the overseer, with quoted arguments kept
// whole and nothing expanded.
func TestRunExecShape(t *testing.T) {
	t.Setenv(fakeExeEnv, "echo")
	t.Setenv("GT_RIG", "leaked")
	t.Setenv("BD_ACTOR", "mayor")
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw, Exe: testExe(t)})
	cases := []struct {
		command string
		args    []string
	}{
		{`convoy list`, []string{"gt", "convoy", "list"}},
		{`gt convoy show 2`, []string{"gt", "convoy", "show", "2"}},
		{`bd show hq-mayor`, []string{"bd", "show", "hq-mayor"}},
		{`bd mol list`, []string{"bd", "mol", "list"}},
		{`  bd   list  -s "in_progress"  `, []string{"bd", "list", "-s", "in_progress"}},
		{`bd show 'a b' "c d" e'f g'h`, []string{"bd", "show", "a b", "c d", "ef gh"}},
		{`bd show ~ * ?`, []string{"bd", "show", "~", "*", "?"}},
		{`mail send mayor -s "Hi there" -m 'It''s done'`, []string{"gt", "mail", "send", "mayor", "-s", "Hi there", "-m", "Its done"}},
		{`feed --plain -n 5`, []string{"gt", "feed", "--plain", "-n", "5"}},
	}
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"command": c.command, "confirmed": true})
		code, m := ts.run(t, string(body))
		if code != http.StatusOK || m["ok"] != true {
			t.Errorf("%s: %d %v", c.command, code, m)
			continue
		}
		var got struct {
			Args       []string `json:"args"`
			Cwd        string   `json:"cwd"`
			BDActor    string   `json:"bd_actor"`
			GTTownRoot string   `json:"gt_town_root"`
			GTRig      string   `json:"gt_rig"`
		}
		if err := json.Unmarshal([]byte(m["stdout"].(string)), &got); err != nil {
			t.Fatalf("%s: stdout %q: %v", c.command, m["stdout"], err)
		}
		if strings.Join(got.Args, "\x00") != strings.Join(c.args, "\x00") {
			t.Errorf("%s: argv %q, want %q", c.command, got.Args, c.args)
		}
		cwd, _ := filepath.EvalSymlinks(got.Cwd)
		root, _ := filepath.EvalSymlinks(tw.Root)
		if cwd != root {
			t.Errorf("%s: cwd %s, want the town root %s", c.command, got.Cwd, tw.Root)
		}
		if got.BDActor != "overseer" || got.GTTownRoot != tw.Root || got.GTRig != "" {
			t.Errorf("%s: BD_ACTOR=%q GT_TOWN_ROOT=%q GT_RIG=%q", c.command, got.BDActor, got.GTTownRoot, got.GTRig)
		}
	}
}

// TestRunTimeout: a command that outlives its timeout gets 504 with what it
// printed so far, and its whole process group is killed.
func TestRunTimeout(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(fakeExeEnv, "hang")
	t.Setenv(fakeExeDir, dir)
	ts := startServer(t, Options{Town: newTown(t), Exe: testExe(t)})
	start := time.Now()
	code, m := ts.run(t, `{"command":"agents","timeout":1}`)
	took := time.Since(start)
	if code != http.StatusGatewayTimeout {
		t.Fatalf("got %d %v, want 504", code, m)
	}
	if m["ok"] != false || !strings.Contains(m["stdout"].(string), "partial-out") || !strings.Contains(m["stderr"].(string), "partial-err") {
		t.Errorf("504 reply lacks the partial output: %v", m)
	}
	if !strings.Contains(m["error"].(string), "timed out") {
		t.Errorf("error %q", m["error"])
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("took %s for a 1 s timeout", took)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "child.pid"))
	if err != nil {
		t.Fatalf("child pid: %v", err)
	}
	pid, _ := strconv.Atoi(string(raw))
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out command still runs: the process group was not killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3, after the parenthesised command name, is the state.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// TestRunConcurrencyLimit: with 8 commands running the 9th gets 429, and
// once they end commands run again.
func TestRunConcurrencyLimit(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(fakeExeEnv, "block")
	t.Setenv(fakeExeDir, dir)
	ts := startServer(t, Options{Town: newTown(t), Exe: testExe(t)})
	var wg sync.WaitGroup
	codes := make([]int, maxRunning)
	for i := range maxRunning {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No t.Fatal off the test goroutine: record the status only.
			req, _ := http.NewRequest(http.MethodPost, ts.base+"/api/run", strings.NewReader(`{"command":"version","timeout":30}`))
			req.Header.Set("X-Dashboard-Token", ts.srv.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("command %d: %v", i, err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(ts.srv.slots) < maxRunning {
		if time.Now().After(deadline) {
			t.Fatalf("only %d commands started", len(ts.srv.slots))
		}
		time.Sleep(10 * time.Millisecond)
	}
	code, m := ts.run(t, `{"command":"version"}`)
	if code != http.StatusTooManyRequests || m["error"] != "too many commands running" {
		t.Errorf("9th command: %d %v, want 429 too many commands running", code, m)
	}
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusOK {
			t.Errorf("command %d: %d", i, c)
		}
	}
	if code, m := ts.run(t, `{"command":"version"}`); code != http.StatusOK {
		t.Errorf("after the 8 ended: %d %v", code, m)
	}
}
