// Package landrelease_test holds repository-wide tests. deps_test.go enforces
// the dependency rule of DESIGN.md, as the standard library's
// go/build/deps_test.go does for Go itself: the heart of the system (events,
// domain, projections) imports nothing of infrastructure.
package landrelease_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/landrelease/landrelease"

// heartPolicy is DESIGN.md's table for the packages that must stay pure. A
// package under Dir may import the standard library, the modules in Modules,
// its own tree (Dir and below), and the repository packages in Also. A rule
// whose folder holds no Go package is skipped.
var heartPolicy = []rule{
	{Dir: "events", Modules: []string{"github.com/google/uuid"}},
	{Dir: "domain", Modules: []string{"github.com/google/uuid"}, Also: []string{"events"}},
	{Dir: "projections", Modules: []string{"github.com/google/uuid"}, Also: []string{"events"}},
}

type rule struct {
	Dir     string   // folder, relative to the module root
	Modules []string // third-party module paths allowed (and their packages)
	Also    []string // other repository folders allowed
}

// forbidden names what the heart must never reach, whatever the rules above
// say, so that the failure explains itself.
var forbidden = []struct{ prefix, why string }{
	{"github.com/nats-io/", "NATS belongs in adapters/jetstream"},
	{"github.com/synadia-io/", "JetStream extensions belong in adapters/jetstream"},
	{"github.com/ThreeDotsLabs/watermill", "watermill belongs in adapters/bus"},
	{"database/sql", "SQL belongs in adapters/sqlstore"},
	{"modernc.org/sqlite", "a database driver belongs in adapters/sqlstore"},
	{"github.com/mattn/go-sqlite3", "a database driver belongs in adapters/sqlstore"},
	{"github.com/jackc/", "a database driver belongs in adapters/sqlstore"},
	{"github.com/lib/pq", "a database driver belongs in adapters/sqlstore"},
	{module + "/adapters", "the heart never imports an adapter"},
	{module + "/cmd", "the heart never imports the CLI"},
	{module + "/scenarios", "scenarios build on the heart, not the other way round"},
}

// coreStdlib names the standard packages the heart must not import itself:
// it reaches no network, process, file system or log. (A standard package
// such as fmt may use os underneath; only the heart's own imports count.)
var coreStdlib = []struct{ path, why string }{
	{"net", "the network belongs in an adapter"},
	{"os", "processes, files and the environment belong in an adapter or cmd"},
	{"syscall", "system calls belong in an adapter or cmd"},
	{"io/ioutil", "files belong in an adapter or cmd"},
	{"log", "the heart returns errors; logging is the edge's choice"},
	{"plugin", "the heart loads no code"},
}

// stdlibRefusal says why the heart may not import the standard package dep.
func stdlibRefusal(dep string) string {
	for _, f := range coreStdlib {
		if dep == f.path || strings.HasPrefix(dep, f.path+"/") {
			return f.why
		}
	}
	return ""
}

