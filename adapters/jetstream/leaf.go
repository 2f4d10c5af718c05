package jetstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/landrelease/landrelease/events"
)

// Provincial offices (docs/operations.md, "Provincial office"): the national
// engine's server has a leafnode listener and its own JetStream domain; a
// province's embedded server connects to it as a leaf node, in a JetStream
// domain of its own:
//
//	national (domain "national")            province (domain "kh-battambang")
//	LANDRELEASE ─────────── mirror ───────▶ LANDRELEASE (read-only copy, same sequences)
//	national engine ── durable pull consumer across the domain ──▶ LANDRELEASE_OUTBOX
//	                                            lrprov.kh-battambang.<command ID>
//	national engine ── JetStream publish, acknowledged ─────────▶ LANDRELEASE_OUTCOMES
//	                                            lrres.kh-battambang.<command ID>
//
// The history crosses by JetStream's mirroring, which resumes by itself
// where it stopped. The outbox is read by the national engine with a
// durable consumer that lives in the province's domain, so its position
// survives both sides' restarts; a command is acknowledged only once its
// outcome is stored in the province. (Sourcing the outboxes into a national
// stream and mirroring the outcomes back were tried first: after a short
// cut, a push-based source or filtered mirror sometimes stopped delivering
// new messages in our tests with nats-server 2.15.2; pull requests and
// acknowledged publishes have no such state to lose.)
const (
	// LeafUser is the identity provincial servers use on the national
	// leafnode listener; its password is DATA_DIR/nats/leaf.password of
	// the national engine.
	LeafUser = "leaf"
	// DefaultNationalDomain is the JetStream domain of the national engine
	// when none is given.
	DefaultNationalDomain = "national"
	// OutboxStream holds the commands written in a province, one subject
	// per command ID (lrprov.<domain>.<command ID>), at most one message
	// each: the command ID stays the idempotency key from the office on.
	OutboxStream = "LANDRELEASE_OUTBOX"
	// InboxConsumer is the national engine's durable consumer on each
	// office's outbox (it lives in the office's domain).
	InboxConsumer = "landrelease-decide"
	// OutcomeStream holds, in a province, the national decision on each of
	// its commands (lrres.<domain>.<command ID>, the latest only), written
	// there by the national engine.
	OutcomeStream = "LANDRELEASE_OUTCOMES"
	// OutboxPrefix and OutcomePrefix are the first tokens of those subjects.
	OutboxPrefix  = "lrprov"
	OutcomePrefix = "lrres"
)

var domainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidDomain reports why name cannot be a JetStream domain, or nil.
func ValidDomain(name string) error {
	if !domainName.MatchString(name) {
		return fmt.Errorf("JetStream domain %q: want letters, digits, '-' or '_' (at most 64), such as kh-battambang", name)
	}
	return nil
}

// LeafConfig makes the embedded server part of a national/provincial
// deployment. The zero value is a standalone server.
type LeafConfig struct {
	// Domain is this server's JetStream domain (required with Listen or
	// Remote).
	Domain string
	// Listen (national): host:port of the leafnode listener provincial
	// servers connect to; they authenticate as LeafUser with the password
	// in DATA_DIR/nats/leaf.password. Beyond loopback it needs
	// EmbeddedConfig's TLS (or InsecureListen), like the client listener.
	Listen string
	// Remote (province): URL of the national leafnode listener
	// (nats://host:7422, or tls://host:7422 to require TLS). User and
	// password come from the URL or from RemoteUser, RemotePassword.
	Remote                     string
	RemoteUser, RemotePassword string
	// RemoteCA is a PEM file of the certificate authorities trusted for a
	// tls:// remote (empty: the system's).
	RemoteCA string
	// NationalDomain is the national JetStream domain (province; default
	// DefaultNationalDomain).
	NationalDomain string
	// Reconnect is how often a cut link is retried (default 1 s).
	Reconnect time.Duration
}

func (l LeafConfig) validate(c EmbeddedConfig) []error {
	var errs []error
	if l.Listen == "" && l.Remote == "" {
		if l.Domain != "" {
			if err := ValidDomain(l.Domain); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	if err := ValidDomain(l.Domain); err != nil {
		errs = append(errs, err)
	}
	if l.Listen != "" {
		host, _, err := splitHostPort(l.Listen)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("leafnode listen address %q: %w", l.Listen, err))
		case !IsLoopback(host) && c.TLSCert == "" && !c.InsecureListen:
			errs = append(errs, fmt.Errorf("leafnode listen address %q: beyond loopback the listener needs TLS (the NATS certificate and key) or the insecure-listen option", l.Listen))
		}
	}
	if l.Remote != "" {
		u, err := url.Parse(l.Remote)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("leaf remote %q: %w", l.Remote, err))
		case u.Scheme != "nats" && u.Scheme != "tls":
			errs = append(errs, fmt.Errorf("leaf remote %q: want nats://host:7422 or tls://host:7422", l.Remote))
		case u.Port() == "":
			errs = append(errs, fmt.Errorf("leaf remote %q: give the port of the national leafnode listener (usually 7422)", l.Remote))
		}
		nd := l.national()
		if err := ValidDomain(nd); err != nil {
			errs = append(errs, err)
		} else if nd == l.Domain {
			errs = append(errs, fmt.Errorf("JetStream domain %q: a province needs a domain of its own, not the national one", l.Domain))
		}
	}
	return errs
}

