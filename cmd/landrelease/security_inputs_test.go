package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// The guards on files, input files and domain rules of issue 13 (item 6),
// each tried against the real CLI (Main) or a real serve; every refusal
// must name the field and the reason and leave the history and the read
// model as they were.

const (
	inputsArea   = "01900000-0000-7000-8000-00000000e0a1"
	inputsHALO   = "01900000-0000-7000-8000-00000000e0d1"
	inputsMAG    = "01900000-0000-7000-8000-00000000e0d2"
	inputsSquare = `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.85],[102.61,12.86],[102.60,12.86],[102.60,12.85]]]}`
)

// inputsWorld gives dataDir an area in Battambang tasked to a HALO
// deployment (clearance) and a MAG one (technical survey), of which HALO
// has cleared 10,000 m².
func inputsWorld(t *testing.T, dataDir string) {
	t.Helper()
	lines := []string{
		`{"command":"RegisterSuspectedArea","command_id":"01900000-0000-7000-8000-00000000e001","data":{"area_id":"` + inputsArea + `","province":"Battambang","hazard":"AP","classification":"CHA","size_m2":100000,"registered_on":"2024-01-10","source":"BLS","geometry":` + inputsSquare + `}}`,
		`{"command":"DeployCapacity","command_id":"01900000-0000-7000-8000-00000000e002","data":{"deployment_id":"` + inputsHALO + `","operator":"HALO","province":"Battambang","method":"MANUAL","deminers":40,"from":"2024-01-01"}}`,
		`{"command":"DeployCapacity","command_id":"01900000-0000-7000-8000-00000000e003","data":{"deployment_id":"` + inputsMAG + `","operator":"MAG","province":"Battambang","method":"MANUAL","deminers":20,"from":"2024-01-01"}}`,
		`{"command":"AssignTask","command_id":"01900000-0000-7000-8000-00000000e004","data":{"area_id":"` + inputsArea + `","deployment_id":"` + inputsHALO + `","on":"2024-02-01","task":"CLEARANCE"}}`,
		`{"command":"AssignTask","command_id":"01900000-0000-7000-8000-00000000e005","data":{"area_id":"` + inputsArea + `","deployment_id":"` + inputsMAG + `","on":"2024-02-01","task":"TS"}}`,
		`{"command":"ClearArea","command_id":"01900000-0000-7000-8000-00000000e006","data":{"area_id":"` + inputsArea + `","on":"2024-03-01","size_m2":10000,"operator":"HALO"}}`,
	}
	mustExecLines(t, dataDir, strings.Join(lines, "\n")+"\n")
}

func mustExecLines(t *testing.T, dataDir, text string) {
	t.Helper()
	if code, out, errOut := execText(t, dataDir, text); code != exitOK {
		t.Fatalf("exec: exit %d\n%s%s", code, out, errOut)
	}
}

func execText(t *testing.T, dataDir, text string, flags ...string) (int, string, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "commands.jsonl")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--data-dir", dataDir, "exec", "--json"}, flags...), file)
	return run(t, "", args...)
}

// wantRefusedLine finds the result of line n in exec --json output and
// checks it is refused with the field and a reason holding want.
func wantRefusedLine(t *testing.T, out string, n int, field, want string) {
	t.Helper()
	for _, r := range execResults(t, out) {
		if r.Line != n {
			continue
		}
		if r.Status != "refused" || r.Error == nil {
			t.Errorf("line %d: %s, want refused", n, r.Status)
			return
		}
		for _, p := range append(r.Error.Problems, domain.Problem{Field: r.Error.Field, Reason: r.Error.Message}) {
			if p.Field == field && strings.Contains(p.Reason, want) {
				return
			}
		}
		t.Errorf("line %d: refused with %+v, want field %q and a reason with %q", n, r.Error, field, want)
		return
	}
	t.Errorf("no result for line %d in\n%s", n, out)
}

func wantStatusLine(t *testing.T, out string, n int, status string) {
	t.Helper()
	for _, r := range execResults(t, out) {
		if r.Line == n {
			if r.Status != status {
				t.Errorf("line %d: %s (%+v), want %s", n, r.Status, r.Error, status)
			}
			return
		}
	}
	t.Errorf("no result for line %d", n)
}

