package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The dashboard's browser test, continued: the work plan in land-release
// order on the province page, and access-restricted land on the overview,
// province, map and area pages, each against the API's JSON.

// workPlanDoc is what the browser test reads of GET /api/v1/workplans/...
type workPlanDoc struct {
	Areas           []plannedAreaDoc `json:"areas"`
	ProposedForNTS  []plannedAreaDoc `json:"proposed_for_nts"`
	LeftOut         []plannedAreaDoc `json:"left_out"`
	PlannedM2       int64            `json:"planned_to_clear_m2"`
	SurveyPlannedM2 int64            `json:"survey_planned_m2"`
	ExpectCancelM2  int64            `json:"expected_cancelled_m2"`
	ExpectCHAM2     int64            `json:"expected_cha_m2"`
	CostUSD         int64            `json:"cost_usd"`
	FundingUSD      int64            `json:"funding_usd"`
	GapUSD          int64            `json:"gap_usd"`
}

type plannedAreaDoc struct {
	AreaID     string `json:"area_id"`
	CarriedM2  int64  `json:"carried_to_next_year_m2"`
	Restricted bool   `json:"access_restricted"`
	Reason     string `json:"reason"`
}

// leftOutShown is how many areas left out the province page lists at once
// (province.js LEFT_OUT_SHOWN); the rest are under a <details>.
const leftOutShown = 25

// checkWorkPlanSections checks the province page (open on the plan's
// province and year) shows each section of the plan the API serves.
func checkWorkPlanSections(t *testing.T, b *browser, plan workPlanDoc) {
	t.Helper()
	b.figure(t, `[data-figure="workplan-survey"]`, plan.SurveyPlannedM2, pageKm2(plan.SurveyPlannedM2, 1))
	b.figure(t, `[data-figure="workplan-expected-cancelled"]`, plan.ExpectCancelM2, pageKm2(plan.ExpectCancelM2, 1))
	b.figure(t, `[data-figure="workplan-expected-cha"]`, plan.ExpectCHAM2, pageKm2(plan.ExpectCHAM2, 1))
	if got := b.text(t, `[data-figure="workplan-nts-areas"]`); got != strconv.Itoa(len(plan.ProposedForNTS)) {
		t.Errorf("survey stage: page says %s SHAs, the API %d", got, len(plan.ProposedForNTS))
	}
	b.figure(t, `[data-figure="workplan-gap"]`, plan.GapUSD, "US$ "+groupDigits(plan.GapUSD))
	b.figure(t, `[data-figure="workplan-cost"]`, plan.CostUSD, "US$ "+groupDigits(plan.CostUSD))
	b.figure(t, `[data-figure="workplan-funding"]`, plan.FundingUSD, "US$ "+groupDigits(plan.FundingUSD))
	carried := 0
	for _, a := range append(append([]plannedAreaDoc{}, plan.ProposedForNTS...), plan.Areas...) {
		if a.CarriedM2 > 0 {
			carried++
			b.figure(t, fmt.Sprintf(`[data-figure="carried:%s"]`, a.AreaID), a.CarriedM2, "")
		}
	}
	if got := b.count(t, "#carried-table tbody tr"); got != carried {
		t.Errorf("split areas: %d rows, the API carries %d", got, carried)
	}
	shown := min(len(plan.LeftOut), leftOutShown)
	if got := b.count(t, "#left-out-table tbody tr"); got != shown {
		t.Errorf("areas left out: %d rows shown, want %d of %d", got, shown, len(plan.LeftOut))
	}
	if got := b.count(t, "#left-out-rest-table tbody tr"); got != len(plan.LeftOut)-shown {
		t.Errorf("areas left out under the details: %d rows, want %d", got, len(plan.LeftOut)-shown)
	}
	if len(plan.LeftOut) > 0 {
		first := b.text(t, "#left-out-table tbody tr:first-child td:last-child")
		if !strings.Contains(first, plan.LeftOut[0].Reason) {
			t.Errorf("the highest-score area left out reads %q, want the API's reason %q", first, plan.LeftOut[0].Reason)
		}
	}
	if body := b.text(t, "main"); strings.Contains(body, "proposed for NTS") || strings.Contains(body, "Proposed for non-technical survey") {
		t.Error("the province page still speaks of areas proposed for NTS, as the former plan did")
	}
}

// restrictedAreaDoc is an access-restricted area of GET /api/v1/areas.
type restrictedAreaDoc struct {
	ID       string          `json:"id"`
	Since    string          `json:"restricted_since"`
	Until    string          `json:"restricted_until"`
	Reason   string          `json:"restriction_reason"`
	Geometry json.RawMessage `json:"geometry"`
}

// restrictedAreas answers a province's access-restricted areas.
func (c apiClient) restrictedAreas(province string) []restrictedAreaDoc {
	c.t.Helper()
	var doc struct {
		Areas []restrictedAreaDoc `json:"areas"`
		Total int                 `json:"total"`
	}
	c.get("/api/v1/areas?limit=10000&province="+url.QueryEscape(province), &doc)
	var out []restrictedAreaDoc
	for _, a := range doc.Areas {
		if a.Since != "" {
			out = append(out, a)
		}
	}
	return out
}

