//go:build linux

package qbring

import (
	"errors"
	"os"
)

// HeaderSize is sizeof(struct qb_ringbuffer_shared_s) on x86-64 (§3.2).
const HeaderSize = 8248

// Header layout (§3.2).
const (
	offWritePt   = 0    // uint32, written by the writer only
	offReadPt    = 4    // uint32, written by the reader only
	offWordSize  = 8    // uint32, data size / 4
	offHdrPath   = 12   // char[PATH_MAX]
	offDataPath  = 4108 // char[PATH_MAX]; the client opens this file
	offRefCount  = 8204 // int32
	offSem       = 8208 // glibc sem_t, 32 bytes
	offUserData  = 8240 // int32 flow-control word on request rings
	pathMax      = 4096
	userDataSize = 4 // the server creates every ring with 4 bytes of user data
	// headerFileSize is the size of the header file the server creates.
	headerFileSize = HeaderSize + userDataSize
)

// Chunk magics (§3.4).
const (
	magicCommitted = 0xA1A1A1A1
	magicAlloc     = 0xA110CED0
	magicDead      = 0xD0D0D0D0
)

const (
	chunkHeaderWords = 2  // length word, magic word
	chunkMargin      = 12 // bytes: 2 header words + 1 alignment word
	minWords         = 4  // smallest ring that holds an empty chunk
)

// Errors.
var (
	// ErrFull: not enough free space for the chunk now (libqb's EAGAIN).
	ErrFull = errors.New("qbring: ring full")
	// ErrEmpty: no committed chunk to read (the semaphore is 0).
	ErrEmpty = errors.New("qbring: ring empty")
	// ErrCorrupt: the shared header or data breaks the format (a bad
	// index, magic or length); the peer is broken or hostile.
	ErrCorrupt = errors.New("qbring: ring corrupt")
	// ErrTooBig: a claim that can never fit the ring, or a chunk longer
	// than the buffer given to Read (libqb's ENOBUFS); the chunk stays.
	ErrTooBig = errors.New("qbring: message too big")
	// ErrClosed: the Ring was closed.
	ErrClosed = errors.New("qbring: ring closed")
	// ErrNoClaim: Commit without a Claim, or a Len outside the claim.
	ErrNoClaim = errors.New("qbring: commit does not match a claim")
)

// DataSize is the data file size for a ring whose largest message is
// maxMsg bytes: maxMsg plus the 12-byte chunk margin plus 1, rounded up
// to the page size (4096 on x86-64), as libqb computes it on both sides
// (§3.1). DataSize(1<<20) = 1052672.
func DataSize(maxMsg int) int {
	page := os.Getpagesize()
	n := maxMsg + chunkMargin + 1
	return (n + page - 1) / page * page
}

// nextIndex is the word index of the chunk after one of n bytes at p in
// a ring of w words; p < w and n ≤ 4w keep it in uint64 range.
func nextIndex(p uint32, n uint32, w uint32) uint32 {
	q := uint64(p) + chunkHeaderWords + (uint64(n)+3)/4
	if q >= uint64(w) {
		q %= uint64(w)
	}
	return uint32(q)
}
