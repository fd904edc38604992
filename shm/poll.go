package shm

import (
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tags in the poller's epoll data: Fd is the connection's slot, Pad is
// the tag (top 8 bits) and the low 24 bits of the connection's generation,
// so that an event of a connection torn down earlier in the same batch is
// recognised as stale.
const (
	tagSetup     = 1 // a connection's setup (stream) socket
	tagSockReq   = 2 // socket mode: the request datagram socket
	tagSockEvent = 3 // socket mode: the event datagram socket (EPOLLOUT)
	tagWake      = 4 // the poller's eventfd
	tagTimer     = 5 // the retry timerfd
	genMask      = 1<<24 - 1
)

func (c *Conn) tag(kind int32) int32 { return kind<<24 | int32(c.gen&genMask) }

// Retry timer bounds: queued events are retried with a backoff while the
// client makes no room (the client does not signal when it reads).
const (
	retryMin = 2 * time.Millisecond
	retryMax = 100 * time.Millisecond
)

// Poll does one non-blocking pass on the caller's goroutine: adopt new
// connections, read notification bytes and requests (at most
// RequestsPerPass per connection, so every client gets its turn), send
// owed notification bytes and queued events, detect hang-ups and clean up
// closed connections. It returns how much work it did (0: nothing was
// ready). The token loop calls it whenever Fd is readable.
func (s *Server) Poll() int {
	if s.closed {
		return 0
	}
	work := s.Flush() // events written since the last pass
	work += s.reap()
	n, err := unix.EpollWait(s.ep, s.events, 0)
	if err != nil {
		n = 0
	}
	work += s.adoptIfWoken(s.events[:n])
	for i := 0; i < n; i++ {
		work += s.dispatch(&s.events[i])
	}
	if s.timerFired {
		s.timerFired = false
		work += s.retryPass()
	}
	work += s.Flush()
	work += s.reap()
	s.armTimer()
	return work
}

// adoptIfWoken takes finished handshakes from the acceptor when the
// eventfd says there are some. The eventfd is read before the handoff
// ring is drained, so that an offer after the drain always leaves it
// readable; it is read only when epoll reported it, which saves a system
// call in every pass that has no new connection.
func (s *Server) adoptIfWoken(events []unix.EpollEvent) int {
	for i := range events {
		if events[i].Pad>>24 == tagWake {
			var b [8]byte
			_, _ = readEventfd(s.wakeFd, b[:])
			return s.handoff.Drain(s.cfg.MaxConns, s.adoptFn)
		}
	}
	return 0
}

// Flush sends the notification bytes owed for events written since the
// last Flush, one write per connection. Poll flushes at its start and end;
// a caller that writes events outside Poll (the token loop delivering
// messages) calls Flush before it sleeps. It returns how many connections
// it wrote to.
func (s *Server) Flush() int {
	work := 0
	for _, c := range s.notes {
		c.notePending = false
		if c.state == stateOpen && c.owed > 0 && c.setupMask&unix.EPOLLOUT == 0 {
			c.flushNotify()
			work++
		}
	}
	clear(s.notes)
	s.notes = s.notes[:0]
	return work
}

// dispatch handles one epoll event.
func (s *Server) dispatch(ev *unix.EpollEvent) int {
	kind := ev.Pad >> 24
	switch kind {
	case tagWake:
		return 0 // read at the start of Poll
	case tagTimer:
		var b [8]byte
		_, _ = readEventfd(s.timerFd, b[:])
		s.timerArmed = false
		s.timerFired = true
		return 0
	}
	if ev.Fd < 0 || int(ev.Fd) >= len(s.slots) {
		return 0
	}
	c := s.slots[ev.Fd].Load()
	if c == nil || !c.adopted || c.state != stateOpen || c.tag(kind) != ev.Pad {
		return 0 // stale: torn down earlier in this batch
	}
	e := ev.Events
	switch kind {
	case tagSetup:
		work := 0
		if e&(unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			c.closeWith("client disconnected (hang-up)", nil)
			return 1
		}
		if e&unix.EPOLLOUT != 0 {
			work += c.flushNotify()
		}
		if e&unix.EPOLLIN != 0 {
			if c.mode == ModeSHM {
				work += s.shmReadable(c)
			} else {
				work += s.sockSetupReadable(c)
			}
		}
		return work
	case tagSockReq:
		if e&unix.EPOLLERR != 0 {
			_, _ = unix.GetsockoptInt(c.sock.reqFd, unix.SOL_SOCKET, unix.SO_ERROR)
		}
		if e&unix.EPOLLIN != 0 {
			return s.sockReadable(c)
		}
	case tagSockEvent:
		if e&unix.EPOLLERR != 0 {
			_, _ = unix.GetsockoptInt(c.sock.evFd, unix.SOL_SOCKET, unix.SO_ERROR)
		}
		if e&unix.EPOLLOUT != 0 {
			c.setEvWantOut(false)
			return c.flushQueue()
		}
	}
	return 0
}

// adoptMsg takes a connection the acceptor finished (its slot index) into
// the poller's epoll set and tells the handler.
func (s *Server) adoptMsg(msg []byte) {
	idx := int32(binary.LittleEndian.Uint32(msg))
	c := s.slots[idx].Load()
	if c == nil {
		return
	}
	if len(s.scratch) < c.maxMsg {
		s.scratch = make([]byte, c.maxMsg) // once per new largest size
	}
	c.setupMask = unix.EPOLLIN
	ev := unix.EpollEvent{Events: c.setupMask, Fd: c.slot, Pad: c.tag(tagSetup)}
	err := unix.EpollCtl(s.ep, unix.EPOLL_CTL_ADD, c.setupFd, &ev)
	if err == nil && c.mode == ModeSocket {
		ev = unix.EpollEvent{Events: unix.EPOLLIN, Fd: c.slot, Pad: c.tag(tagSockReq)}
		if err = unix.EpollCtl(s.ep, unix.EPOLL_CTL_ADD, c.sock.reqFd, &ev); err == nil {
			ev = unix.EpollEvent{Events: 0, Fd: c.slot, Pad: c.tag(tagSockEvent)}
			err = unix.EpollCtl(s.ep, unix.EPOLL_CTL_ADD, c.sock.evFd, &ev)
		}
	}
	if err != nil {
		s.log.Error("ipc: cannot watch connection", "service", c.svc.name, "pid", c.pid, "err", err)
		c.state = stateClosing
		s.teardown(c) // the handler never saw it
		return
	}
	c.adopted = true
	if ch, ok := c.svc.handler.(ConnectHandler); ok {
		ch.Connected(c)
	}
}

// reap tears down the connections marked for closing.
func (s *Server) reap() int {
	n := 0
	for i := 0; i < len(s.closing); i++ { // teardown may append (handlers)
		s.teardown(s.closing[i])
		n++
	}
	clear(s.closing)
	s.closing = s.closing[:0]
	return n
}

// teardown ends a connection: the handler hears of it, then everything the
// connection created is closed, unlinked and removed, and its slot freed.
func (s *Server) teardown(c *Conn) {
	if c.state == stateClosed {
		return
	}
	c.state = stateClosing
	if c.adopted {
		_ = unix.EpollCtl(s.ep, unix.EPOLL_CTL_DEL, c.setupFd, nil)
		if c.mode == ModeSocket {
			_ = unix.EpollCtl(s.ep, unix.EPOLL_CTL_DEL, c.sock.reqFd, nil)
			_ = unix.EpollCtl(s.ep, unix.EPOLL_CTL_DEL, c.sock.evFd, nil)
		}
		c.svc.handler.Disconnected(c)
	}
	c.state = stateClosed
	c.destroyResources()
	if c.setupFd >= 0 { // last: a client that sees the hang-up finds everything gone
		_ = unix.Shutdown(c.setupFd, unix.SHUT_RDWR)
		unix.Close(c.setupFd)
		c.setupFd = -1
	}
	c.queue.reset()
	c.owed = 0
	s.releaseSlot(c)
	s.stats.disconnects.Add(1)
	if c.closeErr != nil {
		s.log.Debug("ipc: connection closed", "service", c.svc.name, "id", c.id, "pid", c.pid, "reason", c.reason, "err", c.closeErr)
	} else {
		s.log.Debug("ipc: connection closed", "service", c.svc.name, "id", c.id, "pid", c.pid, "reason", c.reason)
	}
}

// badRequest counts a protocol violation and disconnects the client.
func (s *Server) badRequest(c *Conn, what string, err error) {
	s.stats.badRequests.Add(1)
	if c.state == stateOpen {
		s.log.Warn("ipc: bad client, disconnecting", "service", c.svc.name, "id", c.id, "pid", c.pid, "what", what, "err", err)
	}
	c.closeWith(what, err)
}

// retryAdd puts a connection with queued events on the retry list.
func (s *Server) retryAdd(c *Conn) {
	if !c.inRetry {
		c.inRetry = true
		s.retry = append(s.retry, c)
	}
}

// retryPass retries every queued connection once.
func (s *Server) retryPass() int {
	work := 0
	keep := s.retry[:0]
	for _, c := range s.retry {
		if c.state == stateOpen {
			work += c.flushQueue()
		}
		if c.state == stateOpen && c.queue.n > 0 {
			keep = append(keep, c)
		} else {
			c.inRetry = false
		}
	}
	clear(s.retry[len(keep):])
	s.retry = keep
	if work > 0 {
		s.retryIvl = retryMin
	} else {
		s.retryIvl = min(2*s.retryIvl, retryMax)
	}
	return work
}

// armTimer keeps the one-shot retry timer running while any connection
// has queued events.
func (s *Server) armTimer() {
	if len(s.retry) == 0 || s.timerArmed {
		return
	}
	if s.retryIvl == 0 {
		s.retryIvl = retryMin
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(s.retryIvl))}
	if unix.TimerfdSettime(s.timerFd, 0, &spec, nil) == nil {
		s.timerArmed = true
	}
}

// wake makes Fd readable so that the token loop calls Poll soon.
func (s *Server) wake() {
	one := [8]byte{1}
	_, _ = unix.Write(s.wakeFd, one[:])
}

// readEventfd reads an eventfd or timerfd counter without blocking.
func readEventfd(fd int, b []byte) (int, unix.Errno) {
	r, _, e := unix.Syscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}
