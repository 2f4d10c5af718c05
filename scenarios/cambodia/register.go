package cambodia

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/scenarios/cambodia/boundaries"
)

// registration is an area to register, with the error its record may carry.
type registration struct {
	cmd domain.RegisterSuspectedArea
	fix *fix // the correction that follows a registration error
}

// fix is a correction of an area record.
type fix struct {
	a      *area
	year   int
	on     events.Date // zero: early in year
	cmd    domain.CorrectAreaRecord
	actor  string
	unitHa float64 // > 0: the unit-error fix
}

// discovery is new contamination registered during a year.
type discovery struct {
	province string
	on       events.Date
	size     int64
}

// drawDiscoveries draws the new contamination of every year up front, so that
// the migrated register can be sized for it.
func (g *gen) drawDiscoveries() {
	b := g.spec.Behaviour
	for y := g.spec.History.From.Year(); y <= g.spec.History.To.Year(); y++ {
		sizes := g.sizes(b.DiscoveredAreasPerYear, b.DiscoveryKm2PerYear*1e6)
		for _, size := range sizes {
			p := g.provinceByStock()
			g.found = append(g.found, discovery{province: p, size: size,
				on: g.between(events.NewDate(y, time.January, 15), events.NewDate(y, time.December, 15))})
		}
	}
}

// provinceByStock draws a province weighted by its contamination.
func (g *gen) provinceByStock() string {
	total := 0.0
	for _, p := range g.spec.Provinces {
		total += p.TotalKm2
	}
	u := g.rng.Float64() * total
	for _, p := range g.spec.Provinces {
		u -= p.TotalKm2
		if u < 0 {
			return p.Name
		}
	}
	return g.spec.Provinces[len(g.spec.Provinces)-1].Name
}

// registrationTargets returns the area, in m², to register per province and
// class when the database is migrated, so that after the releases planned
// before stock_on the stock equals the province table.
func (g *gen) registrationTargets() (cha, sha map[string]float64) {
	cha, sha = make(map[string]float64), make(map[string]float64)
	for _, p := range g.spec.Provinces {
		cha[p.Name] = p.CHAKm2 * 1e6
		sha[p.Name] = p.SHAKm2 * 1e6
	}
	confirmShare := 1 - g.spec.Behaviour.NTSCancelShare
	for y := g.spec.History.From.Year(); y < g.spec.History.StockOn.Year(); y++ {
		for _, pp := range g.releasePlan(y) {
			for _, w := range pp.work {
				cha[pp.province] += w.worked
			}
			cha[pp.province] -= confirmShare * pp.nts
			sha[pp.province] += pp.nts + pp.desk
		}
	}
	for _, d := range g.found {
		if d.on.Before(g.spec.History.StockOn.Date) {
			sha[d.province] -= float64(d.size)
		}
	}
	for _, p := range g.spec.Provinces {
		cha[p.Name] = math.Max(cha[p.Name], p.CHAKm2*1e6/2)
		sha[p.Name] = math.Max(sha[p.Name], p.SHAKm2*1e6/2)
	}
	return cha, sha
}

// migrate registers the national database over the first year of the
// history: the province table's polygons, sized for the releases to come.
func (g *gen) migrate() {
	chaT, shaT := g.registrationTargets()
	from := g.spec.History.From.Date
	u := g.spec.Corrections.UnitError
	var regs []registration
	for i := range g.spec.Provinces {
		p := &g.spec.Provinces[i]
		first := len(regs)
		for _, class := range []events.Classification{events.CHA, events.SHA} {
			n, total := p.CHAAreas, chaT[p.Name]
			if class == events.SHA {
				n, total = p.SHAAreas, shaT[p.Name]
			}
			unit := class == events.CHA && p.Name == u.Province && u.Hectares > 0 && n > 0
			var sizes []int64
			if unit {
				sizes = append([]int64{int64(u.Hectares * 1e4)}, g.sizes(n-1, total-u.Hectares*1e4)...)
			} else {
				sizes = g.sizes(n, total)
			}
			for k, size := range sizes {
				// Most of the register is migrated early in the year, district by district.
				on := from.AddDays(int(math.Pow(g.rng.Float64(), 1.5) * 300))
				cmd := g.newArea(p, class, size, on, g.spec.Behaviour.EvidenceShare)
				cmd.Source = "BLS"
				if g.chance(0.15) {
					cmd.Source = "NTS"
				}
				r := registration{cmd: cmd}
				if unit && k == 0 {
					r.cmd.RegisteredOn = g.between(from, u.CorrectedOn.AddDays(-30))
					r.cmd.SizeM2 = int64(u.Hectares)
					r.fix = &fix{year: from.Year(), on: u.CorrectedOn.Date, actor: "cmaa", unitHa: u.Hectares,
						cmd: domain.CorrectAreaRecord{SizeM2: ptr(size), Reason: fmt.Sprintf(
							"unit error: the size was entered in hectares (%g) instead of m²; corrected to %d m²", u.Hectares, size)}}
				}
				regs = append(regs, r)
			}
		}
		g.spreadCasualties(regs[first:], p.Casualties2020*5)
	}
	g.misrecord(regs)
	slices.SortStableFunc(regs, func(x, y registration) int {
		return x.cmd.RegisteredOn.Time().Compare(y.cmd.RegisteredOn.Time())
	})
	for _, r := range regs {
		a := g.register(r.cmd)
		if a != nil && r.fix != nil {
			r.fix.a = a
			g.fixes = append(g.fixes, *r.fix)
		}
	}
}