func (l LeafConfig) national() string {
	if l.NationalDomain == "" {
		return DefaultNationalDomain
	}
	return l.NationalDomain
}

// apply sets the leafnode and domain options of opts; creds get the leaf
// password (national).
func (l LeafConfig) apply(opts *server.Options, dataDir string, tlsCert, tlsKey string) error {
	if l.Domain == "" {
		return nil
	}
	opts.JetStreamDomain = l.Domain
	opts.ServerName = "landrelease-" + l.Domain
	reconnect := l.Reconnect
	if reconnect <= 0 {
		reconnect = time.Second
	}
	opts.LeafNode.ReconnectInterval = reconnect
	if l.Listen != "" {
		pw, err := ensurePassword(PasswordFile(dataDir, LeafUser))
		if err != nil {
			return err
		}
		host, port, _ := splitHostPort(l.Listen)
		opts.LeafNode.Host, opts.LeafNode.Port = host, port
		if port == 0 {
			opts.LeafNode.Port = server.RANDOM_PORT
		}
		// Not LeafNode.Users: nats-server applies no permissions to
		// those. A leaf connection without leafnode users authenticates
		// against the server's users, permissions included.
		opts.Users = append(opts.Users, &server.User{Username: LeafUser, Password: pw, Permissions: LeafPermissions(l.Domain)})
		if tlsCert != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: tlsCert, KeyFile: tlsKey})
			if err != nil {
				return fmt.Errorf("leafnode TLS (%s, %s): %w", tlsCert, tlsKey, err)
			}
			opts.LeafNode.TLSConfig, opts.LeafNode.TLSTimeout = tc, 2
		}
	}
	if l.Remote != "" {
		u, err := url.Parse(l.Remote)
		if err != nil {
			return err
		}
		if l.RemoteUser != "" {
			u.User = url.UserPassword(l.RemoteUser, l.RemotePassword)
		}
		r := &server.RemoteLeafOpts{URLs: []*url.URL{u}}
		if u.Scheme == "tls" || l.RemoteCA != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CaFile: l.RemoteCA})
			if err != nil {
				return fmt.Errorf("leaf remote TLS (CA %s): %w", l.RemoteCA, err)
			}
			tc.ServerName = u.Hostname()
			r.TLS, r.TLSConfig, r.TLSTimeout = true, tc, 5
		}
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{r}
	}
	return nil
}

// LeafPermissions are what a provincial server may do over its leaf
// connection to the national server of domain national (from the
// province's point of view): read the history and its own outcomes, serve
// the national side's sourcing of its outbox, and nothing that writes to
// the national history, the command queue, the token bucket or the
// national streams' configuration. Every provincial command reaches the
// national history only through the national engine's decision.
func LeafPermissions(national string) *server.Permissions {
	api := "$JS." + national + ".API."
	// Publish is what the leaf may send into the national server;
	// TestLeafMirrorOutboxOutcomesAcrossCut proves a forged event does not
	// land in the national history.
	deny := []string{
		events.SubjectPrefix + ".>", "lrcmd.>", "lrreply.>", OutcomePrefix + ".>", OutboxPrefix + ".>",
		"$KV.>", "$JS.API.>",
		api + "STREAM.CREATE.>", api + "STREAM.UPDATE.>", api + "STREAM.DELETE.>",
		api + "STREAM.PURGE.>", api + "STREAM.MSG.DELETE.>", api + "STREAM.SNAPSHOT.>",
		api + "STREAM.RESTORE.>", api + "STREAM.PEER.>", api + "STREAM.LEADER.>",
		api + "META.>", api + "SERVER.>", api + "ACCOUNT.>",
		api + "*.*.KV_" + TokensBucket, api + "*.*.KV_" + TokensBucket + ".>",
		api + "DIRECT.GET.KV_" + TokensBucket + ".>",
		api + "*.*.*.KV_" + TokensBucket + ".>",
		api + "*.*.LANDRELEASE_COMMANDS", api + "*.*.LANDRELEASE_COMMANDS.>",
	}
	return &server.Permissions{
		Publish: &server.SubjectPermission{Deny: deny},
	}
}

