// Package jetstream is landrelease's event store on NATS JetStream: the
// LANDRELEASE stream (one subject per aggregate, history never deleted),
// appends guarded by Nats-Expected-Last-Subject-Sequence and deduplicated by
// Nats-Msg-Id, multi-event commands as atomic batches, aggregate loads by
// batched direct get, replay by ordered consumer; and the embedded
// nats-server the engine runs by default. On a cluster it chooses the
// stream's replica count and rides out leader elections and outages:
// bounded retries, then domain.ErrUnavailable (docs/operations.md). It
// imports no other adapter.
package jetstream
