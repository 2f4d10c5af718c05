package exchange

import "math"

// Size mismatch kinds.
const (
	SizeOK           = ""                    // within tolerance
	SizeMismatchKind = "SIZE_MISMATCH"       // stated size and geometry disagree
	SizeHectaresAsM2 = "UNIT_HECTARES_AS_M2" // stated ≈ geometry / 10,000: hectares typed into an m² field
	SizeM2AsHectares = "UNIT_M2_AS_HECTARES" // stated ≈ geometry × 10,000: m² typed into a hectares field, then converted
	m2PerHectare     = 10_000
)

// SizeTolerance says how far a stated size may differ from the area of the
// area's geometry before it is flagged.
//
// Sketched polygons of hazard areas are rough, and a stated size is often
// an estimate that a later survey corrects, so the default band is wide:
// a stated size between half and twice the geometry's area passes
// (ratio stated/geometry in [0.5, 2]). A ratio within the same band of
// 10⁻⁴ or 10⁴ is the classic unit error of IMSMA data (hectares entered as
// m², or the reverse) and is named as such.
type SizeTolerance struct {
	MinRatio float64 // lowest accepted stated/geometry ratio
	MaxRatio float64 // highest accepted stated/geometry ratio
	// MinGeometryM2: geometries smaller than this are not compared (a
	// point buffered into a tiny square says nothing about the size).
	MinGeometryM2 float64
}

// DefaultSizeTolerance is [0.5, 2], geometries of 1 m² or more.
func DefaultSizeTolerance() SizeTolerance {
	return SizeTolerance{MinRatio: 0.5, MaxRatio: 2, MinGeometryM2: 1}
}

// SizeCheck is the comparison of a stated size with its geometry.
type SizeCheck struct {
	StatedM2   int64   `json:"stated_m2"`
	GeometryM2 float64 `json:"geometry_m2"`
	Ratio      float64 `json:"ratio"`          // stated / geometry
	Kind       string  `json:"kind,omitempty"` // one of the Size* kinds; empty when within tolerance
}

// SizeMismatch compares a stated size with the geometry's area under tol.
// It returns the comparison and whether it is flagged. Nothing is flagged
// when the geometry is smaller than tol.MinGeometryM2; a stated size of 0
// with a real geometry is a mismatch.
func SizeMismatch(statedM2 int64, geometryM2 float64, tol SizeTolerance) (SizeCheck, bool) {
	c := SizeCheck{StatedM2: statedM2, GeometryM2: math.Round(geometryM2*10) / 10}
	if geometryM2 < tol.MinGeometryM2 || geometryM2 <= 0 {
		return c, false
	}
	r := float64(statedM2) / geometryM2
	c.Ratio = r
	within := func(r float64) bool { return r >= tol.MinRatio && r <= tol.MaxRatio }
	switch {
	case within(r):
		return c, false
	case within(r * m2PerHectare):
		c.Kind = SizeHectaresAsM2
	case within(r / m2PerHectare):
		c.Kind = SizeM2AsHectares
	default:
		c.Kind = SizeMismatchKind
	}
	return c, true
}
