// Package projections folds the event history into read models: the
// register (the national database), land-release statistics and the audit
// trail. Each projection is a pure, deterministic fold with a constant name
// and version; it collects the rows an event changes and hands them to a
// store interface it declares (implemented by adapters/sqlstore) in batches,
// together with the checkpoint, so a crash can neither skip nor double an
// event. Rebuilt from events alone, it imports only the standard library,
// uuid and package events: not domain, not any adapter.
package projections
