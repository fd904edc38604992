package shm

import "encoding/binary"

// requestVerdict is what to do with a request.
type requestVerdict uint8

const (
	reqOK         requestVerdict = iota
	reqDisconnect                // the client asks to go (libqb: size 0 or id -3)
	reqBad                       // a protocol violation: count and disconnect
)

// checkRequest validates a request header. h holds the first bytes of the
// message (at least 16 when avail ≥ 16), avail is the length of the chunk
// or datagram that carries it. The header's size must be ≥ 16, ≤ avail and
// ≤ maxMsg; a zero-length message, a zero size or id -3 (QB_IPC_MSG_
// DISCONNECT) is a disconnect request. It returns the message size.
func checkRequest(h []byte, avail, maxMsg int) (int, requestVerdict) {
	if avail == 0 {
		return 0, reqDisconnect
	}
	if avail < reqHeaderSize || len(h) < reqHeaderSize {
		return 0, reqBad
	}
	id := int32(binary.LittleEndian.Uint32(h[0:]))
	size := int32(binary.LittleEndian.Uint32(h[8:]))
	if id == msgDisconnect || size == 0 {
		return 0, reqDisconnect
	}
	if size < reqHeaderSize || int64(size) > int64(avail) || int64(size) > int64(maxMsg) {
		return 0, reqBad
	}
	return int(size), reqOK
}
