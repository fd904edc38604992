package totem

import (
	"testing"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// FuzzNodeStep feeds arbitrary frames — most of them well-formed frames of
// the node's own ring with hostile field values — to a node in a running
// ring. The node must never panic, must keep its invariants, and the ring
// must still order a message afterwards.
func FuzzNodeStep(f *testing.F) {
	ring := wire.RingID{Rep: 1, Seq: 8}
	tok := wire.OrfToken{Seq: 3, TokenSeq: 7, ARU: 2, ARUAddr: 2, RingID: ring, FCC: 60, Backlog: 9,
		RTRList: []wire.RTRItem{{RingID: ring, Seq: 1}, {RingID: ring, Seq: 40000}}}
	mc := wire.Mcast{SystemFrom: 3, Seq: 2, RingID: ring, Guarantee: 1, Payload: []byte("payload")}
	hc := wire.TokenHoldCancel{RingID: ring}
	for _, m := range []interface {
		Size() int
		Encode([]byte) (int, error)
	}{&tok, &mc, &hc} {
		b := make([]byte, m.Size())
		if _, err := m.Encode(b); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Numbers exactly 2^31 apart fool serial comparisons both ways.
	for _, hostile := range []wire.OrfToken{
		{Seq: 1, ARU: 1 + 1<<31, TokenSeq: 7, RingID: ring},
		{Seq: 1 << 31, ARU: 1, TokenSeq: 7, RingID: ring},
		{Seq: 0, ARU: 1 << 31, TokenSeq: 7, RingID: ring},
	} {
		b := make([]byte, hostile.Size())
		if _, err := hostile.Encode(b); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x70, 0xc0, 3, 9})
	f.Fuzz(func(t *testing.T, frame []byte) {
		r := newTestRing(t, 3, nil)
		r.submit(2, "before", Agreed)
		r.run(200, 1000, r.allDelivered(1))
		n := r.node(2)
		_ = n.Step(r.now, frame)
		r.collect(n)
		if !within(n.regularQ.released, n.highDelivered, n.myARU) || !within(n.myARU, n.highSeqReceived, n.myARU+uint32(len(n.regularQ.slots))) ||
			!within(n.regularQ.released, n.safeThrough, n.highSeqReceived) {
			t.Fatalf("invariant broken: released %d delivered %d aru %d high %d safe %d",
				n.regularQ.released, n.highDelivered, n.myARU, n.highSeqReceived, n.safeThrough)
		}
		// The hostile frame must not have made node 2 deliver twice or
		// out of order.
		seen := map[uint32]bool{}
		for _, d := range r.delivered[1] {
			if seen[d.seq] {
				t.Fatalf("seq %d delivered twice", d.seq)
			}
			seen[d.seq] = true
		}
	})
}
