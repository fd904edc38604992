package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
)

type faultKind uint8

const (
	faultCrash faultKind = iota + 1
	faultRestart
	faultPartition  // symmetric: groups cannot hear each other
	faultAsymmetric // one direction of one pair is cut
	faultHeal
	faultLeave
	faultBurst    // for durNs, every link also loses a share loss of frames
	faultBurstEnd // the burst is over
)

// fault is one step of a run's fault plan.
type fault struct {
	at     int64
	kind   faultKind
	node   int        // crash, restart, leave; asymmetric: from
	peer   int        // asymmetric: to
	groups [][]uint32 // partition
	durNs  int64      // burst
	loss   float64    // burst
}

func (f fault) String() string {
	switch f.kind {
	case faultCrash:
		return fmt.Sprintf("crash %d", f.node+1)
	case faultRestart:
		return fmt.Sprintf("restart %d", f.node+1)
	case faultLeave:
		return fmt.Sprintf("leave %d", f.node+1)
	case faultPartition:
		return fmt.Sprintf("partition %v", f.groups)
	case faultAsymmetric:
		return fmt.Sprintf("cut %d->%d", f.node+1, f.peer+1)
	case faultBurst:
		return fmt.Sprintf("burst of %.0f%% loss for %v", 100*f.loss, time.Duration(f.durNs))
	case faultBurstEnd:
		return "burst over"
	}
	return "heal"
}

// planFaults draws count faults over window from the seed. Nodes that are
// down are restarted, not crashed again; the last step heals everything and
// restarts every node still down, so that the run can end on one ring.
func (c *Cluster) planFaults(count int, window int64) []fault {
	down := make([]bool, len(c.nodes))
	var plan []fault
	for k := range count {
		at := window * int64(k+1) / int64(count+1)
		i := c.rng.IntN(len(c.nodes))
		f := fault{at: at, node: i}
		switch p := c.rng.IntN(100); {
		case down[i]:
			f.kind, down[i] = faultRestart, false
		case p < 25:
			f.kind, down[i] = faultCrash, true
		case p < 35:
			f.kind, down[i] = faultLeave, true
		case p < 60:
			f.kind, f.groups = faultPartition, c.randomGroups()
		case p < 70 && len(c.nodes) > 1:
			// a node always hears itself (a singleton's token goes to it)
			f.kind, f.peer = faultAsymmetric, (i+1+c.rng.IntN(len(c.nodes)-1))%len(c.nodes)
		case p < 80:
			f.kind, f.durNs, f.loss = faultBurst, 100e6+c.rng.Int64N(1900e6), 0.3+0.5*c.rng.Float64()
		default:
			f.kind = faultHeal
		}
		plan = append(plan, f)
	}
	plan = append(plan, fault{at: window, kind: faultHeal})
	for i, d := range down {
		if d {
			plan = append(plan, fault{at: window, kind: faultRestart, node: i})
		}
	}
	return plan
}

// randomGroups splits the nodes into two or three groups.
func (c *Cluster) randomGroups() [][]uint32 {
	groups := make([][]uint32, 2+c.rng.IntN(2))
	for _, nd := range c.nodes {
		g := c.rng.IntN(len(groups))
		groups[g] = append(groups[g], nd.id)
	}
	return groups
}

func (c *Cluster) scheduleFaults(plan []fault) {
	c.plan = plan
	for i, f := range plan {
		c.schedule(event{at: f.at, kind: evFault, buf: int32(i)})
	}
}

func (c *Cluster) applyFault(i int) {
	f := c.plan[i]
	if c.opt.Trace != nil {
		c.opt.Trace("t=%8.3fms fault: %s", float64(c.now)/1e6, f)
	}
	switch f.kind {
	case faultCrash:
		c.crash(c.nodes[f.node])
	case faultLeave:
		nd := c.nodes[f.node]
		if nd.up {
			nd.totem.Leave()
			c.process(nd)
			nd.up = false
			if c.rec != nil {
				c.rec.Leave(nd.id, c.now)
			}
		}
	case faultRestart:
		nd := c.nodes[f.node]
		if !nd.up {
			if c.rec != nil {
				c.rec.Restart(nd.id, c.now)
			}
			if err := c.boot(nd); err != nil {
				c.fail("restart of node %d: %v", nd.id, err)
				return
			}
			c.schedule(event{at: c.now + 1, kind: evSend, node: int32(nd.idx)})
		}
	case faultPartition:
		for a := range c.reach {
			for b := range c.reach[a] {
				c.reach[a][b] = sameGroup(f.groups, uint32(a+1), uint32(b+1))
			}
		}
		if c.rec != nil {
			c.rec.Partition(c.now, f.groups)
		}
	case faultAsymmetric:
		c.reach[f.node][f.peer] = false
		if c.rec != nil {
			c.rec.Cut(c.now, uint32(f.node+1), uint32(f.peer+1))
		}
	case faultBurst:
		c.burstLoss = f.loss
		c.schedule(event{at: c.now + f.durNs, kind: evFault, buf: int32(len(c.plan))})
		c.plan = append(c.plan, fault{kind: faultBurstEnd})
		if c.rec != nil {
			c.rec.Disturb(c.now)
		}
	case faultBurstEnd:
		c.burstLoss = 0
		if c.rec != nil {
			c.rec.Disturb(c.now)
		}
	case faultHeal:
		for a := range c.reach {
			for b := range c.reach[a] {
				c.reach[a][b] = true
			}
		}
		if c.rec != nil {
			c.rec.Heal(c.now)
		}
	}
}

