package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

func TestApproveWorkPlan(t *testing.T) {
	open := func(id uuid.UUID, province string) []events.Event {
		e := registered(100_000)
		e.AreaID, e.Province = id, province
		return []events.Event{e}
	}
	areas := map[events.Ref][]events.Event{
		areaRef(areaID):       open(areaID, "Battambang"),
		areaRef(area2ID):      open(area2ID, "Battambang"),
		areaRef(pailinAreaID): open(pailinAreaID, "Pailin"),
	}
	plan := domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, area2ID}, ApprovedBy: "PMAC Battambang"}
	approved := func(rev int, ids ...uuid.UUID) events.WorkPlanApproved {
		return events.WorkPlanApproved{Province: "Battambang", Year: 2021, AreaIDs: ids, ApprovedBy: "PMAC Battambang", Revision: rev}
	}
	runStories(t, []story{
		{
			name:  "the provincial committee approves the MAPU plan: revision 1",
			reads: areas,
			when:  plan,
			then:  []events.Event{approved(1, areaID, area2ID)},
			state: func(t *testing.T, s domain.State) {
				if w := s.(domain.WorkPlan); w.Revision != 1 || w.Endorsed || len(w.AreaIDs) != 2 {
					t.Errorf("work plan %+v", w)
				}
			},
		},
		{
			name:  "approving again before endorsement is a revision",
			given: []events.Event{approved(1, areaID)},
			reads: areas,
			when:  plan,
			then:  []events.Event{approved(2, areaID, area2ID)},
		},
		{
			name:    "an endorsed plan cannot be revised",
			given:   []events.Event{approved(1, areaID), events.WorkPlanEndorsed{Province: "Battambang", Year: 2021, Revision: 1}},
			reads:   areas,
			when:    plan,
			refused: refused(domain.ErrInvalid, "year"),
		},
		{
			name:    "an area of another province is refused by its position",
			reads:   areas,
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, pailinAreaID}},
			refused: refused(domain.ErrInvalid, "area_ids[1]"),
		},
		{
			name:    "an unregistered area is not found",
			reads:   areas,
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, uuid.MustParse("01900000-0000-7000-8000-00000000a0ff")}},
			refused: refused(domain.ErrNotFound, "area_ids[1]"),
		},
		{
			name:    "a released area has no place in a plan",
			reads:   map[events.Ref][]events.Event{areaRef(areaID): released()},
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID}},
			refused: refused(domain.ErrInvalid, "area_ids[0]"),
		},
		{
			name:    "an access-restricted area has no place in a plan",
			reads:   map[events.Ref][]events.Event{areaRef(areaID): {registered(100_000), restricted("2021-01-15", "")}},
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID}},
			refused: refused(domain.ErrInvalid, "area_ids[0]"),
		},
		{
			name:    "an area listed twice is refused",
			reads:   areas,
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID, area2ID, areaID}},
			refused: refused(domain.ErrInvalid, "area_ids[2]"),
		},
		{
			name:    "a plan with no area is refused",
			when:    domain.ApproveWorkPlan{Province: "Battambang", Year: 2021},
			refused: refused(domain.ErrInvalid, "area_ids"),
		},
		{
			name:    "a province outside the gazetteer is refused",
			reads:   areas,
			when:    domain.ApproveWorkPlan{Province: "Battambang Province", Year: 2021, AreaIDs: []uuid.UUID{areaID}},
			refused: refused(domain.ErrInvalid, "province"),
		},
	})
}

func TestEndorseWorkPlan(t *testing.T) {
	approved := events.WorkPlanApproved{Province: "Battambang", Year: 2021, AreaIDs: []uuid.UUID{areaID}, Revision: 2}
	runStories(t, []story{
		{
			name:  "the national authority endorses the approved revision",
			given: []events.Event{approved},
			when:  domain.EndorseWorkPlan{Province: "Battambang", Year: 2021, EndorsedBy: "CMAA"},
			then:  []events.Event{events.WorkPlanEndorsed{Province: "Battambang", Year: 2021, EndorsedBy: "CMAA", Revision: 2}},
			state: func(t *testing.T, s domain.State) {
				if w := s.(domain.WorkPlan); !w.Endorsed || w.Revision != 2 {
					t.Errorf("work plan %+v", w)
				}
			},
		},
		{
			name:    "a plan never approved cannot be endorsed",
			when:    domain.EndorseWorkPlan{Province: "Battambang", Year: 2021},
			refused: refused(domain.ErrNotFound, "year"),
		},
		{
			name:    "a plan is endorsed once",
			given:   []events.Event{approved, events.WorkPlanEndorsed{Province: "Battambang", Year: 2021, Revision: 2}},
			when:    domain.EndorseWorkPlan{Province: "Battambang", Year: 2021},
			refused: refused(domain.ErrInvalid, "year"),
		},
		{
			name:    "a year is required",
			when:    domain.EndorseWorkPlan{Province: "Battambang"},
			refused: refused(domain.ErrInvalid, "year"),
		},
	})
}

func TestApprovalAndEndorsementTargetTheSameProvinceYearPlan(t *testing.T) {
	a := domain.ApproveWorkPlan{Province: "Pailin", Year: 2022, AreaIDs: []uuid.UUID{areaID}}
	e := domain.EndorseWorkPlan{Province: "Pailin", Year: 2022}
	want := events.WorkPlanRef("KH", "Pailin", 2022)
	if a.Target(ctx) != want || e.Target(ctx) != want {
		t.Errorf("approve targets %v, endorse %v; want %v", a.Target(ctx), e.Target(ctx), want)
	}
	if got := a.Reads(ctx); len(got) != 1 || got[0] != areaRef(areaID) {
		t.Errorf("approve reads %v, want the area", got)
	}
}
