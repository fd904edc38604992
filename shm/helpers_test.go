package shm

import (
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var long = flag.Bool("long", false, "run the long hostile-client cycles (1,000 SIGKILLs)")

var svcCounter atomic.Int32

// svcName is a service name no other test (or test binary) uses.
func svcName() string {
	return fmt.Sprintf("gstest-%d-%d", os.Getpid(), svcCounter.Add(1))
}

// shmLeftovers lists what this process's servers left in /dev/shm.
func shmLeftovers() []string {
	m, _ := filepath.Glob(fmt.Sprintf("/dev/shm/qb-%d-*", os.Getpid()))
	return m
}

// checkNoLeftovers fails the test if /dev/shm holds anything of ours, and
// removes it (so that a failure does not leak into other tests).
func checkNoLeftovers(t testing.TB) {
	t.Helper()
	if m := shmLeftovers(); len(m) > 0 {
		t.Errorf("left in /dev/shm: %v", m)
		for _, p := range m {
			os.RemoveAll(p)
		}
	}
}

func requireRoot(t testing.TB) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (chown of per-connection files, SO_SNDBUFFORCE)")
	}
}

// testHandler echoes requests and runs test commands. Request ids:
//
//	0..99 echo: response id = request id, error 1 (CS_OK), then the
//	      request's bytes from offset 24 (so a response is as long as its
//	      request, at least 24 bytes)
//	100   emit N events (N = uint32 at 16, event size = uint32 at 20)
//	101   close the connection from the server side
//	102   set flow control to the int32 at 16, then respond
type testHandler struct {
	mu           sync.Mutex
	conns        map[uint64]*Conn
	requests     atomic.Int64
	connected    atomic.Int64
	disconnected atomic.Int64
	resp         []byte
	noRespond    atomic.Bool
	welcome      atomic.Bool // Connected sends an event at once
}

func newTestHandler() *testHandler { return &testHandler{conns: map[uint64]*Conn{}} }

func (h *testHandler) Connected(c *Conn) {
	h.connected.Add(1)
	if h.welcome.Load() {
		ev := make([]byte, 32)
		fillEvent(ev, 0xabcd)
		if err := c.Event(ev); err != nil {
			panic(err)
		}
	}
	h.mu.Lock()
	h.conns[c.ID()] = c
	h.mu.Unlock()
}

func (h *testHandler) Disconnected(c *Conn) {
	h.disconnected.Add(1)
	h.mu.Lock()
	delete(h.conns, c.ID())
	h.mu.Unlock()
	if err := c.Respond(make([]byte, 24)); err != ErrClosed {
		panic(fmt.Sprintf("Respond after disconnect: %v", err))
	}
}

func (h *testHandler) conn(id uint64) *Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns[id]
}

func (h *testHandler) Request(c *Conn, req []byte) {
	h.requests.Add(1)
	le := binary.LittleEndian
	id := int32(le.Uint32(req[0:]))
	switch id {
	case 100:
		n, size := le.Uint32(req[16:]), int(le.Uint32(req[20:]))
		ev := make([]byte, size)
		for i := uint32(0); i < n; i++ {
			fillEvent(ev, i)
			if err := c.Event(ev); err != nil {
				break
			}
		}
		h.respond(c, 100, nil)
	case 101:
		c.Close()
	case 102:
		c.SetFlowControl(int32(le.Uint32(req[16:])))
		h.respond(c, 102, nil)
	default:
		if h.noRespond.Load() {
			return
		}
		h.respond(c, id, req[min(24, len(req)):])
	}
}

// respond sends a 24-byte header and payload, zero-copy (RespondParts).
func (h *testHandler) respond(c *Conn, id int32, payload []byte) {
	if h.resp == nil {
		h.resp = make([]byte, 24)
	}
	le := binary.LittleEndian
	le.PutUint32(h.resp[0:], uint32(id))
	le.PutUint32(h.resp[8:], uint32(24+len(payload)))
	le.PutUint32(h.resp[16:], 1)
	_ = c.RespondParts(h.resp, payload)
}

// fillEvent makes event i recognisable: header id 7, size, seq at 24.
func fillEvent(b []byte, i uint32) {
	le := binary.LittleEndian
	clear(b)
	le.PutUint32(b[0:], 7)
	le.PutUint32(b[8:], uint32(len(b)))
	if len(b) >= 28 {
		le.PutUint32(b[24:], i)
	}
	for j := 28; j < len(b); j++ {
		b[j] = byte(i + uint32(j))
	}
}

// harness runs Poll on its own goroutine, as the token loop would.
type harness struct {
	t    testing.TB
	s    *Server
	h    *testHandler
	name string
	do   chan func()
	stop chan struct{}
	done chan struct{}
}

// newHarness starts a server of one service (a fresh name) with cfg.
func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	requireRoot(t)
	hd := newTestHandler()
	name := svcName()
	if cfg.Services == nil {
		cfg.Services = []Service{{Name: name, Handler: hd}}
	} else {
		name = cfg.Services[0].Name
	}
	// SHM_DEBUG_LOG=<file> writes the servers' debug log there.
	if path := os.Getenv("SHM_DEBUG_LOG"); path != "" && cfg.Log == nil {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			t.Cleanup(func() { f.Close() })
			cfg.Log = slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, h: hd, name: name, do: make(chan func()), stop: make(chan struct{}), done: make(chan struct{})}
	go h.loop()
	t.Cleanup(func() {
		h.close()
		checkNoLeftovers(t)
	})
	return h
}

func (h *harness) loop() {
	defer close(h.done)
	pfd := []unix.PollFd{{Fd: int32(h.s.Fd()), Events: unix.POLLIN}}
	for {
		select {
		case <-h.stop:
			h.s.Close()
			return
		case f := <-h.do:
			f()
		default:
		}
		_, _ = unix.Poll(pfd, 2)
		h.s.Poll()
	}
}

// run executes f on the Poll goroutine and waits (bounded) for it.
func (h *harness) run(f func()) {
	h.t.Helper()
	done := make(chan struct{})
	select {
	case h.do <- func() { f(); close(done) }:
	case <-time.After(10 * time.Second):
		h.t.Fatal("poll goroutine did not take the function")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("poll goroutine did not run the function")
	}
}

func (h *harness) close() {
	select {
	case <-h.done:
		return
	default:
	}
	close(h.stop)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		h.t.Error("server did not close")
	}
}

// eventually waits up to d for cond.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// openFds counts this process's open descriptors.
func openFds(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
