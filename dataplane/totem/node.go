package totem

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// State is the membership state of a node.
type State uint8

const (
	StateOperational State = iota + 1
	StateGather
	StateCommit
	StateRecovery
	StateStopped // left the cluster, or a fatal error (see Err)
)

func (s State) String() string {
	switch s {
	case StateOperational:
		return "OPERATIONAL"
	case StateGather:
		return "GATHER"
	case StateCommit:
		return "COMMIT"
	case StateRecovery:
		return "RECOVERY"
	case StateStopped:
		return "STOPPED"
	}
	return "UNKNOWN"
}

var (
	// ErrQueueFull is returned by Submit when the send queue is full; the
	// caller retries later (CS_ERR_TRY_AGAIN at the API).
	ErrQueueFull = errors.New("totem: send queue full")
	// ErrTooLarge is returned by Submit for a payload over MaxPayload.
	ErrTooLarge = errors.New("totem: payload larger than a frame")
	// ErrNotRunning is returned by Submit before Start and after a stop.
	ErrNotRunning = errors.New("totem: node not running")
)

// Node is one totem processor. It is not safe for concurrent use: one
// goroutine (the token loop, or the simulator) owns it.
type Node struct {
	cfg   Config
	id    uint32
	state State
	now   int64
	err   error

	ring    wire.RingID
	members []uint32 // my_memb_list: the installed ring
	next    uint32   // successor on the ring being run
	isRep   bool

	sendQ, retransQ     sendQueue
	regularQ, recoveryQ sortQueue
	bufs                bufferStack

	// SRP ordering state, named as in spec §2.3.
	myARU           uint32
	highSeqReceived uint32
	highDelivered   uint32
	lastARU         uint32 // token.aru seen on my previous visit (my_last_aru)
	myTokenSeq      uint32
	lastSeq         uint32
	seqUnchanged    uint32
	aruCount        uint32
	trc, pbl, cbl   uint32
	tokenHeld       bool
	safeThrough     uint32 // every member holds all messages up to here
	globalSeqno     int32  // this_seqno diagnostic counter
	lastToken       []byte // encoded copy of the last token (ORF or commit) sent or held

	memb membership

	tokenLossAt, retransmitAt, holdAt int64
	joinAt, consensusAt, mergeAt      int64
	heartbeatAt, joinSendAt           int64

	// Adaptive token retransmission (retransmit.go).
	lastTokenAt, rotationNs int64
	rotations               [rotationSamples]int64
	rotationNext            int
	retransmitBackoff       uint
	ringBusy                bool // the last token showed a backlog or a member behind

	// Scratch decode targets, reused so that Step allocates nothing.
	tok    wire.OrfToken
	mc     wire.Mcast
	cancel wire.TokenHoldCancel
	join   wire.Join
	commit wire.CommitToken
	merge  wire.MergeDetect

	ready       Ready
	taken       readyMark
	arenas      [2][]byte
	activeArena int
	stats       Stats
	maxPayload  int
}

// New checks cfg and builds a node; call Start to bring it up.
func New(cfg Config) (*Node, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:        cfg,
		id:         cfg.NodeID,
		sendQ:      newSendQueue(cfg.SendQueueCapacity),
		retransQ:   newSendQueue(cfg.SortQueueSize),
		regularQ:   newSortQueue(cfg.SortQueueSize),
		recoveryQ:  newSortQueue(cfg.SortQueueSize),
		bufs:       bufferStack{size: cfg.NetMTU},
		lastToken:  make([]byte, 0, max(wire.OrfTokenSize+rtrListMax*wire.RTRItemSize, wire.CommitTokenSize+wire.MaxNodes*(4+wire.CommitEntrySize))),
		maxPayload: MaxPayload(cfg.NetMTU),
	}
	n.disarmTimers()
	n.tok.RTRList = make([]wire.RTRItem, 0, rtrListMax)
	n.ready.Frames = make([]Frame, 0, int(cfg.MaxMessages)+rtrListMax+4)
	n.ready.Events = make([]Event, 0, 64)
	n.arenas = [2][]byte{make([]byte, 0, 4096), make([]byte, 0, 4096)}
	return n, nil
}

func (n *Node) disarmTimers() {
	n.tokenLossAt, n.retransmitAt, n.holdAt = NoDeadline, NoDeadline, NoDeadline
	n.joinAt, n.consensusAt, n.mergeAt = NoDeadline, NoDeadline, NoDeadline
	n.heartbeatAt, n.joinSendAt = NoDeadline, NoDeadline
}

