package jetstream

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedConfig configures the in-process nats-server.
type EmbeddedConfig struct {
	DataDir string // JetStream storage goes to DataDir/jetstream; required
	// Listen, when not empty (host:port, port 0 for any free one), exposes
	// the server to other NATS clients; empty means in-process only. Every
	// client, in process or not, authenticates as one of the identities of
	// EnsureCredentials(DataDir).
	Listen string
	// TLSCert and TLSKey (PEM files, both or neither) make the listener
	// require TLS. A Listen address beyond loopback needs them, or
	// InsecureListen.
	TLSCert, TLSKey string
	// InsecureListen lets Listen bind beyond loopback without TLS: passwords
	// and the whole history then cross the network in clear text.
	InsecureListen bool
	// SyncAlways syncs every write to disk before acknowledging it. Without
	// it nats-server syncs every two minutes and a power loss can lose
	// acknowledged events. On by default.
	SyncAlways   bool
	StartTimeout time.Duration
	// Leaf makes the server the national hub or a provincial leaf node
	// (leaf.go); the zero value is a standalone server.
	Leaf LeafConfig
}

// DefaultEmbeddedConfig returns the durable defaults for dataDir.
func DefaultEmbeddedConfig(dataDir string) EmbeddedConfig {
	return EmbeddedConfig{DataDir: dataDir, SyncAlways: true, StartTimeout: 30 * time.Second}
}

// Validate reports every problem at once.
func (c EmbeddedConfig) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir: required"))
	}
	if c.Listen != "" {
		host, _, err := splitHostPort(c.Listen)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("nats listen address %q: %w", c.Listen, err))
		case !IsLoopback(host) && c.TLSCert == "" && !c.InsecureListen:
			errs = append(errs, fmt.Errorf("nats listen address %q: beyond loopback the listener needs TLS (TLSCert, TLSKey) or InsecureListen", c.Listen))
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("nats TLS: give both the certificate and the key, or neither"))
	}
	if c.TLSCert != "" && c.Listen == "" && c.Leaf.Listen == "" {
		errs = append(errs, errors.New("nats TLS: applies to a listener only (Listen is empty)"))
	}
	errs = append(errs, c.Leaf.validate(c)...)
	if c.StartTimeout <= 0 {
		errs = append(errs, errors.New("start timeout: must be positive"))
	}
	return errors.Join(errs...)
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number between 0 and 65535", p)
	}
	return host, port, nil
}

// IsLoopback reports whether host (of a host:port) names only this machine:
// a loopback IP or "localhost". An empty host (every interface) is not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Embedded is a running in-process nats-server with JetStream.
type Embedded struct {
	srv   *server.Server
	opts  *server.Options // the server's own: it writes the ports it chose
	creds Credentials
}

// StartEmbedded starts a nats-server in this process. Close shuts it down.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	creds, err := EnsureCredentials(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName: "landrelease",
		JetStream:  true,
		StoreDir:   filepath.Join(cfg.DataDir, "jetstream"),
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true,
		NoLog:      true,
		DontListen: cfg.Listen == "",
		Users:      serverUsers(creds),
	}
	if cfg.Listen != "" {
		host, port, _ := splitHostPort(cfg.Listen)
		opts.Host, opts.Port = host, port
		if port == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	if cfg.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("embedded nats-server TLS (%s, %s): %w", cfg.TLSCert, cfg.TLSKey, err)
		}
		opts.TLSConfig, opts.TLS, opts.TLSTimeout = tc, true, 2
	}
	if err := cfg.Leaf.apply(opts, cfg.DataDir, cfg.TLSCert, cfg.TLSKey); err != nil {
		return nil, err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(cfg.StartTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded nats-server did not start within %s (is %s locked by another landrelease?)", cfg.StartTimeout, opts.StoreDir)
	}
	return &Embedded{srv: srv, opts: opts, creds: creds}, nil
}

// Connect opens a client connection to the embedded server, in process,
// authenticated as the engine.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	// A smaller sync queue than nats.go's 65,536 keeps a subscription made
	// per request (jetstreamext.GetBatch's, natsext's) from allocating a
	// 512 KiB channel: loads through GetBatch ran 1.5× faster. Store.Load
	// no longer subscribes per request (getmux.go).
	opts = append([]nats.Option{nats.InProcessServer(e.srv), nats.Name("landrelease"), nats.SyncQueueLen(512),
		nats.UserInfo(e.creds.Engine.User, e.creds.Engine.Password), nats.CustomInboxPrefix(EngineInboxPrefix)}, opts...)
	return nats.Connect("", opts...)
}

// Credentials returns the identities the server accepts.
func (e *Embedded) Credentials() Credentials { return e.creds }

// ClientURL returns the URL other clients can connect to, or "" when the
// server does not listen.
func (e *Embedded) ClientURL() string {
	if e.srv.Addr() == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// Close shuts the server down and waits until it has stopped, so its files
// are consistent and unlocked.
func (e *Embedded) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
