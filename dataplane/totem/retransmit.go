package totem

// Adaptive token retransmission. corosync resends a token after the fixed
// token_retransmit (token / 4.2: 869 ms for 3 nodes at the default token),
// so every lost token stops the ring that long: at 1% frame loss a busy
// ring loses two orders of magnitude of throughput (BENCHMARKS.md). A busy
// ring's rotation takes micro- to milliseconds, so gorosync resends after a
// few measured rotations instead, backing off on each resend without an
// answer and never waiting longer than token_retransmit. An idle ring's
// token is held by the representative on purpose: there the fixed value
// applies. Resends cost a duplicate token at worst, which every receiver,
// corosync's included, discards by its token_seq.

const (
	// rotationsBeforeRetransmit is how many typical rotations to wait.
	rotationsBeforeRetransmit = 3
	// minTokenRetransmitNs keeps resends sane on very fast rings.
	minTokenRetransmitNs = 200_000
)

// rotationSamples is how many recent rotations the estimate looks at.
const rotationSamples = 16

// noteRotation takes the time between two accepted tokens as a sample of
// the rotation time. The estimate is the shortest of the recent samples:
// a rotation that waited for a resend is long, and a mean would let every
// loss lengthen the next wait, which lengthens rotations further — at 10%
// loss that feedback ate the whole gain.
func (n *Node) noteRotation() {
	if n.lastTokenAt != 0 {
		n.rotations[n.rotationNext%rotationSamples] = n.now - n.lastTokenAt
		n.rotationNext++
		n.rotationNs = 0
		for _, r := range n.rotations[:min(n.rotationNext, rotationSamples)] {
			if n.rotationNs == 0 || r < n.rotationNs {
				n.rotationNs = r
			}
		}
	}
	n.lastTokenAt = n.now
	n.retransmitBackoff = 0
}

// retransmitIntervalNs is how long to wait for the next token before
// resending the last one.
func (n *Node) retransmitIntervalNs() int64 {
	fixed := n.cfg.Timers.TokenRetransmitNs
	idle := n.seqUnchanged+1 >= n.cfg.SeqnoUnchangedConst && !n.ringBusy
	if n.cfg.FixedTokenRetransmit || n.rotationNs == 0 || idle {
		return fixed
	}
	interval := max(rotationsBeforeRetransmit*n.rotationNs, minTokenRetransmitNs) << n.retransmitBackoff
	return min(interval, fixed)
}

// armRetransmit (re)starts the token retransmit timer; each resend without
// a new token in between doubles the next wait.
func (n *Node) armRetransmit(resent bool) {
	if resent && n.retransmitBackoff < 16 {
		n.retransmitBackoff++
	}
	n.retransmitAt = n.now + n.retransmitIntervalNs()
}
