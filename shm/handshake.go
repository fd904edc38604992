package shm

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sys/unix"
)

// Wire constants of libqb 2.0.6 (spec §1.3, §1.4). All integers are host
// order (little-endian on x86-64).
const (
	msgAuthenticate = -1 // QB_IPC_MSG_AUTHENTICATE
	msgDisconnect   = -3 // QB_IPC_MSG_DISCONNECT

	connRequestSize  = 24    // struct qb_ipc_connection_request
	connResponseSize = 12328 // struct qb_ipc_connection_response
	pathMax          = 4096  // PATH_MAX: each path field of the response

	reqHeaderSize  = 16 // struct qb_ipc_request_header: id @0, size @8
	respHeaderSize = 24 // struct qb_ipc_response_header: id @0, size @8, error @16

	// Offsets in the connection response.
	respOffConnType   = 24
	respOffMaxMsg     = 28
	respOffConnection = 32
	respOffRequest    = 40
	respOffResponse   = 40 + pathMax
	respOffEvent      = 40 + 2*pathMax
)

// connRequest is the client's first message.
type connRequest struct {
	id, size   int32
	maxMsgSize uint32
}

// parseConnRequest decodes the 24-byte connection request. Like libqb it
// checks only the length and the id (-1); the size field is not trusted.
func parseConnRequest(b []byte) (connRequest, error) {
	if len(b) != connRequestSize {
		return connRequest{}, errRequestLength
	}
	r := connRequest{
		id:         int32(binary.LittleEndian.Uint32(b[0:])),
		size:       int32(binary.LittleEndian.Uint32(b[8:])),
		maxMsgSize: binary.LittleEndian.Uint32(b[16:]),
	}
	if r.id != msgAuthenticate {
		return r, errNotAuthRequest
	}
	return r, nil
}

// negotiateMaxMsg is libqb's max(client's wish, server minimum), bounded
// by capBytes (the client uses whatever the response says).
func negotiateMaxMsg(client uint32, serverMin, capBytes int) int {
	n := serverMin
	if int64(client) > int64(n) {
		n = int(client)
	}
	if n > capBytes {
		n = capBytes
	}
	return n
}

// connResponse is the server's answer.
type connResponse struct {
	errno    unix.Errno // 0 = success; sent negated
	connType int32
	maxMsg   uint32
	cookie   uint64 // libqb's connection pointer; clients never use it
	request  string
	response string
	event    string
}

// encode writes the 12328-byte response into buf. On failure (errno ≠ 0)
// every field but the header stays zero, as libqb sends it.
func (r *connResponse) encode(buf *[connResponseSize]byte) error {
	clear(buf[:])
	le := binary.LittleEndian
	le.PutUint32(buf[0:], 0xffffffff) // id -1
	le.PutUint32(buf[8:], connResponseSize)
	le.PutUint32(buf[16:], uint32(-int32(r.errno)))
	if r.errno != 0 {
		return nil
	}
	le.PutUint32(buf[respOffConnType:], uint32(r.connType))
	le.PutUint32(buf[respOffMaxMsg:], r.maxMsg)
	le.PutUint64(buf[respOffConnection:], r.cookie)
	for _, f := range [...]struct {
		off int
		s   string
	}{{respOffRequest, r.request}, {respOffResponse, r.response}, {respOffEvent, r.event}} {
		if len(f.s) >= pathMax {
			return fmt.Errorf("shm: path %q too long for the connection response", f.s)
		}
		copy(buf[f.off:], f.s) // the rest is the NUL terminator and padding
	}
	return nil
}

