package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lineWatcher is an io.Writer that keeps what is written and reports the
// first match of a pattern.
type lineWatcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	re    *regexp.Regexp
	found chan string
	once  sync.Once
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := w.re.FindStringSubmatch(w.buf.String()); m != nil {
		w.once.Do(func() { w.found <- m[1] })
	}
	return len(p), nil
}

func (w *lineWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// servingProcess is 'landrelease serve' running in process.
type servingProcess struct {
	base   string       // e.g. http://127.0.0.1:41234
	stop   func()       // what Ctrl-C does
	done   chan int     // the exit status, once stopped
	stderr *lineWatcher // what it printed
}

// launchServe runs 'landrelease serve --http 127.0.0.1:0 --data-dir dataDir
// args...' in process and returns once it serves, with its base URL read
// from what serve prints at start. It waits as long as serve is starting:
// until it prints where it serves, or exits, or the test's deadline comes
// (see waitBound).
func launchServe(t testing.TB, dataDir string, args ...string) *servingProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &servingProcess{stop: cancel, done: make(chan int, 1),
		stderr: &lineWatcher{re: regexp.MustCompile(`serving the API at (http://[^/\s]+)/api/v1/`), found: make(chan string, 1)}}
	argv := append([]string{"--data-dir", dataDir, "serve", "--http", "127.0.0.1:0"}, args...)
	go func() { p.done <- Main(ctx, argv, strings.NewReader(""), io.Discard, p.stderr) }()
	select {
	case p.base = <-p.stderr.found:
		return p
	case code := <-p.done:
		cancel()
		t.Fatalf("serve exited %d before serving:\n%s", code, p.stderr)
	case <-time.After(time.Until(waitBound(t))):
		cancel()
		t.Fatalf("serve was still starting at the test's deadline:\n%s", p.stderr)
	}
	return nil
}

// wait stops nothing; it waits for serve to exit (until the test's deadline,
// see waitBound) and checks its status.
func (p *servingProcess) wait(t testing.TB) {
	t.Helper()
	select {
	case code := <-p.done:
		if code != exitOK {
			t.Errorf("serve exited %d:\n%s", code, p.stderr)
		}
	case <-time.After(time.Until(waitBound(t))):
		t.Errorf("serve was told to stop and was still running at the test's deadline:\n%s", p.stderr)
	}
}

// startServe runs serve (see launchServe) until the test ends and returns
// its base URL.
func startServe(t testing.TB, dataDir string, args ...string) string {
	t.Helper()
	p := launchServe(t, dataDir, args...)
	t.Cleanup(func() {
		p.stop()
		p.wait(t)
		if t.Failed() {
			t.Logf("serve in %s said:\n%s", dataDir, p.stderr)
		}
	})
	return p.base
}

// loadDemo gives dataDir the Cambodia demo history and its read model. The
// demo is loaded once per test binary (with 'landrelease demo', no
// scenarios, few trials: only the history matters) and copied for each
// test, which keeps the suite fast under the race detector.
func loadDemo(t testing.TB, dataDir string) {
	t.Helper()
	demoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "landrelease-demo-")
		if err != nil {
			demoErr = err
			return
		}
		// The demo's 20,000 commands are loaded by the binary built
		// without the race detector (five times faster than in this
		// process); the demo in this process is TestDemoForecastAndScenarios'.
		cmd := exec.Command(buildBinary(t), "--data-dir", dir, "demo", "--no-scenarios", "--trials", "10")
		if out, err := cmd.CombinedOutput(); err != nil {
			demoErr = fmt.Errorf("demo: %v\n%s", err, out)
			return
		}
		demoDir = dir
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	if err := os.CopyFS(dataDir, os.DirFS(demoDir)); err != nil {
		t.Fatalf("copy the demo data dir: %v", err)
	}
}

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
)

// TestMain removes the shared demo data dir after the tests.
func TestMain(m *testing.M) {
	// A test that runs this binary as the landrelease command (bench runs
	// exec as a child of os.Executable()) sets testAsCLI for its children.
	if os.Getenv(testAsCLI) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // as main
		code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// testAsCLI makes the test binary run as 'landrelease' (see TestMain).
const testAsCLI = "LANDRELEASE_TEST_AS_CLI"

// client calls the API with a token ("" sends none). A request waits for
// its answer as long as the server works on it, until the test's deadline
// (see waitBound).
type client struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
	bound time.Time
}

