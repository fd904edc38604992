package totem

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/dataplane/wire"
)

func newMembershipRing(t *testing.T, n int) *testRing {
	t.Helper()
	return newTestRing(t, n, func(c *Config) {
		c.Members, c.Ring = nil, wire.RingID{}
		c.Timers = TimersFor(TimerParams{TokenMs: 1000, TokenCoefficientMs: 650, TokenRetransmitsBeforeLossConst: 4, JoinMs: 50, MergeMs: 200, Nodes: n})
	})
}

// operationalWith reports whether every listed node is OPERATIONAL on one
// ring whose members are exactly ids.
func (r *testRing) operationalWith(ids ...uint32) func() bool {
	return func() bool {
		ring := r.node(ids[0]).RingID()
		for _, id := range ids {
			n := r.node(id)
			if n.State() != StateOperational || n.RingID() != ring || !slices.Equal(n.Members(), ids) {
				return false
			}
		}
		return true
	}
}

func lastConf(confs []ConfChange) ConfChange { return confs[len(confs)-1] }

func TestMembershipFormsOneRing(t *testing.T) {
	r := newMembershipRing(t, 3)
	if !r.run(100000, 100_000, r.operationalWith(1, 2, 3)) {
		t.Fatalf("no common ring: states %v %v %v", r.node(1).State(), r.node(2).State(), r.node(3).State())
	}
	ring := r.node(1).RingID()
	if ring.Rep != 1 || ring.Seq < 4 {
		t.Fatalf("ring id %s", ring)
	}
	for i, confs := range r.confs {
		reg := lastConf(confs)
		trans := confs[len(confs)-2]
		if reg.Kind != Regular || reg.Ring != ring || !slices.Equal(reg.Members, []uint32{1, 2, 3}) {
			t.Fatalf("node %d: last confchg %+v", i+1, reg)
		}
		if trans.Kind != Transitional || trans.Ring != ring {
			t.Fatalf("node %d: TRANS before REG is %+v", i+1, trans)
		}
	}
	r.submit(2, "hello", Agreed)
	if !r.run(10000, 100_000, r.allDelivered(1)) {
		t.Fatal("new ring does not order messages")
	}
}

func TestMembershipSurvivesACrash(t *testing.T) {
	r := newMembershipRing(t, 3)
	if !r.run(100000, 100_000, r.operationalWith(1, 2, 3)) {
		t.Fatal("no ring")
	}
	for i := range 10 {
		r.submit(uint32(1+i%3), fmt.Sprint("before-", i), Agreed)
	}
	r.run(100000, 100_000, r.allDelivered(10))
	crashed := uint32(3)
	r.drop = func(from, to uint32, frame []byte) bool { return from == crashed || to == crashed }
	r.node(crashed).fail(nil)
	old := r.node(1).RingID()
	if !r.run(1_000_000, 100_000, r.operationalWith(1, 2)) {
		t.Fatalf("survivors did not re-form: %v %v", r.node(1).State(), r.node(2).State())
	}
	if r.node(1).RingID().Seq <= old.Seq {
		t.Fatal("ring seq did not grow")
	}
	for _, id := range []uint32{1, 2} {
		confs := r.confs[id-1]
		trans, reg := confs[len(confs)-2], lastConf(confs)
		if !slices.Equal(trans.Members, []uint32{1, 2}) || !slices.Equal(trans.Left, []uint32{3}) || len(reg.Joined) != 0 {
			t.Fatalf("node %d: TRANS %+v REG %+v", id, trans, reg)
		}
	}
	r.submit(1, "after", Safe)
	if !r.run(100000, 100_000, func() bool { return len(r.delivered[0]) == 11 && len(r.delivered[1]) == 11 }) {
		t.Fatal("no delivery after the crash")
	}
}

func TestMembershipLeaveIsFasterThanTokenLoss(t *testing.T) {
	r := newMembershipRing(t, 3)
	if !r.run(100000, 100_000, r.operationalWith(1, 2, 3)) {
		t.Fatal("no ring")
	}
	start := r.now
	r.node(2).Leave()
	r.collect(r.node(2))
	r.drop = func(from, to uint32, frame []byte) bool { return to == 2 }
	if !r.run(1_000_000, 100_000, r.operationalWith(1, 3)) {
		t.Fatal("no ring after leave")
	}
	if took := r.now - start; took >= r.node(1).cfg.Timers.TokenNs {
		t.Fatalf("leave took %d ms, not less than the token timeout", took/1e6)
	}
}

