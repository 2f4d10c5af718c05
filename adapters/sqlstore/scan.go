package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/landrelease/landrelease/events"
)

// dateCol scans a calendar date: TEXT YYYY-MM-DD (SQLite) or DATE
// (PostgreSQL); NULL is the zero Date.
type dateCol struct{ d *events.Date }

func (c dateCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.d = events.Date{}
	case time.Time:
		*c.d = events.DateOf(x)
	case string:
		return c.parse(x)
	case []byte:
		return c.parse(string(x))
	default:
		return fmt.Errorf("a date column holds %T", v)
	}
	return nil
}

func (c dateCol) parse(s string) error {
	d, err := events.ParseDate(s)
	if err != nil {
		return err
	}
	*c.d = d
	return nil
}

// tsCol scans a timestamp: TEXT in tsLayout (SQLite) or TIMESTAMPTZ
// (PostgreSQL), always returned in UTC; NULL is the zero time.
type tsCol struct{ t *time.Time }

func (c tsCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = x.UTC()
	case string:
		return c.parse(x)
	case []byte:
		return c.parse(string(x))
	default:
		return fmt.Errorf("a timestamp column holds %T", v)
	}
	return nil
}

func (c tsCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*c.t = t.UTC()
	return nil
}

// jsonCol scans a JSON text column into v; "[]" and NULL leave a nil list.
type jsonCol struct{ v any }

func (c jsonCol) Scan(v any) error {
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("a JSON column holds %T", v)
	}
	if s := strings.TrimSpace(string(b)); s == "[]" || s == "null" || s == "" {
		return nil
	}
	return json.Unmarshal(b, c.v)
}

// geomCol scans GeoJSON text; NULL is a nil geometry.
type geomCol struct{ g *json.RawMessage }

func (c geomCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.g = nil
	case string:
		*c.g = json.RawMessage(x)
	case []byte:
		*c.g = append(json.RawMessage(nil), x...)
	default:
		return fmt.Errorf("the geometry column holds %T", v)
	}
	return nil
}

// flagsCol scans the comma-separated audit flags; "" is no flag.
type flagsCol struct{ f *[]string }

func (c flagsCol) Scan(v any) error {
	var s string
	switch x := v.(type) {
	case nil:
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("the flags column holds %T", v)
	}
	if s == "" {
		*c.f = nil
		return nil
	}
	*c.f = strings.Split(s, ",")
	return nil
}

// seqCol scans a BIGINT sequence into a uint64.
type seqCol struct{ s *uint64 }

func (c seqCol) Scan(v any) error {
	switch x := v.(type) {
	case int64:
		*c.s = uint64(x)
	case nil:
		*c.s = 0
	default:
		return fmt.Errorf("a sequence column holds %T", v)
	}
	return nil
}
