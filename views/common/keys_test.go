package common

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestListKeysMove(t *testing.T) {
	press := func(code rune, mod tea.KeyMod, text string) tea.KeyPressMsg {
		return tea.KeyPressMsg{Code: code, Mod: mod, Text: text}
	}
	k := DefaultListKeys()
	tests := []struct {
		name            string
		kp              tea.KeyPressMsg
		pos, last, half int
		want            int
		moved           bool
	}{
		{"k up", press('k', 0, "k"), 5, 9, 3, 4, true},
		{"arrow up", press(tea.KeyUp, 0, ""), 5, 9, 3, 4, true},
		{"j down", press('j', 0, "j"), 5, 9, 3, 6, true},
		{"arrow down", press(tea.KeyDown, 0, ""), 5, 9, 3, 6, true},
		{"ctrl+u half up", press('u', tea.ModCtrl, ""), 5, 9, 3, 2, true},
		{"pgup half up", press(tea.KeyPgUp, 0, ""), 5, 9, 3, 2, true},
		{"ctrl+d half down", press('d', tea.ModCtrl, ""), 5, 9, 3, 8, true},
		{"pgdown half down", press(tea.KeyPgDown, 0, ""), 5, 9, 3, 8, true},
		{"g top", press('g', 0, "g"), 5, 9, 3, 0, true},
		{"home top", press(tea.KeyHome, 0, ""), 5, 9, 3, 0, true},
		{"G bottom", press('G', tea.ModShift, "G"), 5, 9, 3, 9, true},
		{"end bottom", press(tea.KeyEnd, 0, ""), 5, 9, 3, 9, true},
		// Move does not clamp: callers clamp to their own range.
		{"up past the first", press('k', 0, "k"), 0, 9, 3, -1, true},
		{"down past the last", press('j', 0, "j"), 9, 9, 3, 10, true},
		{"half up past the first", press('u', tea.ModCtrl, ""), 1, 9, 3, -2, true},
		{"half down past the last", press('d', tea.ModCtrl, ""), 8, 9, 3, 11, true},
		{"bottom of an empty list", press('G', tea.ModShift, "G"), 0, -1, 1, -1, true},
		{"bottom beyond the rows", press(tea.KeyEnd, 0, ""), 2, 12, 1, 12, true},
		// Any other key is not a motion and leaves pos as it was.
		{"other key", press('x', 0, "x"), 5, 9, 3, 5, false},
		{"enter", press(tea.KeyEnter, 0, ""), 7, 9, 3, 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, moved := k.Move(tt.kp, tt.pos, tt.last, tt.half)
			if got != tt.want || moved != tt.moved {
				t.Errorf("Move(%q, %d, %d, %d) = %d, %v; want %d, %v",
					tt.kp.String(), tt.pos, tt.last, tt.half, got, moved, tt.want, tt.moved)
			}
		})
	}
}

func TestListKeysMoveDisabled(t *testing.T) {
	k := DefaultListKeys()
	k.Top.SetEnabled(false)
	kp := tea.KeyPressMsg{Code: 'g', Text: "g"}
	if got, moved := k.Move(kp, 4, 9, 2); got != 4 || moved {
		t.Errorf("disabled Top: Move = %d, %v; want 4, false", got, moved)
	}
}
