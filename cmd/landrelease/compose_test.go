package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/uuid"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	lrjs "github.com/landrelease/landrelease/adapters/jetstream"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
)

// The deployment of docker-compose.yml cannot be started here (no Docker
// engine runs in CI), so this test checks that it agrees with what it
// deploys: the compose file loads and validates with the compose-spec
// reference parser, every engine command line parses with this CLI, the
// ports, URLs and health checks name what the NATS configuration and the
// engine flags say, and the Dockerfile builds and runs the binary the
// services expect.

const repoRoot = "../.."

// The secrets loadCompose gives the compose file, as an operator would.
const (
	composeEnginePassword = "e1ea5e0f3a7c44e1b2d0c9a8f7e6d5c4"
	composeReaderPassword = "0d2c4b6a8f9e7d5c3b1a0f9e8d7c6b5a"
	composeRoutePassword  = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
)

var composeEnv = []string{"POSTGRES_PASSWORD=s3cret", "LR_NATS_ENGINE_PASSWORD=" + composeEnginePassword,
	"LR_NATS_READER_PASSWORD=" + composeReaderPassword, "LR_NATS_ROUTE_PASSWORD=" + composeRoutePassword,
	"LR_NATS_LEAF_PASSWORD=" + composeLeafPassword}

const composeLeafPassword = "5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"

// loadCompose loads docker-compose.yml as `docker compose` does, from the
// repository root, with the passwords set so interpolation is checked.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadComposeEnv(composeEnv)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	return p
}

func loadComposeEnv(env []string) (*types.Project, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return nil, err
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root), cli.WithEnv(env))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// TestComposeHasNoDefaultNATSPasswords: without the NATS passwords the
// deployment does not start, naming the one missing.
func TestComposeHasNoDefaultNATSPasswords(t *testing.T) {
	for i, kv := range composeEnv {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "LR_NATS_") {
			continue
		}
		env := slices.Delete(slices.Clone(composeEnv), i, i+1)
		if _, err := loadComposeEnv(env); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: %v, want a refusal naming it", name, err)
		}
	}
}

// composeRoles sorts the services: NATS servers by image, PostgreSQL by image,
// engines by being built from the repository's Dockerfile.
type composeRoles struct {
	nats     []string
	postgres string
	engines  []string
}

func rolesOf(t *testing.T, p *types.Project) composeRoles {
	t.Helper()
	var r composeRoles
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		switch {
		case s.Build != nil:
			r.engines = append(r.engines, name)
		case strings.HasPrefix(s.Image, "nats:"):
			r.nats = append(r.nats, name)
		case strings.HasPrefix(s.Image, "postgres:"):
			if r.postgres != "" {
				t.Errorf("two PostgreSQL services: %s and %s", r.postgres, name)
			}
			r.postgres = name
		default:
			t.Errorf("service %s: neither NATS, PostgreSQL nor built from the Dockerfile (image %q)", name, s.Image)
		}
	}
	if len(r.nats) != 3 || r.postgres == "" || len(r.engines) < 2 {
		t.Fatalf("want three NATS servers, PostgreSQL and two or more engines; got NATS %v, PostgreSQL %q, engines %v", r.nats, r.postgres, r.engines)
	}
	return r
}

func TestComposeFileLoadsAndPinsItsImages(t *testing.T) {
	p := loadCompose(t)
	r := rolesOf(t, p)
	pinned := regexp.MustCompile(`^[a-z0-9./-]+:(\d+)\.(\d+)(\.\d+)?(-[a-z0-9.]+)?$`)
	for _, name := range append(slices.Clone(r.nats), r.postgres) {
		img := p.Services[name].Image
		m := pinned.FindStringSubmatch(img)
		if m == nil {
			t.Errorf("service %s: image %q is not pinned to a version", name, img)
			continue
		}
		if strings.HasPrefix(img, "nats:") {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major < 2 || major == 2 && minor < 12 {
				t.Errorf("service %s: %s is older than nats-server 2.12, which atomic batch appends need", name, img)
			}
		}
	}
	// Every named volume a service mounts is declared, and every declared
	// one is used.
	used := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		for _, v := range p.Services[name].Volumes {
			switch v.Type {
			case types.VolumeTypeVolume:
				if _, ok := p.Volumes[v.Source]; !ok {
					t.Errorf("service %s mounts volume %q, which is not declared", name, v.Source)
				}
				used[v.Source] = true
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %s, which is not in the repository: %v", name, v.Source, err)
				}
			}
		}
	}
	for name := range p.Volumes {
		if !used[name] {
			t.Errorf("volume %q is declared but no service mounts it", name)
		}
	}
}

