package cfg

import (
	"bytes"
	"encoding/binary"

	"github.com/gorosync/gorosync/services/cserror"
)

// Request ids (LIBQB_IPC_SPEC §5.2): the index into corosync's handler
// table for the cfg socket.
const (
	ReqRingStatusGet   int32 = 0
	ReqRingReenable    int32 = 1
	ReqKillNode        int32 = 2
	ReqTryShutdown     int32 = 3
	ReqReplyToShutdown int32 = 4
	ReqGetNodeAddrs    int32 = 5
	ReqLocalGet        int32 = 6
	ReqReloadConfig    int32 = 7
	ReqReopenLogFiles  int32 = 8
	ReqNodeStatusGet   int32 = 9
	ReqTrackStart      int32 = 10
	ReqTrackStop       int32 = 11
	numReqs                  = 12
)

// Reply and event ids: corosync numbers them apart from the requests.
const (
	ResRingStatusGet   int32 = 0
	ResRingReenable    int32 = 1
	ResTrackStart      int32 = 2
	ResTrackStop       int32 = 3
	ResKillNode        int32 = 8
	ResTryShutdown     int32 = 9
	ResTestShutdown    int32 = 10 // the event a tracker gets
	ResGetNodeAddrs    int32 = 11
	ResLocalGet        int32 = 12
	ResReplyToShutdown int32 = 13
	ResReloadConfig    int32 = 14
	ResReopenLogFiles  int32 = 15
	ResNodeStatusGet   int32 = 16
)

// Shutdown flags (TRYSHUTDOWN) and replies (REPLYTOSHUTDOWN).
const (
	ShutdownRequest    uint32 = 0 // ask the trackers; any NO or silence vetoes
	ShutdownRegardless uint32 = 1 // ask the trackers, then go down anyway
	ShutdownImmediate  uint32 = 2 // go down without asking
	ReplyNo            uint32 = 0
	ReplyYes           uint32 = 1
)

// NodeStatusV1 is the only NODESTATUSGET structure version corosync 3.1.7
// knows.
const NodeStatusV1 uint32 = 1

// Wire sizes and offsets (checked against corosync 3.1.7's ipc_cfg.h with
// the C compiler: every struct is 8-byte aligned).
const (
	ReqHeaderSize = 16 // id i32 @0, size i32 @8
	ResHeaderSize = 24 // id i32 @0, size i32 @8, error i32 @16

	killNodeReqSize   = 288 // nodeid @16, reason cs_name_t @24
	killReasonOff     = 24  // cs_name_t: length u16 @0, value[256] @2
	csNameMax         = 256
	wordReqSize       = 24 // TRYSHUTDOWN, REPLYTOSHUTDOWN, GET_NODE_ADDRS, TRACKSTART: one field @16
	nodeStatusReqSize = 32 // nodeid @16, version @24

	// RingStatusResSize is RINGSTATUSGET's reply: interface_count @24,
	// interface_name[16][128] @32, interface_status[16][512] @2080.
	RingStatusResSize = 10272
	ringNamesOff      = 32
	ringStatusOff     = 2080
	// MaxInterfaces bounds the links one RINGSTATUSGET reply describes.
	MaxInterfaces   = 16
	ringNameLen     = 128
	ringStatusLen   = 512
	localGetResSize = 32 // local_nodeid @24

	// NodeStatusResSize is NODESTATUSGET's v1 reply; node_status @24:
	// version @0, nodeid @4, reachable @8, remote @9, external @10,
	// onwire_min/max/ver @11..13, MaxLinks link records of 520 bytes @16.
	NodeStatusResSize    = 4200
	nodeStatusVersionRes = 32 // the reply on error: version @24
	nodeStatusOff        = 24
	linkStatusOff        = 16
	linkStatusSize       = 520 // enabled @0, connected @1, dynconnected @2, mtu @4, src[256] @8, dst[256] @264
	hostLen              = 256

	// NodeAddrsResSize is GET_NODE_ADDRS's reply without addresses:
	// family @24, num_addrs @28, then 16 bytes per address @32.
	NodeAddrsResSize = 32
	addrLen          = 16
	testShutdownSize = 32 // flags @24
)

// Address families as corosync puts them on the wire (Linux values).
const (
	AFInet  uint32 = 2
	AFInet6 uint32 = 10
)

var le = binary.LittleEndian

// reqSize is the exact size of each request, by id.
var reqSize = [numReqs]int{
	ReqRingStatusGet:   ReqHeaderSize,
	ReqRingReenable:    ReqHeaderSize,
	ReqKillNode:        killNodeReqSize,
	ReqTryShutdown:     wordReqSize,
	ReqReplyToShutdown: wordReqSize,
	ReqGetNodeAddrs:    wordReqSize,
	ReqLocalGet:        ReqHeaderSize,
	ReqReloadConfig:    ReqHeaderSize,
	ReqReopenLogFiles:  ReqHeaderSize,
	ReqNodeStatusGet:   nodeStatusReqSize,
	ReqTrackStart:      wordReqSize,
	ReqTrackStop:       ReqHeaderSize,
}