// refusedAPI checks an API refusal: the status, the kind and the field of
// the error document, and a message holding want.
func refusedAPI(t *testing.T, what string, code int, body []byte, status int, kind, field, want string) {
	t.Helper()
	if code != status {
		t.Errorf("%s: status %d, want %d: %s", what, code, status, body)
		return
	}
	e := decodeAPIError(t, body)
	if e.Error.Kind != kind || e.Error.Field != field || !strings.Contains(e.Error.Message, want) {
		t.Errorf("%s: %+v, want kind %s, field %q and a message with %q", what, e.Error, kind, field, want)
	}
}

// 1. --db naming the read model a serve projects into is refused, whatever
// the data dir or history the second process uses: it would otherwise
// rebuild that read model from another (here empty) history.
func TestSecurityReadModelLockCoversDB(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		dir := t.TempDir()
		inputsWorld(t, dir)
		before := snapshot(t, dir)
		p := launchServe(t, dir)
		holder := "in use by landrelease pid " + strconv.Itoa(os.Getpid())
		for _, verb := range []string{"rebuild", "state"} {
			code, _, errOut := run(t, "", "--data-dir", t.TempDir(), "--db", filepath.Join(dir, "readmodel.sqlite"), verb)
			if code != exitRefused || !strings.Contains(errOut, holder) || !strings.Contains(errOut, "data dir "+dir) {
				t.Errorf("%s on a served read model: exit %d, want %d naming %q and the data dir\n%s", verb, code, exitRefused, holder, errOut)
			}
		}
		p.stop()
		p.wait(t)
		sameState(t, before, snapshot(t, dir))
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		dir, dsn := t.TempDir(), testPG(t)
		inputsWorld(t, dir)
		pgState := func() string {
			code, out, errOut := run(t, "", "--data-dir", dir, "--db", dsn, "state", "--json")
			if code != exitOK {
				t.Fatalf("state: %d %s", code, errOut)
			}
			return out
		}
		events, state := len(readHistory(t, dir)), pgState()
		p := launchServe(t, dir, "--db", dsn)
		code, _, errOut := run(t, "", "--data-dir", t.TempDir(), "--db", dsn, "rebuild")
		if code != exitRefused || !strings.Contains(errOut, "in use by landrelease pid "+strconv.Itoa(os.Getpid())) {
			t.Errorf("rebuild on a served PostgreSQL read model: exit %d\n%s", code, errOut)
		}
		p.stop()
		p.wait(t)
		if n := len(readHistory(t, dir)); n != events {
			t.Errorf("history: %d events, was %d", n, events)
		}
		if got := pgState(); got != state {
			t.Errorf("the PostgreSQL read model changed:\nbefore %s\n after %s", state, got)
		}
	})
}

// 2. exec reads lines up to the documented limit (16 MiB), refuses only a
// longer line, naming its number and the limit, and goes on; a BOM at the
// start of the file is dropped.
func TestSecurityExecLongLinesAndBOM(t *testing.T) {
	dir := t.TempDir()
	inputsWorld(t, dir)
	evidence := func(id int, pad int) string {
		return fmt.Sprintf(`{"command":"RecordEvidence","command_id":"01900000-0000-7000-8000-00000000f%03d",%s"data":{"area_id":"%s","kind":"WITNESS","observed_on":"2024-03-02"}}`,
			id, strings.Repeat(" ", pad), inputsArea)
	}
	tooLong := evidence(1, defaultMaxLine) // valid JSON, one line over the limit
	before := snapshot(t, dir)
	code, out, _ := execText(t, dir, "\uFEFF"+tooLong+"\n"+tooLong+"\r\n")
	if code != exitRefused {
		t.Fatalf("exit %d, want %d\n%.2000s", code, exitRefused, out)
	}
	for n := 1; n <= 2; n++ {
		wantRefusedLine(t, out, n, "", fmt.Sprintf("line %d is longer than the limit of %d bytes", n, defaultMaxLine))
	}
	sameState(t, before, snapshot(t, dir))

	// A BOM, a line of 1 MiB (far above the reader's buffer), the long line
	// and a line after it: all but the long one apply.
	code, out, _ = execText(t, dir, "\uFEFF"+evidence(2, 0)+"\n"+evidence(3, 1<<20)+"\n"+tooLong+"\n"+evidence(4, 0)+"\n")
	if code != exitRefused {
		t.Fatalf("exit %d, want %d", code, exitRefused)
	}
	for n, status := range map[int]string{1: "ok", 2: "ok", 3: "refused", 4: "ok"} {
		wantStatusLine(t, out, n, status)
	}
	if got, want := len(readHistory(t, dir)), len(before.events)+3; got != want {
		t.Errorf("%d events, want %d", got, want)
	}
}

