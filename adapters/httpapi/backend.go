package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/queries"
)

// Backend is what the API needs of the engine: the command port, the
// progress of the projections, and the query port. Errors are domain errors
// (their kind picks the status).
type Backend interface {
	Commands
	Progress
	Queries
}

// Commands is the command port.
type Commands interface {
	// Handle decides and stores one command (through the command bus).
	Handle(ctx context.Context, env domain.CommandEnvelope) (domain.Result, error)
	// HandleBatch decides and stores many commands in order (the bulk path).
	HandleBatch(ctx context.Context, envs []domain.CommandEnvelope) []domain.Outcome
}

// Progress tells how far the history and the read model are.
type Progress interface {
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
}

// Queries is the query port: the read side's documents (package queries),
// which are also what the CLI's --json verbs print, so the API and the CLI
// cannot drift. *queries.Reads implements all but the Render methods (the
// renderers are the CLI's).
type Queries interface {
	Areas(ctx context.Context, q queries.AreaQuery) (queries.AreaPage, error)
	Area(ctx context.Context, id uuid.UUID) (queries.AreaHistory, error)
	State(ctx context.Context, q queries.StateQuery) (queries.State, error)
	Stats(ctx context.Context, q queries.StatsQuery) ([]queries.StatRow, error)
	Audit(ctx context.Context, q queries.AuditQuery) (queries.Audit, error)
	WorkPlan(ctx context.Context, q queries.WorkPlanQuery) (queries.WorkPlan, error)
	// RenderWorkPlan renders a plan as "csv" or "html" (as the workplan
	// verb does), the html in lang ("en", "km"; "" English): the content
	// type and the bytes.
	RenderWorkPlan(plan queries.WorkPlan, format, lang string) (contentType string, body []byte, err error)
	// Article5Plan is the extension request's costed work plan (as
	// 'landrelease article5-plan --format json').
	Article5Plan(ctx context.Context, q queries.Article5PlanQuery) (queries.Article5Plan, error)
	// RenderArticle5Plan renders a plan as "csv" or "html" (as the
	// article5-plan verb does): the content type and the bytes.
	RenderArticle5Plan(plan queries.Article5Plan, format string) (contentType string, body []byte, err error)
	// Report is the annual progress report (as 'landrelease report
	// --format json').
	Report(ctx context.Context, q queries.ReportQuery) (queries.Report, error)
	// RenderReport renders a report as "csv" or "html" (as the report verb
	// does), the html in lang ("en", "km"; "" English): the content type
	// and the bytes.
	RenderReport(report queries.Report, format, lang string) (contentType string, body []byte, err error)
	Forecast(ctx context.Context, q queries.ForecastQuery) (queries.Forecast, error)
	Backtest(ctx context.Context, q queries.BacktestQuery) (queries.Backtest, error)
	Scenarios(ctx context.Context) (queries.ScenarioList, error)
	CompareScenarios(ctx context.Context, q queries.CompareQuery) (queries.Comparison, error)
	Overview(ctx context.Context) (queries.Overview, error)
	// MapAreas answers the areas with a polygon of a province ("" all),
	// with what the map's tiles draw and filter by.
	MapAreas(ctx context.Context, province string) ([]queries.Area, error)
}

// The queries of the API, as package queries declares them.
type (
	AreaQuery         = queries.AreaQuery
	StateQuery        = queries.StateQuery
	StatsQuery        = queries.StatsQuery
	AuditQuery        = queries.AuditQuery
	WorkPlanQuery     = queries.WorkPlanQuery
	Article5PlanQuery = queries.Article5PlanQuery
	ReportQuery       = queries.ReportQuery
	ForecastQuery     = queries.ForecastQuery
	BacktestQuery     = queries.BacktestQuery
	CompareQuery      = queries.CompareQuery
)
