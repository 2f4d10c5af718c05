// Package scenarios runs what-if questions against a fork of the recorded
// history: a scenario names a base (the whole history, or the history as of
// a date) and hypothetical commands (more deminers, a funding cut, faster
// survey); they are applied to an in-memory copy and the Article 5 forecast
// is run on the result. Nothing is ever written to the recorded stream. The
// YAML files shipped here are the scenarios planners start from; the
// Cambodia demo history lives in scenarios/cambodia.
package scenarios
