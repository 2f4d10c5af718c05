package synth_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/queries"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// Over random histories the annual report's figures equal the statistics
// and audit projections of the year (from the fold of the whole history),
// its contamination equals the register as of each 31 December, and the
// two are tied by the accounting identity: end = start + added + corrected
// − released + reopened.
func TestReportEqualsStatisticsAndAudit(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 25; seed++ {
		store := apply(t, synth.Mixed(synth.DefaultConfig(seed, 300)))
		live, err := projections.Replay(ctx, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		for y := 2017; y <= 2022; y++ {
			r, err := queries.BuildReport(ctx, store, queries.ReportQuery{Year: y})
			if err != nil {
				t.Fatalf("seed %d year %d: %v", seed, y, err)
			}
			checkReport(t, ctx, store, live, r, seed, y)
		}
		// The provinces' reports add up to the national one.
		const y = 2020
		nat, _ := queries.BuildReport(ctx, store, queries.ReportQuery{Year: y})
		var released, added, visits int64
		var events int
		for _, p := range synth.Provinces {
			r, err := queries.BuildReport(ctx, store, queries.ReportQuery{Year: y, Province: p})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range r.Contamination.Provinces {
				if c.Province != p {
					t.Fatalf("seed %d: report of %s lists %s", seed, p, c.Province)
				}
			}
			released += r.Release.TotalM2
			added += r.Additions.AreaM2
			visits += int64(r.Indicators.QAVisits)
			events += r.Events.Count
		}
		if released != nat.Release.TotalM2 || added != nat.Additions.AreaM2 || visits != int64(nat.Indicators.QAVisits) {
			t.Fatalf("seed %d: provinces add to released %d added %d visits %d; national %d %d %d", seed, released, added, visits,
				nat.Release.TotalM2, nat.Additions.AreaM2, nat.Indicators.QAVisits)
		}
		if events > nat.Events.Count {
			t.Fatalf("seed %d: provinces count %d events, national %d", seed, events, nat.Events.Count)
		}
	}
}

func checkReport(t *testing.T, ctx context.Context, store projections.Source, live *projections.National, r queries.Report, seed uint64, y int) {
	t.Helper()
	fail := func(what string, got, want any) {
		t.Helper()
		t.Fatalf("seed %d year %d: %s = %v, the projections say %v", seed, y, what, got, want)
	}
	// Statistics of the year.
	by := map[string]queries.StatRow{}
	var deminers, women int64
	for _, s := range queries.StatRows(live, queries.StatsQuery{Year: y}) {
		t := by[s.Method]
		t.AreaM2 += s.AreaM2
		t.Events += s.Events
		t.EvidenceM2 += s.EvidenceM2
		t.EvidenceAreas += s.EvidenceAreas
		t.APMinesDestroyed += s.APMinesDestroyed
		t.ATMinesDestroyed += s.ATMinesDestroyed
		t.ERWDestroyed += s.ERWDestroyed
		by[s.Method] = t
		deminers += s.Deminers
		women += s.Women
	}
	var released int64
	for _, m := range r.Release.Methods {
		if m.AreaM2 != by[m.Method].AreaM2 || m.Events != by[m.Method].Events {
			fail("release "+m.Method, m, by[m.Method])
		}
		released += by[m.Method].AreaM2
	}
	if r.Release.TotalM2 != released {
		fail("release total", r.Release.TotalM2, released)
	}
	cl := by[projections.MethodClearance]
	if r.Devices.APMinesDestroyed != cl.APMinesDestroyed || r.Devices.ATMinesDestroyed != cl.ATMinesDestroyed || r.Devices.ERWDestroyed != cl.ERWDestroyed {
		fail("devices", r.Devices, cl)
	}
	reg := by[projections.MethodRegistered]
	if r.Additions.Areas != reg.Events || r.Additions.AreaM2 != reg.AreaM2 || r.Additions.WithEvidenceAreas != reg.EvidenceAreas || r.Additions.WithEvidenceM2 != reg.EvidenceM2 {
		fail("additions", r.Additions, reg)
	}
	if r.Additions.CorrectionsM2 != by[projections.MethodCorrection].AreaM2 {
		fail("corrections", r.Additions.CorrectionsM2, by[projections.MethodCorrection].AreaM2)
	}
	if r.Changes.ConfirmedM2 != by[projections.MethodConfirmed].AreaM2 {
		fail("confirmed m²", r.Changes.ConfirmedM2, by[projections.MethodConfirmed].AreaM2)
	}
	if r.Capacity.DeployedDeminers != deminers || r.Capacity.DeployedWomen != women {
		fail("deployed", r.Capacity, deminers)
	}
	// Audit trail of the year.
	var confirmed, up, down, reopened int
	var reopenedM2 int64
	for _, a := range live.Audit {
		if a.OccurredOn.Year() != y {
			continue
		}
		switch {
		case a.Action == "CONFIRMED":
			confirmed++
		case a.Action == "RECLASSIFIED" && a.ToClass == "CHA":
			up++
		case a.Action == "RECLASSIFIED":
			down++
		case a.Action == "REOPENED":
			reopened++
			reopenedM2 += a.SizeM2
		}
	}
	c := r.Changes
	if c.ConfirmedAreas != confirmed || c.UpgradedToCHA != up || c.DowngradedToSHA != down || c.Reopenings != reopened || c.ReopenedM2 != reopenedM2 {
		fail("changes", c, []int{confirmed, up, down, reopened})
	}
	if len(c.AuditSequences) != confirmed+up+down+reopened {
		fail("audit sequences", len(c.AuditSequences), confirmed+up+down+reopened)
	}
	if reopenedM2 != by[projections.MethodReopened].AreaM2 {
		fail("reopened m² (audit vs statistics)", reopenedM2, by[projections.MethodReopened].AreaM2)
	}
	// Register as of each 31 December; the audit's evidence share.
	// The register as of each 31 December: the state document's figures,
	// and the accounting identity with the statistics of the same fold.
	remaining := func(d events.Date) (sha, cha, over int64, n *projections.National) {
		n, err := projections.Replay(ctx, store, projections.AsOf(d))
		if err != nil {
			t.Fatal(err)
		}
		var flow int64
		for k, s := range n.Stats {
			switch k.Method {
			case projections.MethodRegistered, projections.MethodCorrection, projections.MethodReopened:
				flow += s.AreaM2
			case projections.MethodNTS, projections.MethodDeskAnalysis, projections.MethodTS, projections.MethodClearance:
				flow -= s.AreaM2
			}
		}
		st := queries.StateOf(queries.State{}, n).National
		sha, cha = st.RemainingSHAM2, st.RemainingCHAM2
		over = sha + cha - st.RemainingM2
		if st.RemainingM2 != flow {
			t.Fatalf("seed %d: register as of %s holds %d m², its statistics %d", seed, d, st.RemainingM2, flow)
		}
		return sha, cha, over, n
	}
	startSHA, startCHA, startOver, _ := remaining(events.NewDate(y-1, time.December, 31))
	endSHA, endCHA, endOver, endFold := remaining(events.NewDate(y, time.December, 31))
	tot := r.Contamination.Total
	if tot.StartSHAM2 != startSHA || tot.StartCHAM2 != startCHA || tot.EndSHAM2 != endSHA || tot.EndCHAM2 != endCHA ||
		tot.StartOverReleasedM2 != startOver || tot.EndOverReleasedM2 != endOver {
		fail("contamination", tot, []int64{startSHA, startCHA, startOver, endSHA, endCHA, endOver})
	}
	// end − start is the year's flow, unless a correction dated in the
	// year was recorded before a correction of the same area dated earlier
	// (a correction sets the size: its delta depends on what was folded
	// before it).
	flow := reg.AreaM2 + by[projections.MethodCorrection].AreaM2 - released + by[projections.MethodReopened].AreaM2
	if end, start := tot.EndSHAM2+tot.EndCHAM2-tot.EndOverReleasedM2, tot.StartSHAM2+tot.StartCHAM2-tot.StartOverReleasedM2; end-start != flow && by[projections.MethodCorrection].Events == 0 {
		fail("end − start", end-start, flow)
	}
	share := queries.EvidenceShareOf(endFold, events.NewDate(y, time.January, 1), events.NewDate(y, time.December, 31))
	if r.Additions.EvidenceByYearEnd != share {
		fail("evidence by year end", r.Additions.EvidenceByYearEnd, share)
	}
	// Funding and milestones.
	var pledged, short int64
	for _, p := range live.Pledges {
		if p.Year == y {
			pledged += p.AmountUSD
		}
	}
	for _, s := range live.Shortfalls {
		if s.Year == y {
			short += s.AmountUSD
		}
	}
	if r.Funding.PledgedUSD != pledged || r.Funding.ShortfallUSD != short || r.Funding.NetUSD != pledged-short {
		fail("funding", r.Funding, []int64{pledged, short})
	}
	for _, m := range r.Milestones.Items {
		if !m.Due {
			continue
		}
		var rel int64
		for k, s := range live.Stats {
			if k.Year == m.Year && (k.Method == projections.MethodNTS || k.Method == projections.MethodDeskAnalysis ||
				k.Method == projections.MethodTS || k.Method == projections.MethodClearance) {
				rel += s.AreaM2
			}
		}
		if m.ReleasedM2 != rel || m.Met != (rel >= m.PlannedReleaseM2) {
			fail("milestone", m, rel)
		}
	}
	// Indicators are the ratios of the figures above.
	nts := by[projections.MethodNTS].AreaM2
	if surveyed := nts + by[projections.MethodConfirmed].AreaM2; surveyed > 0 {
		if got := r.Indicators.NTSCancellation; got == nil || *got != float64(nts)/float64(surveyed) {
			fail("NTS share", got, float64(nts)/float64(surveyed))
		}
	} else if r.Indicators.NTSCancellation != nil {
		fail("NTS share with nothing surveyed", *r.Indicators.NTSCancellation, nil)
	}
	if reg.AreaM2 > 0 && (r.Indicators.EvidenceShare == nil || *r.Indicators.EvidenceShare != float64(reg.EvidenceM2)/float64(reg.AreaM2)) {
		fail("evidence share", r.Indicators.EvidenceShare, float64(reg.EvidenceM2)/float64(reg.AreaM2))
	}
}

// The report of a year before anything happened is empty, not an error.
func TestReportBeforeTheHistoryIsEmpty(t *testing.T) {
	ctx := context.Background()
	store := apply(t, synth.Mixed(synth.DefaultConfig(7, 200)))
	r, err := queries.BuildReport(ctx, store, queries.ReportQuery{Year: 1995})
	if err != nil {
		t.Fatal(err)
	}
	if r.Events.Count != 0 || len(r.Contamination.Provinces) != 0 || r.Release.TotalM2 != 0 || r.Additions.Areas != 0 ||
		r.Changes.Reopenings != 0 || r.Funding.Pledges != 0 || r.Capacity.ActiveDeployments != 0 || r.Indicators.QAVisits != 0 ||
		r.Indicators.EvidenceShare != nil || r.Indicators.NTSCancellation != nil || r.Indicators.TargetsDue != 0 {
		t.Fatalf("report of 1995 is not empty: %+v", r)
	}
}

// The fast path (ReportOfFold: the projections' year-end states and counts,
// what the CLI and the API read) gives the same report as a replay of the
// whole history, nationally and for every province, every year from before
// the history to after it, on random histories (which record corrections
// and other events late, dated in earlier years).
func TestReportFromTheFoldEqualsTheReplay(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 12; seed++ {
		store := apply(t, synth.Mixed(synth.DefaultConfig(seed, 300)))
		live, err := projections.Replay(ctx, store, nil)
		if err != nil {
			t.Fatal(err)
		}
		for y := 2015; y <= 2024; y++ {
			var audit []projections.AuditRow
			for _, a := range live.Audit {
				if a.OccurredOn.Year() == y && (a.Action == "CONFIRMED" || a.Action == "RECLASSIFIED" || a.Action == "REOPENED") {
					audit = append(audit, a)
				}
			}
			for _, p := range append([]string{""}, synth.Provinces...) {
				q := queries.ReportQuery{Year: y, Province: p}
				want, err := queries.BuildReport(ctx, store, q)
				if err != nil {
					t.Fatal(err)
				}
				got := queries.ReportOfFold(live, audit, q)
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Fatalf("seed %d year %d province %q: the fold gives\n%s\nthe replay\n%s", seed, y, p, g, w)
				}
			}
		}
	}
}
