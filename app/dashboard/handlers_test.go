package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gastown/gt/beads"
	"github.com/gastown/gt/models"
)

// do sends a request to the test server; host, when set, replaces the Host
// header.
func (ts *testServer) do(t *testing.T, method, path, host string, hdr map[string]string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// run posts a JSON body to /api/run with the right token.
func (ts *testServer) run(t *testing.T, body string) (int, map[string]any) {
	t.Helper()
	resp, b := ts.do(t, http.MethodPost, "/api/run", "", map[string]string{
		"X-Dashboard-Token": ts.srv.Token(), "Content-Type": "application/json",
	}, strings.NewReader(body))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, m
}

func TestPageRoute(t *testing.T) {
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})
	resp, body := ts.do(t, http.MethodGet, "/", "", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	page := string(body)
	if !strings.Contains(page, "<title>Gas Town Dashboard</title>") {
		t.Error("page has no title Gas Town Dashboard")
	}
	m := regexp.MustCompile(`<meta name="dashboard-token" content="([0-9a-f]+)">`).FindStringSubmatch(page)
	if m == nil || m[1] != ts.srv.Token() {
		t.Errorf("dashboard-token meta = %v, want the server token", m)
	}
	for _, id := range []string{"convoys", "agents", "problems", "ready", "hooked", "merge-queue", "mail", "activity", "palette", "palette-input", "palette-run", "palette-output", "confirm-dialog"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("page lacks #%s", id)
		}
	}
	for _, src := range []string{`data-fallback-ms="30000"`, `src="/static/htmx.min.js"`, `src="/static/sse.min.js"`, `sse-connect="/api/events`, `hx-trigger="sse:dashboard-update`} {
		if !strings.Contains(page, src) {
			t.Errorf("page lacks %s", src)
		}
	}
	if strings.Contains(page, "https://") || strings.Contains(page, "//unpkg") || strings.Contains(page, "cdn") {
		t.Error("page references an external resource")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}

	// Only exact paths exist; everything answers only on GET/HEAD.
	if resp, _ := ts.do(t, http.MethodGet, "/nope", "", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope: %s", resp.Status)
	}
	if resp, body := ts.do(t, http.MethodPost, "/", "", nil, nil); resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(body), `"error"`) {
		t.Errorf("POST /: %s %s", resp.Status, body)
	}
	// A second token per start: a new server has another token.
	ts2 := startServer(t, Options{Town: tw})
	if ts2.srv.Token() == ts.srv.Token() || len(ts.srv.Token()) < 32 {
		t.Errorf("tokens not random per start: %q %q", ts.srv.Token(), ts2.srv.Token())
	}
}

// TestPageEscapesUserText: bead titles and other user strings are text on
// the page, never markup or script.
func TestPageEscapesUserText(t *testing.T) {
	tw := newTown(t)
	s := openStore(t, tw)
	evil := `<img src=x onerror="alert(1)"><script>alert(2)</script>$(touch pwned)`
	a := createBead(t, s, models.Bead{Title: evil, Priority: 2}, beads.CreateOpts{})
	createConvoy(t, s, evil, a)
	ts := startServer(t, Options{Town: tw})
	_, body := ts.do(t, http.MethodGet, "/", "", nil, nil)
	page := string(body)
	if strings.Contains(page, "<img src=x") || strings.Contains(page, "<script>alert") {
		t.Error("a bead title reached the page as markup")
	}
	if !strings.Contains(page, "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;$(touch pwned)") {
		t.Error("the escaped title is not on the page")
	}
	if _, err := os.Stat(tw.Path("pwned")); err == nil {
		t.Error("a title ran a command")
	}
}

