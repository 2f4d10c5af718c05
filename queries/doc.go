// Package queries is the read side: the documents people read — the state
// (now, as of a date, as recorded at an instant), the register of areas and
// one area with its history, the statistics, the audit trail, the work plan,
// the forecast, the backtest, the scenarios and the dashboard's overview —
// as typed values with their JSON shapes, built from the narrow ports
// declared here (the event history, the SQL register, the projections' live
// fold).
//
// The CLI's --json verbs and the HTTP API render these same documents, so
// they cannot drift. The package knows nothing of NATS or SQL: cmd wires the
// JetStream store, the SQL read model and the projections' runner to its
// ports (deps_test.go checks it).
package queries
