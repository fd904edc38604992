package shm

import (
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Control file layout (spec §2.3): three {sent, flow_control} int32 pairs.
const (
	ctlSize      = 24
	ctlReqSent   = 0
	ctlReqFC     = 4
	ctlRespSent  = 8
	ctlEventSent = 16
)

// sockConn is a socket-mode connection (spec §2): the mmapped control
// file and the server's two bound abstract datagram sockets.
type sockConn struct {
	ctl           []byte
	ctlPath       string
	reqFd         int // <base>-request: requests in, responses out
	evFd          int // <base>-event-tx: events out
	respAddr      *abstractAddr
	evAddr        *abstractAddr
	respConnected bool
	evConnected   bool
	evMask        uint32
	deadline      time.Time // the client must have bound <base>-event by then
}

func (t *sockConn) word(off int) *int32 { return (*int32)(unsafe.Pointer(&t.ctl[off])) }

func (t *sockConn) setFlowControl(v int32) { atomic.StoreInt32(t.word(ctlReqFC), v) }
func (t *sockConn) flowControl() int32     { return atomic.LoadInt32(t.word(ctlReqFC)) }

// createSocket makes the control file and binds the two server sockets;
// the client binds <base>-response and <base>-event after the handshake,
// so the server connects to them lazily (on the first send).
func (c *Conn) createSocket(r *connResponse) error {
	t := &c.sock
	t.reqFd, t.evFd = -1, -1
	desc := c.dir + descSuffix
	base := desc + "-" + c.svc.name
	t.ctlPath = desc + "-control-" + c.svc.name
	uid, gid := c.chownTo()

	fd, err := unix.Open(t.ctlPath, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		t.ctlPath = ""
		return &os.PathError{Op: "create", Path: desc + "-control-" + c.svc.name, Err: err}
	}
	err = unix.Ftruncate(fd, ctlSize)
	if err == nil && uid >= 0 {
		err = unix.Fchown(fd, uid, gid)
	}
	if err == nil {
		t.ctl, err = unix.Mmap(fd, 0, ctlSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	}
	unix.Close(fd)
	if err != nil {
		return &os.PathError{Op: "control file", Path: t.ctlPath, Err: err}
	}

	if t.reqFd, err = dgramBind(base+"-request", c.maxMsg); err != nil {
		return err
	}
	if t.evFd, err = dgramBind(base+"-event-tx", c.maxMsg); err != nil {
		return err
	}
	// Credentials on every request datagram: anyone can send to an
	// abstract name until the socket is connected.
	_ = unix.SetsockoptInt(t.reqFd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	if t.respAddr, err = newAbstractAddr(base + "-response"); err != nil {
		return err
	}
	if t.evAddr, err = newAbstractAddr(base + "-event"); err != nil {
		return err
	}
	t.deadline = time.Now().Add(c.s.cfg.HandshakeTimeout)
	r.request, r.response, r.event = t.ctlPath, base, ""
	return nil
}

// dgramBind makes a non-blocking datagram socket bound to libqb's abstract
// name for a path (names starting with '/' are always abstract, even with
// forced filesystem sockets) with buffers of at least maxMsg.
func dgramBind(name string, maxMsg int) (int, error) {
	sa, err := newAbstractAddr(name)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, wrapErrno("socket", err)
	}
	if err := sa.bind(fd); err != nil {
		unix.Close(fd)
		return -1, wrapErrno("bind "+name, err)
	}
	setSockSize(fd, maxMsg)
	return fd, nil
}

// setSockSize raises SO_SNDBUF and SO_RCVBUF to maxMsg when they are not
// larger (libqb's set_sock_size); as root past the sysctl limits.
func setSockSize(fd, maxMsg int) {
	for _, o := range [...]struct{ get, force, set int }{
		{unix.SO_SNDBUF, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF},
		{unix.SO_RCVBUF, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF},
	} {
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, o.get); err == nil && v > maxMsg {
			continue
		}
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o.force, maxMsg) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, o.set, maxMsg)
		}
	}
}

// destroySocket closes the data sockets, unmaps and unlinks the control
// file. The datagram sockets are abstract: nothing else to remove.
func (c *Conn) destroySocket() {
	t := &c.sock
	for _, fd := range [...]*int{&t.reqFd, &t.evFd} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	if t.ctl != nil {
		_ = unix.Munmap(t.ctl)
		t.ctl = nil
	}
	if err := unlinkQuiet(t.ctlPath); err != nil {
		c.s.log.Warn("ipc: could not remove control file", "err", err)
	}
}

