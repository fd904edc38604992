package oracle

// Options says what the run promises beyond the safety invariants, which
// always hold and are always checked.
type Options struct {
	// StableRing: no membership change was expected (no failure, no new
	// node). Checks L5: every log has exactly the initial TRANS(∅)+REG and
	// no other configuration, every node installed the same REG ring with
	// the same members, and nobody crashed, left or restarted.
	StableRing bool
	// Drained: the run ended with a quiescent period long enough for every
	// accepted message to be delivered. Checks L1: every Send made in a
	// node's last incarnation, if that incarnation did not end in a crash
	// or leave, is delivered to the node itself. On a stable ring it also
	// checks that every node that never stopped delivered every message
	// sent by a live node or delivered anywhere.
	Drained bool

	// Faults is the cluster-wide fault log (Recorder.Faults): partitions,
	// one-way cuts and heals, on the same clock as the logs. Nil means the
	// network was never split.
	Faults []Event
	// Bounds, when set, checks the timed liveness properties of §4.4 over
	// the faults the logs and Faults record. L2: every member of the stable
	// ring a node crashed out of that stays up installs a REG without it
	// within CrashNs. L3: the same after a clean leave, within LeaveNs. L4:
	// after a partition or heal, the nodes that are up and can reach each
	// other share one REG holding exactly them within MergeNs. An instance
	// is skipped (and counted in Stats) when another fault comes within its
	// window, the run ends first, or for L2 and L3 the ring was not stable
	// when the node went. BoundsFor derives the bounds from the timers.
	Bounds *Bounds
	// EndNs is the virtual time at which the run stopped. An instance
	// whose deadline lies after it passes if what it expects had come by
	// then, and is skipped otherwise. Zero takes the latest time recorded
	// in any log or in Faults, which skips a run that went quiet because
	// nothing was installed any more: the simulator should set it.
	EndNs int64
}

// msgInfo is what the checks need to know about one message; messages are
// numbered densely so that per-node positions live in flat slices.
type msgInfo struct {
	id       uint64
	sendLog  int32 // index of the sender's log; -1 when never sent
	sendEv   int32 // index of the Send event in that log
	sendIdx  int32 // rank among the sender's sends (sender FIFO, E13)
	sendPos  int32 // deliveries the sender had made before the Send (E14)
	sendInc  int32 // the sender's incarnation at the Send (L1)
	sendTime int64
	safe     bool

	// The origin ring O(m), fixed by the first delivery seen (E9).
	originSet  bool
	origin     RingID
	originNode uint32
	delivered  int32 // how many nodes delivered it
}

// stretch is the span of one node's deliveries whose origin is one ring:
// the regular part of the ring, then the transitional part that follows it
// (§4.2). Indices are into node.del. It also remembers how the ring was
// installed, because E5, E6 and E12 compare installations across nodes.
type stretch struct {
	ring              RingID
	start, trans, end int32    // regular [start,trans), transitional [trans,end)
	prev              int32    // stretch installed just before, same incarnation; -1 if none
	hasTrans          bool     // REG(ring) was preceded by TRANS(ring)
	transMembers      []uint32 // TRANS_p(ring), E6
	members           []uint32 // REG(ring).members at p, E5
}

// node is one log with the indexes built over it.
type node struct {
	id        uint32
	log       *Log
	evMsg     []int32 // dense message index per event; -1 for CONF and CRASH
	del       []int32 // messages delivered, in order, duplicates left out
	delEv     []int32 // event index of each delivery, for reports
	pos       []int32 // message → index in del; -1 when not delivered
	sends     []int32 // messages this node sent, in order
	stretches []stretch

	inc       int32  // incarnation count: stops (crash, leave) seen so far
	downAtEnd bool   // the last incarnation was stopped
	stopped   bool   // some incarnation ended: crash, leave or restart
	confs     int    // CONF events, for L5
	confBad   bool   // the CONF events are not exactly TRANS, REG
	firstReg  *Event // first REG, for L5

	// For the timed liveness checks.
	lives []life  // incarnations, in order
	regs  []regAt // every REG, in order
}

type checker struct {
	opt   Options
	nodes []node
	msgs  []msgInfo
	ids   map[uint64]int32
	rep   report
	byID  map[uint32]int32
	stats Stats
	// netStates are the fault log's partitions and heals in time order.
	netStates []netState
}

