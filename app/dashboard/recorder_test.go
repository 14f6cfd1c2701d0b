package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRoutesWithRecorder runs every route of Handler through
// httptest.NewRecorder: the routes of spec §10 answer, with the status and
// content type they should, and nothing else does.
func TestRoutesWithRecorder(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, Options{Town: newTown(t), Exe: gtBinary, Keepalive: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler(8080)
	serve := func(method, target, host string, hdr map[string]string, body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Host = host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	const host = "127.0.0.1:8080"
	cases := []struct {
		method, target string
		code           int
		ctype          string
		contains       string
	}{
		{"GET", "/", 200, "text/html", "<title>Gas Town Dashboard</title>"},
		{"HEAD", "/", 200, "text/html", ""},
		{"GET", "/static/htmx.min.js", 200, "javascript", "htmx"},
		{"GET", "/static/sse.min.js", 200, "javascript", "sse"},
		{"GET", "/static/dashboard.css", 200, "text/css", "--accent"},
		{"GET", "/api/state", 200, "application/json", `"merge_queue":[]`},
		{"GET", "/api/commands", 200, "application/json", `"command":"convoy list"`},
		{"POST", "/api/state", 405, "application/json", `"error"`},
		{"DELETE", "/api/commands", 405, "application/json", `"error"`},
		{"GET", "/api/run", 405, "application/json", `"error":"method not allowed"`},
		{"GET", "/api", 404, "", ""},
		{"GET", "/index.html", 404, "", ""},
		{"GET", "/api/state/x", 404, "", ""},
	}
	for _, c := range cases {
		rec := serve(c.method, c.target, host, nil, "")
		if rec.Code != c.code || !strings.Contains(rec.Header().Get("Content-Type"), c.ctype) || !strings.Contains(rec.Body.String(), c.contains) {
			t.Errorf("%s %s: %d %q, body %.80q; want %d %q containing %q", c.method, c.target, rec.Code,
				rec.Header().Get("Content-Type"), rec.Body.String(), c.code, c.ctype, c.contains)
		}
	}
	if rec := serve("GET", "/api/state", "localhost:8080", nil, ""); rec.Code != 200 {
		t.Errorf("Host localhost:8080: %d", rec.Code)
	}
	if rec := serve("GET", "/api/state", "127.0.0.1:9090", nil, ""); rec.Code != 403 || !strings.Contains(rec.Body.String(), "bad origin") {
		t.Errorf("other port: %d %s", rec.Code, rec.Body.String())
	}
	tok := map[string]string{"X-Dashboard-Token": s.Token(), "Origin": "http://localhost:8080"}
	if rec := serve("POST", "/api/run", host, tok, `{"command":"version"}`); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ok":true`) {
		t.Errorf("POST /api/run: %d %s", rec.Code, rec.Body.String())
	}
	if rec := serve("POST", "/api/run", host, map[string]string{"X-Dashboard-Token": s.Token() + "x"}, `{"command":"version"}`); rec.Code != 403 {
		t.Errorf("token with a suffix: %d", rec.Code)
	}

	// The event stream, cut off after a few keepalives.
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(sctx, "GET", "/api/events", nil)
	req.Host = host
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" || rec.Header().Get("Cache-Control") != "no-cache" ||
		!strings.HasPrefix(body, "event: connected\n") || !strings.Contains(body, "\n: keepalive\n\n") {
		t.Errorf("GET /api/events: %d %v %q", rec.Code, rec.Header(), body)
	}
	if !rec.Flushed {
		t.Error("the event stream was never flushed")
	}
	if rec := serve(http.MethodGet, "/api/events", "evil:8080", nil, ""); rec.Code != 403 {
		t.Errorf("events from a foreign host: %d", rec.Code)
	}
}
