package town

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// InvalidJSONError reports a configuration file that does not parse. Its
// message is the spec's `<file>: invalid JSON at line L col C: <reason>`.
type InvalidJSONError struct {
	File      string
	Line, Col int
	Reason    string
}

// Error formats the spec's message.
func (e *InvalidJSONError) Error() string {
	return fmt.Sprintf("%s: invalid JSON at line %d col %d: %s", e.File, e.Line, e.Col, e.Reason)
}

// lineCol turns a byte offset into a 1-based line and column (in bytes).
func lineCol(data []byte, off int64) (int, int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// decodeJSONError converts an encoding/json error into an InvalidJSONError
// positioned in data.
func decodeJSONError(file string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := syn.Offset
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		// The offset of a syntax error is just past the offending byte.
		if off > 0 && off <= int64(len(data)) && msg != "unexpected end of JSON input" {
			off--
		}
		l, c := lineCol(data, off)
		return &InvalidJSONError{File: file, Line: l, Col: c, Reason: msg}
	case errors.As(err, &typ):
		// Nested custom unmarshalers report offsets relative to their own
		// object, so find the value by its key path; else walk back from
		// the offset, which is just past the offending value.
		off, found := pathOffset(data, strings.Split(typ.Field, "."))
		if !found {
			off = valueStart(data, typ.Offset)
		}
		l, c := lineCol(data, off)
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return &InvalidJSONError{File: file, Line: l, Col: c,
			Reason: fmt.Sprintf("%s: expected %s, got JSON %s", field, jsonKind(typ.Type), typ.Value)}
	}
	l, c := lineCol(data, int64(len(data)))
	return &InvalidJSONError{File: file, Line: l, Col: c, Reason: strings.TrimPrefix(err.Error(), "json: ")}
}

// pathOffset finds the byte offset of the value at an object key path.
func pathOffset(data []byte, path []string) (int64, bool) {
	if len(path) == 0 || path[0] == "" {
		return 0, false
	}
	type frame struct {
		obj, wantKey bool
		key          string
	}
	var st []frame
	valueDone := func() {
		if n := len(st); n > 0 && st[n-1].obj {
			st[n-1].wantKey = true
		}
	}
	keyPathIs := func() bool {
		var keys []string
		for _, f := range st {
			if f.obj {
				keys = append(keys, f.key)
			}
		}
		if len(keys) != len(path) {
			return false
		}
		for i := range keys {
			if keys[i] != path[i] {
				return false
			}
		}
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				st = append(st, frame{obj: true, wantKey: true})
			case '[':
				st = append(st, frame{})
			default:
				if len(st) > 0 {
					st = st[:len(st)-1]
				}
				valueDone()
			}
		case string:
			if n := len(st); n > 0 && st[n-1].obj && st[n-1].wantKey {
				st[n-1].key, st[n-1].wantKey = v, false
				if keyPathIs() {
					off := dec.InputOffset()
					for off < int64(len(data)) && strings.ContainsRune(" \t\r\n:", rune(data[off])) {
						off++
					}
					return off, true
				}
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// valueStart walks back from the end of a value to its start (best effort:
// to the previous ':' , ',' or '[').
func valueStart(data []byte, end int64) int64 {
	if end > int64(len(data)) {
		end = int64(len(data))
	}
	if end <= 0 {
		return 0
	}
	i := end - 1
	for i > 0 && !bytes.ContainsRune([]byte(":,["), rune(data[i-1])) {
		i--
	}
	for i < end && (data[i] == ' ' || data[i] == '\n' || data[i] == '\t' || data[i] == '\r') {
		i++
	}
	return i
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// readJSONFile decodes the JSON file at path into v. label names the file in
// error messages. A missing file returns an error matching os.ErrNotExist.
func readJSONFile(path, label string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decodeJSON(label, data, v)
}

// decodeJSON decodes one JSON object, rejecting trailing data.
func decodeJSON(label string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return &InvalidJSONError{File: label, Line: 1, Col: 1, Reason: "file is empty"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		if errors.As(err, &syn) || errors.As(err, &typ) {
			return decodeJSONError(label, data, err)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			l, c := lineCol(data, int64(len(data)))
			return &InvalidJSONError{File: label, Line: l, Col: c, Reason: "unexpected end of JSON input"}
		}
		return decodeJSONError(label, data, err)
	}
	off := dec.InputOffset()
	rest := bytes.TrimSpace(data[off:])
	if len(rest) > 0 {
		start := off + int64(bytes.Index(data[off:], rest[:1]))
		l, c := lineCol(data, start)
		return &InvalidJSONError{File: label, Line: l, Col: c, Reason: "invalid character after top-level value"}
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed over the target, so readers see the old or
// the new content, never a mix.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	ok = true
	return nil
}

// writeJSONFile writes v as 2-space-indented JSON plus a newline, atomically.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// jsonKeys returns the JSON names of a struct type's fields.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		keys[name] = true
	}
	return keys
}

// splitExtra decodes data into plain (a pointer to a struct without custom
// JSON methods) and returns the object keys the struct does not know, kept
// verbatim so a later write can put them back.
func splitExtra(data []byte, plain any) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, plain); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	known := jsonKeys(reflect.TypeOf(plain).Elem())
	var extra map[string]json.RawMessage
	for k, v := range all {
		if !known[k] {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = v
		}
	}
	return extra, nil
}

// joinExtra encodes plain and appends the preserved unknown keys (sorted)
// after the known ones.
func joinExtra(plain any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(plain)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1]) // without the closing brace
	first := len(bytes.TrimSpace(b[1:len(b)-1])) == 0
	for _, k := range keys {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		v := extra[k]
		if len(bytes.TrimSpace(v)) == 0 {
			v = json.RawMessage("null")
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
