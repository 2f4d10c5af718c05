package jetstream_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Load gives every event of an aggregate in order and the sequence of its
// last message, whichever way it reads: walking back from the last message
// (the default), forward on the shared subscription, or with
// jetstreamext.GetBatch. The histories below take each turn of the walk:
// single appends, a write of several events, two writes to one aggregate in
// one batch, a foreign message between events, a history longer than the
// walk goes, and an aggregate with no message.
func TestLoadEveryPathAgrees(t *testing.T) {
	ctx := context.Background()
	st := jetstreamtest.MustStore(t, jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t)))
	on := events.MustDate("2024-01-02")
	newRef := func() events.Ref {
		return events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	}
	env := func(ref events.Ref, ev events.Event) events.Envelope {
		return events.Envelope{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(), Schema: ev.SchemaVersion(), Aggregate: ref,
			OccurredOn: on, RecordedAt: time.Now(), Data: ev}
	}
	registered := func(ref events.Ref) events.Envelope {
		return env(ref, events.AreaRegistered{AreaID: ref.ID, Province: "Pailin", Hazard: "AP", Classification: "SHA",
			SizeM2: 1000, RegisteredOn: on, Source: "BLS"})
	}
	evidence := func(ref events.Ref, n int) events.Envelope {
		return env(ref, events.EvidenceRecorded{AreaID: ref.ID, Evidence: events.Evidence{Kind: "WITNESS", ObservedOn: on,
			Description: fmt.Sprint("seen ", n)}})
	}
	type want struct {
		seqs    []uint64 // the events' sequences
		version uint64
	}
	wants := map[events.Ref]*want{}
	// appendWrites appends and records where each event went.
	appendWrites := func(writes ...domain.Write) {
		t.Helper()
		first, err := st.Append(ctx, writes)
		if err != nil {
			t.Fatal(err)
		}
		seq := first
		for _, w := range writes {
			wt := wants[w.Aggregate]
			if wt == nil {
				wt = &want{}
				wants[w.Aggregate] = wt
			}
			for range w.Events {
				wt.seqs = append(wt.seqs, seq)
				wt.version = seq
				seq++
			}
		}
	}
	other := newRef()
	appendWrites(domain.Write{Aggregate: other, Events: []events.Envelope{registered(other)}})
	bump := func() { // another aggregate's event between two of the aggregate under test
		appendWrites(domain.Write{Aggregate: other, Expected: wants[other].version, Events: []events.Envelope{evidence(other, 0)}})
	}

	single := newRef() // one event per append, others between
	appendWrites(domain.Write{Aggregate: single, Events: []events.Envelope{registered(single)}})
	for i := range 3 {
		bump()
		appendWrites(domain.Write{Aggregate: single, Expected: wants[single].version, Events: []events.Envelope{evidence(single, i)}})
	}

	several := newRef() // one write of three events
	appendWrites(domain.Write{Aggregate: several, Events: []events.Envelope{registered(several), evidence(several, 1), evidence(several, 2)}})

	twice := newRef() // two writes to it in one batch, another's between them
	appendWrites(domain.Write{Aggregate: twice, Events: []events.Envelope{registered(twice)}})
	appendWrites(
		domain.Write{Aggregate: twice, Expected: wants[twice].version, Events: []events.Envelope{evidence(twice, 1)}},
		domain.Write{Aggregate: other, Expected: wants[other].version, Events: []events.Envelope{evidence(other, 1)}},
		domain.Write{Aggregate: twice, Events: []events.Envelope{evidence(twice, 2)}},
	)

	foreign := newRef() // a plain client's message between its events
	appendWrites(domain.Write{Aggregate: foreign, Events: []events.Envelope{registered(foreign)}})
	bump()
	ack, err := st.JetStream().Publish(ctx, foreign.Subject(), []byte("not an event"))
	if err != nil {
		t.Fatal(err)
	}
	wants[foreign].version = ack.Sequence // counts for the version, is no event
	appendWrites(domain.Write{Aggregate: foreign, Expected: ack.Sequence, Events: []events.Envelope{evidence(foreign, 1)}})

	long := newRef() // longer than the walk goes
	appendWrites(domain.Write{Aggregate: long, Events: []events.Envelope{registered(long)}})
	for i := range 40 {
		appendWrites(domain.Write{Aggregate: long, Expected: wants[long].version, Events: []events.Envelope{evidence(long, i)}})
	}

	wants[newRef()] = &want{} // never written

	paths := []struct {
		name string
		path int
	}{{"backward", lrjs.LoadBackward}, {"forward", lrjs.LoadForward}, {"getbatch", lrjs.LoadGetBatch}}
	for ref, w := range wants {
		for _, p := range paths {
			restore := lrjs.SetLoadPath(p.path)
			evs, version, err := st.Load(ctx, ref)
			restore()
			var seqs []uint64
			for _, e := range evs {
				if e.Aggregate != ref {
					t.Errorf("%s: loaded an event of %s", p.name, e.Aggregate)
				}
				seqs = append(seqs, e.Sequence)
			}
			if err != nil || !slices.Equal(seqs, w.seqs) || version != w.version {
				t.Errorf("%s load of %s: events at %v, version %d, %v; want events at %v, version %d",
					p.name, ref.ID, seqs, version, err, w.seqs, w.version)
			}
		}
	}
}
