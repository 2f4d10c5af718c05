package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestServeRoles walks role × endpoint against a real serve with real
// tokens: who may read, who may send which command where, who may run
// scenarios and manage tokens; a revoked token and a missing one are
// refused; the actor of every event is the token's name.
func TestServeRoles(t *testing.T) {
	dir := t.TempDir()
	adminToken := createToken(t, dir, "admin", "root")
	base := startServe(t, dir)
	admin := newClient(t, base, adminToken)

	tokens := map[string]string{}
	for name, role := range map[string]string{
		"ana": "analyst", "pat": "planner", "bmb": "mapu:Battambang", "halo": "operator:HALO",
	} {
		code, body := admin.do("POST", "/api/v1/tokens", map[string]string{"name": name, "role": role})
		mustStatus(t, "create token "+role, code, body, http.StatusCreated)
		var tok struct{ Token string }
		if err := json.Unmarshal(body, &tok); err != nil || !strings.HasPrefix(tok.Token, "lrt_") {
			t.Fatalf("token answer %s (%v)", body, err)
		}
		tokens[name] = tok.Token
	}
	as := func(name string) *client {
		if name == "root" {
			return admin
		}
		return newClient(t, base, tokens[name])
	}

	// The world: a HALO deployment in Battambang tasked to area A; area P in
	// Pailin tasked to nobody.
	areaA, areaP, dep := uuid.New(), uuid.New(), uuid.New()
	var last uint64
	register := func(id uuid.UUID, province string) map[string]any {
		return cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": id, "province": province, "hazard": "AP",
			"size_m2": 100_000, "registered_on": "2024-01-10", "source": "BLS", "classification": "CHA"})
	}
	for _, c := range []map[string]any{
		register(areaA, "Battambang"), register(areaP, "Pailin"),
		cmdJSON("DeployCapacity", map[string]any{"deployment_id": dep, "operator": "HALO", "province": "Battambang",
			"method": "MANUAL", "deminers": 40, "from": "2024-01-01"}),
		cmdJSON("AssignTask", map[string]any{"area_id": areaA, "deployment_id": dep, "on": "2024-02-01", "task": "CLEARANCE"}),
	} {
		code, body := admin.do("POST", "/api/v1/commands", c)
		mustStatus(t, "setup "+c["command"].(string), code, body, http.StatusOK)
		var ans commandAnswer
		if err := json.Unmarshal(body, &ans); err != nil {
			t.Fatal(err)
		}
		last = max(last, ans.Sequence)
	}
	// The read model follows the history: wait until it holds the set-up.
	var state json.RawMessage
	admin.getJSON(fmt.Sprintf("/api/v1/state?min_sequence=%d", last), &state)

	t.Run("everyone reads, nobody without a token", func(t *testing.T) {
		reads := []string{"/api/v1/whoami", "/api/v1/areas", "/api/v1/areas/" + areaA.String(), "/api/v1/state",
			"/api/v1/stats", "/api/v1/audit", "/api/v1/workplans/Battambang/2024", "/api/v1/forecast?trials=0",
			"/api/v1/scenarios", "/api/v1/overview"}
		for _, who := range []string{"root", "ana", "pat", "bmb", "halo"} {
			for _, path := range reads {
				code, body := as(who).do("GET", path, nil)
				mustStatus(t, who+" GET "+path, code, body, http.StatusOK)
			}
		}
		for _, path := range reads {
			code, body := newClient(t, base, "").do("GET", path, nil)
			mustStatus(t, "no token GET "+path, code, body, http.StatusUnauthorized)
			decodeAPIError(t, body)
			code, body = newClient(t, base, "lrt_not-a-real-token").do("GET", path, nil)
			mustStatus(t, "unknown token GET "+path, code, body, http.StatusUnauthorized)
		}
		if code, body := newClient(t, base, "").do("GET", "/api/v1/health", nil); code != http.StatusOK {
			t.Fatalf("health needs no token: %d %s", code, body)
		}
	})

	t.Run("commands by role and place", func(t *testing.T) {
		evidence := func(id uuid.UUID) map[string]any {
			return cmdJSON("RecordEvidence", map[string]any{"area_id": id, "kind": "WITNESS", "observed_on": "2024-03-01"})
		}
		reduce := func(id uuid.UUID, operator string) map[string]any {
			return cmdJSON("ReduceArea", map[string]any{"area_id": id, "on": "2024-03-02", "size_m2": 1000, "operator": operator})
		}
		deadline := cmdJSON("SetArticle5Deadline", map[string]any{"country": "KH", "deadline": "2030-12-31", "reason": "extension granted"})
		cases := []struct {
			who  string
			cmd  map[string]any
			want int
		}{
			{"ana", evidence(areaA), http.StatusForbidden},
			{"ana", deadline, http.StatusForbidden},
			{"bmb", register(uuid.New(), "Battambang"), http.StatusOK},
			{"bmb", register(uuid.New(), "Pailin"), http.StatusForbidden},
			{"bmb", evidence(areaA), http.StatusOK},
			{"bmb", evidence(areaP), http.StatusForbidden},
			{"bmb", deadline, http.StatusForbidden},
			{"bmb", cmdJSON("ApproveWorkPlan", map[string]any{"province": "Battambang", "year": 2024, "area_ids": []uuid.UUID{areaA}}), http.StatusOK},
			{"bmb", cmdJSON("ApproveWorkPlan", map[string]any{"province": "Pailin", "year": 2024, "area_ids": []uuid.UUID{areaP}}), http.StatusForbidden},
			{"bmb", cmdJSON("EndorseWorkPlan", map[string]any{"province": "Battambang", "year": 2024}), http.StatusForbidden},
			{"halo", reduce(areaA, "HALO"), http.StatusOK},
			{"halo", evidence(areaA), http.StatusOK},
			{"halo", reduce(areaP, "HALO"), http.StatusForbidden},
			{"halo", reduce(areaA, "MAG"), http.StatusForbidden},
			{"halo", register(uuid.New(), "Battambang"), http.StatusForbidden},
			{"pat", deadline, http.StatusOK},
			{"pat", register(uuid.New(), "Pailin"), http.StatusOK},
			{"pat", reduce(areaA, "HALO"), http.StatusForbidden},
			{"pat", cmdJSON("EndorseWorkPlan", map[string]any{"province": "Battambang", "year": 2024}), http.StatusOK},
			{"root", reduce(areaP, "MAG"), http.StatusOK},
		}
		for _, c := range cases {
			code, body := as(c.who).do("POST", "/api/v1/commands", c.cmd)
			if code != c.want {
				t.Errorf("%s %s: %d, want %d: %s", c.who, c.cmd["command"], code, c.want, body)
				continue
			}
			if code == http.StatusForbidden && decodeAPIError(t, body).Error.Kind != "forbidden" {
				t.Errorf("%s %s: kind %s", c.who, c.cmd["command"], body)
			}
		}
		// A JSON Lines batch is checked command by command too.
		batch := mustJSONLine(evidence(areaA)) + "\n" + mustJSONLine(evidence(areaP)) + "\n"
		code, body := as("bmb").do("POST", "/api/v1/commands", batch)
		mustStatus(t, "mapu batch", code, body, http.StatusOK)
		var ans commandAnswer
		if err := json.Unmarshal(body, &ans); err != nil || ans.Applied != 1 || ans.Refused != 1 || ans.Results[1].Status != "refused" {
			t.Fatalf("mapu batch: %s", body)
		}
		// Every event records who sent its command: the token's name.
		var area struct {
			History []struct{ Type, Actor string } `json:"history"`
		}
		admin.getJSON("/api/v1/areas/"+areaA.String()+"?min_sequence="+itoa(ans.Sequence), &area)
		actors := map[string]string{}
		for _, h := range area.History {
			actors[h.Actor] += h.Type + " "
		}
		if !strings.Contains(actors["bmb"], "EvidenceRecorded") || !strings.Contains(actors["halo"], "AreaReduced") || !strings.Contains(actors["root"], "AreaRegistered") {
			t.Fatalf("actors of area A's events: %v", actors)
		}
	})

	t.Run("scenarios and tokens", func(t *testing.T) {
		compare := map[string]any{"scenarios": []string{"baseline"}, "trials": 0}
		for who, want := range map[string]int{"pat": 200, "root": 200, "ana": 403, "bmb": 403, "halo": 403} {
			code, body := as(who).do("POST", "/api/v1/scenarios/compare", compare)
			mustStatus(t, who+" compare", code, body, want)
		}
		for who, want := range map[string]int{"root": 200, "pat": 403, "ana": 403, "bmb": 403, "halo": 403} {
			code, body := as(who).do("GET", "/api/v1/tokens", nil)
			mustStatus(t, who+" list tokens", code, body, want)
			if who == "root" && strings.Contains(string(body), "lrt_") {
				t.Fatalf("the token list shows a token: %s", body)
			}
		}
		code, body := as("pat").do("POST", "/api/v1/tokens", map[string]string{"name": "mallory", "role": "admin"})
		mustStatus(t, "planner makes an admin", code, body, http.StatusForbidden)
	})

	t.Run("a revoked token is refused at once", func(t *testing.T) {
		code, body := admin.do("DELETE", "/api/v1/tokens/ana", nil)
		mustStatus(t, "revoke", code, body, http.StatusOK)
		code, body = as("ana").do("GET", "/api/v1/areas", nil)
		mustStatus(t, "revoked token", code, body, http.StatusUnauthorized)
		if e := decodeAPIError(t, body); !strings.Contains(e.Error.Message, "revoked") {
			t.Fatalf("revoked token message: %s", body)
		}
		code, body = admin.do("DELETE", "/api/v1/tokens/nobody", nil)
		mustStatus(t, "revoke unknown", code, body, http.StatusNotFound)
	})
}

func mustJSONLine(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
