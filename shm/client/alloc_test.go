package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// TestClientAllocs: Request, Send and Event allocate nothing in steady
// state, in both modes, with a background and with a cancellable context.
func TestClientAllocs(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
		c := dial(t, s.Name)
		e := newEchoer(t, c)
		req := e.req[:reqHdr+1000]
		shmtest.PutReqHdr(req, shmtest.IDEcho, len(req))
		sink := e.req[maxMsg/2 : maxMsg/2+reqHdr+100]
		shmtest.PutReqHdr(sink, shmtest.IDSink, len(sink))
		evReq := e.req[maxMsg/4 : maxMsg/4+shmtest.EventsHdr+100]
		shmtest.PutReqHdr(evReq, shmtest.IDEvents, len(evReq))
		le.PutUint32(evReq[reqHdr:], 1)
		le.PutUint32(evReq[reqHdr+4:], 0)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for name, ctx := range map[string]context.Context{"background": context.Background(), "deadline": ctx} {
			rt := func() {
				if _, err := c.Request(ctx, req, e.resp); err != nil {
					t.Fatal(err)
				}
			}
			send := func() {
				if err := c.Send(ctx, sink); err != nil {
					t.Fatal(err)
				}
			}
			event := func() {
				if _, err := c.Request(ctx, evReq, e.resp); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Event(ctx, e.resp); err != nil {
					t.Fatal(err)
				}
			}
			claim := func() {
				b, err := c.Claim(len(req))
				if err != nil {
					t.Fatal(err)
				}
				copy(b, req)
				if err := c.Commit(len(b)); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Recv(ctx, e.resp); err != nil {
					t.Fatal(err)
				}
			}
			for what, f := range map[string]func(){"Request": rt, "Send": send, "Event": event, "Claim+Commit+Recv": claim} {
				for range 20 {
					f() // warm up: lazily made buffers, the context's channel
				}
				// AllocsPerRun runs f with GOMAXPROCS=1: client and server
				// goroutines then take turns on one P, handed over by the
				// runtime's sysmon while the other blocks in a system call
				// (futex, ppoll), a few ms per round trip; hence few runs.
				if a := testing.AllocsPerRun(100, f); a != 0 {
					t.Errorf("%s (%s context): %.2f allocations per call, want 0", what, name, a)
				}
			}
		}
		e.count()
	})
}
