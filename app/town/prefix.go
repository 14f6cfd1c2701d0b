package town

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// prefixPattern is the beads prefix rule (spec §4.6).
var prefixPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,19}$`)

// ValidatePrefix checks a beads prefix.
func ValidatePrefix(p string) error {
	if !prefixPattern.MatchString(p) {
		return fmt.Errorf("invalid prefix %q: must match ^[a-zA-Z][a-zA-Z0-9-]{0,19}$", p)
	}
	return nil
}

// compoundSuffixes end one-word rig names that split into two parts.
var compoundSuffixes = []string{"town", "ville", "port", "place", "land", "field", "wood", "ford"}

// DerivePrefix derives a beads prefix from a rig name (spec §6.1): strip
// -py/-go; split on - and _ and camelCase, or on a compound suffix; two or
// more parts give their first letters (my-project → mp, gastown → gt); one
// word of at most 3 characters is itself; else its first 2 characters
// (backend → ba). The result is lowercase.
func DerivePrefix(name string) string {
	n := name
	for _, suf := range []string{"-py", "-go", "_py", "_go"} {
		if len(n) > len(suf) && strings.HasSuffix(strings.ToLower(n), suf) {
			n = n[:len(n)-len(suf)]
			break
		}
	}
	parts := splitWords(n)
	if len(parts) == 1 {
		w := strings.ToLower(parts[0])
		for _, suf := range compoundSuffixes {
			if len(w) > len(suf) && strings.HasSuffix(w, suf) {
				parts = []string{w[:len(w)-len(suf)], suf}
				break
			}
		}
	}
	switch {
	case len(parts) == 0:
		return ""
	case len(parts) >= 2:
		var b strings.Builder
		for _, p := range parts {
			b.WriteRune(unicode.ToLower([]rune(p)[0]))
		}
		return b.String()
	}
	w := strings.ToLower(parts[0])
	if len([]rune(w)) <= 3 {
		return w
	}
	return string([]rune(w)[:2])
}

// splitWords splits on '-', '_' and lower→upper camelCase boundaries.
func splitWords(s string) []string {
	var parts []string
	var cur []rune
	rs := []rune(s)
	flush := func() {
		if len(cur) > 0 {
			parts = append(parts, string(cur))
			cur = nil
		}
	}
	for i, r := range rs {
		switch {
		case r == '-' || r == '_' || r == '.' || unicode.IsSpace(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return parts
}

// idPrefix returns the prefix of a bead ID: the part before the hash, with
// child suffixes (.n) and mol/wisp/cv infixes removed.
func idPrefix(id string) string {
	base, _, _ := strings.Cut(id, ".")
	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return ""
	}
	p := base[:i]
	for _, infix := range []string{"-mol", "-wisp", "-cv"} {
		if strings.HasSuffix(p, infix) {
			p = strings.TrimSuffix(p, infix)
			break
		}
	}
	return p
}

// JSONLPrefix returns the most common ID prefix of a beads JSONL export
// (ties broken alphabetically), or "" when it holds no IDs. Lines that do
// not parse are ignored here; the import reports them.
func JSONLPrefix(data []byte) string {
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var rec struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.ID == "" {
			continue
		}
		if p := idPrefix(rec.ID); p != "" {
			counts[p]++
		}
	}
	var best string
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if best == "" || counts[k] > counts[best] {
			best = k
		}
	}
	return best
}