// listedPackage is the part of `go list -json` output the check reads.
type listedPackage struct {
	ImportPath   string
	Standard     bool
	Imports      []string
	Deps         []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

func TestHeartImportsNoInfrastructure(t *testing.T) {
	readInputs(t)
	patterns := make([]string, len(heartPolicy))
	for i, r := range heartPolicy {
		patterns[i] = "./" + r.Dir + "/..."
	}
	// -deps lists every package the heart reaches, each with Standard set.
	pkgs := goListDeps(t, patterns...)
	checked := map[string]bool{}
	for _, p := range pkgs {
		if r, ok := ruleFor(p.ImportPath); ok {
			if p.Error != nil {
				t.Errorf("%s does not load: %s", p.ImportPath, p.Error.Err)
			}
			checked[r.Dir] = true
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
	for _, r := range heartPolicy[:2] { // events and domain must exist; projections may not yet
		if !checked[r.Dir] {
			t.Errorf("no package found under %s/: is the policy out of date?", r.Dir)
		}
	}
	if testing.Verbose() {
		dirs := make([]string, 0, len(checked))
		for d := range checked {
			dirs = append(dirs, d)
		}
		sort.Strings(dirs)
		t.Logf("checked the packages under %v", dirs)
	}
}

// readInputs opens go.mod, go.sum and every file and folder under the
// governed folders. go test caches a result until the files a test opened
// change; the check itself runs in a go list subprocess, whose reads go test
// cannot see, so without this a new import would be met by a cached PASS.
func readInputs(t *testing.T, extra ...string) {
	t.Helper()
	dirs := extra
	for _, r := range heartPolicy {
		dirs = append(dirs, r.Dir)
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatalf("run from the module root: %v", err)
		}
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// goListDeps lists the packages of patterns and every package they reach,
// each with Standard set (go list -deps).
func goListDeps(t *testing.T, patterns ...string) map[string]*listedPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	cmd := exec.Command(goTool, append([]string{"list", "-e", "-deps", "-json"}, patterns...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs, err := decodeList(&stdout)
	if err != nil {
		t.Fatalf("reading go list output: %v", err)
	}
	return pkgs
}

func decodeList(r io.Reader) (map[string]*listedPackage, error) {
	pkgs := map[string]*listedPackage{}
	dec := json.NewDecoder(r)
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = &p
	}
}

// ruleFor returns the rule governing a repository package, if any.
func ruleFor(path string) (rule, bool) {
	rel, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return rule{}, false
	}
	for _, r := range heartPolicy {
		if under(rel, r.Dir) {
			return r, true
		}
	}
	return rule{}, false
}

func under(path, dir string) bool { return path == dir || strings.HasPrefix(path, dir+"/") }

// violations checks every governed package of pkgs: every third-party or
// repository package it depends on (transitively), every standard package it
// imports itself, and what its tests import directly (the packages those
// reach are governed themselves, or are the standard library and uuid).
func violations(pkgs map[string]*listedPackage) []string {
	var out []string
	paths := make([]string, 0, len(pkgs))
	for p := range pkgs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, path := range paths {
		p := pkgs[path]
		r, ok := ruleFor(path)
		if !ok {
			continue
		}
		for _, dep := range p.Deps {
			// A standard package reached through another one (uuid needs
			// database/sql/driver for its Scanner) is not the heart's choice;
			// what the heart imports itself is checked below and in the
			// governed packages it imports.
			if standard(dep, pkgs) && !slices.Contains(p.Imports, dep) {
				continue
			}
			if why := refuse(r, dep, pkgs); why != "" {
				out = append(out, fmt.Sprintf("%s imports %s (%s) via %s", path, dep, why, strings.Join(chain(pkgs, path, dep), " -> ")))
			}
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if imp == path {
				continue
			}
			if why := refuse(r, imp, pkgs); why != "" {
				out = append(out, fmt.Sprintf("tests of %s import %s (%s)", path, imp, why))
			}
		}
	}
	return out
}

// refuse says why a package governed by r may not import dep, or "".
func refuse(r rule, dep string, pkgs map[string]*listedPackage) string {
	for _, f := range forbidden {
		if dep == f.prefix || strings.HasPrefix(dep, f.prefix) {
			return f.why
		}
	}
	if standard(dep, pkgs) {
		return stdlibRefusal(dep)
	}
	for _, m := range r.Modules {
		if under(dep, m) {
			return ""
		}
	}
	if rel, ok := strings.CutPrefix(dep, module+"/"); ok {
		if under(rel, r.Dir) {
			return ""
		}
		for _, a := range r.Also {
			if under(rel, a) {
				return ""
			}
		}
		return fmt.Sprintf("%s/ may import only the standard library, %s and %s", r.Dir, strings.Join(r.Modules, ", "),
			strings.Join(append([]string{r.Dir}, r.Also...), ", "))
	}
	return fmt.Sprintf("%s/ may import no third-party package but %s", r.Dir, strings.Join(r.Modules, ", "))
}

// standard reports whether path is in the standard library: as go list says,
// or, for a package it did not list (a test import), by the rule that
// standard import paths have no dot in their first element.
func standard(path string, pkgs map[string]*listedPackage) bool {
	if p, ok := pkgs[path]; ok {
		return p.Standard
	}
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// chain returns an import path from -> ... -> to, for the failure message.
func chain(pkgs map[string]*listedPackage, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var out []string
			for p := to; p != ""; p = prev[p] {
				out = append(out, p)
			}
			slices.Reverse(out)
			return out
		}
		if p, ok := pkgs[cur]; ok {
			for _, imp := range p.Imports {
				if _, seen := prev[imp]; !seen {
					prev[imp] = cur
					queue = append(queue, imp)
				}
			}
		}
	}
	return []string{from, "…", to}
}

// The checker itself must catch what it is for: a planted violation in a
// made-up package graph is reported with the offending import path.
func TestDependencyCheckReportsTheOffendingImport(t *testing.T) {
	pkgs := map[string]*listedPackage{
		module + "/domain": {ImportPath: module + "/domain",
			Imports:      []string{"fmt", module + "/events", module + "/domain/helper"},
			Deps:         []string{"fmt", "github.com/google/uuid", module + "/events", module + "/domain/helper", module + "/adapters/memory", "github.com/nats-io/nats.go"},
			XTestImports: []string{"testing", module + "/domain", module + "/adapters/memory"}},
		module + "/domain/helper":   {ImportPath: module + "/domain/helper", Imports: []string{module + "/adapters/memory"}, Deps: []string{module + "/adapters/memory", "github.com/nats-io/nats.go"}},
		module + "/adapters/memory": {ImportPath: module + "/adapters/memory", Imports: []string{"github.com/nats-io/nats.go"}},
		module + "/events":          {ImportPath: module + "/events", Imports: []string{"github.com/google/uuid", "gopkg.in/yaml.v3", module + "/domain"}, Deps: []string{"github.com/google/uuid", "gopkg.in/yaml.v3", module + "/domain"}},
		module + "/projections":     {ImportPath: module + "/projections", Imports: []string{module + "/domain", "database/sql"}, Deps: []string{module + "/domain", "database/sql", "database/sql/driver"}},
		"database/sql":              {ImportPath: "database/sql", Standard: true, Imports: []string{"database/sql/driver"}},
		"database/sql/driver":       {ImportPath: "database/sql/driver", Standard: true},
		"fmt":                       {ImportPath: "fmt", Standard: true},
	}
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		module + "/domain imports " + module + "/adapters/memory",
		module + "/domain imports github.com/nats-io/nats.go",
		module + "/domain/helper -> " + module + "/adapters/memory", // the chain
		"tests of " + module + "/domain import " + module + "/adapters/memory",
		module + "/events imports gopkg.in/yaml.v3",
		module + "/events imports " + module + "/domain",
		module + "/projections imports " + module + "/domain",
		module + "/projections imports database/sql ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations do not report %q; got:\n%s", want, got)
		}
	}
	for _, allowed := range []string{"imports fmt", "imports github.com/google/uuid", "domain imports " + module + "/events", "domain imports " + module + "/domain/helper ", "imports database/sql/driver"} {
		if strings.Contains(got, allowed) {
			t.Errorf("an allowed import is reported (%q):\n%s", allowed, got)
		}
	}
}
