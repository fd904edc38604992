package totem

import "github.com/gorosync/gorosync/dataplane/wire"

// onToken processes an ORF token in the order of spec §2.5.
func (n *Node) onToken(t *wire.OrfToken) {
	n.stats.TokensRx++
	n.noteIdle(t.Seq)
	if (n.state != StateOperational && n.state != StateRecovery) || t.RingID != n.ring || seqLE(t.TokenSeq, n.myTokenSeq) {
		// GATHER and COMMIT discard tokens; foreign rings never trigger
		// membership by their tokens; a retransmitted token we already
		// handled is a duplicate.
		n.stats.TokensDiscarded++
		return
	}
	q, sq := n.activeQueues()
	if !n.plausible(t, q) {
		n.stats.TokensCorrupt++
		return
	}
	n.noteRotation()
	n.ringBusy = t.Backlog != 0 || t.ARU != t.Seq
	forward := n.decideHold()
	if n.state == StateOperational {
		n.release(t.ARU)
	}
	if n.cfg.Hooks != nil {
		n.cfg.Hooks.TokenReceived()
	}
	lastARU := n.lastARU
	n.lastARU = t.ARU
	n.advanceSafe(lastARU, t.ARU)

	allowed := n.fccCalculate(t, sq)
	retransmitted := n.serveRetransmits(t, q, &allowed)
	n.requestRetransmits(t, q)
	if n.cfg.CancelTokenHoldOnRetransmit && n.tokenHeld && (len(t.RTRList) > 0 || retransmitted > 0) {
		n.tokenHeld, forward = false, true
	}
	n.limitToWindow(t, q, &allowed)
	sent := n.broadcastQueued(t, q, sq, allowed)
	n.fccUpdate(t, retransmitted+sent)
	n.updateTokenARU(t)

	if n.detectReceiveFailure(t, lastARU) {
		return
	}
	n.myTokenSeq = t.TokenSeq
	t.TokenSeq++
	if n.state == StateRecovery {
		n.recoveryVisit(t)
	}
	n.sendToken(t, forward)
	if n.state == StateOperational {
		n.deliver(n.highSeqReceived)
	}

	n.tokenLossAt = n.now + n.cfg.Timers.TokenNs
	n.armRetransmit(false)
	if n.isRep && n.tokenHeld {
		n.holdAt = n.now + n.cfg.Timers.HoldNs
	}
	// The heartbeat runs while the token is on its way round (spec §3.11).
	n.heartbeatAt = NoDeadline
	if forward && n.cfg.Timers.HeartbeatNs > 0 {
		n.heartbeatAt = n.now + n.cfg.Timers.HeartbeatNs
	}
	if n.cfg.Hooks != nil {
		n.cfg.Hooks.TokenSent()
	}
}

// plausible rejects a token of our ring whose numbers no correct member can
// produce. corosync asserts on these (the daemon aborts); we drop the token
// and count it. A correct token never trails what we received (every
// message we hold was stamped before this token left its stamper), and the
// window guard keeps seq within one receive window of the aru and of our
// release point.
func (n *Node) plausible(t *wire.OrfToken, q *sortQueue) bool {
	window := q.mask + 1
	return !seqLT(t.Seq, n.highSeqReceived) &&
		t.Seq-t.ARU <= window &&
		t.Seq-q.released <= 2*window
}

// activeQueues are the receive window and send queue the token works on:
// in RECOVERY the new ring carries only re-broadcast old-ring messages.
func (n *Node) activeQueues() (*sortQueue, *sendQueue) {
	if n.state == StateRecovery {
		return &n.recoveryQ, &n.retransQ
	}
	return &n.regularQ, &n.sendQ
}

// noteIdle counts visits on which nobody broadcast (token.seq unchanged);
// that count drives token hold, and an idle ring's representative starts
// looking for other partitions (merge detect).
func (n *Node) noteIdle(seq uint32) {
	if seq == n.lastSeq {
		if n.mergeAt == NoDeadline {
			n.mergeAt = n.now + n.cfg.Timers.MergeNs
		}
		n.seqUnchanged++
	} else {
		n.mergeAt = NoDeadline
		n.holdAt = NoDeadline
		n.seqUnchanged = 0
	}
	n.lastSeq = seq
}

