package totem

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/dataplane/wire"
)

func TestStartDeliversInitialConfiguration(t *testing.T) {
	r := newTestRing(t, 3, nil)
	for i, confs := range r.confs {
		if len(confs) != 2 {
			t.Fatalf("node %d: %d confchgs, want TRANS+REG", i+1, len(confs))
		}
		trans, reg := confs[0], confs[1]
		if trans.Kind != Transitional || len(trans.Members) != 0 || reg.Kind != Regular {
			t.Errorf("node %d: first confchgs %+v %+v", i+1, trans, reg)
		}
		if !slices.Equal(reg.Members, []uint32{1, 2, 3}) || !slices.Equal(reg.Joined, reg.Members) || len(reg.Left) != 0 {
			t.Errorf("node %d: REG %+v", i+1, reg)
		}
	}
}

func TestAgreedOrderIsTheSameEverywhere(t *testing.T) {
	r := newTestRing(t, 3, nil)
	const per = 40
	for i := range per {
		for id := uint32(1); id <= 3; id++ {
			r.submit(id, fmt.Sprintf("n%d-m%d", id, i), Agreed)
		}
	}
	if !r.run(100000, 1000, r.allDelivered(3*per)) {
		t.Fatalf("not delivered: %d %d %d", len(r.delivered[0]), len(r.delivered[1]), len(r.delivered[2]))
	}
	for i := 1; i < 3; i++ {
		if !slices.Equal(r.delivered[0], r.delivered[i]) {
			t.Fatalf("node %d delivered a different sequence than node 1", i+1)
		}
	}
	// Sequence numbers are contiguous from 1 and each sender's order holds.
	next := map[uint32]int{}
	for k, d := range r.delivered[0] {
		if d.seq != uint32(k+1) {
			t.Fatalf("delivery %d has seq %d", k, d.seq)
		}
		want := fmt.Sprintf("n%d-m%d", d.sender, next[d.sender])
		if d.payload != want {
			t.Fatalf("delivery %d: %q, want %q (sender FIFO)", k, d.payload, want)
		}
		next[d.sender]++
	}
}

func TestLostMcastIsRetransmittedAndOrderKept(t *testing.T) {
	r := newTestRing(t, 3, nil)
	dropped := 0
	// Node 3 loses the first copy of every mcast with an odd seq.
	seen := map[uint32]bool{}
	r.drop = func(from, to uint32, frame []byte) bool {
		var m wire.Mcast
		if to != 3 || m.Decode(frame) != nil || m.Seq%2 == 0 || seen[m.Seq] {
			return false
		}
		seen[m.Seq] = true
		dropped++
		return true
	}
	for i := range 30 {
		r.submit(1, fmt.Sprintf("m%d", i), Agreed)
	}
	if !r.run(100000, 1000, r.allDelivered(30)) {
		t.Fatalf("node 3 delivered %d of 30", len(r.delivered[2]))
	}
	if dropped == 0 || r.node(3).Stats().McastRx < 30 {
		t.Fatalf("the test dropped nothing (%d) or node 3 received too little", dropped)
	}
	if r.node(1).Stats().McastRetx == 0 {
		t.Fatal("no retransmission was served")
	}
	if !slices.Equal(r.delivered[0], r.delivered[2]) {
		t.Fatal("node 3 delivered a different sequence after retransmission")
	}
}

func TestSafeWaitsUntilEveryMemberHoldsIt(t *testing.T) {
	r := newTestRing(t, 3, nil)
	// Node 3 never receives mcast seq 1 until we allow it.
	block := true
	r.drop = func(from, to uint32, frame []byte) bool {
		var m wire.Mcast
		return block && to == 3 && m.Decode(frame) == nil && m.Seq == 1
	}
	r.submit(1, "safe-1", Safe)
	r.submit(1, "agreed-2", Agreed)
	// Enough rotations for an agreed message to be delivered everywhere
	// that has it, and for the safe one to be delivered nowhere.
	r.run(2000, 1000, func() bool { return false })
	for i := range 2 {
		if len(r.delivered[i]) != 0 {
			t.Fatalf("node %d delivered %v while node 3 lacks the safe message", i+1, r.delivered[i])
		}
	}
	block = false
	if !r.run(100000, 1000, r.allDelivered(2)) {
		t.Fatal("safe message never delivered after node 3 recovered it")
	}
	for i := range 3 {
		if got := r.delivered[i]; got[0].payload != "safe-1" || !got[0].safe || got[1].payload != "agreed-2" {
			t.Fatalf("node %d delivered %v", i+1, got)
		}
	}
}

