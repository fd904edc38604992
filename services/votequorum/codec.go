package votequorum

import (
	"bytes"
	"errors"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
)

// Request ids (LIBQB_IPC_SPEC §5.5).
const (
	ReqGetInfo           = 0
	ReqSetExpected       = 1
	ReqSetVotes          = 2
	ReqTrackStart        = 3
	ReqTrackStop         = 4
	ReqQdeviceRegister   = 5
	ReqQdeviceUnregister = 6
	ReqQdeviceUpdate     = 7
	ReqQdevicePoll       = 8
	ReqQdeviceMasterWins = 9
	numReqs              = 10
)

// Reply and event ids.
const (
	ResStatus                    = 0
	ResGetInfo                   = 1
	ResTrackStart                = 2 // unused by corosync: TRACKSTART answers STATUS
	ResQuorumNotification        = 3
	ResExpectedVotesNotification = 4
	ResNodeListNotification      = 5
)

// GETINFO flags (VOTEQUORUM_INFO_*).
const (
	InfoTwoNode           = 1
	InfoQuorate           = 2
	InfoWaitForAll        = 4
	InfoLastManStanding   = 8
	InfoAutoTieBreaker    = 16
	InfoAllowDownscale    = 32
	InfoQdeviceRegistered = 64
	InfoQdeviceAlive      = 128
	InfoQdeviceCastVote   = 256
	InfoQdeviceMasterWins = 512
)

// Track flags (CS_TRACK_*).
const (
	TrackCurrent     = 1
	TrackChanges     = 2
	TrackChangesOnly = 4
)

// Message sizes and offsets (checked against corosync 3.1.7's
// ipc_votequorum.h with offsetof).
const (
	ReqHdrSize      = 16
	ResHdrSize      = 24
	u32ReqSize      = 24 // GETINFO nodeid @16; SETEXPECTED @16; SETVOTES votes @16, nodeid @20
	trackReqSize    = 32 // context @16, track_flags @24
	nameReqSize     = 272
	updateReqSize   = 528 // oldname @16, newname @271
	pollReqSize     = 296 // name @16, cast_vote @272, ring id @280 (nodeid @280, seq @288)
	mwReqSize       = 280 // name @16, allow @272
	reqNameOff      = 16
	GetInfoResSize  = 320
	getInfoNameOff  = 60
	quorumEvSize    = 48 // quorate @24, context @32, entries @40, {nodeid, state} from @48
	nodeListEvSize  = 56 // context @24, ring id @32 (nodeid @32, seq @40), entries @48, ids from @56
	expectedEvSize  = 40 // context @24, expected_votes @32
	maxEventEntries = 1 << 16
)

// Request is one decoded request; which fields are set depends on ID.
type Request struct {
	ID       int32
	NodeID   uint32 // GETINFO (0: this node), SETVOTES
	Value    uint32 // SETEXPECTED expected votes, SETVOTES votes, QDEVICE_MASTER_WINS allow
	Context  uint64 // TRACKSTART
	Flags    uint32 // TRACKSTART
	Name     string // QDEVICE_*: the device's (old) name
	NewName  string // QDEVICE_UPDATE
	CastVote bool   // QDEVICE_POLL
	Ring     services.RingID
}

// reqSize is request id's exact size (0: unknown id).
func reqSize(id int32) int {
	switch id {
	case ReqGetInfo, ReqSetExpected, ReqSetVotes:
		return u32ReqSize
	case ReqTrackStart:
		return trackReqSize
	case ReqTrackStop:
		return ReqHdrSize
	case ReqQdeviceRegister, ReqQdeviceUnregister:
		return nameReqSize
	case ReqQdeviceUpdate:
		return updateReqSize
	case ReqQdevicePoll:
		return pollReqSize
	case ReqQdeviceMasterWins:
		return mwReqSize
	}
	return 0
}

// reqName reads a char[255] name; it must hold its NUL (corosync copies
// it with strcpy and would abort otherwise).
func reqName(b []byte) (string, bool) {
	f := b[:QdeviceNameLen]
	i := bytes.IndexByte(f, 0)
	if i < 0 {
		return "", false
	}
	return string(f[:i]), true
}

