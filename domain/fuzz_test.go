package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// fuzzWorld is a small recorded history the fuzzed commands are decided
// against, so that the fuzzer reaches the domain rules (releasing more than
// remains, acting on a released area, a withdrawn deployment...) and not only
// "not found". Seeds name its aggregates (areaID, area2ID, pailinAreaID,
// deploymentID).
type fuzzWorld map[events.Ref][]events.Event

func newFuzzWorld(tb testing.TB) fuzzWorld {
	w := fuzzWorld{}
	history := []domain.Command{
		domain.RegisterSuspectedArea{AreaID: areaID, Province: "Battambang", Hazard: events.HazardAP, SizeM2: 250_000,
			RegisteredOn: registeredOn, Source: "BLS"},
		domain.RegisterSuspectedArea{AreaID: area2ID, Province: "Battambang", Hazard: events.HazardMixed, Classification: "CHA",
			SizeM2: 40_000, RegisteredOn: registeredOn, Source: "NTS", Evidence: []events.Evidence{accident}},
		domain.RegisterSuspectedArea{AreaID: pailinAreaID, Province: "Pailin", Hazard: events.HazardERW, SizeM2: 9_000,
			RegisteredOn: registeredOn, Source: "COMMUNITY"},
		domain.ClearArea{AreaID: pailinAreaID, On: date("2021-05-01"), SizeM2: 9_000, Operator: "HALO"}, // released
		domain.DeployCapacity{DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MANUAL",
			Deminers: 40, From: date("2020-01-01")},
		domain.PledgeFunding{Donor: "Japan", Year: 2024, AmountUSD: 1_000_000},
		domain.SetArticle5Deadline{Country: "KH", Deadline: date("2030-12-31"), Reason: "extension"},
		domain.ApproveWorkPlan{Province: "Battambang", Year: 2024, AreaIDs: []uuid.UUID{area2ID}},
	}
	for i, cmd := range history {
		c := ctx
		c.CommandID = events.DerivedID(commandID, "fuzz-world", i, now)
		evs, err := w.decide(c, cmd)
		if err != nil {
			tb.Fatalf("building the fuzz world, %s: %v", cmd.CommandName(), err)
		}
		ref := cmd.Target(c)
		w[ref] = append(w[ref], evs...)
	}
	return w
}

// decide validates and decides cmd against the world, as the handler does.
func (w fuzzWorld) decide(c domain.Context, cmd domain.Command) ([]events.Event, error) {
	var p domain.Problems
	cmd.Validate(&p)
	if err := p.Err(cmd.CommandName()); err != nil {
		return nil, err
	}
	ref := cmd.Target(c)
	var reads domain.Reads
	if refs := cmd.Reads(c); refs != nil {
		reads = make(domain.Reads, len(refs))
		for _, r := range refs {
			reads[r] = domain.Fold(r.Kind, w[r])
		}
	}
	return cmd.Decide(c, domain.Fold(ref.Kind, w[ref]), reads)
}

// checkRefusal fails unless err is a *domain.Error of a caller's kind
// (never ErrInternal) with at least one problem, every one naming a field.
func checkRefusal(t *testing.T, what string, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("%s: refused with %T %v: want a *domain.Error", what, err, err)
	}
	if de.Kind == domain.ErrInternal {
		t.Fatalf("%s: refused as an internal error: %v", what, err)
	}
	if len(de.Problems) == 0 {
		t.Fatalf("%s: refusal %v names no problem", what, err)
	}
	for _, p := range de.Problems {
		if p.Field == "" {
			t.Fatalf("%s: refusal %v has a problem that names no field", what, err)
		}
	}
}

