package shm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gorosync/gorosync/ring/qbring"
	"golang.org/x/sys/unix"
)

// rawClient is a libqb client written from the spec, for tests: it talks
// to the server through the setup socket and the rings or datagram
// sockets directly.
type rawClient struct {
	fd       int
	resp     [connResponseSize]byte
	errno    int32
	connType int32
	maxMsg   int
	paths    [3]string
	server   ucred

	req, rsp, ev *qbring.Ring // SHM

	respFd, evFd int    // socket mode
	ctl          []byte // socket mode control file
	one          [1]byte
	closed       bool
}

// connectSetup connects a stream socket to the service's abstract name.
func connectSetup(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	sa, err := newAbstractAddr(name)
	if err == nil {
		err = sa.connect(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	return fd, nil
}

// connRequestBytes is the 24-byte request a libqb client sends.
func connRequestBytes(maxMsg uint32) []byte {
	b := make([]byte, connRequestSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0xffffffff)
	le.PutUint32(b[8:], connRequestSize)
	le.PutUint32(b[16:], maxMsg)
	return b
}

// handshake does steps 1–9 of §1.2 on a fresh setup socket.
func handshakeRaw(name string, maxMsg uint32) (*rawClient, error) {
	fd, err := connectSetup(name)
	if err != nil {
		return nil, err
	}
	c := &rawClient{fd: fd, respFd: -1, evFd: -1}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	if _, err := unix.Write(fd, connRequestBytes(maxMsg)); err != nil {
		c.close()
		return nil, err
	}
	oob := make([]byte, 64)
	got := 0
	for got < connResponseSize {
		n, oobn, _, _, err := unix.Recvmsg(fd, c.resp[got:], oob, unix.MSG_WAITALL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			c.close()
			return nil, err
		}
		if n == 0 {
			c.close()
			return nil, fmt.Errorf("EOF after %d response bytes", got)
		}
		if got == 0 {
			c.server, _ = credsFromOOB(oob[:oobn])
		}
		got += n
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 0)
	le := binary.LittleEndian
	c.errno = int32(le.Uint32(c.resp[16:]))
	c.connType = int32(le.Uint32(c.resp[respOffConnType:]))
	c.maxMsg = int(le.Uint32(c.resp[respOffMaxMsg:]))
	for i, off := range []int{respOffRequest, respOffResponse, respOffEvent} {
		f := c.resp[off : off+pathMax]
		c.paths[i] = string(f[:bytes.IndexByte(f, 0)])
	}
	return c, nil
}

// dialClient connects and opens the transport; the test fails on error.
func dialClient(t testing.TB, name string, maxMsg uint32) *rawClient {
	t.Helper()
	c, err := dial(name, maxMsg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

func dial(name string, maxMsg uint32) (*rawClient, error) {
	c, err := handshakeRaw(name, maxMsg)
	if err != nil {
		return nil, err
	}
	if c.errno != 0 {
		c.close()
		return nil, fmt.Errorf("handshake: %w", unix.Errno(-c.errno))
	}
	switch c.connType {
	case 1:
		err = c.openSHM()
	case 0:
		err = c.openSocket()
	default:
		err = fmt.Errorf("connection type %d", c.connType)
	}
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *rawClient) openSHM() error {
	var err error
	if c.req, err = qbring.Open(c.paths[0]); err != nil {
		return err
	}
	if c.rsp, err = qbring.Open(c.paths[1]); err != nil {
		return err
	}
	c.ev, err = qbring.Open(c.paths[2])
	return err
}

func (c *rawClient) openSocket() error {
	fd, err := unix.Open(c.paths[0], unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	c.ctl, err = unix.Mmap(fd, 0, ctlSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	unix.Close(fd)
	if err != nil {
		return err
	}
	base := c.paths[1]
	if c.respFd, err = dgramPair(base+"-response", base+"-request", c.maxMsg); err != nil {
		return err
	}
	c.evFd, err = dgramPair(base+"-event", base+"-event-tx", c.maxMsg)
	return err
}

// dgramPair binds local and connects to remote (both libqb abstract names).
func dgramPair(local, remote string, maxMsg int) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	la, err := newAbstractAddr(local)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	ra, err := newAbstractAddr(remote)
	if err == nil {
		err = la.bind(fd)
	}
	if err == nil {
		err = ra.connect(fd)
	}
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	setSockSize(fd, maxMsg)
	tv := unix.NsecToTimeval(int64(10 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	return fd, nil
}

func (c *rawClient) ctlWord(off int) *int32 { return (*int32)(unsafe.Pointer(&c.ctl[off])) }

// send sends one request: SHM ring + one notification byte; socket mode
// one datagram.
func (c *rawClient) send(msg []byte) error {
	if c.req != nil {
		for {
			err := c.req.Write(msg)
			if err == nil {
				break
			}
			if !errors.Is(err, qbring.ErrFull) {
				return err
			}
			time.Sleep(100 * time.Microsecond)
		}
		_, err := unix.Write(c.fd, c.one[:])
		return err
	}
	atomic.AddInt32(c.ctlWord(ctlReqSent), 1)
	_, err := unix.Write(c.respFd, msg)
	return err
}

// recvResponse waits up to timeout for the response.
func (c *rawClient) recvResponse(buf []byte, timeout time.Duration) (int, error) {
	if c.rsp != nil {
		return c.rsp.ReadWait(buf, timeout)
	}
	return recvTimeout(c.respFd, buf, timeout)
}

// recvEvent reads one event: SHM waits for the notification byte first.
func (c *rawClient) recvEvent(buf []byte, timeout time.Duration) (int, error) {
	if c.ev != nil {
		if _, err := recvTimeout(c.fd, c.one[:], timeout); err != nil {
			return 0, fmt.Errorf("notification byte: %w", err)
		}
		return c.ev.ReadWait(buf, timeout)
	}
	return recvTimeout(c.evFd, buf, timeout)
}

// recvTimeout is one read after poll says readable (EINTR, which the
// Go runtime's preemption signal causes, is retried).
func recvTimeout(fd int, buf []byte, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, max(int(time.Until(deadline)/time.Millisecond), 0))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, unix.ETIMEDOUT
		}
		k, err := readRetry(fd, buf)
		if err == nil && k == 0 {
			return 0, unix.ECONNRESET
		}
		return k, err
	}
}

// readRetry is read(2), retried on EINTR (sockets with SO_RCVTIMEO are not
// restarted after a signal).
func readRetry(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// waitHangup waits for the server to close the setup socket.
func (c *rawClient) waitHangup(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		n, err := recvTimeout(c.fd, buf, time.Until(deadline))
		if err == unix.ECONNRESET || (err == nil && n == 0) {
			return nil
		}
		if err == unix.ETIMEDOUT {
			break
		}
		if err != nil {
			return nil
		}
	}
	return fmt.Errorf("setup socket still open after %v", timeout)
}

func (c *rawClient) close() {
	if c.closed {
		return
	}
	c.closed = true
	for _, r := range []*qbring.Ring{c.req, c.rsp, c.ev} {
		if r != nil {
			r.Close()
		}
	}
	for _, fd := range []int{c.respFd, c.evFd, c.fd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	if c.ctl != nil {
		unix.Munmap(c.ctl)
	}
}

// request builds a request of n bytes (n ≥ 16): header, then a pattern.
func request(buf []byte, id int32, n int, seed byte) []byte {
	b := buf[:n]
	le := binary.LittleEndian
	clear(b[:16])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(n))
	for i := 16; i < n; i++ {
		b[i] = seed + byte(i*7)
	}
	return b
}

// checkEcho checks an echo response to req.
func checkEcho(t testing.TB, req, resp []byte) {
	t.Helper()
	le := binary.LittleEndian
	payload := req[min(24, len(req)):]
	if len(resp) != 24+len(payload) {
		t.Fatalf("response of %d bytes to a %d-byte request", len(resp), len(req))
	}
	if id, size, e := le.Uint32(resp[0:]), le.Uint32(resp[8:]), le.Uint32(resp[16:]); id != le.Uint32(req[0:]) || int(size) != len(resp) || e != 1 {
		t.Fatalf("response header id %d size %d error %d", id, size, e)
	}
	if !bytes.Equal(resp[24:], payload) {
		t.Fatal("response payload differs from the request's")
	}
}
