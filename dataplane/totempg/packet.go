package totempg

import (
	"encoding/binary"
	"errors"
	"slices"
)

// PacketHeaderSize is the size of the fixed header at the start of every
// totempg packet: version u16, type u16, fragmented u8, continuation u8,
// msg_count u16.
const PacketHeaderSize = 8

// Errors returned for malformed input. They are plain sentinels so that the
// error paths do not allocate either; compare with errors.Is.
var (
	// ErrShortPacket: the packet is shorter than its header, or than the
	// length table its msg_count announces (corosync logs "too short" and
	// ignores the packet).
	ErrShortPacket = errors.New("totempg: packet truncated")
	// ErrLengthMismatch: header + length table + Σ lengths is not exactly
	// the packet length (corosync's "doesn't have expected length" check).
	ErrLengthMismatch = errors.New("totempg: piece lengths do not add up to the packet length")
	// ErrBadFragment: fragmented != 0 with msg_count == 0. A fragmented
	// packet must carry at least the piece that continues; corosync would
	// index its length table at -1 here.
	ErrBadFragment = errors.New("totempg: fragmented packet without pieces")
)

// PacketHeader is the fixed header of a totempg packet.
type PacketHeader struct {
	Version uint16 // always 0; corosync neither checks nor converts it
	Type    uint16 // always 0; corosync neither checks nor converts it
	// Fragmented is non-zero when the last piece of the packet is an
	// incomplete message that continues in the sender's next packet. The
	// value is a fragment number 1..255; the next packet carries the same
	// number in Continuation.
	Fragmented uint8
	// Continuation equals the previous packet's Fragmented when the first
	// piece of this packet continues a message; 0 otherwise.
	Continuation uint8
	MsgCount     uint16 // number of pieces (entries in the length table)
}

func get16(b []byte, bigEndian bool) uint16 {
	if bigEndian {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func put16(b []byte, v uint16, bigEndian bool) {
	if bigEndian {
		binary.BigEndian.PutUint16(b, v)
	} else {
		binary.LittleEndian.PutUint16(b, v)
	}
}

// DecodePacketHeader decodes the first PacketHeaderSize bytes of b, written
// by a sender of the given byte order. It checks only the size.
func DecodePacketHeader(b []byte, bigEndian bool) (PacketHeader, error) {
	if len(b) < PacketHeaderSize {
		return PacketHeader{}, ErrShortPacket
	}
	return PacketHeader{
		Version:      get16(b[0:], bigEndian),
		Type:         get16(b[2:], bigEndian),
		Fragmented:   b[4],
		Continuation: b[5],
		MsgCount:     get16(b[6:], bigEndian),
	}, nil
}

// PutPacketHeader writes h into the first PacketHeaderSize bytes of b, which
// must be long enough.
func PutPacketHeader(b []byte, h PacketHeader, bigEndian bool) {
	_ = b[PacketHeaderSize-1]
	put16(b[0:], h.Version, bigEndian)
	put16(b[2:], h.Type, bigEndian)
	b[4] = h.Fragmented
	b[5] = h.Continuation
	put16(b[6:], h.MsgCount, bigEndian)
}

// Packet is a validated view of one totempg packet. It aliases the bytes it
// was parsed from and allocates nothing.
type Packet struct {
	Header    PacketHeader
	lens      []byte // the length table, MsgCount u16s in sender order
	data      []byte // the pieces, concatenated
	bigEndian bool
}

// ParsePacket validates b as a totempg packet the way corosync's receive
// path does: the header is present, the length table fits, and header +
// table + Σ lengths equals len(b) exactly. It additionally rejects a
// fragmented packet with no pieces (ErrBadFragment).
func ParsePacket(b []byte, bigEndian bool) (Packet, error) {
	h, err := DecodePacketHeader(b, bigEndian)
	if err != nil {
		return Packet{}, err
	}
	tableEnd := PacketHeaderSize + 2*int(h.MsgCount)
	if len(b) < tableEnd {
		return Packet{}, ErrShortPacket
	}
	total := tableEnd
	for i := PacketHeaderSize; i < tableEnd; i += 2 {
		total += int(get16(b[i:], bigEndian))
	}
	if total != len(b) {
		return Packet{}, ErrLengthMismatch
	}
	if h.MsgCount == 0 && h.Fragmented != 0 {
		return Packet{}, ErrBadFragment
	}
	return Packet{Header: h, lens: b[PacketHeaderSize:tableEnd], data: b[tableEnd:], bigEndian: bigEndian}, nil
}

// Count is the number of pieces, Header.MsgCount as an int.
func (p *Packet) Count() int { return len(p.lens) / 2 }

// Len is the length of piece i.
func (p *Packet) Len(i int) int { return int(get16(p.lens[2*i:], p.bigEndian)) }

// Data is all pieces concatenated.
func (p *Packet) Data() []byte { return p.data }

// Piece returns piece i. It walks the length table, so it is O(i).
func (p *Packet) Piece(i int) []byte {
	off := 0
	for j := 0; j < i; j++ {
		off += p.Len(j)
	}
	return p.data[off : off+p.Len(i)]
}

// AppendPacket appends to dst a packet with header h and the given pieces in
// the given byte order. h.MsgCount is ignored and len(pieces) written
// instead. A piece longer than 65535 bytes, or more than 65535 pieces, gives
// ErrTooLarge. It is meant for tests and tools; the Packer does not use it.
func AppendPacket(dst []byte, h PacketHeader, pieces [][]byte, bigEndian bool) ([]byte, error) {
	if len(pieces) > 0xffff {
		return dst, ErrTooLarge
	}
	size := PacketHeaderSize + 2*len(pieces)
	for _, pc := range pieces {
		if len(pc) > 0xffff {
			return dst, ErrTooLarge
		}
		size += len(pc)
	}
	h.MsgCount = uint16(len(pieces))
	dst = slices.Grow(dst, size)
	start := len(dst)
	dst = dst[:start+PacketHeaderSize+2*len(pieces)]
	PutPacketHeader(dst[start:], h, bigEndian)
	for i, pc := range pieces {
		put16(dst[start+PacketHeaderSize+2*i:], uint16(len(pc)), bigEndian)
	}
	for _, pc := range pieces {
		dst = append(dst, pc...)
	}
	return dst, nil
}
