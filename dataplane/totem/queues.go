package totem

// frameBuf is a buffer of NetMTU bytes that holds one encoded mcast frame.
// Buffers are created on first need and then circulate: a submission or a
// receipt takes a spare one, broadcasting moves it into the sort queue, and
// release makes it spare again. A steady ring therefore allocates nothing
// once it has seen its largest backlog.
type frameBuf struct {
	buf []byte
	n   int // encoded frame length
}

// bufferStack holds spare frame buffers; created counts every buffer it
// ever made, so a caller can tell when warm-up is over.
type bufferStack struct {
	spare   [][]byte
	size    int
	created uint64
}

func (s *bufferStack) take() []byte {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b
	}
	s.created++
	return make([]byte, s.size)
}

func (s *bufferStack) give(b []byte) {
	if b != nil {
		s.spare = append(s.spare, b)
	}
}

// sendEntry is a submitted message waiting for the token.
type sendEntry struct {
	frameBuf
	safe bool
}

// sendQueue is the bounded FIFO of locally originated messages
// (corosync's new_message_queue).
type sendQueue struct {
	entries    []sendEntry
	head, size int
}

func newSendQueue(capacity int) sendQueue {
	return sendQueue{entries: make([]sendEntry, capacity)}
}

func (q *sendQueue) len() int   { return q.size }
func (q *sendQueue) avail() int { return len(q.entries) - q.size }

// tail returns the next free entry; the caller fills it and calls push.
func (q *sendQueue) tail() *sendEntry {
	return &q.entries[(q.head+q.size)%len(q.entries)]
}

func (q *sendQueue) push()             { q.size++ }
func (q *sendQueue) front() *sendEntry { return &q.entries[q.head] }

func (q *sendQueue) pop() {
	q.head = (q.head + 1) % len(q.entries)
	q.size--
}

// slot is one position of the receive window.
type slot struct {
	frameBuf
	used      bool
	safe      bool
	sender    uint32
	missCount uint32
	bigEndian bool
}

// sortQueue is the receive window indexed by sequence number: positions
// lastReleased+1 .. lastReleased+size are addressable.
type sortQueue struct {
	slots []slot
	mask  uint32
}

func newSortQueue(size int) sortQueue {
	return sortQueue{slots: make([]slot, size), mask: uint32(size - 1)}
}

func (q *sortQueue) at(seq uint32) *slot { return &q.slots[seq&q.mask] }

// inRange reports whether seq falls in the window above released.
func (q *sortQueue) inRange(released, seq uint32) bool {
	return seq-released-1 <= q.mask
}

// release clears the slots (from, to] and returns their buffers to spare,
// so the buffers in use track the messages in flight, not the window size.
func (q *sortQueue) release(from, to uint32, spare *bufferStack) {
	for s := from + 1; seqLE(s, to); s++ {
		sl := q.at(s)
		spare.give(sl.buf)
		*sl = slot{}
	}
}
