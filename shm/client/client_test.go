package client_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
	"github.com/gorosync/gorosync/shm/shmtest"
	"golang.org/x/sys/unix"
)

const (
	reqHdr  = shmtest.ReqHdr
	respHdr = shmtest.RespHdr
	maxMsg  = client.DefaultMaxMsgSize
	// maxPayload is the largest echo payload: the response is 8 bytes
	// longer than the request.
	maxPayload = maxMsg - respHdr
)

var le = binary.LittleEndian

// modes runs f for both transports.
func modes(t *testing.T, f func(t *testing.T, mode shm.Mode)) {
	for _, m := range []shm.Mode{shm.ModeSHM, shm.ModeSocket} {
		t.Run(m.String(), func(t *testing.T) { f(t, m) })
	}
}

// ctxT is a context bounded so that no test can hang.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func dial(t testing.TB, name string) *client.Client {
	t.Helper()
	c, err := client.Dial(ctxT(t, 10*time.Second), name, client.Options{})
	if err != nil {
		t.Fatalf("Dial(%s): %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantMode checks that the client obeys the server's connection_type.
func wantMode(t testing.TB, c *client.Client, m shm.Mode) {
	t.Helper()
	want := client.ModeSHM
	if m == shm.ModeSocket {
		want = client.ModeSocket
	}
	if c.Mode() != want {
		t.Fatalf("client mode %v, server mode %v", c.Mode(), m)
	}
}

// echoer does checked echo round trips with its own buffers.
type echoer struct {
	t    testing.TB
	c    *client.Client
	req  []byte
	resp []byte
	ctx  context.Context
}

func newEchoer(t testing.TB, c *client.Client) *echoer {
	return &echoer{t: t, c: c, req: make([]byte, maxMsg+1), resp: make([]byte, maxMsg), ctx: ctxT(t, 10*time.Minute)}
}

func (e *echoer) echo(n int, seed uint32) {
	e.t.Helper()
	req := e.req[:reqHdr+n]
	shmtest.PutReqHdr(req, shmtest.IDEcho, len(req))
	shmtest.Fill(req[reqHdr:], seed)
	got, err := e.c.Request(e.ctx, req, e.resp)
	if err != nil {
		e.t.Fatalf("echo %d bytes: %v", n, err)
	}
	if got != respHdr+n {
		e.t.Fatalf("echo %d bytes: response of %d bytes", n, got)
	}
	id, size, code := shmtest.RespHeader(e.resp)
	if id != shmtest.IDEcho || size != got || code != 1 {
		e.t.Fatalf("echo %d bytes: header id %d size %d error %d", n, id, size, code)
	}
	if i := shmtest.Check(e.resp[respHdr:got], seed); i >= 0 {
		e.t.Fatalf("echo %d bytes: byte %d differs", n, i)
	}
}

// events asks for count events of n bytes and reads and checks them.
func (e *echoer) events(n, count int, seed uint32) {
	e.t.Helper()
	req := e.req[:shmtest.EventsHdr+n]
	shmtest.PutReqHdr(req, shmtest.IDEvents, len(req))
	le.PutUint32(req[reqHdr:], uint32(count))
	le.PutUint32(req[reqHdr+4:], 0)
	shmtest.Fill(req[shmtest.EventsHdr:], seed)
	got, err := e.c.Request(e.ctx, req, e.resp)
	if err != nil || got != respHdr {
		e.t.Fatalf("events request (%d × %d bytes): %d bytes, %v", count, n, got, err)
	}
	for i := range count {
		got, err := e.c.Event(e.ctx, e.resp)
		if err != nil {
			e.t.Fatalf("event %d of %d (%d bytes): %v", i, count, n, err)
		}
		id, size, code := shmtest.RespHeader(e.resp)
		if got != respHdr+n || id != shmtest.IDEvents || size != got || code != 1 {
			e.t.Fatalf("event %d of %d: %d bytes, header id %d size %d error %d", i, count, got, id, size, code)
		}
		if j := shmtest.Check(e.resp[respHdr:got], seed); j >= 0 {
			e.t.Fatalf("event %d of %d (%d bytes): byte %d differs", i, count, n, j)
		}
	}
}

func (e *echoer) count() uint64 {
	e.t.Helper()
	req := e.req[:reqHdr]
	shmtest.PutReqHdr(req, shmtest.IDCount, reqHdr)
	got, err := e.c.Request(e.ctx, req, e.resp)
	if err != nil || got != respHdr+8 {
		e.t.Fatalf("count: %d bytes, %v", got, err)
	}
	return le.Uint64(e.resp[respHdr:])
}

var sizes = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 1023, 1024, 1025,
	4095, 4096, 4097, 65535, 65536, 65537, 131072, 262144, 524287, 524288, 1000000,
	maxPayload - 1, maxPayload}

func TestRoundTripSizes(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		c := dial(t, s.Name)
		wantMode(t, c, mode)
		if c.MaxMsgSize() != maxMsg {
			t.Fatalf("negotiated max %d", c.MaxMsgSize())
		}
		pid, uid, _ := c.Server()
		if int(pid) != os.Getpid() || uid != uint32(os.Getuid()) {
			t.Fatalf("server credentials pid %d uid %d", pid, uid)
		}
		e := newEchoer(t, c)
		for i, n := range sizes {
			e.echo(n, uint32(i))
		}
		// too big for the channel: refused before anything is sent
		if _, err := c.Request(e.ctx, e.req[:maxMsg+1], e.resp); !errors.Is(err, client.ErrTooBig) {
			t.Fatalf("request of max+1 bytes: %v, want ErrTooBig", err)
		}
		// a response longer than the buffer is dropped, the next one is fine
		req := e.req[:reqHdr+100]
		shmtest.PutReqHdr(req, shmtest.IDEcho, len(req))
		if _, err := c.Request(e.ctx, req, e.resp[:50]); !errors.Is(err, client.ErrNoBuffers) {
			t.Fatalf("response into a short buffer: %v, want ErrNoBuffers", err)
		}
		e.echo(10, 99)
		c.Close()
		if _, err := c.Request(e.ctx, req, e.resp); !errors.Is(err, client.ErrClosed) {
			t.Fatalf("request after Close: %v", err)
		}
	})
}

