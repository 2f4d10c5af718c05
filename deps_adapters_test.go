package landrelease_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The adapters' half of DESIGN.md's table: an adapter does not import another
// adapter (cmd wires them), and the faces people use (the HTTP API and the
// dashboard) never reach NATS or SQL themselves: they ask ports.

// faces are the adapters that must reach the store and the read model only
// through the ports they declare.
var faces = []string{"adapters/httpapi", "adapters/dashboard"}

// infrastructure is what a face may not reach, even transitively.
// A prefix ending in "/" covers everything under it; any other covers that
// package and its subpackages, except database/sql, whose driver interfaces
// uuid implements (they open no connection).
var infrastructure = []struct{ prefix, why string }{
	{"github.com/nats-io/", "NATS is reached through the ports cmd wires"},
	{"github.com/synadia-io/", "JetStream is reached through the ports cmd wires"},
	{"github.com/ThreeDotsLabs/watermill", "the command bus is reached through a port"},
	{"database/sql", "SQL is reached through the read side's ports"},
	{"modernc.org/sqlite", "SQL is reached through the read side's ports"},
	{"github.com/jackc/", "SQL is reached through the read side's ports"},
}

// adapterOf returns the adapter folder ("adapters/x") holding a repository
// package, if it is one.
func adapterOf(path string) (string, bool) {
	rel, ok := strings.CutPrefix(path, module+"/adapters/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rel, "/")
	return "adapters/" + name, true
}

// testHelper reports whether a package is a test-support package (such as
// adapters/jetstream/jetstreamtest, which starts a real server): another
// adapter's tests may use it to test against the real thing.
func testHelper(path string) bool {
	last := path[strings.LastIndex(path, "/")+1:]
	return strings.HasSuffix(last, "test") && last != "test"
}

// adapterViolations checks every adapter package of pkgs.
func adapterViolations(pkgs map[string]*listedPackage) []string {
	var out []string
	paths := make([]string, 0, len(pkgs))
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		own, ok := adapterOf(path)
		if !ok {
			continue
		}
		p := pkgs[path]
		for _, imp := range p.Imports {
			if other, ok := adapterOf(imp); ok && other != own {
				out = append(out, fmt.Sprintf("%s imports %s: an adapter does not import another adapter; cmd wires them", path, imp))
			}
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if other, ok := adapterOf(imp); ok && other != own && !testHelper(imp) {
				out = append(out, fmt.Sprintf("tests of %s import %s: only another adapter's test helpers (…test packages) may be used", path, imp))
			}
		}
		if !slices.Contains(faces, own) {
			continue
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

func reaches(dep, prefix string) bool {
	switch {
	case strings.HasSuffix(prefix, "/"):
		return strings.HasPrefix(dep, prefix)
	case prefix == "database/sql":
		return dep == prefix
	default:
		return dep == prefix || strings.HasPrefix(dep, prefix+"/")
	}
}

func TestAdaptersStayApart(t *testing.T) {
	readInputs(t, "adapters")
	pkgs := goListDeps(t, "./adapters/...")
	n := 0
	for path := range pkgs {
		if _, ok := adapterOf(path); ok {
			n++
		}
	}
	if n < 8 {
		t.Fatalf("found %d adapter packages; is the policy out of date?", n)
	}
	for _, v := range adapterViolations(pkgs) {
		t.Error(v)
	}
}

// The cases an outside reviewer planted by hand in a copy of the repository,
// kept here so the checks can never stop catching them.
func TestDependencyChecksCatchThePlantedCases(t *testing.T) {
	pkgs := map[string]*listedPackage{
		module + "/domain": {ImportPath: module + "/domain",
			Imports: []string{"fmt", "net/http", "os", "os/exec", "log/slog", "strings", module + "/events"},
			Deps:    []string{"fmt", "net/http", "os", "os/exec", "log/slog", "strings", module + "/events"}},
		module + "/events": {ImportPath: module + "/events", Imports: []string{"fmt", "io/fs", "encoding/json"}},
		module + "/adapters/httpapi": {ImportPath: module + "/adapters/httpapi",
			Imports: []string{"net/http", module + "/domain", module + "/adapters/jetstream"},
			Deps:    []string{"net/http", module + "/domain", module + "/adapters/jetstream", "github.com/nats-io/nats.go"}},
		module + "/adapters/jetstream": {ImportPath: module + "/adapters/jetstream", Imports: []string{"github.com/nats-io/nats.go"}},
		module + "/adapters/dashboard": {ImportPath: module + "/adapters/dashboard", Imports: []string{"database/sql"}, Deps: []string{"database/sql", "database/sql/driver"}},
		module + "/adapters/bus": {ImportPath: module + "/adapters/bus", Imports: []string{"github.com/ThreeDotsLabs/watermill"},
			XTestImports: []string{module + "/adapters/jetstream/jetstreamtest", module + "/adapters/sqlstore"}},
		"fmt": {ImportPath: "fmt", Standard: true, Imports: []string{"os"}},
		"os":  {ImportPath: "os", Standard: true}, "os/exec": {ImportPath: "os/exec", Standard: true},
		"net/http": {ImportPath: "net/http", Standard: true}, "log/slog": {ImportPath: "log/slog", Standard: true},
		"strings": {ImportPath: "strings", Standard: true}, "io/fs": {ImportPath: "io/fs", Standard: true},
		"encoding/json": {ImportPath: "encoding/json", Standard: true},
		"database/sql":  {ImportPath: "database/sql", Standard: true}, "database/sql/driver": {ImportPath: "database/sql/driver", Standard: true},
	}
	got := strings.Join(append(violations(pkgs), adapterViolations(pkgs)...), "\n")
	for _, want := range []string{
		module + "/domain imports net/http",
		module + "/domain imports os ",
		module + "/domain imports os/exec",
		module + "/domain imports log/slog",
		module + "/adapters/httpapi imports " + module + "/adapters/jetstream",
		module + "/adapters/httpapi reaches github.com/nats-io/nats.go",
		module + "/adapters/dashboard reaches database/sql ",
		"tests of " + module + "/adapters/bus import " + module + "/adapters/sqlstore",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the checks miss %q; got:\n%s", want, got)
		}
	}
	for _, allowed := range []string{"imports fmt", "imports strings", "events imports", "database/sql/driver", "jetstreamtest"} {
		if strings.Contains(got, allowed) {
			t.Errorf("an allowed import is reported (%q):\n%s", allowed, got)
		}
	}
}
