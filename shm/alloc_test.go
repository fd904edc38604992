package shm

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// directServer is a started server whose Poll the test calls itself, on
// the test goroutine (no harness), for allocation counts.
func directServer(t *testing.T, mode Mode) (*Server, *testHandler, string) {
	t.Helper()
	requireRoot(t)
	hd := newTestHandler()
	name := svcName()
	s, err := New(Config{Services: []Service{{Name: name, Handler: hd}}, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); checkNoLeftovers(t) })
	return s, hd, name
}

// directConn is a directServer with one raw client connected and adopted:
// the server, the client and the server's side of the connection.
func directConn(t *testing.T, mode Mode) (*Server, *rawClient, *Conn) {
	t.Helper()
	s, hd, name := directServer(t, mode)
	c := dialClient(t, name, 1<<20)
	pollUntil(t, s, "adoption", func() bool { return hd.connected.Load() == 1 })
	var cn *Conn
	for _, x := range hd.conns {
		cn = x
	}
	return s, c, cn
}

// pollUntil calls Poll until cond holds (bounded).
func pollUntil(t *testing.T, s *Server, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		s.Poll()
		time.Sleep(100 * time.Microsecond)
	}
}

// A request → Respond round trip and an Event allocate nothing on either
// side, in both modes (the Go client in this test allocates nothing either,
// so AllocsPerRun sees the server's Poll path alone).
func TestZeroAllocs(t *testing.T) {
	for _, mode := range []Mode{ModeSHM, ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			s, c, cn := directConn(t, mode)
			req := request(make([]byte, 4096), 3, 1000, 1)
			rbuf := make([]byte, 8192)
			ev := make([]byte, 600)
			fillEvent(ev, 1)
			evbuf := make([]byte, 8192)
			roundTrip := func() {
				if err := c.send(req); err != nil {
					t.Fatal(err)
				}
				var n int
				var err error
				for tries := 0; ; tries++ {
					s.Poll()
					if c.rsp != nil {
						n, err = c.rsp.ReadWait(rbuf, 0)
					} else {
						n, err = readRetry(c.respFd, rbuf) // blocking; the response is there
					}
					if err == nil || tries > 1000 {
						break
					}
				}
				if err != nil || n != len(req) {
					t.Fatalf("response: %d %v", n, err)
				}
			}
			event := func() {
				if err := cn.Event(ev); err != nil {
					t.Fatal(err)
				}
				s.Flush() // written outside Poll: its notification byte goes at Flush
				var n int
				var err error
				if c.ev != nil {
					if _, err = readRetry(c.fd, c.one[:]); err == nil {
						n, err = c.ev.ReadWait(evbuf, time.Second)
					}
				} else {
					n, err = readRetry(c.evFd, evbuf)
				}
				if err != nil || n != len(ev) {
					t.Fatalf("event: %d %v", n, err)
				}
			}
			for i := 0; i < 50; i++ { // warm up (socket mode connects lazily)
				roundTrip()
				event()
			}
			if a := testing.AllocsPerRun(2000, roundTrip); a != 0 {
				t.Errorf("request→response round trip: %v allocations", a)
			}
			if a := testing.AllocsPerRun(2000, event); a != 0 {
				t.Errorf("event: %v allocations", a)
			}
			// gathered responses
			parts := func() {
				le := binary.LittleEndian
				hdr := rbuf[:24]
				le.PutUint32(hdr[8:], 24+100)
				if err := cn.RespondParts(hdr, req[:50], req[50:100]); err != nil {
					t.Fatal(err)
				}
				var err error
				if c.rsp != nil {
					_, err = c.rsp.ReadWait(evbuf, time.Second)
				} else {
					_, err = readRetry(c.respFd, evbuf)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if a := testing.AllocsPerRun(2000, parts); a != 0 {
				t.Errorf("RespondParts: %v allocations", a)
			}
		})
	}
}

// Events written outside Poll owe their notification bytes until Flush,
// which sends all of a connection's in one write: a burst of deliveries
// costs one system call per client, and the bytes stay 1:1 with events.
func TestFlushSendsOwedBytesTogether(t *testing.T) {
	s, c, cn := directConn(t, ModeSHM)
	ev := make([]byte, 100)
	const burst = 300
	for i := range burst {
		fillEvent(ev, uint32(i))
		if err := cn.Event(ev); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 4096)
	if n, err := recvTimeout(c.fd, buf, 20*time.Millisecond); err != unix.ETIMEDOUT {
		t.Fatalf("before Flush the client could read %d notification bytes (%v), want none", n, err)
	}
	if w := s.Flush(); w != 1 {
		t.Fatalf("Flush wrote to %d connections, want 1", w)
	}
	got := 0
	for got < burst {
		n, err := recvTimeout(c.fd, buf, time.Second)
		if err != nil {
			t.Fatalf("after %d of %d notification bytes: %v", got, burst, err)
		}
		got += n
	}
	if n, err := recvTimeout(c.fd, buf, 20*time.Millisecond); err != unix.ETIMEDOUT {
		t.Fatalf("%d notification bytes more than events (%v)", n, err)
	}
	if w := s.Flush(); w != 0 {
		t.Fatalf("a second Flush wrote to %d connections, want 0", w)
	}
}

// unreadBytes is how many notification bytes wait in the server's end of
// c's setup socket.
func unreadBytes(t *testing.T, c *Conn) int {
	t.Helper()
	n, err := unix.IoctlGetInt(c.setupFd, unix.SIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Requests are taken from the ring ahead of their notification bytes,
// which are read later, many at once: before the loop sleeps
// (BeforeSleep), once aheadMax wait, or once the connection was quiet for
// quietPasses Polls. Every byte is read in the end, none counts as a byte
// without a request, and every request is answered.
func TestRequestBytesReadLater(t *testing.T) {
	s, c, cn := directConn(t, ModeSHM)
	req := request(make([]byte, 64), 3, 32, 1)
	rbuf := make([]byte, 256)
	ask := func() {
		t.Helper()
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		pollUntil(t, s, "the response", func() bool {
			_, err := c.rsp.ReadWait(rbuf, 0)
			return err == nil
		})
	}

	ask()
	if cn.ahead != 1 || unreadBytes(t, cn) != 1 {
		t.Fatalf("after one request: %d taken ahead, %d bytes unread; want 1 and 1", cn.ahead, unreadBytes(t, cn))
	}
	if w := s.BeforeSleep(); w != 0 || cn.ahead != 0 || unreadBytes(t, cn) != 0 {
		t.Fatalf("BeforeSleep: work %d, %d ahead, %d unread; want 0, 0, 0", w, cn.ahead, unreadBytes(t, cn))
	}

	maxUnread := 0
	for range 3 * aheadMax {
		ask()
		maxUnread = max(maxUnread, unreadBytes(t, cn))
	}
	if maxUnread > aheadMax {
		t.Fatalf("%d bytes were left unread, more than aheadMax (%d)", maxUnread, aheadMax)
	}

	for range quietPasses + 1 { // no BeforeSleep: a quiet connection's bytes are read anyway
		s.Poll()
	}
	if cn.ahead != 0 || unreadBytes(t, cn) != 0 {
		t.Fatalf("after %d quiet Polls: %d ahead, %d unread", quietPasses+1, cn.ahead, unreadBytes(t, cn))
	}
	if st := s.Stats(); st.BadRequests != 0 || st.Requests != 1+3*aheadMax {
		t.Fatalf("stats %+v: want %d requests and no bad ones", st, 1+3*aheadMax)
	}
}
