package sim

import (
	"errors"
	"fmt"
	"github.com/gorosync/gorosync/services"
	"math"
	"math/rand/v2"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/totempg"
	"github.com/gorosync/gorosync/dataplane/wire"
)

var groupA = [][]byte{[]byte("a")}

// simNode is one node's stack: totempg over totem, plus its workload. A
// crash drops the stack; a restart builds a new one on the same store.
type simNode struct {
	idx    int
	id     uint32
	totem  *totem.Node
	sender *totempg.Resender
	asm    *totempg.Assembler
	glue   stackGlue
	held   heldLog

	up      bool
	life    int   // incarnation, for ignoring a dead incarnation's timers
	tickAt  int64 // in global virtual time
	clock   clock
	quota   int // messages this node must send in total, over all lives
	sent    int
	msgBuf  []byte
	deliver func(sender uint32, msg []byte) // bound once: no closure per call
	host    *services.Host                  // nil unless Options.Services

	// The totem delivery being reassembled, for the safe-delivery witness.
	curSeq  uint32
	curRing wire.RingID

	delivered     int // application messages delivered, all lives
	sentLife      int // sent in this incarnation
	selfDelivered int // own messages of this incarnation delivered
}

// clock is a node's view of time: local = offset + global × rate. Skewed
// clocks make timers of different nodes fire at different moments.
type clock struct {
	offset int64
	rate   float64
}

func (k clock) local(global int64) int64 { return k.offset + int64(float64(global)*k.rate) }

// global is the first global time at which the node's clock reads local.
func (k clock) global(local int64) int64 {
	if local == totem.NoDeadline {
		return local
	}
	g := int64(math.Ceil(float64(local-k.offset) / k.rate))
	for k.local(g) < local {
		g++
	}
	return g
}

// stackGlue connects totempg to totem: packets go into the SRP send queue,
// each accepted message signals the SRP, and the token-received callback
// flushes the packing buffer.
type stackGlue struct {
	node   *totem.Node
	sender *totempg.Resender
}

func (g *stackGlue) SubmitPacket(packet []byte, safe bool) error {
	gu := totem.Agreed
	if safe {
		gu = totem.Safe
	}
	return g.node.Submit(packet, gu)
}

func (g *stackGlue) Avail() int { return g.node.Avail() }

func (g *stackGlue) Queued() int { return g.node.Queued() }

func (g *stackGlue) DropQueued() { g.node.DropQueued() }

func (g *stackGlue) Signal() { g.node.Signal() }

func (g *stackGlue) TokenReceived() { _ = g.sender.Flush() }

func (g *stackGlue) TokenSent() {}

// Cluster is a simulated cluster. It is driven by Run, RunFaults, or
// Start/Send/Drain.
type Cluster struct {
	opt       Options
	rng       *rand.Rand
	now       int64
	order     uint64
	nodes     []*simNode
	links     [][]LinkFaults
	reach     [][]bool // reach[i][j]: frames from i arrive at j (partitions)
	heap      eventHeap
	pool      framePool
	rec       *oracle.Recorder
	store     *totem.MemoryStore
	plan      []fault
	events    int
	burstLoss float64  // extra loss on every link during a loss burst
	confLog   []string // scripts: configuration changes since the last command

	heldBy     []uint32
	toSend     int // messages in all quotas
	sentTotal  int
	complete   int // nodes that delivered toSend messages (stable rings)
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
		opt:   opt,
		rng:   rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
		pool:  framePool{size: opt.NetMTU},
		heap:  make(eventHeap, 0, 1024),
		store: &totem.MemoryStore{},
	}
	c.links = opt.Links
	if c.links == nil {
		c.links = RandomLinks(c.rng, opt.Nodes, opt.MaxLoss)
	}
	c.reach = make([][]bool, opt.Nodes)
	ids := make([]uint32, opt.Nodes)
	for i := range opt.Nodes {
		c.reach[i] = make([]bool, opt.Nodes)
		for j := range c.reach[i] {
			c.reach[i][j] = true
		}
		ids[i] = uint32(i + 1)
	}
	if opt.Record {
		c.rec = oracle.NewRecorder(ids)
	}
	for i := range opt.Nodes {
		nd := &simNode{idx: i, id: uint32(i + 1), tickAt: totem.NoDeadline, msgBuf: make([]byte, opt.MaxMessageBytes), clock: clock{rate: 1}}
		nd.deliver = func(sender uint32, msg []byte) { c.onAppMessage(nd, sender, msg) }
		if opt.MaxSkew > 0 {
			nd.clock = clock{offset: c.rng.Int64N(1_000_000_000), rate: 1 + (2*c.rng.Float64()-1)*opt.MaxSkew}
		}
		c.nodes = append(c.nodes, nd)
	}
	return c, nil
}

