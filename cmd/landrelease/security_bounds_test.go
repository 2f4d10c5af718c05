package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestSecurityPlausibleQuantities sends implausible quantities and an
// oversized event to a real serve through the API: each is refused naming
// the field (and, for the oversized event, the limit), with the statuses of
// docs/api.md, and the history's last sequence does not move.
func TestSecurityPlausibleQuantities(t *testing.T) {
	dir := t.TempDir()
	token := createToken(t, dir, "admin", "root")
	c := newClient(t, startServe(t, dir), token)

	areaID, depID := uuid.New(), uuid.New()
	register := func(size any, extra map[string]any) map[string]any {
		d := map[string]any{"area_id": uuid.New(), "province": "Pailin", "hazard": "AP", "size_m2": size,
			"registered_on": "2020-01-01", "source": "BLS"}
		for k, v := range extra {
			d[k] = v
		}
		return cmdJSON("RegisterSuspectedArea", d)
	}
	for _, setup := range []map[string]any{
		register(50_000, map[string]any{"area_id": areaID}),
		cmdJSON("DeployCapacity", map[string]any{"deployment_id": depID, "operator": "HALO", "province": "Pailin",
			"method": "MANUAL", "deminers": 40, "from": "2020-01-01"}),
	} {
		code, body := c.do("POST", "/api/v1/commands", setup)
		mustStatus(t, "setup", code, body, http.StatusOK)
	}
	sequence := func() uint64 {
		var h struct{ Sequence uint64 }
		c.getJSON("/api/v1/health", &h)
		return h.Sequence
	}
	before := sequence()
	if before == 0 {
		t.Fatal("the setup wrote no event")
	}

	deploy := func(k string, v any) map[string]any {
		d := map[string]any{"operator": "HALO", "province": "Pailin", "method": "MANUAL", "deminers": 40, "from": "2020-01-01"}
		d[k] = v
		return cmdJSON("DeployCapacity", d)
	}
	release := func(name string, size any) map[string]any {
		return cmdJSON(name, map[string]any{"area_id": areaID, "on": "2021-01-01", "size_m2": size, "operator": "HALO"})
	}
	for _, bad := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"an area near the int64 limit", register(int64(9_000_000_000_000_000_000), nil), 422, "size_m2"},
		{"1e15 m²", register(int64(1e15), nil), 422, "size_m2"},
		{"an area larger than Cambodia", register(int64(181_035_000_001), nil), 422, "size_m2"},
		{"a negative area", register(-1, nil), 422, "size_m2"},
		{"a size beyond int64", `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":1e30,"registered_on":"2020-01-01","source":"BLS"}}`, 400, "size_m2"},
		{"casualties", register(1000, map[string]any{"casualties_last_5y": 100_001}), 422, "casualties_last_5y"},
		{"a registration date of the year 1066", register(1000, map[string]any{"registered_on": "1066-10-14"}), 422, "registered_on"},
		{"a clearance larger than Cambodia", release("ClearArea", int64(1e15)), 422, "size_m2"},
		{"a reduction near the int64 limit", release("ReduceArea", int64(9_000_000_000_000_000_000)), 422, "size_m2"},
		{"devices destroyed", cmdJSON("ClearArea", map[string]any{"area_id": areaID, "on": "2021-01-01", "size_m2": 10,
			"operator": "HALO", "ap_mines_destroyed": 10_000_001}), 422, "ap_mines_destroyed"},
		{"deminers", deploy("deminers", 100_001), 422, "deminers"},
		{"working days", deploy("working_days_per_year", 367), 422, "working_days_per_year"},
		{"productivity", deploy("productivity_m2_per_deminer_day", 1e6), 422, "productivity_m2_per_deminer_day"},
		{"an annual cost", deploy("annual_cost_usd", int64(1e12)), 422, "annual_cost_usd"},
		{"a planned end in 2500", deploy("to", "2500-01-01"), 422, "to"},
		{"a pledge", cmdJSON("PledgeFunding", map[string]any{"donor": "X", "year": 2024, "amount_usd": int64(1e12)}), 422, "amount_usd"},
		{"a shortfall", cmdJSON("RecordFundingShortfall", map[string]any{"year": 2024, "amount_usd": int64(9e18), "reason": "x"}), 422, "amount_usd"},
		{"a milestone", cmdJSON("SetArticle5Deadline", map[string]any{"country": "KH", "deadline": "2030-12-31", "reason": "x",
			"milestones": []map[string]any{{"year": 2025, "release_m2": int64(1e15)}}}), 422, "milestones[0].release_m2"},
		{"a correction", cmdJSON("CorrectAreaRecord", map[string]any{"area_id": areaID, "on": "2021-01-01", "reason": "unit",
			"size_m2": int64(9e18)}), 422, "size_m2"},
	} {
		code, body := c.do("POST", "/api/v1/commands", bad.body)
		if code != bad.status {
			t.Errorf("%s: status %d, want %d: %.300s", bad.name, code, bad.status, body)
			continue
		}
		if e := decodeAPIError(t, body); e.Error.Field != bad.field {
			t.Errorf("%s: field %q, want %q (%s)", bad.name, e.Error.Field, bad.field, e.Error.Message)
		}
	}
	if after := sequence(); after != before {
		t.Fatalf("refused quantities wrote events: sequence %d → %d", before, after)
	}

	// An event over the server's max_payload (1 MiB): 413 too_large,
	// naming the field and the limit; nothing stored.
	long := strings.Repeat("a villager's account, ", 60_000) // about 1.3 MB
	for _, big := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a long evidence text", cmdJSON("RecordEvidence", map[string]any{"area_id": areaID, "kind": "WITNESS",
			"observed_on": "2021-01-01", "description": long}), "description"},
		{"a registration whose evidence text is long", register(3_800_000, map[string]any{"evidence": []any{map[string]any{
			"kind": "WITNESS", "observed_on": "2021-01-01", "description": long}}}), "evidence[0].description"},
	} {
		code, body := c.do("POST", "/api/v1/commands", big.body)
		if code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413: %.300s", big.name, code, body)
			continue
		}
		e := decodeAPIError(t, body)
		if e.Error.Kind != "too_large" || e.Error.Field != big.field || !strings.Contains(e.Error.Message, fmt.Sprint(1<<20)) {
			t.Errorf("%s: kind %q field %q (%s), want too_large naming %s and the limit %d", big.name, e.Error.Kind,
				e.Error.Field, e.Error.Message, big.field, 1<<20)
		}
	}
	if after := sequence(); after != before {
		t.Fatalf("oversized events were stored: sequence %d → %d", before, after)
	}

	// In a batch, only the oversized line is refused; the others land.
	small := register(1000, nil)
	lines := []map[string]any{small, register(3_800_000, map[string]any{"evidence": []any{map[string]any{
		"kind": "WITNESS", "observed_on": "2021-01-01", "description": long}}}), register(2000, nil)}
	var ndjson strings.Builder
	for _, l := range lines {
		b, _ := json.Marshal(l)
		ndjson.Write(b)
		ndjson.WriteByte('\n')
	}
	code, body := c.do("POST", "/api/v1/commands", ndjson.String())
	mustStatus(t, "batch with one oversized line", code, body, http.StatusOK)
	var ans struct {
		Results []struct {
			Line   int    `json:"line"`
			Status string `json:"status"`
			Error  *struct {
				Kind  string `json:"kind"`
				Field string `json:"field"`
			} `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Results) != 3 {
		t.Fatalf("batch answer (%v): %.500s", err, body)
	}
	for i, r := range ans.Results {
		switch {
		case i == 1 && (r.Status != "refused" || r.Error == nil || r.Error.Kind != "too_large" || r.Error.Field != "evidence[0].description"):
			t.Errorf("line 2: %+v %+v, want refused as too_large naming evidence[0].description", r, r.Error)
		case i != 1 && r.Status != "ok":
			t.Errorf("line %d: %+v %+v, want ok", r.Line, r, r.Error)
		}
	}
	if after := sequence(); after != before+2 {
		t.Errorf("sequence %d → %d, want the two plausible lines stored", before, after)
	}
}
