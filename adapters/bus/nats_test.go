package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/adapters/bus"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
)

// natsConfig is testConfig over NATS on nc.
func natsConfig(nc *nats.Conn) bus.Config {
	cfg := testConfig()
	cfg.Transport, cfg.Conn = bus.TransportNATS, nc
	cfg.Workers = 2
	return cfg
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s: %s", within, what, state)
		}
		<-tick.C
	}
}

// Two engine replicas handle from the same work-queue stream; a third bus
// only sends. Every command is handled exactly once, by one replica or the
// other, both replicas take part, and the stream is left empty.
func TestNATSReplicasShareTheCommandsEachHandledOnce(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	replicas := []*recorder{{name: "a"}, {name: "b"}}
	for _, h := range replicas {
		mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), h)
	}
	sender := mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), nil)

	const n = 200
	ids := make(chan uuid.UUID, n)
	for i := 0; i < n; i++ {
		ids <- uuid.Must(uuid.NewV7())
	}
	close(ids)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				res, err := sender.Send(context.Background(), domain.CommandEnvelope{ID: id, Command: cancelArea(uuid.New())})
				if err == nil && res.CommandID != id {
					err = fmt.Errorf("reply for command %s carries %s", id, res.CommandID)
				}
				if err != nil {
					errs <- fmt.Errorf("command %s: %w", id, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	handled := map[uuid.UUID]int{}
	for _, h := range replicas {
		got := h.commands()
		if len(got) == 0 {
			t.Errorf("replica %s handled no command: the work is not shared", h.name)
		}
		t.Logf("replica %s handled %d commands", h.name, len(got))
		for _, env := range got {
			handled[env.ID]++
		}
	}
	if len(handled) != n {
		t.Errorf("%d distinct commands handled, want %d", len(handled), n)
	}
	for id, count := range handled {
		if count != 1 {
			t.Errorf("command %s handled %d times, want once", id, count)
		}
	}

	js, err := jetstream.New(jetstreamtest.MustConnect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Retention != jetstream.WorkQueuePolicy || len(info.Config.Subjects) != 1 || info.Config.Subjects[0] != bus.StreamSubjects {
		t.Errorf("stream config: retention %s subjects %v, want a work queue on %s", info.Config.Retention, info.Config.Subjects, bus.StreamSubjects)
	}
	eventually(t, 5*time.Second, "acknowledged commands leave the work queue", func() (bool, string) {
		info, err := stream.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return info.State.Msgs == 0, fmt.Sprintf("%d messages left", info.State.Msgs)
	})
}

func TestNATSRefusalKeepsKindAndProblems(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	h := &recorder{Decide: func(_ int, env domain.CommandEnvelope) (domain.Result, error) {
		return domain.Result{}, domain.Errorf(domain.ErrNotFound, "area_id", "no area with this ID is registered")
	}}
	mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), h)
	sender := mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), nil)
	_, err := sender.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
	var de *domain.Error
	if !errors.Is(err, domain.ErrNotFound) || !errors.As(err, &de) || de.Field() != "area_id" || de.Op != "CancelArea" {
		t.Fatalf("err = %#v, want CancelArea not found on area_id", err)
	}
	if n := len(h.commands()); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
}

// A command sent while no replica runs waits in the stream, and is handled
// by the first replica that starts.
func TestNATSCommandWaitsForAReplica(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	sender := mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), nil)
	type outcome struct {
		res domain.Result
		err error
	}
	done := make(chan outcome, 1)
	id := uuid.Must(uuid.NewV7())
	go func() {
		res, err := sender.Send(context.Background(), domain.CommandEnvelope{ID: id, Command: cancelArea(uuid.New())})
		done <- outcome{res, err}
	}()
	js, err := jetstream.New(jetstreamtest.MustConnect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the command is queued", func() (bool, string) {
		s, err := js.Stream(context.Background(), bus.StreamName)
		if err != nil {
			return false, err.Error()
		}
		info, err := s.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return info.State.Msgs == 1, fmt.Sprintf("%d messages", info.State.Msgs)
	})
	h := &recorder{}
	mustBus(t, natsConfig(jetstreamtest.MustConnect(t, srv)), h)
	o := <-done
	if o.err != nil || o.res.CommandID != id {
		t.Fatalf("send = %+v, %v; want the result of %s", o.res, o.err, id)
	}
}

// A command published on the subject by other means than Send (no operation
// ID to answer) is handled once and acknowledged, without a reply; the Bus
// leaves the caller's connection open when it closes.
func TestNATSCommandWithoutSenderIsHandledAndAcknowledged(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	nc := jetstreamtest.MustConnect(t, srv)
	h := &recorder{}
	b, err := bus.New(context.Background(), natsConfig(nc), h)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	wire, err := domain.EncodeCommand(domain.CommandEnvelope{ID: id, Command: cancelArea(uuid.New())})
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: bus.CommandTopic, Data: wire, Header: nats.Header{}}
	msg.Header.Set(bus.MetadataMessage, bus.CommandMessageName)
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), bus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the command is handled and acknowledged", func() (bool, string) {
		info, err := stream.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		cmds := h.commands()
		return len(cmds) == 1 && cmds[0].ID == id && info.State.Msgs == 0, fmt.Sprintf("%d handled, %d in the stream", len(cmds), info.State.Msgs)
	})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if nc.IsClosed() || nc.IsDraining() {
		t.Error("closing the bus closed the caller's NATS connection")
	}
	if n := len(h.commands()); n != 1 {
		t.Errorf("handled %d times, want once", n)
	}
}

// Closing a bus ends its Sends still waiting for a reply with ErrClosed.
func TestNATSCloseEndsAPendingSend(t *testing.T) {
	srv := jetstreamtest.MustEmbedded(t)
	sender, err := bus.New(context.Background(), natsConfig(jetstreamtest.MustConnect(t, srv)), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := sender.Send(context.Background(), domain.CommandEnvelope{Command: cancelArea(uuid.New())})
		done <- err
	}()
	js, err := jetstream.New(jetstreamtest.MustConnect(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the command is queued", func() (bool, string) {
		s, err := js.Stream(context.Background(), bus.StreamName)
		if err != nil {
			return false, err.Error()
		}
		info, err := s.Info(context.Background())
		if err != nil {
			return false, err.Error()
		}
		return info.State.Msgs == 1, fmt.Sprintf("%d messages", info.State.Msgs)
	})
	if err := sender.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, bus.ErrClosed) {
		t.Errorf("pending send after close: err = %v, want ErrClosed", err)
	}
}
