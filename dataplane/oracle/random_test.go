package oracle

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// genStable builds the logs of a random valid run on a stable ring of
// nNodes: nodes send (a quarter of the messages safe), a token stamps each
// sender's oldest pending message into one global order, and each node
// delivers a prefix of that order. Causality and sender FIFO hold by
// construction: a message is stamped after everything its sender had
// delivered when sending it. With drained, everything is stamped and
// delivered everywhere at the end.
func genStable(rng *rand.Rand, nNodes, nMsgs int, drained bool) []Log {
	nodes := make([]uint32, nNodes)
	for i := range nodes {
		nodes[i] = uint32(i + 1)
	}
	ring := RingID{Rep: 1, Seq: 1 + rng.Uint64N(100)}
	var c clock
	r := NewRecorder(nodes)
	for _, n := range nodes {
		r.Conf(n, c.now(), Transitional, ring, nil, nil, nil)
		r.Conf(n, c.now(), Regular, ring, nodes, nil, nodes)
	}
	type msg struct {
		id     uint64
		sender uint32
		safe   bool
	}
	pending := make([][]msg, nNodes)
	var order []msg
	next := make([]int, nNodes)
	base := rng.Uint64N(1 << 40)
	sent := 0
	deliver := func(q int) {
		m := order[next[q]]
		next[q]++
		var held []uint32
		if m.safe {
			held = nodes
		}
		r.Deliver(nodes[q], c.now(), m.sender, m.id, m.safe, held)
	}
	steps := 0
	for sent < nMsgs {
		steps++
		switch k := rng.IntN(10); {
		case k < 3:
			s := rng.IntN(nNodes)
			m := msg{id: base + uint64(sent)*7, sender: nodes[s], safe: rng.IntN(4) == 0}
			sent++
			r.Send(m.sender, c.now(), m.id, m.safe)
			pending[s] = append(pending[s], m)
		case k < 5:
			s := rng.IntN(nNodes)
			if len(pending[s]) > 0 {
				order = append(order, pending[s][0])
				pending[s] = pending[s][1:]
			}
		default:
			q := rng.IntN(nNodes)
			if next[q] < len(order) {
				deliver(q)
			}
		}
	}
	if drained {
		for s := range pending {
			order = append(order, pending[s]...)
		}
		for q := range nodes {
			for next[q] < len(order) {
				deliver(q)
			}
		}
	}
	return r.Logs()
}

func TestRandomStableClean(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		drained := seed%2 == 0
		logs := genStable(rng, 1+rng.IntN(9), 1+rng.IntN(200), drained)
		if vs := Check(logs, Options{StableRing: true, Drained: drained}); vs != nil {
			t.Errorf("seed %d: clean run reported %d violations", seed, len(vs))
			dump(t, vs[:min(len(vs), 5)])
		}
	}
}

// mutate breaks a drained stable run in one random way and returns the
// invariant that must then be reported.
func mutate(t *testing.T, rng *rand.Rand, logs []Log) (string, string) {
	for {
		l := &logs[rng.IntN(len(logs))]
		var dels, sends []int
		for i, e := range l.Events {
			switch e.Kind {
			case EventDeliver:
				dels = append(dels, i)
			case EventSend:
				sends = append(sends, i)
			}
		}
		if len(dels) == 0 {
			continue
		}
		d := dels[rng.IntN(len(dels))]
		last := l.Events[len(l.Events)-1].Time
		switch rng.IntN(8) {
		case 0: // swap two deliveries: the others deliver both in order
			if len(logs) < 2 || len(dels) < 2 {
				continue
			}
			e := dels[rng.IntN(len(dels))]
			if e == d {
				continue
			}
			a, b := &l.Events[d], &l.Events[e]
			a.MsgID, b.MsgID = b.MsgID, a.MsgID
			a.Sender, b.Sender = b.Sender, a.Sender
			a.Safe, b.Safe = b.Safe, a.Safe
			a.HeldBy, b.HeldBy = b.HeldBy, a.HeldBy
			return "E10", "swap"
		case 1:
			l.Events = slices.Delete(l.Events, d, d+1)
			return "L1", "drop"
		case 2:
			ev := l.Events[d]
			ev.Time = last
			l.Events = append(l.Events, ev)
			return "E7", "duplicate"
		case 3:
			if len(logs) < 2 {
				continue
			}
			l.Events[d].Sender = l.Events[d].Sender%uint32(len(logs)) + 1
			return "E8", "sender"
		case 4:
			l.Events[d].MsgID = ^uint64(0) // generated ids stay below 2^41
			return "E8", "unknown"
		case 5:
			if !l.Events[d].Safe {
				continue
			}
			h := slices.Clone(l.Events[d].HeldBy)
			i := rng.IntN(len(h))
			l.Events[d].HeldBy = slices.Delete(h, i, i+1)
			return "SAFE", "heldby"
		case 6:
			ring := RingID{Rep: l.Node, Seq: 1000}
			l.Events = append(l.Events,
				Event{Kind: EventConf, Time: last, Conf: Transitional, Ring: ring, Members: []uint32{l.Node}, Left: nil},
				Event{Kind: EventConf, Time: last, Conf: Regular, Ring: ring, Members: []uint32{l.Node}})
			return "L5", "conf"
		case 7:
			if len(sends) == 0 {
				continue
			}
			s := sends[rng.IntN(len(sends))]
			l.Events = slices.Delete(l.Events, s, s+1)
			return "E8", "unsent"
		}
	}
}

