// Package cambodia builds the shipped Cambodia demo history: a compact YAML
// specification (demo.yaml, embedded) of provinces, operators, funding, the
// Article 5 obligation and land-release behaviour, and a deterministic
// generator that turns it into the commands of four years of a national mine
// action programme (2018–2021). Every command the generator returns was
// validated and decided by the domain's own rules against the state the
// commands before it lead to, so the history applies in order without a
// refusal. It imports events, domain, uuid and a YAML decoder; never an
// adapter.
package cambodia

import (
	_ "embed"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/landrelease/landrelease/events"
)

//go:embed demo.yaml
var demoYAML []byte

// Spec is the demo specification. Its YAML names are the field tags; see
// demo.yaml for the meaning and the source of every value.
type Spec struct {
	Seed        uint64             `yaml:"seed"`
	Country     string             `yaml:"country"`
	History     History            `yaml:"history"`
	Article5    []Deadline         `yaml:"article5"`
	Behaviour   Behaviour          `yaml:"behaviour"`
	LandUse     map[string]float64 `yaml:"land_use"`
	Resurvey    Resurvey           `yaml:"resurvey"`
	Corrections Corrections        `yaml:"corrections"`
	AuditCases  AuditCases         `yaml:"audit_cases"`
	Provinces   []Province         `yaml:"provinces"`
	Operators   []Operator         `yaml:"operators"`
	Changes     []Change           `yaml:"changes"`
	Funding     Funding            `yaml:"funding"`
}

// History is the window the generated history covers. StockOn is the first
// day of a year inside it: the day the province table describes.
type History struct {
	From    Date `yaml:"from"`
	To      Date `yaml:"to"`
	StockOn Date `yaml:"stock_on"`
}

// Deadline is an Article 5 deadline, recorded in the year SetIn.
type Deadline struct {
	SetIn      int         `yaml:"set_in"`
	Deadline   Date        `yaml:"deadline"`
	Reason     string      `yaml:"reason"`
	Milestones []Milestone `yaml:"milestones"`
}

// Milestone is a yearly release target of an Article 5 plan.
type Milestone struct {
	Year      int   `yaml:"year"`
	ReleaseM2 int64 `yaml:"release_m2"`
}

// Behaviour holds the land-release rates and the shape of the register.
type Behaviour struct {
	Years                  []ProgrammeYear `yaml:"years"`
	NTSCancelShare         float64         `yaml:"nts_cancel_share"`
	DeskShare              float64         `yaml:"desk_share"`
	WorkingDays            int             `yaml:"working_days"`
	SizeSigma              float64         `yaml:"size_sigma"`
	MinAreaM2              int64           `yaml:"min_area_m2"`
	MaxWorkedHa            float64         `yaml:"max_worked_ha"`
	EvidenceShare          float64         `yaml:"evidence_share"`
	GeometryShare          float64         `yaml:"geometry_share"`
	GeometryJitterDeg      float64         `yaml:"geometry_jitter_deg"`
	CommunityRequestShare  float64         `yaml:"community_request_share"`
	DiscoveredAreasPerYear int             `yaml:"discovered_areas_per_year"`
	DiscoveryKm2PerYear    float64         `yaml:"discovery_km2_per_year"`
	ReopenShare            float64         `yaml:"reopen_share"`
	QAShare                float64         `yaml:"qa_share"`
	ReclassifyUpPerYear    int             `yaml:"reclassify_up_per_year"`
	ReclassifyDownPerYear  int             `yaml:"reclassify_down_per_year"`
	APMinesPerHa           float64         `yaml:"ap_mines_per_ha"`
	ATMinesPerHa           float64         `yaml:"at_mines_per_ha"`
	ERWPerHa               float64         `yaml:"erw_per_ha"`
	WorkPlansFrom          int             `yaml:"workplans_from"`
}

// ProgrammeYear is what limited the programme in one year of the history:
// the SHA area its non-technical survey processed, how much of the stated
// clearance capacity the deminers achieved, and the share of the CHA they
// worked that technical survey reduced. The outputs of the year follow from
// these and the deployments; Record holds the outputs the public record
// gives for the year, which the generated history is tested against (the
// generator never reads it).
type ProgrammeYear struct {
	Year          int        `yaml:"year"`
	NTSKm2        float64    `yaml:"nts_km2"`         // SHA area processed by NTS
	Productivity  float64    `yaml:"productivity"`    // achieved ÷ stated clearance productivity
	TSReduceShare float64    `yaml:"ts_reduce_share"` // share of worked CHA area reduced by TS
	Record        YearRecord `yaml:"record"`
}

