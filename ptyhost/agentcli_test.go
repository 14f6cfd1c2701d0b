package ptyhost

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real agent CLIs, started offline in a fresh HOME, each run at once in
// a ptyhost Session and in a tmux pane of the same size with the same
// environment (`env -i`), the same keys, typed text and resizes. After each
// step, once both screens show the step's text and hold still, they must
// agree on: every row (`tmux capture-pane -p` against Screen.PlainLines,
// trailing blanks trimmed), every row's colours and attributes
// (`capture-pane -p -e` parsed into Styles against the cells' Styles, see
// styleRuns), every scrollback row (capture-pane -S/-E over
// #{history_size} against Session.Scrollback), the cursor cell, the
// alternate screen, cursor visibility, DECCKM, the mouse tracking mode and
// SGR mouse encoding, and the OSC 0/2 title. The versions are pinned here
// and in .ci/run. Temporary paths on screen become <DIR>/<HOME>; no line
// needs masking at the pinned versions (both sides run the same binary).
//
// Each run tees the session's PTY output to pty.bin and the tmux pane's
// output (pipe-pane) to tmux.bin in the test's artifact directory (keep them
// with `go test -artifacts -outputdir DIR ./ptyhost -run AgentCLI`), so a
// difference can be traced to the bytes that caused it. The two streams
// differ only where the CLIs react to the terminals' different answers to
// their queries and in animation timing.
//
// Known tmux 3.3a differences kept out of the comparison (each explained
// where it is avoided): width-changing resizes on the main screen (tmux
// reflows), emoji skin-tone modifiers (tmux gives them cells of their own),
// and pane titles taken from APC strings.

const (
	claudeCodeVersion = "2.1.330" // npm @anthropic-ai/claude-code
	codexVersion      = "0.169.0" // npm @openai/codex
)

// agentCLI is one real CLI scenario.
type agentCLI struct {
	name string
	argv []string
	env  []string // on top of agentCLIEnv
	// ready is text that shows the first screen is up.
	ready string
	// exits: the CLI prints its screen and exits (tmux keeps the pane by
	// running it under `sh -c '"$@"; exec sleep …'`, which prints nothing).
	exits bool
	// masks are regexps of lines that may honestly differ between two
	// starts of the CLI; a line matching one is replaced by its pattern on
	// both sides. Everything else must be equal.
	masks []*regexp.Regexp
	steps []agentStep
}

// agentStep is one input given to both terminals (a key, typed text or a
// resize); then the screens are compared again once each shows ready and
// holds still.
type agentStep struct {
	key     Key
	tmuxKey string // the key's tmux send-keys name; "" = no key
	text    string // typed as is (tmux send-keys -l)
	// resize returns the new size from the current one (nil: no resize).
	resize func(cols, rows int) (int, int)
	ready  string
}

func (st agentStep) String() string {
	switch {
	case st.tmuxKey != "":
		return "key " + st.tmuxKey
	case st.text != "":
		return fmt.Sprintf("typing %q", st.text)
	case st.resize != nil:
		return "a resize"
	}
	return "nothing"
}

func agentCLIEnv(home string) []string {
	return []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"TERM=xterm-256color",
		"COLORTERM=truecolor",
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"DISABLE_AUTOUPDATER=1",
		"DISABLE_TELEMETRY=1",
		"DISABLE_ERROR_REPORTING=1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		// Offline whatever the machine's network: every request goes to
		// a proxy on a closed local port and is refused at once.
		"HTTPS_PROXY=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
	}
}

