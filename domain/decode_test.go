package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// oneOfEach is a valid value of every command of docs/contract.md, with optional
// fields set, so that a field lost on the wire shows up.
func oneOfEach() []domain.Command {
	polygon := json.RawMessage(`{"type":"Polygon","coordinates":[[[102.5,13.1],[102.6,13.1],[102.6,13.2],[102.5,13.1]]]}`)
	return []domain.Command{
		domain.RegisterSuspectedArea{AreaID: areaID, Province: "Battambang", District: "Kamrieng", Commune: "Ta Krei", Village: "O Da",
			Hazard: events.HazardAP, Classification: "CHA", SizeM2: 250_000, RegisteredOn: date("2020-01-01"), Source: "BLS",
			Geometry: polygon, LandUse: "AGRICULTURE", CasualtiesLast5y: 2, CommunityRequest: true, Evidence: []events.Evidence{accident}},
		domain.RecordEvidence{AreaID: areaID, Kind: "WITNESS", ObservedOn: date("2020-02-02"), Description: "villagers", Reference: "R-1"},
		domain.ConfirmHazardousArea{AreaID: areaID, On: date("2020-03-03"), SizeM2: 10_000},
		domain.CancelArea{AreaID: areaID, On: date("2020-03-04"), Method: events.CancelByDeskAnalysis, Reason: "duplicate", SizeM2: 5, Operator: "CMAC"},
		domain.ReduceArea{AreaID: areaID, On: date("2020-03-05"), SizeM2: 6, Operator: "MAG"},
		domain.ClearArea{AreaID: areaID, On: date("2020-03-06"), SizeM2: 7, Operator: "HALO", APMinesDestroyed: 1, ATMinesDestroyed: 2, ERWDestroyed: 3},
		domain.ReclassifyArea{AreaID: areaID, On: date("2020-03-07"), To: "CHA", Reason: "device", Evidence: []events.Evidence{accident}},
		domain.CorrectAreaRecord{AreaID: areaID, On: date("2020-03-08"), Reason: "ha as m²", SizeM2: ptr(int64(250_000)), Province: ptr("Pailin"),
			District: ptr("Sala Krau"), Commune: ptr("Stueng Kach"), Village: ptr("Phsar"), Geometry: polygon,
			Hazard: ptr(events.HazardMixed), LandUse: ptr(events.LandUse("FOREST"))},
		domain.ReopenArea{AreaID: areaID, On: date("2023-01-10"), To: "SHA", SizeM2: 8, Reason: "accident", Evidence: []events.Evidence{accident}},
		domain.RecordQAVisit{AreaID: areaID, On: date("2020-03-09"), Result: events.QAFail, Notes: "missed", Operator: "CMAA"},
		domain.DeployCapacity{DeploymentID: deploymentID, Operator: "HALO", Province: "Battambang", Method: "MECHANICAL", Deminers: 30,
			From: date("2020-01-01"), To: date("2021-01-01"), Women: 10, ProductivityM2PerDeminerDay: 70.5, WorkingDaysPerYear: 200, AnnualCostUSD: 300_000},
		domain.WithdrawCapacity{DeploymentID: deploymentID, On: date("2020-12-31"), Reason: "end of grant"},
		domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: date("2020-04-01"), Task: "TS"},
		domain.PledgeFunding{FundingID: fundingID, Donor: "Japan", Year: 2021, AmountUSD: 1_000_000, Operator: "CMAC", Province: "Pailin"},
		domain.RecordFundingShortfall{Year: 2020, AmountUSD: 100_000, Reason: "COVID", Operator: "MAG", Province: "Battambang"},
		domain.SetArticle5Deadline{Country: "KH", Deadline: date("2030-12-31"), Reason: "third extension",
			Milestones: []events.Milestone{{Year: 2026, ReleaseM2: 1_000}}},
		domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, area2ID}, ApprovedBy: "PMAC"},
		domain.EndorseWorkPlan{Province: "Battambang", Year: 2021, EndorsedBy: "CMAA"},
		domain.RestrictAccess{AreaID: areaID, On: date("2021-01-15"), Reason: "Thai border: awaits a bilateral mechanism", ExpectedUntil: date("2027-01-01")},
		domain.LiftAccessRestriction{AreaID: areaID, On: date("2023-01-11"), Reason: "joint survey agreed"},
	}
}