// natsNode is what the compose file and deploy/nats say about one server.
type natsNode struct {
	name string
	opts *natsserver.Options
}

// natsNodes reads each NATS service's configuration file with nats-server's
// own parser, in the environment the service gives it.
func natsNodes(t *testing.T, p *types.Project, names []string) []natsNode {
	t.Helper()
	var nodes []natsNode
	for _, name := range names {
		s := p.Services[name]
		conf := flagValue(s.Command, "--config", "-c")
		if conf == "" {
			t.Fatalf("service %s: command %q gives no --config", name, s.Command)
		}
		host := ""
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind && v.Target == conf {
				host = v.Source
			}
		}
		if host == "" {
			t.Fatalf("service %s: its config %s is not mounted from the repository", name, conf)
		}
		for k, v := range s.Environment {
			if v != nil {
				t.Setenv(k, *v)
			}
		}
		opts, err := natsserver.ProcessConfigFile(host)
		if err != nil {
			t.Fatalf("service %s: %s: %v", name, host, err)
		}
		nodes = append(nodes, natsNode{name: name, opts: opts})

		if opts.ServerName != name {
			t.Errorf("service %s: server_name is %q, want the service name", name, opts.ServerName)
		}
		if !opts.JetStream {
			t.Errorf("service %s: JetStream is not enabled", name)
		}
		if !opts.SyncAlways {
			t.Errorf("service %s: JetStream does not sync every write; three servers on one host lose acknowledged writes on a power cut", name)
		}
		if !underVolume(s, opts.StoreDir) {
			t.Errorf("service %s: store_dir %s is not on a named volume", name, opts.StoreDir)
		}
		want := fmt.Sprintf("http://127.0.0.1:%d/healthz?js-enabled-only=true", opts.HTTPPort)
		if s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, want) {
			t.Errorf("service %s: health check %v does not ask %s", name, healthTest(s), want)
		}
		if opts.Cluster.Name == "" || opts.Cluster.Port == 0 {
			t.Errorf("service %s: no cluster name or port", name)
		}
		if opts.Cluster.Username == "" || opts.Cluster.Password != composeRoutePassword {
			t.Errorf("service %s: routes need no credentials (cluster authorization user %q)", name, opts.Cluster.Username)
		}
		checkNATSUsers(t, name, opts)
	}
	// Routes: every server names all three, each at its cluster port.
	for _, n := range nodes {
		var got []string
		for _, u := range n.opts.Routes {
			got = append(got, u.Host)
			if pw, _ := u.User.Password(); u.User.Username() != n.opts.Cluster.Username || pw != n.opts.Cluster.Password {
				t.Errorf("service %s: route to %s does not carry the cluster's route credentials", n.name, u.Host)
			}
		}
		var want []string
		for _, m := range nodes {
			want = append(want, net.JoinHostPort(m.name, strconv.Itoa(m.opts.Cluster.Port)))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("service %s: routes %v, want %v", n.name, got, want)
		}
		if n.opts.Cluster.Name != nodes[0].opts.Cluster.Name {
			t.Errorf("service %s: cluster %q, %s is in %q", n.name, n.opts.Cluster.Name, nodes[0].name, nodes[0].opts.Cluster.Name)
		}
	}
	return nodes
}

func TestComposeNATSClusterConfig(t *testing.T) {
	p := loadCompose(t)
	natsNodes(t, p, rolesOf(t, p).nats)
}

