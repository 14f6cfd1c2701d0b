package dashboard

import (
	"errors"
	"strings"
	"unicode"
)

// CommandInfo is one entry of the dashboard's command allow-list (spec §10),
// as served by GET /api/commands.
type CommandInfo struct {
	// Command is the allowed command, without the leading "gt": one to three
	// words, e.g. "convoy list" or "bd close". A word starting with "-" is a
	// flag the entry requires somewhere after its leading words.
	Command string `json:"command"`
	// Confirm is true when the page must confirm before running it.
	Confirm bool `json:"confirm"`
	// Description says what it does, for the palette.
	Description string `json:"description"`
}

// allowList returns the allow-list of spec §10 (read-only commands first,
// then the ones that need confirmation). It is built per call so no
// package-level table can be mutated.
func allowList() []CommandInfo {
	ro := func(c, d string) CommandInfo { return CommandInfo{Command: c, Description: d} }
	cf := func(c, d string) CommandInfo { return CommandInfo{Command: c, Confirm: true, Description: d} }
	return []CommandInfo{
		ro("agents", "List every agent with its state"),
		ro("convoy list", "List open convoys"),
		ro("convoy show", "Show a convoy and its tracked issues"),
		ro("convoy status", "Show a convoy's progress"),
		ro("rig list", "List rigs"),
		ro("crew list", "List crew workspaces"),
		ro("hook show", "Show what is on an agent's hook"),
		ro("mail inbox", "List the overseer's mail"),
		ro("mail read", "Read a message"),
		ro("feed --plain", "Print recent town events"),
		ro("doctor", "Check the town's health"),
		ro("version", "Print the gt version"),
		ro("bd list", "List beads"),
		ro("bd ready", "List beads ready to work on"),
		ro("bd show", "Show beads"),
		ro("bd stats", "Bead counts by status"),
		ro("bd mol list", "List molecules"),
		cf("sling", "Assign a bead to an agent and start it"),
		cf("convoy create", "Create a convoy"),
		cf("convoy add", "Add beads to a convoy"),
		cf("convoy remove", "Remove beads from a convoy"),
		cf("convoy rename", "Rename a convoy"),
		cf("convoy close", "Close a convoy"),
		cf("mail send", "Send mail"),
		cf("nudge", "Type a message into an agent's session"),
		cf("mayor start", "Start the Mayor"),
		cf("mayor stop", "Stop the Mayor"),
		cf("crew add", "Add a crew workspace"),
		cf("crew start", "Start a crew member's session"),
		cf("rig add", "Add a rig"),
		cf("doctor --fix", "Check the town and fix what can be fixed"),
		cf("bd create", "Create a bead"),
		cf("bd update", "Update beads"),
		cf("bd close", "Close beads"),
	}
}

// errUnterminatedQuote is returned by splitCommand for an open quote.
var errUnterminatedQuote = errors.New("unterminated quote in command")

// splitCommand splits a palette command into argv the way a shell would
// split words, honouring '…' and "…" quotes, but with no expansion,
// escaping or any other shell syntax: nothing here ever reaches a shell.
// Backslashes are kept as they are (checkArgs refuses them).
func splitCommand(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		inArg bool
		quote rune
	)
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
			inArg = true
		case r == ' ' || r == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, errUnterminatedQuote
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args, nil
}

// forbiddenChars are the characters no dashboard argument may hold (spec §10).
const forbiddenChars = ";|&$`<>(){}\\"

// validArg reports whether an argument is free of control characters and
// shell metacharacters.
func validArg(a string) bool {
	for _, r := range a {
		if unicode.IsControl(r) || strings.ContainsRune(forbiddenChars, r) {
			return false
		}
	}
	return true
}

// hasForce reports whether argv asks for --force, in any spelling a flag
// parser would accept: "--force", "--force=…", and for bd close (whose short
// form is -f) a short-flag cluster containing f.
func hasForce(argv []string) bool {
	shortF := len(argv) >= 2 && argv[0] == "bd" && argv[1] == "close"
	for _, a := range argv {
		if a == "--force" || strings.HasPrefix(a, "--force=") {
			return true
		}
		if shortF && len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a[1:], 'f') {
			return true
		}
	}
	return false
}

// matchCommand finds the allow-list entry for argv: the entry whose leading
// words start argv and whose flag words all appear later in argv, the one
// with the most words winning (so "doctor --json --fix" needs confirmation
// like "doctor --fix"). ok is false when nothing matches.
func matchCommand(list []CommandInfo, argv []string) (CommandInfo, bool) {
	var best CommandInfo
	bestWords := 0
	for _, c := range list {
		words := strings.Fields(c.Command)
		var lead, flags []string
		for _, w := range words {
			if strings.HasPrefix(w, "-") {
				flags = append(flags, w)
			} else {
				lead = append(lead, w)
			}
		}
		if len(argv) < len(lead) {
			continue
		}
		match := true
		for i, w := range lead {
			if argv[i] != w {
				match = false
				break
			}
		}
		for _, f := range flags {
			if !containsFlag(argv[len(lead):], f) {
				match = false
			}
		}
		if match && len(words) > bestWords {
			best, bestWords = c, len(words)
		}
	}
	return best, bestWords > 0
}

// containsFlag reports whether args hold flag, alone or as flag=value
// (pflag accepts --fix=true).
func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// leadingWords is the part of argv named in "command not allowed: <words>":
// its first one to three words.
func leadingWords(argv []string) string {
	n := min(len(argv), 3)
	return strings.Join(argv[:n], " ")
}