func TestEveryCommandSurvivesEncodeThenDecode(t *testing.T) {
	var names []string
	for _, cmd := range oneOfEach() {
		t.Run(cmd.CommandName(), func(t *testing.T) {
			env := domain.CommandEnvelope{
				ID:            uuid.MustParse("01900000-0000-7000-8000-0000000c1000"),
				Actor:         "mapu.battambang",
				CorrelationID: uuid.MustParse("01900000-0000-7000-8000-0000000cc000"),
				Command:       cmd,
			}
			line, err := domain.EncodeCommand(env)
			if err != nil {
				t.Fatalf("EncodeCommand: %v", err)
			}
			got, err := domain.DecodeCommand(line)
			if err != nil {
				t.Fatalf("DecodeCommand(%s): %v", line, err)
			}
			if !reflect.DeepEqual(got, env) {
				t.Errorf("round trip changed the command\n got %+v\nwant %+v\nwire %s", got, env, line)
			}
		})
		names = append(names, cmd.CommandName())
	}
	slices.Sort(names)
	if !slices.Equal(names, domain.CommandNames()) {
		t.Errorf("tested commands %v\n     known commands %v", names, domain.CommandNames())
	}
}

func TestCommandNamesAreTheContracts(t *testing.T) {
	want := []string{
		"AssignTask", "ApproveWorkPlan", "CancelArea", "ClearArea", "ConfirmHazardousArea", "CorrectAreaRecord",
		"DeployCapacity", "EndorseWorkPlan", "PledgeFunding", "ReclassifyArea", "RecordEvidence",
		"RecordFundingShortfall", "RecordQAVisit", "ReduceArea", "RegisterSuspectedArea", "ReopenArea",
		"SetArticle5Deadline", "WithdrawCapacity", "RestrictAccess", "LiftAccessRestriction",
	}
	slices.Sort(want)
	if got := domain.CommandNames(); !slices.Equal(got, want) {
		t.Errorf("CommandNames()\n got %v\nwant %v", got, want)
	}
}

func TestDecodeCommandWithoutIDsLeavesThemForTheEngine(t *testing.T) {
	env, err := domain.DecodeCommand([]byte(`{"command":"EndorseWorkPlan","data":{"province":"Pailin","year":2022}}`))
	if err != nil {
		t.Fatal(err)
	}
	if env.ID != uuid.Nil || env.CorrelationID != uuid.Nil || env.Actor != "" {
		t.Errorf("envelope %+v: want no ID, correlation or actor", env)
	}
	if want := (domain.EndorseWorkPlan{Province: "Pailin", Year: 2022}); env.Command != want {
		t.Errorf("command %#v, want %#v", env.Command, want)
	}
}

