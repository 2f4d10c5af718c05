package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// defaultMaxLine is the longest command line exec reads: 16 MiB, far above
// any real command (a registration with a detailed polygon is tens of KiB).
const defaultMaxLine = 16 << 20

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// lineReader reads the lines of a JSON Lines file, ended by \n or \r\n: a
// UTF-8 byte order mark
// at the start is dropped, and a line longer than max is skipped (read to
// its end and not kept) and reported as too long, so one oversized line
// refuses only itself.
type lineReader struct {
	r     *bufio.Reader
	max   int
	n     int // the number of the line last read, from 1
	buf   []byte
	first bool
}

func newLineReader(in io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(in, 64<<10), max: max, first: true}
}

// next returns the next line without its end of line, its number, and
// whether it was longer than the limit (then line is nil). It returns
// io.EOF after the last line, or the read error. line is valid until the
// next call.
func (l *lineReader) next() (line []byte, n int, tooLong bool, err error) {
	l.buf = l.buf[:0]
	size, long := 0, false
	for {
		chunk, err := l.r.ReadSlice('\n')
		size += len(chunk)
		if size > l.max+2 { // longer than the limit whatever ends it (\r\n): keep nothing more
			long, l.buf = true, l.buf[:0]
		}
		full := errors.Is(err, bufio.ErrBufferFull)
		if !long && (full || len(l.buf) > 0) {
			l.buf = append(l.buf, chunk...)
		}
		switch {
		case full:
			continue
		case err != nil && !errors.Is(err, io.EOF):
			return nil, l.n, false, err
		case err != nil && size == 0:
			return nil, l.n, false, io.EOF
		}
		l.n++
		first := l.first
		l.first = false
		eol := 0
		switch {
		case bytes.HasSuffix(chunk, []byte("\r\n")) || (len(chunk) == 1 && chunk[0] == '\n' && bytes.HasSuffix(l.buf, []byte("\r\n"))):
			eol = 2
		case bytes.HasSuffix(chunk, []byte("\n")):
			eol = 1
		}
		size -= eol
		if long || size > l.max {
			return nil, l.n, true, nil
		}
		line = chunk
		if len(l.buf) > 0 {
			line = l.buf
		}
		line = line[:len(line)-eol]
		if first {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		return line, l.n, false, nil
	}
}
