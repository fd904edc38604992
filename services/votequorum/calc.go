package votequorum

import "slices"

// recalculate is corosync's recalculate_quorum: expected votes never
// below the votes present (trackers told when they rise), the tracking
// barrier raised, the quorum recomputed and the verdict taken.
// allowDecrease lets the quorum drop; byCurrentNodes sets every member's
// expected votes to the number of nodes present (last man standing,
// allow_downscale).
func (e *Engine) recalculate(allowDecrease, byCurrentNodes bool) {
	total, present := e.totals()
	if !byCurrentNodes {
		present = 0
	}
	if total > e.us.expected {
		e.us.expected = total
		e.notifyExpected()
	}
	if e.evTracking && e.us.expected > e.evTrackingBarrier {
		e.setEVTrackingBarrier(e.us.expected)
	}
	e.quorum, total = e.calculate(allowDecrease, present)
	e.setMembersExpected(present)
	e.decide(total)
}

// calculate is corosync's calculate_quorum: a strict majority of the
// highest expected votes or of the votes present, whichever is larger;
// never lower than before unless allowDecrease; 1 in a two_node cluster
// of at most two voters. maxExpected, when not 0, replaces the highest
// expected votes (allow_downscale keeps it at or above ev_barrier). It
// also returns the votes present (the qdevice's counted only when it
// casts its vote on this node).
func (e *Engine) calculate(allowDecrease bool, maxExpected uint32) (quorum, total uint32) {
	if e.allowDownscale && allowDecrease && maxExpected > 0 {
		maxExpected = max(e.evBarrier, maxExpected)
	}
	var highest, voters uint32
	for _, n := range e.nodes {
		if n.state == NodeMember {
			highest = max(highest, n.expected)
			total += n.votes
			voters++
		}
	}
	if e.us.flags&flagQdevCastVote != 0 {
		total += e.qdev.votes
		voters++
	}
	if maxExpected > 0 {
		highest = maxExpected
	}
	quorum = max((highest+2)/2, (total+2)/2)
	if !allowDecrease {
		quorum = max(quorum, e.quorum)
	}
	if e.twoNode && voters <= 2 {
		quorum = 1
	}
	return quorum, total
}

// decide is corosync's are_we_quorate: wait_for_all first, then votes,
// then the tie breaker and the qdevice's master_wins; the quorum service
// and the trackers hear of a change outside sync (sync activation always
// tells them).
func (e *Engine) decide(total uint32) {
	if e.wfa && e.wfaStatus {
		if total != e.us.expected {
			e.notice("Waiting for all cluster members. Current votes: " + itoa(total) + " expected_votes: " + itoa(e.us.expected))
			return
		}
		e.setWFAStatus(false)
	}
	quorate := e.quorum <= total
	if quorate {
		e.setLowestHighest()
	}
	if e.atb != atbNone && total == e.us.expected/2 &&
		len(e.prevMembers)-len(e.members) < int(e.quorum) && e.atbDecides() {
		quorate = true
	}
	if e.qd.masterWins && !quorate && e.qdevMasterPresent() {
		e.debug("node is quorate as part of master_wins partition")
		quorate = true
	}
	changed := quorate != e.quorate
	if changed {
		if quorate {
			e.debug("quorum regained, resuming activity")
		} else {
			e.debug("quorum lost, blocking activity")
		}
	}
	e.quorate = quorate
	if quorate {
		e.us.flags |= flagQuorate
	} else {
		e.us.flags &^= flagQuorate
	}
	if e.wfa {
		e.setWFAStatus(!quorate) // re-armed whenever quorum is lost
	}
	if changed && !e.syncing {
		e.tellQuorum()
		e.notifyQuorum(nil, 0)
	}
}

// tellQuorum reports the verdict to the quorum service.
func (e *Engine) tellQuorum() {
	if e.cfg.Quorum != nil {
		e.cfg.Quorum.SetQuorum(slices.Clone(e.members), e.quorate, e.ring)
	}
}

// setLowestHighest records the lowest and highest MEMBER node ids (the
// tie breaker's candidates while quorate).
func (e *Engine) setLowestHighest() {
	lo, hi := e.us.id, e.us.id
	for _, n := range e.nodes {
		if n.state == NodeMember {
			lo, hi = min(lo, n.id), max(hi, n.id)
		}
	}
	e.lowest, e.highest = int64(lo), int64(hi)
	e.putU32(keyLowestNodeID, lo)
	e.putU32(keyHighestNodeID, hi)
}

// atbDecides resolves an even split: lowest or highest, the node that
// was so while last quorate must be here; list, the first listed node
// that is here wins unless a node listed before it was in the previous
// membership (it may be on the other side).
func (e *Engine) atbDecides() bool {
	switch e.atb {
	case atbLowest:
		return e.memberPresent(e.lowest)
	case atbHighest:
		return e.memberPresent(e.highest)
	}
	for i, id := range e.atbList {
		if !slices.Contains(e.members, id) {
			continue
		}
		for _, before := range e.atbList[:i] {
			if slices.Contains(e.prevMembers, before) {
				e.debug("ATB_LIST: a node listed earlier was in the previous partition but is not here, quorum denied", "node", before)
				return false
			}
		}
		return true
	}
	return false
}

// qdevMasterPresent: a MEMBER node whose qdevice casts its vote with
// master_wins.
func (e *Engine) qdevMasterPresent() bool {
	for _, n := range e.nodes {
		if n.state == NodeMember && n.flags&flagQdevMasterWins != 0 && n.flags&flagQdevCastVote != 0 {
			return true
		}
	}
	return false
}

func itoa(v uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
