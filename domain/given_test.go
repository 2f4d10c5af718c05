package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The fixed world every story is told in: Cambodia, one command ID, and
// "now" at 09:30 UTC on 1 June 2024.
var (
	commandID = uuid.MustParse("01900000-0000-7000-8000-0000000c0001")
	now       = time.Date(2024, time.June, 1, 9, 30, 0, 0, time.UTC)
	ctx       = domain.Context{Country: "KH", CommandID: commandID, Now: now}

	today    = events.MustDate("2024-06-01")
	tomorrow = events.MustDate("2024-06-02")

	areaID       = uuid.MustParse("01900000-0000-7000-8000-00000000a001")
	area2ID      = uuid.MustParse("01900000-0000-7000-8000-00000000a002")
	pailinAreaID = uuid.MustParse("01900000-0000-7000-8000-00000000a003")
	deploymentID = uuid.MustParse("01900000-0000-7000-8000-00000000d001")

	registeredOn = events.MustDate("2020-01-01")
	dayBefore    = events.MustDate("2019-12-31") // the day before registration
)

func date(s string) events.Date { return events.MustDate(s) }

// story is one given/when/then: the history of the command's target
// aggregate, the histories of aggregates it reads, the command, and either
// the events it must decide or the kind and field of its refusal.
type story struct {
	name  string
	given []events.Event
	reads map[events.Ref][]events.Event
	when  domain.Command
	then  []events.Event
	// refused, when set, is the expected error: its Kind and the field named.
	refused *refusal
	// state, when set, checks the target's state after the decided events.
	state func(t *testing.T, s domain.State)
}

type refusal struct {
	kind  domain.Kind
	field string
}

func refused(kind domain.Kind, field string) *refusal { return &refusal{kind, field} }

// decide plays a command the way handling.Handler does, without any store:
// fold the target's history, fold what it reads, validate, decide.
func decide(given []events.Event, reads map[events.Ref][]events.Event, cmd domain.Command) (domain.State, []events.Event, error) {
	kind := cmd.Target(ctx).Kind
	s := domain.Fold(kind, given)
	var p domain.Problems
	cmd.Validate(&p)
	if err := p.Err(cmd.CommandName()); err != nil {
		return s, nil, err
	}
	var r domain.Reads
	if refs := cmd.Reads(ctx); refs != nil {
		r = make(domain.Reads, len(refs))
		for _, ref := range refs {
			r[ref] = domain.Fold(ref.Kind, reads[ref])
		}
	}
	evs, err := cmd.Decide(ctx, s, r)
	return s, evs, err
}

func (st story) run(t *testing.T) {
	t.Helper()
	s, got, err := decide(st.given, st.reads, st.when)
	if st.refused != nil {
		wantRefusal(t, err, st.refused.kind, st.refused.field)
		if len(got) > 0 {
			t.Errorf("a refused command decided events: %s", show(got))
		}
		return
	}
	if err != nil {
		t.Fatalf("when %s: unexpected error: %v", st.when.CommandName(), err)
	}
	if !reflect.DeepEqual(got, st.then) {
		t.Fatalf("when %s\n then got  %s\n      want %s", st.when.CommandName(), show(got), show(st.then))
	}
	for _, e := range got {
		s = s.Evolve(e)
	}
	if st.state != nil {
		st.state(t, s)
	}
}

func runStories(t *testing.T, stories []story) {
	t.Helper()
	for _, st := range stories {
		t.Run(st.name, st.run)
	}
}

// wantRefusal checks that err is a *domain.Error of the kind, naming field.
// It never looks at the error's text.
func wantRefusal(t *testing.T, err error, kind domain.Kind, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a %v error on %q", kind, field)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error kind %v (%v); want %v", domain.KindOf(err), err, kind)
	}
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %T is not a *domain.Error", err)
	}
	if de.Field() != field {
		t.Fatalf("error names field %q (%v); want %q", de.Field(), err, field)
	}
}

