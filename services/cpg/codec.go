package cpg

import "encoding/binary"

// The IPC wire layout of corosync 3.1.7's cpg (LIBQB_IPC_SPEC §5.3,
// ipc_cpg.h), little-endian, used by the service to decode requests and
// encode replies and events, and by Go clients (cpgclient) the other way
// round, so that both sides read one table.

var le = binary.LittleEndian

// Request ids.
const (
	ReqJoin         = 0
	ReqLeave        = 1
	ReqMcast        = 2
	ReqMembership   = 3
	ReqLocalGet     = 4
	ReqIterInit     = 5
	ReqIterNext     = 6
	ReqIterFinalize = 7
	ReqFinalize     = 8
	ReqZcAlloc      = 9
	ReqZcFree       = 10
	ReqZcExecute    = 11
	ReqPartialMcast = 12
	numReqs         = 13
)

// Reply and event ids.
const (
	ResJoin           = 0
	ResLeave          = 1
	ResMcast          = 2
	ResMembership     = 3
	ResConfchg        = 4
	ResDeliver        = 5
	ResLocalGet       = 7
	ResIterInit       = 9
	ResIterNext       = 10
	ResIterFinalize   = 11
	ResFinalize       = 12
	ResTotemConfchg   = 13
	ResPartialDeliver = 17
	ResPartialSend    = 18
)

// Message sizes and field offsets.
const (
	ReqHeaderSize = 16 // qb_ipc_request_header: id i32 @0, size i32 @8
	ResHeaderSize = 24 // qb_ipc_response_header: id @0, size @8, error @16
	NameSize      = 136
	NameMax       = 128 // CPG_MAX_NAME_LENGTH
	AddressSize   = 24  // mar_cpg_address_t: nodeid @0, pid @8, reason @16

	JoinReqSize  = 168 // group @16, pid @152, flags @160
	LeaveReqSize = 160 // group @16, pid @152
	ReqGroupOff  = 16
	ReqPidOff    = 152
	JoinFlagsOff = 160

	McastReqSize   = 40 // + msglen; a 24-byte response-style header
	GuaranteeOff   = 24
	McastLenOff    = 32
	McastMsgOff    = 40
	PartialReqSize = 56 // + fraglen
	PartialFragOff = 40
	PartialTypeOff = 48
	PartialMsgOff  = 56

	MembershipReqSize  = 152 // group @16
	MembershipResSize  = 9248
	MembershipCountOff = 24
	MembershipListOff  = 32
	MembershipMax      = 384 // PROCESSOR_COUNT_MAX entries in the reply

	LocalGetReqSize = 16
	LocalGetResSize = 32 // local_nodeid @24

	IterInitReqSize = 160 // group @16, iteration_type @152
	IterTypeOff     = 152
	IterInitResSize = 32 // iteration_handle @24
	IterReqSize     = 24 // ITERATIONNEXT, ITERATIONFINALIZE: handle @16
	IterHandleOff   = 16
	IterNextResSize = 168 // group @24, nodeid @160, pid @164

	FinalizeReqSize = 16

	ZcAllocReqSize   = 152 // map_size u64 @16, path_to_file[128] @24
	ZcPathOff        = 24
	ZcPathMax        = 128 // CPG_ZC_PATH_LEN
	ZcFreeReqSize    = 32  // map_size @16, server_address @24
	ZcExecuteReqSize = 24  // server_address @16
	// ZcHeaderSize is struct coroipcs_zc_header at the start of a mapping
	// (map_size i32 @0, server_address u64 @8); the MCAST request follows.
	ZcHeaderSize = 16

	DeliverSize        = 184 // + msglen: group @24, msglen @160, nodeid @168, pid @176
	PartialDeliverSize = 200 // + fraglen: group @24, msglen @160, fraglen @168, nodeid @176, pid @184, type @192
	ConfchgSize        = 184 // + 24·(members+left+joined): group @24, counts @160 (members), @168 (joined), @176 (left)
	TotemConfchgSize   = 48  // + 4·n: ring nodeid @24, seq @32, count @40, node ids from @44
	EvGroupOff         = 24
)

// MaxAtomicMsgSize is libcpg's largest message sent in one MCAST request
// (IPC_REQUEST_SIZE 1 MiB less 1024 bytes for headers); larger messages go
// as PARTIAL_MCAST fragments of at most this size.
const MaxAtomicMsgSize = 1<<20 - 1024

