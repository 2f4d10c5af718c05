package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/domain"
)

// provFlags are the global flags of a national engine serving provincial
// offices, or of a provincial office (docs/operations.md, "Provincial
// office").
type provFlags struct {
	domain         string // --jetstream-domain
	leafListen     string // national: --leaf-listen
	offices        string // national: --offices DOMAIN=Province,...
	leaf           string // province: --leaf URL of the national leafnode listener
	leafPassword   string // province: --leaf-password-file
	leafCA         string // province: --leaf-ca
	nationalDomain string // province: --national-domain
	province       string // province: --province
}

func (p *provFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.domain, "jetstream-domain", p.domain, "JetStream `domain` of the embedded server: the national engine's (default national with --leaf-listen) or a provincial office's own, e.g. kh-battambang (required with --leaf)")
	fs.StringVar(&p.leafListen, "leaf-listen", p.leafListen, "national engine: accept provincial offices as NATS leaf nodes on `host:port` (7422 by convention); they authenticate as user leaf with DATA_DIR/nats/leaf.password; beyond loopback it needs --nats-tls-cert or --nats-insecure-listen")
	fs.StringVar(&p.offices, "offices", p.offices, "national engine: the provincial offices whose commands it decides, as `DOMAIN=Province,...` (e.g. kh-battambang=Battambang,kh-pailin=Pailin); an office may send commands for its province only")
	fs.StringVar(&p.leaf, "leaf", p.leaf, "provincial office: connect the embedded server as a leaf node to the national leafnode listener at `url` (nats://host:7422, or tls://host:7422); the office then works on a mirror of the national history and queues its commands for the national engine")
	fs.StringVar(&p.leafPassword, "leaf-password-file", p.leafPassword, "provincial office: `file` holding the password of user leaf (the national DATA_DIR/nats/leaf.password), unless the --leaf URL carries user:password")
	fs.StringVar(&p.leafCA, "leaf-ca", p.leafCA, "provincial office: PEM `file` of the certificate authorities for a tls:// --leaf (default: the system's)")
	fs.StringVar(&p.nationalDomain, "national-domain", p.nationalDomain, "provincial office: the national engine's JetStream `domain` (default national)")
	fs.StringVar(&p.province, "office-province", p.province, "provincial office: its `province` (of the gazetteer); commands given on the command line act as the MAPU of this province (not --province, which some verbs take)")
}

// isProvince: this process is a provincial office.
func (p *provFlags) isProvince() bool { return p.leaf != "" }

// isNational: this process serves provincial offices.
func (p *provFlags) isNational() bool { return p.leafListen != "" || p.offices != "" }

