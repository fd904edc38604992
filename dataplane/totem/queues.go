package totem

// frameBuf is a buffer of NetMTU bytes that holds one encoded mcast frame.
// Buffers are created on first need and then circulate: a submission or a
// receipt takes a spare one, broadcasting moves it into a sort queue, and
// release hands it back. A steady ring therefore allocates nothing once it
// has seen its largest backlog.
type frameBuf struct {
	buf []byte
	n   int // encoded frame length
}

// bufferStack holds spare frame buffers. A released buffer is quarantined
// until the caller acknowledges the batch that may still reference it
// (Advance); only then can it be handed out again. created counts every
// buffer ever made, so a caller can tell when warm-up is over.
type bufferStack struct {
	spare      [][]byte
	quarantine [][]byte
	size       int
	created    uint64
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
		s.quarantine = append(s.quarantine, b)
	}
}

// settle makes the first n quarantined buffers spare again.
func (s *bufferStack) settle(n int) {
	s.spare = append(s.spare, s.quarantine[:n]...)
	s.quarantine = s.quarantine[:copy(s.quarantine, s.quarantine[n:])]
}

// sendEntry is a message waiting for the token: a local submission, or in
// RECOVERY an old-ring message wrapped for re-broadcast.
type sendEntry struct {
	frameBuf
	safe         bool
	encapsulated bool
}

// sendQueue is a bounded FIFO of entries (corosync's new_message_queue and
// retrans_message_queue).
type sendQueue struct {
	entries    []sendEntry
	head, size int
}

func newSendQueue(capacity int) sendQueue {
	return sendQueue{entries: make([]sendEntry, capacity)}
}

func (q *sendQueue) len() int   { return q.size }
func (q *sendQueue) avail() int { return len(q.entries) - q.size }

// tail returns the next free entry, with a buffer; the caller fills it and
// calls push.
func (q *sendQueue) tail(bufs *bufferStack) *sendEntry {
	e := &q.entries[(q.head+q.size)%len(q.entries)]
	if e.buf == nil {
		e.buf = bufs.take()
	}
	return e
}

func (q *sendQueue) push()             { q.size++ }
func (q *sendQueue) front() *sendEntry { return &q.entries[q.head] }

func (q *sendQueue) pop() {
	q.head = (q.head + 1) % len(q.entries)
	q.size--
}

// clear drops every queued entry, keeping buffers with their entries.
func (q *sendQueue) clear() { q.head, q.size = 0, 0 }

// slot is one position of a receive window.
type slot struct {
	frameBuf
	used      bool
	safe      bool
	bigEndian bool
	sender    uint32
	missCount uint32
}

// sortQueue is a receive window indexed by sequence number: positions
// released+1 .. released+size are addressable.
type sortQueue struct {
	slots    []slot
	mask     uint32
	released uint32
}

func newSortQueue(size int) sortQueue {
	return sortQueue{slots: make([]slot, size), mask: uint32(size - 1)}
}

func (q *sortQueue) at(seq uint32) *slot { return &q.slots[seq&q.mask] }

func (q *sortQueue) inRange(seq uint32) bool { return seq-q.released-1 <= q.mask }

func (q *sortQueue) holds(seq uint32) bool { return q.inRange(seq) && q.at(seq).used }

// releaseTo frees the slots up to and including to.
func (q *sortQueue) releaseTo(to uint32, bufs *bufferStack) {
	if to-q.released > q.mask+1 {
		return // not a forward move within the window
	}
	for s := q.released + 1; s != to+1; s++ {
		q.free(q.at(s), bufs)
	}
	q.released = to
}

// reset empties the queue and starts its window after head.
func (q *sortQueue) reset(head uint32, bufs *bufferStack) {
	for i := range q.slots {
		q.free(&q.slots[i], bufs)
	}
	q.released = head
}

func (q *sortQueue) free(sl *slot, bufs *bufferStack) {
	if sl.used {
		bufs.give(sl.buf)
		*sl = slot{}
		return
	}
	sl.missCount = 0
}
