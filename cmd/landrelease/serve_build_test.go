package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/scenarios/synth"
)

// serve on a history whose read model is far behind (a large load: here
// more than LANDRELEASE_SERVE_BUILD_ABOVE events) answers at once: a
// command is accepted while the read model is built in the background,
// reads of the read model answer either 503 saying how far the build is or,
// once it is done, the whole history with that command in it. A read model
// that holds nothing yet is projected from the first event, or above
// LANDRELEASE_SERVE_REBUILD_ABOVE events built as 'landrelease rebuild'
// builds it; one that holds an earlier part of the history catches up from
// its checkpoint; a current one is loaded.
func TestServeBuildsALargeReadModelInTheBackground(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a history")
	}
	dir := t.TempDir()
	load := func(cmds []domain.CommandEnvelope) {
		t.Helper()
		file := writeCommands(t, cmds)
		if code, _, errOut := run(t, "", "--data-dir", dir, "exec", file); code != exitOK {
			t.Fatalf("exec: %s", errOut)
		}
	}
	load(synth.Mixed(synth.DefaultConfig(31, 1_500)))
	t.Setenv(buildBehindEnv, "10")
	t.Setenv("LANDRELEASE_PROJECTION_BATCH", "20") // many commits: a build that takes a while
	early := serveWhileBuilding(t, dir, "building it in the background (from the first event", nil)
	// The same history without its read model, above the threshold of a
	// build as rebuild builds.
	files, _ := filepath.Glob(filepath.Join(dir, "readmodel.sqlite*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(rebuildAboveEnv, "10")
	first := serveWhileBuilding(t, dir, "building it in the background (from scratch", []uuid.UUID{early})
	load(synth.Registrations(synth.DefaultConfig(32, 300))) // new areas: the history's setup is there
	second := serveWhileBuilding(t, dir, "building it in the background (from its checkpoint", []uuid.UUID{first})
	// A restart on a current read model of a history above the threshold
	// loads it in the background (8-9 s at 100×).
	serveWhileBuilding(t, dir, "loading the read model (", []uuid.UUID{first, second})
}

// serveWhileBuilding starts serve on dir, whose history is above the
// threshold, checks that it says how it gets its read model ready in the
// background (how), sends a command registering a new area at once,
// and waits until that area is readable, reads answering 503 meanwhile;
// then the areas of known are readable too. It returns the new area's ID.
func serveWhileBuilding(t *testing.T, dir, how string, known []uuid.UUID) uuid.UUID {
	t.Helper()
	p := launchServe(t, dir, "--insecure-local")
	defer func() { p.stop(); p.wait(t) }()
	if !strings.Contains(p.stderr.String(), how) {
		t.Fatalf("serve did not say %q:\n%s", how, p.stderr)
	}
	area := uuid.New()
	resp, err := http.Post(p.base+"/api/v1/commands", "application/json", strings.NewReader(provRegisterLine(area, "Pailin")))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct {
		Applied  int    `json:"applied"`
		Sequence uint64 `json:"sequence"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &answer) != nil || answer.Applied != 1 {
		t.Fatalf("a command while the read model builds: %d %s", resp.StatusCode, body)
	}

	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(p.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	building := 0
	deadline := waitBound(t)
	for {
		code, body, h := get("/api/v1/areas/" + area.String())
		if code == http.StatusOK {
			break
		}
		switch {
		case code == http.StatusServiceUnavailable && (strings.Contains(body, "read model is being built") || strings.Contains(body, "read model is being loaded")) &&
			strings.Contains(body, "commands are accepted") && h.Get("Retry-After") != "":
			building++
		case code == http.StatusNotFound && building > 0:
			// Built, the command's event not projected yet: the follower
			// projects it next.
		default:
			t.Fatalf("GET the new area while the read model builds (%s): %d %s", how, code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read model was not built by the test's deadline: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range known {
		if code, body, _ := get("/api/v1/areas/" + id.String()); code != http.StatusOK {
			t.Fatalf("an area registered before, once the read model is built (%s): %d %s", how, code, body)
		}
	}
	if code, hb, _ := get("/api/v1/health"); code != http.StatusOK || strings.Contains(hb, "read_model") {
		t.Fatalf("health once built: %d %s", code, hb)
	}
	if code, ob, _ := get("/api/v1/overview"); code != http.StatusOK {
		t.Fatalf("overview once built: %d %s", code, ob)
	}
	if !strings.Contains(p.stderr.String(), "read model ready in") {
		t.Fatalf("serve did not say the read model was built:\n%s", p.stderr)
	}
	t.Logf("%s: %d reads answered 503 while the read model was built", how, building)
	return area
}
