package exchange

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Activities of an operator's monthly output report.
const (
	ActivityCancel = "CANCEL" // AreaCancelled (non-technical survey or desk analysis)
	ActivityReduce = "REDUCE" // AreaReduced (technical survey)
	ActivityClear  = "CLEAR"  // AreaCleared
)

// Discrepancy kinds of a reconciliation.
const (
	MissingInDatabase       = "MISSING_IN_DATABASE"        // the operator reports it, no event records it
	MissingInOperatorReport = "MISSING_IN_OPERATOR_REPORT" // an event records it, the operator does not report it
	DifferentM2             = "DIFFERENT_M2"               // both have it, with different m²
)

// OutputKey is the grain of a reconciliation: one area, one month, one
// activity.
type OutputKey struct {
	AreaID   uuid.UUID
	Month    string // YYYY-MM
	Activity string // one of the Activity* constants
}

// OperatorLine is one valid line of an operator report.
type OperatorLine struct {
	Line    int // 1 is the header
	LocalID string
	OutputKey
	SizeM2 int64
}

// LineProblem is a line of an operator report that was not used.
type LineProblem struct {
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// OperatorReport is an operator's own monthly outputs, as read.
type OperatorReport struct {
	Lines    []OperatorLine
	Problems []LineProblem
}

// operator report columns; the area is named by local_id or area_id.
var operatorColumns = []string{"month", "activity", "size_m2"}

// ReadOperatorReport reads an operator's CSV of monthly outputs: a header
// with the columns month (YYYY-MM), local_id or area_id, activity (CANCEL,
// REDUCE or CLEAR) and size_m2, in any order and case; a UTF-8 byte-order
// mark and Windows line endings are accepted. resolve turns the local_id or
// area_id value into an area ID (see AreaID). Lines outside year, or with a
// bad value, are listed in Problems and left out.
//
// It fails with a *FileError when the file is not a CSV file or a column is
// missing, and with the reader's error when reading fails.
func ReadOperatorReport(in io.Reader, year int, resolve func(string) uuid.UUID) (OperatorReport, error) {
	var rep OperatorReport
	br := bufio.NewReader(in)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return rep, &FileError{Problems: []Problem{{Reason: "empty file: want a header line month,local_id,activity,size_m2"}}}
	}
	if err != nil {
		return rep, &FileError{Problems: []Problem{{Reason: "not a CSV file: " + err.Error()}}}
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []Problem
	for _, c := range operatorColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, Problem{Field: c, Reason: "missing column"})
		}
	}
	areaCol, ok := col["local_id"]
	areaName := "local_id"
	if !ok {
		areaCol, ok = col["area_id"]
		areaName = "area_id"
	}
	if !ok {
		missing = append(missing, Problem{Field: "local_id", Reason: "missing column (local_id or area_id)"})
	}
	if len(missing) > 0 {
		return rep, &FileError{Problems: missing}
	}
	prefix := fmt.Sprintf("%04d-", year)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Problems = append(rep.Problems, LineProblem{Line: pe.StartLine, Reason: pe.Err.Error()})
				continue
			}
			return rep, err
		}
		line, _ := cr.FieldPos(0)
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) == 1 && get(0) == "" {
			continue // blank line
		}
		bad := func(field, reason string) {
			rep.Problems = append(rep.Problems, LineProblem{Line: line, Field: field, Reason: reason})
		}
		l := OperatorLine{Line: line, LocalID: get(areaCol)}
		ok := true
		l.Month = get(col["month"])
		if !validMonth(l.Month) {
			bad("month", fmt.Sprintf("%q: want YYYY-MM", l.Month))
			ok = false
		} else if !strings.HasPrefix(l.Month, prefix) {
			bad("month", fmt.Sprintf("%s is not in %d", l.Month, year))
			ok = false
		}
		if l.LocalID == "" {
			bad(areaName, "empty")
			ok = false
		} else {
			l.AreaID = resolve(l.LocalID)
		}
		if l.Activity = normalizeActivity(get(col["activity"])); l.Activity == "" {
			bad("activity", fmt.Sprintf("%q: want CANCEL, REDUCE or CLEAR", get(col["activity"])))
			ok = false
		}
		size, err := strconv.ParseFloat(get(col["size_m2"]), 64)
		if err != nil || size < 0 || math.IsNaN(size) || math.IsInf(size, 0) || size > 1e13 {
			bad("size_m2", fmt.Sprintf("%q: want a number of m², 0 or more", get(col["size_m2"])))
			ok = false
		}
		l.SizeM2 = int64(math.Round(size))
		if ok {
			rep.Lines = append(rep.Lines, l)
		}
	}
	return rep, nil
}

func validMonth(s string) bool {
	if len(s) != 7 || s[4] != '-' {
		return false
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	return err1 == nil && err2 == nil && y > 0 && m >= 1 && m <= 12
}

func normalizeActivity(s string) string {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "CANCEL", "CANCELLED", "CANCELLATION":
		return ActivityCancel
	case "REDUCE", "REDUCED", "REDUCTION":
		return ActivityReduce
	case "CLEAR", "CLEARED", "CLEARANCE":
		return ActivityClear
	}
	return ""
}

