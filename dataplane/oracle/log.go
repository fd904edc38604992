package oracle

import "fmt"

// RingID names a regular configuration (§3.12): the representative's node
// id and the 64-bit ring sequence. Two ids are equal only if both fields are.
type RingID struct {
	Rep uint32
	Seq uint64
}

func (r RingID) String() string { return fmt.Sprintf("%d.%d", r.Rep, r.Seq) }

// ConfKind tells a transitional configuration from a regular one.
type ConfKind uint8

// Configuration kinds; zero is left invalid so an unset field is caught.
const (
	Transitional ConfKind = 1
	Regular      ConfKind = 2
)

func (k ConfKind) String() string {
	switch k {
	case Transitional:
		return "TRANS"
	case Regular:
		return "REG"
	}
	return fmt.Sprintf("ConfKind(%d)", uint8(k))
}

// EventKind is the kind of one log entry (§4.2).
type EventKind uint8

// Event kinds; zero is left invalid so an unset field is caught.
//
// CONF, SEND, DELIVER and the node faults (CRASH, LEAVE, RESTART) go in the
// log of the node concerned; the cluster-wide faults (PARTITION, HEAL) go in
// the separate fault log (Recorder.Faults, Options.Faults), and so do the
// one-way CUTs, since they belong to no node.
const (
	EventConf EventKind = iota + 1
	EventSend
	EventDeliver
	// EventCrash: the process died silently; whatever follows is a new
	// incarnation.
	EventCrash
	// EventLeave: the process shut down cleanly, multicasting a LEAVE first
	// (§3.10). It ends the incarnation like a crash.
	EventLeave
	// EventRestart: the process starts again, a new incarnation. After a
	// CRASH or LEAVE it only dates the start (without it the next event
	// does); on a node that is running it stands for a crash at the same
	// instant as well.
	EventRestart
	// EventPartition (fault log): from now on only nodes of the same group
	// in Groups exchange frames; a node in no group is isolated.
	EventPartition
	// EventHeal (fault log): from now on every node reaches every other.
	EventHeal
	// EventCut (fault log): from now on frames from Link[0] to Link[1] are
	// lost, until the next PARTITION or HEAL sets every link afresh. A
	// one-way cut is not a partition into groups: the ring may live with
	// it (retransmissions come from other nodes) or fall apart, so it sets
	// no expectation of its own, and no timed check spans it.
	EventCut
	// EventDisturb (fault log): the network misbehaved for a while without
	// changing who reaches whom (a burst of loss). It sets no expectation
	// and changes no network state, but no timed check spans it.
	EventDisturb
)

func (k EventKind) String() string {
	switch k {
	case EventConf:
		return "CONF"
	case EventSend:
		return "SEND"
	case EventDeliver:
		return "DELIVER"
	case EventCrash:
		return "CRASH"
	case EventLeave:
		return "LEAVE"
	case EventRestart:
		return "RESTART"
	case EventPartition:
		return "PARTITION"
	case EventHeal:
		return "HEAL"
	case EventCut:
		return "CUT"
	case EventDisturb:
		return "DISTURB"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one entry of a node's log. Which fields matter depends on Kind;
// the others are zero.
type Event struct {
	Kind EventKind
	// Time is virtual time in ns: non-decreasing within a log and on one
	// clock across logs, so a delivery can be compared with its send.
	Time int64

	// EventConf.
	Conf    ConfKind
	Ring    RingID
	Members []uint32
	Left    []uint32
	Joined  []uint32

	// EventSend / EventDeliver.
	MsgID uint64 // unique per message in the whole run
	// Sender is, for a delivery, the sender the node was told; for a send,
	// the node itself (0 is accepted as "not filled in").
	Sender uint32
	Safe   bool // submitted with the SAFE guarantee
	// HeldBy, on the delivery of a Safe message, lists the nodes that held
	// the message at the instant it was delivered here, as the simulator saw.
	HeldBy []uint32

	// EventPartition: the groups of nodes that can still reach each other.
	Groups [][]uint32
	// EventCut: the direction of the link that was cut, from → to.
	Link [2]uint32
}

// Log is everything one node recorded, in the order it happened. A node
// that stops and starts again keeps one log: EventCrash, EventLeave and
// EventRestart separate incarnations.
type Log struct {
	Node   uint32
	Events []Event
}
