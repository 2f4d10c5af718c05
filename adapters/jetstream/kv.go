package jetstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TokensBucket is the name of the key-value bucket that holds the API's
// token registry (hashes, names and roles; never a token itself).
const TokensBucket = "LANDRELEASE_TOKENS"

// Bucket is a JetStream key-value bucket with plain []byte values, shared by
// every engine replica that connects to the same server or cluster.
type Bucket struct {
	kv jetstream.KeyValue
}

// OpenBucket creates or opens the key-value bucket name, kept on disk with
// replicas copies (1 on a single server).
func OpenBucket(ctx context.Context, nc *nats.Conn, name string, replicas int) (*Bucket, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: name, Description: "landrelease", History: 5, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
		})
	}
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", name, err)
	}
	return &Bucket{kv: kv}, nil
}

// Get returns the value of key, or nil, nil when there is none.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := b.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

// Put sets key to value.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) error {
	_, err := b.kv.Put(ctx, key, value)
	return err
}

// Create sets key to value only if the key holds no value (never set, or
// deleted) and says whether it did: an atomic compare-and-set, so of two
// replicas that create the same key at once exactly one gets true.
func (b *Bucket) Create(ctx context.Context, key string, value []byte) (bool, error) {
	_, err := b.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return err == nil, err
}

// Delete removes key's value (a missing key is not an error).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	err := b.kv.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

// Keys lists the keys (none is not an error).
func (b *Bucket) Keys(ctx context.Context) ([]string, error) {
	lister, err := b.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for k := range lister.Keys() {
		out = append(out, k)
	}
	return out, nil
}