// TestWrapAround pushes ~100 MB each way through the 1 MiB rings in
// chunks of odd sizes, so every ring wraps about 100 times at ever
// different offsets, and small chunks that land on every alignment.
func TestWrapAround(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		e := newEchoer(t, dial(t, s.Name))
		rng := uint32(7)
		next := func(n uint32) int { rng = rng*1103515245 + 12345; return int((rng >> 8) % n) }
		total := 0
		for i := range 2000 {
			n := next(100001)
			if i%97 == 0 {
				n = maxPayload - next(4096)
			}
			e.echo(n, uint32(i))
			total += n
		}
		for i := range 3000 {
			e.echo(next(300), uint32(i))
		}
		if ring := qbDataSize(); total < 50*ring {
			t.Fatalf("only %d bytes went through a %d-byte ring", total, ring)
		}
		// the event ring too
		for i := range 400 {
			e.events(next(60001), 1+next(4), uint32(i))
		}
	})
}

func qbDataSize() int { return (maxMsg + 13 + 4095) / 4096 * 4096 }

func TestEvents(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		for i, n := range sizes {
			count := 1 + i%3
			if n > 300000 {
				count = 1
			}
			e.events(n, count, uint32(i))
		}
		// more events than the event channel holds: the server queues
		// them and the client drains them in order
		e.events(200000, 30, 5)
		e.events(0, 500, 6)

		// Fd becomes readable for an event, as an application polls it
		req := e.req[:shmtest.EventsHdr+3]
		shmtest.PutReqHdr(req, shmtest.IDEvents, len(req))
		le.PutUint32(req[reqHdr:], 1)
		if _, err := c.Request(e.ctx, req, e.resp); err != nil {
			t.Fatal(err)
		}
		fds := []unix.PollFd{{Fd: int32(c.Fd()), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 5000); n != 1 || err != nil || fds[0].Revents&unix.POLLIN == 0 {
			t.Fatalf("Fd not readable with an event queued: %d %v %#x", n, err, fds[0].Revents)
		}
		if n, err := c.Event(e.ctx, e.resp); err != nil || n != respHdr+3 {
			t.Fatalf("event: %d %v", n, err)
		}
		// and not readable when there is none (SHM: the byte was consumed)
		if n, _ := unix.Poll(fds, 20); n != 0 {
			t.Fatalf("Fd readable with no event: %#x", fds[0].Revents)
		}
		// an event longer than the buffer is dropped; the next one arrives
		req = e.req[:shmtest.EventsHdr+100]
		shmtest.PutReqHdr(req, shmtest.IDEvents, len(req))
		le.PutUint32(req[reqHdr:], 2)
		if _, err := c.Request(e.ctx, req, e.resp); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Event(e.ctx, e.resp[:10]); !errors.Is(err, client.ErrNoBuffers) {
			t.Fatalf("event into a short buffer: %v", err)
		}
		if n, err := c.Event(e.ctx, e.resp); err != nil || n != respHdr+100 {
			t.Fatalf("event after a dropped one: %d %v", n, err)
		}
	})
}

