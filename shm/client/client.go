//go:build linux

package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gorosync/gorosync/ring/qbring"
	"golang.org/x/sys/unix"
)

// DefaultMaxMsgSize is what corosync's client libraries ask for (1 MiB).
const DefaultMaxMsgSize = 1 << 20

// Options configure Dial.
type Options struct {
	// MaxMsgSize is the largest message the client asks for (default
	// DefaultMaxMsgSize; at least the 12328-byte connection response, as
	// libqb enforces). The server's answer is what counts: MaxMsgSize().
	MaxMsgSize int
	// Dir is the directory of the setup socket when filesystem sockets are
	// forced (/etc/libqb/force-filesystem-sockets exists); default /tmp,
	// SOCKETDIR of Debian's libqb. The per-connection paths always come
	// from the server.
	Dir string
}

// Mode is the transport the server chose (the handshake's connection_type).
type Mode int32

// The transports of libqb 2.0.6 that this client implements.
const (
	ModeSocket Mode = 0 // QB_IPC_SOCKET: unix datagram sockets
	ModeSHM    Mode = 1 // QB_IPC_SHM: shared-memory rings
)

func (m Mode) String() string {
	switch m {
	case ModeSocket:
		return "socket"
	case ModeSHM:
		return "shm"
	}
	return fmt.Sprintf("mode(%d)", int32(m))
}

// Wire constants (§1.3, §1.4, §2.3).
const (
	connRequestSize  = 24
	connResponseSize = 12328
	msgAuthenticate  = -1
	pathMax          = 4096
	offConnType      = 24
	offMaxMsg        = 28
	offReqPath       = 40
	offRespPath      = offReqPath + pathMax
	offEventPath     = offRespPath + pathMax
	controlSize      = 24 // socket mode: 3 × {sent, flow_control}
	ctlReqSent       = 0
	ctlReqFC         = 4
	ctlRespSent      = 8
	ctlEventSent     = 16
	fcEnableMax      = 1 // flow-control values 1..fcEnableMax refuse a send (libqb's default)
)

// Wait slices: how often a waiting call wakes to check for a hang-up,
// Close and its context.
const (
	cancelSlice = 10 * time.Millisecond  // the context can be cancelled
	liveSlice   = 100 * time.Millisecond // it cannot: liveness and Close only
)

// Client is one libqb IPC connection.
type Client struct {
	mode      Mode
	maxMsg    int
	setup     int // the stream setup socket: liveness, and in SHM mode the notification channel
	serverPID int32
	serverUID uint32
	serverGID uint32
	dir       string // the per-connection directory (for a dead server's cleanup)

	// SHM mode
	reqRing, respRing, evRing *qbring.Ring

	// socket mode
	reqSock, evSock int
	ctl             []byte // the 24-byte control file mapping
	ctlPath         string

	closed atomic.Bool
	lost   atomic.Bool // the server hung up
	spin   bool        // response waits spin first (more than one P at Dial)

	sendMu    sync.Mutex // Request, Send, Recv, Claim, Commit
	sp        poller     // the send side's poll set
	note      [1]byte    // the notification byte sent per request (SHM)
	stale     int        // responses still owed to Requests whose context ended
	claimed   bool
	claimN    int
	claim     qbring.Chunk
	bounced   bool
	bounce    []byte     // Claim's buffer when the ring chunk wraps, or in socket mode
	staleBuf  [1]byte    // where stale responses are dropped (socket mode)
	evMu      sync.Mutex // Event
	ep        poller
	evOwed    int // notification bytes owed for events already read (SHM)
	evByteBuf [8]byte
}

// Dial connects to the libqb IPC service (corosync: "cmap", "cfg", "cpg",
// "quorum", "votequorum"), performs the handshake and opens the transport
// the server chose. The context bounds the handshake. Errors wrap the
// errno: a server that is not ready yet gives ErrTryAgain, a refused
// uid/gid ErrAccess, a missing service ErrNotSupported, no server at all
// ErrConnRefused.
func Dial(ctx context.Context, service string, opts Options) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("qb connect %q: %w", service, err)
	}
	max := opts.MaxMsgSize
	if max <= 0 {
		max = DefaultMaxMsgSize
	}
	if max < connResponseSize {
		max = connResponseSize
	}
	sa, salen, err := setupAddr(service, opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("qb connect %q: %w", service, err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("qb connect %q: socket: %w", service, err)
	}
	c := &Client{setup: fd, reqSock: -1, evSock: -1, spin: runtime.GOMAXPROCS(0) > 1}
	c.note[0] = 1
	if err := c.handshake(ctx, &sa, salen, max); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("qb connect %q: %w", service, err)
	}
	return c, nil
}

