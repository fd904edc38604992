package oracle

import (
	"fmt"
	"slices"
	"strings"
)

// The timed liveness properties of §4.4. Each fault is an instance: a crash
// (L2), a leave (L3), a partition or heal (L4; a one-way cut never is). An
// instance is judged only when the run lets it be judged fairly:
//
//   - no other fault — a start, stop, partition, cut or heal anywhere —
//     comes in the window [fault, fault + bound], since any of them may
//     rightly delay the expected ring. Faults before the window are not looked at:
//     the bounds leave room for finishing the work they started. For L2
//     and L3, faults of the same kind at the same instant (two nodes
//     crashing together) count as one. L4 takes in every fault at its
//     instant (a heal that restarts the nodes still down): its expected
//     state is computed after all of them, and its bound covers a crash
//     detection and a restarted node's join;
//   - the run lasted past the deadline (Options.EndNs), or the expected
//     rings were there by the time it ended: a simulator that stops once
//     the cluster has converged still gets its last fault checked;
//   - for L2 and L3, the node left a stable ring (§4.4 "in a stable ring"):
//     just before the fault, every member of its last REG was up, had that
//     same REG as its last one, and all of them could reach each other. A
//     ring in the middle of a change, or with a member already dead or cut
//     off, may first need a timeout that has nothing to do with this fault;
//     and no one-way cut was in force anywhere;
//   - for L4, the network after the instant is made of groups alone (no
//     cut in force), and the change did not both split and merge running
//     nodes (see splitAndMerged).
//
// Others are counted as skipped in Stats.

// checkTimed runs L2, L3 and L4 over every fault of the run.
func (c *checker) checkTimed(b Bounds) {
	fs := c.faults()
	end := c.opt.EndNs
	if end == 0 {
		end = c.lastTime()
	}
	for i := range fs {
		switch fs[i].kind {
		case EventCrash:
			c.checkGone(fs, i, "L2", "crashed", b.CrashNs, end, &c.stats.Crash)
		case EventLeave:
			c.checkGone(fs, i, "L3", "left", b.LeaveNs, end, &c.stats.Leave)
		case EventPartition, EventHeal, EventCut:
			if !lastNetAt(fs, i) || !groupsSetAt(fs, i) {
				continue // one instance per instant, and a cut alone is none
			}
			c.checkConverged(fs, i, b.MergeNs, end, &c.stats.Merge)
		}
	}
}

// lastTime is the latest time recorded anywhere: the end of the run when
// the simulator did not say.
func (c *checker) lastTime() int64 {
	var t int64
	for i := range c.nodes {
		if evs := c.nodes[i].log.Events; len(evs) > 0 {
			t = max(t, evs[len(evs)-1].Time)
		}
	}
	for _, ev := range c.opt.Faults {
		t = max(t, ev.Time)
	}
	return t
}

// quiet reports whether no fault but fs[i], and those at its instant that
// same accepts, lies in [fs[i].at, deadline].
func quiet(fs []fault, i int, deadline int64, same func(*fault) bool) bool {
	t := fs[i].at
	j := i
	for j > 0 && fs[j-1].at == t {
		j--
	}
	for ; j < len(fs) && fs[j].at <= deadline; j++ {
		if j != i && !(fs[j].at == t && same(&fs[j])) {
			return false
		}
	}
	return true
}

// lastNetAt reports whether fs[i] is the last partition, cut or heal at its
// instant.
func lastNetAt(fs []fault, i int) bool {
	for j := i + 1; j < len(fs) && fs[j].at == fs[i].at; j++ {
		if fs[j].node < 0 {
			return false
		}
	}
	return true
}

// groupsSetAt reports whether a partition or heal comes at fs[i]'s instant.
func groupsSetAt(fs []fault, i int) bool {
	for j := i; j >= 0 && fs[j].at == fs[i].at; j-- {
		if fs[j].kind == EventPartition || fs[j].kind == EventHeal {
			return true
		}
	}
	return false
}

