// Package exchange reads and writes the IMSMA-style exchange files of
// docs/exchange.md: hazard-area registers and land-release activity reports
// as CSV or GeoJSON. Readers stream one record at a time and never hold the
// whole file; Convert turns a record into the domain commands that stand for
// it, with deterministic area and command IDs so that importing the same file
// twice adds nothing. Writers export the read model's areas in the same
// columns, so an export imports back into the same register. Geometry
// checks (validity, area in m², size mismatches, overlaps, provinces) use
// github.com/paulmach/orb; the quality report and the reconciliation of
// operator reports build on them (docs/quality.md).
//
// It may import the standard library, uuid, orb, events, domain and projections;
// never another adapter, the CLI or a database driver.
package exchange
