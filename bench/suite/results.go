package suite

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gorosync/gorosync/bench/measure"
)

// Results is everything one run measured, one record per measurement;
// repeated runs of a point are separate records (Rep), summarised by the
// report. It is saved as JSON so that tables and plots can be made again
// without measuring.
type Results struct {
	Machine  string    `json:"machine"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Options  Options   `json:"options"`
	// Load is /proc/loadavg's 1-minute figure at the start and the end:
	// other work on the machine shows here.
	LoadStart float64 `json:"load_start"`
	LoadEnd   float64 `json:"load_end"`

	Throughput []ThroughputPoint `json:"throughput,omitempty"`
	Latency    []LatencyRun      `json:"latency,omitempty"`
	Failover   []FailoverTrial   `json:"failover,omitempty"`
	IPC        []IPCRun          `json:"ipc,omitempty"`
	GC         []GCRun           `json:"gc,omitempty"`
	Loss       []LossRun         `json:"loss,omitempty"`

	// Failures are measurements that did not complete, with the error;
	// the report lists them.
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is one measurement that failed.
type Failure struct {
	Daemon Daemon `json:"daemon"`
	What   string `json:"what"`
	Err    string `json:"err"`
}

// Senders says who sends in a throughput point.
type Senders string

// One sender (node 1) or every node at once.
const (
	OneSender  Senders = "one"
	AllSenders Senders = "all"
)

// String is "one sender" or "all senders".
func (s Senders) String() string {
	if s == AllSenders {
		return "all senders"
	}
	return "one sender"
}

// ThroughputPoint is one timed cpg throughput run: agreed messages of Size
// bytes sent as fast as flow control allows.
type ThroughputPoint struct {
	Daemon  Daemon  `json:"daemon"`
	Nodes   int     `json:"nodes"`
	Senders Senders `json:"senders"`
	Size    int     `json:"size"`
	Rep     int     `json:"rep"`

	// MsgsPerS is the ordered rate: each sender's own agreed deliveries
	// in its timed window, summed over senders.
	MsgsPerS float64 `json:"msgs_per_s"`
	// MinSenderMsgsPerS is the slowest sender's share (all senders).
	MinSenderMsgsPerS float64 `json:"min_sender_msgs_per_s,omitempty"`
	Messages          uint64  `json:"messages"` // own deliveries, all senders, whole client run

	// CPUUsPerMsg is the daemons' CPU time (every node, user + system,
	// /proc/<pid>/stat) over the whole client run, per message ordered.
	CPUUsPerMsg float64 `json:"cpu_us_per_msg"`
	// ClientCPUUsPerMsg is the same for the clients (getrusage in
	// cpgbench): the libcpg/libqb side of the cost.
	ClientCPUUsPerMsg float64 `json:"client_cpu_us_per_msg"`
	RSSKiB            int64   `json:"rss_kib"`  // largest daemon VmRSS after the run
	PeakKiB           int64   `json:"peak_kib"` // largest daemon VmHWM after the run

	// gorosync only (from its stats map; -1 when not read): GC cycles and
	// bytes allocated during the run, all nodes together.
	GCCycles   int64 `json:"gc_cycles"`
	AllocBytes int64 `json:"alloc_bytes"`

	// RingChanges counts the new rings node 1 logged during the point:
	// a membership change under load (token lost to CPU starvation)
	// stalls the ring, and the table marks such points.
	RingChanges int `json:"ring_changes"`

	// Checks reported by the clients: own messages not delivered, and
	// deliveries out of order or corrupt, any sender.
	Lost       uint64 `json:"lost"`
	Misordered uint64 `json:"misordered"`
	Corrupt    uint64 `json:"corrupt"`
}

// MBPerS is the payload rate.
func (p ThroughputPoint) MBPerS() float64 { return p.MsgsPerS * float64(p.Size) / 1e6 }

// LatencyMode is how latency messages are sent.
type LatencyMode string

// Paced at a fixed rate, or one at a time (each after the previous one's
// delivery).
const (
	Paced    LatencyMode = "paced"
	PingPong LatencyMode = "pingpong"
)

// LatencyRun is one latency run from node 1: send → own agreed delivery.
type LatencyRun struct {
	Daemon  Daemon          `json:"daemon"`
	Nodes   int             `json:"nodes"`
	Mode    LatencyMode     `json:"mode"`
	Size    int             `json:"size"`
	Rate    int             `json:"rate,omitempty"` // paced: msgs/s
	Rep     int             `json:"rep"`
	Lost    uint64          `json:"lost"`
	Latency measure.Latency `json:"latency"`
	// Messages and Seconds are the client's (its timed window); TokenVisits
	// is how many tokens node 1 received during the client's run
	// (stats.srp.orf_token_rx, 0 if the daemon would not say): how many
	// visits a message waited for, and in ping-pong how long a rotation took.
	Messages    uint64  `json:"messages,omitempty"`
	Seconds     float64 `json:"seconds,omitempty"`
	TokenVisits uint64  `json:"token_visits,omitempty"`
}

// VisitsPerMessage is how many token visits node 1 had per message sent
// (0 when unknown).
func (r LatencyRun) VisitsPerMessage() float64 {
	if r.Messages == 0 || r.TokenVisits == 0 {
		return 0
	}
	return float64(r.TokenVisits) / float64(r.Messages)
}

// RotationUs is the mean time between token visits to node 1 over the
// client's run (0 when unknown). Only a ring kept busy throughout, as
// ping-pong keeps it, makes this the token's rotation time.
func (r LatencyRun) RotationUs() float64 {
	if r.TokenVisits == 0 || r.Seconds <= 0 {
		return 0
	}
	return r.Seconds * 1e6 / float64(r.TokenVisits)
}

// FailoverTrial is one kill -9 of node 3 and its restart. Times are from
// the cpg clients' callbacks (CLOCK_MONOTONIC), in ms after the kill.
type FailoverTrial struct {
	Daemon Daemon `json:"daemon"`
	Totem  Totem  `json:"totem"`
	Trial  int    `json:"trial"`

	// KillToRingMs: until the last survivor's totem confchg without node
	// 3; KillToConfchgMs: until the last survivor's cpg confchg with node
	// 3's process in the left list (what applications see).
	KillToRingMs    float64 `json:"kill_to_ring_ms"`
	KillToConfchgMs float64 `json:"kill_to_confchg_ms"`
	// RestartToRejoinMs: from starting node 3's daemon again to node 1's
	// totem confchg with node 3 back in the ring (includes start-up).
	RestartToRejoinMs float64 `json:"restart_to_rejoin_ms"`

	Timeline []TimelineEvent `json:"timeline"`
}

// TimelineEvent is one point of a failover trial's timeline.
type TimelineEvent struct {
	AtMs float64 `json:"at_ms"` // after the kill
	Node int     `json:"node"`  // where it was seen (0: the harness)
	What string  `json:"what"`  // "kill", "ring 1 2", "confchg left 3", "restart", "ring 1 2 3"
}

// IPCRun is one client-to-daemon rate on a one-node cluster.
type IPCRun struct {
	Daemon  Daemon  `json:"daemon"`
	Op      string  `json:"op"` // IPCCmapGet or IPCCPGSelf
	Rep     int     `json:"rep"`
	OpsPerS float64 `json:"ops_per_s"`
	// CPUUsPerOp is the daemon's CPU time per operation.
	CPUUsPerOp float64 `json:"cpu_us_per_op"`
}

// The IPC operations.
const (
	IPCCmapGet         = "cmap_get"
	IPCCmapGetSameCPU  = "cmap_get, client and daemon pinned to one CPU"
	IPCCmapGetCrossCPU = "cmap_get, client and daemon pinned to two CPUs"
	IPCCPGSelf         = "cpg to self, 64 B"
)

// IPCOps lists the IPC operations in the order they are measured.
func IPCOps() []string { return ipcOps() }

// GCRun is gorosync's long throughput run with its GC cycles counted.
type GCRun struct {
	Daemon     Daemon  `json:"daemon"`
	Nodes      int     `json:"nodes"`
	Size       int     `json:"size"`
	Seconds    float64 `json:"seconds"`
	MsgsPerS   float64 `json:"msgs_per_s"`
	Messages   uint64  `json:"messages"`
	GCCycles   []int64 `json:"gc_cycles"`   // per node
	AllocBytes []int64 `json:"alloc_bytes"` // per node
	HeapBytes  []int64 `json:"heap_bytes"`  // per node, after
}

// LossRun is one throughput run with random loss on every node's output.
type LossRun struct {
	Daemon   Daemon  `json:"daemon"`
	Size     int     `json:"size"`
	Percent  int     `json:"percent"`
	Rep      int     `json:"rep"`
	MsgsPerS float64 `json:"msgs_per_s"`
	Lost     uint64  `json:"lost"`
}

// loadAvg is the 1-minute load average, 0 when unreadable.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var x float64
	fmt.Sscanf(string(b), "%g", &x)
	return x
}

// Save writes r as indented JSON.
func (r *Results) Save(path string) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Load reads results Save wrote.
func Load(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
