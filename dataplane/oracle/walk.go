package oracle

// walkState is where one node stands while its log is replayed.
type walkState struct {
	started bool   // this incarnation's first TRANS has been seen
	inTrans bool   // a TRANS awaits its REG
	trans   *Event // the open TRANS (valid while inTrans)
	haveReg bool   // a REG was installed in this incarnation
	reg     *Event // the last REG installed (valid while haveReg)
	cur     int32  // the open stretch; -1 when none
	anyReg  bool   // a REG was installed in any incarnation (E2)
	lastSeq uint64 // its ring seq (E2 spans restarts: the seq is persisted)
}

// walk replays one log in order: the per-event invariants (E1–E4, E7–E9,
// E15, SAFE) are checked here, and the delivery sequence and its stretches
// are built for the cross-node passes, as are the incarnations and REGs
// the timed liveness checks look up.
func (c *checker) walk(ni int32) {
	n := &c.nodes[ni]
	evs := n.log.Events
	n.del = make([]int32, 0, len(evs))
	n.delEv = make([]int32, 0, len(evs))
	st := walkState{cur: -1}
	up := false // an incarnation is open
	for e := range evs {
		ev := &evs[e]
		switch ev.Kind {
		case EventRestart:
			if up {
				// Started again without a recorded stop: the old process
				// died at this instant.
				c.stop(n, &st, EventCrash, ev.Time)
			}
			n.begin(ev.Time)
			up = true
			continue
		case EventCrash, EventLeave:
			if !up {
				if e > 0 {
					c.rep.add("LOG", n.id, 0, "event %d: %v while the node is down (stopped at t=%d)", e, ev.Kind, n.lives[len(n.lives)-1].to)
					continue
				}
				// The process ran, unrecorded, and stopped before its first event.
				n.begin(ev.Time)
			}
			c.stop(n, &st, ev.Kind, ev.Time)
			up = false
			continue
		case EventPartition, EventHeal, EventCut:
			continue // misplaced, reported by index
		}
		if !up {
			// The first event after a stop (or of the log) dates the start
			// when no RESTART did.
			n.begin(ev.Time)
			up = true
		}
		switch ev.Kind {
		case EventSend:
			id := n.evMsg[e]
			if m := &c.msgs[id]; m.sendLog == ni && m.sendEv == int32(e) {
				m.sendPos = int32(len(n.del))
				m.sendInc = n.inc
			}
		case EventDeliver:
			c.deliver(n, ni, &st, int32(e), ev)
		case EventConf:
			c.stable(n, ev)
			if ev.Conf == Transitional {
				c.transConf(n, &st, int32(e), ev)
			} else if ev.Conf == Regular {
				c.regConf(n, &st, int32(e), ev)
				n.regs = append(n.regs, regAt{ev: ev, inc: n.inc})
			}
		}
	}
	n.closeStretch(st.cur)
	n.downAtEnd = len(evs) > 0 && !up
}

// stop ends the open incarnation: a crash or a leave at time t.
func (c *checker) stop(n *node, st *walkState, how EventKind, t int64) {
	n.closeStretch(st.cur)
	n.inc++
	n.stopped = true
	*st = walkState{cur: -1, anyReg: st.anyReg, lastSeq: st.lastSeq}
	l := &n.lives[len(n.lives)-1]
	l.to, l.how = t, how
}

// closeStretch ends the open stretch at the current delivery count.
func (n *node) closeStretch(cur int32) {
	if cur < 0 {
		return
	}
	s := &n.stretches[cur]
	at := int32(len(n.del))
	if s.trans < 0 {
		s.trans = at
	}
	if s.end < 0 {
		s.end = at
	}
}

// stable records what L5 needs: the CONF events must be exactly TRANS, REG.
func (c *checker) stable(n *node, ev *Event) {
	n.confs++
	switch {
	case n.confs == 1 && ev.Conf != Transitional, n.confs == 2 && ev.Conf != Regular, n.confs > 2:
		n.confBad = true
	}
	if ev.Conf == Regular && n.firstReg == nil {
		n.firstReg = ev
	}
}

// listsSorted checks the E4 list rule on one CONF and says whether the set
// algebra may run on it.
func (c *checker) listsSorted(n *node, e int32, ev *Event) bool {
	ok := true
	for _, l := range [...]struct {
		name string
		s    []uint32
	}{{"members", ev.Members}, {"left", ev.Left}, {"joined", ev.Joined}} {
		if !sortedUnique(l.s) {
			c.rep.add("E4", n.id, 0, "event %d %s(%v): %s %v not sorted ascending without duplicates", e, ev.Conf, ev.Ring, l.name, l.s)
			ok = false
		}
	}
	return ok
}

