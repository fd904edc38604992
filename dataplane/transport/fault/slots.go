package fault

// A slot's state.
const (
	slotFree    uint8 = iota
	slotHeld          // in the due heap
	slotWaiting       // held for reordering, in the waiting list
	slotCopy          // a duplicate waiting for its original to be handed up
	slotLent          // handed up, until Release
)

// meta describes what a slot holds.
type meta struct {
	due   int64  // heap key: when the frame may be handed up
	ord   uint64 // heap tie-break: the order frames entered the heap
	seq   uint64 // arrival order of the frame (a copy: its original's)
	ready int64  // waiting: when the frame's delay is over
	until int64  // waiting: when it is handed up even if nothing passed it
	n     int32  // frame length
	copy  int32  // the copy to schedule when this frame is handed up; -1 none
	from  uint32
	state uint8
}

// slots are n buffers of size bytes carved from one slab, with the stack
// of free ones, the due heap and the reordering list, all sized n up front
// so that nothing grows.
type slots struct {
	slab []byte
	size int
	meta []meta
	free []int32 // the top is reused first
	heap []int32 // min-heap on (due, ord)
	wait []int32 // reordered frames, in arrival order
	ord  uint64  // the next heap entry's ord
}

func newSlots(n, size int) slots {
	s := slots{
		slab: make([]byte, n*size),
		size: size,
		meta: make([]meta, n),
		free: make([]int32, n),
		heap: make([]int32, 0, n),
		wait: make([]int32, 0, n),
	}
	for i := range s.free {
		s.free[i] = int32(n - 1 - i) // slot 0 on top
	}
	return s
}

// get takes a free slot, copies data into it and marks it state; false
// when every slot is busy or data does not fit.
func (s *slots) get(data []byte, from uint32, seq uint64, state uint8) (int32, bool) {
	if len(s.free) == 0 || len(data) > s.size {
		return -1, false
	}
	i := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	copy(s.slab[int(i)*s.size:], data)
	s.meta[i] = meta{n: int32(len(data)), copy: -1, from: from, seq: seq, state: state}
	return i, true
}

// put frees lent slot i; false if i was not lent (a foreign handle or a
// double release), which changes nothing.
func (s *slots) put(i int32) bool {
	if i < 0 || int(i) >= len(s.meta) || s.meta[i].state != slotLent {
		return false
	}
	s.meta[i].state = slotFree
	s.free = append(s.free, i) // never grows: cap is the slot count
	return true
}

// data is slot i's frame, its capacity capped so an append cannot reach
// the next slot.
func (s *slots) data(i int32) []byte {
	off := int(i) * s.size
	return s.slab[off : off+int(s.meta[i].n) : off+s.size]
}

// push puts slot i on the heap, due at due.
func (s *slots) push(i int32, due int64) {
	m := &s.meta[i]
	m.due, m.ord, m.state = due, s.ord, slotHeld
	s.ord++
	s.heap = append(s.heap, i) // never grows
	for j := len(s.heap) - 1; j > 0; {
		p := (j - 1) / 2
		if !s.less(s.heap[j], s.heap[p]) {
			break
		}
		s.heap[j], s.heap[p] = s.heap[p], s.heap[j]
		j = p
	}
}

// top is the heap's first slot; false when the heap is empty.
func (s *slots) top() (int32, bool) {
	if len(s.heap) == 0 {
		return -1, false
	}
	return s.heap[0], true
}

// pop removes the heap's first slot.
func (s *slots) pop() {
	last := len(s.heap) - 1
	s.heap[0] = s.heap[last]
	s.heap = s.heap[:last]
	for j := 0; ; {
		c := 2*j + 1
		if c >= last {
			break
		}
		if c+1 < last && s.less(s.heap[c+1], s.heap[c]) {
			c++
		}
		if !s.less(s.heap[c], s.heap[j]) {
			break
		}
		s.heap[j], s.heap[c] = s.heap[c], s.heap[j]
		j = c
	}
}

func (s *slots) less(a, b int32) bool {
	ma, mb := &s.meta[a], &s.meta[b]
	return ma.due < mb.due || ma.due == mb.due && ma.ord < mb.ord
}
