// Package synth generates synthetic, deterministic command histories of a
// national mine action programme: for tests, benchmarks and load. Every
// command it emits has a command ID derived from the seed, so the same
// configuration always yields the same commands, and every command it emits
// as valid was checked against the domain's own Decide. It imports events and
// domain only.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
	"github.com/landrelease/landrelease/events"
)

// Provinces used by the generator: Cambodia's most contaminated.
var Provinces = []string{"Battambang", "Banteay Meanchey", "Oddar Meanchey", "Pailin", "Preah Vihear", "Pursat"}

// Config says what to generate.
type Config struct {
	Seed     uint64
	Commands int // how many commands to emit
	Country  string
	Start    events.Date // first registration date
	Now      time.Time   // the clock the commands are decided with
	// RegisterShare is the share of commands (after the first ten areas)
	// that register a new area; 0 means one in three.
	RegisterShare float64
}

// DefaultConfig returns a configuration for n commands.
func DefaultConfig(seed uint64, n int) Config {
	return Config{Seed: seed, Commands: n, Country: "KH", Start: events.MustDate("2018-01-01"),
		Now: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// Generator keeps the state the generated commands lead to.
type Generator struct {
	cfg     Config
	rng     *rand.Rand
	idSeed  uuid.UUID
	n       int
	states  map[events.Ref]domain.State
	areas   []events.Ref
	deploys map[string][]uuid.UUID // active deployments by province
}

// New returns a generator.
func New(cfg Config) *Generator {
	return &Generator{
		cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		idSeed: events.NameID("synth", fmt.Sprint(cfg.Seed)),
		states: make(map[events.Ref]domain.State), deploys: make(map[string][]uuid.UUID),
	}
}

// CommandID returns the i-th command ID of the seed.
func (g *Generator) CommandID(i int) uuid.UUID {
	return events.DerivedID(g.idSeed, "command", i, g.cfg.Now)
}

func (g *Generator) ctx(id uuid.UUID) domain.Context {
	return domain.Context{Country: g.cfg.Country, CommandID: id, Now: g.cfg.Now}
}

// try decides cmd on the generator's state; if accepted it applies the
// events and returns the envelope to emit.
func (g *Generator) try(cmd domain.Command, actor string) (domain.CommandEnvelope, bool) {
	id := g.CommandID(g.n)
	c := g.ctx(id)
	ref := cmd.Target(c)
	s, ok := g.states[ref]
	if !ok {
		s = domain.NewState(ref.Kind)
	}
	var p domain.Problems
	cmd.Validate(&p)
	if len(p) > 0 {
		return domain.CommandEnvelope{}, false
	}
	reads := domain.Reads{}
	for _, r := range cmd.Reads(c) {
		if rs, ok := g.states[r]; ok {
			reads[r] = rs
		} else {
			reads[r] = domain.NewState(r.Kind)
		}
	}
	evs, err := cmd.Decide(c, s, reads)
	if err != nil {
		return domain.CommandEnvelope{}, false
	}
	for _, e := range evs {
		s = s.Evolve(e)
	}
	if !ok && ref.Kind == events.KindArea {
		g.areas = append(g.areas, ref)
	}
	g.states[ref] = s
	g.n++
	return domain.CommandEnvelope{ID: id, Actor: actor, Command: cmd}, true
}

func (g *Generator) date(from events.Date) events.Date {
	span := int(g.cfg.Now.Sub(from.Time()).Hours()/24) - 1
	if span <= 0 {
		return from
	}
	return from.AddDays(g.rng.IntN(span))
}

func (g *Generator) province() string { return Provinces[g.rng.IntN(len(Provinces))] }

// Setup emits the programme's frame: the Article 5 deadline, funding and a
// deployment in each province.
func (g *Generator) Setup() []domain.CommandEnvelope {
	var out []domain.CommandEnvelope
	add := func(c domain.Command, actor string) {
		if env, ok := g.try(c, actor); ok {
			out = append(out, env)
		}
	}
	add(domain.SetArticle5Deadline{Country: g.cfg.Country, Deadline: events.MustDate("2025-12-31"), Reason: "extension granted",
		Milestones: []events.Milestone{{Year: 2021, ReleaseM2: 110_000_000}}}, "cmaa")
	for y := 2018; y <= 2021; y++ {
		add(domain.PledgeFunding{Donor: "Japan", Year: y, AmountUSD: 4_000_000 + int64(g.rng.IntN(1_000_000))}, "cmaa")
	}
	add(domain.RecordFundingShortfall{Year: 2020, AmountUSD: 1_500_000, Reason: "pandemic"}, "cmaa")
	for _, p := range Provinces {
		d := domain.DeployCapacity{Operator: "CMAC", Province: p, Method: "MANUAL", Deminers: 40 + g.rng.IntN(80),
			From: g.cfg.Start, ProductivityM2PerDeminerDay: 40, WorkingDaysPerYear: 220}
		d.Women = d.Deminers / 5
		id := g.CommandID(g.n)
		if env, ok := g.try(d, "cmaa"); ok {
			out = append(out, env)
			g.deploys[p] = append(g.deploys[p], events.DerivedID(id, "deployment", 0, g.cfg.Now))
		}
	}
	return out
}

// Register emits a RegisterSuspectedArea.
func (g *Generator) Register() (domain.CommandEnvelope, bool) {
	c := domain.RegisterSuspectedArea{Province: g.province(), Hazard: events.Hazard(events.HazardValues[g.rng.IntN(3)]),
		SizeM2: int64(1000 + g.rng.IntN(200_000)), RegisteredOn: g.date(g.cfg.Start), Source: "BLS",
		LandUse: events.LandUse(events.LandUseValues[g.rng.IntN(len(events.LandUseValues))]), CasualtiesLast5y: g.rng.IntN(3)}
	if g.rng.IntN(3) == 0 {
		c.Evidence = []events.Evidence{{Kind: "WITNESS", ObservedOn: c.RegisteredOn, Description: "villagers avoid the field"}}
	}
	if g.rng.IntN(5) == 0 {
		c.Classification = "CHA"
	}
	return g.try(c, "mapu:"+c.Province)
}

// Act emits one follow-up command on a registered area (or a registration
// when there is none yet).
func (g *Generator) Act() (domain.CommandEnvelope, bool) {
	if len(g.areas) == 0 {
		return g.Register()
	}
	ref := g.areas[g.rng.IntN(len(g.areas))]
	a := g.states[ref].(domain.Area)
	on := g.date(a.LastOn)
	part := func() int64 {
		if a.RemainingM2 <= 1 {
			return a.RemainingM2
		}
		return 1 + g.rng.Int64N(a.RemainingM2)
	}
	var c domain.Command
	switch g.rng.IntN(11) {
	case 0:
		c = domain.RecordEvidence{AreaID: ref.ID, Kind: "DEVICE_FOUND", ObservedOn: on, Description: "PMN-2 found"}
	case 1:
		c = domain.ConfirmHazardousArea{AreaID: ref.ID, On: on, SizeM2: part()}
	case 2:
		c = domain.CancelArea{AreaID: ref.ID, On: on, Method: "NTS", Reason: "no evidence of contamination", SizeM2: part()}
	case 3, 4:
		c = domain.ReduceArea{AreaID: ref.ID, On: on, SizeM2: part(), Operator: "CMAC"}
	case 5, 6:
		c = domain.ClearArea{AreaID: ref.ID, On: on, SizeM2: part(), Operator: "CMAC", APMinesDestroyed: g.rng.IntN(20)}
	case 7:
		to := "SHA"
		if a.Class == "SHA" {
			to = "CHA"
		}
		c = domain.ReclassifyArea{AreaID: ref.ID, On: on, To: to, Reason: "re-survey",
			Evidence: []events.Evidence{{Kind: "SURVEY", ObservedOn: on}}}
	case 8:
		size := a.SizeM2 * 10
		c = domain.CorrectAreaRecord{AreaID: ref.ID, On: on, Reason: "size entered in the wrong unit", SizeM2: &size}
	case 9:
		released := a.ReleasedM2()
		if released < 1 {
			return g.Register()
		}
		c = domain.ReopenArea{AreaID: ref.ID, On: on, To: "CHA", SizeM2: 1 + g.rng.Int64N(released), Reason: "accident on released land",
			Evidence: []events.Evidence{{Kind: "ACCIDENT", ObservedOn: on}}}
	case 10:
		ds := g.deploys[a.Province]
		if len(ds) == 0 {
			return g.Register()
		}
		c = domain.AssignTask{AreaID: ref.ID, DeploymentID: ds[0], On: on, Task: "CLEARANCE"}
	}
	return g.try(c, "operator:CMAC")
}

// Mixed returns a history of cfg.Commands valid commands: the setup, then
// registrations and follow-ups in a realistic mix.
func Mixed(cfg Config) []domain.CommandEnvelope {
	out := make([]domain.CommandEnvelope, 0, cfg.Commands)
	_ = Stream(cfg, func(env domain.CommandEnvelope) error {
		out = append(out, env)
		return nil
	})
	return out
}

// Stream calls fn with each command of Mixed(cfg), in order, without holding
// them all: for histories too large to keep as a slice. It stops at the
// first error fn returns and returns it.
func Stream(cfg Config, fn func(domain.CommandEnvelope) error) error {
	g := New(cfg)
	n := 0
	for _, env := range g.Setup() {
		if n == cfg.Commands {
			return nil
		}
		if err := fn(env); err != nil {
			return err
		}
		n++
	}
	for n < cfg.Commands {
		var env domain.CommandEnvelope
		var ok bool
		if len(g.areas) < 10 || g.register() {
			env, ok = g.Register()
		} else {
			env, ok = g.Act()
		}
		if !ok {
			continue
		}
		if err := fn(env); err != nil {
			return err
		}
		n++
	}
	return nil
}

func (g *Generator) register() bool {
	if g.cfg.RegisterShare == 0 {
		return g.rng.IntN(3) == 0
	}
	return g.rng.Float64() < g.cfg.RegisterShare
}

// Size of the Cambodia demo (scenarios/cambodia): the 1× of National.
const (
	DemoCommands = 22_292
	DemoAreas    = 5_489
)

// National returns the configuration of a mixed history scale times the
// size of the Cambodia demo: DemoCommands × scale commands, of which a share
// chosen so that about DemoAreas × scale areas are registered (1×: about
// 5,500 areas and 25,000 events; 100×: 550,000 areas, 2.5 million events).
func National(seed uint64, scale float64) Config {
	cfg := DefaultConfig(seed, max(20, int(math.Round(DemoCommands*scale))))
	cfg.RegisterShare = nationalRegisterShare
	return cfg
}

// nationalRegisterShare makes National register about DemoAreas per
// DemoCommands (Act also registers when it draws a reopening of an area
// with nothing released, or a task in a province without deployment).
const nationalRegisterShare = 0.21

// Registrations returns n RegisterSuspectedArea commands (new areas).
func Registrations(cfg Config) []domain.CommandEnvelope {
	g := New(cfg)
	out := make([]domain.CommandEnvelope, 0, cfg.Commands)
	for len(out) < cfg.Commands {
		if env, ok := g.Register(); ok {
			out = append(out, env)
		}
	}
	return out
}

// Reductions returns one small ReduceArea per area, for areas registered by
// Registrations with the same seed (the "existing areas" workload).
func Reductions(cfg Config, seed uint64) []domain.CommandEnvelope {
	g := New(cfg)
	for i := 0; i < cfg.Commands; i++ {
		g.Register()
	}
	g.idSeed = events.NameID("synth-reduce", fmt.Sprint(seed))
	out := make([]domain.CommandEnvelope, 0, cfg.Commands)
	for _, ref := range g.areas {
		a := g.states[ref].(domain.Area)
		if env, ok := g.try(domain.ReduceArea{AreaID: ref.ID, On: g.date(a.LastOn), SizeM2: 1, Operator: "CMAC"}, "operator:CMAC"); ok {
			out = append(out, env)
		}
	}
	return out
}

// EachState calls fn with every aggregate the generator has written and its
// state after the commands generated so far (for tests that want the
// states of a realistic history without a store).
func (g *Generator) EachState(fn func(events.Ref, domain.State)) {
	for ref, s := range g.states {
		fn(ref, s)
	}
}
