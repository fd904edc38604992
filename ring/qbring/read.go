//go:build linux

package qbring

import (
	"time"
)

// Peek returns the oldest committed chunk without copying it (§3.6 steps
// 1–3): it takes a semaphore token (ErrEmpty if there is none), checks
// the chunk at read_pt and returns its payload. The chunk stays until
// Release; calling Peek again before Release returns the same chunk
// without taking another token. If the chunk is not committed, or its
// index or length does not fit between read_pt and write_pt, the token is
// given back (as libqb does) and Peek returns ErrCorrupt. Only the ring's
// single reader calls it.
func (r *Ring) Peek() (Chunk, error) {
	if r.hdr == nil {
		return Chunk{}, ErrClosed
	}
	if r.peeked {
		return r.payload(r.peekAt, r.peekLen), nil
	}
	if !r.sem.TryWait() {
		return Chunk{}, ErrEmpty
	}
	return r.check()
}

// PeekWait is Peek that waits up to timeout for a token (the Go client's
// side, §3.6 last paragraph); it returns qbsem.ErrTimeout when none came.
func (r *Ring) PeekWait(timeout time.Duration) (Chunk, error) {
	if r.hdr == nil {
		return Chunk{}, ErrClosed
	}
	if r.peeked {
		return r.payload(r.peekAt, r.peekLen), nil
	}
	if err := r.sem.Wait(timeout); err != nil {
		return Chunk{}, err
	}
	return r.check()
}

// check validates the chunk at read_pt once a token is held. Everything
// read from shared memory is checked before it is used as an index.
func (r *Ring) check() (Chunk, error) {
	rd := load(r.hword(offReadPt))
	if rd >= r.words || load(&r.dw[(rd+1)%r.words]) != magicCommitted {
		return r.corrupt()
	}
	// The magic was loaded first: the length and write_pt the writer
	// stored before it are visible now.
	n := load(&r.dw[rd])
	w := load(r.hword(offWritePt))
	if w >= r.words || uint64(n) > uint64(r.MaxMsg()) {
		// A chunk longer than MaxMsg fits the data file but no writer
		// could have claimed it (Claim refuses it): only a hostile peer.
		return r.corrupt()
	}
	used := (w + r.words - rd) % r.words
	if used == 0 { // equal indices with a committed chunk: a full ring
		used = r.words
	}
	if uint64(chunkHeaderWords)+(uint64(n)+3)/4 > uint64(used) {
		return r.corrupt()
	}
	r.peeked, r.peekAt, r.peekLen = true, rd, n
	r.peekNext = nextIndex(rd, n, r.words)
	return r.payload(rd, n), nil
}

func (r *Ring) corrupt() (Chunk, error) {
	_ = r.sem.Post() // give the token back, as libqb does
	return Chunk{}, ErrCorrupt
}

// Release reclaims the chunk Peek returned (§3.6 step 4): length 0, the
// RECLAIMED magic, then read_pt moves on. Without a peeked chunk it does
// nothing.
func (r *Ring) Release() {
	if !r.peeked || r.hdr == nil {
		return
	}
	r.peeked = false
	p := r.peekAt
	store(&r.dw[p], 0)
	store(&r.dw[(p+1)%r.words], magicDead)
	store(r.hword(offReadPt), r.peekNext)
}

// Read copies the oldest committed chunk into dst and releases it,
// returning its length. When dst is too short it returns ErrTooBig and
// leaves the chunk (and its semaphore token) in the ring, as libqb's
// ENOBUFS does.
func (r *Ring) Read(dst []byte) (int, error) {
	c, err := r.Peek()
	return r.finishRead(dst, c, err)
}

// ReadWait is Read that waits up to timeout for a chunk (PeekWait).
func (r *Ring) ReadWait(dst []byte, timeout time.Duration) (int, error) {
	c, err := r.PeekWait(timeout)
	return r.finishRead(dst, c, err)
}

func (r *Ring) finishRead(dst []byte, c Chunk, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	if len(dst) < c.Len {
		r.peeked = false
		_ = r.sem.Post()
		return 0, ErrTooBig
	}
	n := copy(dst, c.A)
	copy(dst[n:], c.B)
	r.Release()
	return c.Len, nil
}
