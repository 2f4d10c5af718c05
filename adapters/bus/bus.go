package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/components/requestreply"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
)

// Names on the wire and in NATS. They are part of the deployment: renaming
// one strands the commands queued under the old name.
const (
	// HandlerName names the command handler in the router; over NATS worker
	// n is HandlerName + "/n". Nothing is stored under it.
	HandlerName = "landrelease.command-handler"
	// CommandMessageName is the CQRS name of every command message.
	CommandMessageName = "landrelease.command"
	// CommandTopic is the topic (the NATS subject) commands are published to.
	CommandTopic = "lrcmd.commands"
	// StreamName is the JetStream work-queue stream holding commands not yet
	// acknowledged by a replica; StreamSubjects are its subjects.
	StreamName     = "LANDRELEASE_COMMANDS"
	StreamSubjects = "lrcmd.>"
	// ConsumerName is the durable consumer shared by every replica.
	ConsumerName = "landrelease-command-handler"
	// ReplySubjectPrefix + operation ID is the topic (core NATS subject) of
	// the reply to one Send.
	ReplySubjectPrefix = "lrreply."
)

var (
	// ErrNoReply: no reply came before the context or Config.ReplyTimeout
	// ended. The command may or may not have been applied; sending it again
	// with the same command ID is safe.
	ErrNoReply = errors.New("no reply from the command handler")
	// ErrClosed: the Bus was closed.
	ErrClosed = errors.New("command bus closed")
)

// CommandHandler decides and stores one command; *handling.Handler is one. It
// must be safe for concurrent use and idempotent by command ID, since a
// command may be delivered more than once over NATS. It returns a domain
// error (*domain.Error of a kind other than internal) when it refuses the
// command; any other error is taken as transient and retried.
type CommandHandler interface {
	Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error)
}

var _ CommandHandler = (*handling.Handler)(nil)

// Bus sends commands to a CommandHandler and returns its answer, in process
// or through NATS. It is safe for concurrent use.
type Bus struct {
	cfg      Config
	logger   watermill.LoggerAdapter
	handler  CommandHandler
	tr       transport
	commands *cqrs.CommandBus
	reg      *events.Registry // decodes the events of replies
	inbox    *replyInbox      // over NATS: the replies to this bus's Sends
	replier  *replier         // over NATS, with a handler: publishes replies

	router    *message.Router // nil for a bus that only sends
	routerErr error
	routerRun chan struct{} // closed when router.Run has returned

	closing   atomic.Bool
	directMu  sync.Mutex      // orders sendDirect's check of closing with Close
	direct    sync.WaitGroup  // commands being handled in process
	closed    context.Context // done once Close has stopped the handlers
	markClose context.CancelFunc
	closeOnce sync.Once
	closeErr  error
}

// New starts a Bus. With a handler it also takes commands from the transport
// and hands them to h: in process h is required; over NATS a nil h makes a
// bus that only sends (to the replicas that handle). New returns once the
// handler side subscribes, so a command sent after New is not lost. Close
// the Bus when done.
func New(ctx context.Context, cfg Config, h CommandHandler) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil && cfg.Transport == TransportInProcess {
		return nil, domain.Errorf(domain.ErrInvalid, "handler", "an in-process bus needs a command handler")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	b := &Bus{cfg: cfg, logger: logger, handler: h, reg: events.NewRegistry()}
	b.closed, b.markClose = context.WithCancel(context.Background())
	var err error
	if cfg.Transport == TransportNATS {
		b.tr, err = overNATS(ctx, cfg, logger)
	} else {
		b.tr = inProcess(logger)
	}
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Bus, error) {
		b.markClose()
		errs := []error{err}
		if b.replier != nil {
			errs = append(errs, b.replier.close(0))
		}
		if b.inbox != nil {
			errs = append(errs, b.inbox.close())
		}
		return nil, errors.Join(append(errs, b.tr.close())...)
	}
	if cfg.Transport == TransportNATS {
		b.inbox = newReplyInbox(uuid.NewString())
		if err := b.inbox.subscribe(ctx, cfg.Conn); err != nil {
			return fail(err)
		}
		if h != nil {
			if b.replier, err = newReplier(ctx, cfg.Conn, logger); err != nil {
				return fail(err)
			}
		}
	}
	b.commands, err = cqrs.NewCommandBusWithConfig(b.tr.commandPub, cqrs.CommandBusConfig{
		GeneratePublishTopic: func(cqrs.CommandBusGeneratePublishTopicParams) (string, error) { return CommandTopic, nil },
		Marshaler:            commandMarshaler{},
		Logger:               logger,
	})
	if err != nil {
		return fail(fmt.Errorf("bus: command bus: %w", err))
	}
	if h != nil && cfg.Transport == TransportNATS { // in process Send calls h directly
		if err := b.startProcessor(ctx); err != nil {
			return fail(err)
		}
	}
	return b, nil
}

