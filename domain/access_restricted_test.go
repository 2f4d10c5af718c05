package domain_test

import (
	"errors"
	"testing"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func restricted(on, until string) events.AccessRestricted {
	r := events.AccessRestricted{AreaID: areaID, On: date(on), Reason: "Thai border: awaits a bilateral mechanism"}
	if until != "" {
		r.ExpectedUntil = date(until)
	}
	return r
}

func TestRestrictAccess(t *testing.T) {
	border := "Thai border: awaits a bilateral mechanism"
	runStories(t, []story{
		{
			name:  "an open area is restricted with a reason and an expected date",
			given: []events.Event{registered(100_000)},
			when:  domain.RestrictAccess{AreaID: areaID, On: date("2021-01-15"), Reason: border, ExpectedUntil: date("2027-01-01")},
			then:  []events.Event{restricted("2021-01-15", "2027-01-01")},
			state: func(t *testing.T, s domain.State) {
				a := area(t, s)
				if !a.Restricted || a.RestrictedSince != date("2021-01-15") || a.RestrictedUntil != date("2027-01-01") || a.RestrictionReason != border {
					t.Errorf("restriction on the state: %+v", a)
				}
				if a.RemainingM2 != 100_000 || a.Status() != events.StatusSHA {
					t.Errorf("a restriction changed the accounting: %d m² %s", a.RemainingM2, a.Status())
				}
			},
		},
		{
			name:  "the expected date is optional",
			given: []events.Event{registered(100_000)},
			when:  domain.RestrictAccess{AreaID: areaID, On: date("2021-01-15"), Reason: border},
			then:  []events.Event{restricted("2021-01-15", "")},
		},
		{
			name:  "a partly cleared area can be restricted",
			given: partlyCleared(),
			when:  domain.RestrictAccess{AreaID: areaID, On: today, Reason: border},
			then:  []events.Event{events.AccessRestricted{AreaID: areaID, On: today, Reason: border}},
		},
		{
			name:    "an area already restricted is refused naming area_id",
			given:   []events.Event{registered(100_000), restricted("2021-01-15", "")},
			when:    domain.RestrictAccess{AreaID: areaID, On: date("2022-01-15"), Reason: border},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "a RELEASED area is refused",
			given:   released(),
			when:    domain.RestrictAccess{AreaID: areaID, On: today, Reason: border},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "an unknown area is refused",
			when:    domain.RestrictAccess{AreaID: areaID, On: today, Reason: border},
			refused: refused(domain.ErrNotFound, "area_id"),
		},
		{
			name:    "a reason is required",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, On: today},
			refused: refused(domain.ErrInvalid, "reason"),
		},
		{
			name:    "on is required",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, Reason: border},
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "on in the future is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, On: tomorrow, Reason: border},
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "on before registration is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, On: dayBefore, Reason: border},
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "an expected date not after on is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, On: date("2021-01-15"), Reason: border, ExpectedUntil: date("2021-01-15")},
			refused: refused(domain.ErrInvalid, "expected_until"),
		},
		{
			name:    "an expected date beyond the domain's bounds is refused",
			given:   []events.Event{registered(100_000)},
			when:    domain.RestrictAccess{AreaID: areaID, On: date("2021-01-15"), Reason: border, ExpectedUntil: events.NewDate(domain.MaxYear+1, 1, 1)},
			refused: refused(domain.ErrInvalid, "expected_until"),
		},
	})
}

func TestLiftAccessRestriction(t *testing.T) {
	runStories(t, []story{
		{
			name:  "lifting a restriction clears it from the state",
			given: []events.Event{registered(100_000), restricted("2021-01-15", "2027-01-01")},
			when:  domain.LiftAccessRestriction{AreaID: areaID, On: date("2023-03-01"), Reason: "joint survey agreed"},
			then:  []events.Event{events.AccessRestrictionLifted{AreaID: areaID, On: date("2023-03-01"), Reason: "joint survey agreed"}},
			state: func(t *testing.T, s domain.State) {
				a := area(t, s)
				if a.Restricted || !a.RestrictedSince.IsZero() || !a.RestrictedUntil.IsZero() || a.RestrictionReason != "" {
					t.Errorf("restriction left on the state after lifting: %+v", a)
				}
			},
		},
		{
			name:  "the reason is optional, and the area may be restricted again after",
			given: []events.Event{registered(100_000), restricted("2021-01-15", ""), events.AccessRestrictionLifted{AreaID: areaID, On: date("2022-01-01")}, restricted("2022-06-01", "")},
			when:  domain.LiftAccessRestriction{AreaID: areaID, On: today},
			then:  []events.Event{events.AccessRestrictionLifted{AreaID: areaID, On: today}},
		},
		{
			name:    "an unrestricted area is refused naming area_id",
			given:   []events.Event{registered(100_000)},
			when:    domain.LiftAccessRestriction{AreaID: areaID, On: today},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "a lifted restriction cannot be lifted twice",
			given:   []events.Event{registered(100_000), restricted("2021-01-15", ""), events.AccessRestrictionLifted{AreaID: areaID, On: date("2022-01-01")}},
			when:    domain.LiftAccessRestriction{AreaID: areaID, On: today},
			refused: refused(domain.ErrInvalid, "area_id"),
		},
		{
			name:    "lifting before the restriction began is refused naming on",
			given:   []events.Event{registered(100_000), restricted("2021-01-15", "")},
			when:    domain.LiftAccessRestriction{AreaID: areaID, On: date("2021-01-14")},
			refused: refused(domain.ErrInvalid, "on"),
		},
		{
			name:    "lifting in the future is refused",
			given:   []events.Event{registered(100_000), restricted("2021-01-15", "")},
			when:    domain.LiftAccessRestriction{AreaID: areaID, On: tomorrow},
			refused: refused(domain.ErrInvalid, "on"),
		},
	})
}

// Restricting and lifting access is a national or provincial decision:
// admins, planners and the area's MAPU may send them; another province's
// MAPU, operators and analysts may not.
func TestAccessRestrictionRoles(t *testing.T) {
	area, deps := workedArea(t) // a Battambang area
	cmds := []domain.Command{
		domain.RestrictAccess{AreaID: areaID, On: today, Reason: "border"},
		domain.LiftAccessRestriction{AreaID: areaID, On: today},
	}
	for _, cmd := range cmds {
		for _, role := range []string{"admin", "planner", "mapu:Battambang"} {
			if err := domain.Authorize(as(t, role), cmd, area, deps); err != nil {
				t.Errorf("%s by %s: %v", cmd.CommandName(), role, err)
			}
		}
		for _, role := range []string{"mapu:Pailin", "operator:HALO", "analyst"} {
			if err := domain.Authorize(as(t, role), cmd, area, deps); !errors.Is(err, domain.ErrForbidden) {
				t.Errorf("%s by %s: want forbidden, got %v", cmd.CommandName(), role, err)
			}
		}
	}
}
