package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/totempg"
	"github.com/gorosync/gorosync/dataplane/wire"
)

var groupA = [][]byte{[]byte("a")}

// simNode is one node's stack: totempg over totem, plus its workload.
type simNode struct {
	idx    int
	id     uint32
	totem  *totem.Node
	packer *totempg.Packer
	asm    *totempg.Assembler
	glue   stackGlue

	tickAt  int64
	quota   int // messages this node must send in total
	sent    int
	msgBuf  []byte
	deliver func(sender uint32, msg []byte) // bound once: no closure per call

	// The totem delivery being reassembled, for the safe-delivery witness.
	curSeq  uint32
	curRing wire.RingID

	delivered int
}

// stackGlue connects totempg to totem: packets go into the SRP send queue,
// and the token-received callback flushes the packing buffer.
type stackGlue struct {
	node   *totem.Node
	packer *totempg.Packer
}

func (g *stackGlue) SubmitPacket(packet []byte, safe bool) error {
	gu := totem.Agreed
	if safe {
		gu = totem.Safe
	}
	return g.node.Submit(packet, gu)
}

func (g *stackGlue) Avail() int { return g.node.Avail() }

func (g *stackGlue) Signal() { g.node.Signal() }

func (g *stackGlue) TokenReceived() { _ = g.packer.Flush() }

func (g *stackGlue) TokenSent() {}

// Cluster is a simulated ring. It is driven by Run (or Start/Send/Drain).
type Cluster struct {
	opt   Options
	rng   *rand.Rand
	now   int64
	order uint64
	nodes []*simNode
	links [][]LinkFaults
	heap  eventHeap
	pool  framePool
	rec   *oracle.Recorder

	heldBy     []uint32
	toSend     int // messages in all quotas
	sentTotal  int
	complete   int // nodes that delivered toSend messages
	failures   []string
	stepErrors int
}

// NewCluster builds the nodes of a run; nothing happens until Start.
func NewCluster(opt Options) (*Cluster, error) {
	opt.Defaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	c := &Cluster{
		opt:  opt,
		rng:  rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		pool: framePool{size: opt.NetMTU},
		heap: make(eventHeap, 0, 1024),
	}
	c.links = opt.Links
	if c.links == nil {
		c.links = RandomLinks(c.rng, opt.Nodes, opt.MaxLoss)
	}
	members := make([]uint32, opt.Nodes)
	for i := range members {
		members[i] = uint32(i + 1)
	}
	if opt.Record {
		c.rec = oracle.NewRecorder(members)
	}
	for i := range opt.Nodes {
		nd, err := c.newNode(i, members)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, nd)
	}
	return c, nil
}

func (c *Cluster) newNode(i int, members []uint32) (*simNode, error) {
	nd := &simNode{idx: i, id: uint32(i + 1), tickAt: totem.NoDeadline, msgBuf: make([]byte, c.opt.MaxMessageBytes)}
	t, err := totem.New(totem.Config{
		NodeID:        nd.id,
		Ring:          wire.RingID{Rep: members[0], Seq: 4},
		Members:       members,
		Timers:        c.opt.Timers,
		NetMTU:        c.opt.NetMTU,
		SortQueueSize: c.opt.SortQueueSize,
		WindowSize:    c.opt.WindowSize,
		MaxMessages:   c.opt.MaxMessages,
		Hooks:         &nd.glue,
	})
	if err != nil {
		return nil, err
	}
	p, err := totempg.NewPacker(totempg.PackerConfig{PacketSize: totempg.PacketSizeForNetMTU(c.opt.NetMTU), Sink: &nd.glue})
	if err != nil {
		return nil, err
	}
	nd.totem, nd.packer, nd.asm = t, p, totempg.NewAssembler()
	nd.glue = stackGlue{node: t, packer: p}
	nd.deliver = func(sender uint32, msg []byte) { c.onAppMessage(nd, sender, msg) }
	return nd, nil
}

// Start brings every node up at virtual time 0.
func (c *Cluster) Start() {
	for _, nd := range c.nodes {
		nd.totem.Start(c.now)
		c.process(nd)
	}
}

// Send adds count messages to the workload, spread over the nodes, and
// schedules each node's next send.
func (c *Cluster) Send(count int) {
	for k := range count {
		c.nodes[(c.toSend+k)%len(c.nodes)].quota++
	}
	c.toSend += count
	c.complete = 0
	for _, nd := range c.nodes {
		if nd.delivered >= c.toSend {
			c.complete++
		}
		c.schedule(event{at: c.now + c.rng.Int64N(max(c.opt.SendGapNs, 0)+1), kind: evSend, node: int32(nd.idx)})
	}
}

// Warm sends ever larger bursts until a burst makes no node create a frame
// buffer and the receive window has wrapped: from then on the ring runs on
// the buffers it has, and a steady workload allocates nothing.
func (c *Cluster) Warm() error {
	lap := uint32(2 * c.opt.SortQueueSize)
	for burst := 500; burst <= 1<<20; burst *= 2 {
		before := c.frameBuffers()
		c.Send(burst)
		if err := c.Drain(); err != nil {
			return err
		}
		if c.frameBuffers() == before && c.nodes[0].totem.HighDelivered() > lap {
			return nil
		}
	}
	return errors.New("sim: buffers still growing after the largest warm-up burst")
}

