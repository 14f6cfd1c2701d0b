package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"github.com/gastown/gt/app/town"
)

// hostCloseTimeout bounds the host's shutdown at quit (SIGHUP, then SIGKILL
// after 3 s, then the final export).
const hostCloseTimeout = 15 * time.Second

// Options start the TUI.
type Options struct {
	// Town is the town to host; nil finds it from the working directory.
	Town *town.Town
	// Exe is the running gt executable (for .runtime/bin links).
	Exe string
	// FocusMayor focuses the Mayor's pane when it appears; Zoom zooms it
	// (gt mayor attach).
	FocusMayor, Zoom bool
	// Debug logs at debug level to <town>/.runtime/gt.log.
	Debug bool
	// Input and Output replace the terminal (nil: stdin/stdout).
	Input  io.Reader
	Output io.Writer
}

// Run starts the host for the town and runs the TUI until the user quits
// or ctx ends; then every session is stopped and the host closed.
func Run(ctx context.Context, o Options) error {
	t := o.Town
	if t == nil {
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		if t, err = town.Find(cwd, os.Getenv); err != nil {
			return err
		}
	}
	settings, err := t.Settings()
	if err != nil {
		return err
	}
	cfg := Config{
		PrefixKey: settings.PrefixKey(), MaxFPS: settings.MaxFPS(), Bell: bellSetting(settings),
		FocusMayor: o.FocusMayor, Zoom: o.Zoom, Tabs: settings.Layout() == "tabs",
	}
	if err := checkTerminal(t, o); err != nil {
		return err
	}
	restoreLog := logToFile(t, o.Debug)
	defer restoreLog()
	sizes := newSizeBook()
	h, err := town.StartHost(ctx, t, town.HostOptions{Exe: o.Exe, PaneSize: sizes.PaneSize, Debug: o.Debug})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		cctx, ccancel := context.WithTimeout(context.Background(), hostCloseTimeout)
		defer ccancel()
		_ = h.Close(cctx)
	}()
	store, err := t.OpenStore(runCtx)
	if err != nil {
		return fmt.Errorf("open beads store: %w", err)
	}
	defer store.Close()

	m := New(runCtx, cfg, hostAdapter{h}, newTownAdapter(t, store, h.Poke), sizes)
	m.input = startInputWriter(runCtx)
	opts := []tea.ProgramOption{tea.WithContext(runCtx), tea.WithFPS(cfg.withDefaults().MaxFPS)}
	if o.Input != nil {
		opts = append(opts, tea.WithInput(o.Input))
	}
	if o.Output != nil {
		opts = append(opts, tea.WithOutput(o.Output))
	}
	_, err = tea.NewProgram(m, opts...).Run()
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// ErrNoTerminal is returned when gt (the TUI) runs without a terminal.
var ErrNoTerminal = errors.New("gt needs a terminal (use gt host for a headless host)")

// checkTerminal refuses to start hosting when the TUI could not open its
// terminal, so no agent starts only to be stopped again. A town another
// host holds is reported first (spec §5.4), whatever the terminal.
func checkTerminal(t *town.Town, o Options) error {
	if pid, held, _, err := t.HostLockHolder(); err == nil && held {
		return &town.HostedError{Root: t.Root, PID: pid}
	}
	if o.Input != nil || term.IsTerminal(os.Stdin.Fd()) {
		return nil
	}
	f, err := os.Open("/dev/tty")
	if err != nil {
		return ErrNoTerminal
	}
	return f.Close()
}

// logToFile sends the default slog logger (and the log package) to
// <town>/.runtime/gt.log while the TUI owns the terminal (STYLE §13): a
// stray log line on stderr would tear the screen. It returns the restore.
func logToFile(t *town.Town, debug bool) func() {
	if err := os.MkdirAll(t.RuntimeDir(), 0o700); err != nil {
		return func() {}
	}
	f, err := os.OpenFile(filepath.Join(t.RuntimeDir(), "gt.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return func() {}
	}
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})))
	return func() {
		slog.SetDefault(prev)
		_ = f.Close()
	}
}

// bellSetting reads tui.bell (default true): whether a newly waiting agent
// rings the terminal bell.
func bellSetting(s *town.TownSettings) bool {
	if s.TUI == nil {
		return true
	}
	raw, ok := s.TUI.Extra["bell"]
	if !ok {
		return true
	}
	var on bool
	if json.Unmarshal(raw, &on) != nil {
		return true
	}
	return on
}
