//go:build linux

package client

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/ring/qbring"
	"github.com/gorosync/gorosync/ring/qbsem"
	"golang.org/x/sys/unix"
)

// Request sends req (a complete IPC message: it starts with the 16-byte
// request header whose size field the caller sets) and waits for the
// response, which it copies into resp; it returns the response's length.
// A response longer than resp is dropped with ErrNoBuffers.
//
// Before sending it checks flow control as libqb does: value 1 gives
// ErrTryAgain; in SHM mode a request ring not held by both sides gives
// ErrNotConnected. A full request ring (or socket queue) is waited out.
// If ctx ends while the response is outstanding, Request returns
// ctx.Err(); responses come in request order, so the next Request or Recv
// drops that late response before it reads its own.
func (c *Client) Request(ctx context.Context, req, resp []byte) (int, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if err := c.sendLocked(ctx, req); err != nil {
		return 0, err
	}
	return c.recvLocked(ctx, resp, true)
}

// Send sends req without waiting for anything back: for one-way requests
// (cpg mcast) or to pair with Recv. A full request ring or socket queue
// is waited out within ctx; server flow control gives ErrTryAgain.
func (c *Client) Send(ctx context.Context, req []byte) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.sendLocked(ctx, req)
}

// Recv waits for the next response (after Send or Commit of a request
// the server answers) and copies it into resp: Request's second half. If
// ctx ends first, the response is left for the next Recv.
func (c *Client) Recv(ctx context.Context, resp []byte) (int, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if err := c.checkOpen(); err != nil {
		return 0, err
	}
	return c.recvLocked(ctx, resp, false)
}

func (c *Client) checkOpen() error {
	if c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// sendLocked is one request: the flow-control check, the write into the
// ring (and the notification byte) or the datagram.
func (c *Client) sendLocked(ctx context.Context, req []byte) error {
	if err := c.checkSend(); err != nil {
		return err
	}
	if len(req) > c.maxMsg {
		return ErrTooBig
	}
	if c.mode == ModeSocket {
		return c.sendDgram(ctx, req)
	}
	var w roomWait
	for {
		err := c.reqRing.Write(req)
		if err == nil {
			break
		}
		if err != qbring.ErrFull {
			return ringError(err)
		}
		if err := c.waitRoom(ctx, &w); err != nil {
			return err
		}
	}
	return c.notify()
}

// roomWait is the state of one wait for room in the request ring.
type roomWait struct {
	start  time.Time
	tries  int
	sleeps int
}

// waitRoom waits a little while the request ring is full; the caller
// retries its write after each call. The server does not signal freed
// room, so this first yields for up to yieldFor (another goroutine,
// perhaps the server's, frees it within microseconds), then sleeps,
// backing off from 20 µs to 1 ms, watching the server's liveness, Close
// and ctx.
func (c *Client) waitRoom(ctx context.Context, w *roomWait) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.tries == 0 {
		w.start = time.Now()
	}
	w.tries++
	if w.tries%64 == 0 && c.serverGone(&c.sp) {
		return ErrNotConnected
	}
	if time.Since(w.start) < yieldFor {
		runtime.Gosched()
		return nil
	}
	time.Sleep(min(20*time.Microsecond<<min(w.sleeps, 6), time.Millisecond))
	w.sleeps++
	return nil
}

// yieldFor is how long waitRoom yields before it sleeps.
const yieldFor = 100 * time.Microsecond

// spinWait bounds recvRing's spin. Measured in-process on 2 CPUs, 10 µs
// of spinning tripled SHM round trips per second; it costs at most 10 µs
// of CPU per slow response.
const spinWait = 10 * time.Microsecond

// notify sends the request's notification byte on the setup socket
// (§3.7). The request is already in the ring, so this does not give up on
// a context: only a hang-up or Close stops it.
func (c *Client) notify() error {
	for {
		_, e := sendNB(c.setup, c.note[:])
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			c.sp.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLOUT}
			if e := c.sp.wait(1, liveSlice); e != 0 {
				return errnoError(e)
			}
			if c.sp.fds[0].Revents&hangup != 0 {
				c.lost.Store(true)
				return ErrNotConnected
			}
			if c.closed.Load() {
				return ErrClosed
			}
			continue
		}
		c.lost.Store(true)
		return ErrNotConnected // EPIPE, ECONNRESET, ENOTCONN
	}
}

// sendDgram sends one request datagram, waiting for room in the server's
// queue (EAGAIN/ENOBUFS), and counts it in the control file.
func (c *Client) sendDgram(ctx context.Context, p []byte) error {
	for {
		_, e := sendNB(c.reqSock, p)
		switch e {
		case 0:
			atomic.AddInt32(c.ctlWord(ctlReqSent), 1)
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN, unix.ENOBUFS:
			if err := c.waitSock(ctx, &c.sp, c.reqSock, unix.POLLOUT); err != nil {
				return err
			}
			continue
		case unix.EMSGSIZE:
			return ErrTooBig
		}
		c.lost.Store(true)
		return ErrNotConnected // ECONNREFUSED, ENOTCONN, EPIPE: the server's socket is gone
	}
}

