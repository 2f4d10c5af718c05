// Package domain holds landrelease's commands and the rules that decide them:
// validation that names every bad field at once, the aggregates (area,
// deployment, funding ledger, Article 5 obligation, work plan) as deciders and
// evolvers, the domain error kinds, the EventStore port, and the result
// types of a handled command. Everything here is a pure value or function:
// the concurrent machinery that loads, decides and appends (the Handler, its
// state cache and command index, the bulk path, group commit) is in
// domain/handling.
//
// It imports only the standard library, uuid and package events: no NATS, no
// SQL, no watermill. Time and identifiers come in as arguments.
package domain
