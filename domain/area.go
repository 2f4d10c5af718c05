package domain

import (
	"hash/fnv"
	"slices"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// Area is the state of one hazard area. Its accounting identity always holds:
//
//	RemainingM2 = SizeM2 − CancelledM2 − ReducedM2 − ClearedM2 + ReopenedM2 ≥ 0
type Area struct {
	ID               uuid.UUID
	Registered       bool
	Province         string
	District         string
	Commune          string
	Village          string
	Hazard           events.Hazard
	Class            events.Classification // SHA or CHA; kept when released
	SizeM2           int64
	RemainingM2      int64
	CancelledM2      int64
	ReducedM2        int64
	ClearedM2        int64
	ReopenedM2       int64
	RegisteredOn     events.Date
	LastOn           events.Date // date of the latest dated event
	EvidenceCount    int
	DirectEvidence   int // evidence items that confirm contamination
	LandUse          events.LandUse
	GeometryHash     uint64      // FNV-1a of the geometry JSON; the geometry itself lives in the read model
	Deployments      []uuid.UUID // deployments tasked to the area
	Workers          []string    // operators that released land of the area (NTS, reduction, clearance)
	CasualtiesLast5y int
	// Access restriction (RestrictAccess): while Restricted, work plans and
	// the forecast leave the area out. RestrictedUntil is the expected
	// opening date (zero: not known).
	Restricted        bool
	RestrictedSince   events.Date
	RestrictedUntil   events.Date
	RestrictionReason string
}

// Exists reports whether the area was registered.
func (a Area) Exists() bool { return a.Registered }

// Status is SHA or CHA while area remains, RELEASED when none does.
func (a Area) Status() events.Status {
	if a.Registered && a.RemainingM2 == 0 {
		return events.StatusReleased
	}
	return events.Status(a.Class)
}

// Released reports whether nothing of the area remains.
func (a Area) Released() bool { return a.Status() == events.StatusReleased }

// ReleasedM2 is the net area released so far (what a reopening may give back).
func (a Area) ReleasedM2() int64 {
	return a.CancelledM2 + a.ReducedM2 + a.ClearedM2 - a.ReopenedM2
}

// Evolve returns the area after e.
func (a Area) Evolve(e events.Event) State {
	switch e := e.(type) {
	case events.AreaRegistered:
		a = Area{
			ID: e.AreaID, Registered: true, Province: e.Province, District: e.District,
			Commune: e.Commune, Village: e.Village, Hazard: e.Hazard, Class: e.Classification,
			SizeM2: e.SizeM2, RemainingM2: e.SizeM2, RegisteredOn: e.RegisteredOn, LastOn: e.RegisteredOn,
			LandUse: e.LandUse, GeometryHash: hashBytes(e.Geometry), CasualtiesLast5y: e.CasualtiesLast5y,
		}
		a.addEvidence(e.Evidence...)
	case events.EvidenceRecorded:
		a.addEvidence(e.Evidence)
	case events.AreaConfirmed:
		a.Class = events.CHA
		a.LastOn = e.On
	case events.AreaCancelled:
		a.CancelledM2 += e.SizeM2
		a.RemainingM2 -= e.SizeM2
		a.LastOn = e.On
		a.addWorker(e.Operator)
	case events.AreaReduced:
		a.ReducedM2 += e.SizeM2
		a.RemainingM2 -= e.SizeM2
		a.LastOn = e.On
		a.addWorker(e.Operator)
	case events.AreaCleared:
		a.ClearedM2 += e.SizeM2
		a.RemainingM2 -= e.SizeM2
		a.LastOn = e.On
		a.addWorker(e.Operator)
	case events.AreaReclassified:
		a.Class = e.To
		a.LastOn = e.On
	case events.AreaRecordCorrected:
		s := e.Set
		if s.SizeM2 != nil {
			a.RemainingM2 += *s.SizeM2 - a.SizeM2
			a.SizeM2 = *s.SizeM2
		}
		setIf(&a.Province, s.Province)
		setIf(&a.District, s.District)
		setIf(&a.Commune, s.Commune)
		setIf(&a.Village, s.Village)
		if s.Hazard != nil {
			a.Hazard = *s.Hazard
		}
		if s.LandUse != nil {
			a.LandUse = *s.LandUse
		}
		if len(s.Geometry) > 0 {
			a.GeometryHash = hashBytes(s.Geometry)
		}
	case events.AreaReopened:
		a.ReopenedM2 += e.SizeM2
		a.RemainingM2 += e.SizeM2
		a.Class = e.To
		a.addEvidence(e.Evidence...)
		a.LastOn = e.On
	case events.AccessRestricted:
		a.Restricted, a.RestrictedSince, a.RestrictedUntil, a.RestrictionReason = true, e.On, e.ExpectedUntil, e.Reason
	case events.AccessRestrictionLifted:
		a.Restricted, a.RestrictedSince, a.RestrictedUntil, a.RestrictionReason = false, events.Date{}, events.Date{}, ""
	case events.TaskAssigned:
		if !slices.Contains(a.Deployments, e.DeploymentID) {
			a.Deployments = append(slices.Clip(a.Deployments), e.DeploymentID)
		}
	}
	return a
}

func (a *Area) addEvidence(ev ...events.Evidence) {
	for _, e := range ev {
		a.EvidenceCount++
		if e.Direct() {
			a.DirectEvidence++
		}
	}
}

// addWorker records an operator that released land of the area (states
// are values: the slice is copied on growth, never shared).
func (a *Area) addWorker(operator string) {
	if operator == "" || slices.Contains(a.Workers, operator) {
		return
	}
	a.Workers = append(slices.Clip(a.Workers), operator)
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func areaRef(c Context, id uuid.UUID) events.Ref {
	return events.Ref{Country: c.Country, Kind: events.KindArea, ID: id}
}

// openArea returns the area for a command that acts on remaining land: it must
// exist and not be released; on must not precede registration nor be in the
// future.
func openArea(c Context, s State, on events.Date) (Area, error) {
	a, err := existingArea(c, s, on)
	if err != nil {
		return a, err
	}
	if a.Released() {
		return a, Errorf(ErrInvalid, "area_id", "area %s is RELEASED: nothing remains to act on (use ReopenArea if residual contamination was found)", a.ID)
	}
	return a, nil
}

func existingArea(c Context, s State, on events.Date) (Area, error) {
	a, _ := s.(Area)
	if !a.Registered {
		return a, Errorf(ErrNotFound, "area_id", "no area with this ID is registered")
	}
	if on.Before(a.RegisteredOn) {
		return a, Errorf(ErrInvalid, "on", "%s is before the area was registered (%s)", on, a.RegisteredOn)
	}
	if err := notInFuture(c, "on", on); err != nil {
		return a, err
	}
	return a, nil
}

// releasable checks a release of size (0: all remaining) and returns the size.
func releasable(a Area, size int64) (int64, error) {
	if size == 0 {
		return a.RemainingM2, nil
	}
	if size > a.RemainingM2 {
		return 0, Errorf(ErrInvalid, "size_m2", "%d m² is more than the %d m² that remain", size, a.RemainingM2)
	}
	return size, nil
}

func hashBytes(b []byte) uint64 {
	if len(b) == 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}
