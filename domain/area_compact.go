package domain

import (
	"encoding/binary"
	"errors"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// The command handler keeps hundreds of thousands of area states in its
// cache at the sizes of the largest programmes; as Go values (an Area is
// 384 bytes of fields with pointers, plus its strings and slices) they cost
// about three times their compact form below and weigh on every garbage
// collection. AppendCompact and DecodeCompactArea convert losslessly; the
// form is in memory only (never stored: it may change with any build).

// AreaCompactFields is the number of fields of Area the compact form
// covers: a test fails when Area gains a field, so that the form is
// extended with it.
const AreaCompactFields = 27

const compactAreaVersion = 1

var errCompact = errors.New("compact area: malformed")

// AppendCompact appends the compact form of a to b.
func (a Area) AppendCompact(b []byte) []byte {
	b = append(b, compactAreaVersion)
	b = append(b, a.ID[:]...)
	var flags byte
	if a.Registered {
		flags |= 1
	}
	if a.Restricted {
		flags |= 2
	}
	b = append(b, flags)
	for _, s := range [...]string{a.Province, a.District, a.Commune, a.Village, string(a.Hazard), string(a.Class), string(a.LandUse), a.RestrictionReason} {
		b = appendString(b, s)
	}
	for _, n := range [...]int64{a.SizeM2, a.RemainingM2, a.CancelledM2, a.ReducedM2, a.ClearedM2, a.ReopenedM2,
		int64(a.EvidenceCount), int64(a.DirectEvidence), int64(a.CasualtiesLast5y)} {
		b = binary.AppendVarint(b, n)
	}
	for _, d := range [...]events.Date{a.RegisteredOn, a.LastOn, a.RestrictedSince, a.RestrictedUntil} {
		b = appendDate(b, d)
	}
	b = binary.LittleEndian.AppendUint64(b, a.GeometryHash)
	b = binary.AppendUvarint(b, uint64(len(a.Deployments)))
	for _, id := range a.Deployments {
		b = append(b, id[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(a.Workers)))
	for _, w := range a.Workers {
		b = appendString(b, w)
	}
	return b
}

// DecodeCompactArea reads what AppendCompact wrote.
func DecodeCompactArea(b []byte) (Area, error) {
	r := compactReader{b: b}
	var a Area
	if r.byte() != compactAreaVersion {
		return Area{}, errCompact
	}
	a.ID = r.uuid()
	flags := r.byte()
	a.Registered, a.Restricted = flags&1 != 0, flags&2 != 0
	a.Province, a.District, a.Commune, a.Village = r.string(), r.string(), r.string(), r.string()
	a.Hazard, a.Class, a.LandUse = events.Hazard(r.string()), events.Classification(r.string()), events.LandUse(r.string())
	a.RestrictionReason = r.string()
	a.SizeM2, a.RemainingM2, a.CancelledM2 = r.varint(), r.varint(), r.varint()
	a.ReducedM2, a.ClearedM2, a.ReopenedM2 = r.varint(), r.varint(), r.varint()
	a.EvidenceCount, a.DirectEvidence, a.CasualtiesLast5y = int(r.varint()), int(r.varint()), int(r.varint())
	a.RegisteredOn, a.LastOn, a.RestrictedSince, a.RestrictedUntil = r.date(), r.date(), r.date(), r.date()
	a.GeometryHash = r.uint64()
	if n := r.count(16); n > 0 {
		a.Deployments = make([]uuid.UUID, n)
		for i := range a.Deployments {
			a.Deployments[i] = r.uuid()
		}
	}
	if n := r.count(1); n > 0 {
		a.Workers = make([]string, n)
		for i := range a.Workers {
			a.Workers[i] = r.string()
		}
	}
	if r.bad || len(r.b) != 0 {
		return Area{}, errCompact
	}
	return a, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendDate writes 0 for the zero date, else the zigzag days + 1.
func appendDate(b []byte, d events.Date) []byte {
	if d.IsZero() {
		return append(b, 0)
	}
	n := d.UnixDays()
	return binary.AppendUvarint(b, uint64(n<<1^n>>63)+1)
}

// compactReader reads the compact form; a short or malformed input sets
// bad and yields zero values from then on.
type compactReader struct {
	b   []byte
	bad bool
}

func (r *compactReader) byte() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *compactReader) uuid() (id uuid.UUID) {
	if len(r.b) < 16 {
		r.bad = true
		return id
	}
	copy(id[:], r.b)
	r.b = r.b[16:]
	return id
}

func (r *compactReader) uint64() uint64 {
	if len(r.b) < 8 {
		r.bad = true
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *compactReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *compactReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length whose items take at least size bytes each.
func (r *compactReader) count(size int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/size) {
		r.bad = true
		return 0
	}
	return int(n)
}

func (r *compactReader) string() string {
	n := r.count(1)
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *compactReader) date() events.Date {
	v := r.uvarint()
	if v == 0 {
		return events.Date{}
	}
	z := v - 1
	return events.DateFromUnixDays(int64(z>>1) ^ -int64(z&1))
}
