package dashboard_test

import (
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/adapters/dashboard"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// pageScripts answers the text of the scripts a rendered page loads.
func pageScripts(t *testing.T, page []byte) string {
	t.Helper()
	var b strings.Builder
	for _, m := range regexp.MustCompile(`<script src="/([^"]+)"`).FindAllSubmatch(page, -1) {
		src, err := fs.ReadFile(dashboard.Files(), string(m[1]))
		if err != nil {
			t.Fatalf("script %s: %v", m[1], err)
		}
		b.Write(src)
	}
	return b.String()
}

// Every element a page's scripts look up by ID ($("#x")) is in the page, or
// made by a script: a renamed section cannot leave a script writing into
// nothing.
func TestScriptsFindTheirElements(t *testing.T) {
	lookup := regexp.MustCompile(`\$\("#([A-Za-z0-9_-]*[A-Za-z0-9_])"`) // dynamic IDs ("#f-" + name) are not checked
	made := regexp.MustCompile(`id: "([A-Za-z0-9_-]+)"`)
	for name, page := range dashboard.Pages() {
		js := pageScripts(t, page)
		for _, m := range lookup.FindAllStringSubmatch(js, -1) {
			id := m[1]
			if strings.Contains(string(page), `id="`+id+`"`) || slices.ContainsFunc(made.FindAllStringSubmatch(js, -1), func(x []string) bool { return x[1] == id }) {
				continue
			}
			t.Errorf("%s: a script looks up #%s, which the page does not have", name, id)
		}
	}
}

// The province page renders the work plan the API serves in land-release
// order: every field of the plan and of its areas is read by its script,
// but for those listed here with the reason they are not shown.
func TestProvincePageReadsTheWholeWorkPlan(t *testing.T) {
	notShown := map[string]string{
		"criteria":          "the criteria file is the printable plan's business, not the page's",
		"approved_revision": "approval is recorded with the CLI (workplan --approve)",
		"approved_status":   "approval is recorded with the CLI (workplan --approve)",
		"approved_areas":    "approval is recorded with the CLI (workplan --approve)",
		"deployment_id":     "the operator and method name the deployment",
		"evidence_count":    "in the area's page",
		"community_request": "in the area's page; it counts in the score",
		"province":          "the page's title",
		"year":              "the page's title",
	}
	js := pageScripts(t, dashboard.Pages()["/province.html"])
	for _, typ := range []any{projections.PlanResult{}, projections.PlannedArea{}, projections.OperatorTotal{}} {
		for _, f := range jsonFields(reflect.TypeOf(typ)) {
			if notShown[f] == "" && !strings.Contains(js, "."+f) {
				t.Errorf("province.js does not read %s of the work plan (%T)", f, typ)
			}
		}
	}
	page := string(dashboard.Pages()["/province.html"])
	if strings.Contains(page, "proposed for non-technical survey") || strings.Contains(page, "(no recorded evidence)") {
		t.Error("the province page still speaks of the former plan (SHAs without evidence proposed for NTS)")
	}
}

// The pages that draw areas mark the access-restricted ones, from the
// fields the API's area document carries, and the map legend names them.
func TestMapsMarkRestrictedAreas(t *testing.T) {
	for _, f := range []string{"restricted_since", "restricted_until", "restriction_reason"} {
		if !slices.Contains(jsonFields(reflect.TypeOf(queries.Area{})), f) {
			t.Fatalf("the API's area has no %s", f)
		}
	}
	mapJS, err := fs.ReadFile(dashboard.Files(), "assets/map.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mapJS), "key-restricted") || !strings.Contains(string(mapJS), "a.restricted_since") {
		t.Error("map.js: the legend or the restricted test is missing")
	}
	for _, p := range []string{"/map.html", "/province.html", "/area.html"} {
		if js := pageScripts(t, dashboard.Pages()[p]); !strings.Contains(js, "restricted: AreaMap.restricted(a)") && !strings.Contains(js, "restricted,") &&
			!strings.Contains(js, `["==", ["get", "restricted"], true]`) {
			t.Errorf("%s draws areas without marking the access-restricted ones", p)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	return out
}