func (c *Client) handshake(ctx context.Context, sa *unix.RawSockaddrUnix, salen uint32, max int) error {
	for {
		e := rawConnect(c.setup, sa, salen)
		if e == 0 {
			break
		}
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN: // the listener's backlog is full
			if err := ctx.Err(); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
			continue
		case unix.ENOENT, unix.ECONNREFUSED:
			return ErrConnRefused
		}
		return errnoError(e)
	}
	if err := unix.SetsockoptInt(c.setup, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		return fmt.Errorf("SO_PASSCRED: %w", err)
	}
	var req [connRequestSize]byte
	le := binary.LittleEndian
	le.PutUint32(req[0:], 0xffffffff) // QB_IPC_MSG_AUTHENTICATE (-1)
	le.PutUint32(req[8:], connRequestSize)
	le.PutUint32(req[16:], uint32(max))
	if err := c.writeAll(ctx, req[:]); err != nil {
		return err
	}
	resp := make([]byte, connResponseSize)
	if err := c.readResponse(ctx, resp); err != nil {
		return err
	}
	_ = unix.SetsockoptInt(c.setup, unix.SOL_SOCKET, unix.SO_PASSCRED, 0)

	if e := int32(le.Uint32(resp[16:])); e != 0 {
		if e > 0 {
			return fmt.Errorf("connection response error %d: %w", e, ErrInvalid)
		}
		return errnoError(unix.Errno(-e))
	}
	if id := int32(le.Uint32(resp[0:])); id != msgAuthenticate {
		return fmt.Errorf("connection response id %d: %w", id, ErrInvalid)
	}
	c.mode = Mode(int32(le.Uint32(resp[offConnType:])))
	c.maxMsg = int(le.Uint32(resp[offMaxMsg:]))
	if c.maxMsg < connResponseSize || c.maxMsg > 1<<30 {
		return fmt.Errorf("server max_msg_size %d: %w", c.maxMsg, ErrInvalid)
	}
	reqPath := cString(resp[offReqPath : offReqPath+pathMax])
	respPath := cString(resp[offRespPath : offRespPath+pathMax])
	evPath := cString(resp[offEventPath : offEventPath+pathMax])
	switch c.mode {
	case ModeSHM:
		return c.openSHM(reqPath, respPath, evPath)
	case ModeSocket:
		return c.openSockets(reqPath, respPath)
	case 2, 3: // POSIX and SysV message queues: libqb clients refuse them too
		return fmt.Errorf("connection type %d: %w", c.mode, ErrNotSupported)
	}
	return fmt.Errorf("connection type %d: %w", c.mode, ErrInvalid)
}

