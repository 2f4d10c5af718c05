package exchange

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// The releases an areas record says were made before the import, turned
// into commands in an order the rules accept.

// releaseColumns reads the releases recorded before the import: their date
// and operator, the total of each method of ReleaseColumns (into
// row.Released), reopened_area and the devices destroyed.
func (c *Converter) releaseColumns(a *areaRecord, row *Row, p *rowProblems) {
	a.on = c.date(p, "last_activity_on", a.get("last_activity_on"), false)
	if a.on.IsZero() {
		a.on = a.registered
	} else if !a.registered.IsZero() && a.on.Before(a.registered) {
		p.add("last_activity_on", "%s is before registered_on %s", a.on, a.registered)
	}
	a.operator = a.get("operator")
	row.releasedOn, row.operator = a.on, a.operator
	for i, col := range ReleaseColumns {
		if m2, ok := size(p, col, a.get(col), a.factor, false); ok {
			row.Released[i] = m2
		}
	}
	a.reopened, _ = size(p, "reopened_area", a.get("reopened_area"), a.factor, false)
	for i, col := range DeviceColumns {
		if v := a.get(col); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				p.add(col, "%q is not a whole number of devices", v)
				continue
			}
			a.devices[i] = n
		}
	}
	row.Reopened = a.reopened
}

// balance checks estimated − released + reopened against remaining_area and
// the status column; the part of (estimated − remaining) no column explains
// is a desk-analysis cancellation (added to row.Released).
func (a *areaRecord) balance(row *Row, p *rowProblems) {
	released := row.Released[0] + row.Released[1] + row.Released[2] + row.Released[3]
	if a.estOK && a.remOK {
		est, rem, reopened := a.est, a.rem, a.reopened
		switch rest := est - released + reopened - rem; {
		case rem > est:
			p.add("remaining_area", "%d m² is more than estimated_area %d m²", rem, est)
		case rest < 0:
			p.add("remaining_area", "estimated %d m² less released %d m² plus reopened %d m² leaves %d m², not %d m²", est, released, reopened, est-released+reopened, rem)
		case rest > 0:
			a.unexplained = rest
			row.Released[1] += rest
		}
	}
	if s := strings.ToUpper(a.get("status")); s != "" && a.remOK {
		want := a.class
		if a.rem == 0 {
			want = "RELEASED"
		}
		if !events.Contains([]string{"SHA", "CHA", "RELEASED"}, s) {
			p.add("status", "unknown status %q: SHA, CHA or RELEASED", s)
		} else if s != want && a.class != "" {
			p.add("status", "%s does not match classification %s with remaining_area %d m² (want %s)", s, a.class, a.rem, want)
		}
	}
}

// releasePlan turns an areas record's release totals into commands (into
// row.Then). Releases go in method order; land reopened in the source is
// given back (ReopenArea) just before the release that needs it, or at the
// end, so that no step releases more than remains or reopens more than was
// released.
type releasePlan struct {
	c   *Converter
	a   *areaRecord
	p   *rowProblems
	row *Row

	remaining, releasedSoFar, reopenLeft int64
}

func (s *releasePlan) steps() {
	var pending [4]int64
	copy(pending[:], s.row.Released[:])
	done := [4]int64{}
	for {
		for i, col := range ReleaseColumns {
			m2 := min(pending[i], s.remaining)
			if m2 <= 0 {
				continue
			}
			pending[i] -= m2
			done[i] += m2
			s.remaining, s.releasedSoFar = s.remaining-m2, s.releasedSoFar+m2
			s.release(col, m2, done[i])
		}
		left := pending[0] + pending[1] + pending[2] + pending[3]
		if left == 0 {
			break
		}
		// Nothing remains but more was released: land was reopened between.
		need := min(left, s.reopenLeft, s.releasedSoFar)
		if need <= 0 {
			s.p.add("reopened_area", "%d m² more released than the area and its reopened land allow", left)
			break
		}
		if !s.reopen(need) {
			break
		}
	}
	s.reopen(s.reopenLeft)
}

