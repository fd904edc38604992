package sim

import (
	"fmt"
	"github.com/gorosync/gorosync/services"
	"math/rand/v2"

	"github.com/gorosync/gorosync/dataplane/totem"
)

// LinkFaults describe one direction of one link.
type LinkFaults struct {
	Loss       float64 // probability a frame is dropped
	Duplicate  float64 // probability a frame arrives twice
	DelayMinNs int64   // one-way delay, uniform in [min, max]: jitter reorders
	DelayMaxNs int64
	// With probability Spike a frame is held back an extra SpikeNs: the
	// long tail of a real network, and heavy reordering.
	Spike   float64
	SpikeNs int64
}

// Options configure one run. Zero fields take the defaults of Defaults.
type Options struct {
	Seed  uint64
	Nodes int

	// Links[i][j] are the faults from node index i to node index j. When
	// nil, RandomLinks fills it from the seed with MaxLoss as the bound.
	Links   [][]LinkFaults
	MaxLoss float64

	Messages        int     // application messages to send, over all nodes
	MaxMessageBytes int     // sizes are drawn in [8+1, MaxMessageBytes]
	SafeFraction    float64 // share of messages sent with the SAFE guarantee
	// FixedMessageBytes, if set, makes every message this size (benchmarks).
	FixedMessageBytes int
	// SendGapNs is the mean gap between a node's sends; negative means
	// send back to back until the queue pushes back (benchmarks).
	SendGapNs int64

	Timers        totem.Timers
	NetMTU        int
	SortQueueSize int
	// FixedTokenRetransmit: resend lost tokens after the fixed
	// token_retransmit, as corosync, not after measured rotations.
	FixedTokenRetransmit bool
	// WindowSize and MaxMessages are totem's flow-control constants
	// (0: corosync's 50 and 17).
	WindowSize, MaxMessages uint32

	// Membership: nodes form their rings with the membership protocol
	// instead of starting on an agreed ring (RunFaults sets it).
	Membership bool
	// Faults is the number of random faults (crash, restart, partition,
	// asymmetric partition, heal, leave) RunFaults spreads over
	// FaultWindowNs; MaxSkew bounds each node's clock-rate error (0.05:
	// ±5%).
	Faults        int
	FaultWindowNs int64
	MaxSkew       float64

	// LimitNs bounds virtual time; a run that has not delivered every
	// message everywhere by then fails liveness.
	LimitNs int64
	// MaxEvents bounds the events one run may process (default 20 M).
	MaxEvents int
	// Record turns on the oracle log (off in benchmarks).
	Record bool
	// Services, if set, gives each incarnation of node id its service
	// engines (fresh state, as a restarted daemon has); they run on a
	// services.Host over the simulated ring.
	Services func(id uint32) []services.Engine
	// Trace, if set, receives one line per application delivery and
	// configuration change (the demo uses it).
	Trace func(format string, args ...any)
}

// Defaults fills the zero fields of o.
func (o *Options) Defaults() {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Messages == 0 {
		o.Messages = 200
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 4096
	}
	o.MaxMessageBytes = max(o.MaxMessageBytes, o.FixedMessageBytes)
	if o.SendGapNs == 0 {
		o.SendGapNs = 200_000
	}
	if o.NetMTU == 0 {
		o.NetMTU = totem.DefaultNetMTU
	}
	if o.SortQueueSize == 0 {
		o.SortQueueSize = 1024
	}
	if o.Timers == (totem.Timers{}) {
		o.Timers = SimTimers(o.Nodes)
	}
	if o.Membership && o.FaultWindowNs == 0 {
		o.FaultWindowNs = 20 * 1_000_000_000
	}
	if o.LimitNs == 0 {
		// Long enough to converge after the last fault, which comes at
		// the end of the fault window.
		o.LimitNs = 600*1_000_000_000 + o.FaultWindowNs
	}
	if o.MaxEvents == 0 {
		o.MaxEvents = 20_000_000
	}
}

// SimTimers are corosync's derivations from a 1000 ms token with 30
// retransmits before loss. With up to 20% loss per link, 31 lost copies of
// one token in a row (p ≈ 0.2^31) never happen, so a stable ring stays
// stable; corosync's default of 4 would lose the token every few thousand
// hops at that loss rate, which is the membership protocol's test, not
// this one's.
func SimTimers(nodes int) totem.Timers { return totem.TimersFor(SimTimerParams(nodes)) }

// SimTimerParams are the inputs of SimTimers, for scenarios that vary them.
func SimTimerParams(nodes int) totem.TimerParams {
	p := totem.DefaultTimerParams(nodes)
	p.TokenMs = 1000
	p.TokenRetransmitsBeforeLossConst = 30
	return p
}

// RandomLinks draws per-link faults from the seed: loss up to maxLoss,
// duplication up to 5%, delays from 20 µs to 2 ms with jitter, and on
// some links up to 2% of frames delayed by a further 5 to 30 ms.
func RandomLinks(r *rand.Rand, nodes int, maxLoss float64) [][]LinkFaults {
	links := make([][]LinkFaults, nodes)
	for i := range links {
		links[i] = make([]LinkFaults, nodes)
		for j := range links[i] {
			minNs := 20_000 + r.Int64N(200_000)
			links[i][j] = LinkFaults{
				Loss:       r.Float64() * maxLoss,
				Duplicate:  r.Float64() * 0.05,
				DelayMinNs: minNs,
				DelayMaxNs: minNs + r.Int64N(1_800_000),
			}
			if r.IntN(4) == 0 {
				links[i][j].Spike = r.Float64() * 0.02
				links[i][j].SpikeNs = 5_000_000 + r.Int64N(25_000_000)
			}
		}
	}
	return links
}

func (o *Options) validate() error {
	switch {
	case o.Nodes < 1 || o.Nodes > 16:
		return fmt.Errorf("sim: %d nodes (want 1..16)", o.Nodes)
	case o.FixedMessageBytes != 0 && o.FixedMessageBytes < msgHeaderSize:
		return fmt.Errorf("sim: fixed message size %d below %d", o.FixedMessageBytes, msgHeaderSize)
	case o.MaxMessageBytes < msgHeaderSize || o.MaxMessageBytes > 1<<20-64:
		return fmt.Errorf("sim: max message size %d", o.MaxMessageBytes)
	case o.Links != nil && len(o.Links) != o.Nodes:
		return fmt.Errorf("sim: links for %d nodes, want %d", len(o.Links), o.Nodes)
	}
	return nil
}

// quietLinks is a lossless network with delays in [minNs, maxNs].
func quietLinks(n int, minNs, maxNs int64) [][]LinkFaults {
	links := make([][]LinkFaults, n)
	for i := range links {
		links[i] = make([]LinkFaults, n)
		for j := range links[i] {
			links[i][j] = LinkFaults{DelayMinNs: minNs, DelayMaxNs: maxNs}
		}
	}
	return links
}