func TestStaticRoutes(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	for _, name := range []string{"htmx.min.js", "sse.min.js", "dashboard.js", "dashboard.css"} {
		want, err := os.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := ts.do(t, http.MethodGet, "/static/"+name, "", nil, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
			t.Errorf("GET /static/%s: %s, %d bytes (want %d)", name, resp.Status, len(body), len(want))
		}
		if strings.HasSuffix(name, ".js") && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("%s content type %q", name, resp.Header.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/static/", "/static/nope.js", "/static/../server.go"} {
		if resp, _ := ts.do(t, http.MethodGet, p, "", nil, nil); resp.StatusCode == http.StatusOK {
			t.Errorf("GET %s: %s, want a refusal", p, resp.Status)
		}
	}
}

func TestCommandsRoute(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	resp, body := ts.do(t, http.MethodGet, "/api/commands", "", nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/commands: %s", resp.Status)
	}
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	// The allow-list of spec §10, verbatim.
	readOnly := []string{"agents", "convoy list", "convoy show", "convoy status", "rig list", "crew list", "hook show",
		"mail inbox", "mail read", "feed --plain", "doctor", "version", "bd list", "bd ready", "bd show", "bd stats", "bd mol list"}
	confirm := []string{"sling", "convoy create", "convoy add", "convoy remove", "convoy rename", "convoy close", "mail send",
		"nudge", "mayor start", "mayor stop", "crew add", "crew start", "rig add", "doctor --fix", "bd create", "bd update", "bd close"}
	var gotRO, gotCF []string
	for _, c := range list {
		if len(c) != 3 || c["command"] == nil || c["confirm"] == nil || c["description"] == nil {
			t.Errorf("entry %v: want exactly command, confirm, description", c)
		}
		if c["description"] == "" {
			t.Errorf("%v has no description", c["command"])
		}
		if c["confirm"] == true {
			gotCF = append(gotCF, c["command"].(string))
		} else {
			gotRO = append(gotRO, c["command"].(string))
		}
	}
	for _, l := range [][]string{readOnly, confirm, gotRO, gotCF} {
		sort.Strings(l)
	}
	if fmt.Sprint(gotRO) != fmt.Sprint(readOnly) {
		t.Errorf("read-only commands\n got %v\nwant %v", gotRO, readOnly)
	}
	if fmt.Sprint(gotCF) != fmt.Sprint(confirm) {
		t.Errorf("confirm commands\n got %v\nwant %v", gotCF, confirm)
	}
}

func TestStateRouteKeys(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	resp, body := ts.do(t, http.MethodGet, "/api/state", "", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/state: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		if !strings.HasPrefix(string(v), "[") {
			t.Errorf("%s = %s, want an array", k, v)
		}
	}
	sort.Strings(keys)
	if got, want := strings.Join(keys, ","), "agents,convoys,events,hooked,mail,merge_queue,problems,ready"; got != want {
		t.Errorf("keys %s, want %s", got, want)
	}
}

// TestHostAndOriginChecks: every route refuses a foreign Host (DNS
// rebinding) or Origin with 403 bad origin, and accepts both loopback
// spellings.
func TestHostAndOriginChecks(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	p := fmt.Sprint(ts.port)
	routes := []string{"/", "/static/htmx.min.js", "/api/state", "/api/commands"}
	for _, r := range routes {
		for _, host := range []string{"evil.example:" + p, "127.0.0.1:1", "localhost", "127.0.0.1", "0.0.0.0:" + p, "[::1]:" + p} {
			resp, body := ts.do(t, http.MethodGet, r, host, nil, nil)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"bad origin"`) {
				t.Errorf("GET %s Host %s: %s %s", r, host, resp.Status, body)
			}
		}
		for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:" + p} {
			resp, _ := ts.do(t, http.MethodGet, r, "", map[string]string{"Origin": origin}, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s Origin %s: %s", r, origin, resp.Status)
			}
		}
		for _, host := range []string{"127.0.0.1:" + p, "localhost:" + p} {
			resp, _ := ts.do(t, http.MethodGet, r, host, map[string]string{"Origin": "http://" + host}, nil)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s Host/Origin %s: %s", r, host, resp.Status)
			}
		}
	}
}

// TestRunRefusals walks the /api/run checks in the order of spec §10; each
// case also breaks every later rule, so it proves which check comes first.
func TestRunRefusals(t *testing.T) {
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})
	p := fmt.Sprint(ts.port)
	tok := ts.srv.Token()
	big := `{"command":"version","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	type tc struct {
		name   string
		method string
		host   string
		hdr    map[string]string
		body   string
		code   int
		msg    string
	}
	withTok := func(extra ...string) map[string]string {
		h := map[string]string{"X-Dashboard-Token": tok}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	cases := []tc{
		{"GET", http.MethodGet, "evil:1", nil, "", 405, "method not allowed"},
		{"PUT", http.MethodPut, "", withTok(), `{"command":"version"}`, 405, "method not allowed"},
		{"bad host", http.MethodPost, "evil.example:" + p, nil, big, 403, "bad origin"},
		{"rebinding host", http.MethodPost, "attacker.test:" + p, withTok(), `{"command":"version"}`, 403, "bad origin"},
		{"foreign origin", http.MethodPost, "", withTok("Origin", "http://evil.example"), `{"command":"version"}`, 403, "bad origin"},
		{"null origin", http.MethodPost, "", withTok("Origin", "null"), `{"command":"version"}`, 403, "bad origin"},
		{"no token", http.MethodPost, "", nil, big, 403, "invalid dashboard token"},
		{"wrong token", http.MethodPost, "", map[string]string{"X-Dashboard-Token": strings.Repeat("0", 64)}, `{"command":"version"}`, 403, "invalid dashboard token"},
		{"token in query is not a token", http.MethodPost, "", nil, `{"command":"version"}`, 403, "invalid dashboard token"},
		{"big body", http.MethodPost, "", withTok(), big, 413, "request body too large"},
		{"bad JSON", http.MethodPost, "", withTok(), `{"command":`, 400, "invalid request body"},
		{"not an object", http.MethodPost, "", withTok(), `["version"]`, 400, "invalid request body"},
		{"unknown field", http.MethodPost, "", withTok(), `{"command":"version","shell":true}`, 400, "invalid request body"},
		{"two objects", http.MethodPost, "", withTok(), `{"command":"version"}{"command":"version"}`, 400, "invalid request body"},
		{"wrong type", http.MethodPost, "", withTok(), `{"command":"version","timeout":"30"}`, 400, "invalid request body"},
		{"semicolon", http.MethodPost, "", withTok(), `{"command":"convoy list; rm -rf ~ --force","timeout":0}`, 400, "invalid character in argument"},
		{"subshell", http.MethodPost, "", withTok(), `{"command":"bd create \"$(touch pwned)\" --force"}`, 400, "invalid character in argument"},
		{"backtick", http.MethodPost, "", withTok(), "{\"command\":\"bd show `id`\"}", 400, "invalid character in argument"},
		{"pipe", http.MethodPost, "", withTok(), `{"command":"bd list | sh"}`, 400, "invalid character in argument"},
		{"and", http.MethodPost, "", withTok(), `{"command":"version && reboot"}`, 400, "invalid character in argument"},
		{"redirect", http.MethodPost, "", withTok(), `{"command":"bd list > /tmp/x"}`, 400, "invalid character in argument"},
		{"input redirect", http.MethodPost, "", withTok(), `{"command":"bd list < /etc/passwd"}`, 400, "invalid character in argument"},
		{"braces", http.MethodPost, "", withTok(), `{"command":"bd show {a,b}"}`, 400, "invalid character in argument"},
		{"parens", http.MethodPost, "", withTok(), `{"command":"bd show (a)"}`, 400, "invalid character in argument"},
		{"backslash", http.MethodPost, "", withTok(), `{"command":"bd show a\\nb"}`, 400, "invalid character in argument"},
		{"newline", http.MethodPost, "", withTok(), `{"command":"bd show \"a\nb\""}`, 400, "invalid character in argument"},
		{"escape char", http.MethodPost, "", withTok(), `{"command":"bd show \u001b[2J"}`, 400, "invalid character in argument"},
		{"quoted metachar", http.MethodPost, "", withTok(), `{"command":"bd show 'a;b'"}`, 400, "invalid character in argument"},
		{"force flag", http.MethodPost, "", withTok(), `{"command":"bd close hq-abc --force","confirmed":true}`, 403, "--force is not allowed from the dashboard"},
		{"force as ID", http.MethodPost, "", withTok(), `{"command":"sling --force gastown","confirmed":true}`, 403, "--force is not allowed from the dashboard"},
		{"force=true", http.MethodPost, "", withTok(), `{"command":"bd close hq-abc --force=true","confirmed":true}`, 403, "--force is not allowed from the dashboard"},
		{"short force for bd close", http.MethodPost, "", withTok(), `{"command":"bd close -f hq-abc","confirmed":true}`, 403, "--force is not allowed from the dashboard"},
		{"force before allow-list", http.MethodPost, "", withTok(), `{"command":"rm --force x"}`, 403, "--force is not allowed from the dashboard"},
		{"quoted force", http.MethodPost, "", withTok(), `{"command":"bd close \"--force\"","confirmed":true}`, 403, "--force is not allowed from the dashboard"},
		{"not allowed", http.MethodPost, "", withTok(), `{"command":"rm -rf /","timeout":0}`, 403, "command not allowed: rm -rf /"},
		{"bd verb not allowed", http.MethodPost, "", withTok(), `{"command":"bd delete hq-abc"}`, 403, "command not allowed: bd delete hq-abc"},
		{"global flag first", http.MethodPost, "", withTok(), `{"command":"bd --db /tmp/x list"}`, 403, "command not allowed: bd --db /tmp/x"},
		{"feed without --plain", http.MethodPost, "", withTok(), `{"command":"feed"}`, 403, "command not allowed: feed"},
		{"gt alone", http.MethodPost, "", withTok(), `{"command":"gt"}`, 400, "command is required"},
		{"empty", http.MethodPost, "", withTok(), `{"command":"   "}`, 400, "command is required"},
		{"unterminated quote", http.MethodPost, "", withTok(), `{"command":"bd show 'abc"}`, 400, "unterminated quote in command"},
		{"confirm needed", http.MethodPost, "", withTok(), `{"command":"bd close hq-abc","timeout":0}`, 409, "confirmation required"},
		{"confirm needed for doctor --fix", http.MethodPost, "", withTok(), `{"command":"doctor --json --fix"}`, 409, "confirmation required"},
		{"confirm needed with gt prefix", http.MethodPost, "", withTok(), `{"command":"gt sling hq-abc mayor","confirmed":false}`, 409, "confirmation required"},
		{"timeout 0", http.MethodPost, "", withTok(), `{"command":"version","timeout":0}`, 400, "timeout must be 1-60 seconds"},
		{"timeout 61", http.MethodPost, "", withTok(), `{"command":"version","timeout":61}`, 400, "timeout must be 1-60 seconds"},
		{"timeout negative", http.MethodPost, "", withTok(), `{"command":"bd close x","confirmed":true,"timeout":-5}`, 400, "timeout must be 1-60 seconds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := ts.do(t, c.method, "/api/run", c.host, c.hdr, strings.NewReader(c.body))
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: reply %q is not JSON", resp.Status, b)
			}
			if resp.StatusCode != c.code || m["error"] != c.msg {
				t.Errorf("got %d %v, want %d %q", resp.StatusCode, m["error"], c.code, c.msg)
			}
			if len(m) != 1 {
				t.Errorf("refusal %v has keys beyond error", m)
			}
		})
	}
	if _, err := os.Stat(tw.Path("pwned")); err == nil {
		t.Error("a refused command created a file")
	}
}

// TestRunBigBodyChunked: the 64 KiB limit holds without a Content-Length.
func TestRunBigBodyChunked(t *testing.T) {
	ts := startServer(t, Options{Town: newTown(t)})
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprint(pw, `{"command":"version","x":"`)
		for i := 0; i < 80; i++ {
			fmt.Fprint(pw, strings.Repeat("y", 1024))
		}
		fmt.Fprint(pw, `"}`)
		pw.Close()
	}()
	resp, b := ts.do(t, http.MethodPost, "/api/run", "", map[string]string{"X-Dashboard-Token": ts.srv.Token()}, pr)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 80 KiB body: %s %s", resp.Status, b)
	}
}

