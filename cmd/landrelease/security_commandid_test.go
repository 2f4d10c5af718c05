package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
)

// health returns the last sequence of the history a serve sees.
func storedSequence(t *testing.T, c *client) uint64 {
	t.Helper()
	var h struct {
		Sequence uint64 `json:"sequence"`
	}
	c.getJSON("/api/v1/health", &h)
	return h.Sequence
}

func registerJSON(id uuid.UUID, province string, size int64) map[string]any {
	return cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": id, "province": province, "hazard": "AP",
		"size_m2": size, "registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"})
}

func withID(cmd map[string]any, id uuid.UUID) map[string]any {
	cmd["command_id"] = id
	return cmd
}

// wantReuseRefused checks a 409 conflict on command_id that names the first
// use: its command, its aggregate and its sequence.
func wantReuseRefused(t *testing.T, what string, code int, body []byte, first ...string) {
	t.Helper()
	mustStatus(t, what, code, body, http.StatusConflict)
	e := decodeAPIError(t, body)
	if e.Error.Kind != "conflict" || e.Error.Field != "command_id" {
		t.Fatalf("%s: refused with kind %q on %q, want conflict on command_id: %s", what, e.Error.Kind, e.Error.Field, body)
	}
	for _, s := range first {
		if !strings.Contains(e.Error.Message, s) {
			t.Fatalf("%s: the refusal does not name %q: %s", what, s, e.Error.Message)
		}
	}
}