// problemFields lists the fields of every problem of a *domain.Error.
func problemFields(err error) []string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil
	}
	out := make([]string, len(de.Problems))
	for i, p := range de.Problems {
		out[i] = p.Field
	}
	return out
}

// show prints events as Type{json}, readable in a failure.
func show(evs []events.Event) string {
	if len(evs) == 0 {
		return "(no events)"
	}
	parts := make([]string, len(evs))
	for i, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			b = []byte(fmt.Sprintf("%#v", e))
		}
		parts[i] = e.EventType() + string(b)
	}
	return strings.Join(parts, "\n           ")
}

func ptr[T any](v T) *T { return &v }

// --- history fixtures --------------------------------------------------

// registered is an SHA of size m² in Battambang, registered on registeredOn.
func registered(size int64) events.AreaRegistered {
	return events.AreaRegistered{
		AreaID: areaID, Province: "Battambang", District: "Kamrieng", Hazard: events.HazardAP,
		Classification: events.SHA, SizeM2: size, RegisteredOn: registeredOn, Source: "BLS", LandUse: "AGRICULTURE",
	}
}

func registeredCHA(size int64) events.AreaRegistered {
	e := registered(size)
	e.Classification = events.CHA
	return e
}

func cleared(size, remaining int64) events.AreaCleared {
	return events.AreaCleared{AreaID: areaID, On: date("2021-03-01"), SizeM2: size, Operator: "HALO", RemainingM2: remaining}
}

func cancelled(size, remaining int64) events.AreaCancelled {
	return events.AreaCancelled{AreaID: areaID, On: date("2020-06-01"), Method: events.CancelByNTS, Reason: "NTS found no evidence", SizeM2: size, RemainingM2: remaining}
}

func reduced(size, remaining int64) events.AreaReduced {
	return events.AreaReduced{AreaID: areaID, On: date("2020-09-01"), SizeM2: size, Operator: "MAG", RemainingM2: remaining}
}

func reopened(size, remaining int64) events.AreaReopened {
	return events.AreaReopened{AreaID: areaID, On: date("2023-01-10"), To: events.CHA, SizeM2: size, Reason: "accident",
		Evidence: []events.Evidence{accident}, RemainingM2: remaining}
}

var (
	accident = events.Evidence{Kind: "ACCIDENT", ObservedOn: date("2022-12-30"), Description: "cow killed by a PMN-2"}
	witness  = events.Evidence{Kind: "WITNESS", ObservedOn: date("2019-05-01"), Description: "villagers avoid the field"}
)

func deployed(province string) events.CapacityDeployed {
	return events.CapacityDeployed{DeploymentID: deploymentID, Operator: "HALO", Province: province, Method: "MANUAL",
		Deminers: 30, From: date("2020-01-01")}
}

func deploymentRef() events.Ref {
	return events.Ref{Country: "KH", Kind: events.KindDeployment, ID: deploymentID}
}

func areaRef(id uuid.UUID) events.Ref {
	return events.Ref{Country: "KH", Kind: events.KindArea, ID: id}
}

// area asserts the state is an Area and returns it.
func area(t *testing.T, s domain.State) domain.Area {
	t.Helper()
	a, ok := s.(domain.Area)
	if !ok {
		t.Fatalf("state is %T, want domain.Area", s)
	}
	return a
}

// wantArea checks an area's remaining size and status.
func wantArea(remaining int64, status events.Status) func(t *testing.T, s domain.State) {
	return func(t *testing.T, s domain.State) {
		t.Helper()
		a := area(t, s)
		if a.RemainingM2 != remaining || a.Status() != status {
			t.Errorf("area has %d m² remaining, status %s; want %d m², %s", a.RemainingM2, a.Status(), remaining, status)
		}
		if id := a.SizeM2 - a.CancelledM2 - a.ReducedM2 - a.ClearedM2 + a.ReopenedM2; id != a.RemainingM2 {
			t.Errorf("accounting identity broken: size−released+reopened = %d, remaining %d", id, a.RemainingM2)
		}
	}
}
