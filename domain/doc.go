// Package domain holds landrelease's commands and the rules that decide them:
// validation that names every bad field at once, the aggregates (area,
// deployment, funding ledger, Article 5 obligation, work plan) as deciders and
// evolvers, the domain error kinds, the EventStore port, and the Handler that
// loads, decides and appends with optimistic concurrency.
//
// It imports only the standard library, uuid and package events: no NATS, no
// SQL, no watermill. Time and identifiers come in as arguments.
package domain