// TestComposeEnginesAgreeWithTheirFlags parses every engine's command line
// with this CLI and checks what its flags name: the HTTP port published and
// health-checked, the NATS servers and their client port, the PostgreSQL
// database, the data volume.
func TestComposeEnginesAgreeWithTheirFlags(t *testing.T) {
	p := loadCompose(t)
	r := rolesOf(t, p)
	nodes := natsNodes(t, p, r.nats)
	pg := p.Services[r.postgres]
	databases := initDatabases(t, p, pg)
	dbOwner := map[string]string{}
	missing := map[string]bool{}
	defer skipMissingVerbs(t, missing)
	for _, name := range r.engines {
		s := p.Services[name]
		args := []string(s.Command)
		if len(args) == 0 {
			t.Fatalf("service %s: no command", name)
		}
		if hasVerb(t, args[0]) {
			checkParses(t, "service "+name, args)
		} else {
			missing[args[0]] = true
		}
		if s.Entrypoint != nil {
			t.Errorf("service %s: overrides the Dockerfile's entrypoint with %q", name, s.Entrypoint)
		}
		if u := s.User; u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
			t.Errorf("service %s: runs as root", name)
		}

		// --http: all interfaces, the port published and health-checked.
		httpAddr := flagValue(args, "--http")
		host, port, err := net.SplitHostPort(httpAddr)
		if err != nil || host != "0.0.0.0" {
			t.Errorf("service %s: --http %q: want 0.0.0.0:PORT, so the published port reaches it", name, httpAddr)
		}
		published := false
		for _, pc := range s.Ports {
			if strconv.Itoa(int(pc.Target)) != port {
				t.Errorf("service %s: publishes container port %d, but --http listens on %s", name, pc.Target, port)
			}
			published = true
		}
		if !published {
			t.Errorf("service %s: publishes no port", name)
		}
		want := "http://127.0.0.1:" + port + "/api/v1/health"
		if s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, want) {
			t.Errorf("service %s: health check %v does not ask %s", name, healthTest(s), want)
		}

		// --nats-url: every NATS server, at its client port.
		var gotURLs, wantURLs []string
		for _, u := range strings.Split(flagValue(args, "--nats-url"), ",") {
			gotURLs = append(gotURLs, strings.TrimSpace(u))
		}
		for _, n := range nodes {
			wantURLs = append(wantURLs, fmt.Sprintf("nats://%s:%d", n.name, n.opts.Port))
		}
		slices.Sort(gotURLs)
		if !slices.Equal(gotURLs, wantURLs) {
			t.Errorf("service %s: --nats-url names %v, want %v", name, gotURLs, wantURLs)
		}

		// --db: the PostgreSQL service, with its user and password, and a
		// database of the engine's own that init.sql creates.
		dsn, err := url.Parse(flagValue(args, "--db"))
		if err != nil || dsn.Scheme != "postgres" {
			t.Fatalf("service %s: --db %q is not a postgres:// DSN (%v)", name, flagValue(args, "--db"), err)
		}
		if dsn.Host != r.postgres+":5432" {
			t.Errorf("service %s: --db host %s, want %s:5432", name, dsn.Host, r.postgres)
		}
		pass, _ := dsn.User.Password()
		if dsn.User.Username() != serviceEnv(pg, "POSTGRES_USER") || pass != serviceEnv(pg, "POSTGRES_PASSWORD") || pass != "s3cret" {
			t.Errorf("service %s: --db user %q and password %q are not the PostgreSQL service's (%q, %q)", name,
				dsn.User.Username(), pass, serviceEnv(pg, "POSTGRES_USER"), serviceEnv(pg, "POSTGRES_PASSWORD"))
		}
		db := strings.TrimPrefix(dsn.Path, "/")
		if !databases[db] {
			t.Errorf("service %s: database %q is not created by the PostgreSQL service (it creates %v)", name, db, databases)
		}
		if other, ok := dbOwner[db]; ok {
			t.Errorf("services %s and %s project into the same database %q", other, name, db)
		}
		dbOwner[db] = name

		// NATS: the engine's identity, from the environment.
		if serviceEnv(s, "NATS_USER") != lrjs.EngineUser || serviceEnv(s, "NATS_PASSWORD") != composeEnginePassword {
			t.Errorf("service %s: NATS_USER %q and NATS_PASSWORD are not the engine identity of the NATS servers", name, serviceEnv(s, "NATS_USER"))
		}
		for _, f := range []string{"--nats-user", "--nats-password-file", "--nats-creds", "--nats-nkey"} {
			if flagValue(args, f) != "" {
				t.Errorf("service %s: %s on the command line; the compose file passes the identity in the environment", name, f)
			}
		}

		// --data-dir: on a named volume.
		if dir := flagValue(args, "--data-dir"); !underVolume(s, dir) {
			t.Errorf("service %s: --data-dir %q is not on a named volume", name, dir)
		}

		// Started after the servers it needs are healthy.
		for _, dep := range append(slices.Clone(r.nats), r.postgres) {
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("service %s: does not wait for %s to be healthy", name, dep)
			}
		}
	}
	if pg.HealthCheck == nil || !slices.Contains(pg.HealthCheck.Test, "pg_isready") {
		t.Errorf("service %s: health check %v does not use pg_isready", r.postgres, healthTest(pg))
	}
}