func claudeScenarios() []agentCLI {
	return []agentCLI{
		{
			// With no login the first-party start-up runs a connectivity
			// check first; refused by the proxy it prints the welcome
			// banner, "Unable to connect to Anthropic services",
			// "… ECONNREFUSED", a proxy hint, and exits 1.
			name:  "offline",
			argv:  []string{"claude"},
			ready: "Unable to connect to Anthropic services",
			exits: true,
		},
		{
			// A Bedrock provider has no first-party connectivity check
			// and no OAuth step: onboarding starts at the theme picker.
			// Down moves the picker's cursor; Enter picks the theme and
			// redraws the whole screen with the security notes.
			name:  "theme-picker",
			argv:  []string{"claude"},
			env:   []string{"CLAUDE_CODE_USE_BEDROCK=1"},
			ready: "Choose the text style that looks best with your terminal",
			steps: []agentStep{
				{key: Key{Code: KeyDown}, tmuxKey: "Down", ready: "Dark mode"},
				// A resize on the main screen with rows in the scrollback;
				// Ink clears the screen and repaints its frame. Only the
				// height changes here: on a width change tmux reflows the
				// lines wider than the new width (the 98-cell rules of the
				// diff preview) into two rows each and pushes the extra rows
				// into its history, which xterm and ptyhost do not do.
				{resize: shorter, ready: "Dark mode"},
				{key: Key{Code: KeyEnter}, tmuxKey: "Enter", ready: "Security notes:"},
				// The folder trust prompt shows the working directory.
				{key: Key{Code: KeyEnter}, tmuxKey: "Enter", ready: "Yes, I trust this folder"},
				{key: Key{Code: KeyDown}, tmuxKey: "Down", ready: "Yes, I trust this folder"},
				// The REPL: logo in block elements, a notice, the prompt
				// box, the effort and permission-mode lines.
				{key: Key{Code: KeyEnter}, tmuxKey: "Enter", ready: "auto mode on"},
				// "/" opens the slash-command menu above the prompt box.
				{text: "/", ready: "/add-dir"},
				{key: Key{Code: KeyBackspace}, tmuxKey: "BSpace", ready: "auto mode on"},
				{text: "hello ✳ 世界", ready: "hello"},
				// A long line that Claude wraps inside the prompt box: wide
				// characters at odd columns, an emoji ZWJ sequence, a
				// combining mark. No skin-tone modifier: tmux 3.3a gives
				// U+1F3FB…U+1F3FF a cell pair of their own ("a👍🏽" leaves
				// its cursor at x=5, ptyhost and the app's string-width at
				// x=3), so Claude's next write ("\x1b[21G " after
				// "\x1b[19G👍🏽") erases the modifier in tmux only.
				{text: " 🎉 👩\u200d💻 é e\u0301 " + strings.Repeat("漢字", 30) + " end", ready: " end"},
				// On the alternate screen both the width and height change.
				{resize: otherSize, ready: "hello"},
			},
		},
	}
}

func TestAgentCLIClaudeMatchesTmux(t *testing.T) {
	requireAgentCLI(t, "claude", claudeCodeVersion)
	for _, sc := range claudeScenarios() {
		for _, size := range agentSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				compareWithTmux(t, sc, size[0], size[1])
			})
		}
	}
}

func codexScenarios() []agentCLI {
	return []agentCLI{
		{
			// With no login Codex starts at its sign-in picker (nothing
			// is fetched before a choice is made).
			name:  "sign-in",
			argv:  []string{"codex"},
			ready: "Choose how you want to use Codex.",
			steps: []agentStep{
				{key: Key{Code: KeyDown}, tmuxKey: "Down", ready: "Sign in with Device Code"},
				{key: Key{Code: KeyDown}, tmuxKey: "Down", ready: "Sign in another way"},
				{key: Key{Code: KeyEnter}, tmuxKey: "Enter", ready: "Use an OpenAI API key"},
				{resize: otherSize, ready: "Use an OpenAI API key"},
				{key: Key{Code: KeyEscape}, tmuxKey: "Escape", ready: "Choose how you want to use Codex."},
			},
		},
	}
}

func TestAgentCLICodexMatchesTmux(t *testing.T) {
	requireAgentCLI(t, "codex", codexVersion)
	for _, sc := range codexScenarios() {
		for _, size := range agentSizes {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				compareWithTmux(t, sc, size[0], size[1])
			})
		}
	}
}

// requireAgentCLI skips when the CLI or tmux is missing outside CI; in CI
// (CI set, as .ci/run installs them) a missing one fails.
func requireAgentCLI(t *testing.T, bin, version string) {
	t.Helper()
	skipShort(t)
	for _, b := range []string{bin, "tmux"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not on PATH in CI (.ci/run installs it)", b)
			}
			t.Skipf("%s not on PATH", b)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v: %s", bin, err, out)
	}
	if !strings.Contains(string(out), version) {
		t.Logf("%s --version says %q; this test was written against %s", bin, strings.TrimSpace(string(out)), version)
	}
}