// boot builds a node's stack for a new incarnation.
func (c *Cluster) boot(nd *simNode) error {
	cfg := totem.Config{
		NodeID:        nd.id,
		Timers:        c.opt.Timers,
		NetMTU:        c.opt.NetMTU,
		SortQueueSize: c.opt.SortQueueSize,
		WindowSize:    c.opt.WindowSize,
		MaxMessages:   c.opt.MaxMessages,
		Hooks:         &nd.glue,
		Store:         c.store,
		Jitter:        c.rng.Int64N,

		FixedTokenRetransmit: c.opt.FixedTokenRetransmit,
	}
	if c.rec != nil {
		cfg.Observer = &nd.held
	}
	if !c.opt.Membership {
		cfg.Ring = wire.RingID{Rep: 1, Seq: 4}
		for _, peer := range c.nodes {
			cfg.Members = append(cfg.Members, peer.id)
		}
	}
	t, err := totem.New(cfg)
	if err != nil {
		return err
	}
	r, err := totempg.NewResender(totempg.PacketSizeForNetMTU(c.opt.NetMTU), &nd.glue)
	if err != nil {
		return err
	}
	nd.totem, nd.sender, nd.asm = t, r, totempg.NewAssembler()
	nd.glue = stackGlue{node: t, sender: r}
	nd.up, nd.tickAt = true, totem.NoDeadline
	nd.life++
	nd.sentLife, nd.selfDelivered = 0, 0
	if err := c.bootServices(nd); err != nil {
		return err
	}
	if err := t.Start(nd.clock.local(c.now)); err != nil {
		return err
	}
	c.process(nd)
	return nil
}

// Start brings every node up at the current virtual time.
func (c *Cluster) Start() error {
	for _, nd := range c.nodes {
		if err := c.boot(nd); err != nil {
			return err
		}
	}
	return nil
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
func (c *Cluster) Idle(d int64) { c.runUntil(c.now+d, func() bool { return false }) }

// runUntil processes events up to end, or until done holds, within the
// event budget.
func (c *Cluster) runUntil(end int64, done func() bool) bool {
	for !done() {
		if c.events++; c.events > c.opt.MaxEvents {
			c.fail("event budget of %d exhausted", c.opt.MaxEvents)
			return false
		}
		if len(c.heap) == 0 || c.heap[0].at > end {
			c.now = max(c.now, end)
			return done()
		}
		e := c.heap.pop()
		c.now = e.at
		c.dispatch(e)
	}
	return true
}

// Drain runs until every node delivered every message or the virtual-time
// limit passes; the second is a liveness failure. It is for stable rings.
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
		data := c.pool.bufs[e.buf][:e.size]
		if nd.up {
			if err := nd.totem.Step(nd.clock.local(c.now), data); err != nil {
				c.stepErrors++
				c.fail("node %d rejected a frame: %v", nd.id, err)
			}
		}
		c.pool.put(e.buf)
	case evTick:
		if !nd.up || e.at != nd.tickAt || int(e.size) != nd.life {
			return // superseded by a later deadline, or a dead incarnation's
		}
		nd.tickAt = totem.NoDeadline
		nd.totem.Tick(nd.clock.local(c.now))
	case evSend:
		if !nd.up {
			return
		}
		c.trySend(nd)
	case evFault:
		c.applyFault(int(e.buf))
		return
	case evPoll:
		c.pollServices(nd, e.size)
	}
	if nd.up {
		c.process(nd)
	}
}

// process carries out a node's Ready batches: frames onto the network,
// deliveries through totempg to the application, and the next tick. Acting
// on a batch can add to the next one (a delivery answered, cut messages
// sent again), so it loops while there is more.
func (c *Cluster) process(nd *simNode) {
	for range 8 {
		c.processBatch(nd)
		if !nd.up || !nd.totem.HasReady() {
			return
		}
	}
}

func (c *Cluster) processBatch(nd *simNode) {
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
	deadline := nd.clock.global(r.Deadline)
	nd.totem.Advance()
	if !c.opt.Membership {
		c.checkRelease(nd)
	}
	if deadline != totem.NoDeadline {
		// A timer can be overdue already (a frame came after it was due
		// and Step fires no timers): tick at once then. The event's time
		// is what identifies it, so tickAt must be that time.
		deadline = max(deadline, c.now)
	}
	if deadline != nd.tickAt {
		nd.tickAt = deadline
		if deadline != totem.NoDeadline {
			c.schedule(event{at: deadline, kind: evTick, node: int32(nd.idx), size: int32(nd.life)})
		}
	}
}

// checkRelease asserts stability before release on a stable ring: a node
// may free a message only once every member holds it, or a later
// retransmit request for it could go unanswered forever.
func (c *Cluster) checkRelease(nd *simNode) {
	released := nd.totem.Released()
	for _, peer := range c.nodes {
		if peer.up && peer.totem.RingID() == nd.totem.RingID() && seqBefore(peer.totem.ReceivedThrough(), released) {
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
	if !c.reach[from][to] {
		return
	}
	l := &c.links[from][to]
	if l.Loss > 0 && c.rng.Float64() < l.Loss {
		return
	}
	if c.burstLoss > 0 && c.rng.Float64() < c.burstLoss {
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
		c.failures = append(c.failures, fmt.Sprintf("t=%.3fms: ", float64(c.now)/1e6)+fmt.Sprintf(format, args...))
	}
}
