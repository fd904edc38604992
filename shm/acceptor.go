package shm

import (
	"time"

	"golang.org/x/sys/unix"
)

// pendingConn is an accepted socket whose 24-byte request is still coming.
type pendingConn struct {
	fd       int
	svc      int
	deadline time.Time
	buf      [connRequestSize]byte
	n        int
	cred     ucred
	haveCred bool
}

// Tags in the acceptor's epoll data (EpollEvent.Pad).
const (
	accTagPending = iota
	accTagListener
	accTagStop
)

// acceptor is the one goroutine that accepts and runs handshakes. It
// multiplexes them on its own epoll so that a client that never sends its
// request delays nobody: each pending handshake has a deadline.
type acceptor struct {
	s         *Server
	ep        int
	stopFd    int // eventfd: Close writes it
	listeners []*listener
	pending   map[int]*pendingConn
	events    []unix.EpollEvent
	oob       []byte
	resp      [connResponseSize]byte
	done      chan struct{}
}

func newAcceptor(s *Server, ls []*listener) (*acceptor, error) {
	a := &acceptor{s: s, ep: -1, stopFd: -1, listeners: ls, pending: map[int]*pendingConn{},
		events: make([]unix.EpollEvent, 64), oob: make([]byte, 64), done: make(chan struct{})}
	var err error
	if a.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, wrapErrno("epoll_create1", err)
	}
	if a.stopFd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		unix.Close(a.ep)
		return nil, wrapErrno("eventfd", err)
	}
	add := func(fd int, pad int32, fdTag int32) error {
		return unix.EpollCtl(a.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: fdTag, Pad: pad})
	}
	err = add(a.stopFd, accTagStop, 0)
	for i, l := range ls {
		if err == nil {
			err = add(l.fd, accTagListener, int32(i))
		}
	}
	if err != nil {
		unix.Close(a.ep)
		unix.Close(a.stopFd)
		return nil, wrapErrno("epoll_ctl", err)
	}
	return a, nil
}

// stop asks the goroutine to end and waits for it.
func (a *acceptor) stop() {
	var one = [8]byte{1}
	_, _ = unix.Write(a.stopFd, one[:])
	<-a.done
	unix.Close(a.stopFd)
	unix.Close(a.ep)
}

// run is the acceptor goroutine.
func (a *acceptor) run() {
	defer close(a.done)
	defer func() {
		for fd := range a.pending {
			unix.Close(fd)
			a.s.stats.handshakeFailures.Add(1)
		}
		clear(a.pending)
		for _, l := range a.listeners {
			l.close()
		}
	}()
	for {
		timeout := -1
		if len(a.pending) > 0 {
			next := time.Time{}
			for _, p := range a.pending {
				if next.IsZero() || p.deadline.Before(next) {
					next = p.deadline
				}
			}
			timeout = max(int(time.Until(next)/time.Millisecond)+1, 0)
		}
		n, err := unix.EpollWait(a.ep, a.events, timeout)
		if err != nil && err != unix.EINTR {
			a.s.log.Error("ipc: acceptor epoll_wait failed", "err", err)
			time.Sleep(10 * time.Millisecond)
		}
		for i := 0; i < n; i++ {
			ev := a.events[i]
			switch ev.Pad {
			case accTagStop:
				return
			case accTagListener:
				a.acceptAll(a.listeners[ev.Fd])
			case accTagPending:
				if p := a.pending[int(ev.Fd)]; p != nil {
					a.readPending(p)
				}
			}
		}
		now := time.Now()
		for fd, p := range a.pending {
			if now.After(p.deadline) {
				a.s.log.Debug("ipc: handshake timed out", "service", a.s.services[p.svc].name)
				a.dropPending(p)
				unix.Close(fd)
				a.s.stats.handshakeFailures.Add(1)
			}
		}
	}
}

// acceptAll accepts every waiting connection of l.
func (a *acceptor) acceptAll(l *listener) {
	for {
		fd, _, err := unix.Accept4(l.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return
		case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
			a.s.log.Error("ipc: could not accept client connection", "service", a.s.services[l.svc].name, "err", err)
			time.Sleep(10 * time.Millisecond) // the listener stays readable: do not spin
			return
		default:
			a.s.log.Error("ipc: could not accept client connection", "service", a.s.services[l.svc].name, "err", err)
			return
		}
		if len(a.pending) >= a.s.cfg.MaxConns {
			unix.Close(fd) // a flood of silent clients: drop the newest
			a.s.stats.handshakeFailures.Add(1)
			continue
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		p := &pendingConn{fd: fd, svc: l.svc, deadline: time.Now().Add(a.s.cfg.HandshakeTimeout)}
		if err := unix.EpollCtl(a.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd), Pad: accTagPending}); err != nil {
			unix.Close(fd)
			a.s.stats.handshakeFailures.Add(1)
			continue
		}
		a.pending[fd] = p
	}
}

func (a *acceptor) dropPending(p *pendingConn) {
	_ = unix.EpollCtl(a.ep, unix.EPOLL_CTL_DEL, p.fd, nil)
	delete(a.pending, p.fd)
}

// readPending takes what has arrived of the 24-byte request (never more:
// bytes after it belong to the connection) and its SCM_CREDENTIALS.
func (a *acceptor) readPending(p *pendingConn) {
	for p.n < connRequestSize {
		n, oobn, _, _, err := unix.Recvmsg(p.fd, p.buf[p.n:], a.oob, unix.MSG_DONTWAIT|unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			a.dropPending(p)
			unix.Close(p.fd)
			a.s.stats.handshakeFailures.Add(1)
			return
		}
		if !p.haveCred {
			// pid 0: the kernel attached no credentials (the client sent
			// before SO_PASSCRED was on); SO_PEERCRED is used instead.
			if c, ok := credsFromOOB(a.oob[:oobn]); ok && c.pid != 0 {
				p.cred, p.haveCred = c, true
			}
		}
		p.n += n
	}
	a.dropPending(p)
	a.finishHandshake(p)
}
