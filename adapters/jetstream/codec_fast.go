package jetstream

import (
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/landrelease/landrelease/events"
)

// The replay decodes every stored message, so the parts of decode that
// run for each of them avoid allocating and looking things up twice: the
// subject is checked in place, and the header map (which the client builds)
// is walked once. Both give exactly what the general code gives; anything
// unusual goes the general way, which also words the quarantine reason.

// countries holds the 676 two-letter country codes in upper case, so that
// a subject's country costs no allocation.
var countries = func() (c [26 * 26]string) {
	for i := range c {
		c[i] = string([]byte{'A' + byte(i/26), 'A' + byte(i%26)})
	}
	return c
}()

// kinds are the aggregate kinds a subject may name, as constants (the
// subject's own bytes are not kept).
var kinds = [...]events.AggregateKind{events.KindArea, events.KindDeployment, events.KindFunding, events.KindArticle5, events.KindWorkPlan}

// parseCanonicalSubject reads a subject exactly in the engine's form
// (lr.<two lower-case letters>.<known kind>.<canonical lower-case UUID>),
// without allocating. ok false: anything else, for the general checks.
func parseCanonicalSubject(s string) (events.Ref, bool) {
	const idLen = 36
	if len(s) < len("lr.kh.x.")+idLen || s[:3] != "lr." || s[5] != '.' || s[len(s)-idLen-1] != '.' {
		return events.Ref{}, false
	}
	c0, c1 := s[3], s[4]
	if c0 < 'a' || c0 > 'z' || c1 < 'a' || c1 > 'z' {
		return events.Ref{}, false
	}
	var kind events.AggregateKind
	for _, k := range kinds {
		if s[6:len(s)-idLen-1] == string(k) {
			kind = k
		}
	}
	if kind == "" {
		return events.Ref{}, false
	}
	id := s[len(s)-idLen:]
	for i := 0; i < idLen; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return events.Ref{}, false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return events.Ref{}, false
			}
		}
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return events.Ref{}, false
	}
	return events.Ref{Country: countries[int(c0-'a')*26+int(c1-'a')], Kind: kind, ID: u}, true
}

// Positions of the engine's headers in engineHeaders.
const (
	hMsgID = iota
	hEventType
	hSchema
	hOccurredOn
	hRecordedAt
	hActor
	hCommandID
	hCorrelationID
	hCausationID
	hCommand
	hCommandDigest
	nEngineHeaders
)

// headerValues is what decode reads from a header map: the first value
// and the number of values of each engine header, and the batch headers.
type headerValues struct {
	first                [nEngineHeaders]string
	count                [nEngineHeaders]int
	batchID, batchCommit string
}

// readHeaders walks h once. Keys are matched exactly, as h[k] does.
func readHeaders(h nats.Header) (hv headerValues) {
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		i := -1
		switch k {
		case HeaderMsgID:
			i = hMsgID
		case HeaderEventType:
			i = hEventType
		case HeaderSchema:
			i = hSchema
		case HeaderOccurredOn:
			i = hOccurredOn
		case HeaderRecordedAt:
			i = hRecordedAt
		case HeaderActor:
			i = hActor
		case HeaderCommandID:
			i = hCommandID
		case HeaderCorrelationID:
			i = hCorrelationID
		case HeaderCausationID:
			i = hCausationID
		case HeaderCommand:
			i = hCommand
		case HeaderCommandDigest:
			i = hCommandDigest
		case headerBatchID:
			hv.batchID = vs[0]
		case headerBatchCommit:
			hv.batchCommit = vs[0]
		}
		if i >= 0 {
			hv.first[i], hv.count[i] = vs[0], len(vs)
		}
	}
	return hv
}
