package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/landrelease/landrelease/events"
)

// TooLarge returns the ErrTooLarge error of an event that is size bytes on
// the wire, over the event store's limit of limit bytes. body is the event's
// JSON; the error names its largest field (as a path such as
// "geometry.coordinates[0]" or "evidence[2].description"), so that whoever
// sent the command knows what to make smaller. Event stores call it before
// they append, and store nothing then.
func TooLarge(e events.Envelope, body []byte, size, limit int64) *Error {
	field, n := largestField(body)
	reason := fmt.Sprintf("the %s event is %d bytes, over the event store's limit of %d bytes (the NATS server's max_payload)",
		e.Type, size, limit)
	if field != "" {
		reason += fmt.Sprintf("; its largest field, %s, holds %d bytes: make it smaller (simplify the polygon, shorten the text) or split the record", field, n)
	}
	return &Error{Kind: ErrTooLarge, Problems: []Problem{{Field: field, Reason: reason}}}
}

// largestField follows the largest member of a JSON value down while it
// holds at least half of its parent, and returns its path and size. It
// returns "" when the value is not an object.
func largestField(body []byte) (string, int) {
	var path string
	raw := bytes.TrimSpace(body)
	for depth := 0; depth < 8; depth++ {
		key, child, ok := largestMember(raw)
		if !ok || (depth > 0 && 2*len(child) < len(raw)) {
			break
		}
		path += key
		raw = child
	}
	if path == "" {
		return "", 0
	}
	if path[0] == '.' {
		path = path[1:]
	}
	return path, len(raw)
}

// largestMember returns the path step (".key" or "[i]") and the raw value of
// the largest member of a JSON object or array.
func largestMember(raw []byte) (string, []byte, bool) {
	if len(raw) == 0 {
		return "", nil, false
	}
	var step string
	var best []byte
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return "", nil, false
		}
		for k, v := range obj {
			if len(v) > len(best) || (len(v) == len(best) && "."+k < step) {
				step, best = "."+k, v
			}
		}
	case '[':
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) != nil {
			return "", nil, false
		}
		for i, v := range arr {
			if len(v) > len(best) {
				step, best = "["+strconv.Itoa(i)+"]", v
			}
		}
	}
	return step, best, best != nil
}