// 3. A key given twice is refused on exec and through the API, naming it,
// at the top level, inside data and deeper.
func TestSecurityDuplicateKeysRefused(t *testing.T) {
	dir := t.TempDir()
	inputsWorld(t, dir)
	clear := `"area_id":"` + inputsArea + `","on":"2024-03-02","operator":"HALO"`
	lines := []struct{ line, field string }{
		{`{"command":"ClearArea","data":{` + clear + `,"size_m2":5,"size_m2":90000}}`, "size_m2"},
		{`{"command":"ClearArea","data":{` + clear + `,"size_m2":5,"Size_M2":90000}}`, "size_m2"},
		{`{"command":"ClearArea","command":"RecordEvidence","data":{` + clear + `,"size_m2":5}}`, "command"},
		{`{"command":"RecordEvidence","data":{"area_id":"` + inputsArea + `","kind":"WITNESS","observed_on":"2024-03-02"},"data":{"area_id":"` + inputsArea + `","kind":"ACCIDENT","observed_on":"2024-03-02"}}`, "data"},
		{`{"command":"ReclassifyArea","data":{"area_id":"` + inputsArea + `","on":"2024-03-02","to":"SHA","reason":"x","evidence":[{"kind":"WITNESS","kind":"ACCIDENT","observed_on":"2024-03-01"}]}}`, "evidence[0].kind"},
	}
	before := snapshot(t, dir)
	var text strings.Builder
	for _, l := range lines {
		text.WriteString(l.line + "\n")
	}
	code, out, _ := execText(t, dir, text.String())
	if code != exitRefused {
		t.Fatalf("exit %d", code)
	}
	for i, l := range lines {
		wantRefusedLine(t, out, i+1, l.field, "duplicate key")
	}
	p := launchServe(t, dir, "--insecure-local")
	c := newClient(t, p.base, "")
	for _, l := range lines {
		code, body := c.do("POST", "/api/v1/commands", l.line)
		// A malformed body is a 400 (bad_request), a rule broken 422:
		// either way the field and the reason.
		if code == http.StatusBadRequest {
			refusedAPI(t, "POST "+l.field, code, body, http.StatusBadRequest, "bad_request", l.field, "duplicate key")
		} else {
			refusedAPI(t, "POST "+l.field, code, body, http.StatusUnprocessableEntity, "invalid", l.field, "duplicate key")
		}
	}
	p.stop()
	p.wait(t)
	sameState(t, before, snapshot(t, dir))
}

