// Package bus is landrelease's command bus: watermill's CQRS CommandBus and
// CommandProcessor carrying domain commands from whoever sends them (CLI,
// HTTP API, policies) to a CommandHandler (the handling.Handler), with the
// handler's Result or domain error sent back to the sender through watermill's
// requestreply component (a PubSubBackend).
//
// # Transports
//
// In process (the default) Send calls the handler directly, in a goroutine
// of its own, with the same decoding, retries, timeouts and error shape as
// the watermill path (see direct.go): through watermill's in-process
// request-reply the hop cost about 40% of an API command. Over NATS (Config.Transport = TransportNATS) commands are
// published to the JetStream stream LANDRELEASE_COMMANDS (subjects lrcmd.>,
// WorkQueuePolicy, file storage), consumed through one durable consumer that
// every engine replica shares: each command is delivered to one replica, and
// removed from the stream when that replica acknowledges it. The stream lies
// outside lr.>, which belongs to the event stream LANDRELEASE.
//
// Replies go over core NATS, not JetStream: a reply only matters to a
// sender that is still waiting; storing it would leave a stream to clean up,
// and a sender that has gone away should not be delivered anything. Each
// sending Bus subscribes once, at New, to lrreply.<bus id>.*; a command
// carries its operation ID (watermill's requestreply metadata key) and the
// bus ID (MetadataReplyBus), and the replica that handled it publishes the
// reply to lrreply.<bus id>.<operation id>. Core NATS drops a message its
// server knows no subscriber for, and in a cluster a subscription reaches
// the other servers asynchronously, so the replica publishes the reply with
// a reply subject of its own and publishes it again, with backoff, while the
// server answers no-responders (natsreply.go, which also says how replicas
// and senders of the earlier version are answered). Commands are watermill
// messages end to end (watermill-nats' JetStream publisher and subscriber,
// the CQRS command bus and processor), so the router middleware sees every
// command.
//
// # Wire
//
// A command travels as the wire JSON of domain.EncodeCommand, decoded with
// domain.DecodeCommand on the handler side; Send assigns a command ID before
// sending, so a redelivered command is recognised by the domain handler as a
// duplicate. The message name, topic, subjects, stream and durable consumer
// are the constants below, never derived from Go type names. A reply is JSON:
// the Result (its events with their data, decoded again with the event
// registry) and, on failure, the error's kind, operation, problems and cause
// text, from which Send rebuilds a *domain.Error, so
// errors.Is(err, domain.ErrConflict) and (*domain.Error).Field work for the
// sender as they do next to the handler.
//
// # Failures
//
// A refused command (a domain error of kind invalid, not found, conflict or
// forbidden) is answered and acknowledged at once: it is never retried. Any
// other error is retried by the router's Retry middleware with backoff; when
// the retries are exhausted the sender gets the error (kind internal) and the
// command is acknowledged, since resending it with the same command ID is
// safe. Panics become errors (Recoverer); correlation IDs follow the command
// into the reply and into any message a handler produces.
//
// Package bus imports events, domain, watermill and NATS; no other adapter.
package bus
