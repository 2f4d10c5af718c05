package queries

import (
	"context"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// State is the national picture: `state --json` and GET /api/v1/state.
type State struct {
	AsOf       string                        `json:"as_of,omitempty"`
	AsRecorded string                        `json:"as_recorded,omitempty"`
	Sequence   uint64                        `json:"sequence"`
	National   projections.ProvinceFigures   `json:"national"`
	Provinces  []projections.ProvinceFigures `json:"provinces"`
	Years      []projections.YearFigures     `json:"release_by_year"`
	// Quarantined counts the messages of the history that are not events
	// (skipped by every reader; docs/security.md).
	Quarantined int `json:"quarantined"`
}

// StateKeep returns the events a state query replays (nil: the live fold
// answers) and the document's as_of / as_recorded.
func StateKeep(q StateQuery) (keep func(events.Envelope) bool, doc State) {
	switch {
	case q.AsOf != nil:
		keep, doc.AsOf = projections.AsOf(*q.AsOf), q.AsOf.String()
	case q.AsRecorded != nil:
		keep, doc.AsRecorded = projections.AsRecorded(*q.AsRecorded), q.AsRecorded.UTC().Format(time.RFC3339)
	}
	return keep, doc
}

// ReplayState folds the history for a state as of a date or as recorded
// (keep from StateKeep): the register and statistics, without the audit
// trail or the geometries, which the state document does not read and
// which would hold most of the fold's memory (at 550,000 areas and 2.5
// million events the audit rows alone took more than a gigabyte).
func ReplayState(ctx context.Context, src projections.Source, keep func(events.Envelope) bool) (*projections.National, error) {
	return projections.ReplayWith(ctx, src, projections.ReplayOptions{Keep: keep})
}

// StateOf completes a state document (its as_of or as_recorded set) from a
// fold.
func StateOf(doc State, fold *projections.National) State {
	s := projections.Summarize(fold)
	doc.Sequence, doc.National, doc.Provinces, doc.Years = fold.Sequence, s.National, s.Provinces, projections.ByYear(fold.Stats)
	doc.Quarantined = fold.Quarantined
	return doc
}

// State answers the state now (the live fold), or as of a date or as
// recorded at an instant (a replay of the history).
func (r *Reads) State(ctx context.Context, q StateQuery) (State, error) {
	keep, doc := StateKeep(q)
	if keep != nil {
		fold, err := ReplayState(ctx, r.History, keep)
		if err != nil {
			return State{}, err
		}
		return StateOf(doc, fold), nil
	}
	r.Fold.View(func(n *projections.National) { doc = StateOf(doc, n) })
	return doc, nil
}
