package domain

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// RegisterSuspectedArea enters a new hazard area in the register. Without an
// area_id the ID is derived from the command ID, so a retry registers nothing new.
type RegisterSuspectedArea struct {
	AreaID           uuid.UUID         `json:"area_id"`
	Province         string            `json:"province"`
	District         string            `json:"district,omitempty"`
	Commune          string            `json:"commune,omitempty"`
	Village          string            `json:"village,omitempty"`
	Hazard           events.Hazard     `json:"hazard"`
	Classification   string            `json:"classification,omitempty"`
	SizeM2           int64             `json:"size_m2"`
	RegisteredOn     events.Date       `json:"registered_on"`
	Source           events.Source     `json:"source"`
	Geometry         json.RawMessage   `json:"geometry,omitempty"`
	LandUse          events.LandUse    `json:"land_use,omitempty"`
	CasualtiesLast5y int               `json:"casualties_last_5y,omitempty"`
	CommunityRequest bool              `json:"community_request,omitempty"`
	Evidence         []events.Evidence `json:"evidence,omitempty"`
}

func (RegisterSuspectedArea) CommandName() string { return "RegisterSuspectedArea" }

func (c RegisterSuspectedArea) Validate(p *Problems) {
	required(p, "province", c.Province)
	oneOf(p, "hazard", string(c.Hazard), events.HazardValues, true)
	oneOf(p, "classification", c.Classification, events.ClassificationValues, false)
	areaM2(p, "size_m2", c.SizeM2, 1)
	requiredDate(p, "registered_on", c.RegisteredOn)
	oneOf(p, "source", string(c.Source), events.SourceValues, true)
	oneOf(p, "land_use", string(c.LandUse), events.LandUseValues, false)
	count(p, "casualties_last_5y", c.CasualtiesLast5y, 0, MaxCasualties)
	validEvidence(p, "evidence", c.Evidence)
	validGeometry(p, "geometry", c.Geometry)
}

func (c RegisterSuspectedArea) id(ctx Context) uuid.UUID {
	if c.AreaID != uuid.Nil {
		return c.AreaID
	}
	return events.DerivedID(ctx.CommandID, "area", 0, ctx.Now)
}

func (c RegisterSuspectedArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.id(ctx)) }
func (RegisterSuspectedArea) Reads(Context) []events.Ref      { return nil }

func (c RegisterSuspectedArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	if s.Exists() {
		return nil, Errorf(ErrConflict, "area_id", "area %s is already registered", c.id(ctx))
	}
	if err := knownProvince(ctx, "province", c.Province); err != nil {
		return nil, err
	}
	if err := withinCountry(ctx, "geometry", c.Geometry); err != nil {
		return nil, err
	}
	if err := notInFuture(ctx, "registered_on", c.RegisteredOn); err != nil {
		return nil, err
	}
	if err := evidenceNotInFuture(ctx, "evidence", c.Evidence); err != nil {
		return nil, err
	}
	class := events.Classification(c.Classification)
	if class == "" {
		class = events.SHA
	}
	return []events.Event{events.AreaRegistered{
		AreaID: c.id(ctx), Province: c.Province, District: c.District, Commune: c.Commune,
		Village: c.Village, Hazard: c.Hazard, Classification: class, SizeM2: c.SizeM2,
		RegisteredOn: c.RegisteredOn, Source: c.Source, Geometry: c.Geometry, LandUse: c.LandUse,
		CasualtiesLast5y: c.CasualtiesLast5y, CommunityRequest: c.CommunityRequest, Evidence: c.Evidence,
	}}, nil
}

// RecordEvidence records a piece of evidence against an open area.
type RecordEvidence struct {
	AreaID      uuid.UUID           `json:"area_id"`
	Kind        events.EvidenceKind `json:"kind"`
	ObservedOn  events.Date         `json:"observed_on"`
	Description string              `json:"description,omitempty"`
	Reference   string              `json:"reference,omitempty"`
}

