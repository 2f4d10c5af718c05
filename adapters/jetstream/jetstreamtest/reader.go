package jetstreamtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// Write is one thing a reader must not do to a deployment: Do tries it
// through the ordinary client API, and the server must refuse the publish to
// Subject (the NATS subject the API sends it on).
type Write struct {
	Name    string
	Subject string
	Do      func(ctx context.Context, js jetstream.JetStream) error
}

// ReaderWrites are the writes the reader identity is refused: an event on
// eventSubject (e.g. lr.kh.area.<uuid>), a put into and a read of the token
// bucket, a message deletion, and the deletion, purge and update of the
// history stream, and a list of its consumers (which would name the
// engine's own).
func ReaderWrites(eventSubject string) []Write {
	s := lrjs.StreamName
	tokens := "KV_" + lrjs.TokensBucket
	return []Write{
		{"publish an event", eventSubject, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, eventSubject, []byte(`{"area_id":"x"}`))
			return err
		}},
		{"put into the token bucket", "$KV." + lrjs.TokensBucket + ".probe", func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, "$KV."+lrjs.TokensBucket+".probe", []byte(`{"role":"admin"}`))
			return err
		}},
		{"open the token bucket", "$JS.API.STREAM.INFO." + tokens, func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.KeyValue(ctx, lrjs.TokensBucket)
			return err
		}},
		{"read a token", "$JS.API.DIRECT.GET." + tokens + ".$KV." + lrjs.TokensBucket + ".probe", func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.Conn().RequestWithContext(ctx, "$JS.API.DIRECT.GET."+tokens+".$KV."+lrjs.TokensBucket+".probe", nil)
			return err
		}},
		{"delete a message", "$JS.API.STREAM.MSG.DELETE." + s, func(ctx context.Context, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, s)
			if err != nil {
				return err
			}
			return st.DeleteMsg(ctx, 1)
		}},
		{"purge the stream", "$JS.API.STREAM.PURGE." + s, func(ctx context.Context, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, s)
			if err != nil {
				return err
			}
			return st.Purge(ctx)
		}},
		{"update the stream", "$JS.API.STREAM.UPDATE." + s, func(ctx context.Context, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, s)
			if err != nil {
				return err
			}
			cfg := st.CachedInfo().Config
			cfg.MaxAge = time.Minute
			_, err = js.UpdateStream(ctx, cfg)
			return err
		}},
		{"delete the stream", "$JS.API.STREAM.DELETE." + s, func(ctx context.Context, js jetstream.JetStream) error {
			return js.DeleteStream(ctx, s)
		}},
		{"list the stream's consumers", "$JS.API.CONSUMER.NAMES." + s, func(ctx context.Context, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, s)
			if err != nil {
				return err
			}
			names := st.ConsumerNames(ctx)
			for range names.Name() {
			}
			return names.Err()
		}},
	}
}

// MustRefuseAll connects to url with opts (the reader's identity) and tries
// every write at once, each on its own connection; it fails tb unless each
// operation fails and the server reported a permissions violation for its
// Subject. A refused request gets no answer, so each try waits wait.
func MustRefuseAll(tb testing.TB, url string, writes []Write, wait time.Duration, opts ...nats.Option) {
	tb.Helper()
	var wg sync.WaitGroup
	problems := make([]string, len(writes))
	for i, w := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			problems[i] = refused(url, w, wait, opts)
		}()
	}
	wg.Wait()
	for _, p := range problems {
		if p != "" {
			tb.Error(p)
		}
	}
}

// refused tries w on a connection of its own and says what went wrong, or
// "" when the server refused it.
func refused(url string, w Write, wait time.Duration, opts []nats.Option) string {
	violations := make(chan error, 16)
	opts = append(slices.Clone(opts), nats.NoReconnect(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) {
			select {
			case violations <- err:
			default:
			}
		}
	}))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Sprintf("%s: connect: %v", w.Name, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Sprintf("%s: %v", w.Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := w.Do(ctx, js); err == nil {
		return "reader could " + w.Name
	}
	// The server's -ERR for the refused publish precedes the PONG of this
	// flush, so the error handler has it queued by now.
	if err := nc.Flush(); err != nil {
		return fmt.Sprintf("%s: flush: %v", w.Name, err)
	}
	want := `Permissions Violation for Publish to "` + w.Subject + `"`
	var seen []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case v := <-violations:
			if strings.Contains(v.Error(), want) {
				return ""
			}
			seen = append(seen, v.Error())
		case <-deadline:
			return fmt.Sprintf("%s: the server did not refuse it as %s; it reported %q", w.Name, want, seen)
		}
	}
}