// successor is the member after id in ascending order, wrapping around.
func successor(members []uint32, id uint32) uint32 {
	i, _ := slices.BinarySearch(members, id)
	if i < len(members) && members[i] == id {
		i++
	}
	return members[i%len(members)]
}

// Start brings the node up. With Config.Members set it installs that ring
// at once (the start-up pair of configuration changes: an empty
// transitional one, then the regular one with every member joined) and the
// representative sends the first token. Otherwise it runs the membership
// protocol: it loads its ring sequence number from the store and gathers.
func (n *Node) Start(now int64) error {
	n.now = now
	n.resetOrdering()
	if len(n.cfg.Members) > 0 {
		n.ring = n.cfg.Ring
		n.members = slices.Clone(n.cfg.Members)
		n.memb.proc = slices.Clone(n.members)
		n.memb.oldRing = n.ring
		n.state = StateOperational
		n.isRep = n.ring.Rep == n.id
		n.next = successor(n.members, n.id)
		n.emitConf(Transitional, nil, nil, nil)
		n.emitConf(Regular, n.members, nil, n.members)
		if n.isRep {
			n.sendInitialToken()
		}
		n.tokenLossAt = now + n.cfg.Timers.TokenNs
		return nil
	}
	seq, err := n.cfg.Store.LoadRingSeq(n.id)
	if err != nil {
		return fmt.Errorf("totem: loading ring id: %w", err)
	}
	// +1: a restarted node starts on a ring id nobody has used (§3.12).
	n.ring = wire.RingID{Rep: n.id, Seq: seq + 1}
	n.memb.tokenRingIDSeq = seq + 1
	n.memb.oldRing = n.ring
	n.memb.proc = []uint32{n.id}
	n.gatherEnter()
	return nil
}

func (n *Node) resetOrdering() {
	n.myARU, n.highSeqReceived, n.highDelivered, n.lastARU = 0, 0, 0, 0
	n.regularQ.reset(0, &n.bufs)
	n.myTokenSeq = ^uint32(0)
	n.safeThrough = 0
}

// sendInitialToken creates a ring's first ORF token (spec §2.2).
func (n *Node) sendInitialToken() {
	t := &n.tok
	*t = wire.OrfToken{RTRList: t.RTRList[:0], RingID: n.ring, ARU: ^uint32(0), ARUAddr: n.id}
	n.memb.setRetransFlg = n.retransQ.len() > 0
	if n.memb.setRetransFlg {
		t.RetransFlg = 1
	}
	n.sendToken(t, true)
	n.tokenLossAt = n.now + n.cfg.Timers.TokenNs
	n.armRetransmit(false)
}

// sendToken encodes t as the retransmit copy and, if forward, emits it.
func (n *Node) sendToken(t *wire.OrfToken, forward bool) {
	t.Header = wire.Header{Type: wire.TypeOrfToken, NodeID: n.id}
	n.lastToken = n.lastToken[:t.Size()]
	if _, err := t.Encode(n.lastToken); err != nil {
		panic("totem: token does not fit its own buffer: " + err.Error())
	}
	if forward {
		n.emitCopy(n.next, n.lastToken)
		n.stats.TokensTx++
	}
}

// Submit queues payload for broadcast on a later token visit. The payload is
// copied; the caller may reuse it at once. Messages submitted during a
// membership change wait and are sent in the next ring.
func (n *Node) Submit(payload []byte, g Guarantee) error {
	if n.state == 0 || n.state == StateStopped {
		return ErrNotRunning
	}
	if len(payload) > n.maxPayload {
		return ErrTooLarge
	}
	if n.sendQ.avail() == 0 {
		return ErrQueueFull
	}
	e := n.sendQ.tail(&n.bufs)
	e.n = wire.McastSize + copy(e.buf[wire.McastSize:], payload)
	e.safe, e.encapsulated = g == Safe, false
	n.sendQ.push()
	return nil
}

// Signal tells the node that the layer above accepted a message to send,
// which may still sit in its packing buffer (corosync's event_signal). On
// an idle ring, where the representative holds the token, the node
// multicasts a token hold cancel so the token comes round now rather than
// after the hold period. Submit does not signal by itself: corosync's
// packing layer signals per application message, and its flush on token
// receipt must not cancel a hold that is being decided.
func (n *Node) Signal() {
	if !n.tokenHeld || n.state != StateOperational {
		return
	}
	n.tokenHeld = false
	n.cancel = wire.TokenHoldCancel{Header: wire.Header{Type: wire.TypeTokenHoldCancel, NodeID: n.id}, RingID: n.ring}
	b := n.claim(wire.TokenHoldCancelSize)
	if _, err := n.cancel.Encode(b); err != nil {
		panic("totem: hold cancel encode: " + err.Error())
	}
	n.emit(Broadcast, b)
	n.stats.HoldCancelTx++
	// corosync's multicast reaches its sender too; act on our own copy.
	n.onHoldCancel(&n.cancel)
}

