package shm

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const childEnv = "GOROSYNC_SHM_TEST_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		runChild(v)
		return
	}
	code := m.Run()
	if left := shmLeftovers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: left in /dev/shm after the tests: %v\n", left)
		for _, p := range left {
			os.RemoveAll(p)
		}
		code = 1
	}
	if qbclientPath != "" {
		os.RemoveAll(filepath.Dir(qbclientPath))
	}
	os.Exit(code)
}

// runChild is the test binary re-executed as a client process:
// "client:<service>" connects, says "ready" and sends requests until it is
// killed.
func runChild(v string) {
	kind, arg, _ := strings.Cut(v, ":")
	switch kind {
	case "client":
		c, err := dial(arg, 1<<20)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		buf := make([]byte, 64<<10)
		rbuf := make([]byte, 64<<10+64)
		for i := 0; ; i++ {
			req := request(buf, int32(i%100), 16+rand.IntN(len(buf)-16), byte(i))
			if c.send(req) != nil {
				os.Exit(1)
			}
			if _, err := c.recvResponse(rbuf, 10*time.Second); err != nil {
				os.Exit(1)
			}
		}
	}
	os.Exit(2)
}

// sendRaw writes a raw chunk into the request ring and its notification byte.
func (c *rawClient) sendRaw(chunk []byte) error {
	if err := c.req.Write(chunk); err != nil {
		return err
	}
	_, err := unix.Write(c.fd, c.one[:])
	return err
}

func hdr16(id, size int32, n int) []byte {
	b := make([]byte, n)
	if n >= 16 {
		binary.LittleEndian.PutUint32(b[0:], uint32(id))
		binary.LittleEndian.PutUint32(b[8:], uint32(size))
	}
	return b
}

// goodClientOK does a few round trips on c.
func goodClientOK(t *testing.T, c *rawClient) {
	t.Helper()
	roundTrips(t, c, 4096, 20)
}

