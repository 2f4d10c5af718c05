package jetstream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DialOptions are the client options for an external server or cluster:
// reconnect for ever (the engine outlives an outage), and no reconnect
// buffer, so that a publish made while disconnected fails at once instead of
// being sent later, after its caller was told the store is unavailable.
// Replies come to the engine's own inbox prefix (EngineInboxPrefix), which
// the reader identity may not subscribe to.
func DialOptions() []nats.Option {
	return []nats.Option{
		nats.Name("landrelease"),
		nats.CustomInboxPrefix(EngineInboxPrefix),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ReconnectBufSize(-1),
		nats.Timeout(5 * time.Second),
		nats.SyncQueueLen(512), // see Embedded.Connect
	}
}

// Dial connects to the server or cluster at url (comma-separated URLs of
// several servers) with DialOptions and then opts.
func Dial(url string, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(url, append(DialOptions(), opts...)...)
}

// ClusterReplicas is the replica count Open chooses for a new stream when
// Config.Replicas is 0: 3 when the connected server belongs to a cluster of
// which the client knows three or more servers (given or discovered), else 1.
func ClusterReplicas(nc *nats.Conn) int {
	if nc.ConnectedClusterName() != "" && len(nc.Servers()) >= 3 {
		return 3
	}
	return 1
}

// ensureStream creates the stream, or brings an existing one to the safe
// configuration. An existing stream keeps its replica count unless
// Config.Replicas asks for another one.
func (s *Store) ensureStream(ctx context.Context) error {
	auto := ClusterReplicas(s.nc)
	return s.retry(ctx, "open", func(ctx context.Context) error {
		sc := StreamConfig(s.cfg)
		stream, err := s.js.Stream(ctx, s.cfg.Stream)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			if s.cfg.Replicas == 0 {
				sc.Replicas = auto
			}
			if stream, err = s.js.CreateStream(ctx, sc); err != nil {
				return fmt.Errorf("create stream %s with %d replicas: %w", s.cfg.Stream, sc.Replicas, err)
			}
		case err != nil:
			return fmt.Errorf("stream %s: %w", s.cfg.Stream, err)
		case stream.CachedInfo().Config.Mirror != nil:
			// A provincial office's copy of the national history
			// (leaf.go): JetStream keeps it, nothing here changes it.
		default:
			have := stream.CachedInfo().Config.Replicas
			if s.cfg.Replicas == 0 {
				sc.Replicas = have
				if have < auto {
					s.notice = fmt.Sprintf("stream %s has %d replica(s) although the cluster has %d or more servers; run once with --replicas %d to change it",
						s.cfg.Stream, have, auto, auto)
				}
			}
			if stream, err = s.js.UpdateStream(ctx, sc); err != nil {
				return fmt.Errorf("update stream %s (replicas %d -> %d): %w", s.cfg.Stream, have, sc.Replicas, err)
			}
		}
		s.stream = stream
		return nil
	})
}

// Replicas returns the stream's replica count as Open left it.
func (s *Store) Replicas() int { return s.stream.CachedInfo().Config.Replicas }

// Notice returns a sentence for the operator when the stream has fewer
// replicas than the cluster allows and Open was told to keep them; "" else.
func (s *Store) Notice() string { return s.notice }
