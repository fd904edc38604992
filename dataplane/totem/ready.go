package totem

import (
	"math"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// NoDeadline means no timer is armed.
const NoDeadline int64 = math.MaxInt64

// Broadcast as Frame.To sends a frame to every other member.
const Broadcast uint32 = 0

// Frame is one datagram to send. Data stays valid until Advance.
type Frame struct {
	To   uint32 // a node id, or Broadcast
	Data []byte
}

// Guarantee is the delivery guarantee a message was submitted with.
type Guarantee int32

const (
	// Agreed: delivered once it and every lower message of the ring arrived.
	Agreed Guarantee = 0
	// Safe: additionally delivered only once every member holds it.
	// corosync 3.1.7 carries this flag but ignores it; gorosync honours it.
	Safe Guarantee = 1
)

// ConfKind tells a transitional from a regular configuration change.
type ConfKind uint8

const (
	Transitional ConfKind = 1
	Regular      ConfKind = 2
)

func (k ConfKind) String() string {
	if k == Transitional {
		return "TRANS"
	}
	return "REG"
}

// EventKind says which field of an Event is set.
type EventKind uint8

const (
	EventDeliver EventKind = iota + 1
	EventConfChange
)

// Delivery is one message handed to the layer above, in total order.
type Delivery struct {
	Sender    uint32
	Ring      wire.RingID
	Seq       uint32
	Guarantee Guarantee
	BigEndian bool   // the sender wrote its frame big-endian
	Payload   []byte // valid until Advance
}

// ConfChange is a configuration change; the lists are sorted ascending and
// valid until Advance.
type ConfChange struct {
	Kind                  ConfKind
	Ring                  wire.RingID
	Members, Left, Joined []uint32
}

// Event is a delivery or a configuration change, in the order the layer
// above must see them.
type Event struct {
	Kind    EventKind
	Deliver Delivery
	Conf    ConfChange
}

// Ready is what the node asks its caller to do.
type Ready struct {
	Frames   []Frame
	Events   []Event
	Deadline int64 // the next time Tick must be called; NoDeadline if none
}
