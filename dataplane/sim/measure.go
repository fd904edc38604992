package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
)

// Timing summarises one measurement over several seeds, in virtual time.
type Timing struct {
	Median, Min, Max time.Duration
	Runs             int
}

func (t Timing) String() string {
	return fmt.Sprintf("%v (%v–%v, %d runs)", t.Median.Round(time.Millisecond), t.Min.Round(time.Millisecond), t.Max.Round(time.Millisecond), t.Runs)
}

func summarise(ds []time.Duration) Timing {
	slices.Sort(ds)
	return Timing{Median: ds[len(ds)/2], Min: ds[0], Max: ds[len(ds)-1], Runs: len(ds)}
}

// measureCluster is a quiet network (50–150 µs, no loss) of nodes that form
// their ring through membership with the given timers.
func measureCluster(seed uint64, nodes int, timers totem.Timers) (*Cluster, error) {
	links := quietLinks(nodes, 50_000, 150_000)
	c, err := NewCluster(Options{Seed: seed, Nodes: nodes, Links: links, Membership: true, Record: true, Timers: timers, Messages: 1})
	if err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	if !c.runUntil(c.now+600e9, c.stable) {
		return nil, errors.New("the ring never formed")
	}
	return c, nil
}

// MeasureCrash is the time from a silent crash of one node of a stable,
// idle ring to the installation of the new ring on every survivor: token
// loss, the consensus timeout, and a membership round (spec §4.4 L2).
func MeasureCrash(nodes int, timers totem.Timers, seeds int) (Timing, error) {
	var ds []time.Duration
	for seed := range uint64(seeds) {
		c, err := measureCluster(seed+1, nodes, timers)
		if err != nil {
			return Timing{}, err
		}
		c.Idle(c.rng.Int64N(timers.TokenNs)) // crash at a random phase of the token
		victim := c.nodes[len(c.nodes)/2]
		c.crash(victim)
		start := c.now
		if !c.runUntil(start+600e9, c.stable) {
			return Timing{}, fmt.Errorf("seed %d: survivors did not re-form", seed+1)
		}
		ds = append(ds, time.Duration(c.now-start))
	}
	return summarise(ds), nil
}

// MeasureMerge is the time from healing a partition of an idle cluster
// (two halves, each on its own ring) to one ring of every node (L4).
func MeasureMerge(nodes int, timers totem.Timers, seeds int) (Timing, error) {
	var ds []time.Duration
	for seed := range uint64(seeds) {
		c, err := measureCluster(seed+1, nodes, timers)
		if err != nil {
			return Timing{}, err
		}
		var a, b []uint32
		for _, nd := range c.nodes {
			if int(nd.id) <= nodes/2 {
				a = append(a, nd.id)
			} else {
				b = append(b, nd.id)
			}
		}
		c.applyOne(fault{kind: faultPartition, groups: [][]uint32{a, b}})
		if !c.runUntil(c.now+600e9, c.stable) {
			return Timing{}, fmt.Errorf("seed %d: halves did not form", seed+1)
		}
		c.Idle(c.rng.Int64N(timers.TokenNs))
		c.applyOne(fault{kind: faultHeal})
		start := c.now
		if !c.runUntil(start+600e9, c.stable) {
			return Timing{}, fmt.Errorf("seed %d: no merge", seed+1)
		}
		ds = append(ds, time.Duration(c.now-start))
	}
	return summarise(ds), nil
}

// MeasureThroughput is the virtual-time throughput of a 3-node agreed ring
// whose every link loses the given share of frames, with senders running
// back to back: messages per second delivered everywhere, and the number of
// retransmissions it took.
func MeasureThroughput(loss float64, timers totem.Timers, fixed bool, size, messages int) (msgsPerSec float64, retransmits uint64, err error) {
	links := quietLinks(3, 50_000, 50_000)
	for i := range links {
		for j := range links[i] {
			links[i][j].Loss = loss
		}
	}
	c, err := NewCluster(Options{Seed: 1, Nodes: 3, Links: links, FixedMessageBytes: size, SendGapNs: -1, Timers: timers, FixedTokenRetransmit: fixed, SortQueueSize: totem.DefaultSortQueueSize})
	if err != nil {
		return 0, 0, err
	}
	if err := c.Start(); err != nil {
		return 0, 0, err
	}
	// Warm up first: the ring's first token may be lost, and before any
	// rotation was seen a lost token waits out token_retransmit.
	c.Send(100)
	if err := c.Drain(); err != nil {
		return 0, 0, err
	}
	before := c.Stats()
	start := c.now
	c.Send(messages)
	if err := c.Drain(); err != nil {
		return 0, 0, err
	}
	for i, s := range c.Stats() {
		retransmits += s.McastRetx - before[i].McastRetx
	}
	return float64(messages) / (float64(c.now-start) / 1e9), retransmits, nil
}
