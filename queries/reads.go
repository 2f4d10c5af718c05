package queries

import "time"

// Reads answers the read side's documents from the live read model: the
// register and the audit trail from SQL, figures, plans and forecasts from
// the projections' fold (read under its lock), an area's history and the
// as-of questions from the event history. Its methods are the HTTP API's
// query port.
type Reads struct {
	History  History
	Register Register
	Fold     Fold
	Country  string           // ISO 3166-1 alpha-2 code of the programme
	Now      func() time.Time // the scenarios' clock; nil: time.Now
}

func (r *Reads) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}
