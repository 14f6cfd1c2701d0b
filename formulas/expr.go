package formulas

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// placeholderRE matches a {{name}} placeholder (spec §7.2).
var placeholderRE = regexp.MustCompile(`\{\{([a-zA-Z_][a-zA-Z0-9_]*)\}\}`)

// handlebarsRE matches Handlebars-like block text that is never substituted.
var handlebarsRE = regexp.MustCompile(`\{\{\s*(?:[#/^>!][^}]*|else)\s*\}\}`)

// isHandlebarsWord reports whether a {{word}} is Handlebars syntax rather
// than a variable.
func isHandlebarsWord(name string) bool { return name == "else" || name == "this" }

// Placeholders returns the variable names referenced as {{name}} in text, in
// order of first appearance.
func Placeholders(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllStringSubmatch(text, -1) {
		if isHandlebarsWord(m[1]) || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		out = append(out, m[1])
	}
	return out
}

// Substitute replaces every {{name}} in text whose name has a value in vals.
// It returns the names it had to leave verbatim (no value) and whether
// Handlebars-like text was seen (also left verbatim).
func Substitute(text string, vals map[string]string) (out string, unresolved []string, handlebars bool) {
	handlebars = handlebarsRE.MatchString(text)
	seen := map[string]bool{}
	out = placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-2]
		if isHandlebarsWord(name) {
			handlebars = true
			return m
		}
		if v, ok := vals[name]; ok {
			return v
		}
		if !seen[name] {
			seen[name] = true
			unresolved = append(unresolved, name)
		}
		return m
	})
	return out, unresolved, handlebars
}

// condition is a parsed step condition (§7.1).
type condition struct {
	varName string
	negate  bool   // "!{{v}}"
	op      string // "", "==", "!="
	value   string
}

var (
	condTruthRE = regexp.MustCompile(`^\s*(!?)\s*\{\{([a-zA-Z_][a-zA-Z0-9_]*)\}\}\s*$`)
	condCmpRE   = regexp.MustCompile(`^\s*\{\{([a-zA-Z_][a-zA-Z0-9_]*)\}\}\s*(==|!=)\s*(.*?)\s*$`)
)

func parseCondition(s string) (condition, error) {
	if m := condTruthRE.FindStringSubmatch(s); m != nil {
		return condition{varName: m[2], negate: m[1] == "!"}, nil
	}
	if m := condCmpRE.FindStringSubmatch(s); m != nil {
		v := m[3]
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return condition{varName: m[1], op: m[2], value: v}, nil
	}
	return condition{}, fmt.Errorf("invalid condition %q (expected {{v}}, !{{v}}, {{v}} == x or {{v}} != x)", s)
}

// eval decides the condition given the variable's value.
func (c condition) eval(val string) bool {
	switch c.op {
	case "==":
		return val == c.value
	case "!=":
		return val != c.value
	}
	truthy := val != "" && val != "false" && val != "0"
	return truthy != c.negate
}

// maxLoopIterations bounds any loop so a typo cannot create a million beads.
const maxLoopIterations = 1000

// splitRange splits "a..b" into its two expressions.
func splitRange(r string) (string, string, error) {
	a, b, ok := strings.Cut(r, "..")
	if !ok || strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return "", "", fmt.Errorf("invalid range %q (expected a..b)", r)
	}
	return a, b, nil
}

