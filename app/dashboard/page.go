package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

// PageTitle is the page's title and heading (spec §10).
const PageTitle = "Gas Town Dashboard"

// pageData is what templates/page.html renders.
type pageData struct {
	Title     string
	Town      string
	Root      string
	Token     string
	Hash      string
	State     State
	Host      hostView
	Generated time.Time
	Commands  []CommandInfo
	Now       time.Time
	// FallbackMS is the refresh interval while SSE is down.
	FallbackMS int64
}

// templateFuncs are the helpers page.html uses.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"percent": func(done, total int) int {
			if total == 0 {
				return 0
			}
			return done * 100 / total
		},
		"age": func(now, t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return formatIdle(max(now.Sub(t), 0))
		},
		"clock": func(t time.Time) string { return t.Local().Format("15:04:05") },
		"prio":  func(p int) string { return fmt.Sprintf("P%d", p) },
		"reverse": func(evs []FeedEvent) []FeedEvent {
			out := make([]FeedEvent, len(evs))
			for i, e := range evs {
				out[len(evs)-1-i] = e
			}
			return out
		},
	}
}

// handlePage serves GET /: the whole page. htmx re-requests it and swaps
// in only #panels-inner, so the page is the single source of its markup.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	st, host, err := s.collect(r.Context())
	if err != nil {
		s.log.Error("dashboard page", "err", err)
		http.Error(w, "dashboard: "+err.Error(), http.StatusInternalServerError)
		return
	}
	now := s.now()
	data := pageData{
		Title: PageTitle, Town: s.town.Name(), Root: s.town.Root, Token: s.token, Hash: hashState(st),
		State: st, Host: host, Generated: now, Commands: allowList(), Now: now, FallbackMS: s.fallback.Milliseconds(),
	}
	var buf bytes.Buffer
	if err := s.page.Execute(&buf, data); err != nil {
		s.log.Error("dashboard render", "err", err)
		http.Error(w, "dashboard: render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