// TestEventsConcurrent reads events on one goroutine while another does
// round trips, as an application with a dispatch loop does.
func TestEventsConcurrent(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		const rounds, per = 300, 3
		errc := make(chan error, 1)
		go func() {
			buf := make([]byte, maxMsg)
			ctx := ctxT(t, 60*time.Second)
			for i := range rounds * per {
				n, err := c.Event(ctx, buf)
				if err != nil {
					errc <- fmt.Errorf("event %d: %w", i, err)
					return
				}
				if j := shmtest.Check(buf[respHdr:n], uint32(i/per)); j >= 0 {
					errc <- fmt.Errorf("event %d: byte %d differs", i, j)
					return
				}
			}
			errc <- nil
		}()
		for i := range rounds {
			req := e.req[:shmtest.EventsHdr+1000+i]
			shmtest.PutReqHdr(req, shmtest.IDEvents, len(req))
			le.PutUint32(req[reqHdr:], per)
			le.PutUint32(req[reqHdr+4:], 0)
			shmtest.Fill(req[shmtest.EventsHdr:], uint32(i))
			if _, err := c.Request(e.ctx, req, e.resp); err != nil {
				t.Fatal(err)
			}
			e.echo(i, uint32(i))
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func TestOneWayAndClaim(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		before := e.count()
		msg := make([]byte, 2048)
		for i := range 20000 { // a full ring is waited out
			m := msg[:reqHdr+i%2000]
			shmtest.PutReqHdr(m, shmtest.IDSink, len(m))
			if err := c.Send(e.ctx, m); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if got := e.count() - before; got != 20000 {
			t.Fatalf("server counted %d one-way messages, want 20000", got)
		}
		// zero-copy: Claim, fill in place, Commit; Recv the reply. Sizes
		// vary so that claims also straddle the ring's end.
		for i := range 1500 {
			n := (i * 7919) % 150000
			b, err := c.Claim(reqHdr + n)
			if err != nil {
				t.Fatalf("claim %d: %v", i, err)
			}
			shmtest.PutReqHdr(b, shmtest.IDEcho, len(b))
			shmtest.Fill(b[reqHdr:], uint32(i))
			if err := c.Commit(len(b)); err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
			got, err := c.Recv(e.ctx, e.resp)
			if err != nil || got != respHdr+n {
				t.Fatalf("reply %d: %d bytes, %v", i, got, err)
			}
			if j := shmtest.Check(e.resp[respHdr:got], uint32(i)); j >= 0 {
				t.Fatalf("reply %d: byte %d differs", i, j)
			}
		}
		// a shorter commit than the claim
		b, err := c.Claim(4096)
		if err != nil {
			t.Fatal(err)
		}
		shmtest.PutReqHdr(b, shmtest.IDEcho, reqHdr+5)
		shmtest.Fill(b[reqHdr:reqHdr+5], 3)
		if err := c.Send(e.ctx, b); !errors.Is(err, client.ErrInvalid) {
			t.Fatalf("send with a claim open: %v", err)
		}
		if err := c.Commit(reqHdr + 5); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Recv(e.ctx, e.resp); err != nil || got != respHdr+5 || shmtest.Check(e.resp[respHdr:got], 3) >= 0 {
			t.Fatalf("reply to a short commit: %d %v", got, err)
		}
		if err := c.Commit(1); !errors.Is(err, client.ErrInvalid) {
			t.Fatalf("commit without claim: %v", err)
		}
	})
}

func TestContextCancel(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		var held *shm.Conn
		// id 100 gets no answer until id 101 comes: then the late answer
		// to 100 goes first, then the answer to 101.
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Before: func(c *shm.Conn, req []byte) bool {
			switch le.Uint32(req) {
			case 100:
				held = c
				return true
			case 101:
				var late [respHdr]byte
				le.PutUint32(late[0:], 100)
				le.PutUint32(late[8:], respHdr)
				le.PutUint32(late[16:], 1)
				_ = held.Respond(late[:])
				var h [respHdr]byte
				le.PutUint32(h[0:], 101)
				le.PutUint32(h[8:], respHdr)
				le.PutUint32(h[16:], 1)
				_ = c.Respond(h[:])
				return true
			}
			return false
		}})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		req := make([]byte, reqHdr)
		shmtest.PutReqHdr(req, 100, reqHdr)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Request(ctx, req, e.resp)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("unanswered request: %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("cancellation noticed after %v", d)
		}
		// the late answer to 100 must not be taken for the answer to 101
		shmtest.PutReqHdr(req, 101, reqHdr)
		n, err := c.Request(e.ctx, req, e.resp)
		if err != nil || n != respHdr || le.Uint32(e.resp) != 101 {
			t.Fatalf("request after a cancelled one: %d bytes, id %d, %v", n, le.Uint32(e.resp), err)
		}
		e.echo(1000, 1)

		// Event with nothing to read
		ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel2()
		start = time.Now()
		if _, err := c.Event(ctx2, e.resp); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("event wait: %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("event cancellation noticed after %v", d)
		}
		// an already cancelled context
		ctx3, cancel3 := context.WithCancel(context.Background())
		cancel3()
		if _, err := c.Event(ctx3, e.resp); !errors.Is(err, context.Canceled) {
			t.Fatalf("event with a cancelled context: %v", err)
		}
		if _, err := client.Dial(ctx3, s.Name, client.Options{}); err == nil {
			t.Fatal("Dial with a cancelled context succeeded")
		}
		e.echo(5, 5)
	})
}

