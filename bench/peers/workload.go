// Package peers measures landrelease's command path, replay and aggregate
// load against the libraries a user would otherwise pick for a Go event
// store: github.com/hallgren/eventsourcing with its SQL event store on
// SQLite, and a hand-written database/sql event table on SQLite. All run
// durable (SQLite synchronous=FULL in WAL mode; the embedded nats-server
// with SyncAlways), with the same workload, in one process and one run.
//
// It lives in its own Go module so that the product never depends on the
// peers.
package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/google/uuid"
)

// EventJSONBytes is the size every system's event body is cut to.
const EventJSONBytes = 300

// Evidence is the event body all three systems store: the JSON of
// landrelease's EvidenceRecorded event (area_id, kind, observed_on,
// description, reference), so every system writes the same bytes.
type Evidence struct {
	AreaID      string `json:"area_id"`
	Kind        string `json:"kind"`
	ObservedOn  string `json:"observed_on"`
	Description string `json:"description,omitempty"`
	Reference   string `json:"reference,omitempty"`
}

const (
	evidenceKind = "SURVEY"
	observedOn   = "2021-06-01"
	refFormat    = "BENCH-%08d" // 14 characters for counts below 10^8
	sentence     = "Technical survey team found fragments of a PMN-2 casing and two " +
		"craters along the irrigation canal; villagers report an accident in 2019 near the rice field. "
)

// description is sized so that the JSON of an Evidence with a UUID area ID
// and a reference of refFormat is exactly EventJSONBytes long.
var description = func() string {
	probe := Evidence{AreaID: uuid.Nil.String(), Kind: evidenceKind, ObservedOn: observedOn, Reference: fmt.Sprintf(refFormat, 0)}
	b, _ := json.Marshal(probe)
	// "description":"..." adds 17 bytes of key, quotes and comma.
	n := EventJSONBytes - len(b) - len(`,"description":""`)
	s := strings.Repeat(sentence, n/len(sentence)+1)
	return s[:n]
}()

// NewEvidence returns the event body of command i on area id.
func NewEvidence(id uuid.UUID, i int64) Evidence {
	return Evidence{AreaID: id.String(), Kind: evidenceKind, ObservedOn: observedOn,
		Description: description, Reference: fmt.Sprintf(refFormat, i%100_000_000)}
}

// AggregateIDs returns n deterministic aggregate IDs.
func AggregateIDs(seed uint64, n int) []uuid.UUID {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]uuid.UUID, n)
	for i := range out {
		var b [16]byte
		for j := 0; j < 16; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8; k++ {
				b[j+k] = byte(v >> (8 * k))
			}
		}
		b[6] = (b[6] & 0x0f) | 0x40 // version 4
		b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
		out[i] = uuid.UUID(b)
	}
	return out
}

// System is one event store under test. Command loads aggregate agg's
// current version and appends one event expecting it, retrying on a
// conflict; it returns how many times it had to retry.
type System interface {
	Name() string
	// Seed creates the aggregates with one event each (untimed).
	Seed(ctx context.Context, ids []uuid.UUID) error
	Command(ctx context.Context, agg int, n int64) (retries int, err error)
	// Replay reads every stored event, decodes it and folds it into an
	// in-memory counter; it returns the number of events read.
	Replay(ctx context.Context) (int, error)
	// Load reads one aggregate's events, cold (not from a cache).
	Load(ctx context.Context, agg int) (int, error)
	Close() error
}
