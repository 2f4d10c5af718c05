package exchange

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Converter turns records into domain commands. Its zero value is not
// usable: Country is required.
type Converter struct {
	Country string      // ISO 3166-1 alpha-2; names the derived area IDs
	Today   events.Date // dates after it are refused; zero: today in UTC
	Actor   string      // actor of the commands; "" : "import"
}

// Row is what one record stands for: the area it is about and its
// commands. First holds the commands every later one depends on (the
// registration of an areas record); Then the ones to send only if First was
// applied or was already in the history (the releases of an areas record).
type Row struct {
	Pos     int
	LocalID string
	AreaID  uuid.UUID
	First   []domain.CommandEnvelope
	Then    []domain.CommandEnvelope
	// Released is, for an areas record, the m² the record gives as released
	// by each method of ReleaseColumns, the unexplained part of
	// (estimated − remaining) counted as desk analysis.
	Released [4]int64
	Reopened int64 // m² of released land given back (reopened_area)
	// Restrict records the access restriction of an areas record
	// (access_restricted_since …), nil when it has none.
	Restrict   *domain.CommandEnvelope
	releasedOn events.Date // date of the releases of an areas record
	operator   string      // operator of the releases of an areas record
	// Key identifies the record for duplicate detection: the local ID in an
	// areas file, the command ID in an activities file.
	Key string
}

// AreaID returns the area ID a local ID stands for: the local ID itself when
// it is a UUID (an exported area keeps its ID), else a name-based UUID of
// ("import", country, local_id), the same on every import.
func AreaID(country, localID string) uuid.UUID {
	if id, err := uuid.Parse(localID); err == nil && id != uuid.Nil {
		return id
	}
	return events.NameID("import", strings.ToUpper(country), localID)
}

// Convert checks one record and returns its commands, or every problem
// found in it (the field is the column name). It checks what can be known
// without the history: the values, the domain's validation of every
// command, the gazetteer, dates not in the future. Rules that need the
// recorded state (an area already registered with other data, releasing
// more than remains) are left to the handler.
func (c *Converter) Convert(h *Header, r Record) (Row, []Problem) {
	p := &rowProblems{}
	var row Row
	if h.Kind == Activities {
		row = c.activity(h, r, p)
	} else {
		row = c.area(h, r, p)
	}
	row.Pos = r.Pos
	if len(p.list) > 0 {
		return row, p.list
	}
	return row, nil
}

type rowProblems struct{ list []Problem }

