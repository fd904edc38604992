package totem

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// Timers are the SRP timeouts in nanoseconds. Use TimersFor to derive them
// the way corosync 3.1.7 does from the token timeout and the node count.
type Timers struct {
	TokenNs           int64 // token-loss timeout (effective token)
	TokenRetransmitNs int64 // resend the last token if no new one arrives
	HoldNs            int64 // representative keeps an idle token this long
	JoinNs            int64 // JOIN resend period while gathering
	ConsensusNs       int64 // consensus timeout
	MergeNs           int64 // idle merge-detect period
	// HeartbeatNs, when not 0, declares the token lost that long after
	// this node forwarded it without the ring coming back (corosync's
	// heartbeat_failures_allowed; off by default).
	HeartbeatNs int64
	// SendJoinNs, when not 0, delays each JOIN by a random time below it
	// (corosync's send_join, for large rings; off by default). The random
	// draw comes from Config.Jitter.
	SendJoinNs int64
}

// TimerParams are the corosync.conf totem{} inputs of the timer derivation.
type TimerParams struct {
	TokenMs                         int64 // totem.token, default 3000
	TokenCoefficientMs              int64 // totem.token_coefficient, default 650
	TokenRetransmitsBeforeLossConst int64 // default 4
	JoinMs                          int64 // default 50
	MergeMs                         int64 // default 200
	Nodes                           int   // nodes in the nodelist
	HeartbeatFailuresAllowed        int64 // default 0: no heartbeat
	MaxNetworkDelayMs               int64 // default 50
	SendJoinMs                      int64 // default 0
	// Explicitly configured values (0: derive them). A configured
	// token_retransmit also moves the derived hold and heartbeat.
	TokenRetransmitMs, HoldMs, ConsensusMs int64
}

// DefaultTimerParams returns corosync 3.1.7's defaults for a cluster of n nodes.
func DefaultTimerParams(nodes int) TimerParams {
	return TimerParams{
		TokenMs:                         3000,
		TokenCoefficientMs:              650,
		TokenRetransmitsBeforeLossConst: 4,
		JoinMs:                          50,
		MergeMs:                         200,
		Nodes:                           nodes,
		MaxNetworkDelayMs:               50,
	}
}

// TimersFor derives the timeouts as corosync's totemconfig does: the token
// grows by the coefficient per node above two, and retransmit, hold and
// consensus follow from the effective token (spec §3.13).
func TimersFor(p TimerParams) Timers {
	tokenMs := p.TokenMs
	if p.Nodes >= 3 {
		tokenMs += int64(p.Nodes-2) * p.TokenCoefficientMs
	}
	retransmitMs := int64(float64(tokenMs) / (float64(p.TokenRetransmitsBeforeLossConst) + 0.2))
	if p.TokenRetransmitMs > 0 {
		retransmitMs = p.TokenRetransmitMs
	}
	holdMs := int64(float64(retransmitMs)*0.8 - 10)
	if p.HoldMs > 0 {
		holdMs = p.HoldMs
	}
	consensusMs := int64(1.2 * float64(tokenMs))
	if p.ConsensusMs > 0 {
		consensusMs = p.ConsensusMs
	}
	const ms = int64(1_000_000)
	t := Timers{
		TokenNs:           tokenMs * ms,
		TokenRetransmitNs: retransmitMs * ms,
		HoldNs:            holdMs * ms,
		JoinNs:            p.JoinMs * ms,
		ConsensusNs:       consensusMs * ms,
		MergeNs:           p.MergeMs * ms,
		SendJoinNs:        p.SendJoinMs * ms,
	}
	// The heartbeat only runs when it can fire before the token timeout
	// would (spec §3.11).
	if hb := p.HeartbeatFailuresAllowed*retransmitMs + p.MaxNetworkDelayMs; p.HeartbeatFailuresAllowed > 0 && hb < tokenMs {
		t.HeartbeatNs = hb * ms
	}
	return t
}

// Hooks let the layer above act at the moments corosync gives its token
// callbacks. They run synchronously inside Step and may call Submit.
type Hooks interface {
	// TokenReceived runs when a valid token of the current ring arrives,
	// before this node broadcasts: totempg flushes its packing buffer here.
	TokenReceived()
	// TokenSent runs after the token was forwarded and this visit's
	// deliveries were made: the sync engine does its per-rotation work here.
	TokenSent()
}

