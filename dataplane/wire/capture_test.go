package wire

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// TestCaptureRoundTrip decodes every frame of the real corosync capture with
// the decoder for its type and requires a byte-identical re-encode.
func TestCaptureRoundTrip(t *testing.T) {
	pkts := loadCapture(t)
	if len(pkts) != 11659 {
		t.Fatalf("capture has %d UDP frames, want 11659", len(pkts))
	}
	counts := map[MessageType]int{}
	for _, p := range pkts {
		m, err := decodeFrame(p.Payload)
		if err != nil {
			t.Fatalf("frame %d: %v", p.Index, err)
		}
		h := m.header()
		if got := encode(t, m); !bytes.Equal(got, p.Payload) {
			t.Fatalf("frame %d (%s): re-encode differs\n got %x\nwant %x", p.Index, h.Type, got, p.Payload)
		}
		counts[h.Type]++
	}
	want := map[MessageType]int{
		TypeOrfToken: 10725, TypeMcast: 416, TypeMergeDetect: 98,
		TypeJoin: 202, TypeCommitToken: 20, TypeTokenHoldCancel: 198,
	}
	for _, typ := range allTypes {
		if counts[typ] != want[typ] {
			t.Errorf("%s: %d frames, want %d", typ, counts[typ], want[typ])
		}
	}
}

