package cpg

// Conn is what the service needs of an IPC connection. *shm.Conn is one;
// tests give the engine their own.
type Conn interface {
	// RespondParts sends one reply (it starts with the 24-byte header).
	RespondParts(parts ...[]byte) error
	// EventParts sends one event to the client's event channel.
	EventParts(parts ...[]byte) error
	// SetFlowControl sets the word libqb clients read before each send:
	// 0 open, 1 every send refused, 2 CPG multicasts refused.
	SetFlowControl(v int32)
	SetContext(v any)
	Context() any
	// UID is the client's user id (zero-copy files must be its own).
	UID() uint32
	// MaxMsgSize is the connection's largest message.
	MaxMsgSize() int
	// Close disconnects the client (Disconnected follows).
	Close()
}

// cpdState is a connection's place in corosync's join/leave cycle.
type cpdState uint8

const (
	stateUnjoined cpdState = iota
	stateLeaveStarted
	stateJoinStarted
	stateJoinCompleted
)

func (s cpdState) String() string {
	return [...]string{"unjoined", "leave-started", "join-started", "join-completed"}[s]
}

// cpd is one IPC connection's cpg state (corosync's cpg_pd).
type cpd struct {
	conn      Conn // nil once disconnected: an orphan still sending its queue
	state     cpdState
	group     *group // nil while unjoined
	pid       uint32
	flags     uint32
	finalized bool // FINALIZE received: no more callbacks

	initialTotemSent bool
	// transitions counts the confchgs sent to the connection;
	// partialStart is its value at a fragmented message's first part.
	transitions, partialStart uint64

	iters    map[uint64]*iteration
	nextIter uint64
	zc       map[uint64]*zcMap
	nextZc   uint64

	out      outQueue
	inBlog   bool // on the engine's backlog
	fc       int32
	warnedFc bool
	dropped  uint64 // multicasts dropped (not joined, malformed)
}

// receives tells whether the connection gets its group's messages and
// confchgs (JOIN_COMPLETED or LEAVE_STARTED, not finalized).
func (d *cpd) receives() bool {
	return d.conn != nil && !d.finalized && (d.state == stateJoinCompleted || d.state == stateLeaveStarted)
}

// joined: its join was requested and no leave yet (what a disconnect turns
// into a PROCDOWN leave).
func (d *cpd) joined() bool { return d.state == stateJoinStarted || d.state == stateJoinCompleted }

// outMsg is one exec message accepted from the connection and not sent yet.
type outMsg struct {
	fn   uint16
	safe bool
	body []byte
}

// outQueue is a FIFO of outMsgs with their byte count. The bodies of sent
// messages are kept for reuse, so that a connection whose sends keep
// queueing (a saturated ring) allocates nothing per message once its
// buffers have grown.
type outQueue struct {
	msgs      []outMsg
	head      int
	bytes     int
	free      [][]byte // bodies of popped messages, for push to reuse
	freeBytes int      // their capacity
}

// maxFreeBytes bounds the buffers one queue keeps for reuse: enough for a
// queue that fills to twice the default QueueBytes in a burst and drains.
const maxFreeBytes = 8 << 20

func (q *outQueue) len() int { return len(q.msgs) - q.head }

func (q *outQueue) push(safe bool, fn uint16, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	body := q.buffer(n)
	for _, p := range parts {
		body = append(body, p...)
	}
	if q.head > 0 && len(q.msgs) == cap(q.msgs) {
		// Slide the live part down instead of growing: a queue that never
		// empties would otherwise grow its slice for ever.
		live := copy(q.msgs, q.msgs[q.head:])
		clear(q.msgs[live:])
		q.msgs, q.head = q.msgs[:live], 0
	}
	q.msgs = append(q.msgs, outMsg{fn: fn, safe: safe, body: body})
	q.bytes += n
}

// buffer returns an empty buffer of capacity at least n: a kept one if
// one is large enough.
func (q *outQueue) buffer(n int) []byte {
	for i := len(q.free) - 1; i >= 0; i-- {
		if b := q.free[i]; cap(b) >= n {
			last := len(q.free) - 1
			q.free[i] = q.free[last]
			q.free[last] = nil
			q.free = q.free[:last]
			q.freeBytes -= cap(b)
			return b[:0]
		}
	}
	return make([]byte, 0, n)
}

func (q *outQueue) front() outMsg { return q.msgs[q.head] }

func (q *outQueue) pop() {
	body := q.msgs[q.head].body
	q.bytes -= len(body)
	if q.freeBytes+cap(body) <= maxFreeBytes {
		q.free = append(q.free, body[:0])
		q.freeBytes += cap(body)
	}
	q.msgs[q.head] = outMsg{}
	q.head++
	if q.head == len(q.msgs) {
		q.msgs, q.head = q.msgs[:0], 0
	}
}
