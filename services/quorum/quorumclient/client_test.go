package quorumclient_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/quorum/quorumclient"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

var le = binary.LittleEndian

// loop is an in-process shm server serving one quorum engine under a
// private socket name (abstract sockets are per network namespace: never
// "quorum" here); its goroutine owns the engine (Do).
type loop struct {
	*shmtest.Server
	e    *quorum.Engine
	name string
}

func startLoop(t *testing.T, provider string) *loop {
	t.Helper()
	e, err := quorum.New(quorum.Config{Provider: provider})
	if err != nil {
		t.Fatal(err)
	}
	name := shmtest.Name("gsq")
	s := shmtest.Start(t, shm.Config{Services: []shm.Service{{Name: name, Handler: e}}})
	return &loop{Server: s, e: e, name: name}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, l *loop, model uint32) *quorumclient.Client {
	t.Helper()
	c, err := quorumclient.Dial(ctxT(t), quorumclient.Options{Service: l.name, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func event(t *testing.T, c *quorumclient.Client) quorum.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := c.Event(ctx)
	if err != nil {
		t.Fatalf("event: %v", err)
	}
	return ev
}

var ring = services.RingID{Rep: 1, Seq: 0xaa}

func TestModelV0(t *testing.T) {
	l := startLoop(t, quorum.ProviderVotequorum)
	c := dial(t, l, quorum.ModelV0)
	ctx := ctxT(t)
	if c.Type() != quorum.TypeSet {
		t.Errorf("quorum type %d, want 1 (Pacemaker requires it)", c.Type())
	}
	if q, err := c.Quorate(ctx); err != nil || q {
		t.Errorf("before the provider reports: quorate %v %v", q, err)
	}
	l.Do(t, func() { l.e.SetQuorum([]uint32{1, 2, 3}, true, ring) })
	if q, err := c.Quorate(ctx); err != nil || !q {
		t.Errorf("after the report: quorate %v %v", q, err)
	}
	if err := c.TrackStart(ctx, quorum.TrackCurrent|quorum.TrackChanges); err != nil {
		t.Fatal(err)
	}
	// v0 gets no nodelist event: the quorum notification comes first.
	ev := event(t, c)
	if ev.ID != quorum.ResNotification || !ev.Quorate || ev.Ring.Seq != 0xaa || fmt.Sprint(ev.Members) != "[1 2 3]" {
		t.Errorf("initial event %+v", ev)
	}
	if err := c.TrackStart(ctx, quorum.TrackChanges); err != cserror.ErrExist {
		t.Errorf("second trackstart: %v, want CS_ERR_EXIST", err)
	}
	event(t, c) // its initial state still comes
	l.Do(t, func() {
		l.e.SyncInit([]uint32{1, 2}, []uint32{1, 2}, services.RingID{Rep: 1, Seq: 0xb0})
		l.e.SyncActivate()
		l.e.SetQuorum([]uint32{1, 2}, true, services.RingID{Rep: 1, Seq: 0xb0})
	})
	if ev = event(t, c); ev.ID != quorum.ResNotification || ev.Ring.Seq != 0xb0 || fmt.Sprint(ev.Members) != "[1 2]" {
		t.Errorf("change event %+v", ev)
	}
	if err := c.TrackStop(ctx); err != nil {
		t.Errorf("trackstop: %v", err)
	}
	// corosync answers CS_OK when not tracking too.
	if err := c.TrackStop(ctx); err != nil {
		t.Errorf("second trackstop: %v", err)
	}
	l.Do(t, func() {
		if l.e.Trackers() != 0 {
			t.Errorf("%d trackers after trackstop", l.e.Trackers())
		}
	})
}

func TestModelV1(t *testing.T) {
	l := startLoop(t, quorum.ProviderVotequorum)
	c := dial(t, l, quorum.ModelV1)
	ctx := ctxT(t)
	l.Do(t, func() {
		l.e.SyncInit([]uint32{1}, []uint32{1, 2, 3}, ring)
		l.e.SyncActivate()
		l.e.SetQuorum([]uint32{1, 2, 3}, true, ring)
	})
	if err := c.TrackStart(ctx, quorum.TrackCurrent|quorum.TrackChanges); err != nil {
		t.Fatal(err)
	}
	// Queued before the reply: readable with a context already done.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	ev, err := c.Event(done)
	if err != nil {
		t.Fatalf("no event queued before the reply: %v", err)
	}
	if ev.ID != quorum.ResV1NodeList || ev.Ring != ring || fmt.Sprint(ev.Members, ev.Joined, ev.Left) != "[1 2 3] [] []" {
		t.Errorf("first event %+v, want the nodelist without joined/left", ev)
	}
	if ev, err = c.Event(done); err != nil {
		t.Fatalf("no quorum event queued before the reply: %v", err)
	}
	if ev.ID != quorum.ResV1Quorum || !ev.Quorate || ev.Ring != ring || fmt.Sprint(ev.Members) != "[1 2 3]" {
		t.Errorf("second event %+v", ev)
	}
	next := services.RingID{Rep: 1, Seq: 0xb0}
	l.Do(t, func() {
		l.e.SyncInit([]uint32{1, 2}, []uint32{1, 2, 4}, next)
		l.e.SyncActivate()
		l.e.SetQuorum([]uint32{1, 2, 4}, true, next)
	})
	ev = event(t, c)
	if ev.ID != quorum.ResV1NodeList || ev.Ring != next || fmt.Sprint(ev.Members, ev.Joined, ev.Left) != "[1 2 4] [4] [3]" {
		t.Errorf("sync event %+v, want joined [4] left [3]", ev)
	}
	if ev = event(t, c); ev.ID != quorum.ResV1Quorum || ev.Ring != next {
		t.Errorf("quorum event %+v", ev)
	}
}

func TestNoProvider(t *testing.T) {
	l := startLoop(t, "")
	c := dial(t, l, quorum.ModelV0)
	if q, err := c.Quorate(ctxT(t)); c.Type() != quorum.TypeFree || err != nil || !q {
		t.Errorf("no provider: type %d quorate %v %v", c.Type(), q, err)
	}
}

func req(id int32, size int, words ...uint32) []byte {
	b := make([]byte, size)
	le.PutUint32(b, uint32(id))
	le.PutUint32(b[8:], uint32(size))
	for i, w := range words {
		le.PutUint32(b[16+4*i:], w)
	}
	return b
}

func TestBadRequests(t *testing.T) {
	l := startLoop(t, quorum.ProviderVotequorum)
	c := dial(t, l, quorum.ModelV0)
	ctx := ctxT(t)
	resp := make([]byte, 256)
	for _, tc := range []struct {
		name     string
		req      []byte
		id, size int
		want     quorum.Error
	}{
		{"unknown id", req(5, 16), 0, 24, cserror.ErrInvalidParam},
		{"negative id", req(-7, 16), 0, 24, cserror.ErrInvalidParam},
		{"long getquorate", req(quorum.ReqGetQuorate, 24), quorum.ResGetQuorate, 32, cserror.ErrInvalidParam},
		{"short trackstart", req(quorum.ReqTrackStart, 16), quorum.ResTrackStart, 24, cserror.ErrInvalidParam},
		{"model 2", req(quorum.ReqModelGetType, 24, 2), quorum.ResModelGetType, 32, cserror.ErrInvalidParam},
	} {
		n, err := c.Request(ctx, tc.req, resp)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		id, size, e := int32(le.Uint32(resp)), int(le.Uint32(resp[8:])), quorum.Error(le.Uint32(resp[16:]))
		if n != tc.size || id != int32(tc.id) || size != tc.size || e != tc.want {
			t.Errorf("%s: %d bytes id %d size %d %v; want %d bytes id %d %v", tc.name, n, id, size, e, tc.size, tc.id, tc.want)
		}
	}
	if _, err := c.Quorate(ctx); err != nil {
		t.Errorf("getquorate after bad requests: %v", err)
	}
}
