package suite

import (
	"errors"
	"fmt"
	"slices"
)

// The scenarios, by the names -scenarios takes.
const (
	ScenarioThroughput = "throughput"
	ScenarioLatency    = "latency"
	ScenarioFailover   = "failover"
	ScenarioIPC        = "ipc"
	ScenarioGC         = "gc"
	ScenarioLoss       = "loss"
)

// Scenarios lists every scenario in the order Run measures them.
var Scenarios = []string{ScenarioThroughput, ScenarioLatency, ScenarioIPC, ScenarioLoss, ScenarioGC, ScenarioFailover}

// Options is what one run of the suite measures.
type Options struct {
	Scenarios []string `json:"scenarios"`
	Daemons   []Daemon `json:"daemons"`
	Repeat    int      `json:"repeat"` // runs per point: the report gives the median and range

	// Throughput: cluster sizes, message sizes and sender sets, each
	// point timed for Seconds after the first own delivery. Latency, IPC
	// and loss run on 3 nodes (IPC on 1).
	Nodes   []int     `json:"nodes"`
	Sizes   []int     `json:"sizes"`
	Senders []Senders `json:"senders"`
	Seconds float64   `json:"seconds"`
	// InFlight bounds each throughput client's own messages sent and not
	// yet delivered back (cpgbench -f); 0 leaves only the daemon's flow
	// control. See BENCHMARKS.md for why the suite sets it.
	InFlight int `json:"in_flight"`

	// Latency: LatCount messages of LatSize bytes paced at LatRate/s, and
	// PingCount messages one at a time.
	LatSize   int `json:"lat_size"`
	LatCount  int `json:"lat_count"`
	LatRate   int `json:"lat_rate"`
	PingCount int `json:"ping_count"`

	// Failover: token settings, and kills per setting: Trials with the
	// default token (~8 s a kill), TunedTrials with a tuned one (~1 s a
	// kill, and 0 in results from before it existed: Trials). Both
	// daemons' kill → ring times scatter over a few ms around the same
	// value, so a short token gets enough kills for its median to mean
	// something.
	Failover    []Totem `json:"failover"`
	Trials      int     `json:"trials"`
	TunedTrials int     `json:"tuned_trials,omitempty"`

	IPCSeconds float64 `json:"ipc_seconds"` // per IPC rate

	// GC: gorosync throughput runs of each GCSizes for GCSeconds.
	GCSeconds float64 `json:"gc_seconds"`
	GCSizes   []int   `json:"gc_sizes"`

	// Loss: LossSize messages with LossPercent random loss on every
	// node's output, for LossSeconds.
	LossSize    int     `json:"loss_size"`
	LossPercent int     `json:"loss_percent"`
	LossSeconds float64 `json:"loss_seconds"`

	// GorosyncConf is appended to gorosync's corosync.conf only (e.g.
	// "dataplane {\n idle: spin\n}"), to measure gorosync's own tuning;
	// the report says so when it is set.
	GorosyncConf string `json:"gorosync_conf,omitempty"`
}

// DefaultInFlight is the suite's default bound on a throughput client's
// messages in flight.
const DefaultInFlight = 2048

// DefaultOptions is the full suite, sized to stay under about 15 minutes
// on a 2-core machine.
func DefaultOptions() Options {
	return Options{
		Scenarios: slices.Clone(Scenarios),
		Daemons:   []Daemon{Gorosync, Corosync},
		Repeat:    3,
		Nodes:     []int{3, 5},
		Sizes:     []int{64, 1024, 16 << 10, 64 << 10},
		Senders:   []Senders{OneSender, AllSenders},
		Seconds:   2,
		InFlight:  DefaultInFlight,
		LatSize:   64, LatCount: 3000, LatRate: 1000, PingCount: 3000,
		Failover:    []Totem{{}, {TokenMs: 300}},
		Trials:      3,
		TunedTrials: 15,
		IPCSeconds:  2,
		GCSeconds:   30, GCSizes: []int{64, 64 << 10},
		LossSize: 1024, LossPercent: 10, LossSeconds: 4,
	}
}

// TrialsFor is the number of kills with token setting t.
func (o Options) TrialsFor(t Totem) int {
	if t.TokenMs != 0 && o.TunedTrials > 0 {
		return o.TunedTrials
	}
	return o.Trials
}

// Has reports whether scenario s is selected.
func (o Options) Has(s string) bool { return slices.Contains(o.Scenarios, s) }

// Check validates the options.
func (o Options) Check() error {
	var errs []error
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			errs = append(errs, fmt.Errorf("unknown scenario %q (want some of %v)", s, Scenarios))
		}
	}
	if len(o.Daemons) == 0 {
		errs = append(errs, errors.New("no daemon to measure"))
	}
	if o.Repeat < 1 || o.Repeat > 100 {
		errs = append(errs, fmt.Errorf("repeat %d: want 1..100", o.Repeat))
	}
	for _, n := range o.Nodes {
		if n < 2 || n > 16 {
			errs = append(errs, fmt.Errorf("nodes %d: want 2..16", n))
		}
	}
	for _, s := range o.Sizes {
		if s < 24 || s > 1<<20 {
			errs = append(errs, fmt.Errorf("size %d: want 24 B (the client's header) .. 1 MiB", s))
		}
	}
	if o.Has(ScenarioThroughput) && (len(o.Nodes) == 0 || len(o.Sizes) == 0 || len(o.Senders) == 0 || o.Seconds <= 0) {
		errs = append(errs, errors.New("throughput needs nodes, sizes, senders and seconds"))
	}
	if o.Has(ScenarioLatency) && (o.LatSize < 24 || o.LatCount < 1 || o.LatRate < 1 || o.PingCount < 1) {
		errs = append(errs, errors.New("latency needs a size ≥ 24 B, counts and a rate"))
	}
	if o.Has(ScenarioFailover) && (len(o.Failover) == 0 || o.Trials < 1 || o.TunedTrials < 0) {
		errs = append(errs, errors.New("failover needs token settings and trials"))
	}
	if o.Has(ScenarioIPC) && o.IPCSeconds <= 0 {
		errs = append(errs, errors.New("ipc needs seconds"))
	}
	if o.Has(ScenarioGC) && (o.GCSeconds <= 0 || len(o.GCSizes) == 0 || slices.Min(o.GCSizes) < 24) {
		errs = append(errs, errors.New("gc needs seconds and sizes ≥ 24 B"))
	}
	if o.Has(ScenarioLoss) && (o.LossSize < 24 || o.LossPercent < 1 || o.LossPercent > 99 || o.LossSeconds <= 0) {
		errs = append(errs, errors.New("loss needs a size ≥ 24 B, a percent in 1..99 and seconds"))
	}
	return errors.Join(errs...)
}

// steps counts the measurements Run makes, for progress.
func (o Options) steps() int {
	d := len(o.Daemons)
	n := 0
	if o.Has(ScenarioThroughput) {
		n += o.Repeat * len(o.Nodes) * d * len(o.Sizes) * len(o.Senders)
	}
	if o.Has(ScenarioLatency) {
		n += o.Repeat * d * 2
	}
	if o.Has(ScenarioIPC) {
		n += o.Repeat * d * len(ipcOps())
	}
	if o.Has(ScenarioLoss) {
		n += o.Repeat * d
	}
	if o.Has(ScenarioGC) && slices.Contains(o.Daemons, Gorosync) {
		n += len(o.GCSizes)
	}
	if o.Has(ScenarioFailover) {
		for _, t := range o.Failover {
			n += d * o.TrialsFor(t)
		}
	}
	return n
}