func (c *Cluster) frameBuffers() (total uint64) {
	for _, nd := range c.nodes {
		total += nd.totem.Stats().FrameBuffers
	}
	return total
}

// Idle runs the cluster for d of virtual time with no new work.
func (c *Cluster) Idle(d int64) {
	end := c.now + d
	for len(c.heap) > 0 && c.heap[0].at <= end {
		e := c.heap.pop()
		c.now = e.at
		c.dispatch(e)
	}
	c.now = end
}

// Drain runs until every node delivered every message or the virtual-time
// limit passes; the second is a liveness failure.
func (c *Cluster) Drain() error {
	for c.complete < len(c.nodes) || c.sentTotal < c.toSend {
		if len(c.heap) == 0 {
			return errors.New("sim: no event left before every message was delivered")
		}
		e := c.heap.pop()
		if e.at > c.opt.LimitNs {
			return fmt.Errorf("sim: virtual time limit %d ms passed with %d/%d sent, %d/%d nodes complete",
				c.opt.LimitNs/1e6, c.sentTotal, c.toSend, c.complete, len(c.nodes))
		}
		c.now = e.at
		c.dispatch(e)
	}
	return nil
}

func (c *Cluster) dispatch(e event) {
	nd := c.nodes[e.node]
	switch e.kind {
	case evFrame:
		err := nd.totem.Step(c.now, c.pool.bufs[e.buf][:e.size])
		c.pool.put(e.buf)
		if err != nil {
			c.stepErrors++
			c.fail("node %d rejected a frame: %v", nd.id, err)
		}
	case evTick:
		if e.at != nd.tickAt {
			return // superseded by a later deadline
		}
		nd.tickAt = totem.NoDeadline
		nd.totem.Tick(c.now)
	case evSend:
		c.trySend(nd)
	}
	c.process(nd)
}

// process carries out a node's Ready batch: frames onto the network,
// deliveries through totempg to the application, and the next tick.
func (c *Cluster) process(nd *simNode) {
	r := nd.totem.Ready()
	for _, f := range r.Frames {
		if f.To == totem.Broadcast {
			for _, peer := range c.nodes {
				if peer != nd {
					c.transmit(nd.idx, peer.idx, f.Data)
				}
			}
			continue
		}
		c.transmit(nd.idx, int(f.To)-1, f.Data)
	}
	for i := range r.Events {
		ev := &r.Events[i]
		switch ev.Kind {
		case totem.EventConfChange:
			c.onConf(nd, &ev.Conf)
		case totem.EventDeliver:
			d := &ev.Deliver
			nd.curSeq, nd.curRing = d.Seq, d.Ring
			if err := nd.asm.Packet(d.Sender, d.Payload, d.BigEndian, nd.deliver); err != nil {
				c.fail("node %d: totempg rejected packet seq %d from %d: %v", nd.id, d.Seq, d.Sender, err)
			}
		}
	}
	deadline := r.Deadline
	nd.totem.Advance()
	c.checkRelease(nd)
	if deadline != nd.tickAt {
		nd.tickAt = deadline
		if deadline != totem.NoDeadline {
			c.schedule(event{at: max(deadline, c.now), kind: evTick, node: int32(nd.idx)})
		}
	}
}

// checkRelease asserts stability before release: a node may free a message
// only once every member holds it, or a later retransmit request for it
// could go unanswered forever.
func (c *Cluster) checkRelease(nd *simNode) {
	released := nd.totem.Released()
	for _, peer := range c.nodes {
		if peer.totem.RingID() == nd.totem.RingID() && seqBefore(peer.totem.ReceivedThrough(), released) {
			c.fail("node %d released through seq %d while node %d holds only through %d",
				nd.id, released, peer.id, peer.totem.ReceivedThrough())
			return
		}
	}
}

func (c *Cluster) schedule(e event) {
	c.order++
	e.order = c.order
	c.heap.push(e)
}

// transmit puts one copy (or two) of a frame on the link from→to.
func (c *Cluster) transmit(from, to int, data []byte) {
	l := &c.links[from][to]
	if l.Loss > 0 && c.rng.Float64() < l.Loss {
		return
	}
	copies := 1
	if l.Duplicate > 0 && c.rng.Float64() < l.Duplicate {
		copies = 2
	}
	for range copies {
		buf := c.pool.get()
		n := copy(c.pool.bufs[buf], data)
		delay := l.DelayMinNs
		if l.DelayMaxNs > l.DelayMinNs {
			delay += c.rng.Int64N(l.DelayMaxNs - l.DelayMinNs + 1)
		}
		if l.Spike > 0 && c.rng.Float64() < l.Spike {
			delay += l.SpikeNs
		}
		c.schedule(event{at: c.now + delay, kind: evFrame, node: int32(to), buf: buf, size: int32(n)})
	}
}

func (c *Cluster) fail(format string, args ...any) {
	if len(c.failures) < 20 {
		c.failures = append(c.failures, fmt.Sprintf("t=%dns: ", c.now)+fmt.Sprintf(format, args...))
	}
}
