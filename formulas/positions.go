package formulas

import (
	"strconv"
	"strings"
)

// positions maps key paths to where they appear in a TOML document. A path
// joins keys with "." and indexes array elements (arrays of tables and
// inline arrays alike) by their 0-based position: "steps.2.children.0.id".
// A table's path points at its header (or at the key of an inline table).
//
// BurntSushi/toml keeps key positions to itself, so scanKeyPositions skims
// the document a second time after the library has accepted it. The scanner
// only tracks keys and skips values; it never fails, and on input it does
// not understand it simply records fewer positions.
type positions map[string]position

// position is a 1-based line and column.
type position struct{ line, col int }

// lookup returns the position of path, falling back to its closest
// recorded ancestor.
func (p positions) lookup(path string) (position, bool) {
	for {
		if pos, ok := p[path]; ok {
			return pos, true
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return position{}, false
		}
		path = path[:i]
	}
}

// exact returns the position of path only if it was recorded itself.
func (p positions) exact(path string) (position, bool) {
	pos, ok := p[path]
	return pos, ok
}

type keyScanner struct {
	src  []rune
	i    int
	line int
	col  int
	out  positions
	// aot holds, for each array-of-tables path, the index of its last element.
	aot   map[string]int
	table string
}

func scanKeyPositions(src string) positions {
	s := &keyScanner{src: []rune(src), line: 1, col: 1, out: positions{}, aot: map[string]int{}}
	s.document()
	return s.out
}

func (s *keyScanner) eof() bool { return s.i >= len(s.src) }

func (s *keyScanner) peek(off int) rune {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func (s *keyScanner) next() {
	if s.eof() {
		return
	}
	if s.src[s.i] == '\n' {
		s.line++
		s.col = 1
	} else {
		s.col++
	}
	s.i++
}

func (s *keyScanner) pos() position { return position{s.line, s.col} }

// skipSpace skips blanks and, when nl is set, newlines and comments too.
func (s *keyScanner) skipSpace(nl bool) {
	for !s.eof() {
		switch c := s.peek(0); {
		case c == ' ' || c == '\t' || c == '\r':
			s.next()
		case nl && c == '\n':
			s.next()
		case nl && c == '#':
			s.skipLine()
		default:
			return
		}
	}
}

func (s *keyScanner) skipLine() {
	for !s.eof() && s.peek(0) != '\n' {
		s.next()
	}
}

func (s *keyScanner) record(path string, p position) {
	if _, ok := s.out[path]; !ok {
		s.out[path] = p
	}
}

func (s *keyScanner) document() {
	for !s.eof() {
		start := s.i
		s.skipSpace(true)
		if s.eof() {
			return
		}
		if s.peek(0) == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		s.skipSpace(false)
		if s.peek(0) == '#' {
			s.skipLine()
		}
		if s.i == start {
			s.next() // guarantee progress on anything unexpected
		}
	}
}

func join(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// header handles [a.b] and [[a.b]].
func (s *keyScanner) header() {
	p := s.pos()
	s.next()
	array := false
	if s.peek(0) == '[' {
		array = true
		s.next()
	}
	keys := s.keys()
	for !s.eof() && s.peek(0) != '\n' && s.peek(0) != ']' {
		s.next()
	}
	for s.peek(0) == ']' {
		s.next()
	}
	path := ""
	for i, k := range keys {
		path = join(path, k)
		last := i == len(keys)-1
		if last && array {
			n := 0
			if prev, ok := s.aot[path]; ok {
				n = prev + 1
			}
			s.aot[path] = n
			s.record(path, p)
			path = join(path, strconv.Itoa(n))
			continue
		}
		if idx, ok := s.aot[path]; ok {
			path = join(path, strconv.Itoa(idx))
		}
		s.record(path, p)
	}
	s.record(path, p)
	s.table = path
}

// keys reads a dotted key (bare or quoted parts).
func (s *keyScanner) keys() []string {
	var out []string
	for {
		s.skipSpace(false)
		k, ok := s.key()
		if !ok {
			return out
		}
		out = append(out, k)
		s.skipSpace(false)
		if s.peek(0) != '.' {
			return out
		}
		s.next()
	}
}

func (s *keyScanner) key() (string, bool) {
	switch c := s.peek(0); {
	case c == '"' || c == '\'':
		return s.quoted(c), true
	case isBareKey(c):
		var b strings.Builder
		for !s.eof() && isBareKey(s.peek(0)) {
			b.WriteRune(s.peek(0))
			s.next()
		}
		return b.String(), true
	}
	return "", false
}

func isBareKey(c rune) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// quoted reads a single-line quoted key and returns its (roughly unescaped)
// text.
func (s *keyScanner) quoted(q rune) string {
	s.next()
	var b strings.Builder
	for !s.eof() && s.peek(0) != q && s.peek(0) != '\n' {
		if q == '"' && s.peek(0) == '\\' {
			s.next()
		}
		b.WriteRune(s.peek(0))
		s.next()
	}
	if s.peek(0) == q {
		s.next()
	}
	return b.String()
}

// keyValue handles `a.b = value` relative to base.
func (s *keyScanner) keyValue(base string) {
	p := s.pos()
	keys := s.keys()
	if len(keys) == 0 {
		s.skipLine()
		return
	}
	path := base
	for _, k := range keys {
		path = join(path, k)
		s.record(path, p)
	}
	s.skipSpace(false)
	if s.peek(0) != '=' {
		return
	}
	s.next()
	s.skipSpace(false)
	s.value(path)
}

// value skips one value, recording the keys of inline tables and the
// positions of array elements under path.
func (s *keyScanner) value(path string) {
	switch c := s.peek(0); c {
	case '"', '\'':
		s.str(c)
	case '[':
		s.next()
		for n := 0; !s.eof(); n++ {
			s.skipSpace(true)
			if s.eof() || s.peek(0) == ']' {
				break
			}
			start := s.i
			elem := join(path, strconv.Itoa(n))
			s.record(elem, s.pos())
			s.value(elem)
			s.skipSpace(true)
			if s.peek(0) == ',' {
				s.next()
			} else if s.i == start {
				s.next()
			}
		}
		if s.peek(0) == ']' {
			s.next()
		}
	case '{':
		s.next()
		for !s.eof() {
			s.skipSpace(true)
			if s.eof() || s.peek(0) == '}' {
				break
			}
			start := s.i
			s.keyValue(path)
			s.skipSpace(true)
			if s.peek(0) == ',' {
				s.next()
			} else if s.i == start {
				s.next()
			}
		}
		if s.peek(0) == '}' {
			s.next()
		}
	default:
		for !s.eof() {
			switch s.peek(0) {
			case ',', ']', '}', '\n', '#':
				return
			}
			s.next()
		}
	}
}

// str skips a basic, literal or multi-line string.
func (s *keyScanner) str(q rune) {
	if s.peek(1) == q && s.peek(2) == q {
		s.next()
		s.next()
		s.next()
		for !s.eof() {
			if q == '"' && s.peek(0) == '\\' {
				s.next()
				s.next()
				continue
			}
			if s.peek(0) == q && s.peek(1) == q && s.peek(2) == q {
				// A multi-line string may end with up to two extra quotes.
				for s.peek(0) == q {
					s.next()
				}
				return
			}
			s.next()
		}
		return
	}
	s.next()
	for !s.eof() && s.peek(0) != '\n' {
		c := s.peek(0)
		if q == '"' && c == '\\' {
			s.next()
			s.next()
			continue
		}
		s.next()
		if c == q {
			return
		}
	}
}
