package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Backend answers the API's questions. Its documents are the JSON the CLI's
// --json verbs print (docs/contract.md), so the API and the CLI cannot drift.
// Errors are domain errors (their kind picks the status).
type Backend interface {
	// Stored returns the last sequence in the event history.
	Stored(ctx context.Context) (uint64, error)
	// Projected returns the last sequence the read model has applied.
	Projected() uint64
	// WaitProjected returns once the read model has applied seq, or the
	// context's error.
	WaitProjected(ctx context.Context, seq uint64) error
	// Handled returns how many commands this replica's handler took from
	// the command bus (commands spread over replicas show it).
	Handled() int64
	// Quarantined returns how many messages of the history the read model
	// skipped because they are not events (docs/security.md).
	Quarantined() int
	// Subscribe returns a channel that gets the projected sequence after each
	// commit of the projections (the latest only, when the reader is slow).
	Subscribe() (<-chan uint64, func())

	// Handle decides and stores one command (through the command bus).
	Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error)
	// HandleBatch decides and stores many commands in order (the bulk path).
	HandleBatch(ctx context.Context, envs []domain.CommandEnvelope) []domain.Outcome

	Areas(ctx context.Context, q AreaQuery) (any, error)
	Area(ctx context.Context, id uuid.UUID) (any, error)
	State(ctx context.Context, q StateQuery) (any, error)
	Stats(ctx context.Context, q StatsQuery) (any, error)
	Audit(ctx context.Context, q AuditQuery) (any, error)
	// WorkPlan answers the plan as JSON (format ""), or renders it as "csv"
	// or "html": then it returns the content type and the bytes.
	WorkPlan(ctx context.Context, q WorkPlanQuery) (doc any, contentType string, body []byte, err error)
	Forecast(ctx context.Context, q ForecastQuery) (any, error)
	// Backtest answers the document of `backtest --json`.
	Backtest(ctx context.Context, q BacktestQuery) (any, error)
	Scenarios(ctx context.Context) (any, error)
	CompareScenarios(ctx context.Context, q CompareQuery) (any, error)
	Overview(ctx context.Context) (any, error)
}

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

// AuditQuery filters the audit trail.
type AuditQuery struct {
	Area     uuid.UUID
	From, To events.Date
	Action   string
	Flag     string
	Limit    int
}

// WorkPlanQuery names a province's plan for a year.
type WorkPlanQuery struct {
	Province string
	Year     int
	Format   string // "", "csv" or "html"
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
// range of projections.RunBacktest).
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
