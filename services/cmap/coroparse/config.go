package coroparse

import (
	"net/netip"

	"github.com/gorosync/gorosync/dataplane/totem"
)

// Config is one corosync.conf, read and checked.
type Config struct {
	File string
	// Keys holds every key as cmap holds it after corosync 3.1.7 read the
	// file: the file's keys (typed as coroparse types them), the ones
	// totemconfig adds (runtime.config.totem.*, generated node ids, and for
	// transport udp the multicast address and port), and after SetLocal the
	// local-node keys (nodelist.local_node_pos, totem.interface.L.bindnetaddr).
	Keys map[string]Value
	// Lines gives the line each key of the file came from; keys the loader
	// derived are absent.
	Lines map[string]int

	Totem     Totem
	Nodes     []Node // nodelist{} in file order: Nodes[i] is nodelist.node.i
	Quorum    Quorum
	Logging   Logging
	System    System
	Dataplane Dataplane

	// Local is the index in Nodes of this node once SetLocal was called,
	// -1 before.
	Local int

	Warnings []Warning
}

// Totem is the totem{} section with corosync's defaults and derivations
// applied: the values totemconfig hands totemsrp.
type Totem struct {
	Version     uint32
	ClusterName string
	Transport   string // udpu, udp or knet (the default)
	IPVersion   string // ipv4, ipv6, ipv4-6 or ipv6-4 (default ipv4 for udp, ipv6-4 otherwise)
	// NodeID is totem.nodeid (0 when unset). corosync 3 ignores it; we use
	// it, like the daemon's -n flag, to name the local node (LocalNode).
	NodeID           uint32
	ClearNodeHighBit bool
	ConfigVersion    uint64
	LinkMode         string // active, passive (default) or rr

	// Params are the inputs of the timer derivation, defaults applied;
	// Params.Nodes is the number of nodes with a ring0_addr.
	Params totem.TimerParams
	// Timers are the timeouts in use: totem.TimersFor(Params) with any
	// explicitly configured token_retransmit, hold and consensus applied.
	Timers totem.Timers

	// Effective values in ms, as published in runtime.config.totem.*.
	TokenMs, TokenRetransmitMs, HoldMs, JoinMs, SendJoinMs, ConsensusMs uint32
	MergeMs, DowncheckMs, MaxNetworkDelayMs                             uint32
	TokenWarning                                                        uint32 // percent of the token timeout; 0 disables
	TokenRetransmitsBeforeLossConst                                     uint32
	FailRecvConst, SeqnoUnchangedConst, MissCountConst                  uint32
	HeartbeatFailuresAllowed                                            uint32
	WindowSize, MaxMessages                                             uint32
	NetMTU                                                              uint32 // 1500 for udp/udpu, 65536 for knet unless set
	BlockUnlistedIPs, CancelTokenHoldOnRetransmit                       bool

	CryptoCipher, CryptoHash string // none unless set
	CryptoModel              string // nss unless set
	// Keyfile is where the cluster key is read from when crypto is on and
	// the key is not given inline in totem.key (default /etc/corosync/authkey).
	Keyfile string
	Key     string // totem.key, inline

	KnetPMTUDInterval, KnetMTU, KnetCompressionThreshold uint32
	KnetCompressionLevel                                 int32
	KnetCompressionModel                                 string

	Broadcast  bool        // some interface{} has broadcast: yes (udp)
	Interfaces []Interface // configured links, ascending
}

// Interface is one configured link (an interface{} section, a ringX_addr of
// the nodelist, or both).
type Interface struct {
	Link        int
	Bindnetaddr string // the interface section's, or the local node's after SetLocal
	Mcastaddr   string // udp: configured or derived from cluster_name
	Mcastport   uint16 // 5405 + link (5405 + 2×link with broadcast) unless set
	TTL         uint8
	// knet link settings (corosync's defaults: priority 1, ping interval
	// token/(2×pong_count), timeout token/pong_count, precision 2048,
	// pong_count 2, transport udp).
	KnetLinkPriority  uint8
	KnetPingInterval  uint32
	KnetPingTimeout   uint32
	KnetPingPrecision uint32
	KnetPongCount     uint32
	KnetTransport     string
	Members           []string // legacy member{} addresses, as numbered in cmap
}

