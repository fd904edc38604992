package totem

import (
	"fmt"
	"slices"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// membership is the state of the membership protocol (spec §3.1).
type membership struct {
	proc, fail     []uint32 // the proc and fail sets of this gather round
	consensus      []uint32 // who sent a JOIN with sets equal to ours
	newMembers     []uint32 // members of the ring being formed (commit token)
	trans          []uint32 // transitional membership
	deliverMembers []uint32 // senders whose old-ring messages may still be delivered
	oldRing        wire.RingID
	tokenRingIDSeq uint64 // highest ring seq seen
	failedToRecv   bool
	commit         wire.CommitToken // the commit token this node last took part in

	// Old-ring state saved on the first COMMIT of a change (§3.5).
	oldSaved           bool
	oldARU, oldHighSeq uint32
	splitDelivered     uint32 // highest old-ring seq any transitional member delivered
	originatedToken    bool
	// completedCommit is the completed commit token we passed on entering
	// RECOVERY; successorRecovering turns true once the ORF token came
	// round (our successor has the commit token then).
	completedCommit     []byte
	successorRecovering bool
	recoveryTokens      int
	setRetransFlg       bool
	receivedFlg         bool
	retransFlgCount     uint32
	rotationCounter     uint32
	installSeq          uint32
}

// gatherEnter (re)enters GATHER: multicast our JOIN, (re)start the join and
// consensus timers, stop the token timers, and restart consensus with only
// our own vote (spec §3.3).
func (n *Node) gatherEnter() {
	n.memb.proc = setAdd(n.memb.proc, n.id)
	n.state = StateGather
	n.stats.GatherEntered++
	n.joinAt = n.now + n.cfg.Timers.JoinNs
	n.consensusAt = n.now + n.cfg.Timers.ConsensusNs
	n.tokenLossAt, n.retransmitAt, n.holdAt, n.mergeAt, n.heartbeatAt = NoDeadline, NoDeadline, NoDeadline, NoDeadline, NoDeadline
	// Consensus restarts before our JOIN goes out: our own copy may
	// complete it, and only votes for these sets may count.
	n.memb.consensus = append(n.memb.consensus[:0], n.id)
	n.memb.originatedToken = false
	n.sendJoin()
}

// sendJoin multicasts our JOIN now, or — with send_join — after a random
// delay, so that the JOINs of a large ring do not all arrive at once.
func (n *Node) sendJoin() {
	if n.cfg.Timers.SendJoinNs <= 0 {
		n.sendJoinNow()
		return
	}
	if n.joinSendAt == NoDeadline {
		n.joinSendAt = n.now + n.cfg.Jitter(n.cfg.Timers.SendJoinNs)
	}
}

func (n *Node) sendJoinNow() {
	join := wire.Join{
		Header:     wire.Header{Type: wire.TypeJoin, NodeID: n.id},
		SystemFrom: n.id,
		ProcList:   n.memb.proc,
		FailedList: n.memb.fail,
		RingSeq:    n.ring.Seq,
	}
	n.emitEncoded(Broadcast, &join)
	n.stats.JoinTx++
	// A multicast reaches its sender too, and our own JOIN always matches
	// our sets: it can complete consensus (how a node alone forms its
	// singleton ring).
	n.commitIfAgreed()
}

// Leave multicasts a LEAVE (a JOIN with node id 0 and ourselves in the fail
// set) so the others re-form at once instead of waiting for the token
// timeout, and stops the node (spec §3.10).
func (n *Node) Leave() {
	if n.state == 0 || n.state == StateStopped {
		return
	}
	leave := wire.Join{
		Header:     wire.Header{Type: wire.TypeJoin, NodeID: 0},
		SystemFrom: n.id,
		ProcList:   setMinus(n.memb.proc, []uint32{n.id}),
		FailedList: setAdd(slices.Clone(n.memb.fail), n.id),
		RingSeq:    n.ring.Seq,
	}
	n.emitEncoded(Broadcast, &leave)
	n.state = StateStopped
	n.disarmTimers()
}

type encoder interface {
	Size() int
	Encode([]byte) (int, error)
}

func (n *Node) emitEncoded(to uint32, m encoder) {
	b := n.claim(m.Size())
	if _, err := m.Encode(b); err != nil {
		panic(fmt.Sprintf("totem: encoding our own %T: %v", m, err))
	}
	n.emit(to, b)
}

// onJoin dispatches a JOIN by state (spec §3.3).
func (n *Node) onJoin(j *wire.Join) {
	n.stats.JoinRx++
	n.memb.tokenRingIDSeq = max(n.memb.tokenRingIDSeq, j.RingSeq)
	from := j.SystemFrom
	switch n.state {
	case StateOperational:
		if n.ignoreJoinOperational(j) {
			return
		}
		n.processJoin(j)
	case StateGather:
		n.processJoin(j)
	case StateCommit, StateRecovery:
		if !setHas(n.memb.newMembers, from) || j.RingSeq < n.ring.Seq {
			return
		}
		wasRecovery := n.state == StateRecovery
		n.processJoin(j)
		if wasRecovery {
			n.restoreOldRing()
		}
		n.gatherEnter()
	}
}

// ignoreJoinOperational: a JOIN that fails us, or a stale one from a member
// of our ring, does not disturb an operational ring.
func (n *Node) ignoreJoinOperational(j *wire.Join) bool {
	if slices.Contains(j.FailedList, n.id) {
		return true
	}
	return setHas(n.members, j.SystemFrom) && j.RingSeq < n.ring.Seq
}

// processJoin merges a JOIN into our view (spec §3.4).
func (n *Node) processJoin(j *wire.Join) {
	m := &n.memb
	// Own copies: re-entering GATHER below re-encodes our JOIN, and the
	// decoded lists may be reused.
	procJ, failJ := setOf(j.ProcList), setOf(j.FailedList)
	from, leave := j.SystemFrom, j.Header.NodeID == 0
	gathered := false
	switch {
	case slices.Equal(procJ, m.proc) && slices.Equal(failJ, m.fail):
		if !leave {
			m.consensus = setAdd(m.consensus, from)
		}
		if n.commitIfAgreed() {
			return
		}
	case setSubset(procJ, m.proc) && setSubset(failJ, m.fail):
		// the sender knows less than we do
	case setHas(m.fail, from):
	default:
		before := len(m.proc) + len(m.fail)
		m.proc = setAdd(m.proc, procJ...)
		if setHas(failJ, n.id) {
			m.fail = setAdd(m.fail, from)
		} else if setHas(n.members, from) {
			if !setHas(m.fail, from) {
				m.fail = setAdd(m.fail, failJ...)
			} else {
				m.fail = setAdd(m.fail, setMinus(failJ, n.members)...)
			}
		}
		// [DEVIATION] corosync re-enters GATHER here even when it adopted
		// nothing (a fail set from a node outside its last ring is not
		// adopted). Each such JOIN then restarts the consensus timer, and
		// two views that never agree keep each other gathering for ever.
		// We re-gather only when our sets grew, so the consensus timeout
		// still settles the disagreement.
		if len(m.proc)+len(m.fail) != before {
			n.gatherEnter()
			gathered = true
		}
	}
	if !gathered && n.state == StateOperational {
		n.gatherEnter()
	}
}

// commitIfAgreed: on consensus the representative creates the commit
// token; a node that failed to receive forms a singleton instead.
func (n *Node) commitIfAgreed() bool {
	m := &n.memb
	if !n.consensusAgreed() {
		return false
	}
	if m.failedToRecv {
		m.failedToRecv = false
		m.proc, m.fail = []uint32{n.id}, nil
	} else if !n.lowestInConfig() {
		return false
	}
	n.createCommitToken()
	n.commitEnter()
	return true
}

// consensusAgreed: every node of proc − fail sent our sets this round.
func (n *Node) consensusAgreed() bool {
	for _, id := range n.memb.proc {
		if !setHas(n.memb.fail, id) && !setHas(n.memb.consensus, id) {
			return false
		}
	}
	return true
}

// lowestInConfig: we are the representative of proc − fail.
func (n *Node) lowestInConfig() bool {
	for _, id := range n.memb.proc {
		if !setHas(n.memb.fail, id) {
			return id == n.id
		}
	}
	return false
}

// consensusTimeout: with agreement but no commit token, wait a token
// timeout more; otherwise fail everyone who did not agree and gather again.
func (n *Node) consensusTimeout() {
	n.stats.ConsensusTimeouts++
	if n.consensusAgreed() {
		n.memb.consensus = append(n.memb.consensus[:0], n.id)
		n.tokenLossAt = n.now + n.cfg.Timers.TokenNs
		return
	}
	for _, id := range n.memb.proc {
		if !setHas(n.memb.consensus, id) {
			n.memb.fail = setAdd(n.memb.fail, id)
		}
	}
	n.gatherEnter()
}

// tokenLost handles expiry of the token-loss timer in each state.
func (n *Node) tokenLost() {
	n.stats.TokenLosses++
	switch n.state {
	case StateOperational, StateCommit:
		n.gatherEnter()
	case StateGather:
		n.consensusTimeout()
		if n.state == StateGather {
			n.gatherEnter()
		}
	case StateRecovery:
		n.restoreOldRing()
		n.gatherEnter()
	}
}

// createCommitToken starts a new ring with proc − fail (spec §3.5).
func (n *Node) createCommitToken() {
	members := setMinus(n.memb.proc, n.memb.fail)
	c := &n.memb.commit
	*c = wire.CommitToken{
		RingID:  wire.RingID{Rep: n.id, Seq: n.memb.tokenRingIDSeq + 4},
		Addrs:   append(c.Addrs[:0], members...),
		Entries: slices.Grow(c.Entries[:0], len(members))[:len(members)],
	}
	clear(c.Entries)
}

// onCommitToken handles a commit token by state (spec §3.5).
func (n *Node) onCommitToken(c *wire.CommitToken) {
	switch n.state {
	case StateGather:
		want := setMinus(n.memb.proc, n.memb.fail)
		if !slices.Equal(c.Addrs, want) || c.RingID.Seq <= n.ring.Seq ||
			int(c.MembIndex) >= len(c.Addrs) || c.Addrs[c.MembIndex] != n.id {
			return
		}
		n.memb.commit.RingID, n.memb.commit.TokenSeq, n.memb.commit.MembIndex = c.RingID, c.TokenSeq, c.MembIndex
		n.memb.commit.RetransFlg = c.RetransFlg
		n.memb.commit.Addrs = append(n.memb.commit.Addrs[:0], c.Addrs...)
		n.memb.commit.Entries = append(n.memb.commit.Entries[:0], c.Entries...)
		n.commitEnter()
	case StateCommit:
		if c.RingID == n.ring && int(c.MembIndex) == len(c.Addrs) && slices.Equal(c.Addrs, n.memb.newMembers) {
			n.recoveryEnter(c)
		}
	case StateRecovery:
		if n.isRep && c.RingID == n.ring && !n.memb.originatedToken {
			n.memb.originatedToken = true
			n.sendInitialToken()
		}
	}
}

// commitEnter fills our entry of the commit token, moves to the new ring
// id (persisting it) and passes the token on (spec §3.5).
func (n *Node) commitEnter() {
	m := &n.memb
	if !m.oldSaved {
		m.oldSaved = true
		m.oldRing = n.ring
		m.oldARU, m.oldHighSeq = n.myARU, n.highSeqReceived
	}
	c := &m.commit
	m.newMembers = slices.Clone(c.Addrs)
	n.fillCommitEntry(c)
	n.joinAt, n.consensusAt = NoDeadline, NoDeadline
	n.ring = c.RingID
	if err := n.cfg.Store.SaveRingSeq(n.id, n.ring.Seq); err != nil {
		n.fail(fmt.Errorf("totem: persisting ring id %s: %w", n.ring, err))
		return
	}
	m.tokenRingIDSeq = n.ring.Seq
	n.isRep = n.ring.Rep == n.id
	n.next = c.Addrs[int(c.MembIndex)%len(c.Addrs)]
	n.state = StateCommit
	n.trc, n.pbl, n.cbl = 0, 0, 0
	n.sendCommitToken(c)
	n.tokenLossAt = n.now + n.cfg.Timers.TokenNs
}

// fillCommitEntry writes this node's old-ring facts into the commit token
// and clears the received flag of every entry of our old ring that lacks
// messages another such entry has.
func (n *Node) fillCommitEntry(c *wire.CommitToken) {
	m := &n.memb
	idx := c.MembIndex
	e := &c.Entries[idx]
	m.receivedFlg = n.myARU == n.highSeqReceived
	*e = wire.CommitEntry{RingID: m.oldRing, ARU: m.oldARU, HighDelivered: n.highDelivered}
	if m.receivedFlg {
		e.ReceivedFlg = 1
	}
	highARU := e.ARU
	for i := range c.Entries[:idx+1] {
		if c.Entries[i].RingID == m.oldRing && seqLT(highARU, c.Entries[i].ARU) {
			highARU = c.Entries[i].ARU
		}
	}
	for i := range c.Entries[:idx+1] {
		if c.Entries[i].RingID == m.oldRing && seqLT(c.Entries[i].ARU, highARU) {
			c.Entries[i].ReceivedFlg = 0
			if uint32(i) == idx {
				m.receivedFlg = false
			}
		}
	}
	c.MembIndex++
}

func (n *Node) sendCommitToken(c *wire.CommitToken) {
	c.TokenSeq++
	c.Header = wire.Header{Type: wire.TypeCommitToken, NodeID: n.id}
	n.lastToken = n.lastToken[:c.Size()]
	if _, err := c.Encode(n.lastToken); err != nil {
		panic("totem: commit token encode: " + err.Error())
	}
	n.emitCopy(n.next, n.lastToken)
	n.stats.CommitTokensTx++
	n.retransmitAt = n.now + n.cfg.Timers.TokenRetransmitNs
}

// restoreOldRing undoes RECOVERY's ring-local counters when a membership
// attempt fails, so the next attempt reports the old ring's state.
func (n *Node) restoreOldRing() {
	n.myARU, n.highSeqReceived = n.memb.oldARU, n.memb.oldHighSeq
}

// onMergeDetect: the representative of another ring we can hear (spec §3.9).
func (n *Node) onMergeDetect(md *wire.MergeDetect) {
	if md.RingID == n.ring {
		return
	}
	switch n.state {
	case StateOperational:
		n.memb.proc = setAdd(n.memb.proc, md.SystemFrom)
		n.gatherEnter()
	case StateGather:
		if !setHas(n.memb.proc, md.SystemFrom) {
			n.memb.proc = setAdd(n.memb.proc, md.SystemFrom)
			n.gatherEnter()
		}
	}
}

func (n *Node) sendMergeDetect() {
	n.merge = wire.MergeDetect{Header: wire.Header{Type: wire.TypeMergeDetect, NodeID: n.id}, SystemFrom: n.id, RingID: n.ring}
	n.emitEncoded(Broadcast, &n.merge)
	n.stats.MergeDetectTx++
}