// startProcessor runs a router with the CQRS command processor and waits
// until its handlers have subscribed.
func (b *Bus) startProcessor(ctx context.Context) error {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: b.cfg.CloseTimeout}, b.logger)
	if err != nil {
		return fmt.Errorf("bus: router: %w", err)
	}
	// Outermost first: correlation IDs on whatever a handler produces; the
	// final failure reported to the sender; retries of transient errors;
	// panics turned into errors (and so retried, then reported).
	router.AddMiddleware(
		middleware.CorrelationID,
		b.reportFailure,
		middleware.Retry{
			MaxRetries:      b.cfg.MaxRetries,
			InitialInterval: b.cfg.RetryInterval,
			MaxInterval:     b.cfg.RetryMaxInterval,
			Multiplier:      2,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !refused(p.Err) },
			Logger:          b.logger,
		}.Middleware,
		middleware.Recoverer,
	)
	proc, err := cqrs.NewCommandProcessorWithConfig(router, cqrs.CommandProcessorConfig{
		GenerateSubscribeTopic: func(cqrs.CommandProcessorGenerateSubscribeTopicParams) (string, error) {
			return CommandTopic, nil
		},
		SubscriberConstructor: func(cqrs.CommandProcessorSubscriberConstructorParams) (message.Subscriber, error) {
			return b.tr.commandSub, nil
		},
		Marshaler: commandMarshaler{},
		Logger:    b.logger,
	})
	if err != nil {
		return fmt.Errorf("bus: command processor: %w", err)
	}
	// In process every subscriber of a topic gets every message, so there is
	// one; GoChannel hands each message to the router at once anyway. Over
	// NATS each worker is a pull subscription on the shared durable consumer.
	workers := 1
	if b.cfg.Transport == TransportNATS {
		workers = b.cfg.Workers
	}
	for i := 1; i <= workers; i++ {
		if _, err := proc.AddHandler(cqrs.NewCommandHandler(fmt.Sprintf("%s/%d", HandlerName, i), b.handle)); err != nil {
			return fmt.Errorf("bus: add handler: %w", err)
		}
	}
	b.router = router
	b.routerRun = make(chan struct{})
	go func() {
		defer close(b.routerRun)
		b.routerErr = router.Run(context.Background())
	}()
	select {
	case <-router.Running():
		return nil
	case <-b.routerRun:
		return fmt.Errorf("bus: router: %w", b.routerErr)
	case <-ctx.Done():
		_ = router.Close()
		<-b.routerRun
		return fmt.Errorf("bus: router did not start: %w", ctx.Err())
	}
}

// refused reports whether err is the domain refusing the command: answered,
// never retried.
func refused(err error) bool {
	return domain.KindOf(err) != domain.ErrInternal
}

// handle is the CQRS command handler: decode, handle, reply. A refusal is
// answered and the command acknowledged; another error is returned for the
// Retry middleware, and answered by reportFailure if it persists.
func (b *Bus) handle(ctx context.Context, c *commandMessage) error {
	res, err := b.apply(ctx, c)
	if err != nil && !refused(err) {
		return err
	}
	return b.reply(cqrs.OriginalMessageFromCtx(ctx), c, res, err)
}

