package exchange

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CSVReader reads an exchange CSV file one record at a time: RFC 4180 with
// a header line, comma separated, UTF-8 with or without a byte-order mark,
// LF or CRLF line ends, quoted fields that may hold commas, quotes ("") and
// line breaks.
type CSVReader struct {
	r      *csv.Reader
	header *Header
	width  int
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// NewCSVReader reads and checks the header. It returns a *FileError when
// the input is empty ("no header"), is not text ("not a CSV file": NUL
// bytes or invalid UTF-8 at its start) or lacks a required column.
func NewCSVReader(in io.Reader) (*CSVReader, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
		head = head[len(utf8BOM):]
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, &FileError{Problems: []Problem{{Reason: "no header: the file is empty"}}}
	}
	firstLine := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		firstLine = head[:i]
	} else if len(head) == 4096 {
		// A header longer than 4 KiB: check what we have, minus a rune cut in two.
		for len(firstLine) > 0 && !utf8.Valid(firstLine) && len(head)-len(firstLine) < utf8.UTFMax {
			firstLine = firstLine[:len(firstLine)-1]
		}
	}
	if bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(firstLine) {
		return nil, &FileError{Problems: []Problem{{Reason: "not a CSV file: binary content (NUL bytes or invalid UTF-8) at the start"}}}
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	names, err := r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &FileError{Problems: []Problem{{Reason: fmt.Sprintf("header line is not valid CSV: %v", pe.Err)}}}
		}
		if errors.Is(err, io.EOF) {
			return nil, &FileError{Problems: []Problem{{Reason: "no header: the file is empty"}}}
		}
		return nil, err
	}
	h, probs := newHeader(names)
	if len(probs) > 0 {
		return nil, &FileError{Problems: probs}
	}
	return &CSVReader{r: r, header: h, width: len(names)}, nil
}

// Header returns the file's header.
func (c *CSVReader) Header() *Header { return c.header }

// Next returns the next record, each value through UnescapeCSVCell. Blank
// lines are skipped. A record that is
// not valid CSV, has another number of fields than the header, or holds NUL
// bytes or invalid UTF-8 comes back as a *RecordError.
func (c *CSVReader) Next() (Record, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return Record{Pos: pe.StartLine}, &RecordError{Pos: pe.StartLine, Problem: Problem{Reason: "not valid CSV: " + pe.Err.Error()}}
		}
		return Record{}, err
	}
	line, _ := c.r.FieldPos(0) // valid only after a successful Read
	r := Record{Pos: line, Values: rec}
	if len(rec) != c.width {
		return r, &RecordError{Pos: line, Problem: Problem{Reason: fmt.Sprintf("%d fields, the header has %d (a comma inside a value must be quoted)", len(rec), c.width)}}
	}
	for i, v := range rec {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return r, &RecordError{Pos: line, Problem: Problem{Field: c.header.Names[i], Reason: "not text: NUL byte or invalid UTF-8"}}
		}
		rec[i] = UnescapeCSVCell(v) // what the exporter guarded against spreadsheets
	}
	return r, nil
}
