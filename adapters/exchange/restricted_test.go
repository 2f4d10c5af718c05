package exchange

import (
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// convertOne reads a CSV text of one areas record.
func convertOne(t *testing.T, csv string) (Row, []Problem) {
	t.Helper()
	rd, err := NewCSVReader(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	conv := &Converter{Country: "KH", Today: events.MustDate("2025-01-01")}
	return conv.Convert(rd.Header(), rec)
}

const restrictedHeader = "local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on," +
	"access_restricted_since,access_expected_until,access_restriction_reason\n"

// An areas record carries its access restriction: the import records it
// after the releases, and refuses a partial or impossible one naming the
// column.
func TestImportRecordsTheAccessRestriction(t *testing.T) {
	row, ps := convertOne(t, restrictedHeader+"OM-1,Oddar Meanchey,AP,SHA,10000,8000,m2,2020-01-01,2021-03-01,2027-01-01,Thai border\n")
	if len(ps) > 0 {
		t.Fatalf("problems %v", ps)
	}
	last := row.Then[len(row.Then)-1].Command
	want := domain.RestrictAccess{AreaID: row.AreaID, On: events.MustDate("2021-03-01"), Reason: "Thai border", ExpectedUntil: events.MustDate("2027-01-01")}
	if last != want || row.Restrict == nil {
		t.Fatalf("last command %+v, want %+v", last, want)
	}
	if _, ok := row.Then[0].Command.(domain.CancelArea); !ok {
		t.Fatalf("the restriction is not after the releases: %+v", row.Then)
	}
	row, ps = convertOne(t, restrictedHeader+"OM-2,Oddar Meanchey,AP,SHA,10000,10000,m2,2020-01-01,,,\n")
	if len(ps) > 0 || row.Restrict != nil || len(row.Then) != 0 {
		t.Fatalf("no restriction: problems %v, then %+v", ps, row.Then)
	}
	for _, c := range []struct{ cells, col string }{
		{",2027-01-01,Thai border", "access_restricted_since"},
		{"2021-03-01,,", "access_restriction_reason"},
		{"2021-03-01,2021-02-01,Thai border", "access_expected_until"},
		{"2021-03-01,soon,Thai border", "access_expected_until"},
		{"2019-03-01,,Thai border", "access_restricted_since"},
		{"2026-03-01,,Thai border", "access_restricted_since"},
	} {
		_, ps := convertOne(t, restrictedHeader+"OM-3,Oddar Meanchey,AP,SHA,10000,10000,m2,2020-01-01,"+c.cells+"\n")
		found := false
		for _, p := range ps {
			found = found || p.Field == c.col
		}
		if !found {
			t.Errorf("%q: problems %v, want one on %s", c.cells, ps, c.col)
		}
	}
	_, ps = convertOne(t, restrictedHeader+"OM-4,Oddar Meanchey,AP,SHA,10000,0,m2,2020-01-01,2021-03-01,,Thai border\n")
	found := false
	for _, p := range ps {
		found = found || p.Field == "access_restricted_since"
	}
	if !found {
		t.Errorf("a restriction of released land: problems %v", ps)
	}
}
