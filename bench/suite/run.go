package suite

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Run measures everything o selects and returns the results, including
// those of a run cut short by ctx (with ctx's error). A measurement that
// fails is recorded in Results.Failures and the run goes on.
func (e *Env) Run(ctx context.Context, o Options, machine string) (*Results, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	r := &Results{Machine: machine, Started: time.Now().UTC(), Options: o, LoadStart: loadAvg()}
	e.gorosyncConf = o.GorosyncConf
	e.Progress.begin(o.steps())
	for rep := 1; rep <= o.Repeat; rep++ {
		// Alternate which daemon goes first, so neither always meets the
		// machine straight after the other's teardown.
		ds := slices.Clone(o.Daemons)
		if rep%2 == 0 {
			slices.Reverse(ds)
		}
		if o.Has(ScenarioThroughput) {
			for _, nodes := range o.Nodes {
				for _, d := range ds {
					e.throughput(ctx, r, d, nodes, rep)
				}
			}
		}
		if o.Has(ScenarioLatency) {
			for _, d := range ds {
				e.latency(ctx, r, d, rep)
			}
		}
		if o.Has(ScenarioIPC) {
			for _, d := range ds {
				e.ipc(ctx, r, d, rep)
			}
		}
		if o.Has(ScenarioLoss) {
			for _, d := range ds {
				e.loss(ctx, r, d, rep)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if o.Has(ScenarioGC) && slices.Contains(o.Daemons, Gorosync) && ctx.Err() == nil {
		e.gc(ctx, r)
	}
	if o.Has(ScenarioFailover) && ctx.Err() == nil {
		for _, t := range o.Failover {
			for _, d := range o.Daemons {
				e.failover(ctx, r, d, t)
			}
		}
	}
	r.Finished = time.Now().UTC()
	r.LoadEnd = loadAvg()
	return r, ctx.Err()
}

// fail records a failed measurement and prints it.
func (e *Env) fail(r *Results, d Daemon, what string, err error) {
	r.Failures = append(r.Failures, Failure{Daemon: d, What: what, Err: err.Error()})
	e.Progress.note("FAILED %s %s: %v", d.Label(), what, err)
}

// skip counts n steps that will not be measured after a failure.
func (e *Env) skip(n int, d Daemon, what string) {
	for range n {
		e.Progress.step("%s %s: skipped", d.Label(), what)
	}
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}
