package peers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// BenchmarkPeers runs the whole comparison once and prints the table:
//
//	go test -run '^$' -bench Peers -benchtime 1x ./...
func BenchmarkPeers(b *testing.B) {
	for range b.N {
		cfg := DefaultConfig(b.TempDir())
		cfg.Progress = os.Stderr
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range rep.Targets() {
			b.ReportMetric(t.Got, t.Metric)
		}
		// Printed, not logged: the testing package cuts benchmark logs
		// to a few lines.
		fmt.Printf("\n%s\n", rep.Table())
	}
}

func TestEventBodiesAreTheSameSize(t *testing.T) {
	id := uuid.New()
	ev := NewEvidence(id, 12345)
	peer, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	lr, err := events.Encode(events.EvidenceRecorded{AreaID: id, Evidence: events.Evidence{
		Kind: events.EvidenceKind(ev.Kind), ObservedOn: events.MustDate(ev.ObservedOn), Description: ev.Description, Reference: ev.Reference}})
	if err != nil {
		t.Fatal(err)
	}
	if len(peer) != EventJSONBytes || string(lr) != string(peer) {
		t.Fatalf("peer body %d bytes, landrelease body %d bytes; want both %d and equal:\n%s\n%s", len(peer), len(lr), EventJSONBytes, peer, lr)
	}
}

// The peers must detect a stale append as a conflict, or the comparison
// would credit them with a guarantee they do not give.
func TestPeersRefuseStaleAppends(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ids := AggregateIDs(1, 3)

	st, err := OpenSQLTable(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Seed(ctx, ids); err != nil {
		t.Fatal(err)
	}
	v, err := st.Version(ctx, ids[0].String())
	if err != nil || v != 1 {
		t.Fatalf("version %d, %v; want 1", v, err)
	}
	if err := st.Append(ctx, ids[0].String(), v, "EvidenceRecorded", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, ids[0].String(), v, "EvidenceRecorded", []byte(`{}`)); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale append: %v, want ErrConflict", err)
	}

	hg, err := OpenHallgren(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer hg.Close()
	if err := hg.Seed(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if _, err := hg.Command(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := hg.Load(ctx, 0); err != nil || n != 2 {
		t.Fatalf("load: %d events, %v; want 2", n, err)
	}
}

// A miniature run exercises every system end to end.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded nats-server")
	}
	cfg := Config{Dir: t.TempDir(), Aggregates: 200, Levels: []Level{{1, 40}, {4, 80}}, Warmup: 10, RawSync: 20, RawAsync: 40, Loads: 20, Seed: 3}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"landrelease", (&Hallgren{}).Name(), (&SQLTable{}).Name()} {
		r, ok := rep.find(RowReplay, s)
		// 200 seeded + 10 warm-up + 40 + 80 commands
		if !ok || r.Count != 330 {
			t.Errorf("%s replayed %d events, want 330", s, r.Count)
		}
	}
	t.Logf("\n%s", rep.Table())
}