// checkGone is L2 (a crash) and L3 (a leave): every member of the stable
// ring the node left that stays up installs, within the bound, a REG
// without it.
func (c *checker) checkGone(fs []fault, i int, inv, what string, bound, end int64, tally *Tally) {
	if bound <= 0 {
		return
	}
	f := &fs[i]
	t, deadline := f.at, f.at+bound
	judge := min(deadline, end) // judged here if what is expected came by then
	if !quiet(fs, i, judge, func(g *fault) bool { return g.kind == f.kind }) {
		tally.Skipped++
		return
	}
	x := &c.nodes[f.node]
	ring := x.regIn(f.life.inc, t)
	if ring == nil {
		tally.Skipped++ // never was in a ring: nobody has it to drop
		return
	}
	ns := c.net(t)
	type survivor struct {
		n   *node
		inc int32
	}
	var survivors []survivor
	for _, id := range ring.Members {
		if id == x.id {
			continue
		}
		mi, ok := c.byID[id]
		if !ok {
			tally.Skipped++ // a member with no log: nothing known of it
			return
		}
		m := &c.nodes[mi]
		l := m.upBefore(t)
		if l == nil {
			tally.Skipped++
			return
		}
		if r := m.regIn(l.inc, t); r == nil || r.Ring != ring.Ring {
			tally.Skipped++
			return
		}
		if l.to > t { // not gone at the same instant itself
			survivors = append(survivors, survivor{m, l.inc})
		}
	}
	if !ns.allTogether(ring.Members) || len(ns.cuts) > 0 {
		// The ring was already torn by the network, or a one-way cut
		// anywhere draws its survivors into rounds with nodes that
		// cannot hear them back: no bound follows from the timers.
		tally.Skipped++
		return
	}
	without := func(r *Event) bool { return !contains(r.Members, x.id) }
	missing := survivors[:0]
	for _, s := range survivors {
		if s.n.regWhere(s.inc, t, judge, without) == nil {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 && deadline > end {
		tally.Skipped++ // the run stopped before the deadline
		return
	}
	tally.Checked++
	for _, s := range missing {
		if !c.rep.room(inv) {
			c.rep.drop(inv)
			continue
		}
		c.rep.add(inv, s.n.id, 0, "node %d %s at t=%d out of ring %v: no REG without it by t=%d (bound %d ns); installed meanwhile: %s; %s",
			x.id, what, t, ring.Ring, deadline, bound, s.n.regsIn(s.inc, t, deadline), s.n.late(s.inc, t, deadline, without))
	}
}

// checkConverged is L4: after the partition or heal fs[i], the nodes that
// are up and can reach each other share one REG holding exactly them, by
// the deadline. After a heal that is everyone; after a partition, each
// group (an isolated node in a ring of its own).
func (c *checker) checkConverged(fs []fault, i int, bound, end int64, tally *Tally) {
	if bound <= 0 {
		return
	}
	f := &fs[i]
	t, deadline := f.at, f.at+bound
	judge := min(deadline, end) // judged here if what is expected came by then
	if !quiet(fs, i, judge, func(*fault) bool { return true }) {
		tally.Skipped++
		return
	}
	ns := c.net(t)
	if len(ns.cuts) > 0 || c.splitAndMerged(c.net(t-1), ns, t) {
		tally.Skipped++
		return
	}
	type member struct {
		n   *node
		inc int32
	}
	// Groups in order of their first node's log, so reports are reproducible.
	var keys []int64
	groups := map[int64][]member{}
	for ni := range c.nodes {
		n := &c.nodes[ni]
		l := n.upAfter(t)
		if l == nil {
			continue
		}
		k := ns.group(n.id)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], member{n, l.inc})
	}
	cause := "heal"
	if ns.groupOf != nil {
		cause = "partition"
	}
	// Reports wait until it is known whether the run lasted long enough
	// to judge them.
	type miss struct {
		node   uint32
		detail string
	}
	var misses []miss
	for _, k := range keys {
		g := groups[k]
		want := make([]uint32, len(g))
		for j, m := range g {
			want[j] = m.n.id
		}
		slices.Sort(want)
		complete := func(r *Event) bool { return slices.Equal(r.Members, want) }
		// The ring they should all be in: the first complete one.
		var ref *Event
		for _, m := range g {
			if r := m.n.regIn(m.inc, judge); r != nil && complete(r) {
				ref = r
				break
			}
		}
		for _, m := range g {
			head := fmt.Sprintf("%s at t=%d: nodes %v reach each other, but by t=%d (bound %d ns)", cause, t, want, deadline, bound)
			switch r := m.n.regIn(m.inc, judge); {
			case r == nil:
				misses = append(misses, miss{m.n.id, fmt.Sprintf("%s there is no REG here; %s",
					head, m.n.late(m.inc, t, deadline, complete))})
			case !complete(r):
				misses = append(misses, miss{m.n.id, fmt.Sprintf("%s the last REG here is %v members %v (t=%d); %s",
					head, r.Ring, r.Members, r.Time, m.n.late(m.inc, t, deadline, complete))})
			case r.Ring != ref.Ring:
				misses = append(misses, miss{m.n.id, fmt.Sprintf("%s they are in different rings with the same members: %v here, %v elsewhere",
					head, r.Ring, ref.Ring)})
			}
		}
	}
	if len(misses) > 0 && deadline > end {
		tally.Skipped++ // the run stopped before the deadline
		return
	}
	tally.Checked++
	for _, m := range misses {
		c.rep.add("L4", m.node, 0, "%s", m.detail)
	}
}

