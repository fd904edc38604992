//go:build linux

package qbring

import "sync/atomic"

// Chunk is the payload area of one chunk in the data file, seen without
// copying: A, then B when the chunk runs past the end of the file and
// continues at word 0. From Claim, A and B together are the n bytes
// claimed and the writer sets Len to the bytes it filled; from Peek, they
// are exactly Len bytes.
type Chunk struct {
	A, B []byte
	Len  int
}

// load and store are the shared-memory word accesses (atomic: the peer
// may access the same words concurrently).
func load(p *uint32) uint32     { return atomic.LoadUint32(p) }
func store(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

// freeWords is the writer's free-space rule (§3.4) for the write index w
// and read index rd, both < words.
func (r *Ring) freeWords(w, rd uint32) uint32 {
	switch {
	case w > rd:
		return rd - w + r.words - 1
	case w < rd:
		return rd - w - 1
	case r.sem.Value() > 0: // equal indices with unread chunks: full
		return 0
	default:
		return r.words
	}
}

// Claim reserves room for an n-byte chunk at write_pt (§3.5 steps 1–2):
// it needs free_words*4 ≥ n+12, else ErrFull (ErrTooBig if n could never
// fit this ring). It stores length 0 and the ALLOCATED magic and returns
// the payload area to fill. Only the ring's single writer calls it.
func (r *Ring) Claim(n int) (Chunk, error) {
	if r.hdr == nil {
		return Chunk{}, ErrClosed
	}
	if n < 0 || n > r.MaxMsg() {
		return Chunk{}, ErrTooBig
	}
	w, rd := load(r.hword(offWritePt)), load(r.hword(offReadPt))
	if w >= r.words || rd >= r.words {
		return Chunk{}, ErrCorrupt
	}
	if uint64(r.freeWords(w, rd))*4 < uint64(n)+chunkMargin {
		return Chunk{}, ErrFull
	}
	store(&r.dw[w], 0)
	store(&r.dw[(w+1)%r.words], magicAlloc)
	r.claimed, r.claimAt, r.claimLen = true, w, n
	return r.payload(w, uint32(n)), nil
}

// payload is the n bytes that follow the chunk header at word p, split
// at the end of the data file. p < words and n ≤ 4*words − 8.
func (r *Ring) payload(p, n uint32) Chunk {
	start := uint64((p+chunkHeaderWords)%r.words) * 4
	a := min(uint64(n), uint64(len(r.data))-start)
	end := start + a
	return Chunk{A: r.data[start:end:end], B: r.data[: uint64(n)-a : uint64(n)-a], Len: int(n)}
}

// Commit publishes the claimed chunk with c.Len bytes (§3.5 steps 4–7):
// length word, then write_pt, then the COMMITTED magic (atomic, last),
// then a semaphore post. The event ring's notification byte (§3.7) is the
// caller's.
func (r *Ring) Commit(c Chunk) error {
	if r.hdr == nil {
		return ErrClosed
	}
	if !r.claimed || c.Len < 0 || c.Len > r.claimLen {
		return ErrNoClaim
	}
	p := r.claimAt
	r.claimed = false
	store(&r.dw[p], uint32(c.Len))
	store(r.hword(offWritePt), nextIndex(p, uint32(c.Len), r.words))
	store(&r.dw[(p+1)%r.words], magicCommitted)
	return r.sem.Post()
}

// Write claims room for the parts together, copies them in order and
// commits them as one chunk.
func (r *Ring) Write(parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	c, err := r.Claim(n)
	if err != nil {
		return err
	}
	a, b := c.A, c.B
	for _, p := range parts {
		k := copy(a, p)
		a = a[k:]
		b = b[copy(b, p[k:]):]
	}
	return r.Commit(c)
}
