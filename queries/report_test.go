package queries

import (
	"context"
	"errors"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// history is a projections.Source of plain envelopes.
type history []events.Envelope

func (h history) Replay(_ context.Context, from uint64, fn func(events.Envelope) error) error {
	for _, e := range h {
		if e.Sequence >= from {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// Bad queries are refused with an invalid-input error naming the field.
func TestReportQueryRefusals(t *testing.T) {
	provinces := []string{"Battambang", "Pailin"}
	for _, c := range []struct {
		q     ReportQuery
		field string
	}{
		{ReportQuery{Year: 1989}, "year"},
		{ReportQuery{Year: 2101}, "year"},
		{ReportQuery{Year: 0}, "year"},
		{ReportQuery{Year: 2020, Province: "Atlantis"}, "province"},
		{ReportQuery{Year: 2020, Province: "battambang"}, "province"}, // the gazetteer's spelling only
	} {
		err := c.q.Validate(provinces)
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.ErrInvalid || len(de.Problems) == 0 || de.Problems[0].Field != c.field {
			t.Errorf("%+v: got %v, want an invalid %s", c.q, err, c.field)
		}
	}
	for _, q := range []ReportQuery{{Year: 1990}, {Year: 2100}, {Year: 2020, Province: "Pailin"}} {
		if err := q.Validate(provinces); err != nil {
			t.Errorf("%+v refused: %v", q, err)
		}
	}
	if err := (ReportQuery{Year: 2020, Province: "Anywhere"}).Validate(nil); err != nil {
		t.Errorf("without a gazetteer any province is accepted: %v", err)
	}
}

// A small history whose figures are known by hand; the year before it is
// empty, not an error.
func TestReportOfASmallHistory(t *testing.T) {
	ctx := context.Background()
	a, b := events.NameID("t", "a"), events.NameID("t", "b")
	env := func(seq uint64, on string, d events.Event) events.Envelope {
		return events.Envelope{Sequence: seq, OccurredOn: events.MustDate(on), Data: d}
	}
	ev := []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: events.MustDate("2019-05-01")}}
	h := history{
		env(1, "2019-05-01", events.AreaRegistered{AreaID: a, Province: "Pailin", Classification: events.SHA, SizeM2: 1000, RegisteredOn: events.MustDate("2019-05-01"), Evidence: ev}),
		env(2, "2020-02-01", events.AreaRegistered{AreaID: b, Province: "Pailin", Classification: events.CHA, SizeM2: 500, RegisteredOn: events.MustDate("2020-02-01")}),
		env(3, "2020-03-01", events.AreaCancelled{AreaID: a, On: events.MustDate("2020-03-01"), Method: events.CancelByNTS, SizeM2: 600}),
		env(4, "2020-04-01", events.AreaConfirmed{AreaID: a, On: events.MustDate("2020-04-01"), SizeM2: 400}),
		env(5, "2020-06-01", events.AreaCleared{AreaID: b, On: events.MustDate("2020-06-01"), SizeM2: 200, Operator: "HALO", APMinesDestroyed: 3}),
		env(6, "2020-07-01", events.QAVisitRecorded{AreaID: b, On: events.MustDate("2020-07-01")}),
		env(7, "2021-01-05", events.AreaCleared{AreaID: b, On: events.MustDate("2021-01-05"), SizeM2: 300, Operator: "HALO"}),
	}
	r, err := BuildReport(ctx, h, ReportQuery{Year: 2020})
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Contamination.Total
	if tot.StartSHAM2 != 1000 || tot.StartCHAM2 != 0 || tot.EndSHAM2 != 0 || tot.EndCHAM2 != 400+300 || tot.EndAreas != 2 {
		t.Errorf("contamination %+v", tot)
	}
	if r.Release.TotalM2 != 800 || r.Release.Methods[0].AreaM2 != 600 || r.Release.Methods[3].AreaM2 != 200 || r.Devices.APMinesDestroyed != 3 {
		t.Errorf("release %+v devices %+v", r.Release, r.Devices)
	}
	if r.Additions.Areas != 1 || r.Additions.AreaM2 != 500 || r.Additions.WithEvidenceAreas != 0 {
		t.Errorf("additions %+v", r.Additions)
	}
	if r.Indicators.NTSCancellation == nil || *r.Indicators.NTSCancellation != 0.6 || r.Indicators.QAVisits != 1 ||
		r.Indicators.QAVisitsPerRelease == nil || *r.Indicators.QAVisitsPerRelease != 0.5 || r.Indicators.EvidenceShare == nil || *r.Indicators.EvidenceShare != 0 {
		t.Errorf("indicators %+v", r.Indicators)
	}
	if r.Events.Count != 5 || r.Events.FirstSequence != 2 || r.Events.LastSequence != 6 || r.Sequence != 7 {
		t.Errorf("events %+v sequence %d", r.Events, r.Sequence)
	}
	if r.Changes.ConfirmedAreas != 1 || r.Changes.ConfirmedM2 != 400 || len(r.Changes.AuditSequences) != 1 || r.Changes.AuditSequences[0] != 4 {
		t.Errorf("changes %+v", r.Changes)
	}

	empty, err := BuildReport(ctx, h, ReportQuery{Year: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Events.Count != 0 || len(empty.Contamination.Provinces) != 0 || empty.Release.TotalM2 != 0 || empty.Indicators.EvidenceShare != nil ||
		empty.Indicators.NTSCancellation != nil || empty.Indicators.QAVisitsPerRelease != nil || empty.Milestones.Items == nil {
		t.Errorf("the report of 2000 is not empty: %+v", empty)
	}
	var none history
	if _, err := BuildReport(ctx, none, ReportQuery{Year: 2020}); err != nil {
		t.Errorf("an empty history: %v", err)
	}
}
