package totem

import "github.com/gorosync/gorosync/dataplane/wire"

// onMcast stores a received multicast in its sort queue and delivers what
// became deliverable (spec §2.6). frame is the whole datagram.
func (n *Node) onMcast(m *wire.Mcast, frame []byte) {
	if m.RingID != n.ring {
		n.onForeignMcast(m)
		return
	}
	q := &n.regularQ
	limit := n.cfg.NetMTU - wire.McastSize // room to wrap it again in RECOVERY
	if m.Encapsulated == wire.EncapsulatedYes {
		q, limit = &n.recoveryQ, n.cfg.NetMTU
	} else if n.state == StateRecovery || n.state == StateCommit {
		// A member that installed the new ring already broadcasts in it,
		// while our regular window still holds the old ring: storing the
		// message there would pass it off as an old-ring message at our
		// installation. Drop it; it is requested again once we install.
		n.stats.McastDropped++
		return
	}
	seq := m.Seq
	if len(frame) > limit || !q.inRange(seq) || q.at(seq).used {
		n.stats.McastDropped++
	} else {
		sl := q.at(seq)
		if sl.buf == nil {
			sl.buf = n.bufs.take()
		}
		sl.n = copy(sl.buf, frame)
		// corosync names the sender by the header's nodeid.
		sl.used, sl.safe, sl.sender, sl.missCount = true, m.Guarantee != 0, m.Header.NodeID, 0
		sl.bigEndian = m.BigEndian
		if seqLT(n.highSeqReceived, seq) {
			n.highSeqReceived = seq
		}
		n.stats.McastRx++
		n.observe(m.RingID, seq, sl)
	}
	active, _ := n.activeQueues()
	n.updateARU(active)
	if n.state == StateOperational {
		n.deliver(n.highSeqReceived)
	}
}

// onForeignMcast: a message stamped with another ring means a node we can
// hear is not in our ring — membership must run (spec §2.6 step 1, §3.9).
func (n *Node) onForeignMcast(m *wire.Mcast) {
	n.stats.ForeignMcasts++
	from := m.SystemFrom
	switch n.state {
	case StateOperational:
		n.memb.proc = setAdd(n.memb.proc, from)
		n.gatherEnter()
	case StateGather:
		if !setHas(n.memb.proc, from) {
			n.memb.proc = setAdd(n.memb.proc, from)
			n.gatherEnter()
		}
	default:
		n.stats.McastDropped++
	}
}

// observe tells the Observer, if any, that we hold the message in sl.
func (n *Node) observe(ring wire.RingID, seq uint32, sl *slot) {
	if n.cfg.Observer == nil {
		return
	}
	if sl.n > wire.McastSize && sl.buf[4] == wire.EncapsulatedYes {
		var inner wire.Mcast
		if inner.Decode(sl.buf[wire.McastSize:sl.n]) == nil {
			ring, seq = inner.RingID, inner.Seq
		}
	}
	n.cfg.Observer.Held(ring, seq)
}

// updateARU advances my_aru over the contiguous prefix received.
func (n *Node) updateARU(q *sortQueue) {
	for seqLT(n.myARU, n.highSeqReceived) && q.holds(n.myARU+1) {
		n.myARU++
	}
}

// deliver hands up, in sequence order up to end, every message of the
// installed ring whose predecessors all arrived; it stops at the first gap
// (agreed order) and at the first safe message that some member may not
// hold yet (safeThrough).
func (n *Node) deliver(end uint32) {
	for seqLT(n.highDelivered, end) {
		seq := n.highDelivered + 1
		if !n.regularQ.holds(seq) {
			return
		}
		sl := n.regularQ.at(seq)
		if sl.safe && seqLT(n.safeThrough, seq) {
			return
		}
		n.highDelivered = seq
		n.deliverSlot(sl, n.ring, seq)
	}
}

func (n *Node) deliverSlot(sl *slot, ring wire.RingID, seq uint32) {
	g := Agreed
	if sl.safe {
		g = Safe
	}
	n.ready.Events = append(n.ready.Events, Event{Kind: EventDeliver, Deliver: Delivery{
		Sender:    sl.sender,
		Ring:      ring,
		Seq:       seq,
		Guarantee: g,
		BigEndian: sl.bigEndian,
		Payload:   sl.buf[wire.McastSize:sl.n],
	}})
	n.stats.Delivered++
}