// TestSecurityCommandIDs: a command ID names one command. Sent again with
// the same payload it is answered "already applied"; with another payload,
// another command or on another aggregate it is refused at once with 409
// naming the first use, over the single path and the bulk path, and the
// history is unchanged; a legitimate command on the other area still
// passes its role check.
func TestSecurityCommandIDs(t *testing.T) {
	dir := t.TempDir()
	mapuToken := createToken(t, dir, "mapu:Pailin", "pailin-mapu")
	base := startServe(t, dir, "--insecure-local")
	admin := newClient(t, base, "")
	mapu := newClient(t, base, mapuToken)

	id, area1, area2 := uuid.New(), uuid.New(), uuid.New()
	code, body := admin.do("POST", "/api/v1/commands", withID(registerJSON(area1, "Pailin", 50_000), id))
	mustStatus(t, "first use", code, body, http.StatusOK)
	var first commandAnswer
	if err := json.Unmarshal(body, &first); err != nil {
		t.Fatal(err)
	}
	seq := itoa(first.Sequence)
	before := storedSequence(t, admin)

	code, body = admin.do("POST", "/api/v1/commands", withID(registerJSON(area1, "Pailin", 50_000), id))
	mustStatus(t, "the same command again", code, body, http.StatusOK)
	var again commandAnswer
	if err := json.Unmarshal(body, &again); err != nil || again.Results[0].Status != "already-applied" || again.Sequence != first.Sequence {
		t.Fatalf("the same command again: %s (%v); want already-applied at %d", body, err, first.Sequence)
	}

	code, body = admin.do("POST", "/api/v1/commands", withID(registerJSON(area1, "Pailin", 60_000), id))
	wantReuseRefused(t, "another payload", code, body, "RegisterSuspectedArea", area1.String(), "sequence "+seq, "another payload")
	code, body = admin.do("POST", "/api/v1/commands", withID(cmdJSON("RecordEvidence", map[string]any{
		"area_id": area1, "kind": "WITNESS", "observed_on": "2024-01-11"}), id))
	wantReuseRefused(t, "another command", code, body, "RegisterSuspectedArea", area1.String(), "sequence "+seq)
	code, body = admin.do("POST", "/api/v1/commands", withID(registerJSON(area2, "Pailin", 50_000), id))
	wantReuseRefused(t, "another aggregate", code, body, "RegisterSuspectedArea", area1.String(), "sequence "+seq, "another aggregate")

	// The bulk path: the reuse of a known ID, and one ID on two lines.
	twice, area3, area4 := uuid.New(), uuid.New(), uuid.New()
	lines := []string{
		mustJSONLine(withID(registerJSON(area2, "Pailin", 70_000), id)),
		mustJSONLine(withID(registerJSON(area3, "Pailin", 10_000), twice)),
		mustJSONLine(withID(registerJSON(area4, "Pailin", 10_000), twice)),
	}
	code, body = admin.do("POST", "/api/v1/commands", strings.Join(lines, "\n")+"\n")
	mustStatus(t, "bulk", code, body, http.StatusOK)
	var bulk struct {
		Results []struct {
			Status string `json:"status"`
			Error  *struct {
				Kind    string `json:"kind"`
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
		Sequence uint64 `json:"sequence"`
	}
	if err := json.Unmarshal(body, &bulk); err != nil || len(bulk.Results) != 3 {
		t.Fatalf("bulk answer %s (%v)", body, err)
	}
	for i, want := range []string{"refused", "ok", "refused"} {
		r := bulk.Results[i]
		if r.Status != want {
			t.Fatalf("bulk line %d: %s, want %s: %s", i+1, r.Status, want, body)
		}
		if want == "refused" && (r.Error == nil || r.Error.Kind != "conflict" || r.Error.Field != "command_id" || !strings.Contains(r.Error.Message, "RegisterSuspectedArea")) {
			t.Fatalf("bulk line %d: want a conflict on command_id naming the first use: %s", i+1, body)
		}
	}
	if !strings.Contains(bulk.Results[0].Error.Message, area1.String()) || !strings.Contains(bulk.Results[2].Error.Message, area3.String()) {
		t.Fatalf("bulk refusals do not name the first uses: %s", body)
	}

	// The history holds the first use and the one bulk line, nothing else.
	if got := storedSequence(t, admin); got != before+1 {
		t.Fatalf("history at %d after the refusals, want %d (one bulk line)", got, before+1)
	}
	for _, a := range []uuid.UUID{area2, area4} {
		if code, body := admin.do("GET", "/api/v1/areas/"+a.String()+"?min_sequence="+itoa(before+1), nil); code != http.StatusNotFound {
			t.Fatalf("area %s registered by a reused command ID: %d %s", a, code, body)
		}
	}
	// The other area, with a command of its own, passes the role check.
	code, body = mapu.do("POST", "/api/v1/commands", withID(registerJSON(area2, "Pailin", 70_000), uuid.New()))
	mustStatus(t, "MAPU registers the other area", code, body, http.StatusOK)
}

// mustNATS starts a nats-server with JetStream on a free loopback port for
// the test, as a cluster node would be, and returns its URL.
func mustNATS(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10e9) {
		t.Fatal("nats-server not ready")
	}
	return s.ClientURL()
}

// TestSecurityReplicasDecideOnCurrentState: two serve replicas (each with
// its own command handler, commands handled where they arrive). An area
// registered and tasked through replica A is at once in its province and
// tasked for the role checks of replica B: its MAPU reduces it and the
// operator tasked there records clearance. A decision B would take on a
// stale cache is not taken: after A releases the area, B refuses the next
// reduction and the history is unchanged.
func TestSecurityReplicasDecideOnCurrentState(t *testing.T) {
	url := mustNATS(t)
	dirs := []string{t.TempDir(), t.TempDir()}
	token := func(role, name string) string {
		code, out, errOut := run(t, "", "--nats-url", url, "token", "create", "--role", role, "--name", name)
		if code != exitOK {
			t.Fatalf("token create %s: exit %d\n%s", role, code, errOut)
		}
		return strings.TrimSpace(out)
	}
	rootTok, mapuTok, haloTok := token("admin", "root"), token("mapu:Pailin", "pailin-mapu"), token("operator:HALO", "halo")
	bases := make([]string, 2)
	for i, dir := range dirs {
		bases[i] = startServe(t, dir, "--nats-url", url, "--bus", "local", "--db", filepath.Join(dir, "readmodel.sqlite"))
	}
	a := newClient(t, bases[0], rootTok)
	bMAPU, bHALO := newClient(t, bases[1], mapuTok), newClient(t, bases[1], haloTok)

	area, dep := uuid.New(), uuid.New()
	for _, c := range []map[string]any{
		registerJSON(area, "Pailin", 100_000),
		cmdJSON("DeployCapacity", map[string]any{"deployment_id": dep, "operator": "HALO", "province": "Pailin",
			"method": "MANUAL", "deminers": 40, "from": "2024-01-01"}),
		cmdJSON("AssignTask", map[string]any{"area_id": area, "deployment_id": dep, "on": "2024-02-01", "task": "CLEARANCE"}),
	} {
		code, body := a.do("POST", "/api/v1/commands", c)
		mustStatus(t, "through A: "+c["command"].(string), code, body, http.StatusOK)
	}
	code, body := bMAPU.do("POST", "/api/v1/commands", cmdJSON("ReduceArea", map[string]any{
		"area_id": area, "on": "2024-03-01", "size_m2": 20_000, "operator": "HALO"}))
	mustStatus(t, "through B at once: the province's MAPU reduces the area", code, body, http.StatusOK)
	code, body = bHALO.do("POST", "/api/v1/commands", cmdJSON("ClearArea", map[string]any{
		"area_id": area, "on": "2024-03-02", "size_m2": 30_000, "operator": "HALO"}))
	mustStatus(t, "through B at once: the operator tasked there records clearance", code, body, http.StatusOK)

	// A releases the rest; B, asked at once, decides on the released area.
	code, body = a.do("POST", "/api/v1/commands", cmdJSON("ClearArea", map[string]any{
		"area_id": area, "on": "2024-03-03", "size_m2": 50_000, "operator": "HALO"}))
	mustStatus(t, "through A: clear the rest", code, body, http.StatusOK)
	var cleared commandAnswer
	if err := json.Unmarshal(body, &cleared); err != nil {
		t.Fatal(err)
	}
	code, body = bMAPU.do("POST", "/api/v1/commands", cmdJSON("ReduceArea", map[string]any{
		"area_id": area, "on": "2024-03-04", "size_m2": 1_000, "operator": "HALO"}))
	if code == http.StatusOK {
		t.Fatalf("B reduced an area A had released: %s", body)
	}
	decodeAPIError(t, body)
	if got := storedSequence(t, newClient(t, bases[1], rootTok)); got != cleared.Sequence {
		t.Fatalf("history at %d after B's refusal, want %d", got, cleared.Sequence)
	}
}
