package vqclient_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/servicetest"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/services/votequorum/vqclient"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

var le = binary.LittleEndian

// tnode is one node of a test cluster on a servicetest bus.
type tnode struct {
	store *cmap.Store
	vq    *votequorum.Engine
	q     *quorum.Engine
}

type cluster struct {
	bus   *servicetest.Bus
	nodes map[uint32]*tnode
}

// queuedEvent reads an event that must already be there: the context is
// done before the call.
func queuedEvent(t *testing.T, c *vqclient.Client) votequorum.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev, err := c.Event(ctx)
	if err != nil {
		t.Fatalf("no event queued: %v", err)
	}
	return ev
}

// bootedCluster runs nodes 1–3 (a three-node nodelist plus keys) formed
// into one ring.
func bootedCluster(t *testing.T, keys map[string]cmap.Value) *cluster {
	t.Helper()
	ids := []uint32{1, 2, 3}
	c := &cluster{bus: servicetest.New(), nodes: map[uint32]*tnode{}}
	for _, id := range ids {
		s := cmap.NewStore()
		for i, nid := range ids {
			s.Set(fmt.Sprintf("nodelist.node.%d.nodeid", i), cmap.Int(cmap.U32, uint64(nid)))
		}
		s.Set("nodelist.local_node_pos", cmap.Int(cmap.U32, uint64(id-1)))
		for k, v := range keys {
			s.Set(k, v)
		}
		q, err := quorum.New(quorum.Config{Provider: quorum.ProviderVotequorum})
		if err != nil {
			t.Fatal(err)
		}
		vq, err := votequorum.New(votequorum.Config{NodeID: id, Store: s, StateDir: t.TempDir(), Quorum: q})
		if err != nil {
			t.Fatal(err)
		}
		bn, err := c.bus.Add(id, q, vq)
		if err != nil {
			t.Fatal(err)
		}
		vq.SetHost(bn.Host)
		c.nodes[id] = &tnode{store: s, vq: vq, q: q}
	}
	c.bus.Form(ids...)
	c.bus.Run(10000, 50)
	return c
}

func (c *cluster) crash(id uint32) { c.bus.Crash(id) }

// loop is an in-process shm server serving node 1's votequorum and quorum
// engines of a test cluster, its goroutine polling the server and
// stepping the bus on the real clock: the engines' owner (Do).
type loop struct {
	*shmtest.Server
	vqName string
	qName  string
}

