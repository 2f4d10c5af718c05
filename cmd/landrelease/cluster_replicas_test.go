package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/queries"
)

// TestClusterEngineProcess is not a test: TestTwoEngineProcessesOneCluster
// starts this test binary again with LR_CLUSTER_CHILD set to run the CLI
// with those arguments in a process of its own.
func TestClusterEngineProcess(t *testing.T) {
	raw := os.Getenv("LR_CLUSTER_CHILD")
	if raw == "" {
		t.Skip("the engine process of TestTwoEngineProcessesOneCluster")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(Main(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
}

// runEngineProcess runs the CLI with args in a separate OS process.
func runEngineProcess(t *testing.T, args ...string) (stdout []byte, code int, stderr string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterEngineProcess$")
	cmd.Env = append(os.Environ(), "LR_CLUSTER_CHILD="+string(raw))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("engine process %v: %v", args, err)
	}
	return out.Bytes(), cmd.ProcessState.ExitCode(), errb.String()
}

// engineProcess is the CLI running in a process of its own, fed on stdin.
type engineProcess struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	stderr  bytes.Buffer
	results []domain.CommandReport // read so far
}

func startEngineProcess(t *testing.T, args ...string) *engineProcess {
	t.Helper()
	raw, _ := json.Marshal(args)
	p := &engineProcess{cmd: exec.Command(os.Args[0], "-test.run=^TestClusterEngineProcess$")}
	p.cmd.Env = append(os.Environ(), "LR_CLUSTER_CHILD="+string(raw))
	p.cmd.Stderr = &p.stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.out = bufio.NewScanner(out)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	return p
}

func (p *engineProcess) write(t *testing.T, lines ...[]byte) {
	for _, l := range lines {
		if _, err := p.in.Write(l); err != nil {
			t.Errorf("write to engine process: %v", err)
			return
		}
	}
}

// readResults reads n more result lines (other output is skipped).
func (p *engineProcess) readResults(t *testing.T, n int) []domain.CommandReport {
	t.Helper()
	var got []domain.CommandReport
	for len(got) < n && p.out.Scan() {
		var r domain.CommandReport
		if json.Unmarshal(p.out.Bytes(), &r) == nil && r.Line > 0 {
			got = append(got, r)
		}
	}
	if len(got) < n {
		t.Fatalf("engine process ended after %d of %d results: %s", len(got), n, p.stderr.String())
	}
	p.results = append(p.results, got...)
	return got
}

// wait reads the remaining result lines until the process ends and returns
// its exit status.
func (p *engineProcess) wait() int {
	for p.out.Scan() {
		var r domain.CommandReport
		if json.Unmarshal(p.out.Bytes(), &r) == nil && r.Line > 0 {
			p.results = append(p.results, r)
		}
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

// Two engine processes against one three-node cluster take commands for
// the same areas at the same time (each execs ReduceArea commands from
// stdin in chunks of 10, fed to both at once once both are ready, so that
// their appends interleave; the test fails if they did not): the store's
// concurrency control loses no update (the m² reduced are exactly the sum
// of the commands each process reported applied), and each process's own
// read model, brought up to date by `state`, comes out the same.
func TestTwoEngineProcessesOneCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-node cluster and four engine processes")
	}
	c := jetstreamtest.MustCluster(t, 3)
	eng := openClusterEngine(t, c.URL())
	areas := registerAreas(t, eng.handler, 6)

	const perProcess, gate = 1000, 10 // gate: the first chunk, which shows a process is ready
	sizes := map[uuid.UUID]int64{}    // command ID → m² it reduces
	procs := make([]*engineProcess, 2)
	inputs := make([][][]byte, 2)
	for p := range procs {
		for i := range perProcess {
			id := uuid.Must(uuid.NewV7())
			size := int64(p + 1)
			sizes[id] = size
			line, err := domain.EncodeCommand(domain.CommandEnvelope{ID: id, Command: domain.ReduceArea{
				AreaID: areas[i%len(areas)], On: events.MustDate("2021-03-01"), SizeM2: size, Operator: "HALO"}})
			if err != nil {
				t.Fatal(err)
			}
			inputs[p] = append(inputs[p], append(line, '\n'))
		}
		procs[p] = startEngineProcess(t, "--nats-url", c.URL(), "exec", "--json", "--chunk", strconv.Itoa(gate), "-")
	}
	// Both processes are connected and warm once each has answered its
	// first chunk; then both get the rest at the same time.
	for p, proc := range procs {
		proc.write(t, inputs[p][:gate]...)
		proc.readResults(t, gate)
	}
	// Write and read at once: a process blocked on its output stops
	// reading its input.
	var wg sync.WaitGroup
	for p, proc := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			proc.write(t, inputs[p][gate:]...)
			proc.in.Close()
		}()
	}
	type result struct {
		lines  []domain.CommandReport
		code   int
		stderr string
	}
	results := make([]result, 2)
	for p, proc := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := proc.wait()
			results[p] = result{proc.results, code, proc.stderr.String()}
		}()
	}
	wg.Wait()

	var applied int64
	okCount, conflicts := 0, 0
	for p, r := range results {
		for _, line := range r.lines {
			switch line.Status {
			case "ok":
				applied += sizes[uuid.MustParse(line.CommandID)]
				okCount++
			case "refused":
				// A command that lost to the other process more times
				// than the handler retries is refused as a conflict and
				// writes nothing (the arithmetic below checks that).
				if line.Error == nil || line.Error.Kind != domain.ErrConflict.Error() {
					t.Errorf("process %d refused line %d: %+v", p, line.Line, line.Error)
				}
				conflicts++
			}
		}
		t.Logf("process %d: exit %d: %s", p, r.code, bytes.TrimSpace([]byte(r.stderr)))
	}
	if okCount+conflicts != 2*perProcess {
		t.Errorf("%d commands applied and %d refused as conflicts, want %d results", okCount, conflicts, 2*perProcess)
	}
	t.Logf("%d commands applied, %d refused as conflicts after the handler's retries", okCount, conflicts)
	reduced := checkReducedTotal(t, eng, areas)
	if reduced != applied {
		t.Fatalf("lost update: the history reduces %d m², the processes applied commands worth %d m²", reduced, applied)
	}

	var states [2]queries.State
	for p := range states {
		db := filepath.Join(t.TempDir(), "replica.sqlite")
		out, code, errOut := runEngineProcess(t, "--nats-url", c.URL(), "--db", db, "state", "--json")
		if code != exitOK {
			t.Fatalf("state in process %d: exit %d: %s", p, code, errOut)
		}
		if err := json.Unmarshal(firstJSON(out), &states[p]); err != nil {
			t.Fatalf("state --json: %v\n%s", err, out)
		}
	}
	a, _ := json.Marshal(states[0])
	b, _ := json.Marshal(states[1])
	if !bytes.Equal(a, b) {
		t.Fatalf("the two read models differ:\n%s\n%s", a, b)
	}
	if got := states[0].National.ReducedM2; got != applied {
		t.Fatalf("read model: %d m² reduced, want %d", got, applied)
	}
	if got, want := states[0].National.RemainingM2, int64(len(areas))*clusterAreaSize-applied; got != want {
		t.Fatalf("read model: %d m² remaining, want %d", got, want)
	}
}

