// Package handling runs the deciders of package domain against an event
// store, concurrently and safely: the Handler loads an aggregate (from its
// state cache, else the store), decides, and appends expecting the version it
// decided on, re-deciding on a conflict; a command index makes a command ID
// name one command; HandleBatch is the bulk path (atomic appends of up to
// 1,000 events); GroupCommit lets concurrent commands share one append.
//
// It is apart from package domain so that the rules stay plain values and
// functions, testable in microseconds, while the locks, caches, retries and
// goroutines live here. Like domain it imports only the standard library,
// uuid, events and domain: no NATS, no SQL, no watermill.
package handling