func newClient(t testing.TB, base, token string) *client {
	return &client{t: t, base: base, token: token, http: &http.Client{}, bound: waitBound(t)}
}

// do sends a request and returns the status and body; body may be nil, a
// string (sent as is) or a value (sent as JSON).
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
		if strings.Count(strings.TrimSpace(b), "\n") > 0 {
			ctype = "application/x-ndjson"
		}
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	ctx, cancel := context.WithDeadline(context.Background(), c.bound)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if r != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// getJSON GETs path, wants 200 and decodes the answer into v.
func (c *client) getJSON(path string, v any) {
	c.t.Helper()
	code, body := c.do("GET", path, nil)
	// A read with min_sequence answers 503 "retry" when the projections
	// have not reached it within the server's bound (5 s): on a busy
	// machine ask again while they advance, until the test's deadline.
	for code == http.StatusServiceUnavailable && strings.Contains(path, "min_sequence=") &&
		bytes.Contains(body, []byte(`"min_sequence"`)) && time.Now().Before(c.bound) {
		code, body = c.do("GET", path, nil)
	}
	if code != http.StatusOK {
		c.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		c.t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

// apiError is the error document of the API.
type apiError struct {
	Error struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func decodeAPIError(t testing.TB, body []byte) apiError {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Kind == "" || e.Error.Message == "" {
		t.Fatalf("not an API error document (%v): %s", err, body)
	}
	return e
}

// commandAnswer is the answer to POST /api/v1/commands.
type commandAnswer struct {
	Results []struct {
		Line      int      `json:"line"`
		Command   string   `json:"command"`
		CommandID string   `json:"command_id"`
		Status    string   `json:"status"`
		Sequence  uint64   `json:"sequence"`
		EventIDs  []string `json:"event_ids"`
	} `json:"results"`
	Sequence uint64 `json:"sequence"`
	Applied  int    `json:"applied"`
	Refused  int    `json:"refused"`
}

// createToken makes a token with the CLI (serve must not run on dataDir).
func createToken(t testing.TB, dataDir, role, name string) string {
	t.Helper()
	code, out, errOut := run(t, "", "--data-dir", dataDir, "token", "create", "--role", role, "--name", name)
	if code != exitOK {
		t.Fatalf("token create %s: exit %d\n%s", role, code, errOut)
	}
	return strings.TrimSpace(out)
}

func cmdJSON(name string, data map[string]any) map[string]any {
	return map[string]any{"command": name, "data": data}
}

func mustStatus(t testing.TB, what string, code int, body []byte, want int) {
	t.Helper()
	if code != want {
		t.Fatalf("%s: status %d, want %d: %s", what, code, want, body)
	}
}

// TestServeShutsDownGracefully: when serve is told to stop (Ctrl-C), a
// request in flight still gets its full answer, an open event stream ends,
// and serve exits 0.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	loadDemo(t, dir)
	p := launchServe(t, dir, "--insecure-local")
	base := p.base
	stream, err := http.Get(base + "/api/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	type answer struct {
		code int
		body []byte
		err  error
		at   time.Time
	}
	slow := make(chan answer, 1)
	go func() {
		// A scenario comparison with many trials takes a while.
		resp, err := http.Post(base+"/api/v1/scenarios/compare", "application/json",
			strings.NewReader(`{"scenarios":["rcaf-2000","funding-cut-20","faster-nts"],"trials":4000}`))
		if err != nil {
			slow <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- answer{resp.StatusCode, b, err, time.Now()}
	}()
	time.Sleep(300 * time.Millisecond) // let the comparison start
	stopped := time.Now()
	p.stop()
	a := <-slow
	if !a.at.After(stopped) {
		t.Fatal("the comparison finished before serve was stopped: the test proves nothing; give it more work")
	}
	if a.err != nil || a.code != http.StatusOK || !bytes.Contains(a.body, []byte(`"funding-cut-20"`)) {
		t.Fatalf("the request in flight was cut: %v %d %.300s", a.err, a.code, a.body)
	}
	if _, err := io.ReadAll(stream.Body); err != nil {
		t.Logf("stream ended with %v", err)
	}
	p.wait(t)
	if _, err := http.Get(base + "/api/v1/health"); err == nil {
		t.Fatal("serve still answers after stopping")
	}
}