func TestNotReady(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Config: func(c *shm.Config) {
			c.Ready = func() bool { return false }
		}})
		_, err := client.Dial(ctxT(t, 10*time.Second), s.Name, client.Options{})
		if !errors.Is(err, client.ErrTryAgain) || !errors.Is(err, unix.EAGAIN) {
			t.Fatalf("Dial to a server that is not ready: %v, want ErrTryAgain", err)
		}
		if !strings.Contains(err.Error(), s.Name) {
			t.Fatalf("error does not name the service: %v", err)
		}
	})
}

func TestRefused(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Config: func(c *shm.Config) {
			c.Authorize = func(pid, uid, gid uint32) bool { return false }
		}})
		_, err := client.Dial(ctxT(t, 10*time.Second), s.Name, client.Options{})
		if !errors.Is(err, client.ErrAccess) || !errors.Is(err, unix.EACCES) {
			t.Fatalf("Dial refused by Authorize: %v, want ErrAccess", err)
		}
	})
}

func TestNoServer(t *testing.T) {
	_, err := client.Dial(ctxT(t, 10*time.Second), shmtest.Name("gstest"), client.Options{})
	if !errors.Is(err, client.ErrConnRefused) {
		t.Fatalf("Dial with no server: %v, want ErrConnRefused", err)
	}
}