// singleBraceRE matches a {name} loop/range variable.
var singleBraceRE = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_]*)\}`)

// evalRange computes the bounds of a range, substituting {var} from vals.
func evalRange(r string, vals map[string]string) (int64, int64, error) {
	a, b, err := splitRange(r)
	if err != nil {
		return 0, 0, err
	}
	lo, err := evalExpr(a, vals)
	if err != nil {
		return 0, 0, fmt.Errorf("range %q: %w", r, err)
	}
	hi, err := evalExpr(b, vals)
	if err != nil {
		return 0, 0, fmt.Errorf("range %q: %w", r, err)
	}
	return lo, hi, nil
}

// errNoValue marks an expression that names a variable without a value.
var errNoValue = errors.New("variable has no value")

// evalExpr evaluates integer arithmetic with + - * / ^ and parentheses;
// {var} is replaced by its value first.
func evalExpr(expr string, vals map[string]string) (int64, error) {
	var missing string
	s := singleBraceRE.ReplaceAllStringFunc(expr, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := vals[name]; ok {
			return "(" + v + ")"
		}
		if missing == "" {
			missing = name
		}
		return "0"
	})
	if missing != "" {
		return 0, fmt.Errorf("%w: %s", errNoValue, missing)
	}
	e := &exprParser{s: s}
	v, err := e.sum()
	if err != nil {
		return 0, err
	}
	e.space()
	if e.i < len(e.s) {
		return 0, fmt.Errorf("unexpected %q in %q", e.s[e.i:], expr)
	}
	return v, nil
}

type exprParser struct {
	s     string
	i     int
	depth int
}

const exprLimit = int64(1) << 40

func (e *exprParser) space() {
	for e.i < len(e.s) && (e.s[e.i] == ' ' || e.s[e.i] == '\t') {
		e.i++
	}
}

func (e *exprParser) sum() (int64, error) {
	v, err := e.product()
	if err != nil {
		return 0, err
	}
	for {
		e.space()
		if e.i >= len(e.s) || (e.s[e.i] != '+' && e.s[e.i] != '-') {
			return v, nil
		}
		op := e.s[e.i]
		e.i++
		w, err := e.product()
		if err != nil {
			return 0, err
		}
		if op == '+' {
			v += w
		} else {
			v -= w
		}
		if v > exprLimit || v < -exprLimit {
			return 0, errors.New("number too large")
		}
	}
}

func (e *exprParser) product() (int64, error) {
	v, err := e.power()
	if err != nil {
		return 0, err
	}
	for {
		e.space()
		if e.i >= len(e.s) || (e.s[e.i] != '*' && e.s[e.i] != '/') {
			return v, nil
		}
		op := e.s[e.i]
		e.i++
		w, err := e.power()
		if err != nil {
			return 0, err
		}
		if op == '*' {
			v *= w
		} else {
			if w == 0 {
				return 0, errors.New("division by zero")
			}
			v /= w
		}
		if v > exprLimit || v < -exprLimit {
			return 0, errors.New("number too large")
		}
	}
}

// power is right-associative: 2^3^2 = 2^9.
func (e *exprParser) power() (int64, error) {
	base, err := e.unary()
	if err != nil {
		return 0, err
	}
	e.space()
	if e.i >= len(e.s) || e.s[e.i] != '^' {
		return base, nil
	}
	e.i++
	exp, err := e.power()
	if err != nil {
		return 0, err
	}
	if exp < 0 {
		return 0, errors.New("negative exponent")
	}
	r := int64(1)
	for k := int64(0); k < exp; k++ {
		r *= base
		if r > exprLimit || r < -exprLimit {
			return 0, errors.New("number too large")
		}
		if r == 0 || r == 1 {
			break
		}
	}
	return r, nil
}

func (e *exprParser) unary() (int64, error) {
	e.space()
	if e.i < len(e.s) && e.s[e.i] == '-' {
		e.i++
		v, err := e.unary()
		return -v, err
	}
	if e.i < len(e.s) && e.s[e.i] == '+' {
		e.i++
		return e.unary()
	}
	return e.atom()
}

func (e *exprParser) atom() (int64, error) {
	e.space()
	if e.i >= len(e.s) {
		return 0, errors.New("unexpected end of expression")
	}
	if e.s[e.i] == '(' {
		e.depth++
		if e.depth > 64 {
			return 0, errors.New("expression nested too deeply")
		}
		e.i++
		v, err := e.sum()
		if err != nil {
			return 0, err
		}
		e.space()
		if e.i >= len(e.s) || e.s[e.i] != ')' {
			return 0, errors.New("missing )")
		}
		e.i++
		e.depth--
		return v, nil
	}
	start := e.i
	for e.i < len(e.s) && e.s[e.i] >= '0' && e.s[e.i] <= '9' {
		e.i++
	}
	if start == e.i {
		return 0, fmt.Errorf("unexpected %q", e.s[e.i:])
	}
	n, err := strconv.ParseInt(e.s[start:e.i], 10, 64)
	if err != nil || n > exprLimit {
		return 0, errors.New("number too large")
	}
	return n, nil
}

// matchGlob matches a step ID against a glob (path.Match syntax, where "*"
// also crosses dots since step IDs have no slashes).
func matchGlob(pattern, id string) (bool, error) {
	return path.Match(pattern, id)
}

// ParseVars turns repeated --var key=value flags into a map (§7.2); a flag
// without "=" or with an empty key is `invalid --var "X" (expected key=value)`.
// A later value for the same key wins.
func ParseVars(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range flags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid --var %q (expected key=value)", kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}
