package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gastown/gt/app/town"
	"github.com/gastown/gt/beads"
)

//go:embed static templates
var assets embed.FS

// Server timeouts (spec §10).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)

// Defaults of the live-refresh machinery.
const (
	// DefaultPollInterval is how often the state hash is recomputed while a
	// page listens, so dashboard-update follows a change within 2 s.
	DefaultPollInterval = time.Second
	// DefaultKeepalive is the SSE keepalive comment interval.
	DefaultKeepalive = 15 * time.Second
	// DefaultFallback is how often the page refreshes itself while its
	// event stream is down.
	DefaultFallback = 30 * time.Second
	// maxRunning is how many palette commands may run at once.
	maxRunning = 8
	// maxBody is the largest /api/run body accepted.
	maxBody = 64 << 10
	// maxOutput caps each captured stream of a palette command.
	maxOutput = 1 << 20
)

// Options configure a dashboard.
type Options struct {
	// Town is the town to show. Required.
	Town *town.Town
	// Exe is the gt executable palette commands run (normally
	// os.Executable); it is started with argv[0] "gt" or "bd".
	Exe string
	// Port is the loopback port Run listens on (0 picks a free one).
	Port int
	// Open asks Run to open the page in a browser.
	Open bool
	// Stdout receives the startup line and warnings; Stderr the notice of
	// a store rebuilt from issues.jsonl.
	Stdout io.Writer
	Stderr io.Writer
	// Browser opens a URL; nil means xdg-open or open from PATH.
	Browser func(ctx context.Context, url string) error
	// PollInterval and Keepalive override the SSE timings, Fallback the
	// page's refresh interval while SSE is down (tests).
	PollInterval time.Duration
	Keepalive    time.Duration
	Fallback     time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives server errors. Run opens <town>/.runtime/gt.log
	// when it is nil; New discards them.
	Logger *slog.Logger
	// Debug logs at debug level (gt --debug).
	Debug bool
}

// Server serves one town's dashboard. It owns an open beads store; Close
// releases it.
type Server struct {
	town      *town.Town
	store     *beads.Store
	exe       string
	token     string
	feed      *feedTail
	clock     func() time.Time
	poll      time.Duration
	keepalive time.Duration
	fallback  time.Duration
	log       *slog.Logger
	page      *template.Template
	static    fs.FS
	slots     chan struct{}
	hub       *hub

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New opens the town's store and prepares a server with a fresh random
// dashboard token.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Town == nil {
		return nil, errors.New("dashboard: no town")
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("generate dashboard token: %w", err)
	}
	page, err := template.New("page.html").Funcs(templateFuncs()).ParseFS(assets, "templates/page.html")
	if err != nil {
		return nil, fmt.Errorf("parse dashboard template: %w", err)
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard assets: %w", err)
	}
	store, err := o.Town.OpenStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("open beads store: %w", err)
	}
	s := &Server{
		town: o.Town, store: store, exe: o.Exe, token: hex.EncodeToString(tok),
		feed: newFeedTail(o.Town.Root), clock: o.Now, poll: o.PollInterval, keepalive: o.Keepalive, fallback: o.Fallback,
		log: o.Logger, page: page, static: static, slots: make(chan struct{}, maxRunning),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.poll <= 0 {
		s.poll = DefaultPollInterval
	}
	if s.keepalive <= 0 {
		s.keepalive = DefaultKeepalive
	}
	if s.fallback <= 0 {
		s.fallback = DefaultFallback
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	hubCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.hub = newHub()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.hub.run(hubCtx, s.poll, s.stateHash, s.log)
	}()
	return s, nil
}

// Close stops the refresh loop and closes the store.
func (s *Server) Close() error {
	s.cancel()
	s.wg.Wait()
	return s.store.Close()
}

// Token is this server's dashboard token (the page's
// <meta name="dashboard-token">).
func (s *Server) Token() string { return s.token }

func (s *Server) now() time.Time { return s.clock() }

// stateHash collects the state and fingerprints it.
func (s *Server) stateHash(ctx context.Context) (string, error) {
	st, _, err := s.collect(ctx)
	if err != nil {
		return "", err
	}
	return hashState(st), nil
}

// Handler returns the dashboard's routes for a server listening on
// 127.0.0.1:port (the port is part of the Host and Origin checks).
func (s *Server) Handler(port int) http.Handler {
	g := guard{port: strconv.Itoa(port)}
	mux := http.NewServeMux()
	mux.Handle("/{$}", g.wrap(readMethods, http.HandlerFunc(s.handlePage)))
	mux.Handle("/static/", g.wrap(readMethods, http.StripPrefix("/static/", s.staticHandler())))
	mux.Handle("/api/state", g.wrap(readMethods, http.HandlerFunc(s.handleState)))
	mux.Handle("/api/events", g.wrap([]string{http.MethodGet}, http.HandlerFunc(s.handleEvents)))
	mux.Handle("/api/commands", g.wrap(readMethods, http.HandlerFunc(s.handleCommands)))
	mux.Handle("/api/run", g.wrap([]string{http.MethodPost}, http.HandlerFunc(s.handleRun)))
	return securityHeaders(mux)
}

