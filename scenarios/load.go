package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// scenarioFile is the YAML form of a scenario (see scenarios/*.yaml).
type scenarioFile struct {
	Name         string        `yaml:"name"`
	Description  string        `yaml:"description"`
	Base         string        `yaml:"base"` // "now" (default) or a date YYYY-MM-DD
	SurveyFactor float64       `yaml:"survey_factor"`
	Trials       int           `yaml:"trials"`
	Redeploy     string        `yaml:"redeploy"`              // none, nearest, largest or pool; "" keeps the runner's
	Funding      string        `yaml:"funding_after_pledges"` // renewed or ends; "" keeps the runner's
	FundingCut   *fundingCut   `yaml:"funding_cut"`
	Commands     []yamlCommand `yaml:"commands"`
	// Levers (docs/forecast.md, "Scenario levers").
	CancelShare    *float64        `yaml:"nts_cancel_share"`   // replaces the learned NTS cancellation share, 0..1
	SurveyCapacity *surveyCapacity `yaml:"survey_capacity"`    // NTS teams × m² per team-year, replaces the learned survey rate
	QAVisits       *int            `yaml:"qa_visits_per_year"` // a constraint check only: QA does not change the forecast
	Move           []moveCapacity  `yaml:"move"`               // clearance capacity moved between provinces
	AccessOpens    accessOpensList `yaml:"access_opens"`       // the date access opens to restricted land of a province
}

// accessOpens is one access_opens entry.
type accessOpens struct {
	Province string `yaml:"province"`
	On       string `yaml:"on"`
}

// accessOpensList reads access_opens as one mapping or a list of them.
type accessOpensList []accessOpens

func (l *accessOpensList) UnmarshalYAML(b []byte) error {
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "[") {
		var many []accessOpens
		if err := yaml.UnmarshalWithOptions(b, &many, yaml.Strict()); err != nil {
			return err
		}
		*l = many
		return nil
	}
	var one accessOpens
	if err := yaml.UnmarshalWithOptions(b, &one, yaml.Strict()); err != nil {
		return err
	}
	*l = accessOpensList{one}
	return nil
}

type surveyCapacity struct {
	Teams         int     `yaml:"teams"`
	M2PerTeamYear float64 `yaml:"m2_per_team_year"`
}

// DefaultM2PerNTSTeamYear is the survey output of one NTS team in a year
// when a scenario states none: 4 km², DOMAIN.md 5.2 (20 NTS teams × 4 km²
// per team-year = 80 km² a year), a figure the domain notes tag invented [I].
const DefaultM2PerNTSTeamYear = 4_000_000

type moveCapacity struct {
	From     string `yaml:"from"`
	To       string `yaml:"to"`
	Deminers int    `yaml:"deminers"`
	On       string `yaml:"on"`
}

type fundingCut struct {
	Share    float64 `yaml:"share"`
	FromYear int     `yaml:"from_year"`
	ToYear   int     `yaml:"to_year"`
}

// yamlCommand keeps a command's line and its JSON form.
type yamlCommand struct {
	line int
	json []byte
}

func (c *yamlCommand) UnmarshalYAML(n ast.Node) error {
	c.line = n.GetToken().Position.Line
	var v any
	if err := yaml.NodeToValue(n, &v); err != nil {
		return err
	}
	b, err := json.Marshal(datesAsText(v))
	if err != nil {
		return err
	}
	c.json = b
	return nil
}

// datesAsText turns YAML timestamps back into the YYYY-MM-DD text the
// command vocabulary uses.
func datesAsText(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = datesAsText(e)
		}
	case []any:
		for i, e := range x {
			x[i] = datesAsText(e)
		}
	case time.Time:
		return x.Format(events.DateLayout)
	}
	return v
}

// LoadFile reads a scenario file.
func LoadFile(path string, now time.Time) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return Load(path, data, now)
}