// Guarantee is cpg_guarantee_t. corosync 3.1.7 delivers all four as
// agreed. gorosync sends Safe with the host's safe guarantee (delivered
// once every member holds the message) and the other three as agreed.
type Guarantee uint32

// The guarantees.
const (
	Unordered Guarantee = 0
	FIFO      Guarantee = 1
	Agreed    Guarantee = 2
	Safe      Guarantee = 3
)

// Reason is the reason of a confchg address entry.
type Reason uint32

// The confchg reasons (members carry ReasonUndefined).
const (
	ReasonUndefined Reason = 0
	ReasonJoin      Reason = 1
	ReasonLeave     Reason = 2
	ReasonNodeDown  Reason = 3
	ReasonNodeUp    Reason = 4
	ReasonProcDown  Reason = 5
)

func (r Reason) String() string {
	switch r {
	case ReasonUndefined:
		return "-"
	case ReasonJoin:
		return "join"
	case ReasonLeave:
		return "leave"
	case ReasonNodeDown:
		return "nodedown"
	case ReasonNodeUp:
		return "nodeup"
	case ReasonProcDown:
		return "procdown"
	}
	return "reason?"
}

// Partial fragment types (LIBCPG_PARTIAL_*).
const (
	PartialFirst     uint32 = 1
	PartialContinued uint32 = 2
	PartialLast      uint32 = 3
)

// IterType is cpg_iteration_type_t.
type IterType uint32

// The iteration types.
const (
	IterNameOnly IterType = 1
	IterOneGroup IterType = 2
	IterAll      IterType = 3
)

// FlagInitialTotemConf is CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF, the one
// model-data flag: send the handle a totem confchg right after its join.
const FlagInitialTotemConf uint32 = 1

// Address is a process in a confchg or membership list.
type Address struct {
	NodeID uint32
	PID    uint32
	Reason Reason
}

// RingID is a totem ring id as the totem confchg event carries it.
type RingID struct {
	NodeID uint32
	Seq    uint64
}

// PutName writes a mar_cpg_name_t (136 bytes) at b: length, then the
// name, zero-padded.
func PutName(b []byte, name []byte) {
	_ = b[NameSize-1]
	le.PutUint32(b, uint32(len(name)))
	clear(b[4:NameSize])
	copy(b[8:NameSize], name)
}

// GetName reads a mar_cpg_name_t at b (136 bytes): the name's bytes
// (aliasing b) and whether its length is valid (≤ 128).
func GetName(b []byte) ([]byte, bool) {
	_ = b[NameSize-1]
	n := le.Uint32(b)
	if n > NameMax {
		return nil, false
	}
	return b[8 : 8+n], true
}

// PutReqHeader writes a request header (id, size).
func PutReqHeader(b []byte, id int32, size int) {
	le.PutUint32(b, uint32(id))
	le.PutUint32(b[4:], 0)
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[12:], 0)
}

// PutResHeader writes a response header (id, size, error); CPG's MCAST
// and PARTIAL_MCAST requests use this header too (error 0).
func PutResHeader(b []byte, id int32, size int, e Error) {
	le.PutUint32(b, uint32(id))
	le.PutUint32(b[4:], 0)
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[12:], 0)
	le.PutUint32(b[16:], uint32(e))
	le.PutUint32(b[20:], 0)
}

// HeaderID and HeaderSize read a header's id and size fields.
func HeaderID(b []byte) int32   { return int32(le.Uint32(b)) }
func HeaderSize(b []byte) int32 { return int32(le.Uint32(b[8:])) }

// HeaderError reads a response header's error field.
func HeaderError(b []byte) Error { return Error(le.Uint32(b[16:])) }

// putAddress writes one mar_cpg_address_t.
func putAddress(b []byte, a Address) {
	clear(b[:AddressSize])
	le.PutUint32(b, a.NodeID)
	le.PutUint32(b[8:], a.PID)
	le.PutUint32(b[16:], uint32(a.Reason))
}

func getAddress(b []byte) Address {
	return Address{NodeID: le.Uint32(b), PID: le.Uint32(b[8:]), Reason: Reason(le.Uint32(b[16:]))}
}
