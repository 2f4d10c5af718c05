package queries

import (
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/events"
)

// AreaQuery filters and pages the register.
type AreaQuery struct {
	Province string // canonical gazetteer name; "" all
	Status   string // SHA, CHA, RELEASED; "" all
	Limit    int
	Offset   int
}

// StateQuery asks for the state now, as of a date (by when events
// occurred) or as recorded at an instant.
type StateQuery struct {
	AsOf       *events.Date
	AsRecorded *time.Time
}

// StatsQuery filters the land-release statistics.
type StatsQuery struct {
	Year     int
	Province string
}

// AuditQuery filters the audit trail; IdleYears > 0 also lists the open
// areas idle that long.
type AuditQuery struct {
	Area      uuid.UUID
	From, To  events.Date
	Action    string
	Flag      string
	Limit     int
	IdleYears int
}

// WorkPlanQuery names a province's plan for a year.
type WorkPlanQuery struct {
	Province string
	Year     int
}

// ForecastQuery configures a forecast.
type ForecastQuery struct {
	AsOf     *events.Date
	Trials   int
	Seed     *uint64
	Redeploy string // one of projections.RedeployPolicies; "" the default
	Funding  string // one of projections.FundingPolicies; "" the default
}

// BacktestQuery configures a backtest: years From to To (0: the default
// range, cut to what fits in a request).
type BacktestQuery struct {
	From, To int
	Trials   int
	Seed     *uint64
	Redeploy string // one of projections.RedeployPolicies; "" the default
}

// CompareQuery runs scenarios side by side: each entry is the name of a
// shipped scenario or a YAML document.
type CompareQuery struct {
	Scenarios []string `json:"scenarios"`
	Trials    int      `json:"trials"`
}
