package ring

import (
	"errors"
	"sync/atomic"
)

// ErrFull is returned by Offer when every slot is taken: the producer
// retries later (CS_ERR_TRY_AGAIN at the client API).
var ErrFull = errors.New("ring: full")

// ErrTooLarge is returned by Offer for a message longer than a slot.
var ErrTooLarge = errors.New("ring: message larger than a slot")

// cacheLine pads hot counters apart so that producers and the consumer do
// not invalidate each other's cache lines (false sharing).
const cacheLine = 64

// slot is one message: its sequence number says whose turn it is
// (Dmitry Vyukov's bounded MPMC queue, used here with one consumer).
type slot struct {
	seq  atomic.Uint64
	n    int
	data []byte
}

// MPSC is a bounded multi-producer, single-consumer ring of byte messages.
// Producers copy into a slot they claimed; the consumer reads slots in
// order and releases them. Memory is allocated once, in NewMPSC.
type MPSC struct {
	_     [cacheLine]byte
	tail  atomic.Uint64 // next position producers claim
	_     [cacheLine - 8]byte
	head  uint64 // next position the consumer reads (consumer only)
	_     [cacheLine - 8]byte
	mask  uint64
	slots []slot
}

// NewMPSC makes a ring of capacity slots (a power of two) of slotBytes each.
func NewMPSC(capacity, slotBytes int) (*MPSC, error) {
	if capacity < 2 || capacity&(capacity-1) != 0 || slotBytes < 1 {
		return nil, errors.New("ring: capacity must be a power of two ≥ 2 and slots non-empty")
	}
	r := &MPSC{mask: uint64(capacity - 1), slots: make([]slot, capacity)}
	backing := make([]byte, capacity*slotBytes)
	for i := range r.slots {
		r.slots[i].data = backing[i*slotBytes : (i+1)*slotBytes : (i+1)*slotBytes]
		r.slots[i].seq.Store(uint64(i))
	}
	return r, nil
}

// Offer copies msg into the ring. Any goroutine may call it.
func (r *MPSC) Offer(msg []byte) error { return r.OfferParts(nil, msg) }

// Poll hands the oldest committed message to fn and releases its slot;
// it reports whether there was one. Only the consumer calls it. msg is
// valid only during fn.
func (r *MPSC) Poll(fn func(msg []byte)) bool {
	s := &r.slots[r.head&r.mask]
	if s.seq.Load() != r.head+1 {
		return false
	}
	fn(s.data[:s.n])
	s.seq.Store(r.head + r.mask + 1) // free for the position a lap later
	r.head++
	return true
}

// OfferParts is Offer for a message in two parts (a header and a body),
// copied back to back without building it first.
func (r *MPSC) OfferParts(head, body []byte) error {
	if len(head)+len(body) > len(r.slots[0].data) {
		return ErrTooLarge
	}
	for {
		pos := r.tail.Load()
		s := &r.slots[pos&r.mask]
		switch seq := s.seq.Load(); {
		case seq == pos: // free for this position: claim it
			if r.tail.CompareAndSwap(pos, pos+1) {
				s.n = copy(s.data, head)
				s.n += copy(s.data[s.n:], body)
				s.seq.Store(pos + 1) // commit: visible to the consumer
				return nil
			}
		case seq < pos: // the consumer has not released it yet
			return ErrFull
		}
		// another producer claimed pos first: try the next one
	}
}

// PollIf hands the oldest committed message to fn and releases its slot
// only if fn returns true (it took the message); otherwise the message
// stays first in line. It reports whether a message was taken.
func (r *MPSC) PollIf(fn func(msg []byte) bool) bool {
	s := &r.slots[r.head&r.mask]
	if s.seq.Load() != r.head+1 || !fn(s.data[:s.n]) {
		return false
	}
	s.seq.Store(r.head + r.mask + 1)
	r.head++
	return true
}

// Ready reports whether a committed message waits to be polled. Only the
// consumer calls it (before sleeping, to close the race with a producer
// that offered just before the consumer said it sleeps).
func (r *MPSC) Ready() bool {
	return r.slots[r.head&r.mask].seq.Load() == r.head+1
}

// Drain polls up to max messages and returns how many it handed over.
func (r *MPSC) Drain(max int, fn func(msg []byte)) int {
	n := 0
	for n < max && r.Poll(fn) {
		n++
	}
	return n
}
