package shm

import "runtime/debug"

// connState is a connection's life on the Poll side.
type connState uint8

const (
	stateOpen    connState = iota
	stateClosing           // teardown pending (runs at the end of the Poll pass)
	stateClosed
)

// Conn is one client connection. Its methods must be called on the
// goroutine that calls Server.Poll (handlers run there), except the
// read-only identity accessors (PID, UID, GID, Service, ID, MaxMsgSize),
// which any goroutine may call.
type Conn struct {
	s       *Server
	svc     *service
	id      uint64
	slot    int32
	gen     uint32
	faulted bool // the client truncated a mapped ring file: never touch it again
	pid     uint32
	uid     uint32
	gid     uint32
	maxMsg  int
	mode    Mode
	setupFd int
	dir     string
	ctx     any

	shm  shmConn  // ModeSHM resources
	sock sockConn // ModeSocket resources

	// Poll-goroutine state.
	adopted     bool
	state       connState
	reason      string
	queue       eventQueue
	owed        int  // SHM: event notification bytes not yet sent
	notePending bool // on the server's notes list: owed bytes go out at Flush
	// SHM: requests taken from the ring before their notification bytes
	// were read, Polls in a row that found the ring empty, and whether the
	// connection is on the server's list for BeforeSleep.
	ahead, quiet int
	readDeferred bool
	setupMask    uint32 // current epoll mask of the setup socket
	inRetry      bool   // on the server's retry list
	closeErr     error
}

// PID is the client's process id (from its credentials at connect).
func (c *Conn) PID() uint32 { return c.pid }

// UID is the client's user id.
func (c *Conn) UID() uint32 { return c.uid }

// GID is the client's group id.
func (c *Conn) GID() uint32 { return c.gid }

// Service is the name of the service the client connected to.
func (c *Conn) Service() string { return c.svc.name }

// ID is unique among all connections of the server's life.
func (c *Conn) ID() uint64 { return c.id }

// MaxMsgSize is the negotiated maximum message size of every channel.
func (c *Conn) MaxMsgSize() int { return c.maxMsg }

// Mode is the connection's transport.
func (c *Conn) Mode() Mode { return c.mode }

// Dir is the per-connection directory in /dev/shm.
func (c *Conn) Dir() string { return c.dir }

// SetContext stores the service's per-connection state.
func (c *Conn) SetContext(v any) { c.ctx = v }

// Context returns what SetContext stored.
func (c *Conn) Context() any { return c.ctx }

// QueuedEvents is the number of events waiting for room in the client's
// event channel.
func (c *Conn) QueuedEvents() int { return c.queue.n }

// Closed reports whether the connection is closing or closed.
func (c *Conn) Closed() bool { return c.state != stateOpen }

// Respond sends one response: msg starts with the 24-byte response header.
// SHM: written to the response ring (the client waits on its semaphore;
// no notification byte). Socket mode: one datagram.
func (c *Conn) Respond(msg []byte) error { return c.RespondParts(msg) }

// RespondParts is Respond for a message given in parts, copied straight
// from the caller's buffers into the channel (no allocation).
func (c *Conn) RespondParts(parts ...[]byte) error {
	if c.state != stateOpen {
		return ErrClosed
	}
	n := totalLen(parts)
	if n > c.maxMsg {
		c.s.stats.responseErrors.Add(1)
		return ErrTooBig
	}
	var err error
	if c.mode == ModeSHM {
		err = c.shmRespond(parts, n)
	} else {
		err = c.sockRespond(parts, n)
	}
	if err != nil {
		c.s.stats.responseErrors.Add(1)
		return err
	}
	c.s.stats.responses.Add(1)
	return nil
}

// Event sends one event (msg starts with the 24-byte response header).
// SHM: written to the event ring, its semaphore posted, and exactly one
// notification byte sent on the setup socket (deferred while that socket
// is full, keeping bytes and events 1:1). When the channel is full the
// event is queued (copied) and sent, in order, as the client makes room;
// when the queue exceeds Config.EventQueue events or EventQueueBytes the
// connection is disconnected as stalled and ErrStalled returned.
func (c *Conn) Event(msg []byte) error { return c.EventParts(msg) }

// EventParts is Event for a message given in parts.
func (c *Conn) EventParts(parts ...[]byte) error {
	if c.state != stateOpen {
		return ErrClosed
	}
	n := totalLen(parts)
	if n > c.maxMsg {
		return ErrTooBig
	}
	if c.queue.n > 0 {
		c.flushQueue() // keep the order: older events first
		if c.state != stateOpen {
			return ErrClosed
		}
	}
	if c.queue.n == 0 {
		switch err := c.sendEvent(parts, n); err {
		case nil:
			return nil
		case errWouldBlock:
		case ErrTooBig:
			return err
		default:
			c.closeWith("event send failed", err)
			return ErrClosed
		}
	}
	cfg := &c.s.cfg
	if c.queue.n >= cfg.EventQueue || c.queue.bytes+n > cfg.EventQueueBytes {
		c.s.stats.stalled.Add(1)
		c.s.log.Warn("ipc: stalled client (not reading its events), disconnecting", "service", c.svc.name,
			"id", c.id, "pid", c.pid, "queued_events", c.queue.n, "queued_bytes", c.queue.bytes)
		c.closeWith("stalled client: event queue full", ErrStalled)
		return ErrStalled
	}
	c.queue.push(parts, n)
	c.s.stats.queued.Add(1)
	c.s.retryAdd(c)
	return nil
}