func (p *rowProblems) add(field, format string, args ...any) {
	for _, q := range p.list { // one problem per column is enough
		if q.Field == field && field != "" {
			return
		}
	}
	p.list = append(p.list, Problem{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (c *Converter) today() events.Date {
	if c.Today.IsZero() {
		return events.DateOf(time.Now())
	}
	return c.Today
}

func (c *Converter) actor() string {
	if c.Actor == "" {
		return "import"
	}
	return c.Actor
}

func (c *Converter) date(p *rowProblems, field, s string, required bool) events.Date {
	if s == "" {
		if required {
			p.add(field, "required (YYYY-MM-DD)")
		}
		return events.Date{}
	}
	d, err := events.ParseDate(s)
	if err != nil {
		p.add(field, "%q is not an ISO date: only YYYY-MM-DD is accepted (12/03/2020 could be March or December)", s)
		return d
	}
	if d.After(c.today()) {
		p.add(field, "%s is in the future (today is %s)", d, c.today())
	}
	return d
}

// enteredOn parses the optional entry time of a migrated record: a date
// (midnight UTC) or an RFC 3339 instant, not in the future.
func (c *Converter) enteredOn(p *rowProblems, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d, derr := events.ParseDate(s)
		if derr != nil {
			p.add("entered_on", "%q is neither a date YYYY-MM-DD nor an RFC 3339 instant", s)
			return time.Time{}
		}
		t = d.Time()
	}
	if t.After(c.today().Time().AddDate(0, 0, 1)) {
		p.add("entered_on", "%s is in the future", s)
		return time.Time{}
	}
	return t
}

// unitFactor returns the m² in one unit of area_unit.
func unitFactor(p *rowProblems, s string) (float64, bool) {
	switch strings.ToLower(s) {
	case "m2", "m²", "sqm":
		return 1, true
	case "ha":
		return 10_000, true
	case "":
		p.add("area_unit", "required: m2 or ha")
	default:
		p.add("area_unit", "unknown unit %q: m2 or ha (never km² or acres: convert first)", s)
	}
	return 0, false
}

// size parses an area in the record's unit into whole m².
func size(p *rowProblems, field, s string, factor float64, required bool) (int64, bool) {
	if s == "" {
		if required {
			p.add(field, "required")
		}
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.add(field, "%q is not a number (use a dot for decimals and no thousands separator)", s)
		return 0, false
	}
	if f < 0 {
		p.add(field, "must not be negative, got %s", s)
		return 0, false
	}
	// The domain's bound of every area (docs/security.md), checked here
	// too because the release columns are summed before any command is
	// validated; the float compare also keeps the int64 conversion exact.
	m2 := math.Round(f * factor)
	if m2 > float64(domain.MaxAreaM2) {
		p.add(field, "must be at most %d m² (%d km², the land area of Cambodia), got %s (%.0f m²)",
			domain.MaxAreaM2, domain.MaxAreaM2/1_000_000, s, m2)
		return 0, false
	}
	return int64(m2), true
}

func (c *Converter) province(p *rowProblems, s string) {
	if s == "" {
		p.add("province", "required")
		return
	}
	list := domain.Provinces(c.Country)
	if list == nil || events.Contains(list, s) {
		return
	}
	for _, name := range list {
		if strings.EqualFold(name, s) {
			p.add("province", "unknown province %q: did you mean %q?", s, name)
			return
		}
	}
	p.add("province", "unknown province %q of %s (English gazetteer names, e.g. %q)", s, strings.ToUpper(c.Country), list[0])
}

// envelope gives a command its deterministic ID: a name-based UUID of the
// command's content, so the same record imported again is a duplicate and a
// changed record is a new command.
func (c *Converter) envelope(step string, cmd domain.Command) domain.CommandEnvelope {
	data, _ := json.Marshal(cmd)
	id := events.NameID("import", strings.ToUpper(c.Country), step, cmd.CommandName(), string(data))
	return domain.CommandEnvelope{ID: id, Actor: c.actor(), Command: cmd}
}

// validate runs the domain's validation of cmd and reports its problems
// under the record's column names.
func validate(p *rowProblems, cmd domain.Command, columns map[string]string) {
	var probs domain.Problems
	cmd.Validate(&probs)
	for _, q := range probs {
		f := q.Field
		if i := strings.IndexAny(f, "[."); i >= 0 {
			f = f[:i]
		}
		if col, ok := columns[f]; ok {
			f = col
		}
		p.add(f, "%s", q.Reason)
	}
}

var registerColumns = map[string]string{"size_m2": "estimated_area", "area_id": "local_id"}

// areaRecord is an areas record being read: its columns, and what was
// parsed from them so far.
type areaRecord struct {
	get          func(col string) string
	factor       float64 // area_unit in m²
	est, rem     int64   // estimated_area, remaining_area in m²
	estOK, remOK bool
	registered   events.Date
	class        string
	entered      time.Time   // entered_on (zero: now)
	on           events.Date // date of the releases (last_activity_on, else registered_on)
	operator     string
	reopened     int64  // reopened_area in m²
	devices      [3]int // DeviceColumns, given to the first clearance
	unexplained  int64  // the part of (estimated − remaining) no column explains
}

// area reads an areas record column group by column group, in the order
// its problems are reported: the area's identity and sizes, its
// registration, the releases it records and their balance, and last the
// commands that replay those releases.
func (c *Converter) area(h *Header, r Record, p *rowProblems) Row {
	a := &areaRecord{get: func(col string) string { return h.Get(r, col) }}
	row := Row{LocalID: a.get("local_id")}
	if row.LocalID == "" {
		p.add("local_id", "required: the area's ID in the source database")
	} else {
		row.AreaID = AreaID(c.Country, row.LocalID)
		row.Key = row.LocalID
	}
	c.province(p, a.get("province"))
	a.sizes(p)
	reg := c.registration(a, row.AreaID, p)
	// The registration is named by the area: an area is registered once,
	// whichever file (an original or an export of it) brings it.
	regID := events.NameID("import", strings.ToUpper(c.Country), row.AreaID.String(), "register")
	a.entered = c.enteredOn(p, a.get("entered_on"))
	row.First = []domain.CommandEnvelope{{ID: regID, Actor: c.actor(), Command: reg, RecordedAt: a.entered}}
	c.releaseColumns(a, &row, p)
	a.balance(&row, p)
	plan := releasePlan{c: c, a: a, p: p, row: &row, remaining: a.est, reopenLeft: a.reopened}
	plan.steps()
	c.restriction(a, &row, p)
	if a.devices != [3]int{} {
		p.add("ap_mines_destroyed", "devices destroyed without cleared_area: they are recorded with a clearance")
	}
	return row
}

// sizes reads area_unit, estimated_area and remaining_area.
func (a *areaRecord) sizes(p *rowProblems) {
	factor, unitOK := unitFactor(p, a.get("area_unit"))
	if !unitOK {
		factor = 1
	}
	a.factor = factor
	a.est, a.estOK = size(p, "estimated_area", a.get("estimated_area"), factor, true)
	if a.estOK && a.est == 0 {
		p.add("estimated_area", "must be more than 0")
	}
	a.rem, a.remOK = size(p, "remaining_area", a.get("remaining_area"), factor, true)
}

// registration reads the columns of the area's registration and checks the
// command as the domain would.
func (c *Converter) registration(a *areaRecord, area uuid.UUID, p *rowProblems) domain.RegisterSuspectedArea {
	get := a.get
	a.registered = c.date(p, "registered_on", get("registered_on"), true)
	a.class = strings.ToUpper(get("classification"))
	if a.class == "" {
		p.add("classification", "required: SHA or CHA")
	}
	reg := domain.RegisterSuspectedArea{
		AreaID: area, Province: get("province"), District: get("district"), Commune: get("commune"),
		Village: get("village"), Hazard: events.Hazard(strings.ToUpper(get("hazard"))), Classification: a.class,
		SizeM2: a.est, RegisteredOn: a.registered, Source: events.Source(strings.ToUpper(get("source"))),
		LandUse: events.LandUse(strings.ToUpper(get("land_use"))),
	}
	if reg.Source == "" {
		reg.Source = "OTHER"
	}
	a.priority(&reg, p)
	a.evidence(&reg, p)
	if s := get("crs"); s != "" && !domain.IsWGS84(s) {
		p.add("crs", "%q: landrelease takes WGS84 longitude/latitude (EPSG:4326); reproject the data to WGS84 first (e.g. ogr2ogr -t_srs EPSG:4326)", s)
	}
	if s := get("geometry"); s != "" {
		if !json.Valid([]byte(s)) {
			p.add("geometry", "not JSON: the geometry column holds a GeoJSON Polygon or MultiPolygon")
		} else {
			reg.Geometry = json.RawMessage(s)
		}
	}
	checked := reg
	if a.registered.IsZero() { // registered_on is reported; its evidence dates would repeat it
		checked.Evidence = nil
	}
	validate(p, checked, registerColumns)
	return reg
}

// priority reads casualties_last_5y and community_request.
func (a *areaRecord) priority(reg *domain.RegisterSuspectedArea, p *rowProblems) {
	if s := a.get("casualties_last_5y"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			p.add("casualties_last_5y", "%q is not a whole number", s)
		}
		reg.CasualtiesLast5y = n
	}
	if s := a.get("community_request"); s != "" {
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1":
			reg.CommunityRequest = true
		case "false", "no", "n", "0":
		default:
			p.add("community_request", "%q: want true or false", s)
		}
	}
}

