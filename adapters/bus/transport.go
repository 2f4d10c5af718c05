package bus

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	wmjs "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/jetstream"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/nats-io/nats.go/jetstream"
)

// transport is what a Bus needs of a technology: where commands and replies
// are published and subscribed, and how to let go of it.
type transport struct {
	commandPub message.Publisher
	commandSub message.Subscriber
	close      func() error
}

// inProcess has a GoChannel for commands, which Send does not use (it calls
// the handler directly, direct.go) but the CQRS command bus needs.
func inProcess(logger watermill.LoggerAdapter) transport {
	commands := gochannel.NewGoChannel(gochannel.Config{}, logger)
	return transport{commandPub: commands, commandSub: commands, close: commands.Close}
}

// streamConfig is the configuration of the command stream: a work queue
// (a command leaves the stream when a replica acknowledges it), on file so
// that a queued command survives a server restart, outside lr.>.
func streamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        StreamName,
		Description: "landrelease commands waiting for an engine replica",
		Subjects:    []string{StreamSubjects},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		Replicas:    replicas,
	}
}

// consumerConfig is the durable consumer every replica pulls from.
func consumerConfig(cfg Config) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "engine replicas handling landrelease commands",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    cfg.MaxDeliver,
		FilterSubject: CommandTopic,
		Replicas:      cfg.StreamReplicas,
	}
}

// overNATS creates (or updates) the command stream and wires watermill-nats'
// JetStream publisher and subscriber for commands (replies: natsreply.go).
// Every pub/sub shares cfg.Conn, which the caller owns: watermill-nats'
// Close methods would drain or close it, so they are never called (see
// keepConn); the subscriptions end with the contexts the router and Send
// give them.
func overNATS(ctx context.Context, cfg Config, logger watermill.LoggerAdapter) (transport, error) {
	js, err := jetstream.New(cfg.Conn)
	if err != nil {
		return transport{}, fmt.Errorf("bus: jetstream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, streamConfig(cfg.StreamReplicas)); err != nil {
		return transport{}, fmt.Errorf("bus: create stream %s: %w", StreamName, err)
	}
	// The publisher takes the subject from the stream configurator's name;
	// its default (name = topic) publishes to CommandTopic as wanted.
	commandPub, err := wmjs.NewPublisher(wmjs.PublisherConfig{Conn: cfg.Conn, Logger: logger})
	if err != nil {
		return transport{}, fmt.Errorf("bus: command publisher: %w", err)
	}
	commandSub, err := wmjs.NewSubscriber(wmjs.SubscriberConfig{
		Conn:           cfg.Conn,
		Logger:         logger,
		AckWaitTimeout: cfg.AckWait,
		ResourceInitializer: func(ctx context.Context, js jetstream.JetStream, _ string) (jetstream.Consumer, func(context.Context, watermill.LoggerAdapter), error) {
			c, err := js.CreateOrUpdateConsumer(ctx, StreamName, consumerConfig(cfg))
			// No closer: the durable consumer is shared by every replica and
			// holds the commands none has taken yet.
			return c, nil, err
		},
		// One message in hand per worker: a busy replica does not hoard
		// commands an idle one could handle, and none waits in a client
		// buffer while its ack deadline runs.
		ConsumeOptions: []jetstream.PullConsumeOpt{jetstream.PullMaxMessages(1)},
	})
	if err != nil {
		return transport{}, fmt.Errorf("bus: command subscriber: %w", err)
	}
	return transport{commandPub: commandPub, commandSub: keepConn{commandSub}, close: func() error { return nil }}, nil
}

// keepConn is a subscriber whose Close leaves the connection alone. The
// router closes its subscribers when it closes, and watermill-nats' Close
// drains the connection, which belongs to the caller; the subscriptions end
// with the contexts they were made with.
type keepConn struct{ message.Subscriber }

func (keepConn) Close() error { return nil }
