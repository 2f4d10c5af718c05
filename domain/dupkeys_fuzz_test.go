package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzDuplicateKey compares the one-pass scanner with a plain reference
// built on encoding/json's tokenizer: on every valid JSON text both find
// the same first repeated key (or none).
func FuzzDuplicateKey(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":{"a":2,"c":[{"x":1},{"x":2,"X":3}]},"B":0}`,
		`{"command":"ClearArea","data":{"size_m2":5,"SIZE_M2":6}}`,
		`{"k\u0041":1,"ka":2}`,
		`{"s":1,"ſ":2,"K":3,"k":4}`,
		`[{"a":[1,{"a":1,"a":2}]}]`,
		`{"` + strings.Repeat(`a`, 3) + `":{}, "x":"{\"y\":1,\"y\":2}"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if !json.Valid(line) {
			return
		}
		_, key, _, dup := duplicateKey(line)
		wantKey, wantDup := referenceDuplicateKey(t, line)
		if dup != wantDup || key != wantKey {
			t.Fatalf("%s: scanner (%v, %q), reference (%v, %q)", line, dup, key, wantDup, wantKey)
		}
	})
}

func referenceDuplicateKey(t *testing.T, line []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", false
		}
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.object {
					top.expectKey = true
				}
				stack = append(stack, &frame{object: true, expectKey: true, keys: map[string]bool{}})
			case '[':
				if top != nil && top.object {
					top.expectKey = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.object && top.expectKey {
				k := foldKey(v)
				if top.keys[k] {
					return v, true
				}
				top.keys[k] = true
				top.expectKey = false
				continue
			}
		}
		if top != nil && top.object {
			top.expectKey = true
		}
	}
}
