package synth_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// (Here rather than in domain: the heart's tests do not import the
// scenarios built on it.) Every area state of a mixed national history (registrations, evidence,
// cancellations, reductions, clearances, reclassifications, reopenings,
// tasks) comes back from its compact form equal, field by
// field.
func TestAreaCompactFormRoundTrips(t *testing.T) {
	if n := reflect.TypeFor[domain.Area]().NumField(); n != domain.AreaCompactFields {
		t.Fatalf("Area has %d fields, the compact form covers %d: extend AppendCompact and DecodeCompactArea", n, domain.AreaCompactFields)
	}
	cfg := synth.National(7, 0.5)
	g := synth.New(cfg)
	g.Setup()
	for i := 0; i < cfg.Commands; i++ {
		if i%3 == 0 {
			g.Register()
		} else {
			g.Act()
		}
	}
	var n, restricted, tasked, worked int
	buf := []byte(nil)
	g.EachState(func(ref events.Ref, s domain.State) {
		a, ok := s.(domain.Area)
		if !ok {
			return
		}
		n++
		if a.Restricted || !a.RestrictedSince.IsZero() {
			restricted++
		}
		if len(a.Deployments) > 0 {
			tasked++
		}
		if len(a.Workers) > 0 {
			worked++
		}
		buf = a.AppendCompact(buf[:0])
		back, err := domain.DecodeCompactArea(buf)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if !reflect.DeepEqual(a, back) {
			t.Fatalf("%s: compact form changed the state\nbefore %+v\nafter  %+v", ref, a, back)
		}
	})
	if n < 1000 || tasked == 0 || worked == 0 { // the synthetic history restricts no area: the full area below does
		t.Fatalf("the history did not cover the fields: %d areas, %d restricted, %d tasked, %d worked", n, restricted, tasked, worked)
	}
	t.Logf("%d areas (%d restricted, %d tasked, %d with workers); last compact form %d bytes", n, restricted, tasked, worked, len(buf))

	// Every field set (a restriction too), dates before 1970 and far ahead;
	// a cut form is refused.
	full := domain.Area{ID: uuid.New(), Registered: true, Province: "Pailin", District: "Sala Krau", Commune: "Stueng Kach",
		Village: "O Ta Puk", Hazard: events.HazardAP, Class: events.CHA, SizeM2: 1 << 40, RemainingM2: -5, CancelledM2: 3,
		ReducedM2: 4, ClearedM2: 5, ReopenedM2: 6, RegisteredOn: events.MustDate("1969-12-31"), LastOn: events.MustDate("2026-02-28"),
		EvidenceCount: 7, DirectEvidence: 2, LandUse: "FOREST", GeometryHash: ^uint64(0), Deployments: []uuid.UUID{uuid.New(), uuid.New()},
		Workers: []string{"HALO", "CMAC"}, CasualtiesLast5y: 9, Restricted: true, RestrictedSince: events.MustDate("0001-01-02"),
		RestrictedUntil: events.MustDate("9999-12-31"), RestrictionReason: "military zone"}
	back, err := domain.DecodeCompactArea(full.AppendCompact(nil))
	if err != nil || !reflect.DeepEqual(full, back) {
		t.Fatalf("full area: %v\nbefore %+v\nafter  %+v", err, full, back)
	}
	enc := full.AppendCompact(nil)
	for cut := 0; cut < len(enc); cut++ {
		if _, err := domain.DecodeCompactArea(enc[:cut]); err == nil {
			t.Fatalf("a compact form cut to %d of %d bytes decoded", cut, len(enc))
		}
	}
}