// DecodeRequest checks and decodes req (header included; len(req) is the
// header's size): an unknown id, a size other than the request's exact
// size or a device name without its NUL gives ErrInvalidParam (r.ID is
// set whenever the header is there).
func DecodeRequest(req []byte) (Request, quorum.Error) {
	var r Request
	if len(req) < ReqHdrSize {
		return r, cserror.ErrInvalidParam
	}
	r.ID = int32(le.Uint32(req))
	if n := reqSize(r.ID); n == 0 || len(req) != n {
		return r, cserror.ErrInvalidParam
	}
	ok := true
	switch r.ID {
	case ReqGetInfo:
		r.NodeID = le.Uint32(req[16:])
	case ReqSetExpected:
		r.Value = le.Uint32(req[16:])
	case ReqSetVotes:
		r.Value, r.NodeID = le.Uint32(req[16:]), le.Uint32(req[20:])
	case ReqTrackStart:
		r.Context, r.Flags = le.Uint64(req[16:]), le.Uint32(req[24:])
	case ReqQdeviceRegister, ReqQdeviceUnregister:
		r.Name, ok = reqName(req[reqNameOff:])
	case ReqQdeviceUpdate:
		var ok2 bool
		r.Name, ok = reqName(req[reqNameOff:])
		r.NewName, ok2 = reqName(req[reqNameOff+QdeviceNameLen:])
		ok = ok && ok2
	case ReqQdevicePoll:
		r.Name, ok = reqName(req[reqNameOff:])
		r.CastVote = le.Uint32(req[272:]) != 0
		r.Ring = services.RingID{Rep: le.Uint32(req[280:]), Seq: le.Uint64(req[288:])}
	case ReqQdeviceMasterWins:
		r.Name, ok = reqName(req[reqNameOff:])
		r.Value = le.Uint32(req[272:])
	}
	if !ok {
		return r, cserror.ErrInvalidParam
	}
	return r, cserror.OK
}

// Info is GETINFO's answer (struct votequorum_info).
type Info struct {
	NodeID          uint32
	State           uint32 // NodeMember, NodeDead, NodeLeaving
	Votes           uint32
	ExpectedVotes   uint32
	HighestExpected uint32
	TotalVotes      uint32
	Quorum          uint32
	Flags           uint32 // Info* flags
	QdeviceVotes    uint32
	QdeviceName     string
}

// PutGetInfo writes the GETINFO reply into b[:320].
func PutGetInfo(b []byte, res quorum.Error, in Info) {
	clear(b[:GetInfoResSize])
	quorum.PutResHdr(b, ResGetInfo, GetInfoResSize, res)
	for i, v := range []uint32{in.NodeID, in.State, in.Votes, in.ExpectedVotes, in.HighestExpected,
		in.TotalVotes, in.Quorum, in.Flags, in.QdeviceVotes} {
		le.PutUint32(b[24+4*i:], v)
	}
	putName(b[getInfoNameOff:getInfoNameOff+QdeviceNameLen], in.QdeviceName)
}

// DecodeGetInfo reads a GETINFO reply (its error is the caller's to check).
func DecodeGetInfo(b []byte) (Info, error) {
	var in Info
	if len(b) < GetInfoResSize {
		return in, ErrBadMessage
	}
	f := make([]uint32, 9)
	for i := range f {
		f[i] = le.Uint32(b[24+4*i:])
	}
	in = Info{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], cName(b[getInfoNameOff : getInfoNameOff+QdeviceNameLen])}
	return in, nil
}

// NodeStatus is one entry of the quorum notification.
type NodeStatus struct{ NodeID, State uint32 }