// TestDockerfileRunsWhatComposeExpects: a static build of cmd/landrelease
// with the Go of go.mod, copied to the entrypoint, run by a non-root user,
// and a default command that parses with this CLI.
func TestDockerfileRunsWhatComposeExpects(t *testing.T) {
	stages := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: want a build stage and a runtime stage, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goLine == nil || !strings.HasPrefix(build.from, "golang:"+string(goLine[1])) {
		t.Errorf("Dockerfile: build stage FROM %s, want golang:%s (go.mod)", build.from, goLine[1])
	}
	goBuild := regexp.MustCompile(`CGO_ENABLED=0 go build .*-o (\S+) \./cmd/landrelease$`)
	var binary string
	for _, r := range build.all("RUN") {
		if m := goBuild.FindStringSubmatch(r); m != nil {
			binary = m[1]
		}
	}
	if binary == "" {
		t.Fatalf("Dockerfile: no RUN CGO_ENABLED=0 go build -o BINARY ./cmd/landrelease in the build stage")
	}
	entry := final.last("ENTRYPOINT")
	var entrypoint []string
	if err := jsonArray(entry, &entrypoint); err != nil || len(entrypoint) != 1 {
		t.Fatalf("Dockerfile: ENTRYPOINT %q: want the binary alone, in exec form", entry)
	}
	copied := false
	for _, c := range final.all("COPY") {
		if c == fmt.Sprintf("--from=%s %s %s", build.name, binary, entrypoint[0]) {
			copied = true
		}
	}
	if !copied {
		t.Errorf("Dockerfile: the runtime stage does not COPY --from=%s %s %s", build.name, binary, entrypoint[0])
	}
	user := final.last("USER")
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "root" || uid == "0" {
		t.Errorf("Dockerfile: runtime USER %q: want a non-root user", user)
	}

	var cmd []string
	if err := jsonArray(final.last("CMD"), &cmd); err != nil || len(cmd) == 0 {
		t.Fatalf("Dockerfile: CMD %q: want exec form", final.last("CMD"))
	}
	if hasVerb(t, cmd[0]) {
		checkParses(t, "Dockerfile CMD", cmd)
	} else {
		defer skipMissingVerbs(t, map[string]bool{cmd[0]: true})
	}
	if dir := flagValue(cmd, "--data-dir"); !slices.Contains(final.all("VOLUME"), dir) {
		t.Errorf("Dockerfile: CMD --data-dir %q is not a VOLUME (%v)", dir, final.all("VOLUME"))
	}
	if _, port, _ := net.SplitHostPort(flagValue(cmd, "--http")); !slices.Contains(final.all("EXPOSE"), port) {
		t.Errorf("Dockerfile: CMD --http port %q is not EXPOSEd (%v)", port, final.all("EXPOSE"))
	}

	// The compose engines are built from this Dockerfile.
	p := loadCompose(t)
	for _, name := range rolesOf(t, p).engines {
		b := p.Services[name].Build
		root, _ := filepath.Abs(repoRoot)
		if b.Context != root || (b.Dockerfile != "" && b.Dockerfile != "Dockerfile") {
			t.Errorf("service %s: built from %s/%s, want the repository's Dockerfile", name, b.Context, b.Dockerfile)
		}
	}
}

// hasVerb reports whether 'landrelease help' lists the verb.
func hasVerb(t *testing.T, verb string) bool {
	t.Helper()
	var out, errb bytes.Buffer
	if Main(context.Background(), []string{"help"}, nil, &out, &errb) != exitOK {
		t.Fatalf("landrelease help: %s", errb.String())
	}
	return regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(verb) + `\s`).MatchString(out.String())
}

// skipMissingVerbs ends the test as skipped when the deployment runs a verb
// the CLI does not have yet; problems found before still fail it.
func skipMissingVerbs(t *testing.T, missing map[string]bool) {
	t.Helper()
	if len(missing) > 0 && !t.Failed() {
		t.Skipf("landrelease has no verb %v yet: the deployment runs it, so its command lines were not parsed", slices.Sorted(maps.Keys(missing)))
	}
}

// checkParses runs the CLI on args followed by --help: an unknown flag or a
// bad value fails parsing before --help is reached (exit 2), and every flag
// used must also appear in the verb's help.
func checkParses(t *testing.T, what string, args []string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main(context.Background(), append(slices.Clone(args), "--help"), nil, &out, &errb); code != exitOK {
		t.Errorf("%s: landrelease %s: exit %d: %s", what, strings.Join(args, " "), code, errb.String())
		return
	}
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).MatchString(out.String()) {
				t.Errorf("%s: flag --%s is not in 'landrelease %s --help'", what, name, args[0])
			}
		}
	}
}

