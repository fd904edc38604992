package loop

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
)

// echoOnLoop answers every request with its payload and records that it
// ran on the loop's (locked) thread: the loop's pass counter moved while
// the handler ran, which only the loop's goroutine does.
type echoOnLoop struct {
	loop    *Loop
	resp    []byte
	served  atomic.Int64
	offLoop atomic.Int64
}

func (e *echoOnLoop) Request(c *shm.Conn, req []byte) {
	// Stats are the loop's own: reading them here races unless this runs
	// on the loop's goroutine, which -race would report.
	if p := e.loop.stats.Passes; p == 0 {
		e.offLoop.Add(1)
	}
	n := 24 + len(req) - 16
	if cap(e.resp) < n {
		e.resp = make([]byte, n)
	}
	r := e.resp[:n]
	binary.LittleEndian.PutUint32(r[0:], binary.LittleEndian.Uint32(req[0:]))
	binary.LittleEndian.PutUint32(r[8:], uint32(n))
	binary.LittleEndian.PutUint32(r[16:], 1) // CS_OK
	copy(r[24:], req[16:])
	e.served.Add(1) // before the response: the client may check right after it
	_ = c.Respond(r)
}

func (e *echoOnLoop) Disconnected(*shm.Conn) {}

// The IPC server is driven by the token loop: it is one of the loop's
// Pollers, its requests are handled on the loop's goroutine, and a loop
// sleeping in IdleBlock is woken by the server's descriptor.
func TestIPCServerRunsOnTheLoop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the IPC server chowns per-connection files: needs root (CI runs as root)")
	}
	self := netip.MustParseAddrPort("127.0.0.1:25455")
	tr, err := udp.New(udp.Config{Local: self, Peers: map[uint32]netip.AddrPort{1: self}, LocalNodeID: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	name := fmt.Sprintf("gsloop-%d", os.Getpid())
	echo := &echoOnLoop{}
	srv, err := shm.New(shm.Config{Services: []shm.Service{{Name: name, Handler: echo}}, MaxMsgSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	l, err := New(Config{Totem: totem.Config{NodeID: 1, Timers: totem.TimersFor(totem.DefaultTimerParams(1))},
		Transport: tr, CPU: -1, Idle: IdleBlock, Pollers: []Poller{srv}})
	if err != nil {
		t.Fatal(err)
	}
	echo.loop = l
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		cancel()
		<-done
		l.Close()
		_ = srv.Close() // after Run: Close belongs to the polling goroutine
	}()

	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	c, err := client.Dial(dctx, name, client.Options{MaxMsgSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := make([]byte, 16+1000)
	resp := make([]byte, 64<<10)
	for i := range 500 {
		binary.LittleEndian.PutUint32(req[0:], uint32(i%7))
		binary.LittleEndian.PutUint32(req[8:], uint32(len(req)))
		for k := range req[16:] {
			req[16+k] = byte(i + k)
		}
		n, err := c.Request(dctx, req, resp)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if n != 24+1000 || !bytes.Equal(resp[24:n], req[16:]) {
			t.Fatalf("request %d: echo of %d bytes wrong", i, n)
		}
	}
	if echo.served.Load() != 500 || echo.offLoop.Load() != 0 {
		t.Fatalf("served %d (want 500), %d before the loop ran", echo.served.Load(), echo.offLoop.Load())
	}
}