// AppendQuorumEvent appends the QUORUM_NOTIFICATION event: 48 + 8·n.
func AppendQuorumEvent(b []byte, quorate bool, context uint64, nodes []NodeStatus) []byte {
	start := len(b)
	b = append(b, make([]byte, quorumEvSize)...)
	h := b[start:]
	quorum.PutResHdr(h, ResQuorumNotification, quorumEvSize+8*len(nodes), cserror.OK)
	le.PutUint32(h[24:], uint32(b8(quorate)))
	le.PutUint64(h[32:], context)
	le.PutUint32(h[40:], uint32(len(nodes)))
	for _, n := range nodes {
		b = le.AppendUint32(b, n.NodeID)
		b = le.AppendUint32(b, n.State)
	}
	return b
}

// AppendNodeListEvent appends the NODELIST_NOTIFICATION event: 56 + 4·n.
func AppendNodeListEvent(b []byte, context uint64, ring services.RingID, members []uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, nodeListEvSize)...)
	h := b[start:]
	quorum.PutResHdr(h, ResNodeListNotification, nodeListEvSize+4*len(members), cserror.OK)
	le.PutUint64(h[24:], context)
	le.PutUint32(h[32:], ring.Rep)
	le.PutUint64(h[40:], ring.Seq)
	le.PutUint32(h[48:], uint32(len(members)))
	for _, id := range members {
		b = le.AppendUint32(b, id)
	}
	return b
}

// AppendExpectedEvent appends the EXPECTEDVOTES_NOTIFICATION event (40).
func AppendExpectedEvent(b []byte, context uint64, expected uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, expectedEvSize)...)
	h := b[start:]
	quorum.PutResHdr(h, ResExpectedVotesNotification, expectedEvSize, cserror.OK)
	le.PutUint64(h[24:], context)
	le.PutUint32(h[32:], expected)
	return b
}

// Event is one decoded notification; ID says which fields are set.
type Event struct {
	ID            int32 // ResQuorumNotification, ResNodeListNotification, ResExpectedVotesNotification
	Context       uint64
	Quorate       bool            // quorum
	Nodes         []NodeStatus    // quorum: every node known (the qdevice as node 0)
	Ring          services.RingID // nodelist
	Members       []uint32        // nodelist
	ExpectedVotes uint32          // expected votes
}

// ErrBadMessage: a reply or event too short for what it says it holds,
// or of an unknown id.
var ErrBadMessage = errors.New("votequorum: malformed message")

// DecodeEvent decodes one event, checking counts against its length.
func DecodeEvent(b []byte) (Event, error) {
	var ev Event
	if len(b) < ResHdrSize {
		return ev, ErrBadMessage
	}
	ev.ID = int32(le.Uint32(b))
	switch ev.ID {
	case ResQuorumNotification:
		if len(b) < quorumEvSize {
			return ev, ErrBadMessage
		}
		ev.Quorate, ev.Context = le.Uint32(b[24:]) != 0, le.Uint64(b[32:])
		n := le.Uint32(b[40:])
		if n > maxEventEntries || quorumEvSize+8*int(n) > len(b) {
			return ev, ErrBadMessage
		}
		ev.Nodes = make([]NodeStatus, n)
		for i := range ev.Nodes {
			o := quorumEvSize + 8*i
			ev.Nodes[i] = NodeStatus{le.Uint32(b[o:]), le.Uint32(b[o+4:])}
		}
	case ResNodeListNotification:
		if len(b) < nodeListEvSize {
			return ev, ErrBadMessage
		}
		ev.Context = le.Uint64(b[24:])
		ev.Ring = services.RingID{Rep: le.Uint32(b[32:]), Seq: le.Uint64(b[40:])}
		n := le.Uint32(b[48:])
		if n > maxEventEntries || nodeListEvSize+4*int(n) > len(b) {
			return ev, ErrBadMessage
		}
		ev.Members = make([]uint32, n)
		for i := range ev.Members {
			ev.Members[i] = le.Uint32(b[nodeListEvSize+4*i:])
		}
	case ResExpectedVotesNotification:
		if len(b) < expectedEvSize {
			return ev, ErrBadMessage
		}
		ev.Context, ev.ExpectedVotes = le.Uint64(b[24:]), le.Uint32(b[32:])
	default:
		return ev, ErrBadMessage
	}
	return ev, nil
}
