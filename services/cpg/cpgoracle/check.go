package cpgoracle

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gorosync/gorosync/services/cpg"
)

// maxViolations bounds what Check reports.
const maxViolations = 40

type report struct{ list []string }

func (r *report) add(format string, args ...any) {
	if len(r.list) < maxViolations {
		r.list = append(r.list, fmt.Sprintf(format, args...))
	}
}

// Check runs the checks of C1–C8 and returns the violations (nil: none).
// Call it when the run has settled (every message sent was delivered
// where it will be).
func (l *Log) Check() []string {
	var r report
	for _, p := range l.procs {
		l.checkViews(&r, p)
	}
	l.checkReasons(&r)
	l.checkRings(&r)
	l.checkOrder(&r)
	l.checkSelfDelivery(&r)
	l.checkTotem(&r)
	return r.list
}

func addr(a cpg.Address) Addr { return Addr{a.NodeID, a.PID} }

func contains(list []cpg.Address, a Addr) (cpg.Address, bool) {
	for _, x := range list {
		if addr(x) == a {
			return x, true
		}
	}
	return cpg.Address{}, false
}

func sortedAddrs(list []cpg.Address) bool {
	return slices.IsSortedFunc(list, func(a, b cpg.Address) int {
		if a.NodeID != b.NodeID {
			return int(int64(a.NodeID) - int64(b.NodeID))
		}
		return int(int64(a.PID) - int64(b.PID))
	})
}

// view is a process's membership of its group as its callbacks built it.
type view struct {
	in      bool
	group   string
	members []Addr
}

func (v *view) has(a Addr) bool { return slices.Contains(v.members, a) }

func addrsOf(list []cpg.Address) []Addr {
	out := make([]Addr, len(list))
	for i, a := range list {
		out[i] = addr(a)
	}
	return out
}

// checkViews: C1 (the first confchg after a join is the process's own
// join, nothing of the group before it), C2 (list algebra between
// consecutive confchgs), C6 (a message comes from a node the view holds).
func (l *Log) checkViews(r *report, p *proc) {
	var v view
	pending := ""
	exited := false
	for _, ev := range p.events {
		if exited && (ev.Kind == Confchg || ev.Kind == Deliver || ev.Kind == Totem) {
			r.add("%v: %v callback after its exit", p.addr, ev.Kind)
		}
		switch ev.Kind {
		case JoinReq:
			if v.in {
				r.add("%v: join of %q accepted while in %q", p.addr, ev.Group, v.group)
			}
			pending = ev.Group
		case Exit:
			exited = true
		case Confchg:
			l.viewConfchg(r, p, &v, &pending, ev)
		case Deliver:
			switch {
			case !v.in || ev.Group != v.group:
				r.add("C1: %v delivered %d of %q outside its membership", p.addr, ev.MsgID, ev.Group)
			case !slices.ContainsFunc(v.members, func(a Addr) bool { return a.Node == ev.From.Node }):
				r.add("C6: %v delivered %d from %v, no process of node %d in its view %v", p.addr, ev.MsgID, ev.From, ev.From.Node, v.members)
			}
		}
	}
}

func (l *Log) viewConfchg(r *report, p *proc, v *view, pending *string, ev Event) {
	if !sortedAddrs(ev.Members) {
		r.add("%v: confchg of %q with an unsorted member list %v", p.addr, ev.Group, ev.Members)
	}
	if !v.in {
		j, okJ := contains(ev.Joined, p.addr)
		_, okM := contains(ev.Members, p.addr)
		if *pending != ev.Group || !okJ || j.Reason != cpg.ReasonJoin || !okM {
			r.add("C1: %v's first confchg of %q is not its own join: members %v joined %v left %v", p.addr, ev.Group, ev.Members, ev.Joined, ev.Left)
		}
		*v = view{in: true, group: ev.Group, members: addrsOf(ev.Members)}
		*pending = ""
		return
	}
	if ev.Group != v.group {
		r.add("%v: confchg of %q while in %q", p.addr, ev.Group, v.group)
		return
	}
	want := slices.Clone(v.members)
	for _, a := range ev.Left {
		i := slices.Index(want, addr(a))
		if i < 0 {
			r.add("C2: %v: %v left %q but was not in the view %v", p.addr, addr(a), ev.Group, v.members)
			continue
		}
		want = slices.Delete(want, i, i+1)
	}
	for _, a := range ev.Joined {
		if v.has(addr(a)) {
			r.add("C2: %v: %v joined %q but was in the view already", p.addr, addr(a), ev.Group)
			continue
		}
		want = append(want, addr(a))
	}
	got := addrsOf(ev.Members)
	if !sameSet(want, got) {
		r.add("C2: %v: %q members %v, want view %v ∪ joined %v − left %v", p.addr, ev.Group, got, v.members, ev.Joined, ev.Left)
	}
	v.members = got
	if a, ok := contains(ev.Left, p.addr); ok {
		if a.Reason != cpg.ReasonLeave {
			r.add("C7: %v saw itself leave %q with reason %v", p.addr, ev.Group, a.Reason)
		}
		*v = view{}
	}
}

