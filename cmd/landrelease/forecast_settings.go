package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
)

// forecastSettings checks what every verb that runs the forecast model
// shares (forecast, backtest, article5-plan): --redeploy, --funding and
// --as-recorded, and --as-of where the verb has it. It returns the instant
// of --as-recorded (zero: now) and the filter of what was known (nil: the
// whole history), and sets cfg.AsOf to the day after --as-of. An error is
// a usage error naming the flag.
func forecastSettings(asOf, asRecorded string, cfg *projections.ForecastConfig) (time.Time, func(events.Envelope) bool, error) {
	if !slices.Contains(projections.RedeployPolicies, cfg.Redeploy) {
		return time.Time{}, nil, fmt.Errorf("--redeploy: %q is not one of %v", cfg.Redeploy, projections.RedeployPolicies)
	}
	if cfg.Funding != "" && !slices.Contains(projections.FundingPolicies, cfg.Funding) { // "": the model's default
		return time.Time{}, nil, fmt.Errorf("--funding: %q is not one of %v", cfg.Funding, projections.FundingPolicies)
	}
	var keep func(events.Envelope) bool
	var recorded time.Time
	if asRecorded != "" {
		t, err := time.Parse(time.RFC3339, asRecorded)
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("--as-recorded: want an RFC 3339 instant such as 2021-06-30T00:00:00Z: %v", err)
		}
		recorded, keep = t, projections.AsRecorded(t)
	}
	if asOf != "" {
		d, err := events.ParseDate(asOf)
		if err != nil {
			return time.Time{}, nil, fmt.Errorf("--as-of: %v", err)
		}
		keep, cfg.AsOf = projections.KnownAt(d, recorded), d.AddDays(1)
	}
	return recorded, keep, nil
}