// decideHold sets tokenHeld and reports whether to forward the token: an
// idle representative keeps it for the hold period; other idle nodes only
// remember that the ring is idle so that their next submission cancels the
// hold (spec §2.10).
func (n *Node) decideHold() (forward bool) {
	if n.isRep {
		// [DEVIATION] corosync holds whenever seq stood still for a while,
		// even while messages wait in the backlog or a member still misses
		// some (aru behind seq): every hold then delays the recovery of a
		// lost message by the hold period, and at 10% loss most of a run is
		// spent so. We hold only a ring with nothing left to do.
		n.tokenHeld = n.seqUnchanged > n.cfg.SeqnoUnchangedConst && !n.ringBusy
		return !n.tokenHeld
	}
	n.tokenHeld = n.seqUnchanged >= n.cfg.SeqnoUnchangedConst
	return true
}

// release frees messages that every node held on two successive visits;
// their buffers are reused only after Advance. The release point only
// moves forward and never past what this node delivered.
func (n *Node) release(tokenARU uint32) {
	to := seqMin(seqMin(tokenARU, n.lastARU), n.highDelivered)
	if within(n.regularQ.released, to, n.highDelivered) {
		n.regularQ.releaseTo(to, &n.bufs)
	}
}

// advanceSafe raises the safe-delivery bound to the minimum of the aru
// values this node received on its last two visits. Every member holds
// every message up to that bound. Take any member Y; the token visits it
// exactly once between our visits k−1 and k, which received aru A1 and A2.
// Y's visit leaves the token's aru at most Y's my_aru and names in
// aru_addr who may raise it again:
//   - aru_addr 0: Y held everything up to the token's seq at its visit,
//     which is at least A1;
//   - aru_addr Y: nobody raises the aru before it reaches us again (only
//     Y, or a node after a lowering, could), so A2 ≤ Y's my_aru;
//   - aru_addr V ≠ Y: either V set it before our visit k−1, and the aru
//     Y saw is the A1 we saw, or V comes after Y and nobody raises it
//     before us, so A2 ≤ Y's my_aru.
//
// my_aru never decreases within a ring, so Y still holds min(A1, A2).
// (corosync ignores the safe guarantee; this is the paper's stability rule,
// spec §2.8, §14.4.)
func (n *Node) advanceSafe(previousARU, tokenARU uint32) {
	bound := seqMin(previousARU, tokenARU)
	if within(n.safeThrough, bound, n.highSeqReceived) && bound != n.safeThrough {
		n.safeThrough = bound
	}
}

// within reports from ≤ x ≤ to by unsigned distance from from, which unlike
// a serial comparison cannot be fooled by values 2^31 apart.
func within(from, x, to uint32) bool { return x-from <= to-from }

// fccCalculate is corosync's flow-control budget for this visit (spec §2.7),
// including its unsigned window − fcc and previous-backlog numerator.
func (n *Node) fccCalculate(t *wire.OrfToken, sq *sendQueue) uint32 {
	allowed := n.cfg.MaxMessages
	if room := n.cfg.WindowSize - t.FCC; allowed > room {
		allowed = room
	}
	n.cbl = uint32(sq.len())
	if total := t.Backlog + n.cbl - n.pbl; total != 0 {
		share := n.cfg.WindowSize * n.pbl / total
		if share > 0 && allowed > share {
			allowed = share
		}
	}
	return allowed
}

// serveRetransmits re-multicasts requested messages this node holds and
// removes them from the token's list, within the budget.
func (n *Node) serveRetransmits(t *wire.OrfToken, q *sortQueue, allowed *uint32) uint32 {
	var done uint32
	list := t.RTRList
	for i := 0; done < *allowed && i < len(list); {
		if list[i].RingID == n.ring && n.remcast(q, list[i].Seq) {
			list = append(list[:i], list[i+1:]...)
			done++
			continue
		}
		i++
	}
	t.RTRList = list
	*allowed -= done
	return done
}

func (n *Node) remcast(q *sortQueue, seq uint32) bool {
	if !q.holds(seq) {
		return false
	}
	sl := q.at(seq)
	n.emit(Broadcast, sl.buf[:sl.n])
	n.stats.McastRetx++
	return true
}

// requestRetransmits adds the gaps this node has seen on MissCountConst
// visits to the token's retransmit list.
func (n *Node) requestRetransmits(t *wire.OrfToken, q *sortQueue) {
	span := t.Seq - n.myARU
	for i := uint32(1); len(t.RTRList) < rtrListMax && i <= span; i++ {
		seq := n.myARU + i
		if !q.inRange(seq) {
			break
		}
		sl := q.at(seq)
		if sl.used {
			continue
		}
		sl.missCount++
		if sl.missCount < n.cfg.MissCountConst || rtrListed(t.RTRList, seq) {
			continue
		}
		t.RTRList = append(t.RTRList, wire.RTRItem{RingID: n.ring, Seq: seq})
	}
}