// newArea returns a registration of an area of a province. The caller sets
// the source.
func (g *gen) newArea(p *Province, class events.Classification, size int64, on events.Date, evidenceShare float64) domain.RegisterSuspectedArea {
	b := g.spec.Behaviour
	pl := g.place(p)
	cmd := domain.RegisterSuspectedArea{
		Province: p.Name, District: pl.district, Commune: pl.commune, Village: pl.village,
		Hazard: events.Hazard(g.pick(p.Hazards)), Classification: string(class), SizeM2: size,
		RegisteredOn: on, LandUse: events.LandUse(g.pick(g.spec.LandUse)),
		CommunityRequest: g.chance(b.CommunityRequestShare),
	}
	if g.chance(evidenceShare) {
		cmd.Evidence = []events.Evidence{g.evidence(class, events.NewDate(2009, time.June, 1), on)}
	}
	if g.chance(b.GeometryShare) {
		cmd.Geometry = g.square(p, size)
	}
	return cmd
}

// register emits a registration and keeps the area.
func (g *gen) register(cmd domain.RegisterSuspectedArea) *area {
	ref, ok := g.try(cmd, mapu(cmd.Province))
	if !ok {
		return nil
	}
	a := &area{ref: ref, province: cmd.Province, hazard: cmd.Hazard, last: cmd.RegisteredOn,
		place: place{cmd.District, cmd.Commune, cmd.Village}}
	g.areas = append(g.areas, a)
	g.byProv[a.province] = append(g.byProv[a.province], a)
	return a
}

// place draws a district, and mostly a commune and village, of a province.
func (g *gen) place(p *Province) place {
	d := p.Districts[g.rng.IntN(len(p.Districts))]
	pl := place{district: d.Name}
	if len(d.Communes) > 0 && g.chance(0.9) {
		c := d.Communes[g.rng.IntN(len(d.Communes))]
		pl.commune = c.Name
		if len(c.Villages) > 0 {
			pl.village = c.Villages[g.rng.IntN(len(c.Villages))]
		}
	}
	return pl
}

var (
	indirect = []struct {
		kind events.EvidenceKind
		what []string
	}{
		{"WITNESS", []string{"villagers report mines laid along the former front line", "villagers have avoided the land since an accident in the 1990s", "a former soldier points out a laid minefield"}},
		{"MILITARY_RECORD", []string{"K5 mine belt segment in the former RCAF records", "minefield record of a former defensive position"}},
		{"SURVEY", []string{"baseline survey polygon", "baseline survey polygon, scattered mines"}},
	}
	direct = []struct {
		kind events.EvidenceKind
		what []string
	}{
		{"ACCIDENT", []string{"AP mine accident: a farmer injured while clearing land", "a cow killed by an AP mine", "AP mine accident while collecting firewood"}},
		{"DEVICE_FOUND", []string{"PMN-2 found by villagers", "Type 72A found during a survey visit", "POMZ-2 stake mine found at the field edge", "PMN found near the track"}},
	}
)

// evidence returns evidence of the class's kind observed in [lo, hi].
func (g *gen) evidence(class events.Classification, lo, hi events.Date) events.Evidence {
	list := indirect
	if class == events.CHA {
		list = direct
	}
	k := list[g.rng.IntN(len(list))]
	return events.Evidence{Kind: k.kind, ObservedOn: g.between(lo, hi), Description: k.what[g.rng.IntN(len(k.what))]}
}

