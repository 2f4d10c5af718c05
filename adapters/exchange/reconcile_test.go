package exchange

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// history folds data as events 1..n, each occurring on the date it names.
func history(data ...events.Event) []events.Envelope {
	out := make([]events.Envelope, len(data))
	for i, d := range data {
		out[i] = events.Envelope{Sequence: uint64(i + 1), Data: d, OccurredOn: events.OccurredOn(d)}
	}
	return out
}

func fold(evs []events.Envelope) *projections.National {
	n := projections.NewNational()
	n.Untracked = true
	for _, e := range evs {
		n.Apply(e)
	}
	return n
}

func TestReconcileOperatorReport(t *testing.T) {
	country := "KH"
	a1, a2, a3 := AreaID(country, "PL-001"), AreaID(country, "PL-002"), AreaID(country, "PL-003")
	reg := func(id uuid.UUID) events.AreaRegistered {
		return events.AreaRegistered{AreaID: id, Province: "Pailin", Hazard: "AP", Classification: "CHA", SizeM2: 100_000,
			RegisteredOn: events.MustDate("2020-01-10"), Source: "NTS"}
	}
	evs := history(reg(a1), reg(a2), reg(a3),
		events.AreaCleared{AreaID: a1, On: events.MustDate("2021-03-05"), SizeM2: 5_000, Operator: "CMAC"},
		events.AreaCleared{AreaID: a1, On: events.MustDate("2021-03-20"), SizeM2: 3_000, Operator: "CMAC"},  // same month: summed
		events.AreaReduced{AreaID: a2, On: events.MustDate("2021-04-02"), SizeM2: 20_000, Operator: "cmac"}, // operator case differs
		events.AreaCancelled{AreaID: a3, On: events.MustDate("2021-05-15"), Method: events.CancelByNTS, SizeM2: 10_000, Operator: "CMAC"},
		events.AreaCleared{AreaID: a3, On: events.MustDate("2021-06-01"), SizeM2: 7_000, Operator: "HALO"}, // another operator
		events.AreaCleared{AreaID: a3, On: events.MustDate("2020-06-01"), SizeM2: 1_000, Operator: "CMAC"}, // another year
		events.AreaCleared{AreaID: a2, On: events.MustDate("2021-07-09"), SizeM2: 4_000, Operator: "CMAC"}, // not reported
	)
	csvText := "\ufeffMonth,Local_ID,Activity,Size_m2\r\n" +
		"2021-03,PL-001,CLEAR,6000\r\n" + // split over two lines, summed: 8000 = recorded
		"2021-03,PL-001,clear,2000\r\n" +
		"2021-04,PL-002,REDUCE,25000\r\n" + // recorded 20,000
		"2021-05,PL-003,CANCEL,10000\r\n" + // matches
		"2021-08,PL-009,CLEAR,900\r\n" + // no such area, no such event
		"2021-09," + a1.String() + ",CLEAR,1500\r\n" + // by area ID, not recorded
		"2020-12,PL-001,CLEAR,10\r\n" + // other year
		"2021-13,PL-001,CLEAR,10\r\n" + // bad month
		"2021-10,PL-001,DEMOLISH,10\r\n" + // bad activity
		"2021-10,PL-001,CLEAR,-3\r\n" // bad size
	resolve := func(s string) uuid.UUID { return AreaID(country, s) }
	rep, err := ReadOperatorReport(strings.NewReader(csvText), 2021, resolve)
	if err != nil {
		t.Fatal(err)
	}
	tally := NewOutputTally("CMAC", 2021)
	for _, e := range evs {
		tally.Add(e)
	}
	n := fold(evs)
	got := Reconcile(rep, tally, func(id uuid.UUID) bool { return n.Areas[id] != nil })

	if got.Matched != 2 {
		t.Errorf("matched %d, want 2 (March clearance of PL-001, May cancellation of PL-003)", got.Matched)
	}
	want := []struct {
		kind, month, activity string
		area                  uuid.UUID
		op, rec               int64
	}{
		{DifferentM2, "2021-04", ActivityReduce, a2, 25_000, 20_000},
		{MissingInOperatorReport, "2021-07", ActivityClear, a2, 0, 4_000},
		{MissingInDatabase, "2021-08", ActivityClear, AreaID(country, "PL-009"), 900, 0},
		{MissingInDatabase, "2021-09", ActivityClear, a1, 1_500, 0},
	}
	if len(got.Discrepancies) != len(want) {
		t.Fatalf("discrepancies %+v, want %d", got.Discrepancies, len(want))
	}
	for i, w := range want {
		d := got.Discrepancies[i]
		if d.Kind != w.kind || d.Month != w.month || d.Activity != w.activity || d.AreaID != w.area.String() || d.OperatorM2 != w.op || d.RecordedM2 != w.rec {
			t.Errorf("discrepancy %d: %+v, want %+v", i, d, w)
		}
	}
	if d := got.Discrepancies[2]; d.Registered == nil || *d.Registered || d.LocalID != "PL-009" {
		t.Errorf("PL-009: %+v, want an unregistered area named by its local ID", d)
	}
	if len(got.LineProblems) != 4 {
		t.Errorf("line problems %+v, want 4 (other year, bad month, bad activity, bad size)", got.LineProblems)
	}
	for _, p := range got.LineProblems {
		if p.Line < 8 || p.Field == "" {
			t.Errorf("line problem %+v: want a line ≥ 8 and a field", p)
		}
	}
}

func TestReconcileRefusesAFileWithoutItsColumns(t *testing.T) {
	for _, in := range []string{"", "month,activity\n2021-01,CLEAR\n"} {
		_, err := ReadOperatorReport(strings.NewReader(in), 2021, func(string) uuid.UUID { return uuid.Nil })
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want a *FileError", in, err)
		}
	}
}
