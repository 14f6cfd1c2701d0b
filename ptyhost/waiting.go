package ptyhost

import (
	"regexp"
	"strings"
	"time"
)

// questionPatterns are spec §9's "waiting for the human" patterns. A
// constant table: compiled once, never modified.
var questionPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)do you want`),
	regexp.MustCompile(`(?i)would you like`),
	regexp.MustCompile(`(?i)\[y/n\]`),
	regexp.MustCompile(`(?i)\(y/n\)`),
	regexp.MustCompile(`(?i)allow .*\?`),
	regexp.MustCompile(`(?i)permission required`),
	regexp.MustCompile(`(?i)press enter to continue`),
}

// questionWindow is how many non-empty screen lines, counted from the
// bottom, are searched for a question.
const questionWindow = 15

// Waiting implements the `waiting` rule of spec §9 for a live session: the
// pane has been quiet for at least quietThreshold and either a notification
// or bell arrived since the last input, or one of the last 15 non-empty
// screen lines asks a question, or the agent is hooked and its runtime's
// ready prompt is on the cursor line. It returns a short reason when true.
func Waiting(screenLines []string, quietFor time.Duration, notifiedSinceInput bool, readyPrompt string, cursorLine string, hooked bool, quietThreshold time.Duration) (bool, string) {
	if quietFor < quietThreshold {
		return false, ""
	}
	if notifiedSinceInput {
		return true, "notification"
	}
	seen := 0
	for i := len(screenLines) - 1; i >= 0 && seen < questionWindow; i-- {
		line := strings.TrimSpace(screenLines[i])
		if line == "" {
			continue
		}
		seen++
		for _, re := range questionPatterns {
			if re.MatchString(line) {
				return true, "question: " + truncateRunes(line, 60)
			}
		}
	}
	if hooked && readyPrompt != "" && strings.Contains(cursorLine, strings.TrimSpace(readyPrompt)) {
		return true, "ready prompt"
	}
	return false, ""
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// answeredMark replaces a question line the user has already answered, so
// it no longer counts: non-empty (it still fills the 15-line window) and
// matching no pattern.
const answeredMark = "\x00answered"

// questionLines returns the screen rows (indexes into lines) of the last 15
// non-empty lines that ask a question, with their trimmed text.
func questionLines(lines []string) map[int]string {
	out := map[int]string{}
	seen := 0
	for i := len(lines) - 1; i >= 0 && seen < questionWindow; i-- {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		seen++
		for _, re := range questionPatterns {
			if re.MatchString(line) {
				out[i] = line
				break
			}
		}
	}
	return out
}

// maskAnswered hides question lines that were on screen when the user last
// typed and are still there unchanged (their text may have grown by the
// echoed answer, e.g. "[y/n] y"): an answered question left on screen must
// not raise `waiting` again once the agent goes quiet. answered maps
// absolute line numbers (scrollback length + row at the time) to text; base
// is the current scrollback length. A question redrawn elsewhere, or
// replaced by a new one, still counts.
func maskAnswered(lines []string, answered map[int]string, base int) []string {
	if len(answered) == 0 {
		return lines
	}
	out := lines
	copied := false
	for i, l := range lines {
		t, ok := answered[base+i]
		if !ok || !strings.HasPrefix(strings.TrimSpace(l), t) {
			continue
		}
		if !copied {
			out = append([]string(nil), lines...)
			copied = true
		}
		out[i] = answeredMark
	}
	return out
}
