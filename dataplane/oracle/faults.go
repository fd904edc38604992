package oracle

import (
	"math"
	"sort"
)

// life is one incarnation of a node: up from `from` to `to` (inclusive at
// both ends, since a fault and what it caused may share an instant), and
// how it ended. An incarnation still running at the end of the log has
// to = math.MaxInt64 and how = 0.
type life struct {
	from, to int64
	how      EventKind // EventCrash or EventLeave
	inc      int32
}

// regAt is one REG installation and the incarnation it belongs to.
type regAt struct {
	ev  *Event
	inc int32
}

// begin opens an incarnation at time t.
func (n *node) begin(t int64) {
	n.lives = append(n.lives, life{from: t, to: math.MaxInt64, inc: n.inc})
}

// upBefore returns the incarnation that was running just before t (or
// started at t), nil if the node was down. When one incarnation ends at t
// and another starts at t, the first is meant.
func (n *node) upBefore(t int64) *life {
	for i := range n.lives {
		if l := &n.lives[i]; l.from <= t && t <= l.to {
			return l
		}
	}
	return nil
}

// upAfter returns the incarnation that runs on past t, nil if none does.
func (n *node) upAfter(t int64) *life {
	for i := range n.lives {
		if l := &n.lives[i]; l.from <= t && t < l.to {
			return l
		}
	}
	return nil
}

// regIn returns the last REG of incarnation inc installed at or before t,
// nil if none.
func (n *node) regIn(inc int32, t int64) *Event {
	var last *Event
	for _, r := range n.regs {
		if r.inc > inc {
			break
		}
		if r.inc == inc && r.ev.Time <= t {
			last = r.ev
		}
	}
	return last
}

// netState is who reaches whom from one fault-log event on. A nil group
// map means everybody reaches everybody, but for the one-way cuts.
type netState struct {
	at      int64
	groupOf map[uint32]int // node → index of its group; absent: isolated
	cuts    [][2]uint32    // links cut one way since the last partition or heal
}

// net returns the network state at time t, after every fault-log event at
// or before t.
func (c *checker) net(t int64) netState {
	i := sort.Search(len(c.netStates), func(i int) bool { return c.netStates[i].at > t })
	if i == 0 {
		return netState{}
	}
	return c.netStates[i-1]
}

// together reports whether a and b can exchange frames both ways in s.
func (s netState) together(a, b uint32) bool {
	if a == b {
		return true
	}
	for _, l := range s.cuts {
		if l == [2]uint32{a, b} || l == [2]uint32{b, a} {
			return false
		}
	}
	if s.groupOf == nil {
		return true
	}
	ga, okA := s.groupOf[a]
	gb, okB := s.groupOf[b]
	return okA && okB && ga == gb
}

// allTogether reports whether every two of ids can exchange frames in s.
func (s netState) allTogether(ids []uint32) bool {
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			if !s.together(a, b) {
				return false
			}
		}
	}
	return true
}

// group names the group of a node in s; isolated nodes get a group of
// their own (negative ids can't clash with group indexes).
func (s netState) group(a uint32) int64 {
	if s.groupOf == nil {
		return 0
	}
	if g, ok := s.groupOf[a]; ok {
		return int64(g)
	}
	return -1 - int64(a)
}

// indexFaults checks the fault log and turns it into network states.
func (c *checker) indexFaults() {
	fs := c.opt.Faults
	for i := range fs {
		ev := &fs[i]
		if i > 0 && ev.Time < fs[i-1].Time {
			c.rep.add("LOG", 0, 0, "fault %d: time %d runs back from %d", i, ev.Time, fs[i-1].Time)
		}
		switch ev.Kind {
		case EventHeal:
			c.netStates = append(c.netStates, netState{at: ev.Time})
		case EventCut:
			// Cuts add up on top of the groups in force (read in log
			// order; a log running back is reported above).
			var s netState
			if k := len(c.netStates); k > 0 {
				s = c.netStates[k-1]
			}
			s.at = ev.Time
			s.cuts = append(s.cuts[:len(s.cuts):len(s.cuts)], ev.Link)
			c.netStates = append(c.netStates, s)
		case EventPartition:
			g := make(map[uint32]int)
			for gi, grp := range ev.Groups {
				for _, id := range grp {
					if prev, dup := g[id]; dup && prev != gi {
						c.rep.add("LOG", 0, 0, "fault %d: node %d in partition groups %d and %d", i, id, prev, gi)
						continue
					}
					g[id] = gi
				}
			}
			c.netStates = append(c.netStates, netState{at: ev.Time, groupOf: g})
		case EventDisturb:
			// changes no network state; faults() lists it so that no
			// timed check spans it
		default:
			c.rep.add("LOG", 0, 0, "fault %d: %v does not belong in the fault log", i, ev.Kind)
		}
	}
	// Searched by time: a log that runs back is reported above and then
	// read in time order.
	sort.SliceStable(c.netStates, func(i, j int) bool { return c.netStates[i].at < c.netStates[j].at })
}

// fault is one event that changes, or may change, the membership: a node
// starting, crashing or leaving, a partition, a cut or a heal.
type fault struct {
	at   int64
	kind EventKind // EventRestart stands for every start, recorded or not
	node int32     // index into c.nodes; -1 for partitions, cuts and heals
	life *life     // the incarnation that ends (crash, leave)
}

// faults lists every fault of the run in time order.
func (c *checker) faults() []fault {
	var fs []fault
	for ni := range c.nodes {
		n := &c.nodes[ni]
		for i := range n.lives {
			l := &n.lives[i]
			fs = append(fs, fault{at: l.from, kind: EventRestart, node: int32(ni)})
			if l.how != 0 {
				fs = append(fs, fault{at: l.to, kind: l.how, node: int32(ni), life: l})
			}
		}
	}
	for i := range c.opt.Faults {
		ev := &c.opt.Faults[i]
		if ev.Kind == EventPartition || ev.Kind == EventHeal || ev.Kind == EventCut || ev.Kind == EventDisturb {
			fs = append(fs, fault{at: ev.Time, kind: ev.Kind, node: -1})
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].at < fs[j].at })
	return fs
}
