package pane

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/gastown/gt/models"
	"github.com/gastown/gt/views/common"
	"github.com/gastown/gt/views/styles"
)

// fakeScreen is a history of rows; rows are padded/cut to the width asked.
type fakeScreen struct {
	rows  []string
	title string
}

func (s fakeScreen) Len() int      { return len(s.rows) }
func (s fakeScreen) Title() string { return s.title }
func (s fakeScreen) Render(from, n, w int) []string {
	var out []string
	for i := from; i < from+n && i < len(s.rows); i++ {
		out = append(out, common.Fit(s.rows[i], w))
	}
	return out
}

func (s fakeScreen) Plain(from, n int) []string {
	var out []string
	for i := from; i < from+n && i < len(s.rows); i++ {
		out = append(out, ansi.Strip(s.rows[i]))
	}
	return out
}

func screenOf(n int) fakeScreen {
	s := fakeScreen{title: "✳ Claude Code"}
	for i := 0; i < n; i++ {
		s.rows = append(s.rows, fmt.Sprintf("\x1b[32mline %02d\x1b[m output of the agent", i))
	}
	return s
}

func newPane(info Info, scr Screen) Model {
	st := styles.Default()
	return New(common.New(&st), info, scr)
}

var sizes = [][2]int{{20, 5}, {40, 12}, {80, 24}, {120, 40}}

func TestGoldenPane(t *testing.T) {
	infos := map[string]Info{
		"working": {Name: "myproject/furiosa", Runtime: "codex", State: models.StateWorking, Hook: "mp-k3v9a"},
		"waiting": {Name: "mayor", Runtime: "claude", State: models.StateWaiting, Attention: true},
		"exited":  {Name: "myproject/nux", Runtime: "demo", State: models.StateExited, ExitCode: 127},
	}
	for name, info := range infos {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				p := newPane(info, screenOf(50))
				p.SetSize(sz[0], sz[1])
				if name == "working" {
					p.Focus()
				}
				out := p.View()
				checkBox(t, out, sz[0], sz[1])
				golden.RequireEqual(t, ansi.Strip(out))
			})
		}
	}
}

// TestGoldenPaneColour keeps the styling: focused border colour, the app's
// own SGR inside.
func TestGoldenPaneColour(t *testing.T) {
	p := newPane(Info{Name: "mayor", Runtime: "claude", State: models.StateWorking}, screenOf(5))
	p.SetSize(40, 12)
	p.Focus()
	golden.RequireEqual(t, p.View())
}

func checkBox(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d wide, want %d: %q", i, got, w, l)
		}
	}
}

func TestTitle(t *testing.T) {
	p := newPane(Info{Name: "myproject/furiosa", Runtime: "codex", State: models.StateWaiting, Hook: "mp-k3v9a"},
		fakeScreen{title: strings.Repeat("t", 60)})
	want := "myproject/furiosa " + strings.Repeat("t", 39) + "… · codex · ◐ waiting · mp-k3v9a"
	if got := p.TitleText(); got != want {
		t.Fatalf("title %q\nwant  %q", got, want)
	}
}

func TestScrollAndCopyMode(t *testing.T) {
	p := newPane(Info{Name: "mayor", State: models.StateIdle}, screenOf(50))
	p.SetSize(40, 12)
	p.ScrollBy(1000)
	if p.Offset() != 40 {
		t.Fatalf("offset %d, want 40 (50 rows, 10 visible)", p.Offset())
	}
	p.ScrollBy(-1000)
	p.EnterCopyMode()
	send := func(keys ...string) tea.Cmd {
		var cmd tea.Cmd
		for _, k := range keys {
			var msg tea.KeyPressMsg
			switch k {
			case "enter":
				msg = tea.KeyPressMsg{Code: tea.KeyEnter}
			case "esc":
				msg = tea.KeyPressMsg{Code: tea.KeyEscape}
			default:
				msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
			}
			p, cmd = p.Update(msg)
		}
		return cmd
	}
	send("/", "l", "i", "n", "e", " ", "0", "3", "enter")
	if p.cp.cursor != 3 || p.Offset() == 0 {
		t.Fatalf("search: cursor %d offset %d", p.cp.cursor, p.Offset())
	}
	if !strings.Contains(p.TitleText(), "COPY /line 03") {
		t.Fatalf("title %q", p.TitleText())
	}
	send("v", "j", "j")
	cmd := send("y")
	msg, ok := cmd().(CopyMsg)
	if !ok || msg.Text != "line 03 output of the agent\nline 04 output of the agent\nline 05 output of the agent" {
		t.Fatalf("copy = %#v", cmd())
	}
	if p.InCopyMode() || p.Offset() != 0 {
		t.Fatal("y did not leave copy mode")
	}
	p.EnterCopyMode()
	send("g")
	if p.cp.cursor != 0 {
		t.Fatalf("g: cursor %d", p.cp.cursor)
	}
	send("/", "z", "z", "enter")
	if !strings.Contains(p.TitleText(), "no match") {
		t.Fatalf("no-match title %q", p.TitleText())
	}
	if _, ok := send("q")().(CopyModeExitedMsg); !ok || p.InCopyMode() {
		t.Fatal("q did not leave copy mode")
	}
}

// TestGoldenPaneCopyMode: the copy cursor and selection are reversed rows
// (kept with colour), the title says COPY.
func TestGoldenPaneCopyMode(t *testing.T) {
	p := newPane(Info{Name: "mayor", Runtime: "claude", State: models.StateIdle}, screenOf(30))
	p.SetSize(40, 8)
	p.Focus()
	p.EnterCopyMode()
	for _, k := range []string{"k", "v", "k", "k"} {
		p, _ = p.Update(tea.KeyPressMsg{Code: []rune(k)[0], Text: k})
	}
	out := p.View()
	if !strings.Contains(ansi.Strip(out), "· COPY") {
		t.Fatalf("no COPY in title:\n%s", ansi.Strip(out))
	}
	golden.RequireEqual(t, out)
}