func TestRandomStableMutated(t *testing.T) {
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 2))
		logs := genStable(rng, 1+rng.IntN(9), 1+rng.IntN(200), true)
		want, how := mutate(t, rng, logs)
		vs := Check(logs, Options{StableRing: true, Drained: true})
		if len(vs) == 0 {
			t.Errorf("seed %d: mutation %s went unnoticed", seed, how)
			continue
		}
		if !slices.Contains(invariants(vs), want) {
			t.Errorf("seed %d: mutation %s broke %v, expected %s among them", seed, how, invariants(vs), want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	logs := genStable(rand.New(rand.NewPCG(1, 1)), 9, 5000, true)
	if vs := Check(logs, Options{StableRing: true, Drained: true}); vs != nil {
		b.Fatalf("benchmark run not clean: %v", vs[0])
	}
	b.ReportAllocs()
	for b.Loop() {
		Check(logs, Options{StableRing: true, Drained: true})
	}
}

func BenchmarkRecord(b *testing.B) {
	nodes := []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	b.ReportAllocs()
	for b.Loop() {
		r := NewRecorder(nodes)
		for m := range uint64(1000) {
			for _, n := range nodes {
				r.Deliver(n, int64(m), 1, m, true, nodes)
			}
		}
	}
}

// TestCheckNeverPanics feeds Check logs mangled at random (events dropped,
// moved, retyped, lists scrambled): whatever the simulator records, the
// oracle must report, not crash.
func TestCheckNeverPanics(t *testing.T) {
	bases := []func() []Log{cleanStable, cleanScenario, cleanCausal}
	lists := [][]uint32{nil, {1}, {3, 1}, {1, 2, 3}, {2, 2}, {1, 2, 3, 4}}
	for seed := range uint64(2000) {
		rng := rand.New(rand.NewPCG(seed, 3))
		logs := cloneLogs(bases[rng.IntN(len(bases))]())
		for range 1 + rng.IntN(6) {
			l := &logs[rng.IntN(len(logs))]
			if len(l.Events) == 0 {
				continue
			}
			i := rng.IntN(len(l.Events))
			e := &l.Events[i]
			switch rng.IntN(8) {
			case 0:
				l.Events = slices.Delete(l.Events, i, i+1)
			case 1:
				moveEv(l, i, rng.IntN(len(l.Events)))
			case 2:
				e.Kind = EventKind(rng.IntN(6))
			case 3:
				e.Conf = ConfKind(rng.IntN(4))
			case 4:
				e.Members = lists[rng.IntN(len(lists))]
				e.Left = lists[rng.IntN(len(lists))]
			case 5:
				e.Ring = RingID{Rep: uint32(rng.IntN(4)), Seq: uint64(rng.IntN(9))}
			case 6:
				e.MsgID = uint64(rng.IntN(12))
				e.Sender = uint32(rng.IntN(5))
			case 7:
				e.Time = int64(rng.IntN(400))
				e.Safe = !e.Safe
			}
		}
		for _, opt := range []Options{{}, stableDrained} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("seed %d: Check panicked: %v", seed, p)
					}
				}()
				for _, v := range Check(logs, opt) {
					if v.Invariant == "" || v.Detail == "" {
						t.Fatalf("seed %d: empty report %+v", seed, v)
					}
				}
			}()
		}
	}
}