// writeAll writes p to the setup socket, waiting for room.
func (c *Client) writeAll(ctx context.Context, p []byte) error {
	for len(p) > 0 {
		n, e := sendNB(c.setup, p)
		switch e {
		case 0:
			p = p[n:]
			continue
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.sp.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLOUT}
			if e := c.sp.wait(1, waitSlice(ctx)); e != 0 {
				return errnoError(e)
			}
			if c.sp.fds[0].Revents&hangup != 0 {
				return ErrNotConnected
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		return errnoError(e)
	}
	return nil
}

// readResponse reads the connection response and the server's
// credentials that the kernel attaches (SO_PASSCRED is on).
func (c *Client) readResponse(ctx context.Context, p []byte) error {
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	got := 0
	for got < len(p) {
		n, oobn, _, _, err := unix.Recvmsg(c.setup, p[got:], oob, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		if err == nil {
			if n == 0 {
				return ErrNotConnected // the server closed without an answer
			}
			if got == 0 {
				c.takeCreds(oob[:oobn])
			}
			got += n
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err != unix.EAGAIN {
			return errnoError(asErrno(err))
		}
		c.sp.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLIN}
		if e := c.sp.wait(1, waitSlice(ctx)); e != 0 {
			return errnoError(e)
		}
		if c.sp.fds[0].Revents&unix.POLLIN == 0 && c.sp.fds[0].Revents&hangup != 0 {
			return ErrNotConnected
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) takeCreds(oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for i := range msgs {
			if cred, err := unix.ParseUnixCredentials(&msgs[i]); err == nil {
				c.serverPID, c.serverUID, c.serverGID = cred.Pid, cred.Uid, cred.Gid
				return
			}
		}
	}
	if cred, err := unix.GetsockoptUcred(c.setup, unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
		c.serverPID, c.serverUID, c.serverGID = cred.Pid, cred.Uid, cred.Gid
	}
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// openSHM opens the three rings (§3.1): request (we write), response and
// event (the server writes).
func (c *Client) openSHM(reqBase, respBase, evBase string) error {
	if reqBase == "" || respBase == "" || evBase == "" {
		return fmt.Errorf("empty ring name: %w", ErrInvalid)
	}
	c.dir = filepath.Dir(reqBase)
	var err error
	if c.reqRing, err = qbring.Open(reqBase); err != nil {
		return fmt.Errorf("request ring: %w", err)
	}
	if c.respRing, err = qbring.Open(respBase); err != nil {
		c.reqRing.Close()
		return fmt.Errorf("response ring: %w", err)
	}
	if c.evRing, err = qbring.Open(evBase); err != nil {
		c.reqRing.Close()
		c.respRing.Close()
		return fmt.Errorf("event ring: %w", err)
	}
	return nil
}

// openSockets maps the control file and binds and connects the two
// datagram sockets (§2.1): <base>-response to <base>-request for requests
// and responses, <base>-event to <base>-event-tx for events.
func (c *Client) openSockets(ctlPath, base string) error {
	if ctlPath == "" || base == "" {
		return fmt.Errorf("empty socket name: %w", ErrInvalid)
	}
	c.dir = filepath.Dir(ctlPath)
	fd, err := unix.Open(ctlPath, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: ctlPath, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Size < controlSize {
		unix.Close(fd)
		return fmt.Errorf("control file %s: size %d: %w", ctlPath, st.Size, ErrInvalid)
	}
	c.ctl, err = unix.Mmap(fd, 0, controlSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	unix.Close(fd)
	if err != nil {
		return &os.PathError{Op: "mmap", Path: ctlPath, Err: err}
	}
	c.ctlPath = ctlPath
	if c.reqSock, err = c.dgram(base, "response", "request"); err != nil {
		c.closeSockets()
		return err
	}
	if c.evSock, err = c.dgram(base, "event", "event-tx"); err != nil {
		c.closeSockets()
		return err
	}
	return nil
}

func (c *Client) dgram(base, local, remote string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	la, ll, _ := abstractAddr(base + "-" + local)
	if e := rawBind(fd, &la, ll); e != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("bind %s-%s: %w", base, local, errnoError(e))
	}
	ra, rl, _ := abstractAddr(base + "-" + remote)
	if e := rawConnect(fd, &ra, rl); e != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("connect %s-%s: %w", base, remote, errnoError(e))
	}
	setBufSize(fd, unix.SO_SNDBUF, unix.SO_SNDBUFFORCE, c.maxMsg)
	setBufSize(fd, unix.SO_RCVBUF, unix.SO_RCVBUFFORCE, c.maxMsg)
	return fd, nil
}

func (c *Client) closeSockets() {
	if c.evSock >= 0 {
		unix.Close(c.evSock)
		c.evSock = -1
	}
	if c.reqSock >= 0 {
		unix.Close(c.reqSock)
		c.reqSock = -1
	}
	if c.ctl != nil {
		unix.Munmap(c.ctl)
		c.ctl = nil
	}
}

// Mode is the transport the server chose.
func (c *Client) Mode() Mode { return c.mode }

// MaxMsgSize is the negotiated largest message, in both directions.
func (c *Client) MaxMsgSize() int { return c.maxMsg }

// Server is the server process's pid, uid and gid, as the kernel reported
// them during the handshake (libqb's qb_ipcc_auth_get).
func (c *Client) Server() (pid int32, uid, gid uint32) {
	return c.serverPID, c.serverUID, c.serverGID
}

// Fd is the descriptor an application polls for input before calling
// Event, as libqb's qb_ipcc_fd_get: the setup socket in SHM mode (one
// notification byte per event), the event socket in socket mode.
func (c *Client) Fd() int {
	if c.mode == ModeSocket {
		return c.evSock
	}
	return c.setup
}

func (c *Client) ctlWord(off int) *int32 { return (*int32)(unsafe.Pointer(&c.ctl[off])) }

// waitSlice is how long one wait may sleep before the caller looks at
// its context, Close and the server's liveness again.
func waitSlice(ctx context.Context) time.Duration {
	if ctx.Done() == nil {
		return liveSlice
	}
	d := cancelSlice
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			d = max(left, 100*time.Microsecond)
		}
	}
	return d
}

// serverGone reports, without waiting, whether the server has hung up the
// setup socket or (SHM) released the request ring. p is the caller's
// poll set.
func (c *Client) serverGone(p *poller) bool {
	if c.lost.Load() {
		return true
	}
	gone := false
	if c.mode == ModeSHM && c.reqRing.RefCount() != 2 {
		gone = true
	} else {
		p.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLRDHUP}
		if p.wait(1, 0) == 0 && p.fds[0].Revents&hangup != 0 {
			gone = true
		}
	}
	if gone {
		c.lost.Store(true)
	}
	return gone
}

// checkSend is the check libqb makes before every send (§3.8): flow
// control, and in SHM mode that both sides still hold the request ring.
func (c *Client) checkSend() error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.claimed {
		return ErrInvalid // a Claim is open: Commit it first
	}
	var fc int32
	if c.mode == ModeSHM {
		if c.reqRing.RefCount() != 2 {
			c.lost.Store(true)
			return ErrNotConnected
		}
		fc = c.reqRing.FlowControl()
	} else {
		fc = atomic.LoadInt32(c.ctlWord(ctlReqFC))
	}
	if fc > 0 && fc <= fcEnableMax {
		return ErrTryAgain
	}
	return nil
}

