package scenarios

import (
	"strings"
	"testing"
	"time"
)

// access_opens on the demo's border restrictions: a date after the
// forecast start holds the province's restricted area until then (no
// earlier completion than the history's own expected dates, the same area
// held); a date in the past lifts them (nothing of the province held).
func TestAccessOpensSetsTheDateOnTheFork(t *testing.T) {
	r := leverRunner(t, "")
	base := leverRun(t, r, "name: base\n")
	if base.Forecast.RestrictedM2+base.Forecast.RestrictedOtherM2 == 0 {
		t.Fatal("the demo records no access-restricted area")
	}
	late := leverRun(t, r, "name: late\naccess_opens: {province: Oddar Meanchey, on: 2034-01-01}\n")
	lateAll := leverRun(t, r, "name: late-all\naccess_opens:\n  - {province: Oddar Meanchey, on: 2034-01-01}\n  - {province: Preah Vihear, on: 2034-01-01}\n  - {province: Banteay Meanchey, on: 2034-01-01}\n")
	early := leverRun(t, r, "name: early\naccess_opens: {province: Oddar Meanchey, on: 2021-01-01}\n")
	held := func(res Result) int64 { return res.Forecast.RestrictedM2 + res.Forecast.RestrictedOtherM2 }
	if held(late) != held(base) || late.Commands == 0 {
		t.Errorf("late opening: %d m² held, base %d (%d commands)", held(late), held(base), late.Commands)
	}
	if !strings.Contains(late.Forecast.Restrictions, "2034-01-01") {
		t.Errorf("late opening: the forecast does not name the date: %q", late.Forecast.Restrictions)
	}
	if completionMonths(late.Forecast) < completionMonths(base.Forecast) || completionMonths(lateAll.Forecast) < completionMonths(late.Forecast) {
		t.Errorf("a later opening brought completion forward: base %v, one province %v, all %v",
			base.Forecast.DeterministicCompletion, late.Forecast.DeterministicCompletion, lateAll.Forecast.DeterministicCompletion)
	}
	if completionMonths(lateAll.Forecast) < 2034*12 {
		t.Errorf("access to all border restrictions opens in 2034, but completion is %v", lateAll.Forecast.DeterministicCompletion)
	}
	if held(early) >= held(base) {
		t.Errorf("opening in the past lifted nothing: %d m² held, base %d", held(early), held(base))
	}
	if completionMonths(early.Forecast) > completionMonths(late.Forecast) {
		t.Errorf("an earlier opening delayed completion: %v vs %v", early.Forecast.DeterministicCompletion, late.Forecast.DeterministicCompletion)
	}
}

func TestAccessOpensRefusesBadEntries(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"name: x\naccess_opens: {province: Atlantis, on: 2030-01-01}\n", "access_opens.province"},
		{"name: x\naccess_opens: {on: 2030-01-01}\n", "access_opens.province"},
		{"name: x\naccess_opens: {province: Pailin}\n", "access_opens.on"},
		{"name: x\naccess_opens: {province: Pailin, on: 2030-02-30}\n", "access_opens.on"},
		{"name: x\naccess_opens: {province: Pailin, on: 2101-01-01}\n", "access_opens.on"},
		{"name: x\naccess_opens:\n  - {province: Pailin, on: 2030-01-01}\n  - {province: Nowhere, on: 2030-01-01}\n", "access_opens[1].province"},
		{"name: x\naccess_opens: {province: Pailin, on: 2030-01-01, when: soon}\n", "when"},
	} {
		_, err := Load("bad.yaml", []byte(c.yaml), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v; want it to name bad.yaml and %q", c.yaml, err, c.want)
		}
	}
}
