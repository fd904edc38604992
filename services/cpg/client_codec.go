package cpg

import (
	"errors"
	"fmt"

	"github.com/gorosync/gorosync/services/cserror"
)

// The client side of the wire layout: request encoders and event and
// reply decoders, for Go clients (cpgclient) and tests. Encoders write
// into b (which must be large enough: the request's size) and return the
// request; decoders check every length.

// ErrShortMessage: a reply or event shorter than its layout or its
// header's size.
var ErrShortMessage = errors.New("cpg: malformed message")

// EncodeJoin encodes JOIN (168 bytes).
func EncodeJoin(b []byte, name []byte, pid, flags uint32) []byte {
	b = b[:JoinReqSize]
	clear(b)
	PutReqHeader(b, ReqJoin, JoinReqSize)
	PutName(b[ReqGroupOff:], name)
	le.PutUint32(b[ReqPidOff:], pid)
	le.PutUint32(b[JoinFlagsOff:], flags)
	return b
}

// EncodeLeave encodes LEAVE (160 bytes).
func EncodeLeave(b []byte, name []byte, pid uint32) []byte {
	b = b[:LeaveReqSize]
	clear(b)
	PutReqHeader(b, ReqLeave, LeaveReqSize)
	PutName(b[ReqGroupOff:], name)
	le.PutUint32(b[ReqPidOff:], pid)
	return b
}

// EncodeMcastHeader encodes the 40-byte MCAST header of an msglen-byte
// message (the message follows it).
func EncodeMcastHeader(b []byte, g Guarantee, msglen int) []byte {
	b = b[:McastReqSize]
	clear(b)
	PutResHeader(b, ReqMcast, McastReqSize+msglen, 0)
	le.PutUint32(b[GuaranteeOff:], uint32(g))
	le.PutUint32(b[McastLenOff:], uint32(msglen))
	return b
}

// EncodePartialHeader encodes the 56-byte PARTIAL_MCAST header of one
// fraglen-byte fragment of an msglen-byte message.
func EncodePartialHeader(b []byte, g Guarantee, msglen, fraglen int, typ uint32) []byte {
	b = b[:PartialReqSize]
	clear(b)
	PutResHeader(b, ReqPartialMcast, PartialReqSize+fraglen, 0)
	le.PutUint32(b[GuaranteeOff:], uint32(g))
	le.PutUint32(b[McastLenOff:], uint32(msglen))
	le.PutUint32(b[PartialFragOff:], uint32(fraglen))
	le.PutUint32(b[PartialTypeOff:], typ)
	return b
}

// EncodeMembership encodes MEMBERSHIP (152 bytes).
func EncodeMembership(b []byte, name []byte) []byte {
	b = b[:MembershipReqSize]
	clear(b)
	PutReqHeader(b, ReqMembership, MembershipReqSize)
	PutName(b[ReqGroupOff:], name)
	return b
}

// EncodeHeaderOnly encodes a request that is its header alone (LOCAL_GET,
// FINALIZE).
func EncodeHeaderOnly(b []byte, id int32) []byte {
	b = b[:ReqHeaderSize]
	PutReqHeader(b, id, ReqHeaderSize)
	return b
}

// EncodeIterInit encodes ITERATIONINITIALIZE (160 bytes); name only
// matters for IterOneGroup.
func EncodeIterInit(b []byte, typ IterType, name []byte) []byte {
	b = b[:IterInitReqSize]
	clear(b)
	PutReqHeader(b, ReqIterInit, IterInitReqSize)
	PutName(b[ReqGroupOff:], name)
	le.PutUint32(b[IterTypeOff:], uint32(typ))
	return b
}

// EncodeIter encodes ITERATIONNEXT or ITERATIONFINALIZE (24 bytes).
func EncodeIter(b []byte, id int32, handle uint64) []byte {
	b = b[:IterReqSize]
	clear(b)
	PutReqHeader(b, id, IterReqSize)
	le.PutUint64(b[IterHandleOff:], handle)
	return b
}

// Event is a decoded event. Its slices alias the buffer it was decoded
// from, or (the address lists) are reused by the next DecodeEvent into
// the same Event.
type Event struct {
	ID       int32
	Group    []byte
	NodeID   uint32 // DELIVER, PARTIAL_DELIVER: the sender
	PID      uint32
	MsgLen   uint32 // DELIVER: len(Payload); PARTIAL_DELIVER: the whole message's
	FragType uint32 // PARTIAL_DELIVER: PartialFirst, PartialContinued, PartialLast
	Payload  []byte

	Members, Left, Joined []Address // CONFCHG

	Ring         RingID   // TOTEM_CONFCHG
	TotemMembers []uint32 // TOTEM_CONFCHG
}