// apply decodes the command and hands it to the handler. The handler's
// context is not cancelled with the message (as when the router closes): a
// command begun is finished, within HandleTimeout.
func (b *Bus) apply(ctx context.Context, c *commandMessage) (domain.Result, error) {
	env, err := domain.DecodeCommand(c.wire)
	if err != nil {
		return domain.Result{}, err
	}
	env.CausationID = c.causation
	env.Principal = c.principal
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HandleTimeout)
	defer cancel()
	return b.handler.Handle(hctx, env)
}

// reply sends the outcome to the sender, if the message came from Send (it
// carries an operation ID): a command published by other means is handled
// without reply. A reply that cannot be published is logged, not retried:
// the command was handled, and the sender, timing out with ErrNoReply, may
// send it again safely.
func (b *Bus) reply(msg *message.Message, c *commandMessage, res domain.Result, handleErr error) error {
	if msg == nil {
		return errors.New("bus: the command message is missing from the handler's context")
	}
	op := msg.Metadata.Get(requestreply.OperationIDMetadataKey)
	if op == "" {
		return nil
	}
	replyBus := msg.Metadata.Get(MetadataReplyBus)
	if !validToken(op) || (replyBus != "" && !validToken(replyBus)) {
		b.logger.Error("Command with a malformed reply address: not answered", nil,
			watermill.LogFields{"operation_id": op, "reply_bus": replyBus})
		return nil
	}
	body, err := encodeReply(c.command, res, handleErr)
	if err != nil {
		return err
	}
	subject := ReplySubjectPrefix + op
	if replyBus != "" {
		subject = ReplySubjectPrefix + replyBus + "." + op
	}
	m, err := replyMessage(subject, op, middleware.MessageCorrelationID(msg), body)
	if err != nil {
		return fmt.Errorf("bus: reply: %w", err)
	}
	if replyBus == "" {
		// A sender of an earlier version, subscribed to this subject alone
		// (natsreply.go): answered as it was.
		err = b.cfg.Conn.PublishMsg(m)
	} else {
		err = b.replier.publish(m)
	}
	if err != nil {
		b.logger.Error("Cannot publish command reply", err, watermill.LogFields{"topic": subject})
	}
	return nil
}

// reportFailure is the middleware between the router and Retry: an error
// that is left after the retries is sent to the sender (kind internal) and
// the command acknowledged; resending it with the same command ID is safe.
// While the Bus closes, the command is nacked instead, for another replica.
func (b *Bus) reportFailure(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err == nil || b.closing.Load() {
			return out, err
		}
		c := &commandMessage{command: msg.Metadata.Get(MetadataCommand)}
		fields := watermill.LogFields{
			"command": c.command, "message_uuid": msg.UUID,
			"correlation_id": middleware.MessageCorrelationID(msg),
		}
		b.logger.Error("Command failed after retries, reporting to the sender", err, fields)
		var p middleware.RecoveredPanicError
		if errors.As(err, &p) {
			err = fmt.Errorf("panic while handling the command: %v", p.V) // the stack stays in the log
		}
		if rerr := b.reply(msg, c, domain.Result{}, err); rerr != nil {
			b.logger.Error("Cannot report the failure to the sender", rerr, fields)
		}
		return out, nil
	}
}