func (RecordEvidence) CommandName() string { return "RecordEvidence" }
func (c RecordEvidence) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	oneOf(p, "kind", string(c.Kind), events.EvidenceKindValues, true)
	requiredDate(p, "observed_on", c.ObservedOn)
}
func (c RecordEvidence) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (RecordEvidence) Reads(Context) []events.Ref      { return nil }
func (c RecordEvidence) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, _ := s.(Area)
	if !a.Registered {
		return nil, Errorf(ErrNotFound, "area_id", "no area with this ID is registered")
	}
	if a.Released() {
		return nil, Errorf(ErrInvalid, "area_id", "area %s is RELEASED: record residual contamination with ReopenArea", a.ID)
	}
	if err := notInFuture(ctx, "observed_on", c.ObservedOn); err != nil {
		return nil, err
	}
	return []events.Event{events.EvidenceRecorded{AreaID: c.AreaID, Evidence: events.Evidence{
		Kind: c.Kind, ObservedOn: c.ObservedOn, Description: c.Description, Reference: c.Reference,
	}}}, nil
}

// ConfirmHazardousArea confirms an SHA as a CHA. With size_m2 below the
// remaining area, the rest is cancelled by the same survey.
type ConfirmHazardousArea struct {
	AreaID uuid.UUID   `json:"area_id"`
	On     events.Date `json:"on"`
	SizeM2 int64       `json:"size_m2,omitempty"`
}

