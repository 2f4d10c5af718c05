package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// The line reader drops a leading BOM, refuses a line over the limit
// without stopping, and reads a last line without a newline; lines longer
// than its buffer are read whole.
func TestLineReader(t *testing.T) {
	const max = 100_000 // above the reader's 64 KiB buffer
	long := strings.Repeat("x", max+1)
	exact := strings.Repeat("y", max)
	in := "\uFEFFfirst\n" + long + "\n" + exact + "\r\n" + strings.Repeat("z", 3*max) + "\nlast"
	type got struct {
		n       int
		line    string
		tooLong bool
	}
	want := []got{{1, "first", false}, {2, "", true}, {3, exact, false}, {4, "", true}, {5, "last", false}}
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		lr := newLineReader(r, max)
		var all []got
		for {
			line, n, tooLong, err := lr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, got{n, string(line), tooLong})
		}
		if len(all) != len(want) {
			t.Fatalf("%d lines, want %d", len(all), len(want))
		}
		for i := range want {
			if all[i] != want[i] {
				t.Errorf("line %d: got n=%d tooLong=%v len=%d, want n=%d tooLong=%v len=%d",
					i+1, all[i].n, all[i].tooLong, len(all[i].line), want[i].n, want[i].tooLong, len(want[i].line))
			}
		}
	}
}

// A BOM is dropped only at the start of the file.
func TestLineReaderKeepsALaterBOM(t *testing.T) {
	lr := newLineReader(strings.NewReader("a\n\uFEFFb\n"), 10)
	lr.next()
	line, _, _, _ := lr.next()
	if string(line) != "\uFEFFb" {
		t.Fatalf("second line %q", line)
	}
}
