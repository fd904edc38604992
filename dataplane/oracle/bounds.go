package oracle

// Bounds are the time limits of the timed liveness properties of §4.4, in
// virtual ns from the fault to the installation of the expected REG on
// every node concerned. A zero (or negative) field leaves that property
// unchecked.
type Bounds struct {
	CrashNs int64 // L2: a silent crash in a stable ring
	LeaveNs int64 // L3: a clean shutdown (LEAVE) in a stable ring
	MergeNs int64 // L4: a partition or heal, until the groups have converged
}

// BoundsFor derives Bounds from the totem timers (§3.13) of a cluster of
// nodes nodes. The oracle cannot see message loss or a token's hop time, so
// every bound is built from protocol periods, with room for one failed
// attempt where the protocol would then have to time out:
//
//   - round = (4 + nodes) × join is one membership round after the trigger:
//     JOINs are resent every join period until all agree, and in the worst
//     case the proc sets grow one node per exchange (one join each); the 4
//     cover the JOIN exchange itself, the two commit-token rotations and
//     the recovery rotations, each of which is far shorter than a join
//     period on a live network but may need a resend after a loss.
//   - CrashNs = token + consensus + round + 2×token. The survivors notice
//     the silent crash by token loss (token), keep the dead node in their
//     proc set until the consensus timeout moves it to the fail set
//     (consensus), then form the ring (round). The 2×token of slack covers
//     one aborted attempt, which costs a token timeout (a commit token lost
//     beyond its retransmits sends COMMIT or RECOVERY back to GATHER, and a
//     consensus timeout with consensus but no commit token arms the token
//     timer), plus the lateness of the last token seen before the crash.
//   - LeaveNs = consensus + 2×round. The LEAVE sends every survivor to
//     GATHER at once with the leaver already in the fail set, so no token
//     timeout is involved: normally one round. The consensus term covers
//     a member that was already dead (but not yet detected) when the LEAVE
//     came: the gather then waits for its consensus timeout, and a second
//     round follows. With the corosync derivations (round far below token)
//     this stays under token + consensus, so a leave that the survivors
//     only notice by token loss — the LEAVE got lost — fails L3. On lossy
//     links that can happen legitimately (the LEAVE is sent once): widen
//     LeaveNs to CrashNs, or leave it zero, for such runs.
//   - MergeNs = token + consensus + 2×merge + 2×round + 2×token. After a
//     heal the idle rings' representatives announce themselves within a
//     merge period and one round forms the union. But the partition may
//     not have been detected yet (token + consensus + round to finish the
//     split), and a node already in the fail set of the running attempt
//     is only heard at the next merge detect after that ring is installed
//     (merge + round). One more merge period covers a lost MERGE_DETECT,
//     and 2×token one aborted attempt as for crashes. The same bound
//     serves a partition that only splits: that is a crash detection, well
//     inside. (One that splits and merges at once is not checked.)
func BoundsFor(tokenNs, consensusNs, joinNs, mergeNs int64, nodes int) Bounds {
	round := int64(4+max(nodes, 1)) * joinNs
	return Bounds{
		CrashNs: tokenNs + consensusNs + round + 2*tokenNs,
		LeaveNs: consensusNs + 2*round,
		MergeNs: tokenNs + consensusNs + 2*mergeNs + 2*round + 2*tokenNs,
	}
}

// Tally counts the instances of one timed property. Checked ones were
// judged, whether they passed or not. Skipped ones could not be: another
// fault came inside the bound window, the run ended before the deadline
// with the expected ring not there yet, or (L2, L3) the ring was not
// stable when the node went away.
type Tally struct {
	Checked, Skipped int
}

// Stats says how much of the timed liveness a run exercised: a randomized
// run with faults too close together checks nothing, and this shows it.
type Stats struct {
	Crash, Leave, Merge Tally // L2, L3, L4
}
