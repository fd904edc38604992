package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// An application message carries its identity and a checkable body:
// msgID u64 | flags u8 | length u32 | body, where the body is a window of a
// fixed pseudo-random pattern starting at an offset derived from msgID. A
// receiver can therefore prove it got exactly what was sent, not just
// something of the right length, at memcmp speed.
const (
	msgHeaderSize = 13
	flagSafe      = 1
)

func msgID(nodeIndex int, counter int) uint64 { return uint64(nodeIndex+1)<<32 | uint64(counter) }

func senderOf(id uint64) uint32 { return uint32(id >> 32) }

const patternOffsets = 4093 // prime: neighbouring ids get unrelated windows

var pattern = func() []byte {
	p := make([]byte, 1<<20+patternOffsets)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range p {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		p[i] = byte(x)
	}
	return p
}()

func body(id uint64, n int) []byte {
	off := int(id % patternOffsets)
	return pattern[off : off+n]
}

func buildMessage(b []byte, id uint64, safe bool) {
	binary.LittleEndian.PutUint64(b, id)
	b[8] = 0
	if safe {
		b[8] = flagSafe
	}
	binary.LittleEndian.PutUint32(b[9:], uint32(len(b)))
	copy(b[msgHeaderSize:], body(id, len(b)-msgHeaderSize))
}

var errCorrupt = errors.New("message body or length does not match its id")

func parseMessage(b []byte) (id uint64, safe bool, err error) {
	if len(b) < msgHeaderSize {
		return 0, false, errCorrupt
	}
	id = binary.LittleEndian.Uint64(b)
	if int(binary.LittleEndian.Uint32(b[9:])) != len(b) {
		return id, false, errCorrupt
	}
	if !bytes.Equal(b[msgHeaderSize:], body(id, len(b)-msgHeaderSize)) {
		return id, false, errCorrupt
	}
	return id, b[8]&flagSafe != 0, nil
}