// square returns a GeoJSON square of the given area near a province's
// centre and inside the province's boundary (package boundaries) where it
// has one. The offset from the centre is drawn as always (two draws, so
// the rest of the history does not depend on the boundaries) and halved
// until the square fits; a square that does not fit even at the centre is
// moved outward, ring by ring of its own size, to the first place that
// does. A province without a boundary keeps the drawn square.
func (g *gen) square(p *Province, size int64) json.RawMessage {
	j := g.spec.Behaviour.GeometryJitterDeg
	u, v := g.rng.Float64()*2-1, g.rng.Float64()*2-1
	c := p.Centre
	side := math.Sqrt(float64(size))
	at := func(lon, lat float64) [4]orb.Point {
		dLat := side / 110574
		dLon := side / (111320 * math.Cos(lat*math.Pi/180))
		return [4]orb.Point{{lon, lat}, {lon + dLon, lat}, {lon + dLon, lat + dLat}, {lon, lat + dLat}}
	}
	sq := at(c.Lon+v*j, c.Lat+u*j)
	if _, known := boundaries.Contains(p.Name); known {
		sq = fitSquare(p.Name, c, u, v, j, side, at)
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 6, 64) }
	x0, y0, x1, y1 := f(sq[0][0]), f(sq[0][1]), f(sq[2][0]), f(sq[2][1])
	return json.RawMessage(`{"type":"Polygon","coordinates":[[[` + x0 + `,` + y0 + `],[` + x1 + `,` + y0 + `],[` +
		x1 + `,` + y1 + `],[` + x0 + `,` + y1 + `],[` + x0 + `,` + y0 + `]]]}`)
}

