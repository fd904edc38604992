package wire

import (
	"encoding/binary"
	"fmt"
)

const (
	HeaderSize = 13     // magic u16, version u8, type u8, encapsulated u8, nodeid u32, target_nodeid u32
	Magic      = 0xC070 // TOTEM_MH_MAGIC; read byte-swapped it marks a big-endian sender
	Version    = 3      // TOTEM_MH_VERSION; corosync drops every other version

	// MaxRTREntries is corosync's RETRANSMIT_ENTRIES_MAX: no sender puts more
	// on a token, so a larger count is corruption or an attack.
	MaxRTREntries = 30
	// MaxNodes is corosync's PROCESSOR_COUNT_MAX; join and commit lists are
	// bounded by it (and so is corosync's receive buffer).
	MaxNodes = 384
)

// Encapsulated values. Only mcast gives the byte a meaning (1 marks an old-ring
// message re-sent during recovery); corosync 3.1.7 writes 0 in every other
// kind, and decoders pass whatever arrives through unchecked.
const (
	EncapsulatedYes uint8 = 1
	EncapsulatedNo  uint8 = 2
)

// MessageType is the header's type byte.
type MessageType uint8

const (
	TypeOrfToken        MessageType = 0
	TypeMcast           MessageType = 1
	TypeMergeDetect     MessageType = 2
	TypeJoin            MessageType = 3
	TypeCommitToken     MessageType = 4
	TypeTokenHoldCancel MessageType = 5
)

var typeNames = [...]string{
	TypeOrfToken:        "orf_token",
	TypeMcast:           "mcast",
	TypeMergeDetect:     "memb_merge_detect",
	TypeJoin:            "memb_join",
	TypeCommitToken:     "memb_commit_token",
	TypeTokenHoldCancel: "token_hold_cancel",
}

// String returns corosync's name for the message kind.
func (t MessageType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// Header is the common 13-byte totem message header.
//
// TargetNodeID is only meaningful with knet; over udpu corosync 3.1.7 leaves
// it uninitialised in tokens, joins and merge-detects, so it carries stack
// garbage. It is kept verbatim so that frames re-encode byte-identically, but
// receivers must not act on it.
type Header struct {
	Type         MessageType // set by Decode; Encode writes the method's own type instead
	Encapsulated uint8
	NodeID       uint32 // sender; 0 in a LEAVE (a memb_join sent on shutdown)
	TargetNodeID uint32
	// BigEndian is set by Decode from the magic. Encode writes every field
	// big-endian when it is true; the zero value means little-endian.
	BigEndian bool
}

// RingID identifies a ring: its representative and a sequence number.
type RingID struct {
	Rep uint32
	Seq uint64
}

// magicSwapped is how the magic of a big-endian frame reads little-endian.
const magicSwapped = Magic>>8 | Magic&0xff<<8

// ringIDSize is the packed size of a RingID.
const ringIDSize = 12

// String formats the ring id as corosync logs it (CS_PRI_RING_ID: both parts
// in hex), e.g. "1.a1".
func (r RingID) String() string { return fmt.Sprintf("%x.%x", r.Rep, r.Seq) }

// PeekHeader decodes and validates the header of any totem frame so that a
// receiver can pick the decoder for its type. It checks the length, the
// magic (in either byte order), the version and that the type is known.
func PeekHeader(b []byte) (Header, error) { return peekHeader(b, "header") }

func peekHeader(b []byte, what string) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, errShort(what, len(b), HeaderSize)
	}
	var big bool
	switch m := binary.LittleEndian.Uint16(b); m {
	case Magic:
	case magicSwapped:
		big = true
	default:
		return Header{}, fmt.Errorf("wire: %s: %w: %#04x", what, ErrBadMagic, m)
	}
	if b[2] != Version {
		return Header{}, fmt.Errorf("wire: %s: %w: %d, want %d", what, ErrBadVersion, b[2], Version)
	}
	t := MessageType(b[3])
	if t > TypeTokenHoldCancel {
		return Header{}, fmt.Errorf("wire: %s: %w: %d", what, ErrUnknownType, b[3])
	}
	r := reader{b: b[5:HeaderSize], big: big}
	return Header{
		Type:         t,
		Encapsulated: b[4],
		NodeID:       r.u32(),
		TargetNodeID: r.u32(),
		BigEndian:    big,
	}, nil
}

// decodeHeader is PeekHeader plus the check that the frame is of kind want.
// It returns a reader positioned just after the header.
func decodeHeader(b []byte, want MessageType) (Header, reader, error) {
	h, err := peekHeader(b, want.String())
	if err != nil {
		return Header{}, reader{}, err
	}
	if h.Type != want {
		return Header{}, reader{}, fmt.Errorf("wire: %s: %w: got %s", want, ErrWrongType, h.Type)
	}
	return h, reader{b: b[HeaderSize:], big: h.BigEndian}, nil
}

// put writes the header for a message of type t into b, which the caller has
// sized, and returns a writer positioned after it.
func (h *Header) put(b []byte, t MessageType) writer {
	if h.BigEndian {
		binary.BigEndian.PutUint16(b, Magic)
	} else {
		binary.LittleEndian.PutUint16(b, Magic)
	}
	b[2] = Version
	b[3] = byte(t)
	b[4] = h.Encapsulated
	w := writer{b: b[5:], big: h.BigEndian}
	w.u32(h.NodeID)
	w.u32(h.TargetNodeID)
	return w
}
