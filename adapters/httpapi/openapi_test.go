package httpapi_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/landrelease/landrelease/adapters/httpapi"
)

// TestOpenAPIMatchesRoutes keeps the served OpenAPI document true: it is a
// valid OpenAPI document, it documents every route the server has and no
// other, with its path parameters, and every operation documents the
// errors every route can give (403 from the Origin and Host checks, 415 on
// every POST).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	srv := httpapi.New(httpapi.Config{Country: "KH", InsecureLocal: true}, nil, nil, nil)
	routes := srv.Routes()
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path)
			public := path == "/api/v1/health" || path == "/api/v1/openapi.json"
			for _, status := range []int{400, 500} {
				if op.Responses.Status(status) == nil {
					t.Errorf("%s %s does not document %d", method, path, status)
				}
			}
			if method == "POST" && op.Responses.Status(415) == nil {
				t.Errorf("%s %s does not document 415 (Content-Type)", method, path)
			}
			if op.Responses.Status(403) == nil {
				t.Errorf("%s %s does not document 403 (Origin, or Host under --insecure-local)", method, path)
			}
			if !public && op.Responses.Status(401) == nil {
				t.Errorf("%s %s does not document 401", method, path)
			}
			if public != (op.Security != nil && len(*op.Security) == 0) {
				t.Errorf("%s %s: security does not say whether a token is needed", method, path)
			}
			for _, seg := range strings.Split(path, "/") {
				if name, ok := strings.CutPrefix(seg, "{"); ok {
					name = strings.TrimSuffix(name, "}")
					if p := op.Parameters.GetByInAndName("path", name); p == nil && item.Parameters.GetByInAndName("path", name) == nil {
						t.Errorf("%s %s: path parameter %s undocumented", method, path, name)
					}
				}
			}
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	for _, r := range routes {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.json documents %s, which the server does not have", d)
		}
	}
	if len(routes) < 15 {
		t.Fatalf("only %d routes: %v", len(routes), routes)
	}
}
