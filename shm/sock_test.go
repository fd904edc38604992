package shm

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestSocketModeRoundTrips(t *testing.T) {
	for _, max := range []int{16 << 10, 1 << 20} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			h := newHarness(t, Config{Mode: ModeSocket, MaxMsgSize: max})
			c := dialClient(t, h.name, uint32(max))
			if c.connType != 0 || c.paths[2] != "" {
				t.Fatalf("type %d event path %q", c.connType, c.paths[2])
			}
			dir := filepath.Dir(c.paths[0])
			if want := dir + "/qb-control-" + h.name; c.paths[0] != want {
				t.Fatalf("control path %q, want %q", c.paths[0], want)
			}
			if want := dir + "/qb-" + h.name; c.paths[1] != want {
				t.Fatalf("socket base %q, want %q", c.paths[1], want)
			}
			st, err := os.Stat(c.paths[0])
			if err != nil || st.Size() != 24 || st.Mode().Perm() != 0o600 {
				t.Fatalf("control file: %v %v", st, err)
			}
			n := 1000
			if max > 64<<10 {
				n = 100
			}
			roundTrips(t, c, max, n)
			if got := atomic.LoadInt32(c.ctlWord(ctlReqSent)); got != 0 {
				t.Fatalf("request sent counter %d", got)
			}
			// the server counts a response just after sending it
			eventually(t, 5*time.Second, "response counter", func() bool { return atomic.LoadInt32(c.ctlWord(ctlRespSent)) == int32(n) })
			// the datagram sockets are abstract: nothing else in the directory
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Fatalf("directory holds %d entries", len(ents))
			}
		})
	}
}

func TestSocketModeEventsAndFlowControl(t *testing.T) {
	h := newHarness(t, Config{Mode: ModeSocket, MaxMsgSize: 64 << 10, EventQueue: 4096})
	h.h.welcome.Store(true) // an event before the client has bound its event socket
	c := dialClient(t, h.name, 64<<10)
	ev := make([]byte, 64<<10)
	k, err := c.recvEvent(ev, 5*time.Second)
	if err != nil || k != 32 || binary.LittleEndian.Uint32(ev[24:]) != 0xabcd {
		t.Fatalf("welcome event: %d %v", k, err)
	}
	le := binary.LittleEndian
	for _, tc := range []struct{ n, size int }{{5, 100}, {500, 1000}, {20, 64 << 10}} {
		req := make([]byte, 24)
		le.PutUint32(req[0:], 100)
		le.PutUint32(req[8:], 24)
		le.PutUint32(req[16:], uint32(tc.n))
		le.PutUint32(req[20:], uint32(tc.size))
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		if _, err := c.recvResponse(make([]byte, 64), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		want := make([]byte, tc.size)
		for i := 0; i < tc.n; i++ {
			k, err := c.recvEvent(ev, 5*time.Second)
			fillEvent(want, uint32(i))
			if err != nil || k != tc.size || string(ev[:k]) != string(want) {
				t.Fatalf("event %d/%d: %d bytes, %v", i, tc.n, k, err)
			}
		}
	}
	if st := h.s.Stats(); st.EventsQueued == 0 {
		t.Logf("no event had to wait (datagram queue never full): %+v", st)
	}
	for _, v := range []int32{1, 2, 0} {
		req := make([]byte, 24)
		le.PutUint32(req[0:], 102)
		le.PutUint32(req[8:], 24)
		le.PutUint32(req[16:], uint32(v))
		if err := c.send(req); err != nil {
			t.Fatal(err)
		}
		if _, err := c.recvResponse(make([]byte, 64), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "flow control word", func() bool { return atomic.LoadInt32(c.ctlWord(ctlReqFC)) == v })
	}
	dir := filepath.Dir(c.paths[0])
	c.close()
	eventually(t, 5*time.Second, "directory removal", func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) })
}

// A client that never binds its event socket is dropped after the
// handshake timeout once an event is waiting for it.
func TestSocketModeEventSocketNeverBound(t *testing.T) {
	h := newHarness(t, Config{Mode: ModeSocket, HandshakeTimeout: 300 * time.Millisecond})
	h.h.welcome.Store(true)
	c, err := handshakeRaw(h.name, 1<<20)
	if err != nil || c.errno != 0 {
		t.Fatal(err, c.errno)
	}
	defer c.close()
	if err := c.waitHangup(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}