var readMethods = []string{http.MethodGet, http.MethodHead}

// newHTTPServer applies the spec's timeouts. base is the context every
// request derives from; cancelling it ends event streams and running
// commands.
func newHTTPServer(h http.Handler, base context.Context, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve serves the dashboard on ln until ctx is done, then shuts down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	port := 0
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := newHTTPServer(s.Handler(port), base, s.log)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		cancelBase()
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
	}()
	err := srv.Serve(ln)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// PortInUseError reports that the dashboard's port is taken.
type PortInUseError struct {
	Port int
	Err  error
}

// Error is the spec's one-line message.
func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d is in use (try --port N)", e.Port)
}

// Unwrap returns the listen error.
func (e *PortInUseError) Unwrap() error { return e.Err }

// Listen opens the dashboard's loopback listener; there is deliberately no
// way to bind another address.
func Listen(port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, &PortInUseError{Port: port, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1:%d: %w", port, err)
	}
	return ln, nil
}

// Run is gt dashboard: it opens the town, listens on 127.0.0.1:<port>,
// prints the startup line, opens a browser when asked, and serves until ctx
// is done.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil && o.Town != nil {
		logger, closeLog := openLog(o.Town, o.Debug)
		defer closeLog()
		o.Logger = logger
	}
	s, err := New(ctx, o)
	if err != nil {
		return err
	}
	defer s.Close()
	if n, ok := s.store.Rebuilt(); ok && o.Stderr != nil {
		fmt.Fprintf(o.Stderr, "Rebuilt beads.db from issues.jsonl (%d issues)\n", n)
	}
	ln, err := Listen(o.Port)
	if err != nil {
		return err
	}
	out := o.Stdout
	if out == nil {
		out = io.Discard
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "Dashboard: %s  (Ctrl-C to stop)\n", url)
	s.log.Info("dashboard started", "url", url, "town", o.Town.Root)
	if o.Open {
		browser := o.Browser
		if browser == nil {
			browser = OpenBrowser
		}
		if err := browser(ctx, url); err != nil {
			fmt.Fprintf(out, "⚠ could not open a browser (%v); open %s yourself\n", err, url)
		}
	}
	return s.Serve(ctx, ln)
}

// openLog opens <town>/.runtime/gt.log for appending, where every gt
// process logs (spec §2). If it cannot, logging is discarded rather than
// failing the dashboard.
func openLog(t *town.Town, debug bool) (*slog.Logger, func()) {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	if err := os.MkdirAll(t.RuntimeDir(), 0o700); err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	f, err := os.OpenFile(filepath.Join(t.RuntimeDir(), "gt.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	h := slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	return slog.New(h).With("component", "dashboard", "pid", os.Getpid()), func() { _ = f.Close() }
}

// guard applies the checks every route shares, in the order of spec §10:
// the method (405), then Host and Origin (403 bad origin).
type guard struct {
	port string
}

func (g guard) wrap(methods []string, h http.Handler) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := false
		for _, m := range methods {
			if r.Method == m {
				ok = true
			}
		}
		if !ok {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		if !g.hostOK(r.Host) || !g.originOK(r.Header.Values("Origin")) {
			writeError(w, http.StatusForbidden, "bad origin")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hostOK accepts exactly 127.0.0.1:<port> and localhost:<port>, which also
// defeats DNS rebinding.
func (g guard) hostOK(host string) bool {
	return host == "127.0.0.1:"+g.port || strings.EqualFold(host, "localhost:"+g.port)
}

// originOK accepts no Origin header or the page's own origin.
func (g guard) originOK(origins []string) bool {
	if len(origins) > 1 {
		return false
	}
	for _, o := range origins {
		if o != "http://127.0.0.1:"+g.port && !strings.EqualFold(o, "http://localhost:"+g.port) {
			return false
		}
	}
	return true
}

// tokenOK compares the X-Dashboard-Token header in constant time.
func (s *Server) tokenOK(r *http.Request) bool {
	got := r.Header.Get("X-Dashboard-Token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// securityHeaders keeps the page from being framed or sniffed and limits it
// to its own scripts, styles and connections.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.ServeHTTP(w, r)
	})
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b = []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes the {"error": msg} body every refusal uses.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// staticHandler serves the embedded assets, without directory listings.
func (s *Server) staticHandler() http.Handler {
	files := http.FileServerFS(s.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// handleState serves GET /api/state.
func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	st, _, err := s.collect(r.Context())
	if err != nil {
		s.log.Error("dashboard state", "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleCommands serves GET /api/commands.
func (s *Server) handleCommands(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, allowList())
}
