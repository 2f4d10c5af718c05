package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// leverRun loads a scenario from text and runs it on the demo history.
func leverRun(t *testing.T, r *Runner, text string) Result {
	t.Helper()
	sc, err := Load("lever.yaml", []byte(text), r.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func leverRunner(t *testing.T, redeploy string) *Runner {
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	fc := projections.DefaultForecastConfig()
	fc.Redeploy = redeploy
	return &Runner{Source: demoHistory(t, clock), Country: "KH", Now: clock, Forecast: fc}
}

// completionMonths is the deterministic completion as a month count (a
// large number for never).
func completionMonths(f projections.Forecast) int {
	if f.DeterministicCompletion == nil {
		return 1 << 30
	}
	return f.DeterministicCompletion.Year()*12 + int(f.DeterministicCompletion.Time().Month())
}

// Levers set to what the history already shows change nothing: the
// forecast is byte for byte the baseline's (only the lever is read).
func TestLeversAtTheLearnedValuesChangeNothing(t *testing.T) {
	r := leverRunner(t, "")
	base := leverRun(t, r, "name: base\n")
	rates := base.Forecast.Rates
	same := leverRun(t, r, fmt.Sprintf("name: base\nnts_cancel_share: %v\nsurvey_capacity: {teams: 1, m2_per_team_year: %v}\n",
		rates.CancelShare, rates.SurveyM2PerYear))
	if g, w := forecastJSON(t, same.Forecast), forecastJSON(t, base.Forecast); !bytes.Equal(g, w) {
		t.Errorf("levers at the learned values changed the forecast:\n got %.600s\nwant %.600s", g, w)
	}
	if base.QA != nil || same.QA != nil {
		t.Error("a QA check without qa_visits_per_year")
	}
}

// A higher cancellation share or more NTS teams never delays completion,
// and the extremes do move it.
func TestLeversMoveTheForecastTheExpectedWay(t *testing.T) {
	r := leverRunner(t, "")
	for _, lever := range []struct {
		name  string
		text  func(v float64) string
		steps []float64
	}{
		{"nts_cancel_share", func(v float64) string { return fmt.Sprintf("nts_cancel_share: %v\n", v) }, []float64{0, 0.3, 0.55, 0.8, 1}},
		{"survey_capacity.teams", func(v float64) string { return fmt.Sprintf("survey_capacity: {teams: %v}\n", v) }, []float64{2, 5, 10, 20, 40, 100}},
	} {
		prev, first := 0, 0
		for i, v := range lever.steps {
			res := leverRun(t, r, "name: x\n"+lever.text(v))
			m := completionMonths(res.Forecast)
			if i == 0 {
				first = m
			} else if m > prev {
				t.Errorf("%s %v: completion %v is later than at %v", lever.name, v, res.Forecast.DeterministicCompletion, lever.steps[i-1])
			}
			prev = m
		}
		if prev >= first {
			t.Errorf("%s: completion did not move from %v to %v", lever.name, lever.steps[0], lever.steps[len(lever.steps)-1])
		}
	}
}

// QA capacity is a check on the forecast, not an input: the forecast is
// the baseline's, and each year's m² per visit is its release ÷ visits.
func TestQACapacityIsACheckOnly(t *testing.T) {
	r := leverRunner(t, "")
	base := leverRun(t, r, "name: base\n")
	qa := leverRun(t, r, "name: base\nqa_visits_per_year: 500\n")
	if g, w := forecastJSON(t, qa.Forecast), forecastJSON(t, base.Forecast); !bytes.Equal(g, w) {
		t.Error("QA capacity changed the forecast")
	}
	if qa.QA == nil || len(qa.QA.Years) == 0 || qa.QA.VisitsPerYear != 500 || !strings.Contains(qa.QA.Note, "check only") {
		t.Fatalf("QA check = %+v", qa.QA)
	}
	for _, y := range qa.QA.Years {
		r := base.Forecast.Release[y.Year]
		if want := int64(r[0]+r[1]+r[2]+0.5) / 500; y.M2PerVisit != want {
			t.Errorf("%d: %d m² per visit, want %d", y.Year, y.M2PerVisit, want)
		}
	}
}

// Moving capacity from the province with the least Article 5 area (that
// has capacity and is not done) to the one with the most never delays
// national completion when capacity is not redeployed, changes the two
// provinces' capacity, and leaves the recorded history untouched.
func TestMoveCapacity(t *testing.T) {
	ctx := context.Background()
	r := leverRunner(t, projections.RedeployNone)
	before, _ := r.Source.(interface {
		LastSequence(context.Context) (uint64, error)
	}).LastSequence(ctx)
	base := leverRun(t, r, "name: base\n")
	var small, large projections.ProvinceForecast
	for _, p := range base.Forecast.Provinces {
		if p.Done || p.CapacityM2PerYear == 0 {
			continue
		}
		if small.Province == "" || p.RemainingM2 < small.RemainingM2 {
			small = p
		}
		if large.Province == "" || p.RemainingM2 > large.RemainingM2 {
			large = p
		}
	}
	if small.Province == large.Province {
		t.Fatal("the demo has fewer than two provinces with capacity")
	}
	on := base.Forecast.AsOf.AddDays(1)
	res := leverRun(t, r, fmt.Sprintf("name: move\nmove:\n  - {from: %s, to: %s, deminers: 10, on: %s}\n", small.Province, large.Province, on))
	if m, b := completionMonths(res.Forecast), completionMonths(base.Forecast); m > b {
		t.Errorf("moving 10 deminers from %s to %s delayed completion from %v to %v", small.Province, large.Province,
			base.Forecast.DeterministicCompletion, res.Forecast.DeterministicCompletion)
	}
	if res.Commands == 0 {
		t.Error("no hypothetical commands")
	}
	capOf := func(f projections.Forecast, name string) int64 {
		for _, p := range f.Provinces {
			if p.Province == name {
				return p.CapacityM2PerYear
			}
		}
		return 0
	}
	if capOf(res.Forecast, small.Province) >= small.CapacityM2PerYear || capOf(res.Forecast, large.Province) <= large.CapacityM2PerYear {
		t.Errorf("capacity %s %d → %d, %s %d → %d", small.Province, small.CapacityM2PerYear, capOf(res.Forecast, small.Province),
			large.Province, large.CapacityM2PerYear, capOf(res.Forecast, large.Province))
	}
	if after, _ := r.Source.(interface {
		LastSequence(context.Context) (uint64, error)
	}).LastSequence(ctx); after != before {
		t.Errorf("the recorded history went from %d to %d events", before, after)
	}
	// More deminers than the province has: refused, naming the move.
	sc, err := Load("lever.yaml", []byte(fmt.Sprintf("name: m\nmove:\n  - {from: %s, to: %s, deminers: 99999, on: %s}\n", small.Province, large.Province, on)), r.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Run(ctx, sc)
	var de *domain.Error
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "move[0].deminers") {
		t.Errorf("moving more deminers than deployed: %v", err)
	}
}

// Bad lever values are refused, naming the key.
func TestBadLevers(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ yaml, want string }{
		{"nts_cancel_share: 1.2", "nts_cancel_share"},
		{"nts_cancel_share: -0.1", "nts_cancel_share"},
		{"survey_capacity: {teams: 0}", "survey_capacity.teams"},
		{"survey_capacity: {teams: 5, m2_per_team_year: -3}", "survey_capacity.m2_per_team_year"},
		{"survey_capacity: {teams: 5, speed: 3}", "speed"},
		{"qa_visits_per_year: 0", "qa_visits_per_year"},
		{"move: [{from: Atlantis, to: Pailin, deminers: 5, on: 2023-01-01}]", "move[0].from"},
		{"move: [{from: Pailin, to: Pailin, deminers: 5, on: 2023-01-01}]", "move[0].to"},
		{"move: [{from: Battambang, to: Pailin, deminers: 0, on: 2023-01-01}]", "move[0].deminers"},
		{"move: [{from: Battambang, to: Pailin, deminers: 5, on: 2023-02-30}]", "move[0].on"},
		{"move: [{from: Battambang, to: Pailin, deminers: 5}]", "move[0].on"},
		{"move: [{from: Battambang, to: Pailin, deminers: 5, on: 2023-01-01, when: x}]", "when"},
	} {
		_, err := Load("bad.yaml", []byte("name: x\n"+c.yaml+"\n"), now)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want it to name %s", c.yaml, err, c.want)
		}
	}
	sc, err := Load("ok.yaml", []byte("name: x\nsurvey_capacity: {teams: 20}\nmove: [{from: Battambang, to: Kampong Speu, deminers: 200, on: 2023-01-01}]\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if ex, err := LoadFile("../examples/scenario-levers.yaml", now); err != nil || ex.CancelShare == nil || ex.SurveyTeams == 0 || ex.QAVisitsPerYear == 0 || len(ex.Moves) == 0 {
		t.Errorf("examples/scenario-levers.yaml: %+v, %v", ex, err)
	}
	if sc.SurveyM2PerTeamYear != DefaultM2PerNTSTeamYear || len(sc.Moves) != 1 || sc.Moves[0].On != events.MustDate("2023-01-01") {
		t.Errorf("loaded %+v", sc)
	}
}

// The shipped RCAF scenarios put deminers where the record says RCAF
// worked: Kampong Speu and the K5 belt, 1,000 from 2022 and 2,000 from
// 2023.
func TestRCAFScenariosFollowTheRecord(t *testing.T) {
	scs, err := Shipped(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, sc := range scs {
		if !strings.HasPrefix(sc.Name, "rcaf-2000") {
			continue
		}
		seen++
		by := map[string]int{}
		var y2022, y2023 int
		for _, env := range sc.Commands {
			d, ok := env.Command.(domain.DeployCapacity)
			if !ok || d.Operator != "RCAF" {
				continue
			}
			by[d.Province] += d.Deminers
			if d.From.Year() == 2022 {
				y2022 += d.Deminers
			}
			y2023 += d.Deminers
		}
		for _, p := range []string{"Kampong Speu", "Banteay Meanchey", "Battambang", "Oddar Meanchey", "Preah Vihear"} {
			if by[p] == 0 {
				t.Errorf("%s: no RCAF deminers in %s", sc.Name, p)
			}
		}
		if y2022 != 1000 || y2023 != 2000 || !strings.Contains(sc.Description, "Kampong Speu") {
			t.Errorf("%s: %d deminers in 2022, %d from 2023; description %q", sc.Name, y2022, y2023, sc.Description)
		}
	}
	if seen != 2 {
		t.Errorf("%d RCAF scenarios shipped, want 2", seen)
	}
}
