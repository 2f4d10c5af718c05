package exchange

import (
	"errors"
	"fmt"
	"sort"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// QualityConfig says which data-quality checks to run and how strictly.
type QualityConfig struct {
	// StaleYears: open areas with no activity for this many years before
	// the latest activity anywhere in the register are stale. 0 skips.
	StaleYears int
	// Boundaries, when not nil, are checked against each area's province.
	Boundaries Boundaries
	// Size is the tolerance of stated sizes against their geometry.
	Size SizeTolerance
}

// DefaultQualityConfig: stale after 3 years, default size tolerance, no
// boundaries.
func DefaultQualityConfig() QualityConfig {
	return QualityConfig{StaleYears: 3, Size: DefaultSizeTolerance()}
}

// Validate reports every problem of c at once.
func (c QualityConfig) Validate() error {
	var errs []error
	if c.StaleYears < 0 || c.StaleYears > 100 {
		errs = append(errs, fmt.Errorf("stale years %d: want 0 (skip) to 100", c.StaleYears))
	}
	if !(c.Size.MinRatio > 0 && c.Size.MinRatio < 1 && c.Size.MaxRatio > 1) {
		errs = append(errs, fmt.Errorf("size tolerance [%g, %g]: want 0 < min < 1 < max", c.Size.MinRatio, c.Size.MaxRatio))
	}
	return errors.Join(errs...)
}

// AreaRef names an area in a finding.
type AreaRef struct {
	AreaID      string `json:"area_id"`
	Province    string `json:"province"`
	Status      string `json:"status"`
	SizeM2      int64  `json:"size_m2"`
	RemainingM2 int64  `json:"remaining_m2"`
}

func refOf(a *projections.AreaRow) AreaRef {
	return AreaRef{a.ID.String(), a.Province, a.Status, a.SizeM2, a.RemainingM2}
}

// GeometryFinding is an area whose geometry is invalid.
type GeometryFinding struct {
	AreaRef
	Problems []GeometryProblem `json:"problems"`
}

// SizeFinding is an area whose stated size disagrees with its geometry.
type SizeFinding struct {
	AreaRef
	SizeCheck
}

// OverlapFinding is a pair of areas whose polygons overlap.
type OverlapFinding struct {
	A         AreaRef `json:"a"`
	B         AreaRef `json:"b"`
	ShareA    float64 `json:"share_of_a"`
	ShareB    float64 `json:"share_of_b"`
	OverlapM2 float64 `json:"overlap_m2"`
	Identical bool    `json:"identical"`
}

// ProvinceFinding is an area not inside the boundary of its province.
type ProvinceFinding struct {
	AreaRef
	FoundIn string `json:"found_in,omitempty"` // province holding the area's centre, if any
}

// StaleFinding is an open area with no recent activity.
type StaleFinding struct {
	AreaRef
	LastActivityOn string `json:"last_activity_on"`
}

// OverReleaseFinding is an area that released more than its size.
type OverReleaseFinding struct {
	AreaRef
	ReleasedM2 int64 `json:"released_m2"` // cancelled + reduced + cleared − reopened
}

// QualityReport is the data-quality report of a register. Every list is
// present (possibly empty) and ordered by province, registration date and
// area ID.
type QualityReport struct {
	Areas                int                  `json:"areas"`
	AreasWithGeometry    int                  `json:"areas_with_geometry"`
	LatestActivityOn     string               `json:"latest_activity_on,omitempty"`
	StaleYears           int                  `json:"stale_years"`
	SizeTolerance        [2]float64           `json:"size_tolerance"`
	BoundariesChecked    bool                 `json:"boundaries_checked"`
	WithoutEvidence      []AreaRef            `json:"without_evidence"`
	InvalidGeometry      []GeometryFinding    `json:"invalid_geometry"`
	SizeMismatches       []SizeFinding        `json:"size_mismatches"`
	Overlaps             []OverlapFinding     `json:"overlaps"`
	Duplicates           []OverlapFinding     `json:"duplicates"`
	OutsideProvince      []ProvinceFinding    `json:"outside_province"`
	NoProvinceBoundary   []string             `json:"no_province_boundary"` // provinces of areas absent from the boundary file
	Stale                []StaleFinding       `json:"stale"`
	ReleasedMoreThanSize []OverReleaseFinding `json:"released_more_than_size"`
	Reconciliation       *Reconciliation      `json:"reconciliation,omitempty"`
}

// Issues counts the findings (reconciliation discrepancies included).
func (r QualityReport) Issues() int {
	n := len(r.WithoutEvidence) + len(r.InvalidGeometry) + len(r.SizeMismatches) + len(r.Overlaps) +
		len(r.Duplicates) + len(r.OutsideProvince) + len(r.Stale) + len(r.ReleasedMoreThanSize)
	if r.Reconciliation != nil {
		n += len(r.Reconciliation.Discrepancies)
	}
	return n
}

// CheckQuality runs the data-quality checks of cfg over the register of n
// (typically projections.Replay of the whole history, which keeps the
// geometries). It does not change n. cfg must be valid.
func CheckQuality(n *projections.National, cfg QualityConfig) QualityReport {
	rep := QualityReport{Areas: len(n.Areas), StaleYears: cfg.StaleYears,
		SizeTolerance: [2]float64{cfg.Size.MinRatio, cfg.Size.MaxRatio}, BoundariesChecked: cfg.Boundaries != nil,
		WithoutEvidence: []AreaRef{}, InvalidGeometry: []GeometryFinding{}, SizeMismatches: []SizeFinding{},
		Overlaps: []OverlapFinding{}, Duplicates: []OverlapFinding{}, OutsideProvince: []ProvinceFinding{},
		NoProvinceBoundary: []string{}, Stale: []StaleFinding{}, ReleasedMoreThanSize: []OverReleaseFinding{}}
	areas := make([]*projections.AreaRow, 0, len(n.Areas))
	for _, a := range n.Areas {
		areas = append(areas, a)
	}
	sort.Slice(areas, func(i, j int) bool {
		a, b := areas[i], areas[j]
		if a.Province != b.Province {
			return a.Province < b.Province
		}
		if !a.RegisteredOn.Time().Equal(b.RegisteredOn.Time()) {
			return a.RegisteredOn.Before(b.RegisteredOn)
		}
		return a.ID.String() < b.ID.String()
	})
	var latest events.Date
	for _, a := range areas {
		if a.LastActivityOn.After(latest) {
			latest = a.LastActivityOn
		}
	}
	if !latest.IsZero() {
		rep.LatestActivityOn = latest.String()
	}
	var cut events.Date
	if cfg.StaleYears > 0 && !latest.IsZero() {
		cut = events.NewDate(latest.Year()-cfg.StaleYears, latest.Time().Month(), latest.Time().Day())
	}
	byID := map[uuid.UUID]*projections.AreaRow{}
	var shapes []Shape
	noBoundary := map[string]bool{}
	for _, a := range areas {
		byID[a.ID] = a
		ref := refOf(a)
		if a.EvidenceCount == 0 {
			rep.WithoutEvidence = append(rep.WithoutEvidence, ref)
		}
		released := a.CancelledNTSM2 + a.CancelledDeskM2 + a.ReducedM2 + a.ClearedM2 - a.ReopenedM2
		if released > a.SizeM2 {
			rep.ReleasedMoreThanSize = append(rep.ReleasedMoreThanSize, OverReleaseFinding{ref, released})
		}
		if !cut.IsZero() && a.RemainingM2 > 0 && a.LastActivityOn.Before(cut) {
			rep.Stale = append(rep.Stale, StaleFinding{ref, a.LastActivityOn.String()})
		}
		g, probs := CheckGeometry(a.Geometry)
		if g == nil && len(probs) == 0 {
			continue // no geometry recorded
		}
		rep.AreasWithGeometry++
		if len(probs) > 0 {
			rep.InvalidGeometry = append(rep.InvalidGeometry, GeometryFinding{ref, probs})
			continue
		}
		if c, bad := SizeMismatch(a.SizeM2, AreaM2(g), cfg.Size); bad {
			rep.SizeMismatches = append(rep.SizeMismatches, SizeFinding{ref, c})
		}
		if cfg.Boundaries != nil {
			in, known := InProvince(g, cfg.Boundaries, a.Province)
			switch {
			case !known:
				noBoundary[a.Province] = true
			case !in:
				rep.OutsideProvince = append(rep.OutsideProvince, ProvinceFinding{ref, ProvinceAt(g, cfg.Boundaries)})
			}
		}
		shapes = append(shapes, Shape{a.ID, g})
	}
	for p := range noBoundary {
		rep.NoProvinceBoundary = append(rep.NoProvinceBoundary, p)
	}
	sort.Strings(rep.NoProvinceBoundary)
	for _, o := range FindOverlaps(shapes) {
		f := OverlapFinding{refOf(byID[o.A]), refOf(byID[o.B]), o.ShareA, o.ShareB, o.OverlapM2, o.Identical}
		if o.Duplicate {
			rep.Duplicates = append(rep.Duplicates, f)
		} else {
			rep.Overlaps = append(rep.Overlaps, f)
		}
	}
	return rep
}
