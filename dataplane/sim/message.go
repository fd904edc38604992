package sim

import (
	"encoding/binary"
	"errors"
)

// An application message carries its identity and a checkable body:
// msgID u64 | flags u8 | length u32 | body, where body byte i is a function
// of msgID and i. A receiver can therefore prove it got exactly what was
// sent, not just something of the right length.
const (
	msgHeaderSize = 13
	flagSafe      = 1
)

func msgID(nodeIndex int, counter int) uint64 { return uint64(nodeIndex+1)<<32 | uint64(counter) }

func senderOf(id uint64) uint32 { return uint32(id >> 32) }

func fillByte(id uint64, i int) byte { return byte(id*131 + uint64(i)*7 + id>>32) }

func buildMessage(b []byte, id uint64, safe bool) {
	binary.LittleEndian.PutUint64(b, id)
	b[8] = 0
	if safe {
		b[8] = flagSafe
	}
	binary.LittleEndian.PutUint32(b[9:], uint32(len(b)))
	for i := msgHeaderSize; i < len(b); i++ {
		b[i] = fillByte(id, i)
	}
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
	for i := msgHeaderSize; i < len(b); i++ {
		if b[i] != fillByte(id, i) {
			return id, false, errCorrupt
		}
	}
	return id, b[8]&flagSafe != 0, nil
}