// Config configures one Node. Zero fields take corosync 3.1.7's defaults.
type Config struct {
	NodeID uint32
	// Ring and Members, if set, give a ring the node starts in without
	// running membership: every node is configured with the same ring and
	// members (benchmarks and ordering tests use this). Left empty, the
	// node forms rings with whoever it hears, through the membership
	// protocol, starting from the ring sequence number in Store.
	Ring    wire.RingID
	Members []uint32
	// Store persists the ring sequence number (nil: in memory, lost when
	// the Node is).
	Store RingStore

	Timers Timers

	WindowSize                  uint32 // messages per rotation, all nodes (50)
	MaxMessages                 uint32 // messages per visit, one node (17)
	MissCountConst              uint32 // visits before a gap is requested (5)
	FailRecvConst               uint32 // receive-failure detector (2500)
	SeqnoUnchangedConst         uint32 // idle visits before token hold (30)
	CancelTokenHoldOnRetransmit bool
	// FixedTokenRetransmit resends a lost token only after the fixed
	// token_retransmit, as corosync does, instead of after a few measured
	// rotations (retransmit.go).
	FixedTokenRetransmit bool

	NetMTU            int // largest frame on the wire (1500)
	SortQueueSize     int // receive window in messages, a power of two (16384)
	SendQueueCapacity int // pending submissions (4 MiB / NetMTU)

	Hooks Hooks
	// Jitter(n) returns a random value in [0, n): the daemon passes a real
	// random source, the simulator its seeded one. Needed only with
	// Timers.SendJoinNs.
	Jitter func(n int64) int64
	// Observer, if set, is told of every message this node comes to hold
	// (received, broadcast, or recovered). Tests and the simulator use it
	// to judge safe delivery; the daemon leaves it nil.
	Observer Observer
}

// Observer watches which messages a node holds.
type Observer interface {
	// Held: the node holds message seq of ring (for a message re-broadcast
	// in RECOVERY, the ring and seq it was first ordered in).
	Held(ring wire.RingID, seq uint32)
}

// Protocol constants of corosync 3.1.7 (spec §15).
const (
	DefaultWindowSize          = 50
	DefaultMaxMessages         = 17
	DefaultMissCountConst      = 5
	DefaultFailRecvConst       = 2500
	DefaultSeqnoUnchangedConst = 30
	DefaultNetMTU              = 1500
	DefaultSortQueueSize       = 16384
	messageQueueBytes          = 4 << 20
	rtrListMax                 = wire.MaxRTREntries
)

// MaxPayload is the largest payload one Submit accepts for a given MTU: the
// frame must still fit once recovery wraps it in a second mcast header.
func MaxPayload(netMTU int) int { return netMTU - 2*wire.McastSize }

func (c *Config) applyDefaults() {
	if c.WindowSize == 0 {
		c.WindowSize = DefaultWindowSize
	}
	if c.MaxMessages == 0 {
		c.MaxMessages = DefaultMaxMessages
	}
	if c.MissCountConst == 0 {
		c.MissCountConst = DefaultMissCountConst
	}
	if c.FailRecvConst == 0 {
		c.FailRecvConst = DefaultFailRecvConst
	}
	if c.SeqnoUnchangedConst == 0 {
		c.SeqnoUnchangedConst = DefaultSeqnoUnchangedConst
	}
	if c.NetMTU == 0 {
		c.NetMTU = DefaultNetMTU
	}
	if c.SortQueueSize == 0 {
		c.SortQueueSize = DefaultSortQueueSize
	}
	if c.SendQueueCapacity == 0 {
		// corosync divides by the MTU already reduced for two mcast headers.
		c.SendQueueCapacity = messageQueueBytes / MaxPayload(c.NetMTU)
	}
	if c.Timers == (Timers{}) {
		c.Timers = TimersFor(DefaultTimerParams(max(len(c.Members), 2)))
	}
	if c.Store == nil {
		c.Store = &MemoryStore{}
	}
}

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("totem: invalid config")

func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
	}
	switch {
	case c.NodeID == 0:
		return bad("node id 0 is reserved")
	case len(c.Members) > wire.MaxNodes:
		return bad("%d members (want at most %d)", len(c.Members), wire.MaxNodes)
	case !slices.IsSorted(c.Members) || len(slices.Compact(slices.Clone(c.Members))) != len(c.Members):
		return bad("members must be sorted ascending without duplicates")
	case len(c.Members) > 0 && !slices.Contains(c.Members, c.NodeID):
		return bad("node %d is not among the members", c.NodeID)
	case len(c.Members) > 0 && c.Ring.Rep != c.Members[0]:
		return bad("ring representative %d is not the lowest member %d", c.Ring.Rep, c.Members[0])
	case c.SortQueueSize&(c.SortQueueSize-1) != 0 || c.SortQueueSize < 2*int(c.WindowSize):
		return bad("sort queue size %d must be a power of two ≥ 2×window_size", c.SortQueueSize)
	case c.MaxMessages > c.WindowSize:
		return bad("max_messages %d > window_size %d", c.MaxMessages, c.WindowSize)
	case MaxPayload(c.NetMTU) < 64:
		return bad("netmtu %d too small", c.NetMTU)
	case c.Timers.TokenNs <= 0 || c.Timers.TokenRetransmitNs <= 0 || c.Timers.HoldNs <= 0 ||
		c.Timers.JoinNs <= 0 || c.Timers.ConsensusNs <= 0 || c.Timers.MergeNs <= 0:
		return bad("every timer must be positive")
	case c.Timers.SendJoinNs > 0 && c.Jitter == nil:
		return bad("send_join needs a Jitter source")
	case c.SendQueueCapacity < 1:
		return bad("send queue capacity %d", c.SendQueueCapacity)
	}
	return nil
}
