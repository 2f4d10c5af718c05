package queries

import (
	"context"
	"testing"

	"github.com/landrelease/landrelease/events"
)

// The annual report gives the open area access-restricted on 31 December,
// by province: a restriction lifted in the year or recorded after it does
// not count.
func TestReportGivesRestrictedAreaAtYearEnd(t *testing.T) {
	a, b, c := events.NameID("t", "a"), events.NameID("t", "b"), events.NameID("t", "c")
	env := func(seq uint64, on string, d events.Event) events.Envelope {
		return events.Envelope{Sequence: seq, OccurredOn: events.MustDate(on), Data: d}
	}
	reg := func(id [16]byte, prov string, size int64) events.AreaRegistered {
		return events.AreaRegistered{AreaID: id, Province: prov, Classification: events.SHA, SizeM2: size, RegisteredOn: events.MustDate("2019-05-01")}
	}
	h := history{
		env(1, "2019-05-01", reg(a, "Oddar Meanchey", 1000)),
		env(2, "2019-05-01", reg(b, "Preah Vihear", 700)),
		env(3, "2019-05-01", reg(c, "Pailin", 500)),
		env(4, "2020-03-01", events.AccessRestricted{AreaID: a, On: events.MustDate("2020-03-01"), Reason: "border", ExpectedUntil: events.MustDate("2023-01-01")}),
		env(5, "2020-03-01", events.AccessRestricted{AreaID: c, On: events.MustDate("2020-03-01"), Reason: "border"}),
		env(6, "2020-09-01", events.AccessRestrictionLifted{AreaID: c, On: events.MustDate("2020-09-01")}),
		env(7, "2021-02-01", events.AccessRestricted{AreaID: b, On: events.MustDate("2021-02-01"), Reason: "border"}),
	}
	r, err := BuildReport(context.Background(), h, ReportQuery{Year: 2020})
	if err != nil {
		t.Fatal(err)
	}
	if tot := r.Contamination.Total; tot.EndRestrictedAreas != 1 || tot.EndRestrictedM2 != 1000 || tot.EndSHAM2 != 2200 {
		t.Fatalf("total %+v; want 1 area, 1,000 m² restricted of 2,200", tot)
	}
	for _, p := range r.Contamination.Provinces {
		if want := map[string]int64{"Oddar Meanchey": 1000}[p.Province]; p.EndRestrictedM2 != want {
			t.Errorf("%s: %d m² restricted, want %d", p.Province, p.EndRestrictedM2, want)
		}
	}
	r, err = BuildReport(context.Background(), h, ReportQuery{Year: 2021})
	if err != nil {
		t.Fatal(err)
	}
	if tot := r.Contamination.Total; tot.EndRestrictedAreas != 2 || tot.EndRestrictedM2 != 1700 {
		t.Fatalf("2021 total %+v; want 2 areas, 1,700 m²", tot)
	}
}