// checkRestricted follows the demo's access-restricted land of a border
// province through the overview, the province page, the map and an area
// page, and a field result refused on it through the area page's form.
func checkRestricted(t *testing.T, b *browser, api apiClient, national provinceFigures, prov provinceFigures, year int) {
	t.Helper()
	if prov.RestrictedAreas == 0 {
		t.Fatalf("%s has no access-restricted area in the demo", prov.Province)
	}
	b.open(t, "/", `[data-figure="national-restricted"]`)
	b.figure(t, `[data-figure="national-restricted"]`, national.RestrictedM2, pageKm2(national.RestrictedM2, 1))
	b.figure(t, `[data-figure="restricted:`+prov.Province+`"]`, prov.RestrictedM2, pageKm2(prov.RestrictedM2, 2))
	if got := b.text(t, `[data-figure="restricted-areas:`+prov.Province+`"]`); got != groupDigits(int64(prov.RestrictedAreas)) {
		t.Errorf("overview: %s restricted areas on the page, %d from the API", got, prov.RestrictedAreas)
	}

	var plan workPlanDoc
	api.get(fmt.Sprintf("/api/v1/workplans/%s/%d", url.PathEscape(prov.Province), year), &plan)
	left := 0
	for _, a := range plan.LeftOut {
		if a.Restricted {
			left++
		}
	}
	if left != prov.RestrictedAreas {
		t.Errorf("the %d plan of %s leaves out %d restricted areas, the register has %d", year, prov.Province, left, prov.RestrictedAreas)
	}
	b.open(t, fmt.Sprintf("/province.html?province=%s&year=%d", url.QueryEscape(prov.Province), year), `[data-figure="workplan-restricted"]`)
	b.figure(t, `[data-figure="province-restricted"]`, prov.RestrictedM2, pageKm2(prov.RestrictedM2, 1))
	if got := b.text(t, `[data-figure="workplan-restricted"]`); got != strconv.Itoa(left) {
		t.Errorf("work plan: %s restricted areas left out on the page, %d from the API", got, left)
	}
	if got := b.count(t, `#left-out-table tr[data-restricted], #left-out-rest-table tr[data-restricted]`); got != left {
		t.Errorf("work plan: %d rows marked access-restricted, want %d", got, left)
	}
	if b.count(t, "#map-legend .key-restricted") != 1 {
		t.Error("the province map's legend does not name access-restricted areas")
	}

	areas := api.restrictedAreas(prov.Province)
	withPolygon := 0
	for _, a := range areas {
		if len(a.Geometry) > 0 && string(a.Geometry) != "null" {
			withPolygon++
		}
	}
	b.open(t, "/map.html?province="+url.QueryEscape(prov.Province), "#map[data-drawn]")
	b.wait(t, fmt.Sprintf(`document.querySelector("#map").dataset.restrictedDrawn === "%d"`, withPolygon))
	if got, _ := strconv.Atoi(b.attr(t, "#map", "data-restricted-drawn")); got != withPolygon {
		t.Errorf("map: %d polygons drawn access-restricted, the API has %d with a polygon", got, withPolygon)
	}
	if got := b.text(t, `[data-figure="map-restricted"]`); got != strconv.Itoa(len(areas)) {
		t.Errorf("map note: %s restricted, the API %d", got, len(areas))
	}
	if b.count(t, "#map-legend .key-restricted") != 1 {
		t.Error("the map's legend does not name access-restricted areas")
	}
	b.screenshot(t, "map-restricted")

	// The area page: a badge, and the restriction in words.
	a := areas[0]
	b.open(t, "/area.html?id="+a.ID, `[data-figure="restricted"]`)
	notice := b.text(t, "#restricted-notice")
	if !strings.Contains(notice, a.Reason) || !strings.Contains(notice, longDate(a.Since)) || (a.Until != "" && !strings.Contains(notice, longDate(a.Until))) {
		t.Errorf("area page: the restriction reads %q; want the reason %q, since %s, expected %s", notice, a.Reason, a.Since, a.Until)
	}
	b.screenshot(t, "area-restricted")
	// A cancellation by NTS on it is refused with the API's message.
	before := len(api.area(a.ID).History)
	b.wait(t, `document.querySelector("#form-cancel") !== null`)
	b.do(t, chromedp.SetValue(`#form-cancel [name="on"]`, a.Since))
	b.do(t, chromedp.SetValue(`#form-cancel [name="reason"]`, "browser test on restricted land"))
	b.do(t, chromedp.Click(`#form-cancel button[type="submit"]`))
	b.wait(t, `document.querySelector("#command-result").classList.contains("error")`)
	if got := b.text(t, "#command-result"); !strings.Contains(got, "access-restricted") || !strings.Contains(got, "LiftAccessRestriction") || !strings.Contains(got, "area_id") {
		t.Errorf("NTS on a restricted area: the page says %q, want the refusal naming area_id and the restriction", got)
	}
	if after := len(api.area(a.ID).History); after != before {
		t.Errorf("a refused command changed the history: %d events, was %d", after, before)
	}
}
