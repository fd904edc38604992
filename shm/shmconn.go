package shm

import (
	"errors"
	"runtime/debug"

	"github.com/gorosync/gorosync/ring/qbring"
	"golang.org/x/sys/unix"
)

// shmConn is a connection's three libqb rings (spec §3): the client writes
// requests, the server writes responses and events.
type shmConn struct {
	req, resp, ev *qbring.Ring
}

// createRing is qbring.Create; tests replace it to fail half-way.
var createRing = qbring.Create

// createSHM makes the rings <dir>/qb-{request,response,event}-<svc> with
// the negotiated size, owned by the client, and fills in the response.
func (c *Conn) createSHM(r *connResponse) error {
	desc := c.dir + descSuffix
	svc := c.svc.name
	uid, gid := c.chownTo()
	bases := [3]string{desc + "-request-" + svc, desc + "-response-" + svc, desc + "-event-" + svc}
	rings := [3]**qbring.Ring{&c.shm.req, &c.shm.resp, &c.shm.ev}
	for i, base := range bases {
		ring, err := createRing(base, c.maxMsg, uid, gid)
		if err != nil {
			return err
		}
		*rings[i] = ring
	}
	r.request, r.response, r.event = bases[0], bases[1], bases[2]
	return nil
}

// destroySHM closes (ref_count − 1) and unlinks every ring that exists.
// The client may still have them mapped; it sees ref_count ≠ 2 and the
// setup socket hung up.
func (c *Conn) destroySHM() {
	for _, rp := range [3]**qbring.Ring{&c.shm.req, &c.shm.resp, &c.shm.ev} {
		if r := *rp; r != nil {
			c.closeRing(r)
			if err := r.Unlink(); err != nil {
				c.s.log.Warn("ipc: could not remove ring files", "err", err)
			}
		}
	}
}

// closeRing drops the server's reference to r, or, when the client broke
// the mapping (a fault already happened, or happens now), just unmaps it.
func (c *Conn) closeRing(r *qbring.Ring) {
	if c.faulted {
		r.Abandon()
		return
	}
	defer debug.SetPanicOnFault(panicOnFault())
	defer func() {
		if recover() != nil {
			c.faulted = true
			r.Abandon()
		}
	}()
	_ = r.Close()
}

// shmWrite copies parts into one chunk of ring and commits it (which posts
// the ring's semaphore).
func shmWrite(ring *qbring.Ring, parts [][]byte, n int) error {
	ch, err := ring.Claim(n)
	if err != nil {
		return err
	}
	a, b := ch.A, ch.B
	for _, p := range parts {
		k := copy(a, p)
		a = a[k:]
		b = b[copy(b, p[k:]):]
	}
	ch.Len = n
	return ring.Commit(ch)
}

// shmRespond writes a response chunk; no notification byte (§3.7).
func (c *Conn) shmRespond(parts [][]byte, n int) (err error) {
	defer debug.SetPanicOnFault(panicOnFault())
	defer c.faultGuard(&err)
	switch err := shmWrite(c.shm.resp, parts, n); {
	case err == nil:
		return nil
	case errors.Is(err, qbring.ErrFull):
		return ErrFull
	case errors.Is(err, qbring.ErrTooBig):
		return ErrTooBig
	default: // the client broke the ring's indices
		c.s.badRequest(c, "corrupt response ring", err)
		return ErrClosed
	}
}

// shmEvent writes an event chunk, then sends its notification byte.
func (c *Conn) shmEvent(parts [][]byte, n int) (err error) {
	defer debug.SetPanicOnFault(panicOnFault())
	defer c.faultGuard(&err)
	switch err := shmWrite(c.shm.ev, parts, n); {
	case err == nil:
	case errors.Is(err, qbring.ErrFull):
		return errWouldBlock
	case errors.Is(err, qbring.ErrTooBig):
		return ErrTooBig
	default:
		c.s.badRequest(c, "corrupt event ring", err)
		return ErrClosed
	}
	c.notify()
	return nil
}