func (c *checker) transConf(n *node, st *walkState, e int32, ev *Event) {
	if st.inTrans {
		c.rep.add("E1", n.id, 0, "event %d: TRANS(%v) while TRANS(%v) still awaits its REG", e, ev.Ring, st.trans.Ring)
	}
	if len(ev.Joined) > 0 {
		c.rep.add("E1", n.id, 0, "event %d: TRANS(%v) has joined %v, must be empty", e, ev.Ring, ev.Joined)
	}
	sorted := c.listsSorted(n, e, ev)
	if !st.started {
		// The first TRANS of an incarnation has no previous ring: empty lists.
		st.started = true
		if len(ev.Members) > 0 {
			c.rep.add("E3", n.id, 0, "event %d: first TRANS(%v) after start has members %v, must be empty", e, ev.Ring, ev.Members)
		}
		if len(ev.Left) > 0 {
			c.rep.add("E4", n.id, 0, "event %d: first TRANS(%v) after start has left %v, but there is no previous ring", e, ev.Ring, ev.Left)
		}
	} else {
		if !contains(ev.Members, n.id) {
			c.rep.add("E3", n.id, 0, "event %d: TRANS(%v) members %v lack the node itself", e, ev.Ring, ev.Members)
		}
		if st.haveReg && sorted && sortedUnique(st.reg.Members) {
			if !subset(ev.Members, st.reg.Members) {
				c.rep.add("E4", n.id, 0, "event %d: TRANS(%v) members %v not within previous REG(%v) members %v", e, ev.Ring, ev.Members, st.reg.Ring, st.reg.Members)
			}
			if !diffIs(st.reg.Members, ev.Members, ev.Left) {
				c.rep.add("E4", n.id, 0, "event %d: TRANS(%v) left %v ≠ previous REG(%v) members %v − TRANS members %v", e, ev.Ring, ev.Left, st.reg.Ring, st.reg.Members, ev.Members)
			}
		}
	}
	// Deliveries from here on are the transitional part of the open stretch.
	if st.cur >= 0 && n.stretches[st.cur].trans < 0 {
		n.stretches[st.cur].trans = int32(len(n.del))
	}
	st.inTrans, st.trans = true, ev
}

func (c *checker) regConf(n *node, st *walkState, e int32, ev *Event) {
	if len(ev.Left) > 0 {
		c.rep.add("E1", n.id, 0, "event %d: REG(%v) has left %v, must be empty", e, ev.Ring, ev.Left)
	}
	sorted := c.listsSorted(n, e, ev)
	hasTrans := false
	switch {
	case !st.started:
		c.rep.add("E1", n.id, 0, "event %d: REG(%v) is the first configuration of an incarnation, TRANS must come first", e, ev.Ring)
		st.started = true
	case !st.inTrans:
		c.rep.add("E1", n.id, 0, "event %d: REG(%v) without a preceding TRANS", e, ev.Ring)
	case st.trans.Ring != ev.Ring:
		c.rep.add("E1", n.id, 0, "event %d: TRANS(%v) followed by REG(%v), ring ids differ", e, st.trans.Ring, ev.Ring)
	default:
		hasTrans = true
	}
	if !contains(ev.Members, n.id) {
		c.rep.add("E3", n.id, 0, "event %d: REG(%v) members %v lack the node itself", e, ev.Ring, ev.Members)
	}
	transSorted := hasTrans && sortedUnique(st.trans.Members)
	if hasTrans && sorted && transSorted {
		if !subset(st.trans.Members, ev.Members) {
			c.rep.add("E4", n.id, 0, "event %d: TRANS(%v) members %v not within REG members %v", e, ev.Ring, st.trans.Members, ev.Members)
		}
		if !diffIs(ev.Members, st.trans.Members, ev.Joined) {
			c.rep.add("E4", n.id, 0, "event %d: REG(%v) joined %v ≠ members %v − TRANS members %v", e, ev.Ring, ev.Joined, ev.Members, st.trans.Members)
		}
	}
	if st.anyReg && ev.Ring.Seq <= st.lastSeq {
		c.rep.add("E2", n.id, 0, "event %d: REG(%v) ring seq %d does not exceed the previous REG's %d", e, ev.Ring, ev.Ring.Seq, st.lastSeq)
	}
	st.anyReg, st.lastSeq = true, ev.Ring.Seq

	// The previous ring's stretch (regular + transitional part) ends here.
	n.closeStretch(st.cur)
	prev := int32(-1)
	if st.haveReg {
		prev = st.cur
	}
	s := stretch{ring: ev.Ring, start: int32(len(n.del)), trans: -1, end: -1, prev: prev,
		hasTrans: hasTrans, members: ev.Members}
	if hasTrans {
		s.transMembers = st.trans.Members
	}
	n.stretches = append(n.stretches, s)
	st.cur = int32(len(n.stretches) - 1)
	st.haveReg, st.reg, st.inTrans, st.trans = true, ev, false, nil
}