// termView is what both terminals are compared on.
type termView struct {
	lines  []string
	cx, cy int
	// history is the scrollback, oldest first.
	history []string
	title   string
	// styled are the rows as style runs (styledRuns), for the colours and
	// attributes.
	styled []string
	// modes: alternate screen, cursor shown, DECCKM, mouse tracking and
	// SGR mouse encoding, as "alt=0 cursor=1 …".
	modes string
}

func modeString(alt, cursor, appCursor bool, mouse MouseTracking, sgr bool) string {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return fmt.Sprintf("alt=%d cursor=%d appcursor=%d mouse=%v sgr=%d", b(alt), b(cursor), b(appCursor), mouse, b(sgr))
}

func (v termView) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cursor %d,%d title %q %s\n", v.cx, v.cy, v.title, v.modes)
	for i, l := range v.history {
		fmt.Fprintf(&b, "h%-3d|%s\n", i-len(v.history), l)
	}
	for i, l := range v.lines {
		fmt.Fprintf(&b, "%2d|%s\n", i, l)
	}
	return b.String()
}

func (v termView) text() string { return strings.Join(v.lines, "\n") }

func compareWithTmux(t *testing.T, sc agentCLI, cols, rows int) {
	// Two separate fresh homes and working directories of the same length,
	// so nothing carries over and paths shown on screen are masked alike.
	base := t.TempDir()
	// Codex starts an app-server daemon from its HOME that leaves the
	// session (setsid): kill what still runs from under base at the end.
	t.Cleanup(func() { killProcessesUnder(t, base) })
	mk := func(name string) string {
		d := filepath.Join(base, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	ourHome, ourDir := mk("home-a"), mk("work-a")
	tmuxHome, tmuxDir := mk("home-b"), mk("work-b")

	rec, err := os.Create(filepath.Join(t.ArtifactDir(), "pty.bin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Close() }) // after the session's Close
	s := startSession(t, Spec{
		Argv:   sc.argv,
		Env:    append(agentCLIEnv(ourHome), sc.env...),
		Dir:    ourDir,
		Cols:   cols,
		Rows:   rows,
		Record: rec,
	})
	events := s.Events()
	go func() {
		for range events {
		}
	}()

	tmuxRec := filepath.Join(t.ArtifactDir(), "tmux.bin")
	tm := startTmuxPane(t, sc, append(agentCLIEnv(tmuxHome), sc.env...), tmuxDir, tmuxRec, cols, rows)

	norm := func(v termView, home, dir string) termView {
		fix := func(lines []string) []string {
			var out []string
			for _, l := range lines {
				l = strings.ReplaceAll(l, dir, "<DIR>")
				l = strings.ReplaceAll(l, home, "<HOME>")
				l = strings.ReplaceAll(l, filepath.Base(dir), "<DIR>") // a shortened path
				for _, m := range sc.masks {
					if m.MatchString(l) {
						l = "<masked " + m.String() + ">"
					}
				}
				out = append(out, strings.TrimRight(l, " "))
			}
			return out
		}
		v.lines, v.history = fix(v.lines), fix(v.history)
		for i, l := range v.styled {
			v.styled[i] = strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(l, dir, "<DIR>"), home, "<HOME>"), filepath.Base(dir), "<DIR>")
		}
		return v
	}
	ours := func() termView {
		scr := s.Snapshot()
		m := s.Modes()
		v := termView{lines: scr.PlainLines(), cx: scr.Cursor.X, cy: scr.Cursor.Y, title: s.Title(),
			modes: modeString(scr.AltScreen, scr.Cursor.Visible, m.AppCursorKeys, m.Mouse, m.MouseEncoding == MouseEncodingSGR)}
		for _, l := range scr.Lines {
			v.styled = append(v.styled, styledCells(l))
		}
		for _, l := range s.Scrollback(0, s.ScrollbackLen()) {
			v.history = append(v.history, l.Plain())
		}
		return norm(v, ourHome, ourDir)
	}
	theirs := func() termView { return norm(tm.view(t), tmuxHome, tmuxDir) }

	check := func(stage, ready string) {
		t.Helper()
		// Both run at once; wait for each to show ready and hold still.
		got := waitStable(t, "ptyhost "+stage, ready, ours)
		want := waitStable(t, "tmux "+stage, ready, theirs)
		// A late repaint on one side: give both one more chance to settle.
		if got.String() != want.String() {
			time.Sleep(2 * time.Second)
			got = waitStable(t, "ptyhost "+stage, ready, ours)
			want = waitStable(t, "tmux "+stage, ready, theirs)
		}
		t.Logf("%s (ptyhost):\n%s", stage, got)
		if d := diffViews(got, want); d != "" {
			t.Errorf("%s: screen differs from tmux (PTY bytes in %s and %s):\n%s\n--- ptyhost:\n%s--- tmux:\n%s",
				stage, rec.Name(), tmuxRec, d, got, want)
		}
	}

	check("first screen", sc.ready)
	if sc.exits {
		st := waitExitWithin(t, s, 30*time.Second)
		if st.Code == -1 {
			t.Errorf("exit status unknown: %v", st)
		}
		check("after exit", sc.ready)
	}
	for _, st := range sc.steps {
		switch {
		case st.tmuxKey != "":
			if err := s.SendKey(st.key); err != nil {
				t.Fatalf("send %v: %v", st.key.Code, err)
			}
			tm.run(t, "send-keys", "-t", tm.target, st.tmuxKey)
		case st.text != "":
			if _, err := s.Write([]byte(st.text)); err != nil {
				t.Fatal(err)
			}
			tm.run(t, "send-keys", "-t", tm.target, "-l", st.text)
		case st.resize != nil:
			c, r := st.resize(cols, rows)
			cols, rows = c, r
			if err := s.Resize(c, r); err != nil {
				t.Fatal(err)
			}
			tm.run(t, "resize-window", "-t", tm.target, "-x", strconv.Itoa(c), "-y", strconv.Itoa(r))
		}
		check(fmt.Sprintf("after %v (%dx%d)", st, cols, rows), st.ready)
	}
}

// agentSizes are the pane sizes every scenario runs at; a resize step
// switches to the other one.
var agentSizes = [][2]int{{100, 30}, {80, 24}}

// shorter takes 6 rows off.
func shorter(cols, rows int) (int, int) { return cols, rows - 6 }

// otherSize switches to the other size of agentSizes.
func otherSize(cols, rows int) (int, int) {
	for _, sz := range agentSizes {
		if sz != [2]int{cols, rows} {
			return sz[0], sz[1]
		}
	}
	return cols, rows
}

// waitStable polls view until it contains ready and is unchanged for a
// second (bounded), and returns it.
func waitStable(t *testing.T, what, ready string, view func() termView) termView {
	t.Helper()
	const quiet = 1200 * time.Millisecond
	deadline := time.Now().Add(60 * time.Second)
	last := view()
	since := time.Now()
	for {
		time.Sleep(100 * time.Millisecond)
		v := view()
		if v.String() != last.String() {
			last, since = v, time.Now()
			continue
		}
		if strings.Contains(v.text(), ready) && time.Since(since) >= quiet {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no stable screen showing %q within 60s; last:\n%s", what, ready, last)
		}
	}
}

// diffViews lists differing rows, scrollback rows, cursor and title; ""
// if equal. Scrollback rows are compared from the newest back.
func diffViews(got, want termView) string {
	var b strings.Builder
	if got.cx != want.cx || got.cy != want.cy {
		fmt.Fprintf(&b, "cursor: ptyhost %d,%d tmux %d,%d\n", got.cx, got.cy, want.cx, want.cy)
	}
	if got.modes != want.modes {
		fmt.Fprintf(&b, "modes: ptyhost %s\n       tmux    %s\n", got.modes, want.modes)
	}
	if got.title != want.title && !tmuxAPCTitle.MatchString(want.title) {
		fmt.Fprintf(&b, "title: ptyhost %q tmux %q\n", got.title, want.title)
	}
	at := func(lines []string, i int) string {
		if i >= 0 && i < len(lines) {
			return lines[i]
		}
		return ""
	}
	for i := range max(len(got.lines), len(want.lines)) {
		if g, w := at(got.lines, i), at(want.lines, i); g != w {
			fmt.Fprintf(&b, "row %d:\n  ptyhost %q\n  tmux    %q\n", i, g, w)
		}
	}
	for i := range max(len(got.styled), len(want.styled)) {
		// Rows whose text differs are reported above already.
		if g, w := at(got.styled, i), at(want.styled, i); g != w && at(got.lines, i) == at(want.lines, i) {
			fmt.Fprintf(&b, "row %d styles:\n  ptyhost %q\n  tmux    %q\n", i, g, w)
		}
	}
	if len(got.history) != len(want.history) {
		fmt.Fprintf(&b, "scrollback: ptyhost %d rows, tmux %d rows\n", len(got.history), len(want.history))
	}
	for i := 1; i <= max(len(got.history), len(want.history)); i++ {
		if g, w := at(got.history, len(got.history)-i), at(want.history, len(want.history)-i); g != w {
			fmt.Fprintf(&b, "scrollback row -%d:\n  ptyhost %q\n  tmux    %q\n", i, g, w)
		}
	}
	return b.String()
}

// tmuxPane is a CLI in a pane of a private tmux server.
type tmuxPane struct {
	sock, target, hostname string
}

// tmuxAPCTitle matches a pane title tmux took from an APC string: tmux
// (like screen) sets the pane title from any ESC _ … ESC \, so Claude Code's
// kitty graphics probe "ESC _Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA ESC \" becomes
// its title. An APC is not a title; ptyhost drops it, so titles are not
// compared then.
var tmuxAPCTitle = regexp.MustCompile(`^G[a-zA-Z]=[^;]*;`)

// tmux runs one tmux command on the private server (bounded to 10 s).
func (p *tmuxPane) tmux(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "tmux", append([]string{"-L", p.sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
}

func (p *tmuxPane) run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := p.tmux(args...)
	if err != nil {
		t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

func (p *tmuxPane) view(t *testing.T) termView {
	t.Helper()
	// capture-pane prints each row followed by a newline; n rows are wanted
	// (a single blank row is just "\n").
	lines := func(text string, n int) []string {
		l := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if len(l) != n {
			t.Fatalf("tmux capture-pane: %d rows, want %d: %q", len(l), n, text)
		}
		return l
	}
	_, rows := p.size(t)
	v := termView{lines: lines(p.run(t, "capture-pane", "-p", "-t", p.target), rows)}
	// capture-pane -e writes each row's SGR relative to the end of the
	// row before it, so the style carries over from row to row.
	var st Style
	for _, l := range lines(p.run(t, "capture-pane", "-p", "-e", "-t", p.target), rows) {
		var runs string
		runs, st = styledSGR(l, st)
		v.styled = append(v.styled, runs)
	}
	const format = "#{cursor_x} #{cursor_y} #{history_size} #{alternate_on} #{cursor_flag} #{keypad_cursor_flag} " +
		"#{mouse_standard_flag} #{mouse_button_flag} #{mouse_all_flag} #{mouse_sgr_flag} #{pane_title}"
	info := strings.SplitN(strings.TrimSuffix(p.run(t, "display-message", "-p", "-t", p.target, format), "\n"), " ", 11)
	if len(info) != 11 {
		t.Fatalf("tmux display-message: %q", info)
	}
	n := make([]int, 10)
	for i := range n {
		n[i], _ = strconv.Atoi(info[i])
	}
	v.cx, v.cy = n[0], n[1]
	if n[2] > 0 {
		v.history = lines(p.run(t, "capture-pane", "-p", "-t", p.target, "-S", "-"+info[2], "-E", "-1"), n[2])
	}
	mouse := MouseTrackingOff
	switch {
	case n[8] == 1:
		mouse = MouseTrackingAny
	case n[7] == 1:
		mouse = MouseTrackingButton
	case n[6] == 1:
		mouse = MouseTrackingNormal
	}
	v.modes = modeString(n[3] == 1, n[4] == 1, n[5] == 1, mouse, n[9] == 1)
	// tmux shows the host name until the application sets a title.
	if v.title = info[10]; v.title == p.hostname {
		v.title = ""
	}
	return v
}

func (p *tmuxPane) size(t *testing.T) (cols, rows int) {
	t.Helper()
	f := strings.Fields(p.run(t, "display-message", "-p", "-t", p.target, "#{pane_width} #{pane_height}"))
	if len(f) != 2 {
		t.Fatalf("tmux pane size: %q", f)
	}
	cols, _ = strconv.Atoi(f[0])
	rows, _ = strconv.Atoi(f[1])
	return cols, rows
}

// startTmuxPane starts sc in a detached tmux session of cols x rows on a
// private socket, with exactly env (env -i), tees its output to record and
// kills the server at cleanup.
func startTmuxPane(t *testing.T, sc agentCLI, env []string, dir, record string, cols, rows int) *tmuxPane {
	t.Helper()
	p := &tmuxPane{sock: fmt.Sprintf("gt-cc-%d-%d", os.Getpid(), rand.Uint64()), target: "cli"}
	p.hostname, _ = os.Hostname()
	argv := append([]string{"env", "-i"}, env...)
	if sc.exits {
		argv = append(argv, "sh", "-c", `"$@"; exec sleep 600`, "sh")
	}
	argv = append(argv, sc.argv...)
	args := []string{"new-session", "-d", "-s", p.target, "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), "-c", dir}
	args = append(args, argv...)
	// Tee the pane's output too, from the same command queue, so it
	// starts before the CLI (which takes far longer to boot) prints.
	args = append(args, ";", "pipe-pane", "-t", p.target, "-o", "cat > "+shellQuote(record))
	t.Cleanup(func() {
		sock, err := p.tmux("display-message", "-p", "#{socket_path}")
		_, _ = p.tmux("kill-server")
		if err == nil {
			_ = os.Remove(string(bytes.TrimSpace(sock)))
		}
	})
	p.run(t, args...)
	return p
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// styleRuns renders text with a style per rune as "<SGR>text" runs (the SGR
// from Style.AppendSGR, written where the style changes), trailing spaces
// dropped whatever their style (capture-pane -e drops them too).
//
// ptyhost answers the colour queries OSC 10/11 (foreground rgb:ffff/ffff/
// ffff, background rgb:0000/0000/0000); tmux 3.3a does not answer them. The
// CLIs paint with what they learn: Codex writes its key hints as
// "\x1b[1m\x1b[38;2;255;255;255;49menter" to ptyhost and "\x1b[1menter" to
// tmux, Claude Code fills with "\x1b[48;2;0;0;0m" in ptyhost only. So a
// white foreground and a black background count as the default colours on
// both sides.
func styleRuns(text []string, styles []Style) string {
	for i, st := range styles {
		if st.Fg == RGBColor(255, 255, 255) {
			styles[i].Fg = DefaultColor
		}
		if st.Bg == RGBColor(0, 0, 0) {
			styles[i].Bg = DefaultColor
		}
	}
	end := len(text)
	for end > 0 && text[end-1] == " " {
		end--
	}
	var b []byte
	for i := range end {
		if i == 0 || styles[i] != styles[i-1] {
			b = styles[i].AppendSGR(b)
		}
		b = append(b, text[i]...)
	}
	return string(b)
}

// styledCells is styleRuns of a ptyhost row.
func styledCells(l Line) string {
	var text []string
	var styles []Style
	for _, c := range l {
		if c.Width == 0 {
			continue // the right half of a wide character
		}
		content := c.Content
		if content == "" {
			content = " "
		}
		text = append(text, content)
		styles = append(styles, c.Style)
	}
	return styleRuns(text, styles)
}

// styledSGR is styleRuns of a `tmux capture-pane -e` row: text with SGR
// sequences, parsed into ptyhost Styles from st, the style the row before
// ended in (each rune is one piece; the combining and joining runes of a
// cluster follow their base with its style, so the runs come out the
// same). It returns the style the row ends in too.
func styledSGR(row string, st Style) (string, Style) {
	var text []string
	var styles []Style
	for i := 0; i < len(row); {
		if strings.HasPrefix(row[i:], "\x1b[") {
			j := i + 2
			for j < len(row) && (row[j] < 0x40 || row[j] > 0x7e) {
				j++
			}
			if j < len(row) && row[j] == 'm' {
				st = applySGR(st, row[i+2:j])
			}
			i = j + 1
			continue
		}
		r := []rune(row[i:])[0]
		n := len(string(r))
		if len(text) > 0 && (r == 0x200d || (r >= 0x300 && r <= 0x36f) || (len(text) > 0 && strings.HasSuffix(text[len(text)-1], "\u200d")) || (r >= 0xfe00 && r <= 0xfe0f)) {
			text[len(text)-1] += row[i : i+n]
		} else {
			text = append(text, row[i:i+n])
			styles = append(styles, st)
		}
		i += n
	}
	return styleRuns(text, styles), st
}

// applySGR applies the parameters of one SGR sequence as tmux writes them.
func applySGR(st Style, params string) Style {
	ps := strings.Split(params, ";")
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	color := func(i int) (Color, int) { // ps[i] is "5" or "2"
		switch {
		case i < len(ps) && ps[i] == "5" && i+1 < len(ps):
			return IndexedColor(uint8(num(ps[i+1]))), i + 2
		case i < len(ps) && ps[i] == "2" && i+3 < len(ps):
			return RGBColor(uint8(num(ps[i+1])), uint8(num(ps[i+2])), uint8(num(ps[i+3]))), i + 4
		}
		return DefaultColor, len(ps)
	}
	for i := 0; i < len(ps); {
		p := ps[i]
		i++
		if strings.HasPrefix(p, "4:") {
			st.Underline = UnderlineStyle(num(p[2:]))
			continue
		}
		switch n := num(p); {
		case p == "" || n == 0:
			st = Style{}
		case n == 1:
			st.Attrs |= AttrBold
		case n == 2:
			st.Attrs |= AttrFaint
		case n == 3:
			st.Attrs |= AttrItalic
		case n == 4:
			st.Underline = UnderlineSingle
		case n == 5:
			st.Attrs |= AttrBlink
		case n == 7:
			st.Attrs |= AttrReverse
		case n == 8:
			st.Attrs |= AttrConceal
		case n == 9:
			st.Attrs |= AttrStrikethrough
		case n == 21:
			st.Underline = UnderlineDouble
		case n == 22:
			st.Attrs &^= AttrBold | AttrFaint
		case n == 23:
			st.Attrs &^= AttrItalic
		case n == 24:
			st.Underline = UnderlineNone
		case n == 25:
			st.Attrs &^= AttrBlink
		case n == 27:
			st.Attrs &^= AttrReverse
		case n == 28:
			st.Attrs &^= AttrConceal
		case n == 29:
			st.Attrs &^= AttrStrikethrough
		case n >= 30 && n <= 37:
			st.Fg = IndexedColor(uint8(n - 30))
		case n == 38:
			st.Fg, i = color(i)
		case n == 39:
			st.Fg = DefaultColor
		case n >= 40 && n <= 47:
			st.Bg = IndexedColor(uint8(n - 40))
		case n == 48:
			st.Bg, i = color(i)
		case n == 49:
			st.Bg = DefaultColor
		case n == 58:
			st.UnderlineColor, i = color(i)
		case n == 59:
			st.UnderlineColor = DefaultColor
		case n >= 90 && n <= 97:
			st.Fg = IndexedColor(uint8(n - 90 + 8))
		case n >= 100 && n <= 107:
			st.Bg = IndexedColor(uint8(n - 100 + 8))
		}
	}
	return st
}

// TestAgentCLIStyleRuns checks the style comparison itself: a ptyhost row
// and the same row as tmux 3.3a's capture-pane -e writes it (SGR carried
// over from the row before, as in "\x1b[38;5;6mA\r\nC") give the same runs,
// and a different style does not.
func TestAgentCLIStyleRuns(t *testing.T) {
	term := NewTerminal(20, 3, TerminalOptions{})
	defer term.Close()
	_, _ = term.Write([]byte("\x1b[2m\x1b[38;5;6;49m> 1. \x1b[22mSign\r\n\x1b[2mUsage \x1b[0;1;4;38;2;1;2;3;48;5;200mx\x1b[m 世\r\n"))
	term.Flush()
	scr := term.Snapshot()
	// What tmux 3.3a prints for the same rows.
	tmuxRows := []string{
		"\x1b[2m\x1b[38;5;6m> 1. \x1b[0m\x1b[38;5;6m\x1b[49mSign",
		"\x1b[2mUsage \x1b[0m\x1b[1m\x1b[4m\x1b[38;2;1;2;3m\x1b[48;5;200mx\x1b[0m 世",
		"",
	}
	var st Style
	for i, row := range tmuxRows {
		var got string
		got, st = styledSGR(row, st)
		if want := styledCells(scr.Lines[i]); got != want {
			t.Errorf("row %d: tmux %q, ptyhost %q", i, got, want)
		}
	}
	if a, _ := styledSGR("\x1b[1mx", Style{}); a == styledCells(scr.Lines[1]) {
		t.Errorf("different styles compare equal: %q", a)
	}
}

// killProcessesUnder kills the processes whose program lies under dir: the
// daemons a CLI started from its HOME there, which outlive the session.
func killProcessesUnder(t *testing.T, dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.HasPrefix(b, []byte(dir+"/")) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
			t.Logf("killed %d left behind: %s", pid, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
}
