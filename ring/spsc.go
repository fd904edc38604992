package ring

import (
	"errors"
	"sync/atomic"
)

// SPSC is a bounded single-producer, single-consumer ring of byte
// messages for one goroutine handing work to another without locks or
// allocations. The producer claims a slot, fills it in place and commits
// it (zero-copy); the consumer polls committed slots in order. Each side
// keeps a cached copy of the other side's index so that it reads the
// other's cache line only when the cache says full or empty.
type SPSC struct {
	_         [cacheLine]byte
	tail      atomic.Uint64 // next position the producer commits
	headCache uint64        // producer's last view of head
	claimed   int           // bytes of the claimed slot, −1 when none (producer only)
	_         [cacheLine - 24]byte
	head      atomic.Uint64 // next position the consumer reads
	tailCache uint64        // consumer's last view of tail
	_         [cacheLine - 16]byte
	mask      uint64
	slotBytes int
	lens      []int
	buf       []byte
}

// NewSPSC makes a ring of capacity slots (a power of two) of slotBytes each.
func NewSPSC(capacity, slotBytes int) (*SPSC, error) {
	if capacity < 2 || capacity&(capacity-1) != 0 || slotBytes < 1 {
		return nil, errors.New("ring: capacity must be a power of two ≥ 2 and slots non-empty")
	}
	return &SPSC{
		claimed:   -1,
		mask:      uint64(capacity - 1),
		slotBytes: slotBytes,
		lens:      make([]int, capacity),
		buf:       make([]byte, capacity*slotBytes),
	}, nil
}

// Claim hands the producer the next free slot's buffer, n bytes long, to
// fill in place before Commit: ErrTooLarge if n exceeds a slot, ErrFull
// if the consumer has not freed one. Claiming again before Commit hands
// out the same slot.
func (r *SPSC) Claim(n int) ([]byte, error) {
	if n < 0 || n > r.slotBytes {
		return nil, ErrTooLarge
	}
	t := r.tail.Load()
	if t-r.headCache > r.mask {
		r.headCache = r.head.Load()
		if t-r.headCache > r.mask {
			return nil, ErrFull
		}
	}
	r.claimed = n
	off := int(t&r.mask) * r.slotBytes
	return r.buf[off : off+n : off+n], nil
}

// Commit publishes the claimed slot with its first n bytes as the
// message. It panics without a Claim or with n outside the claim: both
// are bugs in the producer.
func (r *SPSC) Commit(n int) {
	if r.claimed < 0 || n < 0 || n > r.claimed {
		panic("ring: SPSC.Commit without a matching Claim")
	}
	r.claimed = -1
	t := r.tail.Load()
	r.lens[t&r.mask] = n
	r.tail.Store(t + 1) // publishes the slot's bytes and length
}

// Offer copies msg into the ring (Claim, copy, Commit).
func (r *SPSC) Offer(msg []byte) error {
	b, err := r.Claim(len(msg))
	if err != nil {
		return err
	}
	r.Commit(copy(b, msg))
	return nil
}

// Poll hands the oldest committed message to fn and frees its slot; it
// reports whether there was one. Only the consumer calls it; msg is valid
// only during fn.
func (r *SPSC) Poll(fn func(msg []byte)) bool {
	h := r.head.Load()
	if h == r.tailCache {
		r.tailCache = r.tail.Load()
		if h == r.tailCache {
			return false
		}
	}
	i := h & r.mask
	off := int(i) * r.slotBytes
	fn(r.buf[off : off+r.lens[i] : off+r.lens[i]])
	r.head.Store(h + 1)
	return true
}

// Len is the number of committed, unpolled messages (a snapshot; any
// goroutine may call it).
func (r *SPSC) Len() int {
	h := r.head.Load()
	return int(r.tail.Load() - h)
}