// notify owes the event's notification byte; Flush (or the end of the
// Poll pass) sends every byte owed to a connection in one write. Bytes
// stay 1:1 with events (libqb's client reads one per event), but a pass
// that delivers many events to one client makes one system call instead
// of one per event.
func (c *Conn) notify() {
	c.owed++
	if !c.notePending {
		c.notePending = true
		c.s.notes = append(c.s.notes, c)
	}
}

// flushNotify sends owed notification bytes.
func (c *Conn) flushNotify() int {
	sent := 0
	for c.owed > 0 && c.state == stateOpen {
		n, e := sendNB(c.setupFd, c.s.zeros[:min(c.owed, len(c.s.zeros))])
		if n > 0 {
			c.owed -= n
			sent += n
			continue
		}
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.setWantOut(true)
			return sent
		}
		c.closeWith("notification bytes could not be sent", e)
		return sent
	}
	c.setWantOut(false)
	return sent
}

// setWantOut adds or removes EPOLLOUT on the setup socket.
func (c *Conn) setWantOut(on bool) {
	mask := uint32(unix.EPOLLIN)
	if on {
		mask |= unix.EPOLLOUT
	}
	if mask == c.setupMask || !c.adopted || c.state == stateClosed {
		return
	}
	c.setupMask = mask
	ev := unix.EpollEvent{Events: mask, Fd: c.slot, Pad: c.tag(tagSetup)}
	_ = unix.EpollCtl(c.s.ep, unix.EPOLL_CTL_MOD, c.setupFd, &ev)
}

// Requests are taken from a connection's request ring as soon as the ring
// has them (its semaphore, in memory), ahead of their notification bytes
// (§3.7: one per request); the bytes are read later, many in one read:
// when the loop is about to sleep (BeforeSleep), when the connection has
// been quiet for quietPasses Polls, or when aheadMax requests wait for
// theirs. A client sending request after request (libcpg's
// cpg_mcast_joined) then costs no read per request. The unread bytes keep
// the setup socket readable, so a Poll looks at the ring again.
const (
	// aheadMax bounds the bytes left unread per connection, far below
	// what the setup socket holds (libqb's client retries its send on
	// EAGAIN, spinning).
	aheadMax = 32
	// quietPasses: bytes of a connection with nothing new for this many
	// Polls are read even if nobody calls BeforeSleep (a caller that
	// sleeps on Fd would otherwise find it readable at once, forever).
	quietPasses = 16
)

// shmReadable handles the setup socket's POLLIN: the requests the ring
// holds (at most RequestsPerPass this pass), then the notification bytes
// unless they can wait. A 0-byte read or an error is a disconnect.
func (s *Server) shmReadable(c *Conn) int {
	took := s.shmTake(c)
	if took > 0 {
		c.quiet = 0
	} else {
		c.quiet++
	}
	if c.ahead > 0 && c.ahead < aheadMax && c.quiet < quietPasses && c.state == stateOpen {
		s.deferRead(c)
		return took
	}
	return took + s.shmReadBytes(c)
}

// shmTake takes up to RequestsPerPass requests from c's ring ahead of
// their notification bytes.
func (s *Server) shmTake(c *Conn) int {
	n := 0
	for n < s.cfg.RequestsPerPass && c.state == stateOpen && s.shmRequest(c, false) {
		n++
	}
	c.ahead += n
	if n > 0 && c.queue.n > 0 && c.state == stateOpen {
		c.flushQueue() // the client is active: it may have made room
	}
	return n
}

// shmReadBytes reads c's notification bytes: those of requests taken
// ahead are just counted off; each other one takes its request from the
// ring (or is a byte without a request, which libqb warns about). It reads
// no more bytes than it can match this pass, so that no request is left in
// the ring with its byte already read (nothing would wake the loop for
// it). It returns the requests it took.
func (s *Server) shmReadBytes(c *Conn) int {
	want := min(len(s.byteBuf), c.ahead+s.cfg.RequestsPerPass)
	n, e := readNB(c.setupFd, s.byteBuf[:want])
	switch {
	case e == unix.EAGAIN || e == unix.EINTR:
		return 0
	case e != 0:
		c.closeWith("setup socket error", e)
		return 0
	case n == 0:
		c.closeWith("client disconnected", nil)
		return 0
	}
	paid := min(n, c.ahead)
	c.ahead -= paid
	c.quiet = 0
	took := 0
	for i := paid; i < n && c.state == stateOpen; i++ {
		if s.shmRequest(c, true) {
			took++
		}
	}
	if c.queue.n > 0 && c.state == stateOpen {
		c.flushQueue() // the client is active: it may have made room
	}
	return took
}

