package totem

import (
	"testing"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// testRing drives nodes over a lossless FIFO network on virtual time. It is
// deliberately tiny; dataplane/sim is the real simulator.
type testRing struct {
	t     testing.TB
	now   int64
	nodes []*Node
	queue []queued
	// drop, if set, decides to lose a frame (from, to, frame).
	drop func(from, to uint32, frame []byte) bool
	// delivered[i] lists (sender, seq, payload) deliveries of node i.
	delivered [][]testDelivery
	confs     [][]ConfChange
	keep      bool // record deliveries (off for allocation tests)
}

type queued struct {
	from, to uint32
	data     []byte
}

type testDelivery struct {
	sender  uint32
	seq     uint32
	safe    bool
	payload string
}

func newTestRing(t testing.TB, n int, tweak func(*Config)) *testRing {
	t.Helper()
	members := make([]uint32, n)
	for i := range members {
		members[i] = uint32(i + 1)
	}
	r := &testRing{t: t, keep: true, delivered: make([][]testDelivery, n), confs: make([][]ConfChange, n)}
	for _, id := range members {
		cfg := Config{NodeID: id, Ring: wire.RingID{Rep: 1, Seq: 8}, Members: members, SortQueueSize: 256}
		if tweak != nil {
			tweak(&cfg)
		}
		node, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r.nodes = append(r.nodes, node)
	}
	for _, node := range r.nodes {
		node.Start(r.now)
		r.collect(node)
	}
	return r
}

func (r *testRing) node(id uint32) *Node { return r.nodes[id-1] }

// collect moves a node's Ready batch onto the network and into the logs.
func (r *testRing) collect(n *Node) {
	rd := n.Ready()
	for _, f := range rd.Frames {
		for _, peer := range r.nodes {
			if (f.To == Broadcast && peer != n) || f.To == peer.id {
				if r.drop != nil && r.drop(n.id, peer.id, f.Data) {
					continue
				}
				r.queue = append(r.queue, queued{from: n.id, to: peer.id, data: append([]byte(nil), f.Data...)})
			}
		}
	}
	for _, ev := range rd.Events {
		if !r.keep {
			continue
		}
		switch ev.Kind {
		case EventDeliver:
			d := ev.Deliver
			r.delivered[n.id-1] = append(r.delivered[n.id-1], testDelivery{d.Sender, d.Seq, d.Guarantee == Safe, string(d.Payload)})
		case EventConfChange:
			r.confs[n.id-1] = append(r.confs[n.id-1], ev.Conf)
		}
	}
	n.Advance()
}

// run delivers queued frames, advancing time by stepNs per frame, and fires
// timers when the queue runs dry, until cond holds or maxSteps pass.
func (r *testRing) run(maxSteps int, stepNs int64, cond func() bool) bool {
	for range maxSteps {
		if cond() {
			return true
		}
		if len(r.queue) == 0 {
			r.fireNextTimer()
			continue
		}
		q := r.queue[0]
		r.queue = r.queue[1:]
		r.now += stepNs
		n := r.node(q.to)
		if err := n.Step(r.now, q.data); err != nil {
			r.t.Fatalf("node %d: %v", q.to, err)
		}
		r.collect(n)
	}
	return cond()
}

func (r *testRing) fireNextTimer() {
	next := NoDeadline
	for _, n := range r.nodes {
		next = min(next, n.Deadline())
	}
	if next == NoDeadline {
		r.t.Fatal("no frame in flight and no timer armed: the ring is dead")
	}
	r.now = max(r.now, next)
	for _, n := range r.nodes {
		n.Tick(r.now)
		r.collect(n)
	}
}

func (r *testRing) submit(id uint32, payload string, g Guarantee) {
	r.t.Helper()
	n := r.node(id)
	if err := n.Submit([]byte(payload), g); err != nil {
		r.t.Fatalf("submit on %d: %v", id, err)
	}
	n.Signal() // as totempg does for every accepted message
	r.collect(n)
}

func (r *testRing) allDelivered(count int) func() bool {
	return func() bool {
		for _, d := range r.delivered {
			if len(d) < count {
				return false
			}
		}
		return true
	}
}
