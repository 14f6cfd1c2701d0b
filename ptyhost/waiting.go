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
