package shm

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sizes returns request sizes from 16 to max: the edges, then a spread.
func sizes(max, n int) []int {
	out := []int{16, 17, 23, 24, 25, 27, 28, max - 1, max}
	for i := 0; len(out) < n; i++ {
		out = append(out, 16+(i*7919+i*i*31)%(max-15))
	}
	return out
}

// roundTrips sends every size and checks each echo; it returns the bytes
// moved through each ring.
func roundTrips(t *testing.T, c *rawClient, max, n int) int {
	t.Helper()
	buf := make([]byte, max)
	rbuf := make([]byte, max+64)
	total := 0
	for i, size := range sizes(max, n) {
		req := request(buf, int32(i%100), size, byte(i))
		if err := c.send(req); err != nil {
			t.Fatalf("send %d bytes: %v", size, err)
		}
		k, err := c.recvResponse(rbuf, 5*time.Second)
		if err != nil {
			t.Fatalf("response to %d bytes: %v", size, err)
		}
		checkEcho(t, req, rbuf[:k])
		total += size
	}
	return total
}

func TestSHMRoundTrips(t *testing.T) {
	for _, max := range []int{16 << 10, 1 << 20} {
		t.Run(fmt.Sprint(max), func(t *testing.T) { testSHMRoundTrips(t, max) })
	}
}

func testSHMRoundTrips(t *testing.T, max int) {
	{
		h := newHarness(t, Config{MaxMsgSize: max})
		c := dialClient(t, h.name, uint32(max))
		n := 3000
		if max > 64<<10 {
			n = 400
		}
		total := roundTrips(t, c, max, n)
		wraps := total / max
		if wraps < 50 {
			t.Fatalf("only %d wrap-arounds", wraps)
		}
		t.Logf("max %d: %d requests, %d bytes, ≈%d wrap-arounds of each ring", max, n, total, wraps)
		// The counters are published after the response is committed, so
		// the client may see its last response a moment before them.
		eventually(t, 5*time.Second, "stats", func() bool {
			st := h.s.Stats()
			return st.Requests == uint64(n) && st.Responses == uint64(n) && st.BadRequests == 0
		})
	}
}

// Events arrive in order, each with exactly one notification byte, also
// when the event ring is full (queue) and the setup socket is full (owed
// bytes).
func TestSHMEventsOneToOne(t *testing.T) {
	h := newHarness(t, Config{MaxMsgSize: 16 << 10, EventQueue: 4096})
	c := dialClient(t, h.name, 16<<10)
	for _, tc := range []struct{ n, size int }{{10, 100}, {3000, 24}, {400, 1000}, {50, 16 << 10}} {
		req := make([]byte, 24)
		le := binary.LittleEndian
		le.PutUint32(req[0:], 100)
		le.PutUint32(req[8:], 24)
		le.PutUint32(req[16:], uint32(tc.n))
		le.PutUint32(req[20:], uint32(tc.size))
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		rbuf := make([]byte, 64)
		if _, err := c.recvResponse(rbuf, 5*time.Second); err != nil {
			t.Fatalf("%v; stats %+v", err, h.s.Stats())
		}
		if tc.n == 3000 {
			// 3000 small events: more than the setup socket takes in
			// one-byte messages, so some notification bytes were owed.
			var owed, queued int
			h.run(func() {
				for _, cn := range h.h.conns {
					owed, queued = cn.owed, cn.QueuedEvents()
				}
			})
			if owed == 0 && queued == 0 {
				t.Fatalf("neither owed bytes nor queued events with %d events unread", tc.n)
			}
			t.Logf("%d events unread: %d notification bytes owed, %d events queued", tc.n, owed, queued)
		}
		ev := make([]byte, 16<<10)
		want := make([]byte, tc.size)
		for i := 0; i < tc.n; i++ {
			k, err := c.recvEvent(ev, 5*time.Second)
			if err != nil {
				t.Fatalf("event %d/%d: %v", i, tc.n, err)
			}
			fillEvent(want, uint32(i))
			if k != tc.size || string(ev[:k]) != string(want) {
				t.Fatalf("event %d: %d bytes, want %d (seq %d)", i, k, tc.size, le.Uint32(ev[24:]))
			}
		}
		// No byte and no event more.
		if n, err := recvTimeout(c.fd, make([]byte, 1), 50*time.Millisecond); err != unix.ETIMEDOUT {
			t.Fatalf("extra notification byte: %d %v", n, err)
		}
		if v := c.ev.Sem().Value(); v != 0 {
			t.Fatalf("event semaphore %d after reading everything", v)
		}
	}
	st := h.s.Stats()
	if st.Events != 3000+10+400+50 || st.EventsQueued == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSHMFlowControlAndServerClose(t *testing.T) {
	h := newHarness(t, Config{})
	c := dialClient(t, h.name, 1<<20)
	rbuf := make([]byte, 64)
	for _, v := range []int32{2, 1, 0} {
		req := make([]byte, 24)
		binary.LittleEndian.PutUint32(req[0:], 102)
		binary.LittleEndian.PutUint32(req[8:], 24)
		binary.LittleEndian.PutUint32(req[16:], uint32(v))
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		if _, err := c.recvResponse(rbuf, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "flow control word", func() bool { return c.req.FlowControl() == v })
		// the word is at offset 8240 of the request ring's header file
		b, err := os.ReadFile(c.paths[0] + "-header")
		if err != nil || int32(binary.LittleEndian.Uint32(b[8240:])) != v {
			t.Fatalf("header word at 8240: %v", err)
		}
	}
	dir := filepath.Dir(c.paths[0])
	req := make([]byte, 16)
	binary.LittleEndian.PutUint32(req[0:], 101)
	binary.LittleEndian.PutUint32(req[8:], 16)
	if err := c.send(req); err != nil {
		t.Fatal(err)
	}
	if err := c.waitHangup(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory after server close: %v", err)
	}
	if n := c.req.RefCount(); n != 1 {
		t.Fatalf("ref_count %d after the server closed its side", n)
	}
	eventually(t, 5*time.Second, "Disconnected", func() bool { return h.h.disconnected.Load() == 1 })
}

// Explicit disconnect requests (§4): id -3, or size 0.
func TestSHMDisconnectRequests(t *testing.T) {
	h := newHarness(t, Config{})
	for _, hdr := range [][2]int32{{-3, 16}, {5, 0}} {
		c := dialClient(t, h.name, 1<<20)
		req := make([]byte, 16)
		binary.LittleEndian.PutUint32(req[0:], uint32(hdr[0]))
		binary.LittleEndian.PutUint32(req[8:], uint32(hdr[1]))
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "disconnects", func() bool { return h.s.Stats().Disconnects == 2 })
	if st := h.s.Stats(); st.BadRequests != 0 || st.Requests != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Server.Close with clients connected removes everything and the clients
// see the hang-up.
func TestServerCloseWithClients(t *testing.T) {
	h := newHarness(t, Config{})
	var cs []*rawClient
	for i := 0; i < 10; i++ {
		cs = append(cs, dialClient(t, h.name, 1<<20))
	}
	eventually(t, 5*time.Second, "adoption", func() bool { return h.h.connected.Load() == 10 })
	h.close()
	for _, c := range cs {
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if h.h.disconnected.Load() != 10 {
		t.Fatalf("%d Disconnected calls", h.h.disconnected.Load())
	}
	if _, err := connectSetup(h.name); err == nil {
		t.Fatal("listener still bound after Close")
	}
	checkNoLeftovers(t)
}