// Avail is the number of free send-queue entries.
func (n *Node) Avail() int { return n.sendQ.avail() }

// Queued is the number of submitted messages not yet broadcast.
func (n *Node) Queued() int { return n.sendQ.len() }

// DropQueued forgets every submitted message not yet broadcast. The packing
// layer calls it when a new ring is installed, to send again, whole, the
// application messages that the change cut (totempg.Resender).
func (n *Node) DropQueued() { n.sendQ.clear() }

// Step processes one received frame. A malformed frame is counted and
// returned as an error; it never changes protocol state.
func (n *Node) Step(now int64, frame []byte) error {
	n.now = now
	if n.state == 0 || n.state == StateStopped {
		return nil
	}
	h, err := wire.PeekHeader(frame)
	if err != nil {
		n.stats.DecodeErrors++
		return err
	}
	switch h.Type {
	case wire.TypeOrfToken:
		err = n.tok.Decode(frame)
		if err == nil {
			n.onToken(&n.tok)
		}
	case wire.TypeMcast:
		err = n.mc.Decode(frame)
		if err == nil {
			n.onMcast(&n.mc, frame)
		}
	case wire.TypeTokenHoldCancel:
		err = n.cancel.Decode(frame)
		if err == nil {
			n.onHoldCancel(&n.cancel)
		}
	case wire.TypeJoin:
		err = n.join.Decode(frame)
		if err == nil {
			n.onJoin(&n.join)
		}
	case wire.TypeCommitToken:
		err = n.commit.Decode(frame)
		if err == nil {
			n.onCommitToken(&n.commit)
		}
	case wire.TypeMergeDetect:
		err = n.merge.Decode(frame)
		if err == nil {
			n.onMergeDetect(&n.merge)
		}
	}
	if err != nil {
		n.stats.DecodeErrors++
	}
	return err
}

// Tick fires the timers that are due at now.
func (n *Node) Tick(now int64) {
	n.now = now
	if n.state == 0 || n.state == StateStopped {
		return
	}
	if now >= n.holdAt {
		// The hold is over: send the token on, leaving the retransmit
		// timer armed from the visit, as corosync's hold timer does.
		n.holdAt = NoDeadline
		if n.state == StateOperational || n.state == StateRecovery {
			n.sendLastToken()
			n.stats.TokenHoldReleases++
		}
	}
	if now >= n.retransmitAt {
		n.retransmitAt = NoDeadline
		if n.state != StateGather {
			n.retransmitToken()
		}
	}
	if now >= n.mergeAt {
		n.mergeAt = NoDeadline
		if n.state == StateOperational && n.isRep {
			n.sendMergeDetect()
		}
	}
	if now >= n.joinAt {
		n.joinAt = NoDeadline
		if n.state == StateGather || n.state == StateCommit {
			n.sendJoin()
			n.joinAt = now + n.cfg.Timers.JoinNs
		}
	}
	if now >= n.joinSendAt {
		n.joinSendAt = NoDeadline
		if n.state == StateGather || n.state == StateCommit {
			n.sendJoinNow()
		}
	}
	if now >= n.consensusAt {
		n.consensusAt = NoDeadline
		if n.state == StateGather {
			n.consensusTimeout()
		}
	}
	if now >= n.tokenLossAt || now >= n.heartbeatAt {
		n.tokenLossAt, n.heartbeatAt = NoDeadline, NoDeadline
		n.tokenLost()
	}
}

// retransmitToken resends the last token and re-arms the retransmit timer
// (also how a hold cancel lets a held token go).
func (n *Node) retransmitToken() {
	if n.state == StateRecovery && !n.memb.successorRecovering && len(n.memb.completedCommit) > 0 {
		n.emitCopy(n.next, n.memb.completedCommit)
	}
	n.sendLastToken()
	n.stats.TokenRetransmits++
	n.armRetransmit(true)
}

func (n *Node) sendLastToken() {
	n.holdAt = NoDeadline
	if len(n.lastToken) > 0 {
		n.emitCopy(n.next, n.lastToken)
	}
}

func (n *Node) onHoldCancel(c *wire.TokenHoldCancel) {
	if c.RingID != n.ring {
		return
	}
	n.stats.HoldCancelRx++
	n.seqUnchanged = 0
	if n.isRep && n.state == StateOperational {
		n.retransmitToken()
	}
}

