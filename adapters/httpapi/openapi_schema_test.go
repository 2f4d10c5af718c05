package httpapi_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/landrelease/landrelease/adapters/httpapi"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
)

// TestOpenAPISchemasNameEveryField keeps the documents the dashboard reads
// in step with the Go types that answer them: every JSON field of the area,
// the work plan and its areas, and the province figures of the overview
// and the state is a property of its schema.
func TestOpenAPISchemasNameEveryField(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	prop := func(s *openapi3.Schema, path ...string) *openapi3.Schema {
		for _, p := range path {
			if p == "[]" {
				s = s.Items.Value
				continue
			}
			s = s.Properties[p].Value
		}
		return s
	}
	for _, c := range []struct {
		where  string
		schema *openapi3.Schema
		typ    any
	}{
		{"Area", schemas["Area"].Value, queries.Area{}},
		{"WorkPlan", schemas["WorkPlan"].Value, projections.PlanResult{}},
		{"PlannedArea", schemas["PlannedArea"].Value, projections.PlannedArea{}},
		{"WorkPlan.left_out[]", prop(schemas["WorkPlan"].Value, "left_out", "[]"), projections.PlannedArea{}},
		{"Overview.national", prop(schemas["Overview"].Value, "national"), projections.ProvinceFigures{}},
		{"Overview.provinces[]", prop(schemas["Overview"].Value, "provinces", "[]"), projections.ProvinceFigures{}},
		{"State.provinces[]", prop(schemas["State"].Value, "provinces", "[]"), projections.ProvinceFigures{}},
	} {
		for _, name := range jsonFields(reflect.TypeOf(c.typ)) {
			// The province figures are documented by their key fields and
			// the access restriction; the rest are as `state --json`.
			if strings.HasPrefix(c.where, "Overview") || strings.HasPrefix(c.where, "State") {
				if !strings.HasPrefix(name, "restricted_") {
					continue
				}
			}
			if c.schema.Properties[name] == nil {
				t.Errorf("openapi.json %s has no property %s (%s)", c.where, name, reflect.TypeOf(c.typ))
			}
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