func TestRingSeqPersistsAcrossRestart(t *testing.T) {
	store := &MemoryStore{}
	cfg := Config{NodeID: 1, Store: store, Timers: TimersFor(DefaultTimerParams(2))}
	for round := range 3 {
		n, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(0); err != nil {
			t.Fatal(err)
		}
		// A lone node forms a singleton ring through the whole protocol.
		now := int64(0)
		for steps := 0; steps < 1000 && n.State() != StateOperational; steps++ {
			rd := n.Ready()
			var frames [][]byte
			for _, f := range rd.Frames {
				frames = append(frames, append([]byte(nil), f.Data...))
			}
			n.Advance()
			if len(frames) == 0 {
				now = n.Deadline()
				n.Tick(now)
				continue
			}
			for _, f := range frames {
				if f[3] != byte(wire.TypeJoin) && f[3] != byte(wire.TypeMergeDetect) {
					_ = n.Step(now, f)
				}
			}
		}
		if n.State() != StateOperational {
			t.Fatalf("round %d: singleton never became operational (%s)", round, n.State())
		}
		seq, _ := store.LoadRingSeq(1)
		if seq != n.RingID().Seq {
			t.Fatalf("round %d: stored %d, ring %s", round, seq, n.RingID())
		}
		if want := uint64(1 + 4 + round*5); seq != want {
			t.Fatalf("round %d: ring seq %d, want %d (+1 at start, +4 per ring)", round, seq, want)
		}
	}
}

func TestSendJoinDelaysEveryJoin(t *testing.T) {
	timers := TimersFor(DefaultTimerParams(2))
	timers.SendJoinNs = 100e6
	n, err := New(Config{NodeID: 2, Timers: timers, Jitter: func(max int64) int64 { return max * 2 / 5 }})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(0); err != nil {
		t.Fatal(err)
	}
	if rd := n.Ready(); len(rd.Frames) != 0 || rd.Deadline != 40e6 {
		t.Fatalf("at start: %d frames, deadline %d; want the JOIN held back to 40 ms", len(rd.Frames), rd.Deadline)
	}
	n.Advance()
	n.Tick(40e6)
	rd := n.Ready()
	// The JOIN goes out; alone, the node then commits to its singleton.
	if len(rd.Frames) == 0 || rd.Frames[0].Data[3] != byte(wire.TypeJoin) {
		t.Fatalf("after the jitter: %d frames, none a JOIN first", len(rd.Frames))
	}
	if _, err := New(Config{NodeID: 2, Timers: timers}); err == nil {
		t.Fatal("send_join without a jitter source was accepted")
	}
}

func TestHeartbeatTimerDerivation(t *testing.T) {
	p := DefaultTimerParams(2)
	if TimersFor(p).HeartbeatNs != 0 {
		t.Fatal("heartbeat on by default")
	}
	p.HeartbeatFailuresAllowed = 3 // 3 × 714 + 50 = 2192 ms < 3000 ms
	if got := TimersFor(p).HeartbeatNs; got != 2192e6 {
		t.Fatalf("heartbeat %d ms, want 2192", got/1e6)
	}
	p.HeartbeatFailuresAllowed = 5 // 5 × 714 + 50 > 3000: corosync turns it off
	if TimersFor(p).HeartbeatNs != 0 {
		t.Fatal("a heartbeat slower than the token timeout was kept")
	}
}

// TestNodeThatCannotReceiveExcludesItself: node 3 loses every mcast, so the
// token's aru stays at its value; after FailRecvConst such visits it leaves
// the ring by itself (corosync's deviation from the paper, §2.5 step 16)
// and the other two carry on without it.
func TestNodeThatCannotReceiveExcludesItself(t *testing.T) {
	r := newTestRing(t, 3, func(c *Config) {
		c.Members, c.Ring = nil, wire.RingID{}
		c.FailRecvConst = 10
		c.Timers = TimersFor(TimerParams{TokenMs: 1000, TokenCoefficientMs: 650, TokenRetransmitsBeforeLossConst: 4, JoinMs: 50, MergeMs: 200, Nodes: 3})
	})
	if !r.run(100000, 100_000, r.operationalWith(1, 2, 3)) {
		t.Fatal("no ring")
	}
	deaf := true
	r.drop = func(from, to uint32, frame []byte) bool {
		return deaf && to == 3 && frame[3] == byte(wire.TypeMcast)
	}
	r.submit(1, "unheard", Agreed)
	if !r.run(1_000_000, 100_000, func() bool { return r.node(3).Stats().FailedToReceive > 0 }) {
		t.Fatal("node 3 never noticed it cannot receive")
	}
	if !r.run(1_000_000, 100_000, r.operationalWith(1, 2)) {
		t.Fatal("nodes 1 and 2 did not form a ring without node 3")
	}
	if len(r.delivered[0]) != 1 || len(r.delivered[1]) != 1 {
		t.Fatal("the message was lost for the nodes that could receive it")
	}
}

func TestTimerOverrides(t *testing.T) {
	p := DefaultTimerParams(2)
	p.TokenRetransmitMs = 500 // a configured retransmit moves the derived hold
	p.ConsensusMs = 5000
	p.HeartbeatFailuresAllowed = 3 // 3 × 500 + 50 < 3000
	tm := TimersFor(p)
	if tm.TokenRetransmitNs != 500e6 || tm.HoldNs != 390e6 || tm.ConsensusNs != 5000e6 || tm.HeartbeatNs != 1550e6 {
		t.Fatalf("retransmit %d hold %d consensus %d heartbeat %d (ms)", tm.TokenRetransmitNs/1e6, tm.HoldNs/1e6, tm.ConsensusNs/1e6, tm.HeartbeatNs/1e6)
	}
	p.HoldMs = 100
	if TimersFor(p).HoldNs != 100e6 {
		t.Fatal("a configured hold was not kept")
	}
}