// Check returns every violation found in the logs of one run (capped, with a
// final "MORE" entry saying how many were left out), or nil when clean.
func Check(logs []Log, opt Options) []Violation {
	vs, _ := CheckStats(logs, opt)
	return vs
}

// CheckStats is Check that also says how many timed liveness instances
// (L2–L4) were checked and how many had to be skipped.
func CheckStats(logs []Log, opt Options) ([]Violation, Stats) {
	c := &checker{opt: opt}
	c.index(logs)
	c.indexFaults()
	for i := range c.nodes {
		c.walk(int32(i))
	}
	c.checkRings()
	c.checkTotalOrder()
	c.checkFIFO()
	c.checkCausal()
	c.checkLiveness()
	return c.rep.result(), c.stats
}

// index numbers the messages, records who sent each, and rejects malformed
// logs. Every later pass works on dense indexes, never on the id map.
func (c *checker) index(logs []Log) {
	total, sends := 0, 0
	for i := range logs {
		total += len(logs[i].Events)
		for j := range logs[i].Events {
			if logs[i].Events[j].Kind == EventSend {
				sends++
			}
		}
	}
	c.ids = make(map[uint64]int32, sends+sends/4+8)
	c.msgs = make([]msgInfo, 0, sends+8)
	c.nodes = make([]node, len(logs))
	c.byID = make(map[uint32]int32, len(logs))
	evMsg := make([]int32, total)

	for i := range logs {
		l := &logs[i]
		n := &c.nodes[i]
		n.id, n.log = l.Node, l
		n.evMsg, evMsg = evMsg[:len(l.Events):len(l.Events)], evMsg[len(l.Events):]
		if prev, dup := c.byID[l.Node]; dup {
			c.rep.add("LOG", l.Node, 0, "two logs for the same node (logs %d and %d)", prev, i)
		} else {
			c.byID[l.Node] = int32(i)
		}
		for e := range l.Events {
			ev := &l.Events[e]
			n.evMsg[e] = -1
			if e > 0 && ev.Time < l.Events[e-1].Time {
				c.rep.add("LOG", l.Node, ev.MsgID, "event %d: time %d runs back from %d", e, ev.Time, l.Events[e-1].Time)
			}
			switch ev.Kind {
			case EventSend:
				id := c.intern(ev.MsgID)
				n.evMsg[e] = id
				if ev.Sender != 0 && ev.Sender != l.Node {
					c.rep.add("LOG", l.Node, ev.MsgID, "event %d: SEND recorded with sender %d", e, ev.Sender)
				}
				m := &c.msgs[id]
				if m.sendLog >= 0 {
					c.rep.add("LOG", l.Node, ev.MsgID, "event %d: message id already sent by node %d (event %d)", e, logs[m.sendLog].Node, m.sendEv)
					continue
				}
				m.sendLog, m.sendEv, m.sendTime, m.safe = int32(i), int32(e), ev.Time, ev.Safe
				m.sendIdx = int32(len(n.sends))
				n.sends = append(n.sends, id)
			case EventDeliver:
				n.evMsg[e] = c.intern(ev.MsgID)
			case EventConf:
				if ev.Conf != Transitional && ev.Conf != Regular {
					c.rep.add("LOG", l.Node, 0, "event %d: unknown configuration kind %d", e, ev.Conf)
				}
			case EventCrash, EventLeave, EventRestart:
			case EventPartition, EventHeal, EventCut, EventDisturb:
				c.rep.add("LOG", l.Node, 0, "event %d: %v belongs in the fault log (Options.Faults), not a node's", e, ev.Kind)
			default:
				c.rep.add("LOG", l.Node, ev.MsgID, "event %d: unknown event kind %d", e, ev.Kind)
			}
		}
	}

	// One flat array holds every node's position table.
	m := len(c.msgs)
	flat := make([]int32, m*len(c.nodes))
	for i := range flat {
		flat[i] = -1
	}
	for i := range c.nodes {
		c.nodes[i].pos = flat[i*m : (i+1)*m : (i+1)*m]
	}
}

// intern returns the dense index of a message id, adding it if new.
func (c *checker) intern(id uint64) int32 {
	if i, ok := c.ids[id]; ok {
		return i
	}
	i := int32(len(c.msgs))
	c.ids[id] = i
	c.msgs = append(c.msgs, msgInfo{id: id, sendLog: -1, sendEv: -1, sendIdx: -1, sendPos: -1, sendInc: -1})
	return i
}
