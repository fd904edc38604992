package oracle

import "slices"

// sref names one node's stretch of one ring.
type sref struct{ node, s int32 }

// checkRings compares, for every ring, the nodes that installed it: E5
// (same members), E6 (transitional agreement), E11 (prefix-comparable
// regular parts) and E12 (failure atomicity among nodes that came from the
// same previous ring).
func (c *checker) checkRings() {
	// Group installations by ring, in order of first appearance so that
	// reports do not depend on map iteration.
	at := make(map[RingID]int32)
	var groups [][]sref
	for ni := range c.nodes {
		for si := range c.nodes[ni].stretches {
			r := c.nodes[ni].stretches[si].ring
			g, ok := at[r]
			if !ok {
				g = int32(len(groups))
				at[r] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], sref{int32(ni), int32(si)})
		}
	}
	for _, g := range groups {
		c.checkMembers(g)
		c.checkTransAgreement(g)
		c.checkRegularPrefix(g)
		c.checkAtomicity(g)
	}
}

func (c *checker) st(r sref) *stretch { return &c.nodes[r.node].stretches[r.s] }

// checkMembers is E5: one ring id, one member list.
func (c *checker) checkMembers(g []sref) {
	a := c.st(g[0])
	for _, r := range g[1:] {
		b := c.st(r)
		if !slices.Equal(a.members, b.members) {
			c.rep.add("E5", c.nodes[r.node].id, 0, "REG(%v) members %v, but node %d installed it with members %v", b.ring, b.members, c.nodes[g[0].node].id, a.members)
		}
	}
}

// prevRing is prev_p(r), if defined.
func (c *checker) prevRing(r sref) (RingID, bool) {
	s := c.st(r)
	if s.prev < 0 {
		return RingID{}, false
	}
	return c.nodes[r.node].stretches[s.prev].ring, true
}

// checkTransAgreement is E6: q ∈ TRANS_p(r) ⇔ prev_p(r) = prev_q(r), and
// then TRANS_p(r) = TRANS_q(r). An undefined prev (first ring after start)
// equals nothing.
func (c *checker) checkTransAgreement(g []sref) {
	for i, ra := range g {
		a := c.st(ra)
		if !a.hasTrans {
			continue
		}
		pa, okA := c.prevRing(ra)
		for _, rb := range g[i+1:] {
			b := c.st(rb)
			if !b.hasTrans || ra.node == rb.node {
				continue
			}
			pb, okB := c.prevRing(rb)
			same := okA && okB && pa == pb
			p, q := c.nodes[ra.node].id, c.nodes[rb.node].id
			if contains(a.transMembers, q) != same {
				c.rep.add("E6", p, 0, "ring %v: node %d in TRANS members %v is %v, but prev here %v (defined %v), prev at node %d %v (defined %v)", a.ring, q, a.transMembers, !same, pa, okA, q, pb, okB)
			}
			if contains(b.transMembers, p) != same {
				c.rep.add("E6", q, 0, "ring %v: node %d in TRANS members %v is %v, but prev here %v (defined %v), prev at node %d %v (defined %v)", a.ring, p, b.transMembers, !same, pb, okB, p, pa, okA)
			}
			if same && !slices.Equal(a.transMembers, b.transMembers) {
				c.rep.add("E6", q, 0, "ring %v: both came from %v but TRANS members %v here, %v at node %d", a.ring, pa, b.transMembers, a.transMembers, p)
			}
		}
	}
}

// checkRegularPrefix is E11. Pairwise prefix-comparable sequences form a
// chain, so comparing each with the longest one is enough.
func (c *checker) checkRegularPrefix(g []sref) {
	long := g[0]
	for _, r := range g[1:] {
		if s, l := c.st(r), c.st(long); s.trans-s.start > l.trans-l.start {
			long = r
		}
	}
	ln := &c.nodes[long.node]
	ls := c.st(long)
	lseq := ln.del[ls.start:ls.trans]
	for _, r := range g {
		if r == long {
			continue
		}
		n := &c.nodes[r.node]
		s := c.st(r)
		seq := n.del[s.start:s.trans]
		for i, id := range seq {
			if lseq[i] != id {
				c.rep.add("E11", n.id, c.msgs[id].id, "ring %v regular part: delivery %d (event %d) is msg %d here but msg %d at node %d (event %d): not prefix-comparable", s.ring, i, n.delEv[int(s.start)+i], c.msgs[id].id, c.msgs[lseq[i]].id, ln.id, ln.delEv[int(ls.start)+i])
				break
			}
		}
	}
}

// checkAtomicity is E12: nodes that install r from the same r0 delivered
// the same r0-origin sequence, split the same way into regular and
// transitional parts. Each node is compared with the first one from its r0.
func (c *checker) checkAtomicity(g []sref) {
	for i, rb := range g {
		pb, ok := c.prevRing(rb)
		if !ok {
			continue
		}
		for _, ra := range g[:i] {
			if pa, ok := c.prevRing(ra); !ok || pa != pb || ra.node == rb.node {
				continue
			}
			na, nb := &c.nodes[ra.node], &c.nodes[rb.node]
			sa := &na.stretches[c.st(ra).prev]
			sb := &nb.stretches[c.st(rb).prev]
			c.compareOrigin(na, sa, nb, sb, c.st(rb).ring)
			break
		}
	}
}

func (c *checker) compareOrigin(na *node, sa *stretch, nb *node, sb *stretch, r RingID) {
	a, b := na.del[sa.start:sa.end], nb.del[sb.start:sb.end]
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			c.rep.add("E12", nb.id, c.msgs[b[i]].id, "both installed %v from %v: origin-%v delivery %d is msg %d here, msg %d at node %d", r, sa.ring, sa.ring, i, c.msgs[b[i]].id, c.msgs[a[i]].id, na.id)
			return
		}
	}
	if len(a) != len(b) {
		c.rep.add("E12", nb.id, 0, "both installed %v from %v: %d messages of origin %v delivered here, %d at node %d", r, sa.ring, len(b), sa.ring, len(a), na.id)
		return
	}
	if ra, rb := sa.trans-sa.start, sb.trans-sb.start; ra != rb {
		c.rep.add("E12", nb.id, 0, "both installed %v from %v: regular part of %v holds %d messages here, %d at node %d (transitional part the rest)", r, sa.ring, sa.ring, rb, ra, na.id)
	}
}