// YearRecord is a year's land-release output as the public record gives it;
// 0 where the record gives no figure.
type YearRecord struct {
	NTSCancelledKm2 float64 `yaml:"nts_cancelled_km2"`
	TSReducedKm2    float64 `yaml:"ts_reduced_km2"`
	ClearedKm2      float64 `yaml:"cleared_km2"`
	APMines         int     `yaml:"ap_mines"`
}

// Year returns the programme of year y, if the spec has one.
func (s Spec) Year(y int) (ProgrammeYear, bool) {
	for _, py := range s.Behaviour.Years {
		if py.Year == y {
			return py, true
		}
	}
	return ProgrammeYear{}, false
}

// Resurvey is the BLS re-survey batch of new areas registered in Year.
type Resurvey struct {
	Year                 int     `yaml:"year"`
	Areas                int     `yaml:"areas"`
	AvgHa                float64 `yaml:"avg_ha"`
	CHAShare             float64 `yaml:"cha_share"`
	WithoutEvidenceShare float64 `yaml:"without_evidence_share"`
}

// Corrections are the data errors the history contains and fixes.
type Corrections struct {
	UnitError UnitError `yaml:"unit_error"`
	Districts int       `yaml:"districts"`
	Villages  int       `yaml:"villages"`
	Year      int       `yaml:"year"`
}

// UnitError is an area whose size in hectares was entered as m².
type UnitError struct {
	Province    string  `yaml:"province"`
	Hectares    float64 `yaml:"hectares"`
	CorrectedOn Date    `yaml:"corrected_on"`
}

// AuditCases are the deliberately awkward histories of DOMAIN 5.6.
type AuditCases struct {
	CancelReopenClear struct {
		Province    string `yaml:"province"`
		CancelledIn int    `yaml:"cancelled_in"`
		ReopenedIn  int    `yaml:"reopened_in"`
	} `yaml:"cancel_reopen_clear"`
	DowngradeCancel struct {
		Province     string `yaml:"province"`
		DowngradedIn int    `yaml:"downgraded_in"`
		CancelledIn  int    `yaml:"cancelled_in"`
	} `yaml:"downgrade_cancel"`
}

// Province is a province's hazard stock on History.StockOn and its places.
type Province struct {
	Name           string             `yaml:"name"`
	TotalKm2       float64            `yaml:"total_km2"`
	CHAKm2         float64            `yaml:"cha_km2"`
	SHAKm2         float64            `yaml:"sha_km2"`
	CHAAreas       int                `yaml:"cha_areas"`
	SHAAreas       int                `yaml:"sha_areas"`
	Casualties2020 int                `yaml:"casualties_2020"`
	Centre         LonLat             `yaml:"centre"`
	Hazards        map[string]float64 `yaml:"hazards"`
	Districts      []District         `yaml:"districts"`
}

// LonLat is a WGS84 position.
type LonLat struct {
	Lon float64 `yaml:"lon"`
	Lat float64 `yaml:"lat"`
}

// District is a district (srok/khan) with some of its communes.
type District struct {
	Name     string    `yaml:"name"`
	Communes []Commune `yaml:"communes"`
}

// Commune is a commune (khum/sangkat) with some of its villages.
type Commune struct {
	Name     string   `yaml:"name"`
	Villages []string `yaml:"villages"`
}

// Operator is a clearance operator and its AP capacity.
type Operator struct {
	Name                 string   `yaml:"name"`
	Deminers             int      `yaml:"deminers"`
	WomenShare           float64  `yaml:"women_share"`
	Productivity         float64  `yaml:"productivity_m2_per_deminer_day"`
	CostPerDeminerYearUS int64    `yaml:"cost_per_deminer_year_usd"`
	Method               string   `yaml:"method"`
	Provinces            []string `yaml:"provinces"`
}

// Change starts an operator's deployment in a province late (Start),
// withdraws it (Withdraw) and may redeploy it (Redeploy, with Deminers).
type Change struct {
	Operator string `yaml:"operator"`
	Province string `yaml:"province"`
	Start    Date   `yaml:"start"`
	Withdraw Date   `yaml:"withdraw"`
	Redeploy Date   `yaml:"redeploy"`
	Deminers int    `yaml:"deminers"`
	Reason   string `yaml:"reason"`
}

// Funding holds the donors' pledges and the shortfalls.
type Funding struct {
	Pledges    []Pledge    `yaml:"pledges"`
	Shortfalls []Shortfall `yaml:"shortfalls"`
}

// Pledge is a donor's pledges by year, optionally for an operator or province.
type Pledge struct {
	Donor     string        `yaml:"donor"`
	Operator  string        `yaml:"operator"`
	Province  string        `yaml:"province"`
	AmountUSD map[int]int64 `yaml:"amount_usd"`
}

// Shortfall is a share of an operator's pledges of a year that did not
// arrive; the operator's capacity that year shrinks by the same share.
type Shortfall struct {
	Year     int     `yaml:"year"`
	Operator string  `yaml:"operator"`
	Share    float64 `yaml:"share"`
	Reason   string  `yaml:"reason"`
}