// deferRead puts c on the list BeforeSleep reads.
func (s *Server) deferRead(c *Conn) {
	if !c.readDeferred {
		c.readDeferred = true
		s.deferred = append(s.deferred, c)
	}
}

// SpinPoll takes the requests already in the rings of the connections
// active lately (those whose notification bytes wait for BeforeSleep),
// without a system call; the token loop calls it while it spins between
// passes (loop.Spinner). A request is then answered within a fraction of a
// microsecond, often before its client has sent the notification byte and
// gone to sleep on the response semaphore, and the answer costs no
// wake-up. A connection with aheadMax bytes unread is left to Poll, which
// reads them. looked is how many connections it looked at.
func (s *Server) SpinPoll() (work, looked int) {
	for _, c := range s.deferred {
		if c.state != stateOpen || c.ahead >= aheadMax {
			continue
		}
		looked++
		if took := s.shmTake(c); took > 0 {
			c.quiet = 0
			work += took
		}
	}
	return work, looked
}

// BeforeSleep reads the notification bytes left unread for requests taken
// ahead of them, so that the setup sockets are not readable while the
// caller sleeps on Fd. The token loop calls it before every sleep. It
// returns the requests it took (bytes whose requests were not taken yet):
// the caller then does another pass instead of sleeping.
func (s *Server) BeforeSleep() int {
	took := 0
	for _, c := range s.deferred {
		c.readDeferred = false
		if c.state == stateOpen && c.ahead > 0 {
			took += s.shmReadBytes(c)
		}
	}
	clear(s.deferred)
	s.deferred = s.deferred[:0]
	return took
}

// shmRequest takes one request from the request ring (Peek takes the
// semaphore token the client posted), validates its header and hands a
// private copy of it to the handler. It says whether the ring had one;
// an empty ring after a notification byte was read (byteRead) is a byte
// without a request.
func (s *Server) shmRequest(c *Conn, byteRead bool) (took bool) {
	defer debug.SetPanicOnFault(panicOnFault())
	defer c.faultGuard(nil)
	ring := c.shm.req
	ch, err := ring.Peek()
	switch {
	case err == nil:
	case errors.Is(err, qbring.ErrEmpty):
		if byteRead { // libqb warns and goes on
			s.stats.badRequests.Add(1)
		}
		return false
	default:
		s.badRequest(c, "corrupt request ring", err)
		return false
	}
	h := ch.A
	var hdr [reqHeaderSize]byte
	if len(h) < reqHeaderSize {
		k := copy(hdr[:], ch.A)
		k += copy(hdr[k:], ch.B)
		h = hdr[:k]
	}
	size, v := checkRequest(h, ch.Len, c.maxMsg)
	switch v {
	case reqDisconnect:
		ring.Release()
		c.closeWith("client requested disconnect", nil)
		return true
	case reqBad:
		ring.Release()
		s.badRequest(c, "bad request header", nil)
		return true
	}
	// The request is copied out of shared memory and its chunk reclaimed
	// before the handler runs. Out: the client can no longer change the
	// bytes under the handler (a validated length read twice cannot turn
	// into a different one). Reclaimed first: a client that sends its next
	// request as soon as it has the response finds the whole ring free
	// (libqb's server reclaims after the handler, and its client then gets
	// EAGAIN when two large requests do not fit the ring together).
	req := s.scratch[:size]
	k := copy(req, ch.A)
	copy(req[k:], ch.B)
	ring.Release()
	s.stats.requests.Add(1)
	c.svc.handler.Request(c, req)
	return true
}
