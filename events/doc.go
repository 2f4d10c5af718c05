// Package events is the catalogue of facts landrelease records: one Go type per
// event with a constant type name and schema version, the envelope that carries
// identity and provenance, a Registry that decodes stored events (upcasting old
// schema versions), and the subject naming of the event store.
//
// It imports only the standard library and github.com/google/uuid. Names and
// schema versions here are stored on disk: renaming a Go type never changes
// them, and changing the shape of an event needs a new schema version and an
// upcaster.
package events