func TestAgreedDoesNotWaitForSlowMember(t *testing.T) {
	r := newTestRing(t, 3, nil)
	r.drop = func(from, to uint32, frame []byte) bool {
		var m wire.Mcast
		return to == 3 && m.Decode(frame) == nil && m.Seq == 1
	}
	r.submit(1, "agreed-1", Agreed)
	r.run(200, 1000, func() bool { return len(r.delivered[1]) == 1 })
	if len(r.delivered[1]) != 1 {
		t.Fatal("node 2 did not deliver an agreed message it holds")
	}
	if len(r.delivered[2]) != 0 {
		t.Fatal("node 3 delivered past a gap")
	}
}

func TestIdleRingHoldsTokenAndCancelReleasesIt(t *testing.T) {
	r := newTestRing(t, 3, nil)
	// Let the ring go idle until the representative holds the token.
	r.run(5000, 1000, func() bool { return r.node(1).holdAt != NoDeadline })
	if r.node(1).holdAt == NoDeadline {
		t.Fatal("idle representative never held the token")
	}
	if !r.node(2).tokenHeld {
		t.Fatal("idle non-representative did not note the hold")
	}
	before := r.now
	r.submit(2, "wake", Agreed)
	if r.node(2).Stats().HoldCancelTx != 1 {
		t.Fatal("submission on an idle ring sent no hold cancel")
	}
	if !r.run(1000, 1000, r.allDelivered(1)) {
		t.Fatal("message not delivered after hold cancel")
	}
	if r.now-before >= r.node(1).cfg.Timers.HoldNs {
		t.Fatalf("delivery took %d ns, not faster than the hold timer %d", r.now-before, r.node(1).cfg.Timers.HoldNs)
	}
}

func TestTokenRetransmitRecoversLostToken(t *testing.T) {
	r := newTestRing(t, 3, nil)
	lost := false
	r.drop = func(from, to uint32, frame []byte) bool {
		if !lost && frame[3] == byte(wire.TypeOrfToken) && from == 2 {
			lost = true
			return true
		}
		return false
	}
	r.submit(3, "after-loss", Agreed)
	if !r.run(100000, 1000, r.allDelivered(1)) {
		t.Fatal("ring did not survive one lost token")
	}
	if !lost || r.node(2).Stats().TokenRetransmits == 0 {
		t.Fatal("token was not lost or not retransmitted")
	}
	for _, n := range r.nodes {
		if n.Stats().TokenLosses != 0 {
			t.Fatal("a retransmitted token still counted as a loss")
		}
	}
}

func TestFlowControlBoundsOneVisit(t *testing.T) {
	r := newTestRing(t, 2, nil)
	for i := range 100 {
		r.submit(1, fmt.Sprint(i), Agreed)
	}
	maxPerToken := 0
	r.drop = nil
	sent := 0
	for range 10000 {
		if len(r.queue) == 0 {
			break
		}
		q := r.queue[0]
		r.queue = r.queue[1:]
		r.now += 1000
		n := r.node(q.to)
		_ = n.Step(r.now, q.data)
		rd := n.Ready()
		mc := 0
		for _, f := range rd.Frames {
			if f.Data[3] == byte(wire.TypeMcast) {
				mc++
			}
		}
		maxPerToken = max(maxPerToken, mc)
		sent += mc
		r.collect(n)
	}
	if maxPerToken > DefaultMaxMessages {
		t.Fatalf("one visit broadcast %d > max_messages %d", maxPerToken, DefaultMaxMessages)
	}
	if sent < 100 {
		t.Fatalf("only %d of 100 broadcast", sent)
	}
}

