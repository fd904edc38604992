package cfg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/servicetest"
)

// fakeConn is an IPC connection that records what the engine sends.
type fakeConn struct {
	id      uint64
	ctx     any
	replies [][]byte
	events  [][]byte
	closed  bool
}

func (c *fakeConn) ID() uint64       { return c.id }
func (c *fakeConn) SetContext(v any) { c.ctx = v }
func (c *fakeConn) Context() any     { return c.ctx }
func (c *fakeConn) Respond(b []byte) error {
	if c.closed {
		return errors.New("closed")
	}
	c.replies = append(c.replies, bytes.Clone(b))
	return nil
}
func (c *fakeConn) Event(b []byte) error {
	if c.closed {
		return errors.New("closed")
	}
	c.events = append(c.events, bytes.Clone(b))
	return nil
}

// takeReply returns the one reply sent since the last call, failing if
// there is none or more.
func (c *fakeConn) takeReply(t *testing.T) []byte {
	t.Helper()
	if len(c.replies) != 1 {
		t.Fatalf("conn %d: %d replies, want 1", c.id, len(c.replies))
	}
	r := c.replies[0]
	c.replies = nil
	return r
}

// status is the error field of the reply, checking its id and size.
func (c *fakeConn) status(t *testing.T, id int32, size int) Error {
	t.Helper()
	r := c.takeReply(t)
	gid, gsize, e, ok := ResHeader(r)
	if !ok || gid != id || gsize != size || len(r) != size {
		t.Fatalf("conn %d: reply id %d size %d (%d bytes), want id %d size %d", c.id, gid, gsize, len(r), id, size)
	}
	return e
}

// testShutdowns returns the TESTSHUTDOWN events since the last call as
// (status, flags) pairs.
func (c *fakeConn) testShutdowns(t *testing.T) [][2]uint32 {
	t.Helper()
	var out [][2]uint32
	for _, ev := range c.events {
		id, size, e, ok := ResHeader(ev)
		if !ok || id != ResTestShutdown || size != 32 || len(ev) != 32 {
			t.Fatalf("conn %d: event %x", c.id, ev)
		}
		out = append(out, [2]uint32{uint32(e), binary.LittleEndian.Uint32(ev[24:])})
	}
	c.events = nil
	return out
}

// node is one cluster node's cfg engine and what its hooks saw.
type node struct {
	id        uint32
	eng       *Engine
	store     *cmap.Store
	bus       *servicetest.Node
	log       *bytes.Buffer
	shutdowns int
	kills     []string
	reloads   int
	reloadRes Error
	nextConn  uint64
}

func (n *node) conn() *fakeConn {
	n.nextConn++
	return &fakeConn{id: uint64(n.id)<<32 | n.nextConn}
}

// call hands a request to the engine as the shm server would.
func (n *node) call(c *fakeConn, r Request) { n.eng.request(c, EncodeRequest(r)) }

func (n *node) disconnect(c *fakeConn) {
	c.closed = true
	n.eng.gone(c)
}

type cluster struct {
	bus   *servicetest.Bus
	nodes map[uint32]*node
}

var testNodes = []Node{
	{ID: 1, Name: "n1", Addrs: [MaxLinks]netip.Addr{netip.MustParseAddr("198.18.1.1")}},
	{ID: 2, Name: "n2", Addrs: [MaxLinks]netip.Addr{netip.MustParseAddr("198.18.1.2")}},
	{ID: 3, Name: "n3", Addrs: [MaxLinks]netip.Addr{netip.MustParseAddr("198.18.1.3")}},
}

// newCluster builds nodes with ids 1..n on a bus, forms one ring of all
// of them, runs the sync, and marks them joined in every node's cmap.
func newCluster(t testing.TB, n int) *cluster {
	t.Helper()
	cl := &cluster{bus: servicetest.New(), nodes: map[uint32]*node{}}
	var ids []uint32
	for i := 1; i <= n; i++ {
		id := uint32(i)
		nd := &node{id: id, store: cmap.NewStore(), log: &bytes.Buffer{}, reloadRes: cserror.OK}
		nd.eng = NewEngine(Config{
			NodeID:   id,
			Nodes:    func() []Node { return testNodes[:n] },
			MTU:      1500,
			Shutdown: func() { nd.shutdowns++ },
			Kill:     func(reason string) { nd.kills = append(nd.kills, reason) },
			Reload:   func() Error { nd.reloads++; return nd.reloadRes },
			Store:    nd.store,
			Log:      slog.New(slog.NewTextHandler(nd.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		bn, err := cl.bus.Add(id, nd.eng)
		if err != nil {
			t.Fatal(err)
		}
		nd.bus = bn
		nd.eng.SetHost(bn.Host)
		cl.nodes[id] = nd
		ids = append(ids, id)
	}
	cl.bus.Form(ids...)
	cl.run()
	for _, nd := range cl.nodes {
		for _, id := range ids {
			nd.store.Set("runtime.members."+uitoa(id)+".status", cmap.Str("joined"))
		}
	}
	return cl
}

// run delivers everything queued (bounded).
func (cl *cluster) run() { cl.bus.Run(10_000, 5) }

// runMs advances the bus clock by ms milliseconds, one step each.
func (cl *cluster) runMs(ms int) {
	for range ms {
		cl.bus.Step(1_000_000)
	}
}

func (cl *cluster) shutdownLogged(t testing.TB, by uint32) {
	t.Helper()
	for id, nd := range cl.nodes {
		want := "Node " + uitoa(by) + " was shut down by sysadmin"
		if !strings.Contains(nd.log.String(), want) {
			t.Errorf("node %d did not log %q:\n%s", id, want, nd.log)
		}
	}
}

// shutdowns is how many times each node's Shutdown hook ran.
func (cl *cluster) shutdowns() map[uint32]int {
	m := map[uint32]int{}
	for id, nd := range cl.nodes {
		if nd.shutdowns > 0 {
			m[id] = nd.shutdowns
		}
	}
	return m
}
