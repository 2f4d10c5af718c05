package landrelease_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// The read side's row of DESIGN.md's table: queries/ builds the documents
// people read from ports it declares, so it imports itself only the standard
// library, uuid and the repository's events, domain, projections and
// scenarios (never an adapter or cmd), and reaches neither NATS nor SQL,
// even through what it imports.

// readSide is the folder the rule governs.
const readSide = "queries"

// readSideAllowed are the packages (and their subpackages) besides the
// standard library that the read side may import itself.
var readSideAllowed = []string{
	"github.com/google/uuid",
	module + "/events", module + "/domain", module + "/projections", module + "/scenarios", module + "/" + readSide,
}

// readSideViolations checks every package of pkgs under queries/.
func readSideViolations(pkgs map[string]*listedPackage) []string {
	var out []string
	for _, path := range slices.Sorted(maps.Keys(pkgs)) {
		rel, ok := strings.CutPrefix(path, module+"/")
		if !ok || !under(rel, readSide) {
			continue
		}
		p := pkgs[path]
		check := func(imp, who string) {
			if imp == path || standard(imp, pkgs) {
				return
			}
			for _, a := range readSideAllowed {
				if under(imp, a) {
					return
				}
			}
			out = append(out, fmt.Sprintf("%s %s %s: %s/ may import only the standard library, uuid, events, domain, projections and scenarios; cmd wires adapters to its ports",
				who, "imports", imp, readSide))
		}
		for _, imp := range p.Imports {
			check(imp, path)
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			check(imp, "tests of "+path)
		}
		for _, dep := range p.Deps {
			for _, f := range infrastructure {
				if reaches(dep, f.prefix) {
					out = append(out, fmt.Sprintf("%s reaches %s (%s) via %s", path, dep, f.why, strings.Join(chain(pkgs, path, dep), " -> ")))
				}
			}
		}
	}
	return out
}

func TestReadSideImportsNoAdapter(t *testing.T) {
	readInputs(t, readSide, "scenarios")
	pkgs := goListDeps(t, "./"+readSide+"/...")
	if _, ok := pkgs[module+"/"+readSide]; !ok {
		t.Fatalf("no package %s/: is the policy out of date?", readSide)
	}
	for _, v := range readSideViolations(pkgs) {
		t.Error(v)
	}
}

// Planted: the read side importing an adapter, the CLI or a driver, in its
// code or its tests, or reaching NATS through an import, is reported; its
// allowed imports are not.
func TestReadSideCheckCatchesPlantedCases(t *testing.T) {
	q := module + "/" + readSide
	pkgs := map[string]*listedPackage{
		q: {ImportPath: q,
			Imports:     []string{"context", "github.com/google/uuid", module + "/projections", module + "/scenarios", module + "/adapters/sqlstore"},
			Deps:        []string{"context", "github.com/google/uuid", module + "/projections", module + "/scenarios", module + "/adapters/sqlstore", "database/sql", "modernc.org/sqlite"},
			TestImports: []string{"testing", module + "/cmd/landrelease"}},
		q + "/render": {ImportPath: q + "/render", Imports: []string{"net/http", module + "/events", "github.com/jackc/pgx/v5"},
			Deps: []string{"net/http", module + "/events", "github.com/jackc/pgx/v5", "github.com/nats-io/nats.go"}},
		module + "/scenarios": {ImportPath: module + "/scenarios", Imports: []string{module + "/adapters/memory"}},
		"context":             {ImportPath: "context", Standard: true}, "net/http": {ImportPath: "net/http", Standard: true},
		"testing": {ImportPath: "testing", Standard: true}, "database/sql": {ImportPath: "database/sql", Standard: true},
	}
	got := strings.Join(readSideViolations(pkgs), "\n")
	for _, want := range []string{
		q + " imports " + module + "/adapters/sqlstore",
		q + " reaches modernc.org/sqlite",
		q + " reaches database/sql ",
		"tests of " + q + " imports " + module + "/cmd/landrelease",
		q + "/render imports github.com/jackc/pgx/v5",
		q + "/render reaches github.com/nats-io/nats.go",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check misses %q; got:\n%s", want, got)
		}
	}
	for _, allowed := range []string{"imports context", "imports github.com/google/uuid", "imports " + module + "/projections",
		"imports " + module + "/scenarios", "imports net/http", "adapters/memory", "imports " + module + "/events"} {
		if strings.Contains(got, allowed) {
			t.Errorf("an allowed import is reported (%q):\n%s", allowed, got)
		}
	}
}
