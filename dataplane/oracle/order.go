package oracle

import (
	"math"
	"strconv"
)

// checkTotalOrder is E10: walk p's deliveries and look each up in q's
// position table; the positions at q must rise. O(nodes² × messages), and
// one report per pair is enough to show the pair disagrees.
func (c *checker) checkTotalOrder() {
	for a := range c.nodes {
		na := &c.nodes[a]
		for b := a + 1; b < len(c.nodes); b++ {
			nb := &c.nodes[b]
			last, lastAt := int32(-1), int32(-1)
			for i, id := range na.del {
				q := nb.pos[id]
				if q < 0 {
					continue
				}
				if q < last {
					prev := na.del[lastAt]
					c.rep.add("E10", nb.id, c.msgs[id].id, "node %d delivers msg %d (delivery %d) before msg %d (delivery %d); node %d the other way round (deliveries %d, %d)", na.id, c.msgs[prev].id, lastAt, c.msgs[id].id, i, nb.id, q, last)
					break
				}
				last, lastAt = q, int32(i)
			}
		}
	}
}

// checkFIFO is E13. For each node q and sender s, q must deliver s's
// messages in the order s sent them, and may skip one only when its origin
// ring differs from that of the next one q delivers. last[s] only grows, so
// the skipped ranges add up to at most s's send count: linear per pair.
func (c *checker) checkFIFO() {
	last := make([]int32, len(c.nodes))
	for qi := range c.nodes {
		q := &c.nodes[qi]
		for i := range last {
			last[i] = -1
		}
		for p, id := range q.del {
			m := &c.msgs[id]
			if m.sendLog < 0 {
				continue
			}
			s := &c.nodes[m.sendLog]
			j, l := m.sendIdx, last[m.sendLog]
			if j < l {
				c.rep.add("E13", q.id, m.id, "delivery %d: msg %d sent by node %d before msg %d, but delivered after it (delivery %d)", p, m.id, s.id, c.msgs[s.sends[l]].id, q.pos[s.sends[l]])
				continue
			}
			for k := l + 1; k < j; k++ {
				skip := &c.msgs[s.sends[k]]
				// A skipped message delivered later is reported above, as an
				// order violation; here only the ones never delivered.
				if q.pos[s.sends[k]] < 0 && skip.originSet && m.originSet && skip.origin == m.origin {
					c.rep.add("E13", q.id, m.id, "delivery %d: msg %d from node %d delivered without earlier msg %d from the same sender and origin ring %v", p, m.id, s.id, skip.id, m.origin)
				}
			}
			last[m.sendLog] = j
		}
	}
}

// causalRange is, for one message m2 sent by s, the deliveries s made
// before sending it whose origin is O(m2): s.del[from:to+1]. They are one
// contiguous run because a node's deliveries of one origin ring are.
type causalRange struct {
	msg      int32
	from, to int32
}

// checkCausal is E14. For a fixed sender s and receiver q it builds, over
// s's delivery sequence, the running maximum of q's positions restarting at
// each stretch start (a message q never delivered counts as +∞). Then "q
// delivered every causal predecessor of m2 before m2" is one comparison:
// runmax[to] < pos_q(m2). O(nodes² × messages) in all.
func (c *checker) checkCausal() {
	var ranges []causalRange
	var runmax []int32
	for si := range c.nodes {
		s := &c.nodes[si]
		ranges = c.causalRanges(s, int32(si), ranges[:0])
		if len(ranges) == 0 {
			continue
		}
		if cap(runmax) < len(s.del) {
			runmax = make([]int32, len(s.del))
		}
		runmax = runmax[:len(s.del)]
		for qi := range c.nodes {
			q := &c.nodes[qi]
			for k := range s.stretches {
				st := &s.stretches[k]
				mx := int32(-1)
				for i := st.start; i < st.end; i++ {
					p := q.pos[s.del[i]]
					if p < 0 {
						p = math.MaxInt32
					}
					mx = max(mx, p)
					runmax[i] = mx
				}
			}
			for _, r := range ranges {
				p2 := q.pos[r.msg]
				if p2 < 0 || runmax[r.to] < p2 {
					continue
				}
				if !c.rep.room("E14") {
					c.rep.drop("E14") // finding the culprit costs a scan
					continue
				}
				c.reportCausal(s, q, r, p2)
			}
		}
	}
}

// causalRanges lists, for each message s sent, the range of its causal
// predecessors of the same origin ring at s (skipping empty ones).
func (c *checker) causalRanges(s *node, si int32, out []causalRange) []causalRange {
	if len(s.stretches) == 0 {
		return out
	}
	// A node installs few rings; past a handful, index them.
	var byRing map[RingID]int32
	if len(s.stretches) > 8 {
		byRing = make(map[RingID]int32, len(s.stretches))
		for k := len(s.stretches) - 1; k >= 0; k-- {
			byRing[s.stretches[k].ring] = int32(k)
		}
	}
	for _, id := range s.sends {
		m := &c.msgs[id]
		if !m.originSet || m.sendLog != si || m.sendPos <= 0 {
			continue
		}
		k := int32(-1)
		if byRing != nil {
			if v, ok := byRing[m.origin]; ok {
				k = v
			}
		} else {
			for i := range s.stretches {
				if s.stretches[i].ring == m.origin {
					k = int32(i)
					break
				}
			}
		}
		if k < 0 {
			continue
		}
		st := &s.stretches[k]
		to := min(st.end, m.sendPos)
		if p := s.pos[id]; p >= 0 && p < to {
			to = p // delivered before its own send (E8): keep m2 out of its past
		}
		if to > st.start {
			out = append(out, causalRange{msg: id, from: st.start, to: to - 1})
		}
	}
	return out
}

// reportCausal finds the first predecessor that q missed or delivered late.
func (c *checker) reportCausal(s, q *node, r causalRange, p2 int32) {
	m2 := &c.msgs[r.msg]
	for i := r.from; i <= r.to; i++ {
		id := s.del[i]
		p1 := q.pos[id]
		if p1 >= 0 && p1 < p2 {
			continue
		}
		where := "never"
		if p1 >= 0 {
			where = "later, at delivery " + strconv.Itoa(int(p1))
		}
		c.rep.add("E14", q.id, m2.id, "node %d delivered msg %d (delivery %d) before sending msg %d, same origin ring %v; node %d delivered msg %d at delivery %d but msg %d %s", s.id, c.msgs[id].id, i, m2.id, m2.origin, q.id, m2.id, p2, c.msgs[id].id, where)
		return
	}
}