// OutputTally sums the recorded land-release events of one operator and
// year per area, month and activity. Feed it every event in order with
// Add. The operator is matched trimmed and case-folded; events of other
// operators or years are ignored. Not safe for concurrent use.
type OutputTally struct {
	Operator string
	Year     int
	Sums     map[OutputKey]int64
}

// NewOutputTally returns an empty tally of operator's outputs in year.
func NewOutputTally(operator string, year int) *OutputTally {
	return &OutputTally{Operator: operator, Year: year, Sums: map[OutputKey]int64{}}
}

// Add counts e if it is a cancellation, reduction or clearance by the
// tally's operator in its year (by the date it happened on).
func (t *OutputTally) Add(e events.Envelope) {
	var id uuid.UUID
	var on events.Date
	var op, act string
	var size int64
	switch d := e.Data.(type) {
	case events.AreaCancelled:
		id, on, op, act, size = d.AreaID, d.On, d.Operator, ActivityCancel, d.SizeM2
	case events.AreaReduced:
		id, on, op, act, size = d.AreaID, d.On, d.Operator, ActivityReduce, d.SizeM2
	case events.AreaCleared:
		id, on, op, act, size = d.AreaID, d.On, d.Operator, ActivityClear, d.SizeM2
	default:
		return
	}
	if on.Year() != t.Year || !strings.EqualFold(strings.TrimSpace(op), strings.TrimSpace(t.Operator)) {
		return
	}
	t.Sums[OutputKey{id, on.Time().Format("2006-01"), act}] += size
}

// Discrepancy is one difference between an operator's report and the
// recorded events.
type Discrepancy struct {
	Kind       string `json:"kind"`
	AreaID     string `json:"area_id"`
	LocalID    string `json:"local_id,omitempty"` // as the operator wrote it
	Month      string `json:"month"`
	Activity   string `json:"activity"`
	OperatorM2 int64  `json:"operator_m2"`
	RecordedM2 int64  `json:"recorded_m2"`
	DiffM2     int64  `json:"diff_m2"`                   // operator − recorded
	Lines      []int  `json:"lines,omitempty"`           // lines of the operator report
	Registered *bool  `json:"area_registered,omitempty"` // whether the database knows the area at all (when asked)
}

// Reconciliation is the comparison of an operator report with the record.
type Reconciliation struct {
	Operator        string        `json:"operator"`
	Year            int           `json:"year"`
	OperatorLines   int           `json:"operator_lines"`
	OperatorM2      int64         `json:"operator_m2"`
	RecordedEntries int           `json:"recorded_entries"` // area × month × activity
	RecordedM2      int64         `json:"recorded_m2"`
	Matched         int           `json:"matched"`
	Discrepancies   []Discrepancy `json:"discrepancies"`
	LineProblems    []LineProblem `json:"line_problems"`
}

// Reconcile compares rep with the tally, summing operator lines of the same
// area, month and activity, and lists every discrepancy ordered by month,
// activity and area. m² must match exactly (both sides are whole m²).
// registered, if not nil, tells whether an area is in the register; it
// marks operator lines about areas the database does not know.
func Reconcile(rep OperatorReport, t *OutputTally, registered func(uuid.UUID) bool) Reconciliation {
	r := Reconciliation{Operator: t.Operator, Year: t.Year, OperatorLines: len(rep.Lines),
		RecordedEntries: len(t.Sums), Discrepancies: []Discrepancy{}, LineProblems: rep.Problems}
	if r.LineProblems == nil {
		r.LineProblems = []LineProblem{}
	}
	type opSum struct {
		m2    int64
		local string
		lines []int
	}
	ops := map[OutputKey]*opSum{}
	for _, l := range rep.Lines {
		s := ops[l.OutputKey]
		if s == nil {
			s = &opSum{local: l.LocalID}
			ops[l.OutputKey] = s
		}
		s.m2 += l.SizeM2
		s.lines = append(s.lines, l.Line)
		r.OperatorM2 += l.SizeM2
	}
	for _, v := range t.Sums {
		r.RecordedM2 += v
	}
	add := func(kind string, k OutputKey, s *opSum, rec int64) {
		d := Discrepancy{Kind: kind, AreaID: k.AreaID.String(), Month: k.Month, Activity: k.Activity, RecordedM2: rec}
		if s != nil {
			d.LocalID, d.OperatorM2, d.Lines = s.local, s.m2, s.lines
			if d.LocalID == d.AreaID {
				d.LocalID = ""
			}
		}
		d.DiffM2 = d.OperatorM2 - d.RecordedM2
		if registered != nil && kind == MissingInDatabase {
			known := registered(k.AreaID)
			d.Registered = &known
		}
		r.Discrepancies = append(r.Discrepancies, d)
	}
	for k, s := range ops {
		rec, ok := t.Sums[k]
		switch {
		case !ok:
			add(MissingInDatabase, k, s, 0)
		case rec != s.m2:
			add(DifferentM2, k, s, rec)
		default:
			r.Matched++
		}
	}
	for k, rec := range t.Sums {
		if _, ok := ops[k]; !ok {
			add(MissingInOperatorReport, k, nil, rec)
		}
	}
	sort.Slice(r.Discrepancies, func(i, j int) bool {
		a, b := r.Discrepancies[i], r.Discrepancies[j]
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.Activity != b.Activity {
			return a.Activity < b.Activity
		}
		return a.AreaID < b.AreaID
	})
	return r
}