// Close disconnects: it shuts the setup socket down (the server sees the
// hang-up and removes the connection's files), closes the rings (ref_count
// − 1) or sockets, and makes calls in other goroutines return ErrClosed.
// It removes the connection's files itself only when the server process is
// dead (libqb's force-close, §4). Close is idempotent.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	gone := c.lost.Load()
	if !gone {
		var p poller
		p.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLRDHUP}
		gone = p.wait(1, 0) == 0 && p.fds[0].Revents&hangup != 0
		if c.mode == ModeSHM && c.reqRing.RefCount() != 2 {
			gone = true
		}
	}
	unix.Shutdown(c.setup, unix.SHUT_RDWR) // wakes an Event blocked in poll
	c.sendMu.Lock()
	c.evMu.Lock()
	defer c.evMu.Unlock()
	defer c.sendMu.Unlock()

	dead := gone && c.serverDead()
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	keep(unix.Close(c.setup))
	if c.mode == ModeSHM {
		for _, r := range []*qbring.Ring{c.reqRing, c.respRing, c.evRing} {
			keep(r.Close())
			if dead {
				keep(r.Unlink())
			}
		}
	} else {
		c.closeSockets()
		if dead {
			if err := os.Remove(c.ctlPath); err != nil && !os.IsNotExist(err) {
				keep(err)
			}
		}
	}
	if dead && c.dir != "" {
		_ = os.Remove(c.dir) // only if empty: the server may have left more
	}
	return first
}

// serverDead reports whether the server process no longer exists, giving
// it up to ~40 ms to finish dying (libqb waits the same way).
func (c *Client) serverDead() bool {
	if c.serverPID <= 0 || int(c.serverPID) == os.Getpid() {
		return false
	}
	for range 4 {
		if unix.Kill(int(c.serverPID), 0) == unix.ESRCH {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
