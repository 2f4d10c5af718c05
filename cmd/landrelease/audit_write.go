package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/landrelease/landrelease/queries"
)

// auditEntriesHead is how the indented audit document with no entries
// starts: the streamed entries go between its brackets.
const auditEntriesHead = "{\n  \"entries\": []"

// writeAuditJSON writes the document writeJSON writes for queries.AuditOf's,
// byte for byte, encoding the entries one at a time as the register reads
// them. Nothing is written when the reading fails before 64 KiB of output.
func writeAuditJSON(ctx context.Context, w io.Writer, reg queries.Register, head queries.Audit, q queries.AuditQuery) error {
	rest, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(rest, []byte(auditEntriesHead)) {
		return errors.New("audit document: entries are not its first member")
	}
	rest = rest[len(auditEntriesHead):]
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(auditEntriesHead[:len(auditEntriesHead)-1])
	n := 0
	err = queries.EachAuditEntry(ctx, reg, q, func(e queries.AuditEntry) error {
		b, err := json.MarshalIndent(e, "    ", "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		bw.Write(b)
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteByte(']')
	bw.Write(rest)
	bw.WriteByte('\n')
	return bw.Flush()
}

// writeAuditText writes the audit as text: the evidence share, the entries
// in a table, the idle areas; or the quarantined messages. The table is
// aligned as a tabwriter aligns it, in two readings of the entries (one
// measures the columns, one prints), so that it is never held.
func writeAuditText(ctx context.Context, w io.Writer, reg queries.Register, head queries.Audit, q queries.AuditQuery) error {
	if head.Quarantined != nil {
		qs := *head.Quarantined
		if len(qs) == 0 {
			fmt.Fprintln(w, "No quarantined messages: every message of the history is an event.")
		}
		writeQuarantine(w, qs)
		if len(qs) == q.Limit && q.Limit > 0 {
			fmt.Fprintf(w, "(first %d messages; --limit 0 for all)\n", q.Limit)
		}
		return nil
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	share := head.EvidenceShare
	period := "all time"
	if share.From != "" || share.To != "" {
		period = fmt.Sprintf("%s … %s", orDash(share.From), orDash(share.To))
	}
	fmt.Fprintf(bw, "Areas added (%s): %d, %s m²; with evidence: %d areas, %s m² (%.0f%% of the area)\n\n", period,
		share.AreasAdded, m2(share.AddedM2), share.WithEvidenceAreas, m2(share.WithEvidenceM2), 100*share.ShareWithEvidence)
	t := newStreamTable(auditHeader)
	n := 0
	if err := queries.EachAuditEntry(ctx, reg, q, func(e queries.AuditEntry) error {
		t.measure(auditCells(e))
		n++
		return nil
	}); err != nil {
		return err
	}
	// The second reading stops at the entries the first counted: the trail
	// only grows at its end, so these are the same entries.
	again := q
	again.Limit = n
	t.begin(bw)
	if n > 0 {
		if err := queries.EachAuditEntry(ctx, reg, again, func(e queries.AuditEntry) error {
			t.row(auditCells(e))
			return nil
		}); err != nil {
			return err
		}
	}
	if err := t.end(); err != nil {
		return err
	}
	if n == q.Limit && q.Limit > 0 {
		fmt.Fprintf(bw, "(first %d entries; --limit 0 for all)\n", q.Limit)
	}
	if q.IdleYears > 0 {
		var idle []queries.IdleArea
		if head.IdleAreas != nil {
			idle = *head.IdleAreas
		}
		fmt.Fprintf(bw, "\nOpen areas with no activity for %d years (desk-analysis candidates): %d\n", q.IdleYears, len(idle))
		for _, i := range idle {
			fmt.Fprintf(bw, "  %s  %-16s %s  %s m²  last activity %s\n", i.AreaID, i.Province, i.Status, m2(i.RemainingM2), i.LastActivityOn)
		}
	}
	return bw.Flush()
}

var auditHeader = []string{"occurred", "action", "area", "province", "class", "m²", "method", "actor", "reason", "evidence", "flags"}

// auditCells are the cells of an entry's line in the audit table.
func auditCells(e queries.AuditEntry) []string {
	class := e.To
	if e.From != "" {
		class = e.From + "→" + orDash(e.To)
	}
	return []string{e.OccurredOn, e.Action, e.AreaID, e.Province, orDash(class), m2(e.SizeM2), orDash(e.Method),
		orDash(e.Actor), orDash(e.Reason), fmt.Sprint(len(e.Evidence)), strings.Join(e.Flags, ",")}
}

// streamTable writes lines of cells aligned as
// tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) aligns them when every line has
// the same number of cells, each but the last ended by a tab: each column
// as wide as its widest cell (in runes) plus two spaces. measure sees every
// line first; then begin, row for each line in the same order, end. A cell
// that holds a character tabwriter reads as a cell or line end (tab, line
// feed, vertical tab, form feed) changes the table's shape: then the lines
// go through a tabwriter, held until end, as they always did.
type streamTable struct {
	header []string
	widths []int
	odd    bool
	w      io.Writer
	tw     *tabwriter.Writer
}

func newStreamTable(header []string) *streamTable {
	t := &streamTable{header: header, widths: make([]int, len(header)-1)}
	t.measure(header)
	return t
}

func (t *streamTable) measure(cells []string) {
	for i, c := range cells {
		if strings.ContainsAny(c, "\t\n\v\f") {
			t.odd = true
		}
		if i < len(t.widths) {
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c)+2)
		}
	}
}

func (t *streamTable) begin(w io.Writer) {
	t.w = w
	if t.odd {
		t.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	}
	t.row(t.header)
}

func (t *streamTable) row(cells []string) {
	if t.tw != nil {
		fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
		return
	}
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		if i < len(t.widths) {
			b.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)))
		}
	}
	b.WriteByte('\n')
	io.WriteString(t.w, b.String())
}

func (t *streamTable) end() error {
	if t.tw != nil {
		return t.tw.Flush()
	}
	return nil
}
