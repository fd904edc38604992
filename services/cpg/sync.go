package cpg

import (
	"cmp"
	"slices"

	"github.com/gorosync/gorosync/services"
)

// CPG sync (TOTEM_SPEC §8.5): every node multicasts its downlist (only
// logged) and the joinlist of its local processes; at activation the
// processes of nodes that did not come along are removed (NODEDOWN), the
// other nodes' processes this node did not know are added (NODEUP), and
// entries of other nodes that no joinlist confirms are removed (PROCDOWN).
// Every connection then gets the totem confchg of the round.

type syncStep uint8

const (
	stepDownlist syncStep = iota
	stepJoinList
	stepDone
)

type syncState struct {
	active     bool // between SyncInit and SyncActivate or SyncAbort
	step       syncStep
	ring       services.RingID
	members    []uint32
	oldMembers []uint32 // members at the last completed cpg sync
	downlist   []uint32
	joinlists  []joinEntry
	jlSent     int // local entries already sent in JOINLIST messages this round

	// syncedRing and syncedMembers are the last completed round's, for the
	// totem confchg (kept together, unlike corosync 3.1.7, which pairs the
	// new ring id with the old members between init and activation).
	syncedRing    services.RingID
	syncedMembers []uint32
}

// SyncInit starts a round: the downlist is every member of the last
// completed round that did not come along in trans.
func (e *Engine) SyncInit(trans, members []uint32, ring services.RingID) {
	s := &e.sync
	s.active, s.step, s.ring, s.jlSent = true, stepDownlist, ring, 0
	s.members = append(s.members[:0], members...)
	s.downlist = s.downlist[:0]
	for _, n := range s.oldMembers {
		if !slices.Contains(trans, n) {
			s.downlist = append(s.downlist, n)
		}
	}
	s.joinlists = s.joinlists[:0]
}

// SyncProcess sends the downlist, then the joinlist (in several messages
// when long); false while the host refuses a message.
func (e *Engine) SyncProcess() bool {
	s := &e.sync
	if s.step == stepDownlist {
		b := encodeDownlist(e.hdr[:0], len(s.oldMembers), s.downlist)
		if e.send(false, fnDownlist, b) != nil {
			return false
		}
		s.step = stepJoinList
	}
	if s.step == stepJoinList {
		local := e.localEntries()
		for s.jlSent < len(local) {
			n, b := e.joinListChunk(local[s.jlSent:])
			if e.send(false, fnJoinList, b) != nil {
				return false
			}
			s.jlSent += n
		}
		s.step = stepDone
	}
	return true
}

// localEntries are this node's processes, in process_info order.
func (e *Engine) localEntries() []Entry {
	var out []Entry
	self := e.nodeID()
	for _, en := range e.procs.global() {
		if en.NodeID == self {
			out = append(out, en)
		}
	}
	return out
}

// joinListChunk encodes as many entries as fit one message.
func (e *Engine) joinListChunk(entries []Entry) (int, []byte) {
	n, size := 0, 2
	for _, en := range entries {
		if size+5+len(en.Group) > maxJoinListBytes && n > 0 {
			break
		}
		size += 5 + len(en.Group)
		n++
	}
	return n, encodeJoinList(make([]byte, 0, size), entries[:n])
}

// onJoinList stores another node's (or this node's) joinlist for the
// round being synchronised; outside a round it is stale and dropped.
func (e *Engine) onJoinList(from uint32, msg []byte) {
	var got []joinEntry
	ok := decodeJoinList(msg, func(pid uint32, name []byte) {
		got = append(got, joinEntry{from: from, pid: pid, name: string(name)})
	})
	if !ok {
		e.badMessage(from, fnJoinList)
		return
	}
	if e.sync.active {
		e.sync.joinlists = append(e.sync.joinlists, got...)
	}
}

// SyncActivate applies the round (every member's joinlist has arrived).
func (e *Engine) SyncActivate() {
	s := &e.sync
	s.oldMembers = append(s.oldMembers[:0], s.members...)
	s.syncedRing = s.ring
	s.syncedMembers = slices.Clone(s.members)
	e.nodeDown()
	e.nodeUp()
	e.zombies()
	s.joinlists = s.joinlists[:0]
	s.active = false
	for _, d := range slices.Clone(e.cpds) {
		e.totemConfchg(d)
	}
}

// SyncAbort forgets the round's joinlists.
func (e *Engine) SyncAbort() {
	e.sync.joinlists = e.sync.joinlists[:0]
	e.sync.active = false
}

// nodeDown removes the processes of the downlist's nodes: one confchg per
// group (ascending name), reason NODEDOWN.
func (e *Engine) nodeDown() {
	if len(e.sync.downlist) == 0 {
		return
	}
	for _, g := range e.procs.sorted() {
		var left []Address
		kept := g.members[:0]
		for _, m := range g.members {
			if slices.Contains(e.sync.downlist, m.nodeid) {
				left = append(left, Address{NodeID: m.nodeid, PID: m.pid, Reason: ReasonNodeDown})
			} else {
				kept = append(kept, m)
			}
		}
		if len(left) == 0 {
			continue
		}
		g.members = kept
		e.confchg(g, left, nil)
		e.procs.gc(g)
	}
}

// nodeUp adds the other nodes' processes this node does not know: one
// confchg per group (ascending name), reason NODEUP, the joined list
// sorted by node and pid.
func (e *Engine) nodeUp() {
	self := e.nodeID()
	added := map[string][]Address{}
	for _, j := range e.sync.joinlists {
		if j.from == self {
			continue
		}
		g := e.procs.ensure([]byte(j.name))
		if e.procs.insert(g, j.from, j.pid) {
			added[j.name] = append(added[j.name], Address{NodeID: j.from, PID: j.pid, Reason: ReasonNodeUp})
		}
	}
	for _, g := range e.procs.sorted() {
		joined := added[g.name]
		if len(joined) == 0 {
			continue
		}
		slices.SortFunc(joined, func(a, b Address) int {
			if a.NodeID != b.NodeID {
				return cmp.Compare(a.NodeID, b.NodeID)
			}
			return cmp.Compare(a.PID, b.PID)
		})
		e.confchg(g, nil, joined)
	}
}

// zombies removes the entries of other nodes that no joinlist of this
// round confirms (their leave was lost to this node, e.g. while it was
// partitioned away): one confchg each, reason PROCDOWN.
func (e *Engine) zombies() {
	self := e.nodeID()
	type key struct {
		node, pid uint32
		name      string
	}
	confirmed := map[key]bool{}
	for _, j := range e.sync.joinlists {
		if j.from != self {
			confirmed[key{j.from, j.pid, j.name}] = true
		}
	}
	for _, en := range e.procs.global() {
		if en.NodeID == self || confirmed[key{en.NodeID, en.PID, en.Group}] {
			continue
		}
		g := e.procs.lookup([]byte(en.Group))
		i, ok := g.find(en.NodeID, en.PID)
		if !ok {
			continue
		}
		e.confchg(g, []Address{{NodeID: en.NodeID, PID: en.PID, Reason: ReasonProcDown}}, nil)
		g.removeAt(i)
		e.procs.gc(g)
	}
}