// finishHandshake runs handshake steps 5–7 for a socket whose 24-byte
// request has arrived: decide, create the connection's resources, answer.
// It owns fd: on every path it either hands the connection to the poller
// or closes fd and removes whatever it created.
func (a *acceptor) finishHandshake(p *pendingConn) {
	s := a.s
	fd := p.fd
	req, err := parseConnRequest(p.buf[:])
	if err != nil {
		s.log.Debug("ipc: bad first message, closing", "service", s.services[p.svc].name, "err", err)
		s.stats.handshakeFailures.Add(1)
		unix.Close(fd)
		return
	}
	cred := p.cred
	if !p.haveCred {
		if cred, err = peerCred(fd); err != nil {
			s.log.Debug("ipc: no client credentials, closing", "err", err)
			s.stats.handshakeFailures.Add(1)
			unix.Close(fd)
			return
		}
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 0) // as libqb after authentication

	svc := &s.services[p.svc]
	refuse := func(e unix.Errno, msg string) {
		s.stats.refused.Add(1)
		s.log.Log(context.Background(), refuseLevel(e), msg, "service", svc.name, "pid", cred.pid, "uid", cred.uid, "gid", cred.gid)
		r := connResponse{errno: e}
		_ = r.encode(&a.resp)
		_ = sendAll(fd, a.resp[:], p.deadline)
		unix.Close(fd)
	}
	// corosync's order: not ready, (service missing), out of fds, credentials.
	if !s.cfg.Ready() {
		refuse(unix.EAGAIN, "ipc: denied connection, not ready")
		return
	}
	c, ok := s.reserveSlot()
	if !ok {
		refuse(unix.EMFILE, "ipc: denied connection, too many connections")
		return
	}
	if !s.cfg.Authorize(cred.pid, cred.uid, cred.gid) {
		s.releaseSlot(c)
		refuse(unix.EACCES, "ipc: denied connection attempt, credentials not authorised")
		return
	}

	c.s, c.svc, c.setupFd = s, svc, fd
	c.pid, c.uid, c.gid = cred.pid, cred.uid, cred.gid
	c.maxMsg = negotiateMaxMsg(req.maxMsgSize, s.cfg.MaxMsgSize, s.cfg.MaxMsgSizeCap)
	c.mode = s.cfg.Mode
	c.id = s.nextID.Add(1)

	resp := connResponse{connType: s.cfg.Mode.connectionType(), maxMsg: uint32(c.maxMsg), cookie: c.id}
	if err := c.createResources(&resp); err != nil {
		c.destroyResources()
		s.releaseSlot(c)
		refuse(errnoOf(err), "ipc: connection setup failed: "+err.Error())
		return
	}
	if err := resp.encode(&a.resp); err != nil {
		c.destroyResources()
		s.releaseSlot(c)
		refuse(unix.ENAMETOOLONG, "ipc: connection setup failed: "+err.Error())
		return
	}
	if err := sendAll(fd, a.resp[:], p.deadline); err != nil {
		s.log.Debug("ipc: client gone during handshake", "service", svc.name, "pid", cred.pid, "err", err)
		s.stats.handshakeFailures.Add(1)
		c.destroyResources()
		s.releaseSlot(c)
		unix.Close(fd)
		return
	}
	s.stats.accepted.Add(1)
	s.log.Debug("ipc: connection created", "service", svc.name, "id", c.id, "pid", c.pid, "uid", c.uid, "gid", c.gid, "dir", c.dir, "max_msg_size", c.maxMsg)
	s.handOff(c)
}

// refuseLevel is the log level of a refusal: corosync logs "not ready" at
// debug (clients retry), bad credentials as an error.
func refuseLevel(e unix.Errno) slog.Level {
	switch e {
	case unix.EAGAIN:
		return slog.LevelDebug
	case unix.EMFILE:
		return slog.LevelWarn
	}
	return slog.LevelError
}

// sendAll writes b to a non-blocking stream socket before deadline.
func sendAll(fd int, b []byte, deadline time.Time) error {
	for len(b) > 0 {
		n, err := unix.SendmsgN(fd, b, nil, nil, unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT)
		if n > 0 {
			b = b[n:]
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return unix.ETIMEDOUT
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			if _, err := unix.Poll(pfd, int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
				return err
			}
			continue
		case nil:
			return unix.EPIPE
		}
		return err
	}
	return nil
}