// TestCaptureSemantics checks facts about the capture that only hold if every
// field is read from the right offset: a shifted or swapped field would put
// garbage where the cluster's node ids, ring ids and sequence numbers are.
func TestCaptureSemantics(t *testing.T) {
	// The rings the three nodes form in the capture (all with node 1 as
	// representative, being the lowest id) and their members.
	rings := map[RingID][]uint32{
		{1, 0xa1}: {1, 2, 3}, // first formation
		{1, 0xa5}: {1, 2},    // node 3 killed
		{1, 0xaa}: {1, 2, 3}, // node 3 back
		{1, 0xae}: {1, 3},    // node 2 left
	}
	type senderRing struct {
		ring   RingID
		sender uint32
	}
	var (
		tokenRings   = map[RingID]int{}
		commitRings  = map[RingID]int{}
		joinSeqs     = map[uint64]bool{}
		maxJoinSeq   uint64
		leaves       []uint32
		highTokenSeq = map[RingID]uint32{}
		highSeq      = map[RingID]uint32{}          // token seq
		mcastSeqs    = map[RingID]map[uint32]bool{} // seqs of mcasts
		lastSent     = map[senderRing]uint32{}
		garbage      = map[MessageType]int{}
	)
	for _, p := range loadCapture(t) {
		m, err := decodeFrame(p.Payload)
		if err != nil {
			t.Fatalf("frame %d: %v", p.Index, err)
		}
		h := m.header()
		src := uint32(p.SrcIP[3]) // nodes are 198.18.1.<nodeid>
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("frame %d (%s from node %d): "+format, append([]any{p.Index, h.Type, src}, args...)...)
		}
		if h.BigEndian {
			fail("big-endian frame in a little-endian capture")
		}
		if src < 1 || src > 3 {
			fail("unexpected source address %v", p.SrcIP)
		}
		if h.NodeID != src && !(h.Type == TypeJoin && h.NodeID == 0) {
			fail("header nodeid %d", h.NodeID)
		}
		if h.TargetNodeID != 0 {
			garbage[h.Type]++
		}
		switch m := m.(type) {
		case *OrfToken:
			members, ok := rings[m.RingID]
			if !ok {
				fail("token of unknown ring %v", m.RingID)
			}
			tokenRings[m.RingID]++
			if m.RingID.Rep != slices.Min(members) || !slices.Contains(members, src) {
				fail("ring %v, sender %d", m.RingID, src)
			}
			if h.Encapsulated != 0 || len(m.RTRList) != 0 || m.RetransFlg != 0 {
				fail("encapsulated %d, %d rtr entries, retrans_flg %d", h.Encapsulated, len(m.RTRList), m.RetransFlg)
			}
			if m.FCC > 1000 || m.Backlog > 1000 || m.Seq > 1000 {
				fail("implausible fcc %d backlog %d seq %d", m.FCC, m.Backlog, m.Seq)
			}
			// The aru is at most the highest seq, except on a ring's first
			// token, which carries SEQNO_START_MSG-1.
			if m.ARU > m.Seq && m.ARU != 0xffffffff {
				fail("aru %d > seq %d", m.ARU, m.Seq)
			}
			if m.ARUAddr != 0 && !slices.Contains(members, m.ARUAddr) {
				fail("aru_addr %d", m.ARUAddr)
			}
			// Each hop increments token_seq; a retransmission re-sends the
			// sender's last token, so per sender it never goes back.
			high, seen := highTokenSeq[m.RingID]
			if !seen {
				// The representative's initial token for the ring.
				if m.Seq != 0 || m.TokenSeq != 0 || m.ARU != 0xffffffff || m.ARUAddr != m.RingID.Rep || src != m.RingID.Rep {
					fail("first token %+v", m)
				}
			} else if m.TokenSeq > high+1 {
				fail("token_seq %d after %d", m.TokenSeq, high)
			}
			highTokenSeq[m.RingID] = max(high, m.TokenSeq)
			highSeq[m.RingID] = max(highSeq[m.RingID], m.Seq)
			k := senderRing{m.RingID, src}
			if last, ok := lastSent[k]; ok && m.TokenSeq < last {
				fail("token_seq %d after own %d", m.TokenSeq, last)
			}
			lastSent[k] = m.TokenSeq
		case *Mcast:
			if h.Encapsulated != EncapsulatedNo || m.SystemFrom != src || m.NodeID != 0 || m.Guarantee != 0 {
				fail("encapsulated %d system_from %d node_id %d guarantee %d", h.Encapsulated, m.SystemFrom, m.NodeID, m.Guarantee)
			}
			if m.RingID.Rep < 1 || m.RingID.Rep > 3 || m.RingID.Seq < 0x95 || m.RingID.Seq > 0xb2 {
				fail("ring %v", m.RingID)
			}
			if m.Seq == 0 || m.ThisSeqno < 0 {
				fail("seq %d this_seqno %d", m.Seq, m.ThisSeqno)
			}
			if mcastSeqs[m.RingID] == nil {
				mcastSeqs[m.RingID] = map[uint32]bool{}
			}
			mcastSeqs[m.RingID][m.Seq] = true
			// The payload is a totempg packet: version 0, type 0,
			// fragmented, continuation, msg_count >= 1, then that many
			// u16 lengths which, with the messages, fill the frame.
			pl := m.Payload
			if len(pl) < 8 || binary.LittleEndian.Uint32(pl) != 0 {
				fail("payload does not start with a totempg header: %x", pl[:min(len(pl), 8)])
			}
			cnt := int(binary.LittleEndian.Uint16(pl[6:]))
			if cnt < 1 || len(pl) < 8+2*cnt {
				fail("totempg msg_count %d in %d bytes", cnt, len(pl))
			}
			total := 8 + 2*cnt
			for i := range cnt {
				total += int(binary.LittleEndian.Uint16(pl[8+2*i:]))
			}
			if total != len(pl) {
				fail("totempg lengths add up to %d, payload is %d", total, len(pl))
			}
		case *MergeDetect:
			// Only an idle representative sends merge-detects.
			if m.SystemFrom != src || m.RingID.Rep != src || h.Encapsulated != 0 {
				fail("system_from %d ring %v", m.SystemFrom, m.RingID)
			}
		case *Join:
			joinSeqs[m.RingSeq] = true
			maxJoinSeq = max(maxJoinSeq, m.RingSeq)
			for _, id := range slices.Concat(m.ProcList, m.FailedList) {
				if id < 1 || id > 3 {
					fail("node id %d in lists %v %v", id, m.ProcList, m.FailedList)
				}
			}
			if m.SystemFrom != src {
				fail("system_from %d", m.SystemFrom)
			}
			if h.NodeID == 0 {
				// A LEAVE: the leaver puts itself last in its fail set.
				if len(m.FailedList) == 0 || m.FailedList[len(m.FailedList)-1] != src {
					fail("leave with failed list %v", m.FailedList)
				}
				leaves = append(leaves, src)
			} else if !slices.Contains(m.ProcList, src) {
				fail("sender not in own proc list %v", m.ProcList)
			}
		case *CommitToken:
			members, ok := rings[m.RingID]
			if !ok {
				fail("commit token for unknown ring %v", m.RingID)
			}
			commitRings[m.RingID]++
			n := uint32(len(m.Addrs))
			if !slices.Equal(m.Addrs, members) || m.Addrs[0] != m.RingID.Rep {
				fail("addrs %v for ring %v", m.Addrs, m.RingID)
			}
			if m.MembIndex < 1 || m.MembIndex > n {
				fail("memb_index %d of %d", m.MembIndex, n)
			}
			// First rotation: the sender has just filled entry memb_index-1.
			if m.MembIndex < n && m.Addrs[m.MembIndex-1] != src {
				fail("memb_index %d sent by %d, addrs %v", m.MembIndex, src, m.Addrs)
			}
			for i, e := range m.Entries {
				filled := uint32(i) < m.MembIndex
				if !filled && e != (CommitEntry{}) {
					fail("unfilled entry %d = %+v", i, e)
				}
				// A member reports the aru of its old ring: every mcast of
				// that ring went out in the capture, so it is the ring's
				// highest mcast seq.
				if filled && (e.ARU != uint32(len(mcastSeqs[e.RingID])) || e.HighDelivered != e.ARU || e.ReceivedFlg != 1) {
					fail("entry %d = %+v, old ring had %d mcasts", i, e, len(mcastSeqs[e.RingID]))
				}
			}
			// The new ring's seq is the highest seq seen in joins plus 4.
			if m.RingID.Seq != maxJoinSeq+4 {
				fail("ring seq %#x, highest join ring_seq %#x", m.RingID.Seq, maxJoinSeq)
			}
			if m.TokenSeq == 0 || h.Encapsulated != 0 {
				fail("token_seq %d encapsulated %d", m.TokenSeq, h.Encapsulated)
			}
		case *TokenHoldCancel:
			if _, ok := rings[m.RingID]; !ok {
				fail("hold cancel for ring %v", m.RingID)
			}
		}
	}
	for id := range rings {
		if tokenRings[id] == 0 || commitRings[id] == 0 {
			t.Errorf("ring %v: %d tokens, %d commit tokens", id, tokenRings[id], commitRings[id])
		}
	}
	// Sequence numbers are handed out by the token: the mcasts of a ring
	// carry exactly 1..N, where N is the token's final seq. (Singleton rings
	// have no token on the wire but their seqs must still be contiguous.)
	for id, seqs := range mcastSeqs {
		n := uint32(len(seqs))
		if !seqs[1] || !seqs[n] {
			t.Errorf("ring %v: mcast seqs not 1..%d", id, n)
		}
		if _, multi := rings[id]; multi && highSeq[id] != n {
			t.Errorf("ring %v: %d mcasts, token seq reached %d", id, n, highSeq[id])
		}
	}
	if len(mcastSeqs) != 8 {
		t.Errorf("mcasts in %d rings, want 8 (4 shared + 4 singleton)", len(mcastSeqs))
	}
	if got, want := len(tokenRings)+len(commitRings), 2*len(rings); got != want {
		t.Errorf("token rings %v, commit rings %v", tokenRings, commitRings)
	}
	wantSeqs := []uint64{0x95, 0x99, 0x9d, 0xa1, 0xa2, 0xa5, 0xa6, 0xaa, 0xae, 0xb2}
	if got := slices.Sorted(func(yield func(uint64) bool) {
		for s := range joinSeqs {
			if !yield(s) {
				return
			}
		}
	}); !slices.Equal(got, wantSeqs) {
		t.Errorf("join ring_seq values %#x, want %#x", got, wantSeqs)
	}
	// Each LEAVE goes to the two other nodes: node 2 leaves, then node 1 and
	// node 3 as the capture ends.
	if !slices.Equal(leaves, []uint32{2, 2, 1, 1, 3, 3}) {
		t.Errorf("leaves from %v", leaves)
	}
	// corosync 3.1.7 only fills target_nodeid for knet; over udpu it is
	// uninitialised memory in tokens, joins and merge-detects. It must be
	// preserved, never interpreted.
	for _, typ := range []MessageType{TypeMcast, TypeCommitToken, TypeTokenHoldCancel} {
		if garbage[typ] != 0 {
			t.Errorf("%s: %d frames with nonzero target_nodeid", typ, garbage[typ])
		}
	}
	t.Logf("frames with garbage target_nodeid: %v", garbage)
}
