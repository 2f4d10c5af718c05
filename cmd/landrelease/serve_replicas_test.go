package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
)

// TestServeReplicasShareTheWork: two serve replicas on a three-node
// JetStream cluster (R3 stream), each with its own read model. Clients send
// commands on the same areas to both; the command bus (the NATS work queue
// LANDRELEASE_COMMANDS) spreads them over the replicas, the store's
// concurrency control keeps each area exact (total reduced = sum of the
// accepted reductions), and both read models converge to the same state.
func TestServeReplicasShareTheWork(t *testing.T) {
	cluster := jetstreamtest.MustCluster(t, 3)
	url := cluster.URL()
	dirs := []string{t.TempDir(), t.TempDir()}
	bases := make([]string, 2)
	for i, dir := range dirs {
		bases[i] = startServe(t, dir, "--nats-url", url, "--db", filepath.Join(dir, "readmodel.sqlite"), "--insecure-local")
	}
	clients := []*client{newClient(t, bases[0], ""), newClient(t, bases[1], "")}

	const areas, perClient, reduceM2 = 4, 30, 1_000
	ids := make([]uuid.UUID, areas)
	for i := range ids {
		ids[i] = uuid.New()
		code, body := clients[i%2].do("POST", "/api/v1/commands", cmdJSON("RegisterSuspectedArea", map[string]any{
			"area_id": ids[i], "province": "Pailin", "hazard": "AP", "size_m2": 10_000_000, "registered_on": "2024-01-02",
			"source": "BLS", "classification": "CHA"}))
		mustStatus(t, "register", code, body, http.StatusOK)
	}
	// Four clients per replica, each reducing every area in turn.
	var mu sync.Mutex
	accepted := map[uuid.UUID]int{}
	var last uint64
	var wg sync.WaitGroup
	for r := range 2 {
		for k := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newClient(t, bases[r], "")
				for j := range perClient {
					area := ids[(j+k)%areas]
					cmd := cmdJSON("ReduceArea", map[string]any{"area_id": area, "on": "2024-03-01", "size_m2": reduceM2, "operator": "HALO"})
					cmd["command_id"] = uuid.NewString()
					// A 409 means other writers kept winning the race for the
					// area: a client sends the same command again (the
					// command ID makes that safe), as docs/api.md says.
					code, body := c.do("POST", "/api/v1/commands", cmd)
					for try := 0; code == http.StatusConflict && try < 5; try++ {
						code, body = c.do("POST", "/api/v1/commands", cmd)
					}
					if code != http.StatusOK {
						t.Errorf("replica %d: %d %s", r, code, body)
						return
					}
					var ans commandAnswer
					if err := json.Unmarshal(body, &ans); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					accepted[area]++
					last = max(last, ans.Sequence)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Both replicas took commands from the work queue.
	for i, c := range clients {
		var h struct {
			Handled int64 `json:"commands_handled"`
		}
		c.getJSON("/api/v1/health", &h)
		if h.Handled == 0 {
			t.Errorf("replica %d handled no command: the bus did not spread the work", i)
		}
		t.Logf("replica %d handled %d commands", i, h.Handled)
	}
	// No lost update, and both read models say the same.
	var states [2]json.RawMessage
	for i, c := range clients {
		for _, id := range ids {
			var a struct {
				Area struct {
					ReducedM2 int64 `json:"reduced_m2"`
				} `json:"area"`
			}
			c.getJSON(fmt.Sprintf("/api/v1/areas/%s?min_sequence=%d", id, last), &a)
			if want := int64(accepted[id] * reduceM2); a.Area.ReducedM2 != want {
				t.Errorf("replica %d, area %s: reduced %d m², want %d (%d accepted)", i, id, a.Area.ReducedM2, want, accepted[id])
			}
		}
		c.getJSON(fmt.Sprintf("/api/v1/state?min_sequence=%d", last), &states[i])
	}
	if string(states[0]) != string(states[1]) {
		t.Fatalf("the replicas' read models differ:\n%s\n%s", states[0], states[1])
	}
}
