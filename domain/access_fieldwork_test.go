package domain_test

import (
	"strings"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Work on the ground of an access-restricted area is refused, naming
// area_id, from the day the restriction began until it is lifted; desk
// work and results dated before the restriction are accepted.
func TestFieldWorkOnRestrictedArea(t *testing.T) {
	since := date("2021-03-01")
	border := "Thai border: awaits a bilateral mechanism"
	restrictedSHA := []events.Event{registered(100_000), restricted("2021-03-01", "2027-01-01")}
	restrictedCHA := []events.Event{registeredCHA(100_000), restricted("2021-03-01", "2027-01-01")}
	overdue := []events.Event{registeredCHA(100_000), restricted("2021-03-01", "2022-01-01")} // expected date passed, not lifted
	lifted := append(append([]events.Event{}, restrictedCHA...), events.AccessRestrictionLifted{AreaID: areaID, On: date("2023-01-10")})
	active := map[events.Ref][]events.Event{deploymentRef(): {deployed("Battambang")}}
	device := []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: date("2022-05-01"), Description: "PMN-2 reported by villagers"}}

	for _, tc := range []struct {
		name    string
		given   []events.Event
		reads   map[events.Ref][]events.Event
		when    domain.Command
		refused bool
	}{
		// Refused: someone would have to enter the land.
		{"cancellation by NTS", restrictedSHA, nil, domain.CancelArea{AreaID: areaID, On: today, Method: events.CancelByNTS, Reason: "no evidence found"}, true},
		{"confirmation by survey", restrictedSHA, nil, domain.ConfirmHazardousArea{AreaID: areaID, On: today, SizeM2: 50_000}, true},
		{"reduction by TS", restrictedCHA, nil, domain.ReduceArea{AreaID: areaID, On: today, SizeM2: 10_000, Operator: "HALO"}, true},
		{"clearance", restrictedCHA, nil, domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10_000, Operator: "HALO"}, true},
		{"a QA visit", restrictedCHA, nil, domain.RecordQAVisit{AreaID: areaID, On: today, Result: events.QAPass}, true},
		{"a task order", restrictedCHA, active, domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: today, Task: "CLEARANCE"}, true},
		{"clearance on the day the restriction began", restrictedCHA, nil, domain.ClearArea{AreaID: areaID, On: since, SizeM2: 10_000, Operator: "HALO"}, true},
		{"clearance after the expected opening date, not lifted", overdue, nil, domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10_000, Operator: "HALO"}, true},

		// Accepted: desk work, late reports of earlier work, work after the lifting.
		{"clearance dated the day before the restriction", restrictedCHA, nil, domain.ClearArea{AreaID: areaID, On: date("2021-02-28"), SizeM2: 10_000, Operator: "HALO"}, false},
		{"cancellation by NTS dated before the restriction", restrictedSHA, nil, domain.CancelArea{AreaID: areaID, On: date("2020-11-01"), Method: events.CancelByNTS, Reason: "no evidence", SizeM2: 10_000}, false},
		{"cancellation by desk analysis", restrictedSHA, nil, domain.CancelArea{AreaID: areaID, On: today, Method: events.CancelByDeskAnalysis, Reason: "duplicate of a cleared polygon", SizeM2: 10_000}, false},
		{"reclassification on evidence", restrictedSHA, nil, domain.ReclassifyArea{AreaID: areaID, On: today, To: "CHA", Reason: "device reported", Evidence: device}, false},
		{"evidence", restrictedSHA, nil, domain.RecordEvidence{AreaID: areaID, Kind: "ACCIDENT", ObservedOn: today}, false},
		{"a record correction", restrictedSHA, nil, domain.CorrectAreaRecord{AreaID: areaID, On: today, Reason: "size in hectares", SizeM2: ptr(int64(90_000))}, false},
		{"clearance after the lifting", lifted, nil, domain.ClearArea{AreaID: areaID, On: today, SizeM2: 10_000, Operator: "HALO"}, false},
		{"a task order after the lifting", lifted, active, domain.AssignTask{AreaID: areaID, DeploymentID: deploymentID, On: today, Task: "CLEARANCE"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got, err := decide(tc.given, tc.reads, tc.when)
			if !tc.refused {
				if err != nil || len(got) == 0 {
					t.Fatalf("%s refused: %v", tc.when.CommandName(), err)
				}
				return
			}
			wantRefusal(t, err, domain.ErrInvalid, "area_id")
			if len(got) > 0 {
				t.Errorf("a refused command decided events: %s", show(got))
			}
			// The message is what the user acts on: when, why, and what to do.
			for _, want := range []string{"access-restricted since 2021-03-01", border, "LiftAccessRestriction"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}