func (c *checker) deliver(n *node, ni int32, st *walkState, e int32, ev *Event) {
	id := n.evMsg[e]
	switch {
	case !st.started:
		c.rep.add("E1", n.id, ev.MsgID, "event %d: delivery before the incarnation's first CONF(TRANS)", e)
	case !st.haveReg:
		c.rep.add("E9", n.id, ev.MsgID, "event %d: delivered in the first transitional configuration after start, which has no origin ring", e)
	}
	if p := n.pos[id]; p >= 0 {
		c.rep.add("E7", n.id, ev.MsgID, "event %d: delivered again (first at delivery %d, event %d)", e, p, n.delEv[p])
		return
	}
	p := int32(len(n.del))
	n.pos[id] = p
	n.del = append(n.del, id)
	n.delEv = append(n.delEv, e)
	m := &c.msgs[id]
	m.delivered++

	// E8: the message exists, came from whom it claims, and not from the future.
	if m.sendLog < 0 {
		c.rep.add("E8", n.id, ev.MsgID, "event %d: delivered (sender %d) but never sent", e, ev.Sender)
	} else {
		sn := c.nodes[m.sendLog].id
		if ev.Sender != sn {
			c.rep.add("E8", n.id, ev.MsgID, "event %d: delivered as from node %d but sent by node %d", e, ev.Sender, sn)
		}
		if m.sendLog == ni && m.sendEv > e {
			c.rep.add("E8", n.id, ev.MsgID, "event %d: delivered before its own SEND (event %d)", e, m.sendEv)
		} else if ev.Time < m.sendTime {
			c.rep.add("E8", n.id, ev.MsgID, "event %d: delivered at t=%d before it was sent at t=%d", e, ev.Time, m.sendTime)
		}
		if ev.Safe != m.safe {
			c.rep.add("E8", n.id, ev.MsgID, "event %d: delivered with safe=%v but sent with safe=%v", e, ev.Safe, m.safe)
		}
	}
	if !st.haveReg {
		return
	}

	// E9: one origin ring for everybody, and the sender was in it.
	origin := st.reg.Ring
	if !m.originSet {
		m.originSet, m.origin, m.originNode = true, origin, n.id
	} else if m.origin != origin {
		c.rep.add("E9", n.id, ev.MsgID, "event %d: origin ring %v here, %v at node %d", e, origin, m.origin, m.originNode)
	}
	if !contains(st.reg.Members, ev.Sender) {
		c.rep.add("E9", n.id, ev.MsgID, "event %d: sender %d not a member %v of origin ring %v", e, ev.Sender, st.reg.Members, origin)
	}
	// E15: in a transitional part only messages from TRANS members survive.
	if st.inTrans && !contains(st.trans.Members, ev.Sender) {
		c.rep.add("E15", n.id, ev.MsgID, "event %d: delivered in transitional configuration %v but sender %d not in its members %v", e, st.trans.Ring, ev.Sender, st.trans.Members)
	}
	// SAFE: every member of the configuration it is delivered in held it
	// (the transitional one when delivered in a transitional part).
	if ev.Safe {
		need, conf := st.reg.Members, st.reg.Ring
		kind := Regular
		if st.inTrans {
			need, conf, kind = st.trans.Members, st.trans.Ring, Transitional
		}
		if x, miss := missing(need, ev.HeldBy); miss {
			c.rep.add("SAFE", n.id, ev.MsgID, "event %d: safe message delivered in %v(%v) while member %d did not hold it (held by %v)", e, kind, conf, x, ev.HeldBy)
		}
	}
}
