package shm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// SpinPoll takes requests from the rings of connections active lately
// without a system call: a request whose notification byte has not even
// been sent yet is answered. It looks at nothing before a connection was
// active, leaves a connection with aheadMax bytes unread to Poll, and the
// bytes are all read in the end with none counted as a byte without a
// request. It allocates nothing.
func TestSpinPollTakesRequestsFromMemory(t *testing.T) {
	s, c, cn := directConn(t, ModeSHM)
	req := request(make([]byte, 64), 3, 32, 1)
	rbuf := make([]byte, 256)
	answered := func() bool {
		_, err := c.rsp.ReadWait(rbuf, 0)
		return err == nil
	}
	if w, n := s.SpinPoll(); w != 0 || n != 0 {
		t.Fatalf("no active connection: work %d, looked at %d; want 0, 0", w, n)
	}
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, s, "the first response", answered) // through epoll: now active

	if err := c.req.Write(req); err != nil { // the ring only, no byte
		t.Fatal(err)
	}
	if w, n := s.SpinPoll(); w != 1 || n != 1 || !answered() {
		t.Fatalf("request in the ring: work %d, looked at %d, answered %v; want 1, 1, true", w, n, answered())
	}
	if w, n := s.SpinPoll(); w != 0 || n != 1 {
		t.Fatalf("empty ring: work %d, looked at %d; want 0, 1", w, n)
	}
	if _, err := unix.Write(c.fd, c.one[:]); err != nil { // the late byte
		t.Fatal(err)
	}

	sent := 2
	for cn.ahead < aheadMax {
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		sent++
		if w, _ := s.SpinPoll(); w != 1 || !answered() {
			t.Fatalf("request %d (%d ahead): work %d", sent, cn.ahead, w)
		}
	}
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	sent++
	if w, n := s.SpinPoll(); w != 0 || n != 0 {
		t.Fatalf("%d bytes unread: work %d, looked at %d; want the connection left to Poll", cn.ahead, w, n)
	}
	pollUntil(t, s, "the response through Poll", answered)
	if cn.ahead >= aheadMax {
		t.Fatalf("Poll left %d bytes unread", cn.ahead)
	}

	// Before a sleep the loop reads the bytes and stops watching; a request
	// through epoll makes the connection active again, with room for 21.
	s.BeforeSleep()
	if w, n := s.SpinPoll(); w != 0 || n != 0 {
		t.Fatalf("after BeforeSleep: work %d, looked at %d; want 0, 0", w, n)
	}
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	sent++
	pollUntil(t, s, "the response after the sleep", answered)
	took := 0
	allocs := testing.AllocsPerRun(20, func() {
		_ = c.req.Write(req)
		if w, _ := s.SpinPoll(); w == 1 && answered() {
			took++
		}
	})
	sent += 21 // AllocsPerRun's warm-up run too
	for range 21 {
		_, _ = unix.Write(c.fd, c.one[:])
	}
	if allocs != 0 || took != 21 {
		t.Errorf("SpinPoll with a request: %.1f allocations, %d of 21 taken and answered", allocs, took)
	}
	pollUntil(t, s, "every byte read", func() bool { s.BeforeSleep(); return cn.ahead == 0 && unreadBytes(t, cn) == 0 })
	if st := s.Stats(); st.BadRequests != 0 || st.Requests != uint64(sent) {
		t.Fatalf("stats %+v: want %d requests and no bad ones", st, sent)
	}
}