// OutboxSubject and OutcomeSubject name one command of a province.
func OutboxSubject(domain, commandID string) string {
	return OutboxPrefix + "." + domain + "." + commandID
}
func OutcomeSubject(domain, commandID string) string {
	return OutcomePrefix + "." + domain + "." + commandID
}

// LeafURL returns the URL of the leafnode listener ("" without one).
func (e *Embedded) LeafURL() string {
	if e.opts.LeafNode.Port <= 0 {
		return ""
	}
	host := e.opts.LeafNode.Host
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "nats://" + net.JoinHostPort(host, strconv.Itoa(e.opts.LeafNode.Port))
}

// LeafConnected reports whether the leaf link(s) are up: for a province,
// its link to the national server; for the national server, how many
// provinces are connected.
func (e *Embedded) LeafConnected() int { return e.srv.NumLeafNodes() }

// EnsureProvinceStreams creates, in a provincial server of domain, the
// mirror of the national history (named StreamName, so the store, the
// projections and every read verb open it as the history), the outbox and
// the outcome stream. Existing streams are kept. It works offline:
// JetStream starts mirroring when the link comes up.
//
// The mirror is written with JetStream's asynchronous persist mode (no fsync
// per message, even on a server run with SyncAlways): everything in it can
// be fetched again from the national stream, and after a crash that loses
// its tail the mirror resumes from its own last sequence, so the messages
// come back with the same sequences (a read model ahead of it for a while
// skips them). With an fsync per mirrored message a new office's catch-up
// ran at about 0.03 of a raw ordered read of the same stream. The outbox
// and the outcomes, which exist nowhere else until the other side has them,
// keep the server's SyncAlways. A mirror created by an earlier version
// keeps its mode (JetStream cannot change it on an existing stream).
func EnsureProvinceStreams(ctx context.Context, js jetstream.JetStream, domain, national string) error {
	mirror := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "landrelease: mirror of the national history (domain " + national + ")",
		Storage:     jetstream.FileStorage,
		Mirror:      &jetstream.StreamSource{Name: StreamName, Domain: national},
		AllowDirect: true, MirrorDirect: false,
		DenyDelete: true, DenyPurge: true,
		PersistMode: jetstream.AsyncPersistMode,
	}
	outbox := jetstream.StreamConfig{
		Name:              OutboxStream,
		Description:       "landrelease: commands written in this office, decided by the national engine",
		Subjects:          []string{OutboxPrefix + "." + domain + ".*"},
		Storage:           jetstream.FileStorage,
		MaxMsgsPerSubject: 1,
		Discard:           jetstream.DiscardNew, DiscardNewPerSubject: true,
		DenyDelete: true, DenyPurge: true, AllowDirect: true,
	}
	outcomes := jetstream.StreamConfig{
		Name:              OutcomeStream,
		Description:       "landrelease: the national decisions on this office's commands (the latest per command)",
		Subjects:          []string{OutcomePrefix + "." + domain + ".*"},
		Storage:           jetstream.FileStorage,
		MaxMsgsPerSubject: 1, AllowDirect: true,
	}
	for _, sc := range []jetstream.StreamConfig{mirror, outbox, outcomes} {
		if err := ensureKept(ctx, js, sc); err != nil {
			return err
		}
	}
	return nil
}

// Office is a provincial office as the national side knows it: its
// JetStream domain and its province (of the gazetteer).
type Office struct {
	Domain, Province string
}

// OutboxAckWait is how long the office's server waits for the national
// engine to acknowledge a command it delivered before delivering it again.
// A kill of the office's process loses the national engine's negative
// acknowledgements of the batch it was deciding (they go to the dead
// server), so after the restart those commands wait this long (a minute
// made a killed office's commands wait past a minute: a flaky test under
// load). A batch (50 commands, decided in milliseconds each) is acknowledged
// well within it; a command delivered twice meets its command ID.
const OutboxAckWait = 15 * time.Second

// OutboxConsumerConfig is the national engine's durable consumer on the
// outbox of the office of domain d: every command once, acknowledged after
// its outcome is stored in the province, redelivered otherwise.
func OutboxConsumerConfig(d string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       InboxConsumer,
		Description:   "landrelease national engine: decides this office's commands",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       OutboxAckWait,
		MaxAckPending: 1000,
		FilterSubject: OutboxPrefix + "." + d + ".*",
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// ensureKept creates sc unless a stream of that name exists.
func ensureKept(ctx context.Context, js jetstream.JetStream, sc jetstream.StreamConfig) error {
	_, err := js.Stream(ctx, sc.Name)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s: %w", sc.Name, err)
	}
	if _, err := js.CreateStream(ctx, sc); err != nil && !strings.Contains(err.Error(), "already in use") {
		return fmt.Errorf("create stream %s: %w", sc.Name, err)
	}
	return nil
}