func TestFlowControl(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		var first *shm.Conn
		// id 50 (from A): set A's flow control to the payload; id 51 (from
		// B): set A's flow control to the payload.
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Before: func(c *shm.Conn, req []byte) bool {
			id := le.Uint32(req)
			if id != 50 && id != 51 {
				return false
			}
			if id == 50 {
				first = c
			}
			first.SetFlowControl(int32(le.Uint32(req[reqHdr:])))
			var h [respHdr]byte
			le.PutUint32(h[0:], id)
			le.PutUint32(h[8:], respHdr)
			le.PutUint32(h[16:], 1)
			_ = c.Respond(h[:])
			return true
		}})
		a, b := dial(t, s.Name), dial(t, s.Name)
		ea, eb := newEchoer(t, a), newEchoer(t, b)
		set := func(e *echoer, id uint32, v uint32) {
			req := make([]byte, reqHdr+4)
			shmtest.PutReqHdr(req, int32(id), len(req))
			le.PutUint32(req[reqHdr:], v)
			if _, err := e.c.Request(e.ctx, req, e.resp); err != nil {
				t.Fatalf("set flow control %d: %v", v, err)
			}
		}
		set(ea, 50, 1)
		req := ea.req[:reqHdr]
		shmtest.PutReqHdr(req, shmtest.IDEcho, reqHdr)
		if _, err := a.Request(ea.ctx, req, ea.resp); !errors.Is(err, client.ErrTryAgain) {
			t.Fatalf("request under flow control 1: %v, want ErrTryAgain", err)
		}
		if err := a.Send(ea.ctx, req); !errors.Is(err, client.ErrTryAgain) {
			t.Fatalf("send under flow control 1: %v, want ErrTryAgain", err)
		}
		if _, err := a.Claim(100); !errors.Is(err, client.ErrTryAgain) {
			t.Fatalf("claim under flow control 1: %v, want ErrTryAgain", err)
		}
		set(eb, 51, 2) // 2 blocks only CPG multicasts (fc_enable_max 2)
		ea.echo(10, 1)
		set(eb, 51, 0)
		ea.echo(10, 2)
	})
}

// TestServerClosedMidRequest: the server goes away while a request is
// outstanding and an Event wait is blocked: both return ErrNotConnected
// promptly, and the client's Close leaves the (live) server's files alone.
func TestServerClosedMidRequest(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		got := make(chan struct{}, 1)
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Before: func(c *shm.Conn, req []byte) bool {
			if le.Uint32(req) == 100 {
				got <- struct{}{}
				return true // never answered
			}
			return false
		}})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		e.echo(100, 1)
		var wg sync.WaitGroup
		var evErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, evErr = c.Event(e.ctx, make([]byte, 100))
		}()
		errc := make(chan error, 1)
		go func() {
			req := make([]byte, reqHdr)
			shmtest.PutReqHdr(req, 100, reqHdr)
			_, err := c.Request(e.ctx, req, e.resp)
			errc <- err
		}()
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("the server never saw the request")
		}
		start := time.Now()
		s.Stop()
		select {
		case err := <-errc:
			if !errors.Is(err, client.ErrNotConnected) {
				t.Fatalf("request when the server closed: %v, want ErrNotConnected", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("request hangs after the server closed")
		}
		wg.Wait()
		if !errors.Is(evErr, client.ErrNotConnected) {
			t.Fatalf("event wait when the server closed: %v, want ErrNotConnected", evErr)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("server loss noticed after %v", d)
		}
		if _, err := c.Request(e.ctx, e.req[:reqHdr], e.resp); !errors.Is(err, client.ErrNotConnected) {
			t.Fatalf("request after the server closed: %v", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

// TestCloseUnblocks: Close from another goroutine ends a blocked Event
// and a blocked Request.
func TestCloseUnblocks(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{Before: func(c *shm.Conn, req []byte) bool {
			return le.Uint32(req) == 100
		}})
		c := dial(t, s.Name)
		ctx := ctxT(t, 30*time.Second)
		errs := make(chan error, 2)
		go func() {
			_, err := c.Event(ctx, make([]byte, 100))
			errs <- err
		}()
		go func() {
			req := make([]byte, reqHdr)
			shmtest.PutReqHdr(req, 100, reqHdr)
			_, err := c.Request(ctx, req, make([]byte, 100))
			errs <- err
		}()
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			select {
			case err := <-errs:
				if !errors.Is(err, client.ErrClosed) && !errors.Is(err, client.ErrNotConnected) {
					t.Fatalf("blocked call after Close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("a blocked call did not return after Close")
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Close took %v", d)
		}
		// the server notices the hang-up and removes the connection
		if !waitFor(5*time.Second, func() bool { return s.Echo.Disconnects.Load() == 1 }) {
			t.Fatal("server did not see the disconnect")
		}
	})
}

func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if cond() {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return cond()
}

// The dead-server test runs a server in a child process (this test binary
// again), kills it with SIGKILL, and checks that the client notices and
// that its Close removes the files the dead server left (libqb's
// force-close, §4).
const childEnv = "GOROSYNC_SHMCLIENT_CHILD_SERVER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		runChildServer(spec)
		return
	}
	os.Exit(m.Run())
}

func runChildServer(spec string) {
	name, modeName, _ := strings.Cut(spec, ",")
	mode, err := shm.ParseMode(modeName)
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	srv, err := shm.New(shm.Config{Mode: mode, Services: []shm.Service{{Name: name, Handler: &shmtest.Echo{}}}})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	fmt.Println("ready")
	fds := []unix.PollFd{{Fd: int32(srv.Fd()), Events: unix.POLLIN}}
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); { // killed long before
		if srv.Poll() == 0 {
			unix.Poll(fds, 1)
		}
	}
	os.Exit(3)
}

