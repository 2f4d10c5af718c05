package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
)

// natsFlags are the global flags that secure NATS: the embedded listener's
// TLS (or the consent to go without), and the credentials for --nats-url.
type natsFlags struct {
	tlsCert, tlsKey string
	insecureListen  bool
	user            string
	passwordFile    string
	creds           string
	nkey            string
	ca              string
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.tlsCert, "nats-tls-cert", n.tlsCert, "PEM certificate `file` for the --nats-listen listener, which then requires TLS (with --nats-tls-key)")
	fs.StringVar(&n.tlsKey, "nats-tls-key", n.tlsKey, "PEM private key `file` of --nats-tls-cert")
	fs.BoolVar(&n.insecureListen, "nats-insecure-listen", n.insecureListen, "let --nats-listen bind beyond loopback WITHOUT TLS: the NATS passwords and the whole history cross the network in clear text, readable by anyone on the path")
	fs.StringVar(&n.user, "nats-user", n.user, "NATS `user` for --nats-url (env NATS_USER); its password from --nats-password-file or env NATS_PASSWORD")
	fs.StringVar(&n.passwordFile, "nats-password-file", n.passwordFile, "`file` holding the --nats-user password (e.g. DATA_DIR/nats/engine.password of a serve --nats-listen)")
	fs.StringVar(&n.creds, "nats-creds", n.creds, "NATS credentials `file` (user JWT and nkey seed, as nsc makes) for --nats-url (env NATS_CREDS)")
	fs.StringVar(&n.nkey, "nats-nkey", n.nkey, "NATS nkey seed `file` for --nats-url (env NATS_NKEY)")
	fs.StringVar(&n.ca, "nats-ca", n.ca, "PEM CA certificate `file` to verify the --nats-url server's TLS certificate")
}

// validate checks the NATS flags against --nats-url and --nats-listen.
func (n *natsFlags) validate(natsURL, listen string) []error {
	var errs []error
	if listen != "" {
		host, _, err := net.SplitHostPort(listen)
		if err == nil && !lrjs.IsLoopback(host) && n.tlsCert == "" && !n.insecureListen {
			errs = append(errs, fmt.Errorf("--nats-listen %s reaches beyond this machine: give --nats-tls-cert and --nats-tls-key, "+
				"or --nats-insecure-listen to accept that the NATS passwords and the history cross the network in clear text "+
				"(or listen on 127.0.0.1)", listen))
		}
	}
	if (n.tlsCert == "") != (n.tlsKey == "") {
		errs = append(errs, errors.New("--nats-tls-cert and --nats-tls-key: give both or neither"))
	}
	if listen == "" {
		for name, set := range map[string]bool{"--nats-tls-cert": n.tlsCert != "", "--nats-tls-key": n.tlsKey != "", "--nats-insecure-listen": n.insecureListen} {
			if set {
				errs = append(errs, fmt.Errorf("%s applies to --nats-listen only", name))
			}
		}
	}
	if natsURL == "" {
		for name, set := range map[string]bool{"--nats-user": n.user != "", "--nats-password-file": n.passwordFile != "",
			"--nats-creds": n.creds != "", "--nats-nkey": n.nkey != "", "--nats-ca": n.ca != ""} {
			if set {
				errs = append(errs, fmt.Errorf("%s applies to --nats-url only (the embedded server's own credentials are in the data dir: see 'landrelease nats-creds')", name))
			}
		}
	}
	return errs
}

// clientOptions are how the engine authenticates to --nats-url: the flags, else
// the nats CLI's environment variables.
func (n natsFlags) clientOptions(natsURL string) ([]nats.Option, error) {
	user, creds, nkey := n.user, n.creds, n.nkey
	password := ""
	if user == "" && creds == "" && nkey == "" {
		user, creds, nkey = os.Getenv("NATS_USER"), os.Getenv("NATS_CREDS"), os.Getenv("NATS_NKEY")
	}
	if n.passwordFile != "" && user == "" {
		return nil, errors.New("--nats-password-file: needs --nats-user (or NATS_USER)")
	}
	if n.passwordFile != "" {
		b, err := os.ReadFile(n.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--nats-password-file: %w", err)
		}
		password = strings.TrimSpace(string(b))
	} else if user != "" {
		password = os.Getenv("NATS_PASSWORD")
	}
	given := 0
	for _, s := range []string{user, creds, nkey} {
		if s != "" {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, errors.New("NATS credentials: give one of --nats-user (with a password), --nats-creds or --nats-nkey")
	case user != "" && password == "":
		return nil, fmt.Errorf("NATS user %q (--nats-user or NATS_USER): no password: give --nats-password-file or NATS_PASSWORD", user)
	}
	if given > 0 && urlHasUser(natsURL) {
		return nil, errors.New("--nats-url carries a user already: give the credentials either in the URL or with --nats-user, --nats-creds or --nats-nkey")
	}
	var opts []nats.Option
	switch {
	case user != "":
		opts = append(opts, nats.UserInfo(user, password))
	case creds != "":
		if _, err := os.Stat(creds); err != nil {
			return nil, fmt.Errorf("--nats-creds: %w", err)
		}
		opts = append(opts, nats.UserCredentials(creds))
	case nkey != "":
		o, err := nats.NkeyOptionFromSeed(nkey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey: %w", err)
		}
		opts = append(opts, o)
	}
	if n.ca != "" {
		opts = append(opts, nats.RootCAs(n.ca))
	}
	return opts, nil
}

func urlHasUser(natsURL string) bool {
	for _, s := range strings.Split(natsURL, ",") {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			return true
		}
	}
	return false
}

// explainNATSError adds what to do to an authentication or permission
// failure of --nats-url.
func explainNATSError(err error) error {
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return fmt.Errorf("%w: the server wants other credentials: give --nats-user with --nats-password-file (or NATS_USER and NATS_PASSWORD), "+
			"--nats-creds FILE, --nats-nkey FILE, or user:password@ in the URL; a landrelease serve --nats-listen prints its engine's with "+
			"'landrelease --data-dir DIR nats-creds --engine'", err)
	case errors.Is(err, nats.ErrPermissionViolation):
		return fmt.Errorf("%w: this NATS identity may not do what the engine needs; use the engine's identity (user %s), not a read-only one", err, lrjs.EngineUser)
	}
	return err
}