// Node is one nodelist node{}.
type Node struct {
	NodeID uint32
	Name   string
	Addrs  [maxLinks]string     // ringX_addr as written
	IPs    [maxLinks]netip.Addr // ringX_addr resolved (invalid where unset)
	// QuorumVotes is nodelist.node.N.quorum_votes (default 1).
	QuorumVotes uint32
	// GeneratedID: the node id was derived from ring0_addr, as corosync
	// does for udp and udpu when no nodeid is given.
	GeneratedID bool
	Line        int // where the node{} section opens
}

// Quorum is the quorum{} section (spec §9.1).
type Quorum struct {
	Provider              string // corosync_votequorum, or "" for none
	ExpectedVotes         uint32 // 0: from the nodelist
	Votes                 uint32 // legacy own votes without a nodelist (0 unset)
	TwoNode               bool
	WaitForAll            bool // defaults to TwoNode
	LastManStanding       bool
	LastManStandingWindow uint32 // ms, default 10000
	AutoTieBreaker        bool
	AutoTieBreakerNode    string // lowest (default), highest or node ids
	AllowDownscale        bool
	ExpectedVotesTracking bool
	NodelistVotes         uint32 // Σ quorum_votes over the nodelist
	Device                QuorumDevice
}

// QuorumDevice is quorum{ device{} }.
type QuorumDevice struct {
	Model       string // "" when no qdevice is configured
	Votes       uint32 // 0: automatic
	Timeout     uint32 // ms, default 10000
	SyncTimeout uint32 // ms, default 30000
	MasterWins  bool
}

// Logging is the logging{} section, defaults applied (logconfig.c).
type Logging struct {
	ToStderr, ToLogfile, ToSyslog bool   // yes, no, yes
	Logfile                       string // "" unless set
	LogfilePriority               string // info
	SyslogPriority                string // info
	SyslogFacility                string // daemon
	Debug                         string // off, on or trace
	Timestamp                     string // hires (default), on or off
	Fileline, FunctionName        bool
	Blackbox                      bool // on by default
	Subsys                        []LoggerSubsys
}

// LoggerSubsys is one logger_subsys{}: the top-level settings overridden by
// the ones it sets.
type LoggerSubsys struct {
	Name                          string
	ToStderr, ToLogfile, ToSyslog bool
	Logfile                       string
	LogfilePriority               string
	SyslogPriority                string
	SyslogFacility                string
	Debug                         string
}

// System is the system{} section.
type System struct {
	StateDir                string // /var/lib/corosync
	SchedRR                 bool   // yes
	Priority                string // "" (leave it), max, min or a nice value
	Nice                    int    // Priority as a nice value, -20..19 (0 when Priority is "")
	MoveToRootCgroup        string // auto, yes or no
	QbIPCType               string // native, shm or socket
	AllowKnetHandleFallback bool
}

// Dataplane is gorosync's own dataplane{} section (corosync would warn
// about an unknown section; we read it).
type Dataplane struct {
	CPU       int    // pin the token loop to this CPU; -1 (default) leaves it unpinned
	Idle      string // hybrid (default), spin, yield or block
	Transport string // udp (default), xdp or rdma: every link's unless overridden
	// LinkTransport is each link's transport (linkN_transport, else Transport).
	LinkTransport [maxLinks]string
	RingSize      int // client submission ring slots, a power of two (default 1024)
	// GSO: UDP segmentation offload both ways (yes by default, where the
	// kernel has it): a link sends a run of equal-size frames to a peer
	// as one message the kernel segments (GSO), and takes such a message
	// whole on receipt (GRO). The datagrams on the wire are the same.
	GSO bool
	// Fault is the test-only fault stage on received frames (all zero:
	// off). The daemon logs a warning when any is set.
	Fault Fault
}

// Fault configures the test-only fault stage (dataplane.fault_* keys): what
// this kernel's missing netem would do, done at the transport boundary.
type Fault struct {
	LossPercent, DuplicatePercent, ReorderPercent float64
	DelayMs, DelayJitterMs                        float64
	Seed                                          uint64
}

// Enabled says whether any fault is configured.
func (f Fault) Enabled() bool {
	return f.LossPercent > 0 || f.DuplicatePercent > 0 || f.ReorderPercent > 0 || f.DelayMs > 0 || f.DelayJitterMs > 0
}

// DefaultStateDir is corosync's state directory when system.state_dir is unset.
const DefaultStateDir = "/var/lib/corosync"

// DefaultAuthkey is the key file corosync reads when crypto is on and no
// key or keyfile is configured.
const DefaultAuthkey = "/etc/corosync/authkey"
