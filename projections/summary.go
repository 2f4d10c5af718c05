package projections

import "sort"

// ProvinceFigures are the land-release figures of one province (or of the
// whole country when Province is "").
type ProvinceFigures struct {
	Province        string `json:"province,omitempty"`
	Areas           int    `json:"areas"`
	OpenAreas       int    `json:"open_areas"`
	OpenSHA         int    `json:"open_sha"`
	OpenCHA         int    `json:"open_cha"`
	RemainingSHAM2  int64  `json:"remaining_sha_m2"`
	RemainingCHAM2  int64  `json:"remaining_cha_m2"`
	RemainingM2     int64  `json:"remaining_m2"`
	CancelledNTSM2  int64  `json:"cancelled_nts_m2"`
	CancelledDeskM2 int64  `json:"cancelled_desk_m2"`
	ReducedM2       int64  `json:"reduced_m2"`
	ClearedM2       int64  `json:"cleared_m2"`
	ReopenedM2      int64  `json:"reopened_m2"`
	NoEvidenceAreas int    `json:"areas_without_evidence"`
	APMines         int    `json:"ap_mines_destroyed"`
	// Open areas whose access is restricted (RestrictAccess) and their
	// remaining area (part of RemainingM2).
	RestrictedAreas int   `json:"restricted_areas"`
	RestrictedM2    int64 `json:"restricted_m2"`
}

func (f *ProvinceFigures) add(a *AreaRow) {
	f.Areas++
	if a.RemainingM2 > 0 {
		f.OpenAreas++
		if a.Classification == "CHA" {
			f.OpenCHA++
			f.RemainingCHAM2 = add(f.RemainingCHAM2, a.RemainingM2)
		} else {
			f.OpenSHA++
			f.RemainingSHAM2 = add(f.RemainingSHAM2, a.RemainingM2)
		}
	}
	f.RemainingM2 = add(f.RemainingM2, a.RemainingM2)
	f.CancelledNTSM2 = add(f.CancelledNTSM2, a.CancelledNTSM2)
	f.CancelledDeskM2 = add(f.CancelledDeskM2, a.CancelledDeskM2)
	f.ReducedM2 = add(f.ReducedM2, a.ReducedM2)
	f.ClearedM2 = add(f.ClearedM2, a.ClearedM2)
	f.ReopenedM2 = add(f.ReopenedM2, a.ReopenedM2)
	f.APMines = addInt(f.APMines, a.APMinesDestroyed)
	if a.EvidenceCount == 0 {
		f.NoEvidenceAreas++
	}
	if a.Restricted() && a.RemainingM2 > 0 {
		f.RestrictedAreas++
		f.RestrictedM2 = add(f.RestrictedM2, a.RemainingM2)
	}
}

// Summary is the national picture by province.
type Summary struct {
	National  ProvinceFigures   `json:"national"`
	Provinces []ProvinceFigures `json:"provinces"`
}

// Summarize computes the national picture from the register.
func Summarize(n *National) Summary {
	by := map[string]*ProvinceFigures{}
	var s Summary
	for _, a := range n.Areas {
		f := by[a.Province]
		if f == nil {
			f = &ProvinceFigures{Province: a.Province}
			by[a.Province] = f
		}
		f.add(a)
		s.National.add(a)
	}
	for _, f := range by {
		s.Provinces = append(s.Provinces, *f)
	}
	sort.Slice(s.Provinces, func(i, j int) bool { return s.Provinces[i].Province < s.Provinces[j].Province })
	return s
}

// YearFigures is land released in one year by method, nationally.
type YearFigures struct {
	Year            int   `json:"year"`
	RegisteredM2    int64 `json:"registered_m2"`
	CancelledNTSM2  int64 `json:"cancelled_nts_m2"`
	CancelledDeskM2 int64 `json:"cancelled_desk_m2"`
	ReducedM2       int64 `json:"reduced_m2"`
	ClearedM2       int64 `json:"cleared_m2"`
	ReopenedM2      int64 `json:"reopened_m2"`
	CorrectionM2    int64 `json:"correction_m2"`
	APMines         int64 `json:"ap_mines_destroyed"`
}

// ByYear sums the statistics per year.
func ByYear(stats map[StatKey]*StatRow) []YearFigures {
	by := map[int]*YearFigures{}
	for k, s := range stats {
		y := by[k.Year]
		if y == nil {
			y = &YearFigures{Year: k.Year}
			by[k.Year] = y
		}
		switch k.Method {
		case MethodRegistered:
			y.RegisteredM2 = add(y.RegisteredM2, s.AreaM2)
		case MethodNTS:
			y.CancelledNTSM2 = add(y.CancelledNTSM2, s.AreaM2)
		case MethodDeskAnalysis:
			y.CancelledDeskM2 = add(y.CancelledDeskM2, s.AreaM2)
		case MethodTS:
			y.ReducedM2 = add(y.ReducedM2, s.AreaM2)
		case MethodClearance:
			y.ClearedM2 = add(y.ClearedM2, s.AreaM2)
			y.APMines = add(y.APMines, s.APMinesDestroyed)
		case MethodReopened:
			y.ReopenedM2 = add(y.ReopenedM2, s.AreaM2)
		case MethodCorrection:
			y.CorrectionM2 = add(y.CorrectionM2, s.AreaM2)
		}
	}
	out := make([]YearFigures, 0, len(by))
	for _, y := range by {
		out = append(out, *y)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}
