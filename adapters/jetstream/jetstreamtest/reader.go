package jetstreamtest

import (
	"context"
	"strings"
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

// MustRefuse tries w on nc, a connection of the reader, and fails tb unless
// the operation fails and the server reported a permissions violation for
// w.Subject. A refused request gets no answer, so each try waits wait.
func MustRefuse(tb testing.TB, nc *nats.Conn, w Write, wait time.Duration) {
	tb.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := w.Do(ctx, js); err == nil {
		tb.Errorf("reader could %s", w.Name)
		return
	}
	// The server's -ERR for the refused publish precedes the PONG of this
	// flush, so LastError holds it by now.
	if err := nc.Flush(); err != nil {
		tb.Fatal(err)
	}
	want := `Permissions Violation for Publish to "` + w.Subject + `"`
	if last := nc.LastError(); last == nil || !strings.Contains(last.Error(), want) {
		tb.Errorf("%s: the server did not refuse it as %s; last error: %v", w.Name, want, last)
	}
}
