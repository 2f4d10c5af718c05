package exchange

import (
	"bytes"
	"encoding/json"

	"strconv"
	"strings"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// Changes returns the commands that bring an area already in the register
// (cur, from the read model) to what an areas record says, for a record
// whose registration was already recorded (a re-import, or the import of an
// export): a CorrectAreaRecord with the reason "import" for changed record
// fields, then one release per method for the m² the record gives beyond
// what the register holds. It refuses what an import may not do: change the
// classification (ReclassifyArea needs evidence), or give back released
// land (ReopenArea needs evidence). Nothing to do returns no commands.
func (c *Converter) Changes(row Row, cur projections.AreaRow) ([]domain.CommandEnvelope, []Problem) {
	if len(row.First) == 0 {
		return nil, nil
	}
	reg, ok := row.First[0].Command.(domain.RegisterSuspectedArea)
	if !ok {
		return nil, nil
	}
	p := &rowProblems{}
	class := reg.Classification
	if class == "" {
		class = "SHA"
	}
	if class != cur.Classification {
		p.add("classification", "the register has this area as %s, the file as %s: reclassify with ReclassifyArea and its evidence", cur.Classification, class)
	}
	fix := domain.CorrectAreaRecord{AreaID: row.AreaID, On: c.today(), Reason: "import"}
	var changed []string
	str := func(col string, to, was string, dst **string) {
		if to != was {
			v := to
			*dst = &v
			changed = append(changed, col)
		}
	}
	str("province", reg.Province, cur.Province, &fix.Province)
	str("district", reg.District, cur.District, &fix.District)
	str("commune", reg.Commune, cur.Commune, &fix.Commune)
	str("village", reg.Village, cur.Village, &fix.Village)
	if string(reg.Hazard) != cur.Hazard {
		h := reg.Hazard
		fix.Hazard, changed = &h, append(changed, "hazard")
	}
	if reg.LandUse != "" && string(reg.LandUse) != cur.LandUse {
		l := reg.LandUse
		fix.LandUse, changed = &l, append(changed, "land_use")
	}
	if reg.SizeM2 != cur.SizeM2 {
		s := reg.SizeM2
		fix.SizeM2, changed = &s, append(changed, "estimated_area")
	}
	if len(reg.Geometry) > 0 && !SameGeometry(reg.Geometry, cur.Geometry) {
		fix.Geometry, changed = reg.Geometry, append(changed, "geometry")
	}
	var out []domain.CommandEnvelope
	if len(changed) > 0 {
		// Named by the area and the values set, not the day: the same file
		// imported again the next day is still a duplicate.
		dated := fix
		fix.On = events.Date{}
		body, _ := json.Marshal(fix)
		id := events.NameID("import", strings.ToUpper(c.Country), row.AreaID.String(), "correct", string(body))
		out = append(out, domain.CommandEnvelope{ID: id, Actor: c.actor(), Command: dated})
	}
	have := [4]int64{cur.CancelledNTSM2, cur.CancelledDeskM2, cur.ReducedM2, cur.ClearedM2}
	on := row.releasedOn
	if on.IsZero() {
		on = c.today()
	}
	for i, col := range ReleaseColumns {
		want := row.Released[i]
		switch {
		case want > have[i]:
			out = append(out, c.release(p, row.AreaID, col, want-have[i], want, on, row.operator, false))
		case want < have[i]:
			p.add(col, "the register has %s m² released this way, the file %s m²: an import does not give released land back (ReopenArea with evidence does)",
				strconv.FormatInt(have[i], 10), strconv.FormatInt(want, 10))
		}
	}
	if row.Reopened != cur.ReopenedM2 {
		p.add("reopened_area", "the register has %d m² reopened, the file %d m²: record reopenings with ReopenArea and their evidence", cur.ReopenedM2, row.Reopened)
	}
	// A restriction the register does not have yet is recorded; an import
	// never lifts one (LiftAccessRestriction does).
	if row.Restrict != nil && !cur.Restricted() && cur.RemainingM2 > 0 {
		out = append(out, *row.Restrict)
	}
	if len(p.list) > 0 {
		return nil, p.list
	}
	return out, nil
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y bytes.Buffer
	if json.Compact(&x, a) != nil || json.Compact(&y, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}