// flagValue returns the value given to the first of names in args
// ("--name value" or "--name=value"), or "".
func flagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

// underVolume reports whether dir is on a named volume of the service.
func underVolume(s types.ServiceConfig, dir string) bool {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeVolume && (dir == v.Target || strings.HasPrefix(dir, strings.TrimSuffix(v.Target, "/")+"/")) {
			return true
		}
	}
	return false
}

func serviceEnv(s types.ServiceConfig, k string) string {
	if v := s.Environment[k]; v != nil {
		return *v
	}
	return ""
}

func healthTest(s types.ServiceConfig) []string {
	if s.HealthCheck == nil {
		return nil
	}
	return s.HealthCheck.Test
}

// initDatabases lists the databases the PostgreSQL service creates: its
// POSTGRES_DB and those of the SQL scripts mounted in
// /docker-entrypoint-initdb.d.
func initDatabases(t *testing.T, p *types.Project, pg types.ServiceConfig) map[string]bool {
	t.Helper()
	dbs := map[string]bool{serviceEnv(pg, "POSTGRES_DB"): true}
	create := regexp.MustCompile(`(?im)^\s*CREATE DATABASE\s+"?(\w+)"?\s*;`)
	for _, v := range pg.Volumes {
		if v.Type != types.VolumeTypeBind || !strings.HasPrefix(v.Target, "/docker-entrypoint-initdb.d/") {
			continue
		}
		b, err := os.ReadFile(v.Source)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range create.FindAllSubmatch(b, -1) {
			dbs[string(m[1])] = true
		}
	}
	return dbs
}

// stage is one FROM ... of the Dockerfile with its instructions.
type stage struct {
	from, name string
	instr      [][2]string // instruction (upper case), its arguments
}

func (s stage) all(instr string) []string {
	var out []string
	for _, in := range s.instr {
		if in[0] == instr {
			if instr == "VOLUME" || instr == "EXPOSE" {
				out = append(out, strings.Fields(in[1])...)
				continue
			}
			out = append(out, in[1])
		}
	}
	return out
}

func (s stage) last(instr string) string {
	all := s.all(instr)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

// readDockerfile splits the Dockerfile into stages; it knows comments, line
// continuations and "FROM image AS name", which is all this Dockerfile uses.
func readDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var line strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && line.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			line.WriteString(cont + " ")
			continue
		}
		line.WriteString(l)
		instr, args, _ := strings.Cut(strings.TrimSpace(line.String()), " ")
		line.Reset()
		instr, args = strings.ToUpper(instr), strings.Join(strings.Fields(args), " ")
		if instr == "FROM" {
			img, name, _ := strings.Cut(args, " ")
			name = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(name, "AS "), "as "))
			stages = append(stages, stage{from: img, name: name})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("Dockerfile: %s before FROM", instr)
		}
		stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, [2]string{instr, args})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// jsonArray decodes the exec form of ENTRYPOINT and CMD.
func jsonArray(s string, v *[]string) error {
	if !strings.HasPrefix(s, "[") {
		return fmt.Errorf("not exec form")
	}
	return json.Unmarshal([]byte(s), v)
}

// checkNATSUsers: the server accepts exactly the engine and the reader, in
// one account, with the passwords of the environment and the permissions the
// embedded server gives them (adapters/jetstream/auth.go), and nobody
// without a password.
func checkNATSUsers(t *testing.T, service string, opts *natsserver.Options) {
	t.Helper()
	want := map[string]struct {
		password string
		perms    *natsserver.Permissions
	}{
		lrjs.EngineUser: {composeEnginePassword, lrjs.EnginePermissions()},
		lrjs.ReaderUser: {composeReaderPassword, lrjs.ReaderPermissions()},
		lrjs.LeafUser:   {composeLeafPassword, lrjs.LeafPermissions(lrjs.DefaultNationalDomain)},
	}
	if opts.NoAuthUser != "" || len(opts.Nkeys) > 0 || opts.Username != "" || opts.Authorization != "" {
		t.Errorf("service %s: other ways in than the engine and reader users (no_auth_user %q, %d nkeys, user %q, token set %v)",
			service, opts.NoAuthUser, len(opts.Nkeys), opts.Username, opts.Authorization != "")
	}
	if len(opts.Users) != len(want) {
		t.Errorf("service %s: %d users, want %d (engine, reader, leaf)", service, len(opts.Users), len(want))
	}
	account := ""
	for _, u := range opts.Users {
		w, ok := want[u.Username]
		if !ok {
			t.Errorf("service %s: unexpected user %q", service, u.Username)
			continue
		}
		if u.Password != w.password {
			t.Errorf("service %s: user %s: password %q is not the one of the environment", service, u.Username, u.Password)
		}
		if u.Account == nil || (account != "" && u.Account.Name != account) {
			t.Errorf("service %s: user %s: not in the account of the others", service, u.Username)
		} else {
			account = u.Account.Name
		}
		if u.Permissions == nil || u.Permissions.Response != nil ||
			!sameSubjects(u.Permissions.Publish, w.perms.Publish) || !sameSubjects(u.Permissions.Subscribe, w.perms.Subscribe) {
			t.Errorf("service %s: user %s: permissions %s, want those of adapters/jetstream (%s)", service, u.Username, jsonOf(u.Permissions), jsonOf(w.perms))
		}
	}
}

