// Package perf is the harness of 'landrelease bench': it generates
// synthetic national histories at several scales and measures the append,
// import, replay and query paths, each next to its raw ceiling (JetStream
// publishes and reads, SQL rebuilds) measured in the same run on the same
// machine, and renders the report as text or as the generated section of
// docs/performance.md. cmd/landrelease keeps the verb's flags and gives the
// harness its engine and verbs through Host; the go test benchmarks in
// cmd/landrelease run the same harness.
package perf