func (p *provFlags) validate(g *globals) []error {
	var errs []error
	if !p.isProvince() && !p.isNational() {
		if p.province != "" || p.nationalDomain != "" || p.leafPassword != "" || p.leafCA != "" {
			errs = append(errs, errors.New("--office-province, --national-domain, --leaf-password-file and --leaf-ca apply to a provincial office: give --leaf too"))
		}
		return errs
	}
	if g.natsURL != "" && (p.leaf != "" || p.leafListen != "") {
		errs = append(errs, errors.New("--leaf and --leaf-listen apply to the embedded server; on --nats-url the cluster's own configuration has the leafnode listener (deploy/nats/cluster.conf); --offices works on both"))
	}
	if p.isProvince() && p.isNational() {
		errs = append(errs, errors.New("--leaf (a provincial office) and --leaf-listen or --offices (the national engine) exclude each other"))
	}
	if p.isNational() && p.domain == "" {
		p.domain = lrjs.DefaultNationalDomain
	}
	if p.isProvince() {
		if p.domain == "" {
			errs = append(errs, errors.New("--leaf needs --jetstream-domain, the office's own domain (e.g. kh-battambang)"))
		}
		if p.province == "" {
			errs = append(errs, errors.New("--leaf needs --office-province, the office's province (e.g. Battambang)"))
		} else if c, ok := domain.CanonicalProvince(g.country, p.province); !ok {
			errs = append(errs, fmt.Errorf("--office-province %q: not a province of %s", p.province, g.country))
		} else {
			p.province = c
		}
		if u, err := url.Parse(p.leaf); err == nil && u.User == nil && p.leafPassword == "" {
			errs = append(errs, errors.New("--leaf needs the leaf password: --leaf-password-file FILE (a copy of the national DATA_DIR/nats/leaf.password), or user:password in the URL"))
		}
	}
	if p.domain != "" {
		if err := lrjs.ValidDomain(p.domain); err != nil {
			errs = append(errs, fmt.Errorf("--jetstream-domain: %w", err))
		}
	}
	if _, err := p.officeList(g.country); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// officeList parses --offices.
func (p *provFlags) officeList(country string) ([]lrjs.Office, error) {
	if p.offices == "" {
		return nil, nil
	}
	var out []lrjs.Office
	seen := map[string]bool{}
	for _, item := range strings.Split(p.offices, ",") {
		d, prov, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("--offices %q: want DOMAIN=Province items such as kh-battambang=Battambang", item)
		}
		if err := lrjs.ValidDomain(d); err != nil {
			return nil, fmt.Errorf("--offices: %w", err)
		}
		c, ok := domain.CanonicalProvince(country, prov)
		if !ok {
			return nil, fmt.Errorf("--offices %q: %q is not a province of %s", item, prov, country)
		}
		if seen[d] || d == p.domain {
			return nil, fmt.Errorf("--offices: domain %q given twice, or the national engine's own", d)
		}
		seen[d] = true
		out = append(out, lrjs.Office{Domain: d, Province: c})
	}
	return out, nil
}

// leafConfig is the embedded server's part of these flags.
func (p *provFlags) leafConfig() (lrjs.LeafConfig, error) {
	lc := lrjs.LeafConfig{Domain: p.domain, Listen: p.leafListen, Remote: p.leaf, RemoteCA: p.leafCA, NationalDomain: p.nationalDomain}
	if p.leaf != "" && p.leafPassword != "" {
		b, err := os.ReadFile(p.leafPassword)
		if err != nil {
			return lc, fmt.Errorf("--leaf-password-file: %w", err)
		}
		lc.RemoteUser, lc.RemotePassword = lrjs.LeafUser, strings.TrimSpace(string(b))
	}
	return lc, nil
}

func (p *provFlags) national() string {
	if p.nationalDomain == "" {
		return lrjs.DefaultNationalDomain
	}
	return p.nationalDomain
}

// officeRole is the role a command given on a provincial office's command
// line acts as: the MAPU of its province.
func (p *provFlags) officeRole() domain.Role {
	return domain.Role{Kind: domain.RoleMAPU, Scope: p.province}
}

// openProvince prepares a provincial office's streams on nc (before the
// store opens the mirror as the history).
func openProvince(ctx context.Context, nc *nats.Conn, p *provFlags) error {
	js, err := jsOf(nc)
	if err != nil {
		return err
	}
	if err := lrjs.EnsureProvinceStreams(ctx, js, p.domain, p.national()); err != nil {
		return fmt.Errorf("provincial office %s: %w", p.domain, err)
	}
	return nil
}

// errQueued is what the provincial handler's store answers instead of
// appending: the command passed the local checks and goes to the outbox.
var errQueued = errors.New("validated on the provincial mirror; the national engine decides")

// provinceStore is a provincial office's event store for its handler: the
// mirror of the national history, read-only. Append stores nothing and
// answers errQueued, so the handler validates a command against the
// mirrored state (domain rules and role checks) and the office queues it.
type provinceStore struct{ *lrjs.Store }

func (provinceStore) Append(context.Context, []domain.Write) (uint64, error) {
	return 0, errQueued
}