// startLoop serves node 1 of c under private socket names (abstract
// sockets are per network namespace: never the real names here).
func startLoop(t *testing.T, c *cluster) *loop {
	t.Helper()
	l := &loop{vqName: shmtest.Name("gsvq"), qName: shmtest.Name("gsq")}
	// The bus's clock follows the real one (the server's fd may stay
	// readable, and a fixed step per pass would race ahead).
	step := func(elapsedNs int64) int { c.bus.Step(elapsedNs); return 0 }
	l.Server = shmtest.StartWith(t, shmtest.Options{Step: step}, shm.Config{Services: []shm.Service{
		{Name: l.vqName, Handler: c.nodes[1].vq},
		{Name: l.qName, Handler: c.nodes[1].q},
	}})
	return l
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dialVQ(t *testing.T, l *loop) *vqclient.Client {
	t.Helper()
	c, err := vqclient.Dial(ctxT(t), vqclient.Options{Service: l.vqName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// nextEvent reads one event (bounded).
func nextEvent(t *testing.T, c *vqclient.Client) votequorum.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := c.Event(ctx)
	if err != nil {
		t.Fatalf("event: %v", err)
	}
	return ev
}

func TestIPCGetInfo(t *testing.T) {
	c := bootedCluster(t, nil)
	l := startLoop(t, c)
	vc := dialVQ(t, l)
	ctx := ctxT(t)
	in, err := vc.GetInfo(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := votequorum.Info{NodeID: 1, State: votequorum.NodeMember, Votes: 1, ExpectedVotes: 3, HighestExpected: 3, TotalVotes: 3, Quorum: 2, Flags: votequorum.InfoQuorate}
	if in != want {
		t.Errorf("getinfo(0) = %+v, want %+v", in, want)
	}
	if in, err = vc.GetInfo(ctx, 3); err != nil || in.NodeID != 3 || in.State != votequorum.NodeMember {
		t.Errorf("getinfo(3) = %+v %v", in, err)
	}
	if _, err = vc.GetInfo(ctx, 99); err != cserror.ErrNotExist {
		t.Errorf("getinfo(99): %v, want CS_ERR_NOT_EXIST", err)
	}
}

func TestIPCTrack(t *testing.T) {
	c := bootedCluster(t, nil)
	l := startLoop(t, c)
	vc := dialVQ(t, l)
	ctx := ctxT(t)
	const cookie = 0x1122334455667788
	if err := vc.TrackStart(ctx, cookie, votequorum.TrackCurrent|votequorum.TrackChanges); err != nil {
		t.Fatal(err)
	}
	var ring services.RingID
	l.Do(t, func() { _, ring = c.nodes[1].q.View() })
	// The initial state was queued before the reply: nodelist, then quorum,
	// both readable at once (with a context already done).
	ev := queuedEvent(t, vc)
	if ev.ID != votequorum.ResNodeListNotification || ev.Context != cookie || ev.Ring != ring || fmt.Sprint(ev.Members) != "[1 2 3]" {
		t.Errorf("first event %+v, want the nodelist of ring %v", ev, ring)
	}
	ev = queuedEvent(t, vc)
	if ev.ID != votequorum.ResQuorumNotification || !ev.Quorate || ev.Context != cookie || fmt.Sprint(ev.Nodes) != "[{1 1} {2 1} {3 1}]" {
		t.Errorf("second event %+v, want quorate, nodes 1-3 members", ev)
	}
	if err := vc.TrackStart(ctx, 7, votequorum.TrackChanges); err != cserror.ErrExist {
		t.Errorf("second trackstart: %v, want CS_ERR_EXIST", err)
	}
	nextEvent(t, vc) // the second trackstart's initial state still comes
	nextEvent(t, vc)

	// Node 3 goes: a nodelist event during sync, a quorum event at its end.
	l.Do(t, func() { c.crash(3); c.bus.Form(1, 2) })
	ev = nextEvent(t, vc)
	if ev.ID != votequorum.ResNodeListNotification || fmt.Sprint(ev.Members) != "[1 2]" || ev.Context != cookie {
		t.Errorf("after the change: %+v, want the nodelist [1 2]", ev)
	}
	ev = nextEvent(t, vc)
	if ev.ID != votequorum.ResQuorumNotification || !ev.Quorate || fmt.Sprint(ev.Nodes) != "[{1 1} {2 1} {3 2}]" {
		t.Errorf("after the change: %+v, want quorate with node 3 dead", ev)
	}
	// Expected votes raised by SETEXPECTED: an expected votes event.
	if err := vc.SetExpected(ctx, 3); err != nil {
		t.Fatalf("setexpected 3: %v", err)
	}
	ev = nextEvent(t, vc)
	if ev.ID != votequorum.ResExpectedVotesNotification || ev.ExpectedVotes != 3 || ev.Context != cookie {
		t.Errorf("after setexpected: %+v", ev)
	}
	if err := vc.SetExpected(ctx, 1); err != cserror.ErrInvalidParam {
		t.Errorf("setexpected 1 below the votes present: %v", err)
	}
	if err := vc.SetVotes(ctx, 77, 1); err != cserror.ErrNameNotFound {
		t.Errorf("setvotes of an unknown node: %v", err)
	}
	if err := vc.TrackStop(ctx); err != nil {
		t.Errorf("trackstop: %v", err)
	}
	if err := vc.TrackStop(ctx); err != cserror.ErrNotExist {
		t.Errorf("second trackstop: %v, want CS_ERR_NOT_EXIST", err)
	}
	l.Do(t, func() {
		if n := c.nodes[1].vq.Trackers(); n != 0 {
			t.Errorf("%d trackers after trackstop", n)
		}
	})
}

// req is a raw request: header (id, size) and the body's u32 words.
func req(id int32, size int, words ...uint32) []byte {
	b := make([]byte, size)
	le.PutUint32(b, uint32(id))
	le.PutUint32(b[8:], uint32(size))
	for i, w := range words {
		le.PutUint32(b[16+4*i:], w)
	}
	return b
}

func TestIPCBadRequests(t *testing.T) {
	c := bootedCluster(t, nil)
	l := startLoop(t, c)
	vc := dialVQ(t, l)
	ctx := ctxT(t)
	resp := make([]byte, 1024)
	for _, tc := range []struct {
		name     string
		req      []byte
		id, size int
	}{
		{"unknown id", req(10, 16), votequorum.ResStatus, votequorum.ResHdrSize},
		{"negative id", req(-1, 24), votequorum.ResStatus, votequorum.ResHdrSize},
		{"short getinfo", req(votequorum.ReqGetInfo, 20), votequorum.ResGetInfo, votequorum.GetInfoResSize},
		{"long setvotes", req(votequorum.ReqSetVotes, 32, 1, 1), votequorum.ResStatus, votequorum.ResHdrSize},
		{"short trackstart", req(votequorum.ReqTrackStart, 24), votequorum.ResStatus, votequorum.ResHdrSize},
		{"name without NUL", append(req(votequorum.ReqQdeviceRegister, 16), make([]byte, 256)...), votequorum.ResStatus, votequorum.ResHdrSize},
	} {
		r := tc.req
		le.PutUint32(r[8:], uint32(len(r)))
		if tc.name == "name without NUL" {
			for i := 16; i < len(r); i++ {
				r[i] = 'x'
			}
		}
		n, err := vc.Request(ctx, r, resp)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		id, size, e := int32(le.Uint32(resp)), le.Uint32(resp[8:]), quorum.Error(le.Uint32(resp[16:]))
		if n != tc.size || id != int32(tc.id) || size != uint32(tc.size) || e != cserror.ErrInvalidParam {
			t.Errorf("%s: reply %d bytes id %d size %d error %v; want %d bytes id %d CS_ERR_INVALID_PARAM", tc.name, n, id, size, e, tc.size, tc.id)
		}
	}
	if in, err := vc.GetInfo(ctx, 0); err != nil || in.NodeID != 1 {
		t.Errorf("getinfo after bad requests: %+v %v", in, err)
	}
}

func TestIPCQdevice(t *testing.T) {
	c := bootedCluster(t, map[string]cmap.Value{"quorum.device.model": cmap.Str("net")})
	l := startLoop(t, c)
	vc := dialVQ(t, l)
	ctx := ctxT(t)
	in, err := vc.GetInfo(ctx, 0)
	if err != nil || in.QdeviceVotes != 2 || in.ExpectedVotes != 5 || in.Quorum != 3 || in.Flags != votequorum.InfoQuorate {
		t.Fatalf("getinfo with a qdevice configured: %+v %v", in, err)
	}
	if err := vc.QdevicePoll(ctx, "dev", true, services.RingID{}); err != cserror.ErrNotExist {
		t.Errorf("poll before register: %v", err)
	}
	if err := vc.QdeviceRegister(ctx, "dev"); err != nil {
		t.Fatalf("register: %v", err)
	}
	if err := vc.QdeviceRegister(ctx, "other"); err != cserror.ErrExist {
		t.Errorf("register another name: %v", err)
	}
	var ring services.RingID
	l.Do(t, func() { _, ring = c.nodes[1].q.View() })
	if err := vc.QdevicePoll(ctx, "dev", true, services.RingID{Rep: 9, Seq: 9}); err != cserror.ErrMessageError {
		t.Errorf("poll with a stale ring: %v", err)
	}
	if err := vc.QdevicePoll(ctx, "dev", true, ring); err != nil {
		t.Fatalf("poll: %v", err)
	}
	if err := vc.QdeviceMasterWins(ctx, "dev", true); err != nil {
		t.Fatalf("master wins: %v", err)
	}
	in, _ = vc.GetInfo(ctx, 0)
	wantFlags := uint32(votequorum.InfoQuorate | votequorum.InfoQdeviceRegistered | votequorum.InfoQdeviceAlive | votequorum.InfoQdeviceCastVote | votequorum.InfoQdeviceMasterWins)
	if in.Flags != wantFlags || in.QdeviceName != "dev" || in.TotalVotes != 5 {
		t.Errorf("getinfo after poll: %+v, want flags %#x, total 5", in, wantFlags)
	}
	// Another node learns the device's name from the registration.
	l.Do(t, func() {
		if in, _ := c.nodes[2].vq.GetInfo(0); in.QdeviceName != "dev" {
			t.Errorf("node 2 knows the device as %q", in.QdeviceName)
		}
	})
	if err := vc.QdeviceUpdate(ctx, "dev", "dev2"); err != nil {
		t.Fatalf("update: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for name := ""; name != "dev2"; {
		l.Do(t, func() { in, _ := c.nodes[1].vq.GetInfo(0); name = in.QdeviceName })
		if time.Now().After(deadline) {
			t.Fatalf("rename never applied: %q", name)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := vc.QdeviceUnregister(ctx, "dev"); err != cserror.ErrInvalidParam {
		t.Errorf("unregister by the old name: %v", err)
	}
	if err := vc.QdeviceUnregister(ctx, "dev2"); err != nil {
		t.Fatalf("unregister: %v", err)
	}
	if in, _ = vc.GetInfo(ctx, 0); in.Flags != votequorum.InfoQuorate || in.TotalVotes != 3 {
		t.Errorf("getinfo after unregister: %+v", in)
	}
}
