package totem

import (
	"slices"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// recoveryEnter starts RECOVERY on the completed commit token: it derives
// the transitional membership and queues, wrapped in new-ring mcasts, every
// old-ring message some transitional member may lack (spec §3.6).
func (n *Node) recoveryEnter(c *wire.CommitToken) {
	m := &n.memb
	n.recoveryQ.reset(0, &n.bufs)
	n.retransQ.clear()
	n.sendCommitToken(c) // on to our successor, for its second rotation
	m.completedCommit = append(m.completedCommit[:0], n.lastToken...)
	m.successorRecovering, m.recoveryTokens = n.isRep, 0
	n.myTokenSeq = ^uint32(0)

	n.findTransitional(c)
	n.queueRecovery(c)
	n.myARU, n.highSeqReceived, n.aruCount, n.seqUnchanged = 0, 0, 0, 0
	m.installSeq = 0
	// [DEVIATION] corosync 3.1.7 resets these only after an installation.
	// A RECOVERY abandoned part-way (token loss, a JOIN) leaves them
	// counting, and the next RECOVERY then skips the install point
	// (count == 2 never happens, install_seq stays 0) and installs before
	// the recovery traffic arrived: the simulator found members of one
	// ring delivering different old-ring messages (E12) that way.
	m.retransFlgCount, m.rotationCounter, m.setRetransFlg = 0, 0, false
	n.state = StateRecovery
	n.tokenLossAt = n.now + n.cfg.Timers.TokenNs
	n.stats.RecoveryEntered++
}

// findTransitional derives the transitional membership — the new members
// that come from our old ring — and the highest old-ring message any of them
// delivered, which fixes where installation splits old-ring delivery.
func (n *Node) findTransitional(c *wire.CommitToken) {
	m := &n.memb
	m.trans = m.trans[:0]
	m.splitDelivered = n.highDelivered
	for i, id := range c.Addrs {
		e := &c.Entries[i]
		if setHas(n.members, id) && e.RingID == m.oldRing {
			m.trans = append(m.trans, id)
			if seqLT(m.splitDelivered, e.HighDelivered) {
				m.splitDelivered = e.HighDelivered
			}
		}
	}
	m.deliverMembers = slices.Clone(m.trans)
}

// queueRecovery queues the old-ring messages above the lowest aru of the
// transitional members, unless every one of them received everything.
func (n *Node) queueRecovery(c *wire.CommitToken) {
	m := &n.memb
	lowRingARU, needed := m.oldHighSeq, false
	for i, id := range c.Addrs {
		if setHas(m.trans, id) {
			needed = needed || c.Entries[i].ReceivedFlg == 0
			if seqLT(c.Entries[i].ARU, lowRingARU) {
				lowRingARU = c.Entries[i].ARU
			}
		}
	}
	if needed {
		n.queueOldRingMessages(lowRingARU)
	}
}

// queueOldRingMessages wraps the old-ring messages above lowRingARU that we
// hold into the retransmit queue.
func (n *Node) queueOldRingMessages(lowRingARU uint32) {
	for seq := lowRingARU + 1; seqLE(seq, n.memb.oldHighSeq) && n.retransQ.avail() > 0; seq++ {
		if !n.regularQ.holds(seq) {
			continue
		}
		inner := n.regularQ.at(seq)
		e := n.retransQ.tail(&n.bufs)
		e.n = wire.McastSize + copy(e.buf[wire.McastSize:], inner.buf[:inner.n])
		e.safe, e.encapsulated = false, true
		n.retransQ.push()
		n.stats.RecoveryOriginated++
	}
}

// recoveryVisit runs corosync's installation rule on each RECOVERY visit:
// once nobody has re-broadcast work for two visits, token.seq is the
// install point; once the token's aru covered it on two more visits, every
// member holds every recovery message, and the new ring is installed
// (spec §3.7).
func (n *Node) recoveryVisit(t *wire.OrfToken) {
	m := &n.memb
	// [DEVIATION] corosync keeps one retransmit copy, and the ORF token
	// overwrites the commit token in it: if the completed commit token to
	// our successor was lost, only the token timeout (and a new membership
	// round) gets the ring going again. Until the ORF token has come round
	// once (so our successor has it), we send the commit token ahead of it.
	if m.recoveryTokens++; m.recoveryTokens >= 2 {
		m.successorRecovering = true
	}
	if !m.successorRecovering {
		n.emitCopy(n.next, m.completedCommit)
	}
	if n.retransQ.len() > 0 {
		if t.RetransFlg == 0 {
			t.RetransFlg, m.setRetransFlg = 1, true
		}
	} else if t.RetransFlg == 1 && m.setRetransFlg {
		t.RetransFlg, m.setRetransFlg = 0, false
	}
	if t.RetransFlg == 0 {
		m.retransFlgCount++
	} else {
		m.retransFlgCount = 0
	}
	if m.retransFlgCount == 2 {
		m.installSeq = t.Seq
	}
	if m.retransFlgCount >= 2 && !m.receivedFlg && seqLE(m.installSeq, n.myARU) {
		m.receivedFlg = true
		m.deliverMembers = slices.Clone(m.trans)
	}
	if m.retransFlgCount >= 3 && seqLE(m.installSeq, t.ARU) {
		m.rotationCounter++
	} else {
		m.rotationCounter = 0
	}
	if m.rotationCounter == 2 {
		n.operationalEnter()
		m.rotationCounter, m.retransFlgCount = 0, 0
	}
}

// operationalEnter installs the new ring (spec §3.8): the old ring's
// messages recovered are delivered — the regular part, then the
// transitional configuration, then the transitional part — then the
// regular configuration, and the recovery window becomes the ring's.
func (n *Node) operationalEnter() {
	m := &n.memb
	n.recoveredToRegular()
	oldRing := m.oldRing
	n.deliverOldRing(oldRing, false)

	left := setMinus(n.members, m.trans)
	joined := setMinus(m.newMembers, m.trans)
	n.members = slices.Clone(m.newMembers)
	n.emitConf(Transitional, slices.Clone(m.trans), left, nil)
	n.deliverOldRing(oldRing, true)
	n.emitConf(Regular, slices.Clone(n.members), nil, joined)

	// The recovery window becomes the regular one; the old ring's buffers
	// go back to the pool once this batch is acted on.
	n.regularQ, n.recoveryQ = n.recoveryQ, n.regularQ
	n.recoveryQ.reset(0, &n.bufs)
	n.lastARU = 0
	m.proc, m.fail = slices.Clone(n.members), nil
	// The new ring's seqs used by recovery traffic count as delivered.
	high := n.highSeqReceived
	for high != 0 && !n.regularQ.holds(high) {
		high--
	}
	n.highDelivered = high
	n.safeThrough = high
	n.regularQ.releaseTo(high, &n.bufs)
	m.oldSaved = false
	m.consensus = m.consensus[:0]
	m.receivedFlg = true
	m.oldRing = n.ring
	n.state = StateOperational
	n.stats.OperationalEntered++
}

// recoveredToRegular unwraps the recovery messages of our old ring into the
// old ring's window where we lacked them (spec §3.8 step 1).
func (n *Node) recoveredToRegular() {
	var inner wire.Mcast
	for seq := uint32(1); seqLE(seq, n.myARU); seq++ {
		if !n.recoveryQ.holds(seq) {
			continue
		}
		outer := n.recoveryQ.at(seq)
		if outer.n < 2*wire.McastSize || inner.Decode(outer.buf[wire.McastSize:outer.n]) != nil {
			continue
		}
		if inner.RingID != n.memb.oldRing || !n.regularQ.inRange(inner.Seq) || n.regularQ.at(inner.Seq).used {
			continue
		}
		sl := n.regularQ.at(inner.Seq)
		if sl.buf == nil {
			sl.buf = n.bufs.take()
		}
		sl.n = copy(sl.buf, outer.buf[wire.McastSize:outer.n])
		sl.used, sl.safe, sl.sender, sl.bigEndian = true, inner.Guarantee != 0, inner.Header.NodeID, inner.BigEndian
		if seqLT(n.memb.oldHighSeq, inner.Seq) {
			n.memb.oldHighSeq = inner.Seq
		}
	}
}

// deliverOldRing delivers the old ring's remaining messages at install.
// Before the transitional configuration (skip false) it stops at the first
// gap, and at the first safe message above what any transitional member
// already delivered: that message was not known to be held by every member
// of the old ring, so it belongs after TRANS, where every transitional
// member holds it. Every transitional member computes the same stop, so
// the split is the same everywhere (E12). After TRANS (skip true) gaps are
// skipped and only messages from transitional members are delivered.
func (n *Node) deliverOldRing(ring wire.RingID, skip bool) {
	m := &n.memb
	for seqLT(n.highDelivered, m.oldHighSeq) {
		seq := n.highDelivered + 1
		if !n.regularQ.inRange(seq) {
			return
		}
		sl := n.regularQ.at(seq)
		if !skip {
			if !sl.used || (sl.safe && seqLT(m.splitDelivered, seq)) {
				return
			}
		}
		n.highDelivered = seq
		if sl.used && (!skip || setHas(m.deliverMembers, sl.sender)) {
			n.deliverSlot(sl, ring, seq)
		}
	}
}
