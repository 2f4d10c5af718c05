package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/landrelease/landrelease/adapters/memory"
	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/domain/handling"
	"github.com/landrelease/landrelease/events"
	"github.com/landrelease/landrelease/projections"
	"github.com/landrelease/landrelease/scenarios/cambodia"
)

// A scenario starts from a copy of the folded base instead of folding the
// history again: its forecast is the one a full replay of the forked
// history gives, for every shipped scenario on the whole history and for the
// baseline and the funding cuts as of a date, and running scenarios one after another with one Runner leaves
// the base untouched for the next. (The forecast adds some rates in map
// order, so two forecasts of one fold may differ in the last digits of a
// float: forecastJSON compares floats to 12 significant digits; the fold
// itself is compared exactly in TestCloneFoldsLikeTheOriginal.)
func TestRunFromFoldEqualsReplay(t *testing.T) {
	ctx := context.Background()
	clock := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	history := demoHistory(t, clock)
	shipped, err := Shipped(clock())
	if err != nil {
		t.Fatal(err)
	}
	fc := projections.DefaultForecastConfig()
	fc.Trials = 10
	all := slices.Clone(shipped)
	for _, sc := range shipped {
		if sc.Name == "baseline" || sc.FundingCut != nil { // as of a date: a fresh base and the cut's fold
			sc.AsOf, sc.Name = events.MustDate("2022-06-30"), sc.Name+"@2022-06-30"
			all = append(all, sc)
		}
	}
	all = append(all, all[0]) // the baseline again, after every other scenario
	r := Runner{Source: history, Country: "KH", Now: clock, Forecast: fc}
	for _, sc := range all {
		got, err := r.Run(ctx, sc)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		want := runByReplay(t, history, sc, fc, clock)
		g, w := forecastJSON(t, got.Forecast), forecastJSON(t, want)
		if !bytes.Equal(g, w) {
			i := 0
			for i < len(g) && i < len(w) && g[i] == w[i] {
				i++
			}
			from := max(0, i-200)
			t.Errorf("%s: the forecast from the folded base differs from the one by replay at byte %d:\n got …%.400s\nwant …%.400s", sc.Name, i, g[from:], w[from:])
		}
		if got.Forecast.DeterministicCompletion == nil && got.Forecast.Trials == 0 {
			t.Errorf("%s: an empty forecast", sc.Name)
		}
	}
	if last, _ := history.LastSequence(ctx); last == 0 {
		t.Fatal("no history")
	}
}

// A copy of a fold, given the rest of the history, is the fold of the whole
// history, and the original does not see what the copy was given.
func TestCloneFoldsLikeTheOriginal(t *testing.T) {
	ctx := context.Background()
	history := demoHistory(t, func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })
	last, _ := history.LastSequence(ctx)
	half := history.Fork(last / 2)
	fold := func(src projections.Source) *projections.National {
		n, err := projections.Replay(ctx, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := fold(half)
	clone := first.Clone()
	if err := history.Replay(ctx, clone.Sequence+1, func(e events.Envelope) error {
		clone.Apply(e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(clone, fold(history)) {
		t.Error("the copy given the rest of the history differs from the fold of the whole history")
	}
	if !reflect.DeepEqual(first, fold(half)) {
		t.Error("the original changed when its copy was given more events")
	}
}

// forecastJSON is the forecast's JSON with every number written to 12
// significant digits.
func forecastJSON(t *testing.T, f projections.Forecast) []byte {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var round func(v any) any
	round = func(v any) any {
		switch x := v.(type) {
		case float64:
			r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
			return r
		case map[string]any:
			for k, e := range x {
				x[k] = round(e)
			}
		case []any:
			for i, e := range x {
				x[i] = round(e)
			}
		}
		return v
	}
	b, err = json.Marshal(round(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runByReplay is how a scenario ran before it started from the folded base:
// fork the history, replay it, apply the commands, replay again (and again
// after a funding cut's shortfalls) and forecast. The forecast's settings
// and the funding cut's commands are Run's own (forecastConfig,
// fundingCuts): what is compared is the fold.
func runByReplay(t *testing.T, src *memory.Store, sc Scenario, fc projections.ForecastConfig, clock func() time.Time) projections.Forecast {
	t.Helper()
	ctx := context.Background()
	var keep func(events.Envelope) bool
	if !sc.AsOf.IsZero() {
		keep = projections.KnownAt(sc.AsOf, time.Time{})
	}
	fork, err := memory.FromReplay(ctx, src, keep)
	if err != nil {
		t.Fatal(err)
	}
	replay := func() *projections.National {
		n, err := projections.Replay(ctx, fork, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	asOf := sc.AsOf.AddDays(1)
	if sc.AsOf.IsZero() {
		asOf = projections.ForecastStart(replay())
	}
	hc := handling.DefaultHandlerConfig()
	hc.Country, hc.Now = "KH", clock
	h, err := handling.NewHandler(fork, hc)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	handle := func(envs []domain.CommandEnvelope) {
		for _, o := range h.HandleBatch(ctx, envs, nil) {
			if o.Err != nil {
				t.Fatalf("%s: %s refused: %v", sc.Name, o.Command, o.Err)
			}
		}
	}
	handle(sc.Commands)
	if sc.FundingCut != nil {
		handle(fundingCuts(sc, replay()))
	}
	fc = (&Runner{Forecast: fc}).forecastConfig(sc, asOf)
	return projections.RunForecast(replay(), fc)
}

// demoHistory is the shipped Cambodia demo history on an in-memory store,
// applied by a handler whose clock is clock, made once for the tests (which
// never write to it: scenarios fork it).
func demoHistory(t *testing.T, clock func() time.Time) *memory.Store {
	t.Helper()
	demo.once.Do(func() {
		spec, err := cambodia.DefaultSpec()
		if err != nil {
			demo.err = err
			return
		}
		envs, err := cambodia.Generate(spec)
		if err != nil {
			demo.err = err
			return
		}
		store := memory.New()
		cfg := handling.DefaultHandlerConfig()
		cfg.Now = clock
		h, err := handling.NewHandler(store, cfg)
		if err != nil {
			demo.err = err
			return
		}
		for _, o := range h.HandleBatch(context.Background(), envs, nil) {
			if o.Err != nil {
				demo.err = fmt.Errorf("demo history: %s refused: %w", o.Command, o.Err)
				return
			}
		}
		demo.store = store
	})
	if demo.err != nil {
		t.Fatal(demo.err)
	}
	return demo.store
}

var demo struct {
	once  sync.Once
	store *memory.Store
	err   error
}
