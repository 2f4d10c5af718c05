package events

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AggregateKind names a kind of aggregate; it is the third token of a subject.
type AggregateKind string

const (
	KindArea       AggregateKind = "area"
	KindDeployment AggregateKind = "deployment"
	KindFunding    AggregateKind = "funding"
	KindArticle5   AggregateKind = "article5"
	KindWorkPlan   AggregateKind = "workplan"
)

// SubjectPrefix is the first token of every landrelease subject.
const SubjectPrefix = "lr"

// Ref identifies one aggregate instance: a country's area, deployment, ...
type Ref struct {
	Country string // ISO 3166-1 alpha-2, upper case ("KH")
	Kind    AggregateKind
	ID      uuid.UUID
}

// Subject is the event-store subject of the aggregate:
// lr.<country lower case>.<kind>.<id>.
func (r Ref) Subject() string {
	var b strings.Builder
	b.Grow(3 + 3 + len(r.Kind) + 1 + 36 + 1)
	b.WriteString(SubjectPrefix)
	b.WriteByte('.')
	b.WriteString(strings.ToLower(r.Country))
	b.WriteByte('.')
	b.WriteString(string(r.Kind))
	b.WriteByte('.')
	b.WriteString(r.ID.String())
	return b.String()
}

func (r Ref) String() string { return r.Subject() }

// ParseSubject is the inverse of Ref.Subject.
func ParseSubject(s string) (Ref, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != SubjectPrefix {
		return Ref{}, fmt.Errorf("subject %q is not lr.<country>.<kind>.<id>", s)
	}
	id, err := uuid.Parse(parts[3])
	if err != nil {
		return Ref{}, fmt.Errorf("subject %q: aggregate id: %v", s, err)
	}
	return Ref{Country: strings.ToUpper(parts[1]), Kind: AggregateKind(parts[2]), ID: id}, nil
}

// Envelope is one stored event with its identity and provenance.
type Envelope struct {
	ID            uuid.UUID // event ID (UUIDv7), the Nats-Msg-Id
	Type          string    // event type name, Lr-Event-Type
	Schema        int       // schema version of Type, Lr-Schema
	Aggregate     Ref       // the aggregate the event belongs to (its subject)
	Sequence      uint64    // stream sequence; 0 until stored
	OccurredOn    Date      // the domain date of the fact, Lr-Occurred-On
	RecordedAt    time.Time // when the engine accepted it, Lr-Recorded-At
	Actor         string    // who sent the command, Lr-Actor
	CommandID     uuid.UUID // the command that produced it, Lr-Command-Id
	CorrelationID uuid.UUID // the conversation it belongs to, Lr-Correlation-Id
	CausationID   uuid.UUID // the message (command or event) that caused it
	// Command and CommandDigest name the command that produced the event
	// (Lr-Command) and fingerprint its canonical form (Lr-Command-Digest,
	// see domain.CommandDigest), so that a command ID reused for another
	// command is told from a retry; both are empty on older events.
	Command       string
	CommandDigest string
	// BatchEnd is set on stored events that end an atomic append (a lone
	// event ends its own): readers that apply events in transactions cut
	// only there, so an atomic batch is never half applied.
	BatchEnd bool
	Data     Event
}

// namespace for name-based (version 5) identifiers.
var namespace = uuid.MustParse("6f0f3c1e-2b5e-4f7a-9c43-6c616e647265")

// NameID returns a stable identifier for an aggregate that is named rather
// than numbered (a country's Article 5 obligation, a province's work plan of a
// year, a year's funding ledger): the same parts always give the same ID.
func NameID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(strings.Join(parts, "\x1f")))
}

// Article5Ref is the aggregate of a country's Article 5 obligation.
func Article5Ref(country string) Ref {
	country = strings.ToUpper(country)
	return Ref{Country: country, Kind: KindArticle5, ID: NameID("article5", country)}
}

// FundingRef is the aggregate of a country's funding ledger for one year.
func FundingRef(country string, year int) Ref {
	country = strings.ToUpper(country)
	return Ref{Country: country, Kind: KindFunding, ID: NameID("funding", country, fmt.Sprint(year))}
}

// WorkPlanRef is the aggregate of a province's annual work plan.
func WorkPlanRef(country, province string, year int) Ref {
	country = strings.ToUpper(country)
	return Ref{Country: country, Kind: KindWorkPlan, ID: NameID("workplan", country, province, fmt.Sprint(year))}
}

// DerivedID returns a UUIDv7-shaped identifier determined by a command ID and
// a purpose index: the same command always yields the same event IDs and new
// aggregate IDs, which is what makes a retried command idempotent. The
// timestamp bits are the command ID's own when it is a UUIDv7, else fallback.
func DerivedID(commandID uuid.UUID, purpose string, index int, fallback time.Time) uuid.UUID {
	var ms uint64
	if commandID.Version() == 7 {
		ms = binary.BigEndian.Uint64(append([]byte{0, 0}, commandID[:6]...))
	} else {
		ms = uint64(fallback.UnixMilli())
	}
	h := sha256.New()
	h.Write(commandID[:])
	h.Write([]byte(purpose))
	var ib [8]byte
	binary.BigEndian.PutUint64(ib[:], uint64(index))
	h.Write(ib[:])
	sum := h.Sum(nil)
	var id uuid.UUID
	id[0] = byte(ms >> 40)
	id[1] = byte(ms >> 32)
	id[2] = byte(ms >> 24)
	id[3] = byte(ms >> 16)
	id[4] = byte(ms >> 8)
	id[5] = byte(ms)
	copy(id[6:], sum[:10])
	id[6] = (id[6] & 0x0f) | 0x70 // version 7
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}