// errWouldBlock: the channel is full now; queue and retry.
var errWouldBlock = ErrFull

// sendEvent writes one event to the channel or returns errWouldBlock.
func (c *Conn) sendEvent(parts [][]byte, n int) error {
	var err error
	if c.mode == ModeSHM {
		err = c.shmEvent(parts, n)
	} else {
		err = c.sockEvent(parts, n)
	}
	if err == nil {
		c.s.stats.events.Add(1)
	}
	return err
}

// flushQueue sends queued events, oldest first, while the channel takes
// them; it returns how many went.
func (c *Conn) flushQueue() int {
	sent := 0
	for c.queue.n > 0 && c.state == stateOpen {
		var one [1][]byte
		one[0] = c.queue.front()
		switch err := c.sendEvent(one[:], len(one[0])); err {
		case nil:
			c.queue.pop()
			sent++
		case errWouldBlock:
			return sent
		default:
			c.closeWith("event send failed", err)
			return sent
		}
	}
	return sent
}

// SetFlowControl sets the flow-control word the client reads before every
// send (SHM: request ring header offset 8240; socket: control file offset
// 4): 0 send allowed, 1 every send gets EAGAIN, 2 CPG multicasts get
// EAGAIN (spec §3.8). Requests already sent are still processed.
func (c *Conn) SetFlowControl(v int32) {
	if c.state != stateOpen {
		return
	}
	if c.mode == ModeSHM {
		defer debug.SetPanicOnFault(panicOnFault())
		defer c.faultGuard(nil)
		c.shm.req.SetFlowControl(v)
	} else {
		c.sock.setFlowControl(v)
	}
}

// FlowControl reads the flow-control word back.
func (c *Conn) FlowControl() int32 {
	if c.state == stateClosed {
		return 0
	}
	if c.mode == ModeSHM && !c.faulted {
		defer debug.SetPanicOnFault(panicOnFault())
		defer c.faultGuard(nil)
		return c.shm.req.FlowControl()
	}
	if c.mode == ModeSHM {
		return 0
	}
	return c.sock.flowControl()
}

// Close disconnects the client (server-initiated). The teardown runs at
// the end of the current (or next) Poll pass; Handler.Disconnected follows.
func (c *Conn) Close() { c.closeWith("closed by the server", nil) }

// closeWith marks the connection for teardown. It never tears down inline:
// the caller may be inside a handler iterating its connections.
func (c *Conn) closeWith(reason string, err error) {
	if c.state != stateOpen {
		return
	}
	c.state = stateClosing
	c.reason = reason
	c.closeErr = err
	c.s.closing = append(c.s.closing, c)
	c.s.wake()
}

func totalLen(parts [][]byte) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// eventQueue is a FIFO of copied events. Buffers are kept for reuse (up to
// reuseMax bytes each) so that a connection that queues now and then does
// not allocate in steady state.
type eventQueue struct {
	bufs  [][]byte // circular; len is a power of two
	head  int
	n     int
	bytes int
}

const reuseMax = 64 << 10

func (q *eventQueue) push(parts [][]byte, n int) {
	if q.n == len(q.bufs) {
		grown := make([][]byte, max(8, 2*len(q.bufs)))
		for i := 0; i < q.n; i++ {
			grown[i] = q.bufs[(q.head+i)&(len(q.bufs)-1)]
		}
		// keep the spare buffers too
		for i := q.n; i < len(q.bufs); i++ {
			grown[i] = q.bufs[(q.head+i)&(len(q.bufs)-1)]
		}
		q.bufs, q.head = grown, 0
	}
	i := (q.head + q.n) & (len(q.bufs) - 1)
	b := q.bufs[i]
	if cap(b) < n {
		b = make([]byte, n, max(n, 256))
	}
	b = b[:0]
	for _, p := range parts {
		b = append(b, p...)
	}
	q.bufs[i] = b
	q.n++
	q.bytes += n
}

func (q *eventQueue) front() []byte { return q.bufs[q.head] }

func (q *eventQueue) pop() {
	b := q.bufs[q.head]
	q.bytes -= len(b)
	if cap(b) > reuseMax {
		q.bufs[q.head] = nil
	} else {
		q.bufs[q.head] = b[:0]
	}
	q.head = (q.head + 1) & (len(q.bufs) - 1)
	q.n--
}

// reset drops everything (teardown).
func (q *eventQueue) reset() { *q = eventQueue{} }
