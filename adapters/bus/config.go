package bus

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/domain"
)

// Transport says how commands travel.
type Transport string

const (
	// TransportInProcess carries commands over a watermill GoChannel inside
	// this process: sender and handler are the same engine.
	TransportInProcess Transport = "inprocess"
	// TransportNATS carries commands over the JetStream work-queue stream
	// StreamName and replies over core NATS: any engine replica connected to
	// the same NATS system may handle a command.
	TransportNATS Transport = "nats"
)

// Config configures a Bus. Build one with DefaultConfig and change what
// differs; New refuses a Config that does not Validate.
type Config struct {
	Transport Transport
	// Conn is the NATS connection of TransportNATS (unused in process). The
	// caller owns it: the Bus never drains or closes it.
	Conn *nats.Conn
	// StreamReplicas is the replica count of the JetStream stream and its
	// consumer: 1 on a single server, 3 in a cluster.
	StreamReplicas int
	// Workers is how many commands one replica handles at once over NATS
	// (each worker pulls one command at a time, so an idle replica is never
	// starved by a busy one). In process, commands are handled as they come.
	Workers int
	// ReplyTimeout bounds how long Send waits for the handler's reply when
	// its context allows longer.
	ReplyTimeout time.Duration
	// HandleTimeout bounds one attempt of the handler at one command.
	HandleTimeout time.Duration
	// MaxRetries is how many times a command that failed for a reason other
	// than a domain refusal is tried again; RetryInterval is the first wait,
	// doubled each time up to RetryMaxInterval.
	MaxRetries       int
	RetryInterval    time.Duration
	RetryMaxInterval time.Duration
	// AckWait is how long JetStream waits for a replica to acknowledge a
	// command before it delivers it again; it must exceed the longest a
	// command can take with all its retries. MaxDeliver bounds those
	// deliveries (a command that crashes every replica stops after it).
	AckWait    time.Duration
	MaxDeliver int
	// CloseTimeout bounds how long Close waits for commands being handled.
	CloseTimeout time.Duration
	// NewID assigns a command ID to a command sent without one.
	NewID func() uuid.UUID
	// Logger receives watermill's and the bus's logs; nil logs nothing.
	Logger watermill.LoggerAdapter
}

// DefaultConfig returns the configuration of an engine with an in-process
// bus. For NATS set Transport and Conn (and StreamReplicas in a cluster).
func DefaultConfig() Config {
	return Config{
		Transport:        TransportInProcess,
		StreamReplicas:   1,
		Workers:          4,
		ReplyTimeout:     60 * time.Second,
		HandleTimeout:    10 * time.Second,
		MaxRetries:       3,
		RetryInterval:    100 * time.Millisecond,
		RetryMaxInterval: time.Second,
		AckWait:          60 * time.Second,
		MaxDeliver:       5,
		CloseTimeout:     30 * time.Second,
		NewID:            func() uuid.UUID { return uuid.Must(uuid.NewV7()) },
	}
}

// worstCase is the longest one delivery of a command can take: every attempt
// running to HandleTimeout, with the longest waits between them.
func (c Config) worstCase() time.Duration {
	d := time.Duration(c.MaxRetries+1) * c.HandleTimeout
	wait := c.RetryInterval
	for i := 0; i < c.MaxRetries; i++ {
		d += min(wait, c.RetryMaxInterval)
		wait *= 2
	}
	return d
}

// Validate reports every problem with the configuration at once, as an
// ErrInvalid *domain.Error whose problems name the fields.
func (c Config) Validate() error {
	var p domain.Problems
	switch c.Transport {
	case TransportInProcess:
	case TransportNATS:
		if c.Conn == nil {
			p.Add("conn", "a NATS connection is required for transport %q", TransportNATS)
		}
		if c.StreamReplicas < 1 || c.StreamReplicas > 5 {
			p.Add("stream_replicas", "must be between 1 and 5, got %d", c.StreamReplicas)
		}
		if c.Workers < 1 {
			p.Add("workers", "must be at least 1, got %d", c.Workers)
		}
		if c.MaxDeliver < 1 {
			p.Add("max_deliver", "must be at least 1, got %d", c.MaxDeliver)
		}
		if c.AckWait <= 0 {
			p.Add("ack_wait", "must be positive, got %s", c.AckWait)
		} else if c.HandleTimeout > 0 && c.MaxRetries >= 0 && c.AckWait <= c.worstCase() {
			p.Add("ack_wait", "%s does not exceed the worst case of one delivery (%d attempts of %s with backoff: %s); the command would be delivered again while still being handled",
				c.AckWait, c.MaxRetries+1, c.HandleTimeout, c.worstCase())
		}
	default:
		p.Add("transport", "want %q or %q, got %q", TransportInProcess, TransportNATS, c.Transport)
	}
	if c.ReplyTimeout <= 0 {
		p.Add("reply_timeout", "must be positive, got %s", c.ReplyTimeout)
	}
	if c.HandleTimeout <= 0 {
		p.Add("handle_timeout", "must be positive, got %s", c.HandleTimeout)
	}
	if c.MaxRetries < 0 {
		p.Add("max_retries", "must not be negative, got %d", c.MaxRetries)
	}
	if c.MaxRetries > 0 {
		if c.RetryInterval <= 0 {
			p.Add("retry_interval", "must be positive, got %s", c.RetryInterval)
		}
		if c.RetryMaxInterval < c.RetryInterval {
			p.Add("retry_max_interval", "must be at least the retry interval (%s), got %s", c.RetryInterval, c.RetryMaxInterval)
		}
	}
	if c.CloseTimeout <= 0 {
		p.Add("close_timeout", "must be positive, got %s", c.CloseTimeout)
	}
	if c.NewID == nil {
		p.Add("new_id", "a command ID source is required")
	}
	return p.Err("bus config")
}