func TestSubmitErrors(t *testing.T) {
	n, err := New(Config{NodeID: 1, Ring: wire.RingID{Rep: 1, Seq: 4}, Members: []uint32{1, 2}, SendQueueCapacity: 2, SortQueueSize: 128})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Submit([]byte("x"), Agreed); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("before start: %v", err)
	}
	n.Start(0)
	if err := n.Submit(make([]byte, MaxPayload(DefaultNetMTU)+1), Agreed); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	for range 2 {
		if err := n.Submit([]byte("x"), Agreed); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Submit([]byte("x"), Agreed); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("full queue: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	good := Config{NodeID: 2, Ring: wire.RingID{Rep: 1, Seq: 4}, Members: []uint32{1, 2, 3}}
	cases := map[string]func(*Config){
		"zero id":        func(c *Config) { c.NodeID = 0 },
		"not a member":   func(c *Config) { c.NodeID = 9 },
		"unsorted":       func(c *Config) { c.Members = []uint32{2, 1, 3} },
		"duplicate":      func(c *Config) { c.Members = []uint32{1, 2, 2} },
		"rep not lowest": func(c *Config) { c.Ring.Rep = 2 },
		"queue not pow2": func(c *Config) { c.SortQueueSize = 1000 },
		"tiny mtu":       func(c *Config) { c.NetMTU = 100 },
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range cases {
		c := good
		c.Members = slices.Clone(good.Members)
		mutate(&c)
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: got %v, want ErrConfig", name, err)
		}
	}
}

func TestTimerDerivationsMatchCorosync(t *testing.T) {
	// Worked examples of spec §3.13.
	for _, c := range []struct {
		nodes                              int
		token, retransmit, hold, consensus int64
	}{
		{2, 3000, 714, 561, 3600},
		{3, 3650, 869, 685, 4380},
		{5, 4950, 1178, 932, 5940},
	} {
		tm := TimersFor(DefaultTimerParams(c.nodes))
		got := []int64{tm.TokenNs / 1e6, tm.TokenRetransmitNs / 1e6, tm.HoldNs / 1e6, tm.ConsensusNs / 1e6}
		want := []int64{c.token, c.retransmit, c.hold, c.consensus}
		if !slices.Equal(got, want) {
			t.Errorf("%d nodes: got %v, want %v", c.nodes, got, want)
		}
	}
}

func TestMalformedFramesAreCountedNotFatal(t *testing.T) {
	r := newTestRing(t, 2, nil)
	n := r.node(2)
	for _, frame := range [][]byte{nil, {0x70, 0xc0}, make([]byte, 13), {0x70, 0xc0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}} {
		if err := n.Step(r.now, frame); err == nil {
			t.Errorf("frame %x accepted", frame)
		}
	}
	if n.Stats().DecodeErrors != 4 {
		t.Fatalf("decode errors %d, want 4", n.Stats().DecodeErrors)
	}
	r.submit(1, "still-works", Agreed)
	if !r.run(10000, 1000, r.allDelivered(1)) {
		t.Fatal("ring broken by malformed frames")
	}
}

func TestBigEndianPeerFramesAreUnderstood(t *testing.T) {
	r := newTestRing(t, 2, nil)
	// Let node 1 broadcast one message, then hand node 2 a big-endian
	// re-encoding of the same frame instead of the original.
	r.submit(1, "from-a-big-endian-host", Agreed)
	r.drop = func(from, to uint32, frame []byte) bool {
		if frame[3] != byte(wire.TypeMcast) {
			return false
		}
		var m wire.Mcast
		if err := m.Decode(frame); err != nil {
			t.Fatal(err)
		}
		m.BigEndian = true
		be := make([]byte, m.Size())
		if _, err := m.Encode(be); err != nil {
			t.Fatal(err)
		}
		r.queue = append(r.queue, queued{from: from, to: to, data: be})
		return true
	}
	if !r.run(10000, 1000, r.allDelivered(1)) {
		t.Fatal("big-endian frame not delivered")
	}
	d := r.delivered[1][0]
	if d.payload != "from-a-big-endian-host" || d.sender != 1 {
		t.Fatalf("delivered %+v", d)
	}
}

// TestFlowControlWindowAndFairShare saturates three nodes: the token's fcc
// never exceeds window_size, one visit never exceeds max_messages, and the
// backlog fair share lets every node make progress in every stretch of ten
// rotations.
func TestFlowControlWindowAndFairShare(t *testing.T) {
	r := newTestRing(t, 3, func(c *Config) { c.SendQueueCapacity = 400 })
	for i := range 300 {
		for id := uint32(1); id <= 3; id++ {
			r.submit(id, fmt.Sprintf("%d-%d", id, i), Agreed)
		}
	}
	var tok wire.OrfToken
	tokens := 0
	r.drop = func(from, to uint32, frame []byte) bool {
		if frame[3] == byte(wire.TypeOrfToken) {
			if err := tok.Decode(frame); err != nil {
				t.Fatal(err)
			}
			if tok.FCC > DefaultWindowSize {
				t.Fatalf("token fcc %d > window %d", tok.FCC, DefaultWindowSize)
			}
			tokens++
		}
		return false
	}
	lastSent := [3]uint64{}
	for rotation := 0; rotation < 40 && !r.allDelivered(900)(); rotation++ {
		r.run(30*3, 1000, func() bool { return false })
		if rotation%10 == 9 {
			for i, n := range r.nodes {
				if n.Pending() > 0 && n.Stats().McastTx == lastSent[i] {
					t.Fatalf("node %d starved for ten rotations with %d pending", i+1, n.Pending())
				}
				lastSent[i] = n.Stats().McastTx
			}
		}
	}
	if !r.run(100000, 1000, r.allDelivered(900)) {
		t.Fatal("saturated ring did not deliver everything")
	}
	if tokens == 0 {
		t.Fatal("no token observed")
	}
}

// idleUntilHeld runs an idle ring until the representative holds the token.
func idleUntilHeld(t *testing.T, r *testRing) {
	t.Helper()
	r.run(5000, 1000, func() bool { return r.node(1).holdAt != NoDeadline })
	if r.node(1).holdAt == NoDeadline {
		t.Fatal("idle representative never held the token")
	}
}

func TestRepresentativeSubmitOnIdleRingIsNotHeldAgain(t *testing.T) {
	r := newTestRing(t, 3, nil)
	idleUntilHeld(t, r)
	before := r.now
	r.submit(1, "from-the-rep", Safe)
	if r.node(1).Stats().HoldCancelTx != 1 || r.node(1).seqUnchanged != 0 {
		t.Fatal("the representative did not cancel its own hold")
	}
	if !r.run(1000, 1000, r.allDelivered(1)) {
		t.Fatal("not delivered")
	}
	if took := r.now - before; took >= r.node(1).cfg.Timers.HoldNs {
		t.Fatalf("safe message from the representative took %d ns, not less than hold %d", took, r.node(1).cfg.Timers.HoldNs)
	}
}

func TestSubmitBetweenReadyAndAdvanceIsKept(t *testing.T) {
	r := newTestRing(t, 3, nil)
	idleUntilHeld(t, r)
	n := r.node(2)
	rd := n.Ready()
	seen := len(rd.Frames)
	if err := n.Submit([]byte("reply"), Agreed); err != nil {
		t.Fatal(err)
	}
	n.Signal() // adds a hold cancel after the caller took the batch
	n.Advance()
	rd = n.Ready()
	if seen != 0 || len(rd.Frames) != 1 || rd.Frames[0].Data[3] != byte(wire.TypeTokenHoldCancel) {
		t.Fatalf("batch before %d frames, after Advance %d frames: the hold cancel was lost", seen, len(rd.Frames))
	}
	r.collect(n)
	if !r.run(1000, 1000, r.allDelivered(1)) {
		t.Fatal("not delivered")
	}
}

// TestImpossibleTokensAreDropped: a token of our own ring whose numbers no
// correct member produces is counted and dropped; it must neither release
// undelivered messages nor move the safe bound nor wedge the ring.
func TestImpossibleTokensAreDropped(t *testing.T) {
	r := newTestRing(t, 3, nil)
	r.submit(1, "one", Agreed)
	r.run(1000, 1000, r.allDelivered(1))
	n := r.node(2)
	hostile := []wire.OrfToken{
		{Seq: n.highSeqReceived, ARU: n.highSeqReceived + 1<<31, ARUAddr: 1},
		{Seq: n.highSeqReceived + 1_000_000, ARU: n.highSeqReceived, ARUAddr: 1},
		{Seq: n.highSeqReceived - 1, ARU: 0, ARUAddr: 1},
	}
	for i, tok := range hostile {
		tok.RingID, tok.TokenSeq = n.ring, n.myTokenSeq+1
		b := make([]byte, tok.Size())
		if _, err := tok.Encode(b); err != nil {
			t.Fatal(err)
		}
		before := n.Stats().TokensCorrupt
		if err := n.Step(r.now, b); err != nil {
			t.Fatal(err)
		}
		r.collect(n)
		if n.Stats().TokensCorrupt != before+1 {
			t.Fatalf("hostile token %d was accepted", i)
		}
		if seqLT(n.highDelivered, n.regularQ.released) || seqLT(n.highSeqReceived, n.safeThrough) {
			t.Fatalf("hostile token %d broke invariants: released %d delivered %d safe %d high %d",
				i, n.regularQ.released, n.highDelivered, n.safeThrough, n.highSeqReceived)
		}
	}
	r.submit(3, "two", Agreed)
	if !r.run(10000, 1000, r.allDelivered(2)) {
		t.Fatal("ring wedged by hostile tokens")
	}
}