func TestRunRealCommands(t *testing.T) {
	t.Setenv("BD_ACTOR", "mayor") // the dashboard must not pass its own identity on
	tw := newTown(t)
	ts := startServer(t, Options{Town: tw})

	code, m := ts.run(t, `{"command":"version"}`)
	if code != 200 || m["ok"] != true || m["exit_code"] != 0.0 || !strings.HasPrefix(m["stdout"].(string), "gt version ") {
		t.Errorf("version: %d %v", code, m)
	}
	if _, ok := m["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms in %v", m)
	}
	for _, k := range []string{"ok", "exit_code", "stdout", "stderr", "duration_ms"} {
		if _, ok := m[k]; !ok {
			t.Errorf("reply lacks %q: %v", k, m)
		}
	}
	code, m = ts.run(t, `{"command":"gt bd show hq-mayor","timeout":10}`)
	if code != 200 || m["ok"] != true || !strings.Contains(m["stdout"].(string), "hq-mayor") {
		t.Errorf("bd show: %d %v", code, m)
	}
	// A failing command is a normal reply with its exit code and stderr.
	code, m = ts.run(t, `{"command":"bd show hq-nosuch"}`)
	if code != 200 || m["ok"] != false || m["exit_code"] != 1.0 || !strings.Contains(m["stderr"].(string), "Error: ") {
		t.Errorf("bd show hq-nosuch: %d %v", code, m)
	}
	// Quotes keep a title with spaces and a quote in one argument; the
	// bead is created by the overseer.
	code, m = ts.run(t, `{"command":"bd create \"Fix the 'upload' client\" -p 1","confirmed":true}`)
	if code != 200 || m["ok"] != true {
		t.Fatalf("bd create: %d %v", code, m)
	}
	id := strings.TrimSpace(strings.TrimPrefix(m["stdout"].(string), "✓ Created issue: "))
	b, err := openStore(t, tw).Get(t.Context(), id)
	if err != nil {
		t.Fatalf("created bead %q: %v (stdout %q)", id, err, m["stdout"])
	}
	if b.Title != "Fix the 'upload' client" || b.CreatedBy != "overseer" || b.Priority != 1 {
		t.Errorf("bead %+v: want title with quotes, created_by overseer, P1", b)
	}
	// Confirmed mutation runs.
	code, m = ts.run(t, fmt.Sprintf(`{"command":"bd close %s","confirmed":true}`, id))
	if code != 200 || m["ok"] != true {
		t.Errorf("bd close: %d %v", code, m)
	}
	if b, _ := openStore(t, tw).Get(t.Context(), id); b == nil || b.Status != models.StatusClosed {
		t.Errorf("bead not closed: %+v", b)
	}
}
