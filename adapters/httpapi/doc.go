// Package httpapi is landrelease's HTTP API (docs/api.md): commands in,
// projections out, with token authentication and roles, one error mapping,
// request limits, read-your-writes and a server-sent event stream. It knows
// nothing of NATS or SQL: cmd/landrelease wires a Backend (a command port, the
// projections' progress, and a query port answering the documents of package
// queries) and a token Bucket into it, so the same API runs on any event
// store and read model.
package httpapi
