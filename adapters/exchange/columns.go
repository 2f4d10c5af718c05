package exchange

import (
	"strings"
)

// Kind is what an exchange file holds.
type Kind int

const (
	// Areas: one hazard area per record (the register).
	Areas Kind = iota + 1
	// Activities: one land-release activity per record (cancellation,
	// reduction, clearance reports against areas already registered).
	Activities
)

func (k Kind) String() string {
	switch k {
	case Areas:
		return "areas"
	case Activities:
		return "activities"
	}
	return "unknown"
}

// Columns of an areas file, in the order the exporter writes them.
// Required ones must be in the header; the others may be left out.
var AreaColumns = []string{
	"local_id", "province", "district", "commune", "village", "hazard", "classification",
	"estimated_area", "remaining_area", "area_unit", "evidence", "status", "registered_on",
	"source", "operator", "land_use", "casualties_last_5y", "community_request",
	"cancelled_nts_area", "cancelled_desk_area", "reduced_area", "cleared_area",
	"last_activity_on", "geometry", "entered_on", "reopened_area",
	"ap_mines_destroyed", "at_mines_destroyed", "erw_destroyed",
	"access_restricted_since", "access_expected_until", "access_restriction_reason",
	"crs",
}

// RequiredAreaColumns must be in the header of an areas file.
var RequiredAreaColumns = []string{
	"local_id", "province", "hazard", "classification", "estimated_area", "remaining_area",
	"area_unit", "registered_on",
}

// ActivityColumns of an activities file.
var ActivityColumns = []string{"local_id", "activity", "on", "area", "area_unit", "operator", "reason"}

// RequiredActivityColumns must be in the header of an activities file.
var RequiredActivityColumns = []string{"local_id", "activity", "on", "area_unit"}

// ActivityValues are the activity codes of an activities file.
var ActivityValues = []string{"CANCEL_NTS", "CANCEL_DESK", "REDUCE", "CLEAR"}

// Header is the column layout of a file: the known columns it has, where,
// and the columns it has that the importer does not read.
type Header struct {
	Kind    Kind
	Names   []string       // as in the file, normalised (trimmed, lower case)
	Ignored []string       // columns the importer does not read
	index   map[string]int // known column -> position in Names
}

// newHeader checks the column names and returns the header, or the
// problems (a missing required column, a column given twice).
func newHeader(names []string) (*Header, []Problem) {
	h := &Header{Kind: Areas, index: map[string]int{}}
	seen := map[string]bool{}
	for _, n := range names {
		if strings.TrimSpace(strings.ToLower(n)) == "activity" {
			h.Kind = Activities
		}
	}
	known, required := AreaColumns, RequiredAreaColumns
	if h.Kind == Activities {
		known, required = ActivityColumns, RequiredActivityColumns
	}
	var probs []Problem
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		h.Names = append(h.Names, n)
		if seen[n] {
			probs = append(probs, Problem{Field: n, Reason: "column given twice in the header"})
			continue
		}
		seen[n] = true
		if contains(known, n) {
			h.index[n] = i
		} else {
			h.Ignored = append(h.Ignored, n)
		}
	}
	for _, r := range required {
		if _, ok := h.index[r]; !ok {
			probs = append(probs, Problem{Field: r, Reason: "required column missing from the header (" + h.Kind.String() + " file; see docs/exchange.md)"})
		}
	}
	return h, probs
}

// Has reports whether the file has the column.
func (h *Header) Has(col string) bool { _, ok := h.index[col]; return ok }

// Get returns the trimmed value of col in r, or "" if the file has no such column.
func (h *Header) Get(r Record, col string) string {
	i, ok := h.index[col]
	if !ok || i >= len(r.Values) {
		return ""
	}
	return strings.TrimSpace(r.Values[i])
}

// Record is one row of a CSV file or one feature of a GeoJSON file.
type Record struct {
	Pos    int      // CSV: line number where the record starts (1 = header); GeoJSON: feature index from 0
	Values []string // in the order of Header.Names
}

// Problem is one thing wrong with a file or a record: the column (or "")
// and why.
type Problem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// FileError is a file that cannot be read as an exchange file at all (no
// header, not a CSV file, a missing column): nothing of it is imported.
type FileError struct {
	Problems []Problem
}

func (e *FileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// RecordError is a record the reader could not split into fields (a bare
// quote, a wrong number of fields, a malformed feature). Reading may go on
// with the next record.
type RecordError struct {
	Pos     int
	Problem Problem
}

func (e *RecordError) Error() string { return e.Problem.Field + ": " + e.Problem.Reason }

// Reader is a stream of records. Next returns io.EOF after the last one, a
// *RecordError for a record that could not be read (call Next again for the
// next), or another error when the input fails.
type Reader interface {
	Header() *Header
	Next() (Record, error)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
