package cambodia

import (
	"time"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Access-restricted border land. The Thai border provinces of the north
// keep land whose survey and clearance await a bilateral mechanism (DOMAIN.md:
// "newly discovered contamination ... along the Thai border"; the seed
// recommends concluding one). The demo marks about restrictedShare of the
// open area of those provinces as restricted at the end of its history
// [I: the share, the provinces and the dates are invented; no source gives
// them], with an expected opening one or two years after the end of the
// history (a restriction without a date would keep the demo's forecast
// from ever completing); one restriction is lifted again. It runs after every year's work, so it changes nothing else in the
// history (command IDs are derived from the index, and it draws no random
// numbers).
var borderProvinces = []string{"Oddar Meanchey", "Preah Vihear", "Banteay Meanchey"} // [I]

const (
	restrictedShare   = 0.10 // [I]
	restrictionReason = "Thai border: survey and clearance await a bilateral mechanism"
)

func (g *gen) restrictBorder() {
	last := g.spec.History.To.Year()
	expected := []events.Date{events.NewDate(last+2, time.January, 1), events.NewDate(last+3, time.January, 1)} // [I]
	n := 0
	for _, prov := range borderProvinces {
		var open int64
		for _, a := range g.byProv[prov] {
			if s := g.state(a); !s.Released() {
				open += s.RemainingM2
			}
		}
		var done int64
		for _, a := range g.byProv[prov] {
			s := g.state(a)
			if s.Released() || a.reserved || s.Restricted || float64(done) >= restrictedShare*float64(open) {
				continue
			}
			on := maxDate(a.last, events.NewDate(last, time.December, 1))
			cmd := domain.RestrictAccess{AreaID: a.ref.ID, On: on, Reason: restrictionReason, ExpectedUntil: expected[n%2]}
			actor := "cmaa"
			if n%3 == 1 {
				actor = mapu(prov)
			}
			if !g.act(a, on, cmd, actor) {
				continue
			}
			n++
			if n == 1 {
				lift := maxDate(on, events.NewDate(last, time.December, 20))
				if g.act(a, lift, domain.LiftAccessRestriction{AreaID: a.ref.ID, On: lift,
					Reason: "joint survey with the Thai side agreed for this site"}, mapu(prov)) {
					continue // lifted: its area is not counted as restricted
				}
			}
			done += s.RemainingM2
		}
	}
}