// FuzzCommandData fuzzes the data object of each command: decoding and
// validation never panic, every refusal is an ErrInvalid *domain.Error whose
// problems each name a field, an accepted command survives encode and decode
// unchanged, and deciding it against a small recorded history either refuses
// with a *domain.Error naming a field or yields events that encode, decode
// through the registry and evolve the state without panicking.
func FuzzCommandData(f *testing.F) {
	for _, cmd := range oneOfEach() {
		data, err := json.Marshal(cmd)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cmd.CommandName(), data)
	}
	// Commands on the world's aggregates, so the domain rules are reached.
	for _, s := range [][2]string{
		{"ClearArea", `{"area_id":"` + areaID.String() + `","on":"2024-05-01","size_m2":250000,"operator":"HALO"}`},
		{"ReduceArea", `{"area_id":"` + areaID.String() + `","on":"2024-05-01","size_m2":250001,"operator":"MAG"}`},
		{"CancelArea", `{"area_id":"` + pailinAreaID.String() + `","on":"2024-05-01","method":"NTS","reason":"x"}`},
		{"ReopenArea", `{"area_id":"` + pailinAreaID.String() + `","on":"2024-05-01","to":"CHA","size_m2":100,"reason":"accident","evidence":[{"kind":"ACCIDENT","observed_on":"2024-04-30"}]}`},
		{"ConfirmHazardousArea", `{"area_id":"` + area2ID.String() + `","on":"2024-05-01"}`},
		{"ReclassifyArea", `{"area_id":"` + area2ID.String() + `","on":"2024-05-01","to":"SHA","reason":"no device"}`},
		{"AssignTask", `{"area_id":"` + areaID.String() + `","deployment_id":"` + deploymentID.String() + `","on":"2024-05-01","task":"CLEARANCE"}`},
		{"WithdrawCapacity", `{"deployment_id":"` + deploymentID.String() + `","on":"2019-01-01"}`},
		{"EndorseWorkPlan", `{"province":"Battambang","year":2024}`},
		{"ApproveWorkPlan", `{"province":"Battambang","year":2024,"area_ids":["` + pailinAreaID.String() + `"]}`},
		{"RecordFundingShortfall", `{"year":2024,"amount_usd":2000000,"reason":"cut"}`},
		{"CorrectAreaRecord", `{"area_id":"` + areaID.String() + `","on":"2024-05-01","reason":"typo","size_m2":-1}`},
		{"SetArticle5Deadline", `{"country":"kh","deadline":"2030-12-31","reason":"x","milestones":[{"year":1980,"release_m2":-5}]}`},
		{"RegisterSuspectedArea", `{"province":"Atlantis","hazard":"AP","size_m2":1e30,"registered_on":"2020-02-30","source":"BLS"}`},
		{"RecordEvidence", `{"area_id":"` + areaID.String() + `","kind":"WITNESS","observed_on":"2099-01-01"}`},
		{"RecordQAVisit", `{"area_id":"` + areaID.String() + `","on":"2024-05-01","result":"MAYBE"}`},
		{"PledgeFunding", `[1,2,3]`},
		{"DeployCapacity", `{"deminers":"many","from":null,"productivity_m2_per_deminer_day":-0.0}`},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	world := newFuzzWorld(f)
	reg := events.NewRegistry()
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if !json.Valid(data) {
			// A malformed line is FuzzDecodeCommand's business; here the
			// wire envelope is well formed so that every refusal is about
			// the command's fields.
			return
		}
		line := fmt.Appendf(nil, `{"command":%s,"data":%s}`, strconv.Quote(name), data)
		if !json.Valid(line) { // a name strconv.Quote escapes differently than JSON
			return
		}
		env, err := domain.DecodeCommand(line)
		if err != nil {
			checkRefusal(t, fmt.Sprintf("DecodeCommand(%s)", line), err)
			if k := domain.KindOf(err); k != domain.ErrInvalid {
				t.Fatalf("DecodeCommand(%s): kind %v, want invalid", line, k)
			}
			return
		}
		wire, err := domain.EncodeCommand(env)
		if err != nil {
			t.Fatalf("EncodeCommand of an accepted %s: %v", name, err)
		}
		back, err := domain.DecodeCommand(wire)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", wire, err)
		}
		if again, _ := domain.EncodeCommand(back); string(again) != string(wire) {
			t.Fatalf("encode, decode, encode changed the command\n got %s\nwant %s", again, wire)
		}

		c := ctx
		evs, err := world.decide(c, env.Command)
		if err != nil {
			checkRefusal(t, fmt.Sprintf("Decide(%s)", line), err)
			return
		}
		ref := env.Command.Target(c)
		s := domain.Fold(ref.Kind, world[ref])
		for _, e := range evs {
			b, err := events.Encode(e)
			if err != nil {
				t.Fatalf("%s decided a %s that does not encode: %v", name, e.EventType(), err)
			}
			if _, err := reg.Decode(e.EventType(), e.SchemaVersion(), b); err != nil {
				t.Fatalf("%s decided a %s that does not decode: %v\n%s", name, e.EventType(), err, b)
			}
			s = s.Evolve(e)
		}
		if len(evs) > 0 && !s.Exists() {
			t.Fatalf("%s decided %d events but the aggregate does not exist after them", name, len(evs))
		}
	})
}