// waitSock polls fd for events together with the setup socket for a
// hang-up, for one slice; it returns nil to retry, or why not to.
func (c *Client) waitSock(ctx context.Context, p *poller, fd int, events int16) error {
	p.fds[0] = unix.PollFd{Fd: int32(fd), Events: events}
	p.fds[1] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLRDHUP}
	if e := p.wait(2, waitSlice(ctx)); e != 0 {
		return errnoError(e)
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if p.fds[0].Revents&events != 0 {
		return nil // ready: retry at once, even when the server just hung up
	}
	if p.fds[1].Revents&hangup != 0 || p.fds[0].Revents&hangup != 0 {
		c.lost.Store(true)
		return ErrNotConnected
	}
	return ctx.Err()
}

// recvLocked waits for one response and copies it into resp, after
// dropping the responses owed to earlier Requests whose context ended. If
// ctx ends first and the response is a Request's (orphan), it becomes one
// of those; a Recv's stays for the next Recv.
func (c *Client) recvLocked(ctx context.Context, resp []byte, orphan bool) (int, error) {
	var n int
	err := c.dropStale(ctx)
	if err == nil {
		if c.mode == ModeSocket {
			n, err = c.recvDgram(ctx, &c.sp, c.reqSock, ctlRespSent, resp)
		} else {
			n, err = c.recvRing(ctx, &c.sp, c.respRing, resp)
		}
	}
	if orphan && err != nil && err == ctx.Err() {
		c.stale++
	}
	return n, err
}

