package sqlstore

import (
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/landrelease/landrelease/events"
)

// dialect is everything that differs between SQLite and PostgreSQL. The
// schema, the statements and the code are otherwise shared: statements are
// written with ? placeholders and {type} markers, and the dialect rewrites
// them once when a statement is built.
type dialect struct {
	name string // "sqlite" or "postgres"
	// types replaces the {marker} column types of the schema.
	types *strings.Replacer
	// dollar: placeholders are $1, $2… instead of ?.
	dollar bool
	// maxParams is the most bind parameters one statement may carry.
	maxParams int
	// snapshot is the isolation level that makes a read transaction see one
	// commit for all its queries (SQLite's transactions always do).
	snapshot sql.IsolationLevel
	// renameConstraints: constraint names must follow a table rename (in
	// PostgreSQL they name the indexes behind them, unique in a schema).
	renameConstraints bool
	// tablesSQL lists the user tables and views of the database.
	tablesSQL string
	// migrationLock serializes concurrent migrations ("" when a write
	// transaction already does).
	migrationLock string
	// nativeTime: timestamps and dates are bound as time.Time (PostgreSQL
	// TIMESTAMPTZ and DATE) rather than as text.
	nativeTime bool
	// insert begins every INSERT. SQLite's OR FAIL spares a multi-row
	// statement its statement journal: a failed statement fails the whole
	// transaction here anyway.
	insert string
}

var sqlite = dialect{
	name: "sqlite",
	types: strings.NewReplacer(
		"{uuid}", "TEXT", "{date}", "TEXT", "{ts}", "TEXT", "{bool}", "INTEGER", "{real}", "REAL",
		// Exactly INTEGER: a one-column INTEGER primary key is the rowid,
		// one B-tree instead of a table and an index.
		"{seqkey}", "INTEGER"),
	maxParams: 32766,
	snapshot:  sql.LevelDefault,
	insert:    "INSERT OR FAIL INTO ",
	tablesSQL: `SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`,
}

var postgres = dialect{
	name: "postgres",
	types: strings.NewReplacer(
		"{uuid}", "UUID", "{date}", "DATE", "{ts}", "TIMESTAMPTZ", "{bool}", "BOOLEAN", "{real}", "DOUBLE PRECISION",
		"{seqkey}", "BIGINT"),
	dollar:            true,
	maxParams:         65535,
	snapshot:          sql.LevelRepeatableRead,
	renameConstraints: true,
	tablesSQL:         `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`,
	migrationLock:     `SELECT pg_advisory_xact_lock(4242017001)`,
	nativeTime:        true,
	insert:            "INSERT INTO ",
}

// ddl returns a schema statement with its column types for this dialect.
func (d dialect) ddl(s string) string { return d.types.Replace(s) }

// bind rewrites the ? placeholders of q for this dialect. Statements never
// contain a literal question mark.
func (d dialect) bind(q string) string {
	if !d.dollar {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// tsLayout is how SQLite stores a timestamp: UTC, fixed width, so that text
// order is time order.
const tsLayout = "2006-01-02T15:04:05.000000000Z"

// ts returns the value to bind for a timestamp: NULL for the zero time.
func (d dialect) ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if d.nativeTime {
		return t.UTC()
	}
	return formatTS(t)
}

// date returns the value to bind for a calendar date: NULL for no date.
func (d dialect) date(v events.Date) any {
	if v.IsZero() {
		return nil
	}
	if d.nativeTime {
		return v.Time()
	}
	return formatDate(v)
}

// formatDate writes YYYY-MM-DD, as events.Date.String does but without the
// cost of time.Format: the commit path formats millions.
func formatDate(v events.Date) string {
	var b [10]byte
	return string(appendDate(b[:0], v.Time()))
}

// formatTS writes t in UTC in tsLayout.
func formatTS(t time.Time) string {
	t = t.UTC()
	var b [30]byte
	out := appendDate(b[:0], t)
	out = append(out, 'T')
	out = appendInt(out, t.Hour(), 2)
	out = append(out, ':')
	out = appendInt(out, t.Minute(), 2)
	out = append(out, ':')
	out = appendInt(out, t.Second(), 2)
	out = append(out, '.')
	out = appendInt(out, t.Nanosecond(), 9)
	out = append(out, 'Z')
	return string(out)
}

func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 { // outside what the fixed layout holds
		return t.AppendFormat(b, events.DateLayout)
	}
	b = appendInt(b, y, 4)
	b = append(b, '-')
	b = appendInt(b, int(m), 2)
	b = append(b, '-')
	return appendInt(b, d, 2)
}

// appendInt writes v (≥ 0) with exactly width digits.
func appendInt(b []byte, v, width int) []byte {
	start := len(b)
	for range width {
		b = append(b, '0')
	}
	for i := len(b) - 1; i >= start && v > 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return b
}