// fail stops the node on an error it cannot continue after (a ring id that
// could not be persisted would let a restart reuse a ring id).
func (n *Node) fail(err error) {
	n.err = err
	n.state = StateStopped
	n.disarmTimers()
}

// Err is the fatal error that stopped the node, if any.
func (n *Node) Err() error { return n.err }

// Ready returns the pending batch. It stays valid until Advance. Between
// Ready and Advance the caller may Submit and Signal (a service answering a
// delivery does): what that adds is kept for the next batch.
func (n *Node) Ready() *Ready {
	n.taken = readyMark{frames: len(n.ready.Frames), events: len(n.ready.Events), quarantined: len(n.bufs.quarantine), valid: true}
	n.ready.Deadline = n.Deadline()
	return &n.ready
}

// Deadline is the next time Tick must be called; NoDeadline if none.
func (n *Node) Deadline() int64 {
	return min(n.tokenLossAt, n.retransmitAt, n.holdAt, n.joinAt, n.consensusAt, n.mergeAt, n.heartbeatAt, n.joinSendAt)
}

// HasReady reports whether the batch holds anything to act on.
func (n *Node) HasReady() bool { return len(n.ready.Frames) > 0 || len(n.ready.Events) > 0 }

// readyMark is what the caller saw at Ready.
type readyMark struct {
	frames, events, quarantined int
	valid                       bool
}

// Advance tells the node its caller acted on the batch returned by Ready.
// Buffers released while that batch was built may now be reused; anything
// added after Ready is kept for the next batch.
func (n *Node) Advance() {
	mark := n.taken
	if !mark.valid {
		mark = readyMark{frames: len(n.ready.Frames), events: len(n.ready.Events), quarantined: len(n.bufs.quarantine)}
	}
	n.taken = readyMark{}
	keptFrames := copy(n.ready.Frames, n.ready.Frames[mark.frames:])
	n.ready.Frames = n.ready.Frames[:keptFrames]
	n.ready.Events = n.ready.Events[:copy(n.ready.Events, n.ready.Events[mark.events:])]
	// Kept frames live in the active arena: switch to the other one, whose
	// frames were all in batches already acted on.
	if keptFrames > 0 {
		n.activeArena ^= 1
	}
	n.arenas[n.activeArena] = n.arenas[n.activeArena][:0]
	n.bufs.settle(mark.quarantined)
}

// claim returns size bytes of the active batch arena. Earlier claims stay
// valid if the arena grows, because they keep the old backing array alive.
func (n *Node) claim(size int) []byte {
	a := n.arenas[n.activeArena]
	if cap(a)-len(a) < size {
		a = make([]byte, 0, max(2*cap(a), size))
	}
	start := len(a)
	a = a[:start+size]
	n.arenas[n.activeArena] = a
	return a[start : start+size : start+size]
}

func (n *Node) emit(to uint32, b []byte) {
	n.ready.Frames = append(n.ready.Frames, Frame{To: to, Data: b})
}

func (n *Node) emitCopy(to uint32, b []byte) {
	c := n.claim(len(b))
	copy(c, b)
	n.emit(to, c)
}

// emitConf delivers a configuration change; the lists are the caller's own
// copies (membership changes are rare enough to allocate).
func (n *Node) emitConf(kind ConfKind, members, left, joined []uint32) {
	n.ready.Events = append(n.ready.Events, Event{Kind: EventConfChange, Conf: ConfChange{
		Kind: kind, Ring: n.ring, Members: members, Left: left, Joined: joined,
	}})
}

// Accessors for the caller, tests and the simulator.

func (n *Node) ID() uint32            { return n.id }
func (n *Node) State() State          { return n.state }
func (n *Node) RingID() wire.RingID   { return n.ring }
func (n *Node) Members() []uint32     { return n.members }
func (n *Node) HighDelivered() uint32 { return n.highDelivered }

func (n *Node) Stats() Stats {
	s := n.stats
	s.FrameBuffers = n.bufs.created
	return s
}

// ReceivedThrough is my_aru: every message of the ring up to it is held here.
func (n *Node) ReceivedThrough() uint32 { return n.myARU }

// Released is the highest sequence number of the installed ring whose
// buffer this node freed: it will never retransmit a message at or below it.
func (n *Node) Released() uint32 { return n.regularQ.released }

// Pending is the number of submitted messages not yet broadcast.
func (n *Node) Pending() int { return n.Queued() }