// evidence reads the evidence kinds, separated by ';', observed on the day
// of the registration.
func (a *areaRecord) evidence(reg *domain.RegisterSuspectedArea, p *rowProblems) {
	s := a.get("evidence")
	if s == "" {
		return
	}
	for _, k := range strings.Split(s, ";") {
		k = strings.ToUpper(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		if !events.Contains(events.EvidenceKindValues, k) {
			p.add("evidence", "unknown evidence kind %q: one of %s, separated by ;", k, strings.Join(events.EvidenceKindValues, ", "))
			continue
		}
		reg.Evidence = append(reg.Evidence, events.Evidence{Kind: events.EvidenceKind(k), ObservedOn: a.registered})
	}
}

// restriction reads access_restricted_since, access_expected_until and
// access_restriction_reason: a RestrictAccess after the releases (row.Then
// and row.Restrict). The reason is required with the date; an expected
// date or a reason alone, or a restriction of an area with nothing
// remaining, is refused naming the column.
func (c *Converter) restriction(a *areaRecord, row *Row, p *rowProblems) {
	since := c.date(p, "access_restricted_since", a.get("access_restricted_since"), false)
	until, why := a.get("access_expected_until"), a.get("access_restriction_reason")
	if since.IsZero() {
		if a.get("access_restricted_since") == "" && (until != "" || why != "") {
			p.add("access_restricted_since", "required with access_expected_until or access_restriction_reason: the date access was restricted")
		}
		return
	}
	cmd := domain.RestrictAccess{AreaID: row.AreaID, On: since, Reason: why}
	if until != "" {
		d, err := events.ParseDate(until)
		if err != nil {
			p.add("access_expected_until", "%q is not an ISO date: only YYYY-MM-DD is accepted", until)
			return
		}
		cmd.ExpectedUntil = d
	}
	if a.remOK && a.rem == 0 {
		p.add("access_restricted_since", "remaining_area is 0: there is no land whose access could be restricted")
		return
	}
	if !a.registered.IsZero() && since.Before(a.registered) {
		p.add("access_restricted_since", "%s is before registered_on %s", since, a.registered)
		return
	}
	validate(p, cmd, map[string]string{"on": "access_restricted_since", "expected_until": "access_expected_until",
		"reason": "access_restriction_reason", "area_id": "local_id"})
	id := events.NameID("import", strings.ToUpper(c.Country), row.AreaID.String(), "restrict", since.String())
	env := domain.CommandEnvelope{ID: id, Actor: c.actor(), Command: cmd, RecordedAt: a.entered}
	row.Then = append(row.Then, env)
	row.Restrict = &env
}

func (c *Converter) activity(h *Header, r Record, p *rowProblems) Row {
	get := func(col string) string { return h.Get(r, col) }
	row := Row{LocalID: get("local_id")}
	if row.LocalID == "" {
		p.add("local_id", "required: the ID of the area the activity released land from")
	} else {
		row.AreaID = AreaID(c.Country, row.LocalID)
	}
	on := c.date(p, "on", get("on"), true)
	factor, ok := unitFactor(p, get("area_unit"))
	if !ok {
		factor = 1
	}
	kind := strings.ToUpper(get("activity"))
	m2, _ := size(p, "area", get("area"), factor, kind == "REDUCE" || kind == "CLEAR")
	operator, reason := get("operator"), get("reason")
	var cmd domain.Command
	switch kind {
	case "CANCEL_NTS", "CANCEL_DESK":
		method := events.CancelByNTS
		if kind == "CANCEL_DESK" {
			method = events.CancelByDeskAnalysis
		}
		if reason == "" {
			p.add("reason", "required for a cancellation: why the land holds no evidence of contamination")
		}
		cmd = domain.CancelArea{AreaID: row.AreaID, On: on, Method: method, Reason: reason, SizeM2: m2, Operator: operator}
	case "REDUCE":
		cmd = domain.ReduceArea{AreaID: row.AreaID, On: on, SizeM2: m2, Operator: operator}
	case "CLEAR":
		cmd = domain.ClearArea{AreaID: row.AreaID, On: on, SizeM2: m2, Operator: operator}
	case "":
		p.add("activity", "required: one of %s", strings.Join(ActivityValues, ", "))
		return row
	default:
		p.add("activity", "unknown activity %q: one of %s", kind, strings.Join(ActivityValues, ", "))
		return row
	}
	validate(p, cmd, map[string]string{"size_m2": "area", "area_id": "local_id"})
	env := c.envelope("activity", cmd)
	row.First = []domain.CommandEnvelope{env}
	row.Key = env.ID.String()
	return row
}