func (ConfirmHazardousArea) CommandName() string { return "ConfirmHazardousArea" }
func (c ConfirmHazardousArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	areaM2(p, "size_m2", c.SizeM2, 0)
}
func (c ConfirmHazardousArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (ConfirmHazardousArea) Reads(Context) []events.Ref      { return nil }
func (c ConfirmHazardousArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if a.Class == events.CHA {
		return nil, Errorf(ErrInvalid, "area_id", "area %s is already a CHA", a.ID)
	}
	if err := onTheGround(a, c.On, "a confirmation by survey"); err != nil {
		return nil, err // ReclassifyArea records a CHA on evidence without survey
	}
	size, err := releasable(a, c.SizeM2)
	if err != nil {
		return nil, err
	}
	var out []events.Event
	if rest := a.RemainingM2 - size; rest > 0 {
		out = append(out, events.AreaCancelled{
			AreaID: a.ID, On: c.On, Method: events.CancelByNTS, SizeM2: rest, RemainingM2: size,
			Reason: "not part of the confirmed hazardous area (survey that confirmed the hazard)",
		})
	}
	return append(out, events.AreaConfirmed{AreaID: a.ID, On: c.On, SizeM2: size}), nil
}

// CancelArea cancels part or all of an area by non-technical survey or desk analysis.
type CancelArea struct {
	AreaID   uuid.UUID           `json:"area_id"`
	On       events.Date         `json:"on"`
	Method   events.CancelMethod `json:"method"`
	Reason   string              `json:"reason"`
	SizeM2   int64               `json:"size_m2,omitempty"`
	Operator string              `json:"operator,omitempty"`
}

func (CancelArea) CommandName() string { return "CancelArea" }
func (c CancelArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	oneOf(p, "method", string(c.Method), events.CancelMethodValues, true)
	required(p, "reason", c.Reason)
	areaM2(p, "size_m2", c.SizeM2, 0)
}
func (c CancelArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (CancelArea) Reads(Context) []events.Ref      { return nil }
func (c CancelArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if c.Method == events.CancelByNTS {
		if err := onTheGround(a, c.On, "a cancellation by NTS"); err != nil {
			return nil, err // DESK_ANALYSIS needs no one on site
		}
	}
	size, err := releasable(a, c.SizeM2)
	if err != nil {
		return nil, err
	}
	return []events.Event{events.AreaCancelled{
		AreaID: a.ID, On: c.On, Method: c.Method, Reason: c.Reason, SizeM2: size,
		Operator: c.Operator, RemainingM2: a.RemainingM2 - size,
	}}, nil
}

// ReduceArea records land reduced by technical survey.
type ReduceArea struct {
	AreaID   uuid.UUID   `json:"area_id"`
	On       events.Date `json:"on"`
	SizeM2   int64       `json:"size_m2"`
	Operator string      `json:"operator"`
}

func (ReduceArea) CommandName() string { return "ReduceArea" }
func (c ReduceArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	areaM2(p, "size_m2", c.SizeM2, 1)
	required(p, "operator", c.Operator)
}
func (c ReduceArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (ReduceArea) Reads(Context) []events.Ref      { return nil }
func (c ReduceArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if err := onTheGround(a, c.On, "a reduction by technical survey"); err != nil {
		return nil, err
	}
	size, err := releasable(a, c.SizeM2)
	if err != nil {
		return nil, err
	}
	return []events.Event{events.AreaReduced{
		AreaID: a.ID, On: c.On, SizeM2: size, Operator: c.Operator, RemainingM2: a.RemainingM2 - size,
	}}, nil
}

// ClearArea records land cleared, with the devices destroyed.
type ClearArea struct {
	AreaID           uuid.UUID   `json:"area_id"`
	On               events.Date `json:"on"`
	SizeM2           int64       `json:"size_m2"`
	Operator         string      `json:"operator"`
	APMinesDestroyed int         `json:"ap_mines_destroyed,omitempty"`
	ATMinesDestroyed int         `json:"at_mines_destroyed,omitempty"`
	ERWDestroyed     int         `json:"erw_destroyed,omitempty"`
}

func (ClearArea) CommandName() string { return "ClearArea" }
func (c ClearArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	areaM2(p, "size_m2", c.SizeM2, 1)
	required(p, "operator", c.Operator)
	count(p, "ap_mines_destroyed", c.APMinesDestroyed, 0, MaxDevices)
	count(p, "at_mines_destroyed", c.ATMinesDestroyed, 0, MaxDevices)
	count(p, "erw_destroyed", c.ERWDestroyed, 0, MaxDevices)
}
func (c ClearArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (ClearArea) Reads(Context) []events.Ref      { return nil }
func (c ClearArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if err := onTheGround(a, c.On, "clearance"); err != nil {
		return nil, err
	}
	size, err := releasable(a, c.SizeM2)
	if err != nil {
		return nil, err
	}
	return []events.Event{events.AreaCleared{
		AreaID: a.ID, On: c.On, SizeM2: size, Operator: c.Operator, APMinesDestroyed: c.APMinesDestroyed,
		ATMinesDestroyed: c.ATMinesDestroyed, ERWDestroyed: c.ERWDestroyed, RemainingM2: a.RemainingM2 - size,
	}}, nil
}

// ReclassifyArea changes an open area's class. SHA -> CHA needs evidence: in
// the command, or direct evidence already recorded on the area.
type ReclassifyArea struct {
	AreaID   uuid.UUID         `json:"area_id"`
	On       events.Date       `json:"on"`
	To       string            `json:"to"`
	Reason   string            `json:"reason"`
	Evidence []events.Evidence `json:"evidence,omitempty"`
}

func (ReclassifyArea) CommandName() string { return "ReclassifyArea" }
func (c ReclassifyArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	oneOf(p, "to", c.To, events.ClassificationValues, true)
	required(p, "reason", c.Reason)
	validEvidence(p, "evidence", c.Evidence)
}
func (c ReclassifyArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (ReclassifyArea) Reads(Context) []events.Ref      { return nil }
func (c ReclassifyArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := openArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	to := events.Classification(c.To)
	if a.Class == to {
		return nil, Errorf(ErrInvalid, "to", "area %s is already a %s", a.ID, to)
	}
	if err := evidenceNotInFuture(ctx, "evidence", c.Evidence); err != nil {
		return nil, err
	}
	if to == events.CHA && len(c.Evidence) == 0 && a.DirectEvidence == 0 {
		return nil, Errorf(ErrInvalid, "evidence", "SHA -> CHA needs evidence: give it in the command or record direct evidence (ACCIDENT, DEVICE_FOUND) first")
	}
	out := make([]events.Event, 0, len(c.Evidence)+1)
	for _, e := range c.Evidence {
		out = append(out, events.EvidenceRecorded{AreaID: a.ID, Evidence: e})
	}
	return append(out, events.AreaReclassified{AreaID: a.ID, On: c.On, From: a.Class, To: to, Reason: c.Reason}), nil
}

// CorrectAreaRecord fixes data errors in an area record (a size entered in the
// wrong unit, a wrong province). The size may not fall below what was released.
type CorrectAreaRecord struct {
	AreaID   uuid.UUID       `json:"area_id"`
	On       events.Date     `json:"on"`
	Reason   string          `json:"reason"`
	SizeM2   *int64          `json:"size_m2,omitempty"`
	Province *string         `json:"province,omitempty"`
	District *string         `json:"district,omitempty"`
	Commune  *string         `json:"commune,omitempty"`
	Village  *string         `json:"village,omitempty"`
	Geometry json.RawMessage `json:"geometry,omitempty"`
	Hazard   *events.Hazard  `json:"hazard,omitempty"`
	LandUse  *events.LandUse `json:"land_use,omitempty"`
}

func (CorrectAreaRecord) CommandName() string { return "CorrectAreaRecord" }
func (c CorrectAreaRecord) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	required(p, "reason", c.Reason)
	if c.SizeM2 == nil && c.Province == nil && c.District == nil && c.Commune == nil &&
		c.Village == nil && len(c.Geometry) == 0 && c.Hazard == nil && c.LandUse == nil {
		p.Add("size_m2", "nothing to correct: give at least one of size_m2, province, district, commune, village, geometry, hazard, land_use")
	}
	if c.SizeM2 != nil {
		areaM2(p, "size_m2", *c.SizeM2, 1)
	}
	if c.Province != nil && *c.Province == "" {
		p.Add("province", "must not be empty")
	}
	if c.Hazard != nil {
		oneOf(p, "hazard", string(*c.Hazard), events.HazardValues, true)
	}
	if c.LandUse != nil {
		oneOf(p, "land_use", string(*c.LandUse), events.LandUseValues, true)
	}
	validGeometry(p, "geometry", c.Geometry)
}
func (c CorrectAreaRecord) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (CorrectAreaRecord) Reads(Context) []events.Ref      { return nil }
func (c CorrectAreaRecord) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := existingArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if c.Province != nil {
		if err := knownProvince(ctx, "province", *c.Province); err != nil {
			return nil, err
		}
	}
	if err := withinCountry(ctx, "geometry", c.Geometry); err != nil {
		return nil, err
	}
	ev := events.AreaRecordCorrected{AreaID: a.ID, On: c.On, Reason: c.Reason, RemainingM2: a.RemainingM2}
	changed := false
	if c.SizeM2 != nil && *c.SizeM2 != a.SizeM2 {
		remaining := a.RemainingM2 + *c.SizeM2 - a.SizeM2
		switch {
		case remaining < 0:
			return nil, Errorf(ErrInvalid, "size_m2", "%d m² is less than the %d m² already released", *c.SizeM2, a.ReleasedM2())
		case a.Released() && remaining > 0:
			return nil, Errorf(ErrInvalid, "size_m2", "area %s is RELEASED: a larger size would reopen it; use ReopenArea with evidence", a.ID)
		}
		ev.Set.SizeM2, ev.Was.SizeM2 = ptr(*c.SizeM2), ptr(a.SizeM2)
		ev.RemainingM2 = remaining
		changed = true
	}
	changed = correct(&ev.Set.Province, &ev.Was.Province, c.Province, a.Province) || changed
	changed = correct(&ev.Set.District, &ev.Was.District, c.District, a.District) || changed
	changed = correct(&ev.Set.Commune, &ev.Was.Commune, c.Commune, a.Commune) || changed
	changed = correct(&ev.Set.Village, &ev.Was.Village, c.Village, a.Village) || changed
	changed = correct(&ev.Set.Hazard, &ev.Was.Hazard, c.Hazard, a.Hazard) || changed
	changed = correct(&ev.Set.LandUse, &ev.Was.LandUse, c.LandUse, a.LandUse) || changed
	if len(c.Geometry) > 0 && hashBytes(c.Geometry) != a.GeometryHash {
		ev.Set.Geometry = c.Geometry
		changed = true
	}
	if !changed {
		return nil, Errorf(ErrInvalid, "size_m2", "the record already holds these values: nothing to correct")
	}
	return []events.Event{ev}, nil
}

func ptr[T any](v T) *T { return &v }

func correct[T comparable](set, was **T, to *T, cur T) bool {
	if to == nil || *to == cur {
		return false
	}
	*set, *was = ptr(*to), ptr(cur)
	return true
}

// ReopenArea gives back released land when residual contamination is found.
type ReopenArea struct {
	AreaID   uuid.UUID         `json:"area_id"`
	On       events.Date       `json:"on"`
	To       string            `json:"to"`
	SizeM2   int64             `json:"size_m2"`
	Reason   string            `json:"reason"`
	Evidence []events.Evidence `json:"evidence"`
}

func (ReopenArea) CommandName() string { return "ReopenArea" }
func (c ReopenArea) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	oneOf(p, "to", c.To, events.ClassificationValues, true)
	areaM2(p, "size_m2", c.SizeM2, 1)
	required(p, "reason", c.Reason)
	if len(c.Evidence) == 0 {
		p.Add("evidence", "required: the residual contamination found (an accident, a device, a failed QC)")
	}
	validEvidence(p, "evidence", c.Evidence)
}
func (c ReopenArea) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (ReopenArea) Reads(Context) []events.Ref      { return nil }
func (c ReopenArea) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := existingArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if err := evidenceNotInFuture(ctx, "evidence", c.Evidence); err != nil {
		return nil, err
	}
	if released := a.ReleasedM2(); c.SizeM2 > released {
		return nil, Errorf(ErrInvalid, "size_m2", "%d m² is more than the %d m² released from area %s", c.SizeM2, released, a.ID)
	}
	return []events.Event{events.AreaReopened{
		AreaID: a.ID, On: c.On, To: events.Classification(c.To), SizeM2: c.SizeM2, Reason: c.Reason,
		Evidence: c.Evidence, RemainingM2: a.RemainingM2 + c.SizeM2,
	}}, nil
}

// RecordQAVisit records a QA or QC visit; it is allowed on released land.
type RecordQAVisit struct {
	AreaID   uuid.UUID       `json:"area_id"`
	On       events.Date     `json:"on"`
	Result   events.QAResult `json:"result"`
	Notes    string          `json:"notes,omitempty"`
	Operator string          `json:"operator,omitempty"`
}

func (RecordQAVisit) CommandName() string { return "RecordQAVisit" }
func (c RecordQAVisit) Validate(p *Problems) {
	requiredID(p, "area_id", c.AreaID)
	requiredDate(p, "on", c.On)
	oneOf(p, "result", string(c.Result), events.QAResultValues, true)
}
func (c RecordQAVisit) Target(ctx Context) events.Ref { return areaRef(ctx, c.AreaID) }
func (RecordQAVisit) Reads(Context) []events.Ref      { return nil }
func (c RecordQAVisit) Decide(ctx Context, s State, _ Reads) ([]events.Event, error) {
	a, err := existingArea(ctx, s, c.On)
	if err != nil {
		return nil, err
	}
	if err := onTheGround(a, c.On, "a QA visit"); err != nil {
		return nil, err
	}
	return []events.Event{events.QAVisitRecorded{AreaID: c.AreaID, On: c.On, Result: c.Result, Notes: c.Notes, Operator: c.Operator}}, nil
}