func TestHostileLyingHeaders(t *testing.T) {
	const max = 16 << 10
	h := newHarness(t, Config{MaxMsgSize: max})
	good := dialClient(t, h.name, max)
	cases := []struct {
		name  string
		chunk []byte
	}{
		{"size beyond the chunk", hdr16(1, 200, 100)},
		{"size below the header", hdr16(1, 8, 100)},
		{"negative size", hdr16(1, -5, 100)},
		{"chunk shorter than a header", []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"size beyond max_msg_size", hdr16(1, max+1000, max+1000)}, // fits the ring's page rounding
	}
	for i, tc := range cases {
		c := dialClient(t, h.name, max)
		if err := c.sendRaw(tc.chunk); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		eventually(t, 5*time.Second, "bad request counted", func() bool { return h.s.Stats().BadRequests == uint64(i+1) })
		goodClientOK(t, good)
	}
	// A corrupt ring: write_pt out of range.
	c := dialClient(t, h.name, max)
	hdrFile := c.paths[0] + "-header"
	f, err := os.OpenFile(hdrFile, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, 8252, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.req.Write(hdr16(1, 32, 32)); err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(m[0:], 0xfffffff0) // write_pt
	unix.Munmap(m)
	unix.Write(c.fd, c.one[:])
	if err := c.waitHangup(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	goodClientOK(t, good)
	// Stray notification bytes (no request behind them) are counted, not fatal.
	c = dialClient(t, h.name, max)
	before := h.s.Stats().BadRequests
	unix.Write(c.fd, []byte{1, 2, 3})
	eventually(t, 5*time.Second, "stray bytes counted", func() bool { return h.s.Stats().BadRequests == before+3 })
	goodClientOK(t, c)
	// A client that sends garbage and lies about sizes in socket mode.
	if st := h.s.Stats(); st.Active != 2 {
		t.Fatalf("active %d", st.Active)
	}
}

func TestHostileSocketModeDatagrams(t *testing.T) {
	const max = 16 << 10
	h := newHarness(t, Config{Mode: ModeSocket, MaxMsgSize: max})
	good := dialClient(t, h.name, max)
	for i, dgram := range [][]byte{
		hdr16(1, 200, 100),
		hdr16(1, 3, 100),
		make([]byte, 10),
		hdr16(1, max+100, max+100), // longer than max_msg_size: truncated by the kernel, caught by MSG_TRUNC
	} {
		c := dialClient(t, h.name, max)
		if _, err := unix.Write(c.respFd, dgram); err != nil {
			t.Fatal(err)
		}
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatalf("datagram %d: %v", i, err)
		}
		goodClientOK(t, good)
	}
	if st := h.s.Stats(); st.BadRequests != 4 {
		t.Fatalf("stats %+v", st)
	}
	// A datagram with another user's credentials (anyone can reach an
	// abstract name) is dropped, the connection is unaffected. Root may
	// send any credentials, which stands in for another user's process.
	c := dialClient(t, h.name, max)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	ra, _ := newAbstractAddr(c.paths[1] + "-request")
	if err := ra.connect(fd); err != nil {
		t.Fatal(err)
	}
	oob := unix.UnixCredentials(&unix.Ucred{Pid: int32(os.Getpid()), Uid: 65534, Gid: 65534})
	if err := unix.Sendmsg(fd, request(make([]byte, 64), 1, 64, 9), oob, nil, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "stray datagram counted", func() bool { return h.s.Stats().BadRequests == 5 })
	if h.h.requests.Load() != 20*4 {
		t.Fatalf("%d requests reached the handler", h.h.requests.Load())
	}
	goodClientOK(t, c)
}

// A client that never reads its events is disconnected when its queue
// overflows; another client sees no difference.
func TestHostileStalledClient(t *testing.T) {
	for _, mode := range []Mode{ModeSHM, ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, Config{Mode: mode, MaxMsgSize: 64 << 10, EventQueue: 200})
			stalled := dialClient(t, h.name, 64<<10)
			good := dialClient(t, h.name, 64<<10)
			eventually(t, 5*time.Second, "adoption", func() bool { return h.h.connected.Load() == 2 })
			var conns []*Conn
			h.run(func() {
				for _, c := range h.h.conns {
					conns = append(conns, c)
				}
			})
			ev := make([]byte, 1000)
			buf := make([]byte, 64<<10)
			var stallErr atomic.Value
			i := 0
			for ; i < 100000; i++ {
				fillEvent(ev, uint32(i))
				h.run(func() {
					for _, c := range conns {
						if err := c.Event(ev); err != nil {
							stallErr.Store(err)
						}
					}
				})
				if n, err := good.recvEvent(buf, 5*time.Second); err != nil || n != len(ev) || binary.LittleEndian.Uint32(buf[24:]) != uint32(i) {
					t.Fatalf("good client, event %d: %d %v", i, n, err)
				}
				if i%50 == 0 {
					goodClientOK(t, good)
				}
				if stallErr.Load() != nil {
					break
				}
			}
			if e := stallErr.Load(); e != ErrStalled {
				t.Fatalf("after %d events: %v", i, e)
			}
			if err := stalled.waitHangup(5 * time.Second); err != nil {
				t.Fatal(err)
			}
			t.Logf("stalled client dropped after %d events", i+1)
			goodClientOK(t, good)
			if st := h.s.Stats(); st.Stalled != 1 || st.Active != 1 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestHostileGarbageHandshakes(t *testing.T) {
	h := newHarness(t, Config{HandshakeTimeout: 200 * time.Millisecond})
	good := dialClient(t, h.name, 1<<20)
	base := openFds(t)
	r := rand.New(rand.NewPCG(1, 2))
	var held []int
	for i := 0; i < 300; i++ {
		fd, err := connectSetup(h.name)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, r.IntN(40))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if i%3 == 0 && len(b) >= 24 { // a valid id with garbage after it
			binary.LittleEndian.PutUint32(b[0:], 0xffffffff)
		}
		unix.Write(fd, b)
		if i%2 == 0 {
			unix.Close(fd) // close at once
		} else {
			held = append(held, fd) // stay silent (or connected) for a while
		}
		if i%25 == 0 {
			goodClientOK(t, good)
		}
	}
	goodClientOK(t, good)
	for _, fd := range held {
		unix.Close(fd)
	}
	eventually(t, 5*time.Second, "garbage connections gone", func() bool { return h.s.Stats().Active == 1 })
	eventually(t, 5*time.Second, "descriptor count back", func() bool { return openFds(t) == base })
	goodClientOK(t, good)
	t.Logf("stats %+v", h.s.Stats())
}

// Clients killed with SIGKILL at random moments (mid-request included):
// nothing stays in /dev/shm, the server's descriptors come back.
func TestHostileKillCycles(t *testing.T) {
	for _, mode := range []Mode{ModeSHM, ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, Config{Mode: mode})
			// The bar: 1,000 kill cycles leave nothing behind (~8 s).
			cycles := 1000
			if mode == ModeSocket || testing.Short() {
				cycles = 100
			}
			if *long {
				cycles = 1000
			}
			killChild(t, h.name) // warm-up: os/exec's descriptors exist from now on
			eventually(t, 10*time.Second, "warm-up cleanup", func() bool { return h.s.Stats().Active == 0 })
			base := openFds(t)
			start := time.Now()
			runKills(t, h.name, cycles)
			d := time.Since(start)
			eventually(t, 10*time.Second, "all connections cleaned up", func() bool { return h.s.Stats().Active == 0 })
			checkNoLeftovers(t)
			eventually(t, 5*time.Second, "descriptor count back", func() bool { return openFds(t) == base })
			st := h.s.Stats()
			t.Logf("%d kill cycles in %v; stats %+v", cycles, d, st)
			if st.Accepted < uint64(cycles) || st.Disconnects != st.Accepted {
				t.Fatalf("stats %+v", st)
			}
			goodClientOK(t, dialClient(t, h.name, 1<<20))
		})
	}
}