func TestServerDead(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		name := shmtest.Name("gstest")
		ctx := ctxT(t, 30*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+name+","+mode.String())
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := cmd.Process.Pid
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			for _, d := range shmtest.ShmEntries(pid) {
				os.RemoveAll(d)
			}
		})
		if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "ready" {
			t.Fatalf("child server: %q", sc.Text())
		}
		c := dial(t, name)
		e := newEchoer(t, c)
		e.echo(1000, 1)
		if p, _, _ := c.Server(); int(p) != pid {
			t.Fatalf("server pid %d, child %d", p, pid)
		}
		if len(shmtest.ShmEntries(pid)) != 1 {
			t.Fatalf("child's /dev/shm entries: %v", shmtest.ShmEntries(pid))
		}
		cmd.Process.Kill()
		cmd.Wait()
		if _, err := c.Request(e.ctx, e.req[:reqHdr+10], e.resp); !errors.Is(err, client.ErrNotConnected) {
			t.Fatalf("request to a dead server: %v, want ErrNotConnected", err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if left := shmtest.ShmEntries(pid); len(left) != 0 {
			t.Fatalf("Close left the dead server's files: %v", left)
		}
	})
}

// TestFilesystemSockets: with the force-filesystem-sockets file present,
// server and client both use SocketDir/<name> for the setup socket (the
// data sockets stay abstract).
func TestFilesystemSockets(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		dir := t.TempDir()
		flag := dir + "/force-filesystem-sockets"
		if err := os.WriteFile(flag, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		oldFlag, oldDir := shm.ForceFilesystemSocketsPath, shm.SocketDir
		shm.ForceFilesystemSocketsPath, shm.SocketDir = flag, dir
		t.Cleanup(func() { shm.ForceFilesystemSocketsPath, shm.SocketDir = oldFlag, oldDir })
		t.Cleanup(client.SetForceFSFile(flag))

		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		if _, err := os.Stat(dir + "/" + s.Name); err != nil {
			t.Fatalf("no filesystem socket: %v", err)
		}
		c, err := client.Dial(ctxT(t, 10*time.Second), s.Name, client.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		newEchoer(t, c).echo(5000, 1)
		// the default directory (/tmp) holds no such socket
		if _, err := client.Dial(ctxT(t, 10*time.Second), s.Name, client.Options{}); !errors.Is(err, client.ErrConnRefused) {
			t.Fatalf("Dial in /tmp: %v, want ErrConnRefused", err)
		}
	})
}