// 4. The data dir is the owner's only: the directory 0700, the read model
// and its -wal and -shm, the lock files 0600, and nothing in it that other
// users can read.
func TestSecurityFilesAreOwnerOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	inputsWorld(t, dir)
	createToken(t, dir, "admin", "root")
	p := launchServe(t, dir)
	defer func() { p.stop(); p.wait(t) }()
	mode := func(path string) fs.FileMode {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("data dir: mode %04o, want 0700", m)
	}
	for _, name := range []string{"readmodel.sqlite", "readmodel.sqlite-wal", "readmodel.sqlite-shm", "readmodel.sqlite.lock", lockName} {
		if m := mode(filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", name, m)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && info.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s: mode %04o lets other users in", path, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An existing data dir that other users can enter draws a warning with
// the command that closes it; one beneath a directory closed to them (a
// home or temporary directory of 0700) does not, since they cannot reach
// it, unless it is a link to a directory they can reach.
func TestSecurityWarnsOfAnOpenDataDir(t *testing.T) {
	base := t.TempDir()
	// Every directory above base lets others through, as /home/<user> of
	// 0755 would: the test's own temporary root is 0700.
	for p := base; p != filepath.Dir(p); p = filepath.Dir(p) {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o011 == 0 {
			if err := os.Chmod(p, 0o755); err != nil {
				t.Skipf("cannot open %s for the test: %v", p, err)
			}
		}
	}
	mkdir := func(path string, mode fs.FileMode) string {
		t.Helper()
		if err := os.MkdirAll(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	home := mkdir(filepath.Join(base, "home"), 0o700)
	link := filepath.Join(home, "link") // beneath a 0700 directory, to an open one
	if err := os.Symlink(mkdir(filepath.Join(base, "shared"), 0o755), link); err != nil {
		t.Fatal(err)
	}
	const warning = "can be read by other users"
	for _, c := range []struct {
		name string
		dir  string
		warn bool
	}{
		{"open, beneath open directories", mkdir(filepath.Join(base, "open"), 0o755), true},
		{"closed", mkdir(filepath.Join(base, "closed"), 0o700), false},
		{"open, beneath a 0700 directory", mkdir(filepath.Join(home, "data"), 0o755), false},
		{"a link beneath a 0700 directory to an open one", link, true},
	} {
		code, _, errOut := run(t, "", "--data-dir", c.dir, "state")
		if code != exitOK {
			t.Fatalf("%s: state: exit %d\n%s", c.name, code, errOut)
		}
		if got := strings.Contains(errOut, warning); got != c.warn {
			t.Errorf("%s (%s): warned %v, want %v:\n%s", c.name, c.dir, got, c.warn, errOut)
		}
		if c.warn && !strings.Contains(errOut, "chmod 700 "+c.dir) {
			t.Errorf("%s: the warning does not say how to close it:\n%s", c.name, errOut)
		}
	}
}

// 5. Geometry is checked on every entry path: exec, the API and import
// refuse a self-intersecting polygon, one outside Cambodia and one in a
// projected CRS, naming the geometry and what to do.
func TestSecurityGeometryCheckedOnEntry(t *testing.T) {
	dir := t.TempDir()
	inputsWorld(t, dir)
	bad := []struct{ name, geometry, want string }{
		{"bow-tie", `{"type":"Polygon","coordinates":[[[102.60,12.85],[102.61,12.86],[102.61,12.85],[102.60,12.86],[102.60,12.85]]]}`, "crosses or touches itself"},
		{"Bangkok", `{"type":"Polygon","coordinates":[[[100.50,13.75],[100.51,13.75],[100.51,13.76],[100.50,13.75]]]}`, "lies outside KH"},
		{"UTM crs", `{"type":"Polygon","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32648"}},"coordinates":[[[102.5,12.5],[102.6,12.5],[102.6,12.6],[102.5,12.5]]]}`, "reproject the data to WGS84"},
	}
	register := func(i int, geometry string) string {
		return fmt.Sprintf(`{"command":"RegisterSuspectedArea","data":{"area_id":"01900000-0000-7000-8000-00000000e1%02d","province":"Battambang","hazard":"AP","size_m2":1000,"registered_on":"2024-01-10","source":"BLS","geometry":%s}}`, i, geometry)
	}
	correct := func(geometry string) string {
		return `{"command":"CorrectAreaRecord","data":{"area_id":"` + inputsArea + `","on":"2024-03-02","reason":"new survey","geometry":` + geometry + `}}`
	}
	before := snapshot(t, dir)
	var text strings.Builder
	for i, b := range bad {
		text.WriteString(register(i, b.geometry) + "\n" + correct(b.geometry) + "\n")
	}
	code, out, _ := execText(t, dir, text.String())
	if code != exitRefused {
		t.Fatalf("exit %d", code)
	}
	for i, b := range bad {
		wantRefusedLine(t, out, 2*i+1, "geometry", b.want)
		wantRefusedLine(t, out, 2*i+2, "geometry", b.want)
	}

	// import: an areas CSV for each bad geometry; a GeoJSON file in UTM.
	const header = "local_id,province,hazard,classification,estimated_area,remaining_area,area_unit,registered_on,geometry\n"
	files := map[string]string{"areas.geojson": `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32648"}},"features":[` +
		`{"type":"Feature","properties":{"local_id":"BB-9","province":"Battambang","hazard":"AP","classification":"SHA","estimated_area":1000,"remaining_area":1000,"area_unit":"m2","registered_on":"2024-01-10"},` +
		`"geometry":{"type":"Polygon","coordinates":[[[300000,1420000],[301000,1420000],[301000,1421000],[300000,1420000]]]}}]}`}
	wants := map[string]string{"areas.geojson": "reproject the data to WGS84"}
	for i, b := range bad {
		name := fmt.Sprintf("areas-%d.csv", i)
		files[name] = header + fmt.Sprintf("BB-%d,Battambang,AP,SHA,1000,1000,m2,2024-01-10,\"%s\"\n", i, strings.ReplaceAll(b.geometry, `"`, `""`))
		wants[name] = b.want
	}
	for name, content := range files {
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := run(t, "", "--data-dir", dir, "import", file)
		if report := out + errOut; code == exitOK || !strings.Contains(report, wants[name]) {
			t.Errorf("import %s: exit %d, want a refusal saying %q\n%s", name, code, wants[name], report)
		}
	}

	p := launchServe(t, dir, "--insecure-local")
	c := newClient(t, p.base, "")
	for i, b := range bad {
		code, body := c.do("POST", "/api/v1/commands", register(i, b.geometry))
		refusedAPI(t, "API register "+b.name, code, body, http.StatusUnprocessableEntity, "invalid", "geometry", b.want)
		code, body = c.do("POST", "/api/v1/commands", correct(b.geometry))
		refusedAPI(t, "API correct "+b.name, code, body, http.StatusUnprocessableEntity, "invalid", "geometry", b.want)
	}
	p.stop()
	p.wait(t)
	sameState(t, before, snapshot(t, dir))
}

// 6 and 7. Through the API, a MAPU may credit released land only to an
// operator tasked to the area, and an operator may not record QA on land it
// released itself; the same commands from the right sender apply.
func TestSecurityOperatorsKnownAndQAIndependent(t *testing.T) {
	dir := t.TempDir()
	inputsWorld(t, dir)
	tokens := map[string]string{}
	for name, role := range map[string]string{"bmb": "mapu:Battambang", "halo": "operator:HALO", "mag": "operator:MAG"} {
		tokens[name] = createToken(t, dir, role, name)
	}
	field := func(command string, data string) string {
		return `{"command":"` + command + `","data":{"area_id":"` + inputsArea + `","on":"2024-03-05",` + data + `}}`
	}
	ghostClear := field("ClearArea", `"size_m2":500,"operator":"Ghost Demining"`)
	ghostReduce := field("ReduceArea", `"size_m2":500,"operator":"Ghost Demining"`)
	ghostNTS := field("CancelArea", `"method":"NTS","reason":"no evidence","size_m2":500,"operator":"Ghost Demining"`)
	ownQA := field("RecordQAVisit", `"result":"PASS","operator":"HALO"`)
	ownQAUnnamed := field("RecordQAVisit", `"result":"PASS"`)

	before := snapshot(t, dir)
	p := launchServe(t, dir)
	for _, cmd := range []string{ghostClear, ghostReduce, ghostNTS} {
		code, body := newClient(t, p.base, tokens["bmb"]).do("POST", "/api/v1/commands", cmd)
		refusedAPI(t, "MAPU credits a ghost", code, body, http.StatusUnprocessableEntity, "invalid", "operator", `"Ghost Demining" is not known`)
	}
	for _, cmd := range []string{ownQA, ownQAUnnamed} {
		code, body := newClient(t, p.base, tokens["halo"]).do("POST", "/api/v1/commands", cmd)
		refusedAPI(t, "HALO QA of its own clearance", code, body, http.StatusForbidden, "forbidden", "", "QA visit on its own work")
	}
	p.stop()
	p.wait(t)
	sameState(t, before, snapshot(t, dir))

	// The controls: the same kinds of command from the right sender apply.
	p = launchServe(t, dir)
	defer func() { p.stop(); p.wait(t) }()
	for who, cmd := range map[string]string{
		"bmb": field("ClearArea", `"size_m2":500,"operator":"HALO"`),
		"mag": field("RecordQAVisit", `"result":"PASS","operator":"MAG"`),
	} {
		code, body := newClient(t, p.base, tokens[who]).do("POST", "/api/v1/commands", cmd)
		mustStatus(t, who+" control", code, body, http.StatusOK)
		var ans commandAnswer
		if err := json.Unmarshal(body, &ans); err != nil || ans.Applied != 1 {
			t.Errorf("%s control: %s", who, body)
		}
	}
}