// checkReducedTotal returns the m² reduced in the history, and checks each
// area's remaining size against it.
func checkReducedTotal(t *testing.T, eng *engine, areas []uuid.UUID) int64 {
	t.Helper()
	reduced := map[uuid.UUID]int64{}
	last := map[uuid.UUID]int64{}
	switches, prev := 0, int64(0) // how often the stream passes from one process's commands to the other's
	err := eng.store.Replay(context.Background(), 1, func(e events.Envelope) error {
		if r, ok := e.Data.(events.AreaReduced); ok {
			reduced[r.AreaID] += r.SizeM2
			last[r.AreaID] = r.RemainingM2
			if prev != 0 && prev != r.SizeM2 {
				switches++
			}
			prev = r.SizeM2
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if switches < 2 {
		t.Fatalf("the two processes' commands did not interleave (%d switches): nothing concurrent was tested", switches)
	}
	t.Logf("the stream passes %d times from one process's commands to the other's", switches)
	var total int64
	for _, a := range areas {
		total += reduced[a]
		if last[a] != clusterAreaSize-reduced[a] {
			t.Errorf("area %s: remaining %d after %d m² reduced of %d: an update was decided on a stale state", a, last[a], reduced[a], clusterAreaSize)
		}
	}
	return total
}

// firstJSON returns the first line of out that starts a JSON document and
// everything after it (the test binary may print around the CLI's output).
func firstJSON(out []byte) []byte {
	if i := bytes.IndexByte(out, '{'); i >= 0 {
		out = out[i:]
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return out
	}
	return raw
}