// release adds the release of m² by the method of col, done being the
// method's total so far.
func (s *releasePlan) release(col string, m2, done int64) {
	a := s.a
	// Named by the cumulative total of the method: a re-import of the same
	// record is the same command.
	rel := s.c.release(s.p, s.row.AreaID, col, m2, done, a.on, a.operator, a.unexplained > 0)
	if clr, ok := rel.Command.(domain.ClearArea); ok && done == m2 {
		// Devices destroyed go with the first clearance of the record.
		clr.APMinesDestroyed, clr.ATMinesDestroyed, clr.ERWDestroyed = a.devices[0], a.devices[1], a.devices[2]
		rel.Command = clr
		a.devices = [3]int{}
	}
	// A release migrated with the record was entered when it happened, and
	// not before the record itself.
	rel.RecordedAt = s.enteredAt(rel.RecordedAt)
	s.row.Then = append(s.row.Then, rel)
}

// reopen gives back m² of released land, if the record allows it.
func (s *releasePlan) reopen(m2 int64) bool {
	if m2 <= 0 {
		return true
	}
	if m2 > s.releasedSoFar || m2 > s.reopenLeft {
		s.p.add("reopened_area", "%d m² cannot be reopened: only %d m² was released before", m2, s.releasedSoFar)
		return false
	}
	a := s.a
	env := s.c.reopen(s.row.AreaID, a.class, m2, a.reopened-s.reopenLeft+m2, a.on)
	env.RecordedAt = s.enteredAt(env.RecordedAt)
	s.row.Then = append(s.row.Then, env)
	s.remaining, s.releasedSoFar, s.reopenLeft = s.remaining+m2, s.releasedSoFar-m2, s.reopenLeft-m2
	return true
}

// enteredAt is when a step migrated with the record was entered: entered_on,
// or the day of the releases if later; without entered_on, at (unchanged).
func (s *releasePlan) enteredAt(at time.Time) time.Time {
	if s.a.entered.IsZero() {
		return at
	}
	if t := s.a.on.Time(); t.After(s.a.entered) {
		return t
	}
	return s.a.entered
}

// DeviceColumns of an areas file: devices destroyed by its clearance.
var DeviceColumns = []string{"ap_mines_destroyed", "at_mines_destroyed", "erw_destroyed"}

// reopen gives back m² of released land of an imported record, as the
// source database recorded it.
func (c *Converter) reopen(area uuid.UUID, class string, m2, cumulative int64, on events.Date) domain.CommandEnvelope {
	if class == "" {
		class = "SHA"
	}
	cmd := domain.ReopenArea{AreaID: area, On: on, To: class, SizeM2: m2,
		Reason:   "reopened in the source database (import)",
		Evidence: []events.Evidence{{Kind: "OTHER", ObservedOn: on, Description: "residual contamination recorded in the source database"}}}
	id := events.NameID("import", strings.ToUpper(c.Country), area.String(), "reopen", strconv.FormatInt(cumulative, 10))
	return domain.CommandEnvelope{ID: id, Actor: c.actor(), Command: cmd}
}

// ReleaseColumns are the columns of an areas file that give land released
// before the import, one per method.
var ReleaseColumns = []string{"cancelled_nts_area", "cancelled_desk_area", "reduced_area", "cleared_area"}

// release returns the command that releases m2 by the method of col. Its
// ID is named by the area, the method and the total the file gives for the
// method, so the same total imported again is a duplicate.
func (c *Converter) release(p *rowProblems, area uuid.UUID, col string, m2, total int64, on events.Date, operator string, unexplained bool) domain.CommandEnvelope {
	var cmd domain.Command
	switch col {
	case "cancelled_nts_area":
		cmd = domain.CancelArea{AreaID: area, On: on, Method: events.CancelByNTS, SizeM2: m2, Operator: operator, Reason: "import: cancelled by non-technical survey before the import"}
	case "cancelled_desk_area":
		reason := "import: cancelled by desk analysis before the import"
		if unexplained {
			reason = "import: estimated_area less remaining_area, method not recorded"
		}
		cmd = domain.CancelArea{AreaID: area, On: on, Method: events.CancelByDeskAnalysis, SizeM2: m2, Operator: operator, Reason: reason}
	case "reduced_area":
		cmd = domain.ReduceArea{AreaID: area, On: on, SizeM2: m2, Operator: operator}
	case "cleared_area":
		cmd = domain.ClearArea{AreaID: area, On: on, SizeM2: m2, Operator: operator}
	}
	field := col
	if unexplained && col == "cancelled_desk_area" {
		field = "remaining_area"
	}
	validate(p, cmd, map[string]string{"size_m2": field, "on": "last_activity_on", "area_id": "local_id"})
	id := events.NameID("import", strings.ToUpper(c.Country), area.String(), col, strconv.FormatInt(total, 10))
	return domain.CommandEnvelope{ID: id, Actor: c.actor(), Command: cmd}
}