func (c *Cluster) crash(nd *simNode) {
	if !nd.up {
		return
	}
	nd.up = false
	if c.rec != nil {
		c.rec.Crash(nd.id, c.now)
	}
}

func sameGroup(groups [][]uint32, a, b uint32) bool {
	for _, g := range groups {
		if slices.Contains(g, a) {
			return slices.Contains(g, b)
		}
	}
	return false
}

// reachGroups describes an asymmetric cut for the oracle as the groups of
// nodes that still reach each other both ways (a conservative view: the
// cut pair counts as separated).
func (c *Cluster) reachGroups() [][]uint32 {
	var groups [][]uint32
	placed := make([]bool, len(c.nodes))
	for i := range c.nodes {
		if placed[i] {
			continue
		}
		g := []uint32{uint32(i + 1)}
		placed[i] = true
		for j := i + 1; j < len(c.nodes); j++ {
			if !placed[j] && c.mutual(g, j) {
				g = append(g, uint32(j+1))
				placed[j] = true
			}
		}
		groups = append(groups, g)
	}
	return groups
}

func (c *Cluster) mutual(group []uint32, j int) bool {
	for _, id := range group {
		if !c.reach[id-1][j] || !c.reach[j][id-1] {
			return false
		}
	}
	return true
}

// converged: every node is up, operational, on one ring with every node,
// has sent its whole quota, delivered every message it sent in this life,
// and has nothing queued.
func (c *Cluster) converged() bool {
	ring := c.nodes[0].totem.RingID()
	for _, nd := range c.nodes {
		t := nd.totem
		if !nd.up || t.State() != totem.StateOperational || t.RingID() != ring || len(t.Members()) != len(c.nodes) ||
			nd.sent < nd.quota || nd.selfDelivered < nd.sentLife || t.Pending() > 0 || nd.sender.Pending() {
			return false
		}
	}
	return true
}

// RunFaults executes one seeded run of the membership protocol under
// faults: nodes start apart and form rings themselves; crashes, restarts,
// leaves, partitions (symmetric and not), heals, loss, duplication,
// reordering and clock skew happen while they send; then the network heals,
// every node comes back, and the run must converge on one ring with every
// message self-delivered. The oracle checks §4.3 (E1–E15), safe delivery
// and L1 over the whole run.
func RunFaults(opt Options) Result {
	opt.Record, opt.Membership = true, true
	if opt.SendGapNs == 0 && opt.Messages > 0 {
		// Spread each node's sends over the fault window.
		opt.Defaults()
		opt.SendGapNs = opt.FaultWindowNs * int64(opt.Nodes) / int64(opt.Messages) / 2
	}
	c, err := NewCluster(opt)
	if err != nil {
		return Result{Seed: opt.Seed, Nodes: opt.Nodes, Failures: []string{err.Error()}}
	}
	window := c.opt.FaultWindowNs
	c.scheduleFaults(c.planFaults(c.opt.Faults, window))
	if err := c.Start(); err != nil {
		return Result{Seed: opt.Seed, Nodes: opt.Nodes, Failures: []string{err.Error()}}
	}
	c.Send(c.opt.Messages)
	ok := c.runUntil(c.opt.LimitNs, func() bool { return c.now >= window && c.converged() })
	res := c.result()
	if !ok {
		res.Failures = append(res.Failures, fmt.Sprintf("L1/L4: no convergence on one ring with every message self-delivered by %.0f ms (%s)",
			float64(c.opt.LimitNs)/1e6, c.describe()))
	}
	bounds := c.bounds()
	res.Violations, res.Timed = oracle.CheckStats(c.rec.Logs(), oracle.Options{Drained: ok, Faults: c.rec.Faults(), Bounds: &bounds, EndNs: c.now})
	return res
}

// bounds are the oracle's L2–L4 time limits for this run: derived from the
// timers as the slowest skewed clock runs them. On lossy links a LEAVE may
// be lost by everyone, and the leaver is then detected as a crash.
func (c *Cluster) bounds() oracle.Bounds {
	stretch := func(ns int64) int64 { return int64(float64(ns) / (1 - c.opt.MaxSkew)) }
	t := c.opt.Timers
	b := oracle.BoundsFor(stretch(t.TokenNs), stretch(t.ConsensusNs), stretch(t.JoinNs), stretch(t.MergeNs), len(c.nodes))
	if c.opt.MaxLoss > 0 {
		// Loss costs aborted membership attempts (a lost commit token or
		// ORF token in RECOVERY waits out a token timeout): allow a
		// proportional share more.
		more := func(ns int64) int64 { return int64(float64(ns) * (1 + 2*c.opt.MaxLoss)) }
		b.CrashNs, b.MergeNs = more(b.CrashNs), more(b.MergeNs)
		b.LeaveNs = b.CrashNs
	}
	return b
}

func (c *Cluster) describe() string {
	s := ""
	for _, nd := range c.nodes {
		if !nd.up {
			s += fmt.Sprintf("node %d down; ", nd.id)
			continue
		}
		t := nd.totem
		s += fmt.Sprintf("node %d %s ring %s members %v sent %d/%d self %d/%d pending %d; ",
			nd.id, t.State(), t.RingID(), t.Members(), nd.sent, nd.quota, nd.selfDelivered, nd.sentLife, t.Pending())
	}
	return s
}