// Load parses a scenario. Every problem names the file, the line and the
// field; a command is checked like any command (and again, against the
// forked history, when the scenario runs).
func Load(name string, data []byte, now time.Time) (Scenario, error) {
	var f scenarioFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		return Scenario{}, fmt.Errorf("%s: %s", name, strings.TrimSpace(yaml.FormatError(err, false, false)))
	}
	sc := Scenario{Name: f.Name, Description: f.Description, File: name, SurveyFactor: f.SurveyFactor, Trials: f.Trials}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	if sc.Name == "" {
		bad("name: required")
	}
	switch f.Base {
	case "", "now":
	default:
		d, err := events.ParseDate(f.Base)
		switch {
		case err != nil:
			bad("base: %v (want now or YYYY-MM-DD)", err)
		case d.Year() < 1990 || d.After(events.DateOf(now)):
			bad("base: %s is out of range (1990-01-01 … today)", d)
		default:
			sc.AsOf = d
		}
	}
	if f.SurveyFactor < 0 || f.SurveyFactor > 10 {
		bad("survey_factor: must be between 0 and 10, got %g", f.SurveyFactor)
	}
	if f.Trials < 0 || f.Trials > 1_000_000 {
		bad("trials: must be between 0 and 1,000,000, got %d", f.Trials)
	}
	if f.Redeploy != "" && !slices.Contains(projections.RedeployPolicies, f.Redeploy) {
		bad("redeploy: %q is not one of %v", f.Redeploy, projections.RedeployPolicies)
	}
	sc.Redeploy = f.Redeploy
	if f.Funding != "" && !slices.Contains(projections.FundingPolicies, f.Funding) {
		bad("funding_after_pledges: %q is not one of %v", f.Funding, projections.FundingPolicies)
	}
	sc.Funding = f.Funding
	if c := f.FundingCut; c != nil {
		if c.Share <= 0 || c.Share > 1 {
			bad("funding_cut.share: must be in (0, 1], got %g", c.Share)
		}
		if c.FromYear < 1990 || c.ToYear > 2100 || c.ToYear < c.FromYear {
			bad("funding_cut: years %d…%d are out of range", c.FromYear, c.ToYear)
		}
		sc.FundingCut = &FundingCut{Share: c.Share, FromYear: c.FromYear, ToYear: c.ToYear}
	}
	if c := f.CancelShare; c != nil {
		if *c < 0 || *c > 1 || *c != *c {
			bad("nts_cancel_share: must be between 0 and 1, got %g", *c)
		}
		v := *c
		sc.CancelShare = &v
	}
	if s := f.SurveyCapacity; s != nil {
		if s.Teams < 1 || s.Teams > 10_000 {
			bad("survey_capacity.teams: must be between 1 and 10,000, got %d", s.Teams)
		}
		per := s.M2PerTeamYear
		if per == 0 {
			per = DefaultM2PerNTSTeamYear
		}
		if per < 0 || per > 100_000_000 || per != per {
			bad("survey_capacity.m2_per_team_year: must be in (0, 100,000,000] m², got %g", s.M2PerTeamYear)
		}
		sc.SurveyTeams, sc.SurveyM2PerTeamYear = s.Teams, per
	}
	if q := f.QAVisits; q != nil {
		if *q < 1 || *q > 1_000_000 {
			bad("qa_visits_per_year: must be between 1 and 1,000,000, got %d", *q)
		}
		sc.QAVisitsPerYear = *q
	}
	provinces := domain.Provinces("KH")
	for i, m := range f.Move {
		key := fmt.Sprintf("move[%d]", i)
		mv := Move{From: m.From, To: m.To, Deminers: m.Deminers}
		switch {
		case m.From == "":
			bad("%s.from: required", key)
		case !events.Contains(provinces, m.From):
			bad("%s.from: unknown province %q", key, m.From)
		}
		switch {
		case m.To == "":
			bad("%s.to: required", key)
		case !events.Contains(provinces, m.To):
			bad("%s.to: unknown province %q", key, m.To)
		case m.To == m.From:
			bad("%s.to: the same province as from (%s)", key, m.From)
		}
		if m.Deminers < 1 || m.Deminers > domain.MaxDeminers {
			bad("%s.deminers: must be between 1 and %d, got %d", key, domain.MaxDeminers, m.Deminers)
		}
		d, err := events.ParseDate(m.On)
		switch {
		case m.On == "":
			bad("%s.on: required (YYYY-MM-DD)", key)
		case err != nil:
			bad("%s.on: %v (want YYYY-MM-DD)", key, err)
		case d.Year() < 1990 || d.Year() > 2100:
			bad("%s.on: %s is out of range (1990 … 2100)", key, d)
		default:
			mv.On = d
		}
		sc.Moves = append(sc.Moves, mv)
	}
	for i, a := range f.AccessOpens {
		key := "access_opens"
		if len(f.AccessOpens) > 1 {
			key = fmt.Sprintf("access_opens[%d]", i)
		}
		ao := AccessOpens{Province: a.Province}
		switch {
		case a.Province == "":
			bad("%s.province: required", key)
		case !events.Contains(provinces, a.Province):
			bad("%s.province: unknown province %q", key, a.Province)
		}
		d, err := events.ParseDate(a.On)
		switch {
		case a.On == "":
			bad("%s.on: required (YYYY-MM-DD)", key)
		case err != nil:
			bad("%s.on: %v (want YYYY-MM-DD)", key, err)
		case d.Before(domain.MinDate) || d.After(domain.MaxDate):
			bad("%s.on: %s is out of range (%s … %s)", key, d, domain.MinDate, domain.MaxDate)
		default:
			ao.On = d
		}
		sc.AccessOpens = append(sc.AccessOpens, ao)
	}
	for i, c := range f.Commands {
		env, err := domain.DecodeCommand(c.json)
		if err != nil {
			var de *domain.Error
			if errors.As(err, &de) {
				for _, p := range de.Problems {
					errs = append(errs, fmt.Errorf("%s:%d: commands[%d]: field %s: %s", name, c.line, i, orDash(p.Field), p.Reason))
				}
				continue
			}
			errs = append(errs, fmt.Errorf("%s:%d: commands[%d]: %v", name, c.line, i, err))
			continue
		}
		if env.Actor == "" {
			env.Actor = "scenario"
		}
		// Scenario commands have no command_id: derive one so a run is
		// reproducible.
		if env.ID == [16]byte{} {
			env.ID = events.DerivedID(events.NameID("scenario", name, sc.Name), "command", i, time.Unix(0, 0))
		}
		sc.Commands = append(sc.Commands, env)
		sc.lines = append(sc.lines, c.line)
	}
	if err := checkProvinces(name, f.Commands, sc); err != nil {
		errs = append(errs, err...)
	}
	return sc, errors.Join(errs...)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkProvinces refuses unknown provinces at load time, with the line.
func checkProvinces(name string, cmds []yamlCommand, sc Scenario) []error {
	var errs []error
	for i, env := range sc.Commands {
		var prov string
		switch c := env.Command.(type) {
		case domain.DeployCapacity:
			prov = c.Province
		case domain.RegisterSuspectedArea:
			prov = c.Province
		case domain.RecordFundingShortfall:
			prov = c.Province
		case domain.PledgeFunding:
			prov = c.Province
		}
		if prov == "" {
			continue
		}
		if list := domain.Provinces("KH"); !events.Contains(list, prov) {
			errs = append(errs, fmt.Errorf("%s:%d: commands[%d]: field province: unknown province %q", name, sc.lines[i], i, prov))
		}
	}
	return errs
}
