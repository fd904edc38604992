// Package cpgoracle checks the CPG invariants of TOTEM_SPEC §8.8 (C1–C8)
// over a recorded run: what every client process asked for and got
// (joins, leaves, multicasts accepted, exits) and every callback it
// received (group confchgs, deliveries, totem confchgs), plus each node's
// totem configuration changes. The recording side (a test's fake client
// connections over the services bus or the simulator) feeds a Log in the
// order things happened; Check returns the violations.
//
// It owns the log model and the checks only; it drives nothing.
package cpgoracle

import (
	"fmt"
	"slices"

	"github.com/gorosync/gorosync/services/cpg"
)

// Addr is a process: its node and the pid it joined with. Tests give
// every process (one client connection) a pid unique in the run.
type Addr struct{ Node, PID uint32 }

func (a Addr) String() string { return fmt.Sprintf("%d/%d", a.Node, a.PID) }

// Kind is the kind of a process event.
type Kind uint8

// Process events.
const (
	JoinReq  Kind = iota // a join the service answered CS_OK
	LeaveReq             // a leave answered CS_OK
	Send                 // a multicast accepted (CS_OK): MsgID
	Exit                 // the process finalized, disconnected or died
	Confchg              // a group confchg callback
	Deliver              // a message callback: From, MsgID
	Totem                // a totem confchg callback: Ring, Nodes
)

func (k Kind) String() string {
	return [...]string{"join-req", "leave-req", "send", "exit", "confchg", "deliver", "totem"}[k]
}

// Event is one thing that happened to a process.
type Event struct {
	Kind    Kind
	Group   string
	Members []cpg.Address
	Left    []cpg.Address
	Joined  []cpg.Address
	From    Addr
	MsgID   uint64
	Ring    cpg.RingID
	Nodes   []uint32
	// Sync: the callback was emitted while its node was synchronising
	// (sync activation's NODEDOWN/NODEUP/zombie confchgs, messages
	// delivered between a configuration change and the end of sync).
	Sync bool
	// Activation: the callback was emitted by CPG's sync activation (its
	// NODEDOWN, NODEUP and zombie confchgs and the round's totem
	// confchgs), as opposed to a join's initial totem confchg.
	Activation bool

	seq uint64
}

// NodeEvent is one totem configuration change at a node.
type NodeEvent struct {
	Regular bool // false: transitional
	Ring    cpg.RingID
	Members []uint32
	seq     uint64
}

// proc is one recorded process.
type proc struct {
	addr   Addr
	events []Event
}

// Log is a recorded run.
type Log struct {
	seq    uint64
	procs  []*proc
	byAddr map[Addr]int
	nodes  map[uint32][]NodeEvent
	down   map[uint32]bool // nodes that crashed at some point
}

// New returns an empty log.
func New() *Log {
	return &Log{byAddr: map[Addr]int{}, nodes: map[uint32][]NodeEvent{}, down: map[uint32]bool{}}
}

// Proc registers a process and returns its index.
func (l *Log) Proc(a Addr) int {
	if i, ok := l.byAddr[a]; ok {
		return i
	}
	l.procs = append(l.procs, &proc{addr: a})
	l.byAddr[a] = len(l.procs) - 1
	return len(l.procs) - 1
}

// Record appends an event of process p (lists are copied).
func (l *Log) Record(p int, ev Event) {
	l.seq++
	ev.seq = l.seq
	ev.Members, ev.Left, ev.Joined = slices.Clone(ev.Members), slices.Clone(ev.Left), slices.Clone(ev.Joined)
	ev.Nodes = slices.Clone(ev.Nodes)
	l.procs[p].events = append(l.procs[p].events, ev)
}

// Node records a totem configuration change at node.
func (l *Log) Node(node uint32, ev NodeEvent) {
	l.seq++
	ev.seq = l.seq
	ev.Members = slices.Clone(ev.Members)
	l.nodes[node] = append(l.nodes[node], ev)
}

// Crashed marks a node as crashed: its processes died without a word.
func (l *Log) Crashed(node uint32) { l.down[node] = true }

// Events returns the number of recorded process events.
func (l *Log) Events() int {
	n := 0
	for _, p := range l.procs {
		n += len(p.events)
	}
	return n
}
