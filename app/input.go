package app

import (
	"context"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/gastown/gt/ptyhost"
)

// inputJob is one write to a pane. Jobs run in order on one goroutine, so
// keystrokes reach the PTY in the order they were typed (separate Cmds
// would race).
type inputJob func()

// inputQueueLen bounds queued input; a full queue drops the job rather than
// block the UI (ptyhost queues again behind it, so this only fills when a
// pane is wedged).
const inputQueueLen = 4096

// startInputWriter runs jobs in order until ctx ends and returns the sink
// Update hands jobs to. The send never blocks.
func startInputWriter(ctx context.Context) func(inputJob) {
	ch := make(chan inputJob, inputQueueLen)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case job := <-ch:
				runJob(job)
			}
		}
	}()
	return func(j inputJob) {
		select {
		case ch <- j:
		default:
		}
	}
}

// runJob runs one job, containing a panic to it (a goroutine boundary).
func runJob(j inputJob) {
	defer func() { _ = recover() }()
	j()
}

// syncInput runs jobs at once (tests).
func syncInput(j inputJob) { runJob(j) }

// toPTYKey maps a bubbletea key press to the key ptyhost encodes. ok is
// false for keys with no terminal encoding; text is set instead when the
// press carries several runes (an IME commit), which is written as is.
func toPTYKey(k tea.KeyPressMsg) (pk ptyhost.Key, text string, ok bool) {
	mod := toPTYMod(k.Mod)
	if c, found := specialKeys[k.Code]; found {
		if k.Code == tea.KeySpace && mod == 0 {
			return ptyhost.Key{Code: ptyhost.KeyRune, Rune: ' '}, "", true
		}
		return ptyhost.Key{Code: c, Mod: mod}, "", true
	}
	if k.Text != "" {
		if utf8.RuneCountInString(k.Text) > 1 {
			return ptyhost.Key{}, k.Text, true
		}
		r, _ := utf8.DecodeRuneInString(k.Text)
		// The text is already shifted: drop shift so "A" is not sent as
		// shift+A.
		return ptyhost.Key{Code: ptyhost.KeyRune, Rune: r, Mod: mod &^ ptyhost.ModShift}, "", true
	}
	if k.Code > 0 && k.Code < utf8.RuneSelf || k.Code >= 0xa0 && k.Code < 0xe000 {
		return ptyhost.Key{Code: ptyhost.KeyRune, Rune: k.Code, Mod: mod}, "", true
	}
	return ptyhost.Key{}, "", false
}

func toPTYMod(m tea.KeyMod) ptyhost.Mod {
	var out ptyhost.Mod
	if m&tea.ModShift != 0 {
		out |= ptyhost.ModShift
	}
	if m&tea.ModAlt != 0 {
		out |= ptyhost.ModAlt
	}
	if m&tea.ModCtrl != 0 {
		out |= ptyhost.ModCtrl
	}
	if m&tea.ModMeta != 0 {
		out |= ptyhost.ModMeta
	}
	return out
}

// specialKeys maps bubbletea key codes to ptyhost's.
var specialKeys = map[rune]ptyhost.KeyCode{
	tea.KeyEnter: ptyhost.KeyEnter, tea.KeyTab: ptyhost.KeyTab, tea.KeyBackspace: ptyhost.KeyBackspace,
	tea.KeyEscape: ptyhost.KeyEscape, tea.KeySpace: ptyhost.KeySpace,
	tea.KeyUp: ptyhost.KeyUp, tea.KeyDown: ptyhost.KeyDown, tea.KeyRight: ptyhost.KeyRight, tea.KeyLeft: ptyhost.KeyLeft,
	tea.KeyHome: ptyhost.KeyHome, tea.KeyEnd: ptyhost.KeyEnd, tea.KeyPgUp: ptyhost.KeyPgUp, tea.KeyPgDown: ptyhost.KeyPgDown,
	tea.KeyInsert: ptyhost.KeyInsert, tea.KeyDelete: ptyhost.KeyDelete,
	tea.KeyF1: ptyhost.KeyF1, tea.KeyF2: ptyhost.KeyF2, tea.KeyF3: ptyhost.KeyF3, tea.KeyF4: ptyhost.KeyF4,
	tea.KeyF5: ptyhost.KeyF5, tea.KeyF6: ptyhost.KeyF6, tea.KeyF7: ptyhost.KeyF7, tea.KeyF8: ptyhost.KeyF8,
	tea.KeyF9: ptyhost.KeyF9, tea.KeyF10: ptyhost.KeyF10, tea.KeyF11: ptyhost.KeyF11, tea.KeyF12: ptyhost.KeyF12,
	tea.KeyKpEnter: ptyhost.KeyEnter,
}

// toPTYMouse maps a bubbletea mouse message to a pane-relative event.
func toPTYMouse(msg tea.MouseMsg, originX, originY int) ptyhost.MouseEvent {
	mo := msg.Mouse()
	ev := ptyhost.MouseEvent{X: mo.X - originX, Y: mo.Y - originY, Mod: toPTYMod(mo.Mod)}
	switch msg.(type) {
	case tea.MouseReleaseMsg:
		ev.Action = ptyhost.MouseRelease
	case tea.MouseMotionMsg:
		ev.Action = ptyhost.MouseMotion
	default:
		ev.Action = ptyhost.MousePress
	}
	switch mo.Button {
	case tea.MouseLeft:
		ev.Button = ptyhost.MouseLeft
	case tea.MouseMiddle:
		ev.Button = ptyhost.MouseMiddle
	case tea.MouseRight:
		ev.Button = ptyhost.MouseRight
	case tea.MouseWheelUp:
		ev.Button = ptyhost.MouseWheelUp
	case tea.MouseWheelDown:
		ev.Button = ptyhost.MouseWheelDown
	case tea.MouseWheelLeft:
		ev.Button = ptyhost.MouseWheelLeft
	case tea.MouseWheelRight:
		ev.Button = ptyhost.MouseWheelRight
	}
	return ev
}