// Send hands one command to the handler and returns its Result, or its
// error: a refusal as a *domain.Error with the kind, operation and problems
// the handler gave (errors.Is(err, domain.ErrNotFound) works); a failure
// that persisted through the retries as a *domain.Error of kind internal;
// ErrNoReply (wrapped) when no answer came in time, in which case the command
// may have been applied; ErrClosed after Close. A command without an ID gets
// one from Config.NewID before it is sent, so a redelivery is recognised as
// a duplicate. On error, the Result holds what the handler returned with it.
func (b *Bus) Send(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error) {
	if env.Command == nil {
		return domain.Result{}, &domain.Error{Op: "send", Kind: domain.ErrInvalid,
			Problems: []domain.Problem{{Field: "command", Reason: "missing"}}}
	}
	op := env.Command.CommandName()
	if env.ID == uuid.Nil {
		env.ID = b.cfg.NewID()
	}
	wire, err := domain.EncodeCommand(env)
	if err != nil {
		return domain.Result{}, fmt.Errorf("%s: encode: %w", op, err)
	}
	correlation := env.CorrelationID
	if correlation == uuid.Nil {
		correlation = env.ID
	}
	if b.closing.Load() {
		return domain.Result{}, fmt.Errorf("%s %s: %w", op, env.ID, ErrClosed)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ReplyTimeout)
	defer cancel()
	defer context.AfterFunc(b.closed, cancel)()
	msg := &commandMessage{wire: wire, command: op, correlation: correlation.String(), causation: env.CausationID, principal: env.Principal}
	if b.cfg.Transport == TransportInProcess {
		return b.sendDirect(ctx, op, env.ID, msg)
	}
	opID, replies := b.inbox.expect()
	defer b.inbox.forget(opID)
	err = b.commands.SendWithModifiedMessage(ctx, msg, func(m *message.Message) error {
		m.Metadata.Set(requestreply.OperationIDMetadataKey, opID)
		m.Metadata.Set(MetadataReplyBus, b.inbox.id)
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return domain.Result{}, b.noReply(op, env.ID, ctx.Err())
		}
		return domain.Result{}, fmt.Errorf("%s %s: send: %w", op, env.ID, err)
	}
	var m *nats.Msg
	select {
	case m = <-replies:
	case <-ctx.Done():
		select { // a reply that arrived is taken even if ctx has ended since
		case m = <-replies:
		default:
			return domain.Result{}, b.noReply(op, env.ID, ctx.Err())
		}
	}
	body, err := replyBody(m)
	if err != nil {
		return domain.Result{}, fmt.Errorf("%s %s: %w", op, env.ID, err)
	}
	res, handleErr, err := decodeReply(b.reg, body)
	if err != nil {
		return domain.Result{}, fmt.Errorf("%s %s: %w", op, env.ID, err)
	}
	return res, handleErr
}

func (b *Bus) noReply(op string, id uuid.UUID, cause error) error {
	if b.closed.Err() != nil {
		return fmt.Errorf("%s %s: %w", op, id, ErrClosed)
	}
	return fmt.Errorf("%s %s: %w: %w", op, id, ErrNoReply, cause)
}

// Close stops taking commands, waits (up to Config.CloseTimeout) for those
// being handled, whose senders still get their replies, then ends the
// pending Sends with ErrClosed. Over NATS a command taken but not yet
// acknowledged is delivered again, to another replica, after AckWait. The
// NATS connection is left open. Close is idempotent.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.directMu.Lock()
		b.closing.Store(true)
		b.directMu.Unlock()
		b.waitDirect()
		var errs []error
		if b.router != nil {
			if err := b.router.Close(); err != nil {
				errs = append(errs, fmt.Errorf("bus: close router: %w", err))
			}
			<-b.routerRun
			if b.routerErr != nil {
				errs = append(errs, fmt.Errorf("bus: router: %w", b.routerErr))
			}
		}
		b.markClose()
		if b.replier != nil {
			if err := b.replier.close(b.cfg.CloseTimeout); err != nil {
				errs = append(errs, fmt.Errorf("bus: close replies: %w", err))
			}
		}
		if b.inbox != nil {
			if err := b.inbox.close(); err != nil {
				errs = append(errs, fmt.Errorf("bus: close reply inbox: %w", err))
			}
		}
		if err := b.tr.close(); err != nil {
			errs = append(errs, fmt.Errorf("bus: close transport: %w", err))
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}
