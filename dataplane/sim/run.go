package sim

import (
	"fmt"
	"strings"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
)

// Result is the outcome of one seeded run.
type Result struct {
	Seed       uint64
	Nodes      int
	Sent       int
	Delivered  []int // application messages delivered, per node
	VirtualNs  int64
	TrafficNs  int64 // RunFormed: virtual time from the first send to the last delivery
	Stats      []totem.Stats
	Failures   []string // liveness, integrity and harness failures
	Violations []oracle.Violation
	Timed      oracle.Stats // RunFaults: L2–L4 instances checked and skipped
	Replay     string       // the command that replays this run, set by whoever chose the scenario
}

// OK reports whether the run upheld every checked property.
func (r *Result) OK() bool { return len(r.Failures) == 0 && len(r.Violations) == 0 }

// String summarises a failed run so that it can be replayed from its seed.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d (%d nodes): sent %d, delivered %v, virtual %.1f ms",
		r.Seed, r.Nodes, r.Sent, r.Delivered, float64(r.VirtualNs)/1e6)
	for _, f := range r.Failures {
		b.WriteString("\n  ")
		b.WriteString(f)
	}
	for i, v := range r.Violations {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … %d more violations", len(r.Violations)-i)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(v.String())
	}
	if r.Replay != "" {
		fmt.Fprintf(&b, "\n  replay: %s", r.Replay)
	}
	return b.String()
}

// Run executes one seeded run on a stable ring, with the oracle on: start,
// send opt.Messages, drain, check every EVS invariant that applies to a
// stable ring, safe delivery, self-delivery (L1) and stability (L5).
func Run(opt Options) Result {
	opt.Record = true
	c, err := NewCluster(opt)
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		return Result{Seed: opt.Seed, Nodes: opt.Nodes, Failures: []string{err.Error()}}
	}
	c.Send(c.opt.Messages)
	drainErr := c.Drain()
	res := c.result()
	if drainErr != nil {
		res.Failures = append(res.Failures, "L1: "+drainErr.Error())
	}
	res.Violations = oracle.Check(c.rec.Logs(), oracle.Options{StableRing: true, Drained: drainErr == nil})
	return res
}

func (c *Cluster) result() Result {
	res := Result{Seed: c.opt.Seed, Nodes: c.opt.Nodes, Sent: c.sentTotal, VirtualNs: c.now}
	res.Failures = append(res.Failures, c.failures...)
	for _, nd := range c.nodes {
		res.Delivered = append(res.Delivered, nd.delivered)
		st := nd.totem.Stats()
		res.Stats = append(res.Stats, st)
		if !c.opt.Membership && (st.TokenLosses > 0 || st.FailedToReceive > 0 || nd.totem.State() != totem.StateOperational) {
			res.Failures = append(res.Failures, fmt.Sprintf("L5: node %d left the ring (token losses %d, failed to receive %d, state %s)",
				nd.id, st.TokenLosses, st.FailedToReceive, nd.totem.State()))
		}
	}
	return res
}

// Now is the cluster's virtual time in nanoseconds.
func (c *Cluster) Now() int64 { return c.now }

// Stats returns each node's totem counters.
func (c *Cluster) Stats() []totem.Stats {
	out := make([]totem.Stats, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = nd.totem.Stats()
	}
	return out
}

// Delivered returns each node's count of delivered application messages.
func (c *Cluster) Delivered() []int {
	out := make([]int, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = nd.delivered
	}
	return out
}

// RunFormed starts the nodes apart, lets the membership protocol form one
// ring, then sends opt.Messages and drains: the demo's run. The oracle
// checks E1–E15, safe delivery and L1 over all of it.
func RunFormed(opt Options) Result {
	opt.Record, opt.Membership = true, true
	c, err := NewCluster(opt)
	if err == nil {
		err = c.Start()
	}
	if err != nil {
		return Result{Seed: opt.Seed, Nodes: opt.Nodes, Failures: []string{err.Error()}}
	}
	formed := c.runUntil(c.opt.LimitNs, c.converged)
	var drainErr error
	var trafficStart int64
	if formed {
		trafficStart = c.now
		c.Send(c.opt.Messages)
		drainErr = c.Drain()
	}
	res := c.result()
	res.TrafficNs = c.now - trafficStart
	if !formed {
		res.Failures = append(res.Failures, "the nodes never formed one ring: "+c.describe())
	}
	if drainErr != nil {
		res.Failures = append(res.Failures, "L1: "+drainErr.Error())
	}
	res.Violations = oracle.Check(c.rec.Logs(), oracle.Options{Drained: formed && drainErr == nil})
	return res
}