// A refused line is an ErrInvalid *domain.Error listing each bad field.
func TestDecodeCommandRefusesBadLines(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		fields []string // the problems' fields, in order
	}{
		{"malformed JSON", `{"command":"CancelArea","data":{`, []string{""}},
		{"not an object", `["CancelArea"]`, []string{""}},
		{"two values on one line", `{"command":"EndorseWorkPlan","data":{"province":"Pailin","year":2022}} {}`, []string{""}},
		{"no command", `{"data":{}}`, []string{"command"}},
		{"an unknown command", `{"command":"BulldozeArea","data":{}}`, []string{"command"}},
		{"a command name in the wrong case", `{"command":"cancelarea","data":{}}`, []string{"command"}},
		{"no data", `{"command":"CancelArea"}`, []string{"data"}},
		{"null data", `{"command":"CancelArea","data":null}`, []string{"data"}},
		{"data that is not an object", `{"command":"CancelArea","data":[1,2]}`, []string{"data"}},
		{"an unknown envelope field", `{"command":"EndorseWorkPlan","data":{"province":"Pailin","year":2022},"priority":1}`, []string{"priority"}},
		{"a command_id that is not a UUID", `{"command":"EndorseWorkPlan","command_id":"42","data":{"province":"Pailin","year":2022}}`, []string{"command_id"}},
		{"an unknown data field", `{"command":"EndorseWorkPlan","data":{"province":"Pailin","year":2022,"colour":"red"}}`, []string{"colour"}},
		{"a wrongly typed size", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"2021-01-01","size_m2":"big","operator":"MAG"}}`, []string{"size_m2"}},
		{"a size with a fraction", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"2021-01-01","size_m2":1.5,"operator":"MAG"}}`, []string{"size_m2"}},
		{"an area_id that is not a UUID", `{"command":"ReduceArea","data":{"area_id":"A-17","on":"2021-01-01","size_m2":1,"operator":"MAG"}}`, []string{"area_id"}},
		{"an impossible date", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"2021-02-30","size_m2":1,"operator":"MAG"}}`, []string{"on"}},
		{"a date in the wrong form", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"21-1-1","size_m2":1,"operator":"MAG"}}`, []string{"on"}},
		{"a size of zero", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"2021-01-01","size_m2":0,"operator":"MAG"}}`, []string{"size_m2"}},
		{"a negative size", `{"command":"ReduceArea","data":{"area_id":"` + areaID.String() + `","on":"2021-01-01","size_m2":-20,"operator":"MAG"}}`, []string{"size_m2"}},
		{"a registration with a negative size", `{"command":"RegisterSuspectedArea","data":{"province":"Pailin","hazard":"AP","size_m2":-1,"registered_on":"2020-01-01","source":"BLS"}}`, []string{"size_m2"}},
		{
			"several decoding problems, all reported, by field name",
			`{"command":"RegisterSuspectedArea","data":{"size_m2":"big","province":3,"colour":"red","registered_on":"2021-02-30","hazard":"AP"}}`,
			[]string{"colour", "province", "registered_on", "size_m2"},
		},
		{
			"several rule problems, all reported",
			`{"command":"RegisterSuspectedArea","data":{"size_m2":0,"hazard":"IED","land_use":"MINING"}}`,
			[]string{"province", "hazard", "size_m2", "registered_on", "source", "land_use"},
		},
		{
			"an empty data object names every required field",
			`{"command":"CancelArea","data":{}}`,
			[]string{"area_id", "on", "method", "reason"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := domain.DecodeCommand([]byte(tt.line))
			if err == nil {
				t.Fatalf("DecodeCommand(%s) accepted it", tt.line)
			}
			if !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("error kind %v (%v), want ErrInvalid", domain.KindOf(err), err)
			}
			if got := problemFields(err); !slices.Equal(got, tt.fields) {
				t.Errorf("problems on %q (%v); want %q", got, err, tt.fields)
			}
		})
	}
}

func TestDecodeProblemsInsideAListNameTheList(t *testing.T) {
	line := `{"command":"ReopenArea","data":{"area_id":"` + areaID.String() + `","on":"2023-01-10","to":"CHA","size_m2":5,"reason":"x","evidence":[{"kind":7,"observed_on":"2023-01-09"}]}}`
	_, err := domain.DecodeCommand([]byte(line))
	fields := problemFields(err)
	if !errors.Is(err, domain.ErrInvalid) || len(fields) != 1 || !strings.HasPrefix(fields[0], "evidence") {
		t.Errorf("problems on %q (%v); want one, on the evidence", fields, err)
	}
	line = `{"command":"ReopenArea","data":{"area_id":"` + areaID.String() + `","on":"2023-01-10","to":"CHA","size_m2":5,"reason":"x","evidence":[{"kind":"ACCIDENT"}]}}`
	_, err = domain.DecodeCommand([]byte(line))
	if got := problemFields(err); !slices.Equal(got, []string{"evidence[0].observed_on"}) {
		t.Errorf("problems on %q (%v); want evidence[0].observed_on", got, err)
	}
}

func TestARefusedCommandNamesItsOperation(t *testing.T) {
	_, err := domain.DecodeCommand([]byte(`{"command":"CancelArea","data":{}}`))
	var de *domain.Error
	if !errors.As(err, &de) || de.Op != "CancelArea" {
		t.Errorf("error %v: want Op CancelArea", err)
	}
}

// FuzzDecodeCommand: whatever the line, DecodeCommand either refuses it with
// an ErrInvalid *domain.Error naming at least one problem, or returns a
// command that validates and survives EncodeCommand -> DecodeCommand.
// Run with: go test ./domain -run '^$' -fuzz FuzzDecodeCommand
func FuzzDecodeCommand(f *testing.F) {
	for _, cmd := range oneOfEach() {
		line, err := domain.EncodeCommand(domain.CommandEnvelope{Command: cmd, Actor: "seed"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(line)
	}
	for _, s := range []string{
		`{"command":"ReduceArea","data":{"size_m2":"big","on":"2021-02-30","colour":1}}`,
		`{"command":"CancelArea","data":null}`,
		`{"command":"","data":{}}`,
		`{"command":"EndorseWorkPlan","data":{"province":"Pailin","year":2022}} {}`,
		`{"command":"CorrectAreaRecord","data":{"geometry":{"type":"Polygon","coordinates":[]}}}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		env, err := domain.DecodeCommand(line)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.ErrInvalid || len(de.Problems) == 0 {
				t.Fatalf("DecodeCommand(%q) = %v: want an ErrInvalid *domain.Error with problems", line, err)
			}
			return
		}
		var p domain.Problems
		env.Command.Validate(&p)
		if len(p) > 0 {
			t.Fatalf("DecodeCommand(%q) accepted a command that does not validate: %v", line, p.Err("fuzz"))
		}
		again, err := domain.EncodeCommand(env)
		if err != nil {
			t.Fatalf("EncodeCommand: %v", err)
		}
		env2, err := domain.DecodeCommand(again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		// Compared on the wire: an empty list and no list are the same there.
		if third, _ := domain.EncodeCommand(env2); !bytes.Equal(third, again) {
			t.Fatalf("re-decoding changed the command\n got %s\nwant %s", third, again)
		}
	})
}