func rtrListed(list []wire.RTRItem, seq uint32) bool {
	for _, it := range list {
		if it.Seq == seq {
			return true
		}
	}
	return false
}

// limitToWindow keeps every sender inside the receive window (spec §2.5
// step 12): nothing new is broadcast that could overrun an unreleased slot.
func (n *Node) limitToWindow(t *wire.OrfToken, q *sortQueue, allowed *uint32) {
	limit := q.released + q.mask + 1 - *allowed - n.cfg.WindowSize
	if seqLT(limit, t.Seq) {
		*allowed = 0
	}
}

// broadcastQueued stamps up to allowed queued messages with the next
// sequence numbers and multicasts them. The queued buffer is swapped into
// the sort queue, so the payload is never copied again.
func (n *Node) broadcastQueued(t *wire.OrfToken, q *sortQueue, sq *sendQueue, allowed uint32) uint32 {
	var sent uint32
	for ; sent < allowed && sq.len() > 0; sent++ {
		seq := t.Seq + 1
		sl := q.at(seq)
		if !q.inRange(seq) || sl.used {
			break // only a corrupt token gets here: keep the window intact
		}
		t.Seq = seq
		e := sq.front()
		n.stampMcast(e, seq)
		// The slot is free, so its buffer (if any) is spare memory.
		spare := sl.buf
		*sl = slot{frameBuf: e.frameBuf, used: true, safe: e.safe, sender: n.id}
		e.buf = spare
		sq.pop()
		n.emit(Broadcast, sl.buf[:sl.n])
		n.stats.McastTx++
		n.highSeqReceived = seq
		n.observe(n.ring, seq, sl)
	}
	n.updateARU(q)
	return sent
}

// stampMcast writes the mcast header in front of a queued payload.
func (n *Node) stampMcast(e *sendEntry, seq uint32) {
	m := &n.mc
	encapsulated := wire.EncapsulatedNo
	if e.encapsulated {
		encapsulated = wire.EncapsulatedYes
	}
	*m = wire.Mcast{
		Header:     wire.Header{Type: wire.TypeMcast, Encapsulated: encapsulated, NodeID: n.id},
		SystemFrom: n.id,
		Seq:        seq,
		ThisSeqno:  n.globalSeqno,
		RingID:     n.ring,
		Payload:    e.buf[wire.McastSize:e.n],
	}
	if e.safe {
		m.Guarantee = int32(Safe)
	}
	n.globalSeqno++
	if _, err := m.Encode(e.buf[:e.n]); err != nil {
		panic("totem: mcast header encode: " + err.Error())
	}
}

func (n *Node) fccUpdate(t *wire.OrfToken, transmitted uint32) {
	t.FCC += transmitted - n.trc
	t.Backlog += n.cbl - n.pbl
	n.trc = transmitted
	n.pbl = n.cbl
}

// updateTokenARU lowers the token's aru to ours, or sets it if we were the
// last to lower it or nobody is behind (spec §2.5 step 15).
func (n *Node) updateTokenARU(t *wire.OrfToken) {
	if seqLT(n.myARU, t.ARU) || t.ARUAddr == n.id || t.ARUAddr == 0 {
		t.ARU = n.myARU
		if t.ARU == t.Seq {
			t.ARUAddr = 0
		} else {
			t.ARUAddr = n.id
		}
	}
}

// detectReceiveFailure is corosync's receive-failure detector: a node whose
// aru holds the token back for FailRecvConst visits leaves the ring.
func (n *Node) detectReceiveFailure(t *wire.OrfToken, lastARU uint32) bool {
	if t.ARU == lastARU && t.ARUAddr != 0 {
		n.aruCount++
	} else {
		n.aruCount = 0
	}
	if n.aruCount > n.cfg.FailRecvConst && t.ARUAddr == n.id {
		// corosync's deviation from the paper: the node that cannot
		// receive leaves the ring itself and forms a singleton.
		n.stats.FailedToReceive++
		n.memb.failedToRecv = true
		n.memb.fail = setAdd(n.memb.fail, n.id)
		n.gatherEnter()
		return true
	}
	return false
}