// splitAndMerged reports whether going from network before to after, at
// t, both separates two running nodes and brings two together. Such a
// change is not checked: nodes coming from different rings do not adopt
// each other's fail sets (§3.4 rule 5), so each side needs its own
// consensus timeout to drop the lost nodes while the others already gather
// with it, and attempts can fail on one another a number of times the
// spec does not bound. A pure split is crash detection and a pure merge
// is §4.4's L4; both are checked.
func (c *checker) splitAndMerged(before, after netState, t int64) bool {
	var ids []uint32
	for i := range c.nodes {
		if c.nodes[i].upAfter(t) != nil {
			ids = append(ids, c.nodes[i].id)
		}
	}
	split, merged := false, false
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			was, is := before.together(a, b), after.together(a, b)
			split = split || was && !is
			merged = merged || !was && is
		}
	}
	return split && merged
}

// regWhere returns the first REG of incarnation inc installed in
// [from, to] that ok accepts, nil if none.
func (n *node) regWhere(inc int32, from, to int64, ok func(*Event) bool) *Event {
	for _, r := range n.regs {
		if r.inc == inc && r.ev.Time >= from && r.ev.Time <= to && ok(r.ev) {
			return r.ev
		}
	}
	return nil
}

// regsIn lists the REGs of incarnation inc installed in [from, to], for a
// report.
func (n *node) regsIn(inc int32, from, to int64) string {
	var b strings.Builder
	for _, r := range n.regs {
		if r.inc != inc || r.ev.Time < from || r.ev.Time > to {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "REG(%v) members %v at t=%d", r.ev.Ring, r.ev.Members, r.ev.Time)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// late says when, if ever, the expected REG came after all, for a report.
func (n *node) late(inc int32, fault, deadline int64, ok func(*Event) bool) string {
	for _, r := range n.regs {
		if r.inc == inc && r.ev.Time > deadline && ok(r.ev) {
			return fmt.Sprintf("it came late, REG(%v) at t=%d, %d ns after the fault", r.ev.Ring, r.ev.Time, r.ev.Time-fault)
		}
	}
	return "it never came in this incarnation"
}
