package quorum

import (
	"encoding/binary"
	"errors"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
)

// Request ids (LIBQB_IPC_SPEC §5.4).
const (
	ReqGetQuorate   = 0
	ReqTrackStart   = 1
	ReqTrackStop    = 2
	ReqGetType      = 3
	ReqModelGetType = 4
	numReqs         = 5
)

// Reply and event ids.
const (
	ResGetQuorate   = 0
	ResTrackStart   = 1
	ResTrackStop    = 2
	ResNotification = 3 // the v0 event
	ResGetType      = 4
	ResModelGetType = 5
	ResV1Quorum     = 6
	ResV1NodeList   = 7
)

const (
	resUnknownReqID  = 0 // the reply's id for a request id the service lacks
	maxViewEntries   = 1 << 16
	trackCurrentMask = TrackCurrent | TrackChanges     // send the current state
	trackChangesMask = TrackChanges | TrackChangesOnly // register for changes
)

// Track flags (CS_TRACK_*).
const (
	TrackCurrent     = 1
	TrackChanges     = 2
	TrackChangesOnly = 4
)

// Library models (quorum_model_initialize).
const (
	ModelV0 = 0
	ModelV1 = 1
)

// Quorum types (GETTYPE's answer).
const (
	TypeFree = 0 // QUORUM_FREE: no provider, always quorate
	TypeSet  = 1 // QUORUM_SET: a provider decides
)

// Message sizes and offsets (checked against corosync 3.1.7's
// ipc_quorum.h with offsetof).
const (
	ReqHdrSize          = 16
	ResHdrSize          = 24
	trackStartReqSize   = 24 // track_flags @16
	modelGetTypeReqSize = 24 // model @16
	u32ResSize          = 32 // GETQUORATE quorate @24, GETTYPE and MODEL_GETTYPE quorum_type @24

	notifSize        = 48 // quorate @24, ring_seq @32, view_list_entries @40, ids from @44
	notifListOff     = 44
	v1QuorumSize     = 56 // quorate @24, ring id @32 (nodeid @32, seq @40), entries @48, ids from @52
	v1QuorumListOff  = 52
	v1NodeListSize   = 64 // ring id @24, members @40, joined @48, left @56 entries, ids from @60
	v1NodeListArrOff = 60
)

var le = binary.LittleEndian

// Request is one decoded request.
type Request struct {
	ID    int32
	Flags uint32 // TRACKSTART
	Model uint32 // MODEL_GETTYPE
}

// DecodeRequest checks and decodes req (header included; len(req) is the
// header's size). An unknown id or a size other than the request's exact
// size gives ErrInvalidParam (r.ID is set whenever the header is there).
func DecodeRequest(req []byte) (Request, Error) {
	var r Request
	if len(req) < ReqHdrSize {
		return r, cserror.ErrInvalidParam
	}
	r.ID = int32(le.Uint32(req))
	want := ReqHdrSize
	switch r.ID {
	case ReqGetQuorate, ReqTrackStop, ReqGetType:
	case ReqTrackStart, ReqModelGetType:
		want = trackStartReqSize
	default:
		return r, cserror.ErrInvalidParam
	}
	if len(req) != want {
		return r, cserror.ErrInvalidParam
	}
	switch r.ID {
	case ReqTrackStart:
		r.Flags = le.Uint32(req[16:])
	case ReqModelGetType:
		r.Model = le.Uint32(req[16:])
	}
	return r, cserror.OK
}

// replyShape is the id and size of request id's reply.
func replyShape(id int32) (int32, int) {
	switch id {
	case ReqGetQuorate:
		return ResGetQuorate, u32ResSize
	case ReqTrackStart:
		return ResTrackStart, ResHdrSize
	case ReqTrackStop:
		return ResTrackStop, ResHdrSize
	case ReqGetType:
		return ResGetType, u32ResSize
	case ReqModelGetType:
		return ResModelGetType, u32ResSize
	}
	return resUnknownReqID, ResHdrSize
}

// PutResHdr writes a response header (id, size, error) into b[:24].
func PutResHdr(b []byte, id int32, size int, e Error) {
	clear(b[:ResHdrSize])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[16:], uint32(e))
}

func b32(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

func putIDs(b []byte, ids []uint32) []byte {
	for _, id := range ids {
		b = le.AppendUint32(b, id)
	}
	return b
}

// AppendNotification appends the v0 NOTIFICATION event to b: 48 + 4·n
// bytes, the ids from offset 44 and 4 bytes of trailing padding, as
// corosync sizes it.
func AppendNotification(b []byte, quorate bool, ringSeq uint64, view []uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, notifListOff)...)
	h := b[start:]
	PutResHdr(h, ResNotification, notifSize+4*len(view), cserror.OK)
	le.PutUint32(h[24:], b32(quorate))
	le.PutUint64(h[32:], ringSeq)
	le.PutUint32(h[40:], uint32(len(view)))
	b = putIDs(b, view)
	return append(b, 0, 0, 0, 0)
}