func sameSet(a, b []Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// checkReasons: C7. JOIN and LEAVE only for processes that asked;
// PROCDOWN for processes that exited (or left, or died with their node);
// NODEDOWN only during sync for nodes outside the receiver's transitional
// configuration; NODEUP only during sync, for other nodes' processes.
func (l *Log) checkReasons(r *report) {
	joins, leaves, exits := map[Addr]bool{}, map[Addr]bool{}, map[Addr]bool{}
	for _, p := range l.procs {
		for _, ev := range p.events {
			switch ev.Kind {
			case JoinReq:
				joins[p.addr] = true
			case LeaveReq:
				leaves[p.addr] = true
			case Exit:
				exits[p.addr] = true
			}
		}
	}
	for _, p := range l.procs {
		for _, ev := range p.events {
			if ev.Kind != Confchg {
				continue
			}
			for _, m := range ev.Members {
				if m.Reason != cpg.ReasonUndefined {
					r.add("C7: %v: member %v with reason %v", p.addr, addr(m), m.Reason)
				}
			}
			for _, j := range ev.Joined {
				a := addr(j)
				switch {
				case j.Reason == cpg.ReasonJoin && !joins[a]:
					r.add("C7: %v saw %v join %q, it never asked", p.addr, a, ev.Group)
				case j.Reason == cpg.ReasonNodeUp && (!ev.Sync || a.Node == p.addr.Node):
					r.add("C7: %v saw %v NODEUP outside sync or for its own node", p.addr, a)
				case j.Reason != cpg.ReasonJoin && j.Reason != cpg.ReasonNodeUp:
					r.add("C7: %v saw %v join with reason %v", p.addr, a, j.Reason)
				}
			}
			for _, x := range ev.Left {
				l.checkLeft(r, p, ev, x, leaves, exits)
			}
		}
	}
}

func (l *Log) checkLeft(r *report, p *proc, ev Event, x cpg.Address, leaves, exits map[Addr]bool) {
	a := addr(x)
	switch x.Reason {
	case cpg.ReasonLeave:
		if !leaves[a] {
			r.add("C7: %v saw %v leave %q, it never asked", p.addr, a, ev.Group)
		}
	case cpg.ReasonProcDown:
		if !exits[a] && !leaves[a] && !l.down[a.Node] {
			r.add("C7: %v saw %v PROCDOWN, it is alive and joined", p.addr, a)
		}
	case cpg.ReasonNodeDown:
		if !ev.Sync {
			r.add("C7: %v saw %v NODEDOWN outside sync", p.addr, a)
		}
		if trans := l.transAt(p.addr.Node, ev.seq); slices.Contains(trans, a.Node) {
			r.add("C7: %v saw %v NODEDOWN, node %d is in its transitional configuration %v", p.addr, a, a.Node, trans)
		}
	default:
		r.add("C7: %v saw %v leave with reason %v", p.addr, a, x.Reason)
	}
}

// transAt is node's last transitional configuration before seq.
func (l *Log) transAt(node uint32, seq uint64) []uint32 {
	var trans []uint32
	for _, ne := range l.nodes[node] {
		if ne.seq > seq {
			break
		}
		if !ne.Regular {
			trans = ne.Members
		}
	}
	return trans
}

// span is one process's run of group events within one ring, from the
// ring's activation (or its own join) to the next activation (or its
// leave, exit or the end), leaving out what was emitted during sync.
type span struct {
	p      *proc
	group  string
	atJoin bool // it starts with the process's own join confchg
	events []string
}

func canonical(ev Event) string {
	if ev.Kind == Deliver {
		return fmt.Sprintf("D %v %d", ev.From, ev.MsgID)
	}
	return fmt.Sprintf("C %v | %v | %v", ev.Members, ev.Left, ev.Joined)
}

type ringGroup struct {
	ring  cpg.RingID
	group string
}

// checkRings: C4 (at a ring's activation every process of a group holds
// the same member list) and C3 (within a ring, after its sync, the members
// of a group see the same sequence of confchgs and messages from the
// later of their join points: prefix-comparable sequences).
func (l *Log) checkRings(r *report) {
	views := map[ringGroup][]Addr{}
	viewOwner := map[ringGroup]Addr{}
	spans := map[ringGroup][]*span{}
	for _, p := range l.procs {
		var v view
		var ring *cpg.RingID
		var cur *span
		closeSpan := func() {
			if cur != nil && ring != nil {
				k := ringGroup{*ring, cur.group}
				spans[k] = append(spans[k], cur)
			}
			cur = nil
		}
		for _, ev := range p.events {
			switch {
			case ev.Kind == Totem && ev.Activation:
				closeSpan()
				rg := ev.Ring
				ring = &rg
				if v.in {
					k := ringGroup{rg, v.group}
					if w, ok := views[k]; !ok {
						views[k], viewOwner[k] = slices.Clone(v.members), p.addr
					} else if !sameSet(w, v.members) {
						r.add("C4: ring %d.%d group %q: %v holds %v, %v holds %v", rg.NodeID, rg.Seq, v.group, p.addr, v.members, viewOwner[k], w)
					}
					cur = &span{p: p, group: v.group}
				}
			case ev.Kind == Confchg:
				wasIn := v.in
				applyConfchg(&v, p.addr, ev)
				if ev.Sync || ring == nil {
					if !v.in {
						closeSpan()
					}
					continue
				}
				if !wasIn && v.in {
					closeSpan()
					cur = &span{p: p, group: v.group, atJoin: true}
				}
				if cur != nil {
					cur.events = append(cur.events, canonical(ev))
				}
				if !v.in {
					closeSpan()
				}
			case ev.Kind == Deliver && !ev.Sync && cur != nil:
				cur.events = append(cur.events, canonical(ev))
			case ev.Kind == Exit:
				closeSpan()
			}
		}
		closeSpan()
	}
	for k, list := range spans {
		for i, a := range list {
			for _, b := range list[i+1:] {
				if a.p != b.p {
					compareSpans(r, k, a, b)
				}
			}
		}
	}
}

func applyConfchg(v *view, self Addr, ev Event) {
	if !v.in {
		if _, ok := contains(ev.Joined, self); ok {
			*v = view{in: true, group: ev.Group, members: addrsOf(ev.Members)}
		}
		return
	}
	if ev.Group != v.group {
		return
	}
	v.members = addrsOf(ev.Members)
	if _, ok := contains(ev.Left, self); ok {
		*v = view{}
	}
}

func compareSpans(r *report, k ringGroup, a, b *span) {
	x, y := a.events, b.events
	switch {
	case !a.atJoin && !b.atJoin:
	case b.atJoin && len(y) > 0 && slices.Contains(x, y[0]):
		x = x[slices.Index(x, y[0]):]
	case a.atJoin && len(x) > 0 && slices.Contains(y, x[0]):
		y = y[slices.Index(y, x[0]):]
	default:
		return // their memberships of the group did not overlap in this ring
	}
	for i := range min(len(x), len(y)) {
		if x[i] != y[i] {
			r.add("C3: ring %d.%d group %q: %v and %v diverge: %q vs %q", k.ring.NodeID, k.ring.Seq, k.group, a.p.addr, b.p.addr, x[i], y[i])
			return
		}
	}
}

// checkOrder: C5. Each process delivers a message at most once, only one
// that was sent, by the process named; every two processes deliver their
// common messages in the same order; each sender's messages in the order
// it sent them.
func (l *Log) checkOrder(r *report) {
	type sent struct {
		from Addr
		idx  int
	}
	sends := map[uint64]sent{}
	for _, p := range l.procs {
		n := 0
		for _, ev := range p.events {
			if ev.Kind == Send {
				sends[ev.MsgID] = sent{p.addr, n}
				n++
			}
		}
	}
	orders := make([][]uint64, len(l.procs))
	for i, p := range l.procs {
		seen := map[uint64]bool{}
		last := map[Addr]int{}
		for _, ev := range p.events {
			if ev.Kind != Deliver {
				continue
			}
			s, ok := sends[ev.MsgID]
			switch {
			case seen[ev.MsgID]:
				r.add("C5: %v delivered %d twice", p.addr, ev.MsgID)
				continue
			case !ok || s.from != ev.From:
				r.add("C5: %v delivered %d from %v, which did not send it", p.addr, ev.MsgID, ev.From)
				continue
			}
			seen[ev.MsgID] = true
			if prev, ok := last[s.from]; ok && s.idx <= prev {
				r.add("C5: %v delivered %v's message #%d after #%d", p.addr, s.from, s.idx, prev)
			}
			last[s.from] = s.idx
			orders[i] = append(orders[i], ev.MsgID)
		}
	}
	for i := range orders {
		for j := i + 1; j < len(orders); j++ {
			checkCommonOrder(r, l.procs[i].addr, l.procs[j].addr, orders[i], orders[j])
		}
	}
}

func checkCommonOrder(r *report, pa, pb Addr, a, b []uint64) {
	inA, inB := map[uint64]bool{}, map[uint64]bool{}
	for _, m := range a {
		inA[m] = true
	}
	for _, m := range b {
		inB[m] = true
	}
	var x, y []uint64
	for _, m := range a {
		if inB[m] {
			x = append(x, m)
		}
	}
	for _, m := range b {
		if inA[m] {
			y = append(y, m)
		}
	}
	for i := range x {
		if x[i] != y[i] {
			r.add("C5: %v and %v deliver %d and %d in different orders", pa, pb, x[i], y[i])
			return
		}
	}
}

// checkSelfDelivery: C5's last clause, the point of the no-loss rule: a
// process that multicast m (CS_OK) and neither exited nor lost its node
// delivered m.
func (l *Log) checkSelfDelivery(r *report) {
	for _, p := range l.procs {
		if l.down[p.addr.Node] {
			continue
		}
		got := map[uint64]bool{}
		var sent []uint64
		exited := false
		for _, ev := range p.events {
			switch ev.Kind {
			case Deliver:
				got[ev.MsgID] = true
			case Send:
				sent = append(sent, ev.MsgID)
			case Exit:
				exited = true
			}
		}
		if exited {
			continue
		}
		var lost []string
		for _, m := range sent {
			if !got[m] {
				lost = append(lost, fmt.Sprint(m))
			}
		}
		if len(lost) > 0 {
			r.add("C5: %v never delivered its own accepted messages %s", p.addr, strings.Join(lost, ","))
		}
	}
}

// checkTotem: C8. A totem confchg names a regular configuration its node
// installed, and all that name one ring agree on its members.
func (l *Log) checkTotem(r *report) {
	byRing := map[cpg.RingID][]uint32{}
	for _, p := range l.procs {
		for _, ev := range p.events {
			if ev.Kind != Totem {
				continue
			}
			if w, ok := byRing[ev.Ring]; ok && !slices.Equal(w, ev.Nodes) {
				r.add("C8: ring %d.%d reported as %v and %v", ev.Ring.NodeID, ev.Ring.Seq, w, ev.Nodes)
			}
			byRing[ev.Ring] = ev.Nodes
			if !l.installed(p.addr.Node, ev.Ring, ev.Nodes, ev.seq) {
				r.add("C8: %v got totem confchg %d.%d %v, not a configuration node %d installed", p.addr, ev.Ring.NodeID, ev.Ring.Seq, ev.Nodes, p.addr.Node)
			}
		}
	}
}

func (l *Log) installed(node uint32, ring cpg.RingID, members []uint32, before uint64) bool {
	for _, ne := range l.nodes[node] {
		if ne.seq < before && ne.Regular && ne.Ring == ring && slices.Equal(ne.Members, members) {
			return true
		}
	}
	return false
}
