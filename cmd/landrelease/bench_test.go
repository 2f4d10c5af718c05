package main

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// sampleEvent is a registration as the command path stores it, so the raw
// ceilings publish messages of the same size and headers.
func sampleMsg(t testing.TB, i int) *nats.Msg {
	ref := events.Ref{Country: "KH", Kind: events.KindArea, ID: uuid.Must(uuid.NewV7())}
	ev := events.AreaRegistered{AreaID: ref.ID, Province: "Battambang", Hazard: "AP", Classification: "SHA",
		SizeM2: int64(1000 + i), RegisteredOn: events.MustDate("2020-01-01"), Source: "BLS", LandUse: "AGRICULTURE", CasualtiesLast5y: 1}
	data, _ := events.Encode(ev)
	id := uuid.Must(uuid.NewV7()).String()
	return &nats.Msg{Subject: ref.Subject(), Data: data, Header: nats.Header{
		"Nats-Msg-Id": {id}, "Lr-Event-Type": {ev.EventType()}, "Lr-Schema": {"1"}, "Lr-Occurred-On": {"2020-01-01"},
		"Lr-Recorded-At": {time.Now().UTC().Format(time.RFC3339Nano)}, "Lr-Actor": {"bench"}, "Lr-Command-Id": {id}, "Lr-Correlation-Id": {id},
		"Nats-Expected-Last-Subject-Sequence": {"0"},
	}}
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// BenchmarkSpine measures, in one run against the embedded server with
// SyncAlways, the raw JetStream ceilings and landrelease's append paths, and
// reports each path as a ratio to its ceiling:
//
//	raw_sync     synchronous publish with the expected-sequence header
//	raw_batch    atomic batches of 1,000 events
//	cmd_path     validate + decide + append, one command at a time (ratio to raw_sync)
//	exec_fresh   exec of 20,000 registrations of new areas (ratio to raw_batch)
//	exec_exist   exec of 20,000 reductions of existing areas (ratio to raw_batch)
//
// Run: go test -run '^$' -bench Spine -benchtime 1x ./cmd/landrelease/
func BenchmarkSpine(b *testing.B) {
	const nSync, nBatch, nCmd, nExec = 3000, 20_000, 3000, 20_000
	ctx := context.Background()
	for it := 0; it < b.N; it++ {
		dir := b.TempDir()
		g := defaultGlobals()
		g.dataDir = dir
		eng, err := openEngine(ctx, g, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if err := eng.handler.Warm(ctx); err != nil { // as exec and serve do
			b.Fatal(err)
		}
		js := eng.store.JetStream()

		msgs := make([]*nats.Msg, nSync)
		for i := range msgs {
			msgs[i] = sampleMsg(b, i)
		}
		start := time.Now()
		for _, m := range msgs {
			if _, err := js.PublishMsg(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
		rawSync := rate(nSync, time.Since(start))

		batches := make([][]*nats.Msg, nBatch/1000)
		for i := range batches {
			batches[i] = make([]*nats.Msg, 1000)
			for j := range batches[i] {
				batches[i][j] = sampleMsg(b, j)
			}
		}
		start = time.Now()
		for _, batch := range batches {
			if _, err := jetstreamext.PublishMsgBatch(ctx, js, batch); err != nil {
				b.Fatal(err)
			}
		}
		rawBatch := rate(nBatch, time.Since(start))

		cmds := synth.Registrations(synth.DefaultConfig(1, nCmd))
		start = time.Now()
		for _, env := range cmds {
			if _, err := eng.handler.Handle(ctx, env); err != nil {
				b.Fatal(err)
			}
		}
		cmdPath := rate(nCmd, time.Since(start))

		fresh := jsonl(b, synth.Registrations(synth.DefaultConfig(2, nExec)))
		exist := jsonl(b, synth.Reductions(synth.DefaultConfig(2, nExec), 3))
		opts := &execOpts{chunk: 5000}
		start = time.Now()
		st, err := execStream(ctx, eng.handler, bytes.NewReader(fresh), io.Discard, opts)
		if err != nil || st.applied != nExec {
			b.Fatalf("exec fresh: %+v %v", st, err)
		}
		execFresh := rate(nExec, time.Since(start))
		start = time.Now()
		st, err = execStream(ctx, eng.handler, bytes.NewReader(exist), io.Discard, opts)
		if err != nil || st.applied != nExec {
			b.Fatalf("exec existing: %+v %v", st, err)
		}
		execExist := rate(nExec, time.Since(start))
		eng.Close()

		b.ReportMetric(rawSync, "raw_sync_ev/s")
		b.ReportMetric(rawBatch, "raw_batch_ev/s")
		b.ReportMetric(cmdPath/rawSync, "cmd_path_ratio")
		b.ReportMetric(execFresh/rawBatch, "exec_fresh_ratio")
		b.ReportMetric(execExist/rawBatch, "exec_exist_ratio")
		b.Logf("\n%-34s %12s %8s\n%-34s %12.0f %8s\n%-34s %12.0f %8s\n%-34s %12.0f %8.2f  (of raw sync)\n%-34s %12.0f %8.2f  (of raw batch)\n%-34s %12.0f %8.2f  (of raw batch)",
			"path", "events/s", "ratio",
			"raw sync publish (expected seq)", rawSync, "1",
			"raw atomic batch of 1,000", rawBatch, "1",
			"command path, one at a time", cmdPath, cmdPath/rawSync,
			"exec 20,000 new areas", execFresh, execFresh/rawBatch,
			"exec 20,000 existing areas", execExist, execExist/rawBatch)
	}
}

func jsonl(b testing.TB, envs []domain.CommandEnvelope) []byte {
	var buf bytes.Buffer
	for _, e := range envs {
		line, err := domain.EncodeCommand(e)
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
