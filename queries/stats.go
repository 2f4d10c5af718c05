package queries

import (
	"context"
	"sort"

	"github.com/landrelease/landrelease/projections"
)

// StatRow is one row of the land-release statistics: a year, province,
// operator and method.
type StatRow struct {
	Year             int    `json:"year"`
	Province         string `json:"province"`
	Operator         string `json:"operator"`
	Method           string `json:"method"`
	AreaM2           int64  `json:"area_m2"`
	Events           int64  `json:"events"`
	EvidenceM2       int64  `json:"with_evidence_m2"`
	EvidenceAreas    int64  `json:"with_evidence_areas"`
	APMinesDestroyed int64  `json:"ap_mines_destroyed"`
	ATMinesDestroyed int64  `json:"at_mines_destroyed"`
	ERWDestroyed     int64  `json:"erw_destroyed"`
	Deminers         int64  `json:"deminers"`
	Women            int64  `json:"women"`
}

// Statistics is the document of `stats --json`; GET /api/v1/stats answers
// its rows alone.
type Statistics struct {
	Statistics []StatRow `json:"statistics"`
}

// StatRows are the statistics of the fold, optionally of one year and
// province, in key order (never nil).
func StatRows(fold *projections.National, q StatsQuery) []StatRow {
	keys := make([]projections.StatKey, 0, len(fold.Stats))
	for k := range fold.Stats {
		if (q.Year == 0 || k.Year == q.Year) && (q.Province == "" || k.Province == q.Province) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	rows := make([]StatRow, 0, len(keys))
	for _, k := range keys {
		s := fold.Stats[k]
		rows = append(rows, StatRow{k.Year, k.Province, k.Operator, k.Method, s.AreaM2, s.Events, s.EvidenceM2,
			s.EvidenceAreas, s.APMinesDestroyed, s.ATMinesDestroyed, s.ERWDestroyed, s.Deminers, s.Women})
	}
	return rows
}

// Stats answers the statistics rows of the live fold.
func (r *Reads) Stats(_ context.Context, q StatsQuery) ([]StatRow, error) {
	var rows []StatRow
	r.Fold.View(func(n *projections.National) { rows = StatRows(n, q) })
	return rows, nil
}
