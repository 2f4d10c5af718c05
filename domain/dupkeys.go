package domain

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// duplicateKey reports the first object key of the JSON text line that
// appears twice in the same object, at any depth: the field path the
// decoder uses ("command" for the envelope, "size_m2" or "evidence[0].kind"
// inside "data"), the repeated key as written and its first spelling. Keys are compared as
// encoding/json matches them to struct fields, without regard to case, so
// {"size_m2":1,"SIZE_M2":2} is a duplicate too: decoders disagree on which
// value wins, and the engine must not pick one silently.
//
// line must already be known to be valid JSON. The scan is one pass with
// no allocation for ordinary commands; an object with many keys is checked
// with a map, so a hostile line cannot make it quadratic.
func duplicateKey(line []byte) (path, key, first string, ok bool) {
	var stackBuf [16]dupFrame
	stack := stackBuf[:0]
	var keysBuf [64]dupSpan
	keys := keysBuf[:0] // the keys of every open object, innermost last
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '{':
			stack = append(stack, dupFrame{keysFrom: len(keys), expectKey: true})
		case '[':
			stack = append(stack, dupFrame{array: true, keysFrom: len(keys)})
		case '}', ']':
			if n := len(stack); n > 0 {
				keys = keys[:stack[n-1].keysFrom]
				stack = stack[:n-1]
			}
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].array {
					stack[n-1].index++
				} else {
					stack[n-1].expectKey = true
				}
			}
		case '"':
			start := i + 1
			escaped := false
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					escaped = true
					i++
				}
			}
			n := len(stack)
			if n == 0 || stack[n-1].array || !stack[n-1].expectKey {
				continue // a value
			}
			f := &stack[n-1]
			f.expectKey = false
			k := dupSpan{start, i, escaped}
			f.key = k
			if f.seen != nil {
				name := foldKey(k.text(line))
				if o, dup := f.seen[name]; dup {
					f.key = o
					return dupPath(line, stack), k.text(line), o.text(line), true
				}
				f.seen[name] = k
				continue
			}
			for _, o := range keys[f.keysFrom:] {
				if o.equalFold(line, k) {
					f.key = o
					return dupPath(line, stack), k.text(line), o.text(line), true
				}
			}
			keys = append(keys, k)
			if len(keys)-f.keysFrom > 16 { // many keys: a map from here on
				f.seen = make(map[string]dupSpan, 32)
				for _, o := range keys[f.keysFrom:] {
					f.seen[foldKey(o.text(line))] = o
				}
				keys = keys[:f.keysFrom]
			}
		}
	}
	return "", "", "", false
}

type dupFrame struct {
	array     bool
	expectKey bool
	index     int                // arrays: the current element
	key       dupSpan            // objects: the current key
	keysFrom  int                // where this object's keys start in the shared list
	seen      map[string]dupSpan // objects with many keys: folded key -> first
}

// dupSpan is a key's text between its quotes.
type dupSpan struct {
	from, to int
	escaped  bool
}

func (s dupSpan) text(line []byte) string {
	raw := line[s.from:s.to]
	if !s.escaped && utf8.Valid(raw) {
		return string(raw)
	}
	var out string
	if err := json.Unmarshal(line[s.from-1:s.to+1], &out); err != nil {
		return string(raw)
	}
	return out
}

func (s dupSpan) equalFold(line []byte, o dupSpan) bool {
	if !s.escaped && !o.escaped {
		return bytes.EqualFold(line[s.from:s.to], line[o.from:o.to])
	}
	return strings.EqualFold(s.text(line), o.text(line))
}

// dupPath names the key being read: envelope keys by name, keys inside
// "data" as the decoder names fields (relative to data).
func dupPath(line []byte, stack []dupFrame) string {
	var b strings.Builder
	for d := range stack {
		f := stack[d]
		if d == 1 && !stack[0].array && strings.EqualFold(stack[0].key.text(line), "data") {
			b.Reset() // fields inside data are named without "data."
		}
		switch {
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key.text(line))
		}
	}
	return b.String()
}

// foldKey folds a key as encoding/json does to match field names:
// foldKey(x) == foldKey(y) exactly when bytes.EqualFold(x, y).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(unicode.ToUpper(unicode.ToLower(r)))
	}
	return b.String()
}