// sockRespond sends one response datagram from the request socket,
// connecting it to the client's <base>-response first if needed.
func (c *Conn) sockRespond(parts [][]byte, n int) error {
	t := &c.sock
	if !t.respConnected {
		if err := t.respAddr.connect(t.reqFd); err != nil {
			return wrapErrno("connect to the client's response socket", err)
		}
		t.respConnected = true
		setSockSize(t.reqFd, c.maxMsg)
	}
	switch e := c.s.writev(t.reqFd, parts, n); e {
	case 0:
		atomic.AddInt32(t.word(ctlRespSent), 1)
		return nil
	case unix.EAGAIN, unix.ENOBUFS:
		return ErrFull
	case unix.EMSGSIZE:
		return ErrTooBig
	default:
		return wrapErrno("send response", e)
	}
}

// sockEvent sends one event datagram from the event socket, connecting it
// to the client's <base>-event first. While the client has not bound it
// yet (it does so right after the handshake) the event waits in the queue
// and the connect is retried; after HandshakeTimeout the client is dropped.
func (c *Conn) sockEvent(parts [][]byte, n int) error {
	t := &c.sock
	if !t.evConnected {
		if err := t.evAddr.connect(t.evFd); err != nil {
			if time.Now().After(t.deadline) {
				return wrapErrno("connect to the client's event socket", err)
			}
			return errWouldBlock
		}
		t.evConnected = true
		setSockSize(t.evFd, c.maxMsg)
	}
	switch e := c.s.writev(t.evFd, parts, n); e {
	case 0:
		atomic.AddInt32(t.word(ctlEventSent), 1)
		c.setEvWantOut(false)
		return nil
	case unix.EAGAIN, unix.ENOBUFS:
		c.setEvWantOut(true)
		return errWouldBlock
	case unix.EMSGSIZE:
		return ErrTooBig
	default:
		return wrapErrno("send event", e)
	}
}

// setEvWantOut adds or removes EPOLLOUT on the event socket.
func (c *Conn) setEvWantOut(on bool) {
	var mask uint32
	if on {
		mask = unix.EPOLLOUT
	}
	t := &c.sock
	if mask == t.evMask || !c.adopted || c.state == stateClosed {
		return
	}
	t.evMask = mask
	ev := unix.EpollEvent{Events: mask, Fd: c.slot, Pad: c.tag(tagSockEvent)}
	_ = unix.EpollCtl(c.s.ep, unix.EPOLL_CTL_MOD, t.evFd, &ev)
}

// sockSetupReadable: in socket mode the setup socket only carries
// liveness; data on it is discarded, EOF is a disconnect.
func (s *Server) sockSetupReadable(c *Conn) int {
	n, e := readNB(c.setupFd, s.byteBuf)
	switch {
	case e == unix.EAGAIN || e == unix.EINTR:
		return 0
	case e != 0:
		c.closeWith("setup socket error", e)
	case n == 0:
		c.closeWith("client disconnected", nil)
	}
	return 0
}

// sockReadable takes up to RequestsPerPass request datagrams. Each must
// come from the client's credentials (others are dropped and counted) and
// carry a valid header; a datagram longer than max_msg_size is a bad request.
func (s *Server) sockReadable(c *Conn) int {
	t := &c.sock
	done := 0
	for done < s.cfg.RequestsPerPass && c.state == stateOpen {
		buf := s.scratch[:c.maxMsg]
		n, cred, hasCred, e := s.recvDgram(t.reqFd, buf)
		switch e {
		case 0:
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return done
		default:
			_, _ = unix.GetsockoptInt(t.reqFd, unix.SOL_SOCKET, unix.SO_ERROR) // clear a pending error
			return done
		}
		done++
		if !hasCred || cred.uid != c.uid || cred.gid != c.gid {
			s.stats.badRequests.Add(1) // not from our client
			continue
		}
		atomic.AddInt32(t.word(ctlReqSent), -1)
		if n > len(buf) {
			s.badRequest(c, "request datagram larger than max_msg_size", nil)
			return done
		}
		size, v := checkRequest(buf[:n], n, c.maxMsg)
		switch v {
		case reqDisconnect:
			c.closeWith("client requested disconnect", nil)
			return done
		case reqBad:
			s.badRequest(c, "bad request header", nil)
			return done
		}
		s.stats.requests.Add(1)
		c.svc.handler.Request(c, buf[:size])
	}
	return done
}