func sameSubjects(a, b *natsserver.SubjectPermission) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(slices.Sorted(slices.Values(a.Allow)), slices.Sorted(slices.Values(b.Allow))) &&
		slices.Equal(slices.Sorted(slices.Values(a.Deny)), slices.Sorted(slices.Values(b.Deny)))
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestComposeNATSPermissionsHoldOnARealServer runs one server of the compose
// file from its own configuration (alone: no routes, random port, a
// temporary store) and puts the identities to work: a serve with the
// engines' environment stores a command through the NATS command bus and
// creates a token, and the reader reads the history but is refused every
// write.
func TestComposeNATSPermissionsHoldOnARealServer(t *testing.T) {
	p := loadCompose(t)
	r := rolesOf(t, p)
	nodes := natsNodes(t, p, r.nats)
	o := nodes[0].opts
	o.Port, o.HTTPPort, o.StoreDir = natsserver.RANDOM_PORT, 0, t.TempDir()
	o.LeafNode.Port = natsserver.RANDOM_PORT // the leafnode listener for provincial offices: 7422 may be taken
	o.Cluster, o.Routes = natsserver.ClusterOpts{}, nil
	o.NoLog, o.NoSigs = true, true
	srv, err := natsserver.NewServer(o)
	if err != nil {
		t.Fatalf("%s's configuration: %v", nodes[0].name, err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("the server did not start")
	}
	url := srv.ClientURL()

	engine := p.Services[r.engines[0]]
	t.Setenv("NATS_USER", serviceEnv(engine, "NATS_USER"))
	t.Setenv("NATS_PASSWORD", serviceEnv(engine, "NATS_PASSWORD"))
	code, out, errOut := run(t, "", "--data-dir", t.TempDir(), "--nats-url", url, "token", "create", "--role", "admin", "--name", "ops")
	if code != exitOK {
		t.Fatalf("token create with the engines' identity: exit %d: %s", code, errOut)
	}
	base := startServe(t, t.TempDir(), "--nats-url", url)
	c := newClient(t, base, strings.TrimSpace(out))
	area := uuid.NewString()
	code2, body := c.do("POST", "/api/v1/commands", cmdJSON("RegisterSuspectedArea", map[string]any{"area_id": area,
		"province": "Pailin", "hazard": "AP", "size_m2": 10_000, "registered_on": "2024-01-02", "source": "BLS"}))
	mustStatus(t, "a command over the NATS bus", code2, body, 200)

	readerAuth := nats.UserInfo(lrjs.ReaderUser, composeReaderPassword)
	nc, err := nats.Connect(url, readerAuth, nats.NoReconnect())
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	stream, err := js.Stream(context.Background(), lrjs.StreamName)
	if err != nil {
		t.Fatalf("reader: stream info: %v", err)
	}
	m, err := stream.GetLastMsgForSubject(context.Background(), "lr.kh.area."+area)
	if err != nil || m.Header.Get("Lr-Event-Type") != "AreaRegistered" {
		t.Fatalf("reader: the registration: %v %v", m, err)
	}
	names := js.StreamNames(context.Background())
	var streams []string
	for n := range names.Name() {
		streams = append(streams, n)
	}
	if !slices.Contains(streams, "LANDRELEASE_COMMANDS") {
		t.Errorf("streams %v (%v): the command did not go through the NATS command bus", streams, names.Err())
	}
	jetstreamtest.MustRefuseAll(t, url, jetstreamtest.ReaderWrites("lr.kh.area."+area), time.Second, readerAuth)
	if _, err := nats.Connect(url, nats.NoReconnect()); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous connect: %v", err)
	}
}
