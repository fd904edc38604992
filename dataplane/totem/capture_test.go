package totem

import (
	"bytes"
	"testing"

	"github.com/gorosync/gorosync/dataplane/internal/pcapfile"
	"github.com/gorosync/gorosync/dataplane/wire"
)

const corosyncCapture = "../../../shared/data/corosync-3.1.7-udpu/corosync-udpu-3node.pcap"

// TestReplayCorosyncRingAsNode2 puts our state machine in the place of
// node 2 of a real corosync 3.1.7 ring. It is fed, in capture order, every
// frame of ring 1.a1 that the real node 2 received, plus node 2's own
// multicasts (which the real node had from the moment it sent them), and
// must (1) accept every frame, (2) deliver exactly the ring's messages in
// sequence order with the captured payloads, and (3) forward tokens equal,
// field for field, to those the real node 2 forwarded — on every visit where
// the real node had nothing of its own to send (then its token differs by
// what it broadcast, which our replayed node cannot know).
func TestReplayCorosyncRingAsNode2(t *testing.T) {
	pkts, err := pcapfile.ReadUDPFile(corosyncCapture)
	if err != nil {
		t.Fatal(err)
	}
	ring := wire.RingID{Rep: 1, Seq: 0xa1}
	const me, successor = 2, 3
	node, err := New(Config{NodeID: me, Ring: ring, Members: []uint32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	node.Start(0)
	node.Advance()

	var (
		tok          wire.OrfToken
		mc           wire.Mcast
		ourTokens    = map[uint32]wire.OrfToken{} // by token_seq forwarded
		realTokens   []wire.OrfToken
		realReceived = map[uint32]uint32{} // token_seq forwarded -> seq received
		payloads     = map[uint32][]byte{}
		delivered    []uint32
		lastInSeq    uint32
	)
	inRing := func(p []byte) bool {
		switch p[3] {
		case byte(wire.TypeOrfToken):
			return tok.Decode(p) == nil && tok.RingID == ring
		case byte(wire.TypeMcast):
			return mc.Decode(p) == nil && mc.RingID == ring
		}
		return false
	}
	fed := 0
	for _, p := range pkts {
		src, dst := uint32(p.SrcIP[3]), uint32(p.DstIP[3])
		if !inRing(p.Payload) {
			continue
		}
		if p.Payload[3] == byte(wire.TypeMcast) {
			payloads[mc.Seq] = append([]byte(nil), mc.Payload...)
		}
		if p.Payload[3] == byte(wire.TypeOrfToken) && src == me && dst == successor {
			realTokens = append(realTokens, cloneToken(&tok))
			realReceived[tok.TokenSeq] = lastInSeq
			continue
		}
		if p.Payload[3] == byte(wire.TypeOrfToken) && dst == me {
			lastInSeq = tok.Seq
		}
		ownCopy := p.Payload[3] == byte(wire.TypeMcast) && src == me && dst == 1
		if dst != me && !ownCopy {
			continue
		}
		if err := node.Step(int64(p.Index)*1000, p.Payload); err != nil {
			t.Fatalf("frame %d rejected: %v", p.Index, err)
		}
		fed++
		rd := node.Ready()
		for _, f := range rd.Frames {
			if f.Data[3] == byte(wire.TypeOrfToken) && f.To == successor {
				if err := tok.Decode(f.Data); err != nil {
					t.Fatal(err)
				}
				ourTokens[tok.TokenSeq] = cloneToken(&tok)
			}
		}
		for _, ev := range rd.Events {
			if ev.Kind == EventDeliver {
				d := ev.Deliver
				if !bytes.Equal(d.Payload, payloads[d.Seq]) {
					t.Fatalf("seq %d delivered with a payload unlike the captured one", d.Seq)
				}
				delivered = append(delivered, d.Seq)
			}
		}
		node.Advance()
	}

	if fed < 3000 || len(realTokens) < 3000 {
		t.Fatalf("fed %d frames and saw %d real tokens: the capture was not replayed", fed, len(realTokens))
	}
	// (2) every message of the ring, in order: 109 + 9 + 10 in the capture.
	if len(delivered) != 128 {
		t.Fatalf("delivered %d messages, want 128", len(delivered))
	}
	for i, s := range delivered {
		if s != uint32(i+1) {
			t.Fatalf("delivery %d is seq %d", i, s)
		}
	}
	// (3) forwarded tokens match wherever node 2 broadcast nothing on this
	// visit or the one before (fcc carries the previous visit's count).
	compared, quietBefore := 0, false
	for _, real := range realTokens {
		quiet := realReceived[real.TokenSeq] == real.Seq
		ours, ok := ourTokens[real.TokenSeq]
		if quiet && quietBefore && ok {
			compared++
			if !sameToken(&ours, &real) {
				t.Fatalf("token_seq %d: ours %+v\nreal %+v", real.TokenSeq, ours, real)
			}
		}
		quietBefore = quiet
	}
	if compared < len(realTokens)*9/10 {
		t.Fatalf("compared only %d of %d forwarded tokens", compared, len(realTokens))
	}
	t.Logf("fed %d frames, delivered %d, compared %d of %d forwarded tokens", fed, len(delivered), compared, len(realTokens))
	if st := node.Stats(); st.DecodeErrors != 0 || st.TokenLosses != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func cloneToken(t *wire.OrfToken) wire.OrfToken {
	c := *t
	c.RTRList = append([]wire.RTRItem(nil), t.RTRList...)
	return c
}

// sameToken compares what SRP puts in a token; target_nodeid is
// uninitialised memory in corosync's udpu frames and is not compared.
func sameToken(a, b *wire.OrfToken) bool {
	return a.Seq == b.Seq && a.TokenSeq == b.TokenSeq && a.ARU == b.ARU && a.ARUAddr == b.ARUAddr &&
		a.RingID == b.RingID && a.Backlog == b.Backlog && a.FCC == b.FCC && a.RetransFlg == b.RetransFlg &&
		a.NodeID == b.NodeID && len(a.RTRList) == len(b.RTRList)
}