// AppendV1Quorum appends the V1_QUORUM_NOTIFICATION event: 56 + 4·n
// bytes, ids from offset 52.
func AppendV1Quorum(b []byte, quorate bool, ring services.RingID, view []uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, v1QuorumListOff)...)
	h := b[start:]
	PutResHdr(h, ResV1Quorum, v1QuorumSize+4*len(view), cserror.OK)
	le.PutUint32(h[24:], b32(quorate))
	le.PutUint32(h[32:], ring.Rep)
	le.PutUint64(h[40:], ring.Seq)
	le.PutUint32(h[48:], uint32(len(view)))
	b = putIDs(b, view)
	return append(b, 0, 0, 0, 0)
}

// AppendV1NodeList appends the V1_NODELIST_NOTIFICATION event: 64 +
// 4·(members+joined+left) bytes, the three lists from offset 60 in that
// order.
func AppendV1NodeList(b []byte, ring services.RingID, members, joined, left []uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, v1NodeListArrOff)...)
	h := b[start:]
	PutResHdr(h, ResV1NodeList, v1NodeListSize+4*(len(members)+len(joined)+len(left)), cserror.OK)
	le.PutUint32(h[24:], ring.Rep)
	le.PutUint64(h[32:], ring.Seq)
	le.PutUint32(h[40:], uint32(len(members)))
	le.PutUint32(h[48:], uint32(len(joined)))
	le.PutUint32(h[56:], uint32(len(left)))
	b = putIDs(b, members)
	b = putIDs(b, joined)
	b = putIDs(b, left)
	return append(b, 0, 0, 0, 0)
}

// Event is one decoded notification. ID says which: ResNotification (v0:
// Ring.Seq only), ResV1Quorum or ResV1NodeList (Members is then the
// member list, with Joined and Left).
type Event struct {
	ID      int32
	Quorate bool
	Ring    services.RingID
	Members []uint32
	Joined  []uint32
	Left    []uint32
}

// ErrBadEvent: an event that is too short for what it says it holds, or
// of an unknown id.
var ErrBadEvent = errors.New("quorum: malformed event")

func ids(b []byte, off int, n uint32) ([]uint32, bool) {
	if n > maxViewEntries || off+4*int(n) > len(b) {
		return nil, false
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = le.Uint32(b[off+4*i:])
	}
	return out, true
}

// DecodeEvent decodes one event (header included). It checks every count
// against the bytes there (the trailing padding is not required).
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	if len(b) < ResHdrSize {
		return ev, ErrBadEvent
	}
	ev.ID = int32(le.Uint32(b))
	var ok bool
	switch ev.ID {
	case ResNotification:
		if len(b) < notifListOff {
			return ev, ErrBadEvent
		}
		ev.Quorate = le.Uint32(b[24:]) != 0
		ev.Ring.Seq = le.Uint64(b[32:])
		ev.Members, ok = ids(b, notifListOff, le.Uint32(b[40:]))
	case ResV1Quorum:
		if len(b) < v1QuorumListOff {
			return ev, ErrBadEvent
		}
		ev.Quorate = le.Uint32(b[24:]) != 0
		ev.Ring = services.RingID{Rep: le.Uint32(b[32:]), Seq: le.Uint64(b[40:])}
		ev.Members, ok = ids(b, v1QuorumListOff, le.Uint32(b[48:]))
	case ResV1NodeList:
		if len(b) < v1NodeListArrOff {
			return ev, ErrBadEvent
		}
		ev.Ring = services.RingID{Rep: le.Uint32(b[24:]), Seq: le.Uint64(b[32:])}
		m, j, l := le.Uint32(b[40:]), le.Uint32(b[48:]), le.Uint32(b[56:])
		if m > maxViewEntries || j > maxViewEntries || l > maxViewEntries {
			return ev, ErrBadEvent
		}
		off := v1NodeListArrOff
		if ev.Members, ok = ids(b, off, m); ok {
			off += 4 * int(m)
			if ev.Joined, ok = ids(b, off, j); ok {
				ev.Left, ok = ids(b, off+4*int(j), l)
			}
		}
	default:
		return ev, ErrBadEvent
	}
	if !ok {
		return ev, ErrBadEvent
	}
	return ev, nil
}