// DecodeEvent decodes one event (b is the whole message) into ev.
func DecodeEvent(b []byte, ev *Event) error {
	if len(b) < ResHeaderSize || int(HeaderSize(b)) != len(b) {
		return ErrShortMessage
	}
	ev.ID = HeaderID(b)
	switch ev.ID {
	case ResDeliver:
		return decodeDeliver(b, ev)
	case ResPartialDeliver:
		return decodePartialDeliver(b, ev)
	case ResConfchg:
		return decodeConfchg(b, ev)
	case ResTotemConfchg:
		return decodeTotemConfchg(b, ev)
	}
	return fmt.Errorf("cpg: unknown event id %d", ev.ID)
}

func eventGroup(b []byte) ([]byte, error) {
	name, ok := GetName(b[EvGroupOff:])
	if !ok {
		return nil, ErrShortMessage
	}
	return name, nil
}

func decodeDeliver(b []byte, ev *Event) error {
	if len(b) < DeliverSize {
		return ErrShortMessage
	}
	var err error
	if ev.Group, err = eventGroup(b); err != nil {
		return err
	}
	ev.MsgLen = le.Uint32(b[160:])
	ev.NodeID, ev.PID = le.Uint32(b[168:]), le.Uint32(b[176:])
	if uint64(len(b)) != DeliverSize+uint64(ev.MsgLen) {
		return ErrShortMessage
	}
	ev.Payload = b[DeliverSize:]
	return nil
}

func decodePartialDeliver(b []byte, ev *Event) error {
	if len(b) < PartialDeliverSize {
		return ErrShortMessage
	}
	var err error
	if ev.Group, err = eventGroup(b); err != nil {
		return err
	}
	ev.MsgLen = le.Uint32(b[160:])
	frag := le.Uint32(b[168:])
	ev.NodeID, ev.PID, ev.FragType = le.Uint32(b[176:]), le.Uint32(b[184:]), le.Uint32(b[192:])
	if uint64(len(b)) != PartialDeliverSize+uint64(frag) || frag > ev.MsgLen {
		return ErrShortMessage
	}
	ev.Payload = b[PartialDeliverSize:]
	return nil
}

func decodeConfchg(b []byte, ev *Event) error {
	if len(b) < ConfchgSize {
		return ErrShortMessage
	}
	var err error
	if ev.Group, err = eventGroup(b); err != nil {
		return err
	}
	m, j, l := uint64(le.Uint32(b[160:])), uint64(le.Uint32(b[168:])), uint64(le.Uint32(b[176:]))
	if uint64(len(b)) != ConfchgSize+AddressSize*(m+j+l) {
		return ErrShortMessage
	}
	off := ConfchgSize
	take := func(dst []Address, n uint64) []Address {
		dst = dst[:0]
		for range n {
			dst = append(dst, getAddress(b[off:]))
			off += AddressSize
		}
		return dst
	}
	ev.Members = take(ev.Members, m)
	ev.Left = take(ev.Left, l)
	ev.Joined = take(ev.Joined, j)
	return nil
}

func decodeTotemConfchg(b []byte, ev *Event) error {
	if len(b) < TotemConfchgSize {
		return ErrShortMessage
	}
	n := uint64(le.Uint32(b[40:]))
	if uint64(len(b)) != TotemConfchgSize+4*n {
		return ErrShortMessage
	}
	ev.Ring = RingID{NodeID: le.Uint32(b[24:]), Seq: le.Uint64(b[32:])}
	ev.TotemMembers = ev.TotemMembers[:0]
	for i := range n {
		ev.TotemMembers = append(ev.TotemMembers, le.Uint32(b[44+4*i:]))
	}
	return nil
}

// DecodeMembership reads a MEMBERSHIP reply into out (reused).
func DecodeMembership(b []byte, out []Address) ([]Address, Error, error) {
	if len(b) < MembershipResSize {
		return out, 0, ErrShortMessage
	}
	if e := HeaderError(b); e != cserror.OK {
		return out[:0], e, nil
	}
	n := le.Uint32(b[MembershipCountOff:])
	if n > MembershipMax {
		return out, 0, ErrShortMessage
	}
	out = out[:0]
	for i := range n {
		out = append(out, getAddress(b[MembershipListOff+AddressSize*int(i):]))
	}
	return out, cserror.OK, nil
}

// DecodeIterNext reads an ITERATIONNEXT reply.
func DecodeIterNext(b []byte) (group []byte, nodeid, pid uint32, e Error, err error) {
	if len(b) < IterNextResSize {
		return nil, 0, 0, 0, ErrShortMessage
	}
	if e = HeaderError(b); e != cserror.OK {
		return nil, 0, 0, e, nil
	}
	name, ok := GetName(b[24:])
	if !ok {
		return nil, 0, 0, 0, ErrShortMessage
	}
	return name, le.Uint32(b[160:]), le.Uint32(b[164:]), cserror.OK, nil
}