// Date is a calendar date written YYYY-MM-DD in the spec.
type Date struct{ events.Date }

// UnmarshalYAML decodes a YYYY-MM-DD scalar, reporting its position.
func (d *Date) UnmarshalYAML(node ast.Node) error {
	s, ok := node.(*ast.StringNode)
	if !ok {
		return &yaml.SyntaxError{Message: fmt.Sprintf("want a date (YYYY-MM-DD), got %s", node.Type().YAMLName()), Token: node.GetToken()}
	}
	v, err := events.ParseDate(s.Value)
	if err != nil {
		return &yaml.SyntaxError{Message: err.Error(), Token: node.GetToken()}
	}
	d.Date = v
	return nil
}

// SpecError reports every problem found in a spec.
type SpecError struct {
	Problems []SpecProblem
}

// SpecProblem is one problem: the line of the spec (0 when unknown), the
// field as a YAML path ("provinces[3].name") and why.
type SpecProblem struct {
	Line   int
	Field  string
	Reason string
}

func (p SpecProblem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

func (e *SpecError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "cambodia spec: " + strings.Join(parts, "; ")
}

// DefaultSpec returns the embedded demo specification.
func DefaultSpec() (Spec, error) {
	s, err := LoadSpec(demoYAML)
	if err != nil {
		return Spec{}, fmt.Errorf("demo.yaml: %w", err)
	}
	return s, nil
}

// LoadSpec decodes and validates a spec. Decoding is strict: an unknown field
// or a value of the wrong type is an error naming its line and field. Then
// every value is checked and every problem reported at once. The error is a
// *SpecError.
func LoadSpec(data []byte) (Spec, error) {
	var s Spec
	if err := yaml.UnmarshalWithOptions(data, &s, yaml.Strict()); err != nil {
		return Spec{}, &SpecError{Problems: []SpecProblem{decodeProblem(data, err)}}
	}
	probs := s.problems()
	if len(probs) == 0 {
		return s, nil
	}
	file, err := parser.ParseBytes(data, 0)
	for i := range probs {
		if err == nil {
			probs[i].Line = lineOf(file, probs[i].Field)
		}
	}
	return Spec{}, &SpecError{Problems: probs}
}

// decodeProblem turns a decoder error into a problem with line and field.
func decodeProblem(data []byte, err error) SpecProblem {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return SpecProblem{Reason: err.Error()}
	}
	tk := ye.GetToken()
	p := SpecProblem{Line: tk.Position.Line, Reason: ye.GetMessage()}
	if file, perr := parser.ParseBytes(data, 0); perr == nil {
		p.Field = pathOfToken(file, tk.Position.Offset)
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		p.Reason = fmt.Sprintf("wrong type: want %s, got %s", kindName(te.DstType), kindName(te.SrcType))
	}
	var ue *yaml.UnknownFieldError
	if errors.As(err, &ue) {
		p.Reason = "unknown field"
	}
	var oe *yaml.OverflowError
	if errors.As(err, &oe) {
		p.Reason = fmt.Sprintf("%s is out of range for %s", oe.SrcNum, kindName(oe.DstType))
		if oe.DstType != nil && oe.DstType.Kind() >= reflect.Uint && oe.DstType.Kind() <= reflect.Uint64 {
			p.Reason += " (not negative)"
		}
	}
	return p
}

// pathOfToken returns the YAML path (without "$.") of the mapping entry or
// node at a byte offset of the source.
func pathOfToken(file *ast.File, offset int) string {
	var found string
	for _, doc := range file.Docs {
		ast.Walk(visitor(func(n ast.Node) {
			if mv, ok := n.(*ast.MappingValueNode); ok && found == "" {
				if mv.Key.GetToken().Position.Offset == offset || mv.Value.GetToken().Position.Offset == offset {
					found = mv.Value.GetPath()
				}
			}
		}), doc)
	}
	return strings.TrimPrefix(strings.TrimPrefix(found, "$"), ".")
}

type visitor func(ast.Node)

func (v visitor) Visit(n ast.Node) ast.Visitor {
	v(n)
	return v
}

// lineOf returns the line of the node at a field path, or of its nearest
// ancestor that exists, or 0.
func lineOf(file *ast.File, field string) int {
	for f := field; f != ""; f = parentPath(f) {
		p, err := yaml.PathString("$." + f)
		if err != nil {
			continue
		}
		if n, err := p.FilterFile(file); err == nil && n != nil && n.GetToken() != nil {
			return n.GetToken().Position.Line
		}
	}
	return 0
}

func parentPath(f string) string {
	i := strings.LastIndexAny(f, ".[")
	if i <= 0 {
		return ""
	}
	return f[:i]
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}
