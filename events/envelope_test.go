package events_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

func TestSubjectIsLrCountryKindID(t *testing.T) {
	id := uuid.MustParse("0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0b")
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: id}
	if got, want := ref.Subject(), "lr.kh.area.0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0b"; got != want {
		t.Errorf("Subject() = %q, want %q", got, want)
	}
	if ref.String() != ref.Subject() {
		t.Errorf("String() = %q, want the subject", ref.String())
	}
}

func TestParseSubjectIsTheInverseOfSubject(t *testing.T) {
	kinds := []events.AggregateKind{events.KindArea, events.KindDeployment, events.KindFunding, events.KindArticle5, events.KindWorkPlan}
	for _, kind := range kinds {
		ref := events.Ref{Country: "KH", Kind: kind, ID: uuid.Must(uuid.NewV7())}
		s := ref.Subject()
		if !regexp.MustCompile(`^lr\.kh\.[a-z0-9]+\.[0-9a-f-]{36}$`).MatchString(s) {
			t.Errorf("subject %q does not have the form lr.<country>.<kind>.<uuid>", s)
		}
		got, err := events.ParseSubject(s)
		if err != nil {
			t.Fatalf("ParseSubject(%q): %v", s, err)
		}
		if got != ref {
			t.Errorf("ParseSubject(%q) = %+v, want %+v", s, got, ref)
		}
	}
}

func TestParseSubjectRefusesWhatIsNotAnAggregateSubject(t *testing.T) {
	for _, s := range []string{
		"",
		"lr.kh.area",
		"lr.kh.area.not-a-uuid",
		"xx.kh.area.0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0b",
		"lr.kh.area.0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0b.extra",
		"lr.>",
	} {
		if ref, err := events.ParseSubject(s); err == nil {
			t.Errorf("ParseSubject(%q) = %+v, want an error", s, ref)
		}
	}
}

func TestNamedAggregatesHaveStableIDs(t *testing.T) {
	if events.Article5Ref("kh") != events.Article5Ref("KH") {
		t.Error("Article5Ref depends on the case of the country")
	}
	if a := events.Article5Ref("KH"); a.Kind != events.KindArticle5 || a.Country != "KH" {
		t.Errorf("Article5Ref = %+v", a)
	}
	if events.FundingRef("KH", 2021) != events.FundingRef("KH", 2021) {
		t.Error("FundingRef is not deterministic")
	}
	if events.FundingRef("KH", 2021).ID == events.FundingRef("KH", 2022).ID {
		t.Error("two years share a funding ledger")
	}
	if events.WorkPlanRef("KH", "Pailin", 2021).ID == events.WorkPlanRef("KH", "Battambang", 2021).ID {
		t.Error("two provinces share a work plan")
	}
	if events.WorkPlanRef("KH", "Pailin", 2021).ID == events.WorkPlanRef("KH", "Pailin", 2022).ID {
		t.Error("two years share a work plan")
	}
	// The parts are separated, so moving a boundary changes the name.
	if events.NameID("ab", "c") == events.NameID("a", "bc") {
		t.Error("NameID(ab, c) == NameID(a, bc)")
	}
}

func TestDerivedIDIsDeterministicVersion7AndDistinctPerPurposeAndIndex(t *testing.T) {
	cmd := uuid.MustParse("0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0b")
	fallback := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

	a := events.DerivedID(cmd, "event", 0, fallback)
	if b := events.DerivedID(cmd, "event", 0, fallback.Add(time.Hour)); a != b {
		t.Errorf("same command, purpose and index gave %s then %s", a, b)
	}
	if a.Version() != 7 || a.Variant() != uuid.RFC4122 {
		t.Errorf("DerivedID = %s: version %d variant %v, want version 7 RFC 4122", a, a.Version(), a.Variant())
	}
	// The timestamp bits are the command's own: derived IDs sort with their command.
	if a.Time() != cmd.Time() {
		t.Errorf("DerivedID time %v, want the command's %v", a.Time(), cmd.Time())
	}

	seen := map[uuid.UUID]string{}
	for _, purpose := range []string{"event", "area", "deployment", "funding"} {
		for i := 0; i < 50; i++ {
			id := events.DerivedID(cmd, purpose, i, fallback)
			key := fmt.Sprintf("%s#%d", purpose, i)
			if prev, dup := seen[id]; dup {
				t.Fatalf("DerivedID(%s) == DerivedID(%s) = %s", key, prev, id)
			}
			seen[id] = key
		}
	}
	if events.DerivedID(uuid.MustParse("0192a6b2-7c1e-7d3f-8a4b-5c6d7e8f9a0c"), "event", 0, fallback) == a {
		t.Error("two commands derived the same ID")
	}
}

func TestDerivedIDFromANonV7CommandUsesTheFallbackTime(t *testing.T) {
	cmd := uuid.MustParse("6ba7b810-9dad-41d1-80b4-00c04fd430c8") // version 4
	fallback := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	id := events.DerivedID(cmd, "event", 3, fallback)
	if id.Version() != 7 {
		t.Errorf("version %d, want 7", id.Version())
	}
	sec, nsec := id.Time().UnixTime()
	if got := time.Unix(sec, nsec).UTC(); !got.Equal(fallback) {
		t.Errorf("timestamp %v, want the fallback %v", got, fallback)
	}
	if events.DerivedID(cmd, "event", 3, fallback) != id {
		t.Error("not deterministic for a non-v7 command")
	}
}