func runKills(t *testing.T, name string, n int) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && !t.Failed() {
				killChild(t, name)
			}
		}()
	}
	wg.Wait()
}

// killChild starts a client process, waits until it is connected, lets
// it run for a random moment and kills it with SIGKILL.
func killChild(t *testing.T, name string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=client:"+name)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Error(err)
		return
	}
	if err := cmd.Start(); err != nil {
		t.Error(err)
		return
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Error("child client failed to connect")
		}
	case <-time.After(20 * time.Second):
		t.Error("child client did not connect in time")
	}
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// A client may truncate the ring files it owns while the server has them
// mapped: the server's next access faults. That client is disconnected
// (its files removed); the daemon and the other clients carry on.
func TestHostileTruncatedRings(t *testing.T) {
	const max = 16 << 10
	h := newHarness(t, Config{MaxMsgSize: max})
	good := dialClient(t, h.name, max)
	for i, ring := range []struct {
		name string
		idx  int // paths[idx]: 0 request, 1 response
	}{{"request ring data", 0}, {"response ring data", 1}} {
		c := dialClient(t, h.name, max)
		goodClientOK(t, c)
		before := h.s.Stats().BadRequests
		truncate := func() {
			if err := os.Truncate(c.paths[ring.idx]+"-data", 0); err != nil {
				t.Errorf("%s: %v", ring.name, err)
			}
		}
		if i == 0 {
			// The request goes in first; then the data file shrinks under
			// it. Both on the poll goroutine: the server takes requests
			// from the ring as soon as they are there (ahead of their
			// bytes), so it must not see this one before the truncation.
			h.run(func() {
				if err := c.req.Write(hdr16(0, 64, 64)); err != nil {
					t.Error(err)
				}
				truncate()
			})
		} else {
			truncate()
		}
		if i == 0 {
			unix.Write(c.fd, c.one[:])
		} else {
			// The server faults writing the response to a normal request.
			if err := c.req.Write(hdr16(0, 64, 64)); err != nil {
				t.Fatal(err)
			}
			unix.Write(c.fd, c.one[:])
		}
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatalf("%s: %v", ring.name, err)
		}
		eventually(t, 5*time.Second, "fault counted", func() bool { return h.s.Stats().BadRequests > before })
		goodClientOK(t, good)
	}
	eventually(t, 5*time.Second, "faulted connections gone", func() bool { return h.s.Stats().Active == 1 })
}