// fitSquare places a square of side metres inside province: at the drawn
// offset (u, v) × j from the centre c, halved up to six times, then at the
// centre, then on rings of squares around it. It answers the last try when
// none fits (the demo's test then names the province whose centre is off).
func fitSquare(province string, c LonLat, u, v, j, side float64, at func(lon, lat float64) [4]orb.Point) [4]orb.Point {
	fits := func(sq [4]orb.Point) bool { in, _ := boundaries.Contains(province, sq[:]...); return in }
	// Rounded as the GeoJSON will be, so that what is tested is what is written.
	round := func(sq [4]orb.Point) [4]orb.Point {
		for i := range sq {
			sq[i] = orb.Point{math.Round(sq[i][0]*1e6) / 1e6, math.Round(sq[i][1]*1e6) / 1e6}
		}
		return sq
	}
	for k, s := 0, 1.0; k <= 7; k, s = k+1, s/2 {
		if k == 7 {
			s = 0
		}
		if sq := round(at(c.Lon+v*j*s, c.Lat+u*j*s)); fits(sq) {
			return sq
		}
	}
	stepLat := 1.5 * side / 110574
	stepLon := 1.5 * side / (111320 * math.Cos(c.Lat*math.Pi/180))
	var last [4]orb.Point
	for r := 1; r <= 40; r++ {
		for dx := -r; dx <= r; dx++ {
			for dy := -r; dy <= r; dy++ {
				if max(abs(dx), abs(dy)) != r {
					continue
				}
				last = round(at(c.Lon+float64(dx)*stepLon, c.Lat+float64(dy)*stepLat))
				if fits(last) {
					return last
				}
			}
		}
	}
	return last
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// spreadCasualties gives a province's casualties of the last five years to
// its areas, three times as often to confirmed ones.
func (g *gen) spreadCasualties(regs []registration, n int) {
	if len(regs) == 0 {
		return
	}
	cum := make([]float64, len(regs))
	total := 0.0
	for i, r := range regs {
		w := 1.0
		if r.cmd.Classification == string(events.CHA) {
			w = 3
		}
		total += w
		cum[i] = total
	}
	for range n {
		u := g.rng.Float64() * total
		i, _ := slices.BinarySearch(cum, u)
		regs[min(i, len(regs)-1)].cmd.CasualtiesLast5y++
	}
}

// misrecord puts the spec's district and village errors into some
// registrations and plans their corrections.
func (g *gen) misrecord(regs []registration) {
	c := g.spec.Corrections
	districts, villages := c.Districts, c.Villages
	for _, i := range g.rng.Perm(len(regs)) {
		r := &regs[i]
		if r.fix != nil || (districts == 0 && villages == 0) {
			continue
		}
		p := g.provs[r.cmd.Province]
		switch {
		case districts > 0 && len(p.Districts) > 1:
			wrong := r.cmd.District
			for wrong == r.cmd.District {
				wrong = p.Districts[g.rng.IntN(len(p.Districts))].Name
			}
			fixed := domain.CorrectAreaRecord{District: ptr(r.cmd.District),
				Reason: fmt.Sprintf("registered under %s district by mistake; district, commune and village checked against the gazetteer", wrong)}
			if r.cmd.Commune != "" {
				fixed.Commune = ptr(r.cmd.Commune)
			}
			if r.cmd.Village != "" {
				fixed.Village = ptr(r.cmd.Village)
			}
			r.fix = &fix{year: c.Year, actor: mapu(p.Name), cmd: fixed}
			r.cmd.District, r.cmd.Commune, r.cmd.Village = wrong, "", ""
			districts--
		case villages > 0 && r.cmd.Village != "":
			vs := communeOf(p, r.cmd.District, r.cmd.Commune).Villages
			if len(vs) < 2 {
				continue
			}
			wrong := r.cmd.Village
			for wrong == r.cmd.Village {
				wrong = vs[g.rng.IntN(len(vs))]
			}
			r.fix = &fix{year: c.Year, actor: mapu(p.Name), cmd: domain.CorrectAreaRecord{Village: ptr(r.cmd.Village),
				Reason: fmt.Sprintf("village entered as %s; the polygon lies in %s (MAPU field check)", wrong, r.cmd.Village)}}
			r.cmd.Village = wrong
			villages--
		}
	}
}

func communeOf(p *Province, district, commune string) Commune {
	for _, d := range p.Districts {
		if d.Name == district {
			for _, c := range d.Communes {
				if c.Name == commune {
					return c
				}
			}
		}
	}
	return Commune{}
}

// correct emits the corrections due in year y, early in the year.
func (g *gen) correct(y int) {
	for i := range g.fixes {
		f := &g.fixes[i]
		if f.year != y {
			continue
		}
		on := f.on
		if on.IsZero() {
			on = g.between(maxDate(f.a.last.AddDays(1), jan1(y)), events.NewDate(y, time.March, 31))
		}
		on = maxDate(on, f.a.last)
		cmd := f.cmd
		cmd.AreaID, cmd.On = f.a.ref.ID, on
		g.act(f.a, on, cmd, f.actor)
	}
}

// discover registers the year's new contamination.
func (g *gen) discover(y int) {
	var regs []domain.RegisterSuspectedArea
	for _, d := range g.found {
		if d.on.Year() != y {
			continue
		}
		cmd := g.newArea(g.provs[d.province], events.SHA, d.size, d.on, 0)
		cmd.Source = []events.Source{"COMMUNITY", "COMMUNITY", "OPERATOR", "NTS"}[g.rng.IntN(4)]
		cmd.Evidence = []events.Evidence{{Kind: "WITNESS", ObservedOn: g.between(d.on.AddDays(-60), d.on),
			Description: "new contamination reported: villagers found mines while clearing new farmland"}}
		regs = append(regs, cmd)
	}
	g.registerAll(regs)
}

// resurvey registers the BLS re-survey batch; some of it without evidence.
func (g *gen) resurvey() {
	r := g.spec.Resurvey
	y := r.Year
	sizes := g.sizes(r.Areas, float64(r.Areas)*r.AvgHa*1e4)
	regs := make([]domain.RegisterSuspectedArea, len(sizes))
	var shas []int
	for i, size := range sizes {
		p := g.provs[g.provinceByStock()]
		class := events.SHA
		if g.chance(r.CHAShare) {
			class = events.CHA
		}
		on := g.between(events.NewDate(y, time.February, 1), events.NewDate(y, time.November, 30))
		regs[i] = g.newArea(p, class, size, on, 1)
		regs[i].Source = "BLS"
		if class == events.SHA {
			shas = append(shas, i)
		}
	}
	// The concern about the re-survey: not every new area is evidence-based.
	bare := int(math.Round(float64(len(regs)) * r.WithoutEvidenceShare))
	order := append(g.permOf(shas), g.permOf(others(len(regs), shas))...)
	for _, i := range order[:min(bare, len(order))] {
		regs[i].Evidence = nil
	}
	g.registerAll(regs)
}

func (g *gen) permOf(idx []int) []int {
	out := make([]int, len(idx))
	for i, j := range g.rng.Perm(len(idx)) {
		out[i] = idx[j]
	}
	return out
}

func others(n int, idx []int) []int {
	var out []int
	for i := range n {
		if !slices.Contains(idx, i) {
			out = append(out, i)
		}
	}
	return out
}

// registerAll emits registrations in date order.
func (g *gen) registerAll(regs []domain.RegisterSuspectedArea) {
	slices.SortStableFunc(regs, func(x, y domain.RegisterSuspectedArea) int {
		return cmp.Compare(x.RegisteredOn.Time().Unix(), y.RegisteredOn.Time().Unix())
	})
	for _, r := range regs {
		g.register(r)
	}
}

func ptr[T any](v T) *T { return &v }
