package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// history is an event history in memory: a projections.Source.
type history []events.Envelope

// Replay calls fn for every event from sequence from on.
func (h history) Replay(ctx context.Context, from uint64, fn func(events.Envelope) error) error {
	if from == 0 {
		from = 1
	}
	for i := int(from) - 1; i < len(h); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(h[i]); err != nil {
			return err
		}
	}
	return nil
}

var provinces = []string{"Banteay Meanchey", "Battambang", "Oddar Meanchey", "Pailin", "Preah Vihear"}

// genHistory returns a deterministic history of about areas×6 events that
// uses every event type the National fold reads: areas registered (with and
// without geometry and evidence), surveyed, cancelled (by NTS and desk
// analysis), reduced, cleared, reclassified, corrected, reopened; capacity,
// funding, the Article 5 deadline and work plans. Timestamps are whole
// microseconds.
func genHistory(seed uint64, areas int) history {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	base := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	var h history
	add := func(on events.Date, data events.Event) {
		seq := uint64(len(h) + 1)
		id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d/%d", seed, seq))
		cmd := uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%d/%d", seed, seq))
		h = append(h, events.Envelope{ID: id, Type: data.EventType(), Schema: data.SchemaVersion(), Sequence: seq,
			OccurredOn: on, RecordedAt: base.Add(time.Duration(seq) * 1517 * time.Microsecond), Actor: "analyst",
			CommandID: cmd, CorrelationID: cmd, CausationID: cmd, BatchEnd: true, Data: data})
	}
	day := func(year int) events.Date { return events.NewDate(year, time.Month(1+r.IntN(12)), 1+r.IntN(28)) }

	add(day(2017), events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2019-12-31"), Reason: "treaty"})
	add(day(2019), events.Article5DeadlineSet{Country: "KH", Deadline: events.MustDate("2025-12-31"),
		PreviousDeadline: events.MustDate("2019-12-31"), Reason: "extension",
		Milestones: []events.Milestone{{Year: 2020, ReleaseM2: 90_000_000}, {Year: 2021, ReleaseM2: 95_000_000}}})
	var deployments []uuid.UUID
	for i, p := range provinces {
		id := uuid.NewSHA1(uuid.NameSpaceDNS, fmt.Appendf(nil, "dep/%d/%d", seed, i))
		deployments = append(deployments, id)
		add(day(2018), events.CapacityDeployed{DeploymentID: id, Operator: []string{"CMAC", "HALO", "MAG"}[i%3], Province: p,
			Method: "MANUAL", Deminers: 50 + 10*i, Women: 5 * i, From: events.MustDate("2018-01-01"),
			To: events.MustDate("2022-12-31"), ProductivityM2PerDeminerDay: 28.5 + float64(i), WorkingDaysPerYear: 220,
			AnnualCostUSD: int64(1_000_000 + 100_000*i)})
		add(day(2019), events.FundingPledged{FundingID: uuid.NewSHA1(uuid.NameSpaceDNS, fmt.Appendf(nil, "fund/%d/%d", seed, i)),
			Donor: "Japan", Year: 2019 + i%3, AmountUSD: int64(500_000 * (i + 1)), Operator: "CMAC", Province: p})
	}
	add(day(2020), events.CapacityWithdrawn{DeploymentID: deployments[1], On: events.MustDate("2020-06-30"), Reason: "funding"})
	add(day(2020), events.FundingShortfallRecorded{Year: 2020, AmountUSD: 400_000, Reason: "pledge not renewed", Operator: "HALO", Province: "Battambang"})

	// Each area's life, as a list of events; lives are interleaved.
	lives := make([][]func(), areas)
	var planned = map[string][]uuid.UUID{}
	for i := range areas {
		id := uuid.NewSHA1(uuid.NameSpaceX500, fmt.Appendf(nil, "area/%d/%d", seed, i))
		prov := provinces[r.IntN(len(provinces))]
		size := int64(1_000 + r.IntN(200_000))
		remaining := size
		class := events.SHA
		if r.IntN(3) == 0 {
			class = events.CHA
		}
		year := 2017 + r.IntN(3)
		reg := events.AreaRegistered{AreaID: id, Province: prov, District: fmt.Sprintf("D%d", r.IntN(9)),
			Commune: fmt.Sprintf("C%d", r.IntN(30)), Village: fmt.Sprintf("V%d", r.IntN(90)), Hazard: "AP",
			Classification: class, SizeM2: size, RegisteredOn: day(year), Source: "BLS", LandUse: "AGRICULTURE",
			CasualtiesLast5y: r.IntN(3), CommunityRequest: r.IntN(2) == 0}
		if r.IntN(4) != 0 {
			reg.Geometry = json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%.5f,%.5f]}`, 102+r.Float64()*3, 12+r.Float64()*2))
		}
		if r.IntN(2) == 0 {
			reg.Evidence = []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: reg.RegisteredOn, Reference: fmt.Sprint("MIS-", i)}}
		}
		life := []func(){func() { add(reg.RegisteredOn, reg) }}
		next := func() events.Date { year += r.IntN(2); return day(min(year, 2021)) }
		if len(planned[prov]) < 5 && r.IntN(3) == 0 {
			planned[prov] = append(planned[prov], id)
		}
		for step := range 2 + r.IntN(5) {
			switch k := r.IntN(10); {
			case k == 0:
				life = append(life, func() {
					on := next()
					add(on, events.EvidenceRecorded{AreaID: id, Evidence: events.Evidence{Kind: "ACCIDENT", ObservedOn: on}})
				})
			case k == 1 && class == events.SHA:
				class = events.CHA
				life = append(life, func() { on := next(); add(on, events.AreaConfirmed{AreaID: id, On: on, SizeM2: size}) })
			case k <= 3 && remaining > 0:
				part := remaining / int64(1+r.IntN(3))
				remaining -= part
				method := events.CancelByNTS
				if r.IntN(4) == 0 {
					method = events.CancelByDeskAnalysis
				}
				life = append(life, func() {
					on := next()
					add(on, events.AreaCancelled{AreaID: id, On: on, Method: method, Reason: "no evidence", SizeM2: part,
						Operator: "CMAC", RemainingM2: remaining})
				})
			case k == 4 && remaining > 0:
				part := remaining / 2
				remaining -= part
				life = append(life, func() {
					on := next()
					add(on, events.AreaReduced{AreaID: id, On: on, SizeM2: part, Operator: "HALO", RemainingM2: remaining})
				})
			case k <= 6 && remaining > 0:
				part := remaining
				remaining = 0
				life = append(life, func() {
					on := next()
					add(on, events.AreaCleared{AreaID: id, On: on, SizeM2: part, Operator: "MAG", APMinesDestroyed: r.IntN(20),
						ATMinesDestroyed: r.IntN(2), ERWDestroyed: r.IntN(9), RemainingM2: remaining})
				})
			case k == 7 && remaining > 0:
				from, to := class, events.SHA
				if from == events.SHA {
					to = events.CHA
				}
				class = to
				life = append(life, func() {
					on := next()
					add(on, events.AreaReclassified{AreaID: id, On: on, From: from, To: to, Reason: "survey"})
				})
			case k == 8:
				newSize := size + int64(r.IntN(1000)) + 1
				remaining += newSize - size
				size = newSize
				set := events.AreaFields{SizeM2: &newSize}
				if step%2 == 0 {
					set.Geometry = json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%.5f,13.0]}`, 103+r.Float64()))
				}
				life = append(life, func() {
					on := next()
					add(on, events.AreaRecordCorrected{AreaID: id, On: on, Reason: "resurvey", Set: set, RemainingM2: remaining})
				})
			case k == 9 && remaining == 0:
				remaining = 500
				life = append(life, func() {
					on := next()
					add(on, events.AreaReopened{AreaID: id, On: on, To: events.CHA, SizeM2: 500, Reason: "device found",
						Evidence: []events.Evidence{{Kind: "DEVICE_FOUND", ObservedOn: on}}, RemainingM2: 500})
				})
			default:
				life = append(life, func() {
					on := next()
					add(on, events.QAVisitRecorded{AreaID: id, On: on, Result: events.QAPass})
				})
			}
		}
		// Access restrictions on every third area (no random draw, so the
		// rest of the history is as before); every sixth is lifted again.
		if i%3 == 0 {
			until := events.Date{}
			if i%2 == 0 {
				until = events.MustDate("2027-01-01")
			}
			life = append(life, func() {
				add(day(2021), events.AccessRestricted{AreaID: id, On: day(2021), Reason: "Thai border", ExpectedUntil: until})
			})
			if i%6 == 3 {
				life = append(life, func() {
					add(day(2021), events.AccessRestrictionLifted{AreaID: id, On: day(2021), Reason: "agreed"})
				})
			}
		}
		lives[i] = life
	}
	for step := 0; ; step++ {
		more := false
		for _, life := range lives {
			if step < len(life) {
				life[step]()
				more = true
			}
		}
		if !more {
			break
		}
	}
	for _, p := range provinces {
		if len(planned[p]) == 0 {
			continue
		}
		add(events.MustDate("2021-01-15"), events.WorkPlanApproved{Province: p, Year: 2021, AreaIDs: planned[p], ApprovedBy: "PMAC", Revision: 1})
		add(events.MustDate("2021-02-01"), events.WorkPlanApproved{Province: p, Year: 2021, AreaIDs: planned[p][:1], ApprovedBy: "PMAC", Revision: 2})
		add(events.MustDate("2021-02-15"), events.WorkPlanEndorsed{Province: p, Year: 2021, EndorsedBy: "CMAA", Revision: 2})
	}
	return h
}

// fold applies h to a new National fold that keeps its audit rows, and
// commits it to s every batch events; it returns the fold, for expectations.
func fold(tb testing.TB, s *Store, h history, batch int) *projections.National {
	tb.Helper()
	n := projections.NewNational()
	n.KeepAudit = true
	for i, e := range h {
		n.Apply(e)
		if (i+1)%batch == 0 || i == len(h)-1 {
			if err := s.Commit(context.Background(), n.Drain()); err != nil {
				tb.Fatalf("Commit at %d: %v", e.Sequence, err)
			}
		}
	}
	return n
}

// drained folds h and returns everything it changed, as one Changes.
func drained(h history) projections.Changes {
	n := projections.NewNational()
	for _, e := range h {
		n.Apply(e)
	}
	return n.Drain()
}