// RequestSize is the size corosync's libcfg sends for request id; false
// for an unknown id.
func RequestSize(id int32) (int, bool) {
	if id < 0 || id >= numReqs {
		return 0, false
	}
	return reqSize[id], true
}

// Request is one decoded cfg request; which fields mean something depends
// on ID.
type Request struct {
	ID         int32
	NodeID     uint32 // KILLNODE, GET_NODE_ADDRS (0 = local), NODESTATUSGET
	Reason     string // KILLNODE: the cs_name_t value up to its first NUL
	Flags      uint32 // TRYSHUTDOWN
	Response   uint32 // REPLYTOSHUTDOWN
	Version    uint32 // NODESTATUSGET
	TrackFlags uint8  // TRACKSTART
}

// DecodeRequest checks and decodes req (header included; len(req) is the
// header's size, as the shm server guarantees). An unknown id, or a size
// other than the one libcfg sends, is ErrInvalidParam; r.ID is the
// header's id, or -1 when req is too short for a header.
func DecodeRequest(req []byte) (r Request, e Error) {
	if len(req) < ReqHeaderSize {
		r.ID = -1
		return r, cserror.ErrInvalidParam
	}
	r.ID = int32(le.Uint32(req))
	want, ok := RequestSize(r.ID)
	if !ok || len(req) != want {
		return r, cserror.ErrInvalidParam
	}
	switch r.ID {
	case ReqKillNode:
		r.NodeID = le.Uint32(req[16:])
		r.Reason = csName(req[killReasonOff:killNodeReqSize])
	case ReqTryShutdown:
		r.Flags = le.Uint32(req[16:])
	case ReqReplyToShutdown:
		r.Response = le.Uint32(req[16:])
	case ReqGetNodeAddrs:
		r.NodeID = le.Uint32(req[16:])
	case ReqNodeStatusGet:
		r.NodeID = le.Uint32(req[16:])
		r.Version = le.Uint32(req[24:])
	case ReqTrackStart:
		r.TrackFlags = req[16]
	}
	return r, cserror.OK
}

// csName reads a cs_name_t's value (the server ignores its length field,
// as corosync prints the value as a C string): up to the first NUL, at
// most 255 bytes (an unterminated value is cut where libcfg's NUL would
// be).
func csName(b []byte) string {
	v := b[2 : 2+csNameMax-1]
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v)
}

// EncodeRequest builds the request libcfg sends for r (exact size, zero
// padding). A KILLNODE reason is cut to 255 bytes, as libcfg refuses
// longer ones (CS_ERR_NAME_TOO_LONG, checked by the caller). An unknown
// id gives a bare 16-byte header.
func EncodeRequest(r Request) []byte {
	size, ok := RequestSize(r.ID)
	if !ok {
		size = ReqHeaderSize
	}
	b := make([]byte, size)
	le.PutUint32(b[0:], uint32(r.ID))
	le.PutUint32(b[8:], uint32(size))
	switch r.ID {
	case ReqKillNode:
		le.PutUint32(b[16:], r.NodeID)
		reason := r.Reason
		if len(reason) > csNameMax-1 {
			reason = reason[:csNameMax-1]
		}
		le.PutUint16(b[killReasonOff:], uint16(len(reason)+1)) // libcfg counts the NUL
		copy(b[killReasonOff+2:], reason)
	case ReqTryShutdown:
		le.PutUint32(b[16:], r.Flags)
	case ReqReplyToShutdown:
		le.PutUint32(b[16:], r.Response)
	case ReqGetNodeAddrs:
		le.PutUint32(b[16:], r.NodeID)
	case ReqNodeStatusGet:
		le.PutUint32(b[16:], r.NodeID)
		le.PutUint32(b[24:], r.Version)
	case ReqTrackStart:
		b[16] = r.TrackFlags
	}
	return b
}

// PutResHeader writes a response header into b[:24].
func PutResHeader(b []byte, id int32, size int, e Error) {
	clear(b[:ResHeaderSize])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[16:], uint32(e))
}

// ResHeader reads a response header: ok is false when b is shorter than
// a header or than the size it claims.
func ResHeader(b []byte) (id int32, size int, e Error, ok bool) {
	if len(b) < ResHeaderSize {
		return 0, 0, 0, false
	}
	id = int32(le.Uint32(b[0:]))
	size = int(int32(le.Uint32(b[8:])))
	e = Error(int32(le.Uint32(b[16:])))
	return id, size, e, size >= ResHeaderSize && size <= len(b)
}

// putCString writes s NUL-terminated into the fixed field b, cut to
// len(b)-1 bytes.
func putCString(b []byte, s string) {
	clear(b)
	if len(s) > len(b)-1 {
		s = s[:len(b)-1]
	}
	copy(b, s)
}

// cString reads a NUL-terminated string from the fixed field b.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