// recvRing waits on a ring's semaphore in slices and reads one chunk.
// With more than one P it first spins for up to spinWait: a server that
// answers within microseconds then costs no futex sleep and wake-up.
func (c *Client) recvRing(ctx context.Context, p *poller, r *qbring.Ring, dst []byte) (int, error) {
	if c.spin {
		for start := time.Now(); time.Since(start) < spinWait; {
			if ch, err := r.Peek(); err == nil {
				return c.take(r, ch, dst)
			}
		}
	}
	for {
		ch, err := r.PeekWait(waitSlice(ctx))
		if err == nil {
			return c.take(r, ch, dst)
		}
		if err != qbsem.ErrTimeout {
			return 0, ringError(err)
		}
		if c.closed.Load() {
			return 0, ErrClosed
		}
		if c.serverGone(p) {
			if ch, err := r.Peek(); err == nil { // it answered before it left
				return c.take(r, ch, dst)
			}
			return 0, ErrNotConnected
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// take copies a peeked chunk out and releases it; a chunk longer than dst
// is released too, and reported as ErrNoBuffers.
func (c *Client) take(r *qbring.Ring, ch qbring.Chunk, dst []byte) (int, error) {
	if ch.Len > len(dst) {
		r.Release()
		return 0, ErrNoBuffers
	}
	n := copy(dst, ch.A)
	copy(dst[n:], ch.B)
	r.Release()
	return ch.Len, nil
}

// recvDgram receives one datagram from fd, waiting in slices, and counts
// it off the control word at ctlOff.
func (c *Client) recvDgram(ctx context.Context, p *poller, fd, ctlOff int, dst []byte) (int, error) {
	for {
		n, e := recvNB(fd, dst, unix.MSG_TRUNC)
		switch e {
		case 0:
			atomic.AddInt32(c.ctlWord(ctlOff), -1)
			if n > len(dst) {
				return 0, ErrNoBuffers
			}
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if err := c.waitSock(ctx, p, fd, unix.POLLIN); err != nil {
				return 0, err
			}
			continue
		}
		c.lost.Store(true)
		return 0, ErrNotConnected
	}
}

// dropStale reads and drops the responses owed to calls whose context
// ended, so that the next response read is the current request's.
func (c *Client) dropStale(ctx context.Context) error {
	for c.stale > 0 {
		var err error
		if c.mode == ModeSocket {
			// MSG_TRUNC: the datagram goes, whatever its size
			_, err = c.recvDgram(ctx, &c.sp, c.reqSock, ctlRespSent, c.staleBuf[:])
		} else {
			_, err = c.recvRing(ctx, &c.sp, c.respRing, nil)
		}
		if err != nil && err != ErrNoBuffers {
			return err
		}
		c.stale--
	}
	return nil
}

// Claim reserves n bytes for the next request and returns them to fill
// in place; Commit sends them. In SHM mode the bytes are the request
// ring's own (zero copy) unless the chunk wraps around the ring's end, in
// which case they are a client buffer that Commit copies. A full ring
// gives ErrTryAgain (Claim does not wait), flow control ErrTryAgain too.
// Every successful Claim must be followed by Commit before any other send.
func (c *Client) Claim(n int) ([]byte, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if err := c.checkSend(); err != nil {
		return nil, err
	}
	if n < 0 || n > c.maxMsg {
		return nil, ErrTooBig
	}
	c.bounced = true
	if c.mode == ModeSHM {
		ch, err := c.reqRing.Claim(n)
		if err == qbring.ErrFull {
			return nil, ErrTryAgain
		}
		if err != nil {
			return nil, ringError(err)
		}
		c.claim = ch
		c.bounced = len(ch.B) > 0
	}
	c.claimed, c.claimN = true, n
	if !c.bounced {
		return c.claim.A[:n:n], nil
	}
	if cap(c.bounce) < n {
		c.bounce = make([]byte, n)
	}
	return c.bounce[:n:n], nil
}

// Commit sends the first n bytes (n ≤ the claimed size) of the buffer the
// last Claim returned.
func (c *Client) Commit(n int) error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if !c.claimed {
		return ErrInvalid
	}
	if n < 0 || n > c.claimN {
		return ErrInvalid
	}
	if c.closed.Load() {
		return ErrClosed
	}
	c.claimed = false
	if c.mode == ModeSocket {
		return c.sendDgram(context.Background(), c.bounce[:n])
	}
	if c.bounced {
		k := copy(c.claim.A, c.bounce[:n])
		copy(c.claim.B, c.bounce[k:n])
	}
	c.claim.Len = n
	if err := c.reqRing.Commit(c.claim); err != nil {
		return ringError(err)
	}
	c.claim = qbring.Chunk{}
	return c.notify()
}

// Event waits for the next event the server sent and copies it into buf,
// returning its length. An event longer than buf is dropped with
// ErrNoBuffers. SHM mode: the setup socket is polled for the
// notification byte, the event chunk read, then exactly one notification
// byte consumed (§3.7). Socket mode: one datagram from the event socket.
// Events already queued when the server hangs up are still delivered;
// then ErrNotConnected.
func (c *Client) Event(ctx context.Context, buf []byte) (int, error) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if err := c.checkOpen(); err != nil {
		return 0, err
	}
	if c.mode == ModeSocket {
		return c.recvDgram(ctx, &c.ep, c.evSock, ctlEventSent, buf)
	}
	r := c.evRing
	for {
		if ch, err := r.Peek(); err == nil {
			return c.takeEvent(ctx, ch, buf)
		} else if err != qbring.ErrEmpty {
			return 0, ringError(err)
		}
		if c.evOwed > 0 {
			c.payOwed()
		}
		p := &c.ep
		p.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLIN | unix.POLLRDHUP}
		if e := p.wait(1, waitSlice(ctx)); e != 0 {
			return 0, errnoError(e)
		}
		rev := p.fds[0].Revents
		if c.closed.Load() {
			return 0, ErrClosed
		}
		switch {
		case rev&hangup != 0 || c.reqRing.RefCount() != 2:
			if ch, err := r.Peek(); err == nil {
				return c.takeEvent(ctx, ch, buf)
			}
			c.lost.Store(true)
			return 0, ErrNotConnected
		case rev&unix.POLLIN != 0 && c.evOwed == 0:
			// A byte without a token would be a server bug; wait on the
			// semaphore rather than spin on the readable socket.
			if ch, err := r.PeekWait(waitSlice(ctx)); err == nil {
				return c.takeEvent(ctx, ch, buf)
			}
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
}

// takeEvent copies an event chunk out, releases it and consumes its
// notification byte. The server posts before it sends the byte, so the
// byte may lag a little: takeEvent waits for it up to one slice, and a
// byte still missing then is owed, paid by the next Event.
func (c *Client) takeEvent(ctx context.Context, ch qbring.Chunk, buf []byte) (int, error) {
	n, err := c.take(c.evRing, ch, buf)
	c.evOwed++
	c.payOwed()
	if c.evOwed > 0 {
		p := &c.ep
		p.fds[0] = unix.PollFd{Fd: int32(c.setup), Events: unix.POLLIN}
		if p.wait(1, waitSlice(ctx)) == 0 {
			c.payOwed()
		}
	}
	return n, err
}

// payOwed reads, without waiting, up to the number of notification bytes
// owed.
func (c *Client) payOwed() {
	for c.evOwed > 0 {
		k := min(c.evOwed, len(c.evByteBuf))
		n, e := recvNB(c.setup, c.evByteBuf[:k], 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 || n == 0 {
			return
		}
		c.evOwed -= n
	}
}

// ringError maps a qbring error to the client's.
func ringError(err error) error {
	switch {
	case errors.Is(err, qbring.ErrTooBig):
		return ErrTooBig
	case errors.Is(err, qbring.ErrCorrupt):
		return ErrBadMessage
	case errors.Is(err, qbring.ErrFull):
		return ErrTryAgain
	case errors.Is(err, qbring.ErrClosed):
		return ErrClosed
	}
	return ErrNotConnected
}
