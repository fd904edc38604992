package oracle

import (
	"slices"
	"strings"
	"testing"
)

var stableDrained = Options{StableRing: true, Drained: true}

func TestCleanLogsPass(t *testing.T) {
	for _, tc := range []struct {
		name string
		logs []Log
		opt  Options
	}{
		{"stable", cleanStable(), stableDrained},
		{"membership scenario", cleanScenario(), Options{Drained: true}},
		{"causal", cleanCausal(), Options{Drained: true}},
		{"empty", nil, stableDrained},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if vs := Check(tc.logs, tc.opt); vs != nil {
				t.Errorf("clean log reported %d violations", len(vs))
				dump(t, vs)
			}
		})
	}
}

// mutation is one broken copy of a clean log and the exact set of
// invariants it must break.
type mutation struct {
	name string
	base func() []Log
	opt  Options
	mut  func(t *testing.T, logs []Log)
	want []string
}

func TestMutations(t *testing.T) {
	scen := Options{Drained: true}
	cases := []mutation{
		{"swap two deliveries at one node", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			i, j := evAt(t, l, EventDeliver, 201), evAt(t, l, EventDeliver, 301)
			l.Events[i].MsgID, l.Events[j].MsgID = l.Events[j].MsgID, l.Events[i].MsgID
			l.Events[i].Sender, l.Events[j].Sender = l.Events[j].Sender, l.Events[i].Sender
		}, []string{"E10", "E11"}},
		{"swap two deliveries from one sender", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			i, j := evAt(t, l, EventDeliver, 101), evAt(t, l, EventDeliver, 102)
			l.Events[i].MsgID, l.Events[j].MsgID = l.Events[j].MsgID, l.Events[i].MsgID
		}, []string{"E10", "E11", "E13"}},
		{"deliver past a gap", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			i := evAt(t, l, EventDeliver, 301)
			l.Events = slices.Delete(l.Events, i, i+1)
		}, []string{"E11", "E13", "E14", "L1"}},
		{"deliver past a gap, not drained", cleanStable, Options{StableRing: true}, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			i := evAt(t, l, EventDeliver, 201)
			l.Events = slices.Delete(l.Events, i, i+1)
		}, []string{"E11", "E13", "E14"}},
		{"duplicate delivery", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			ev := l.Events[evAt(t, l, EventDeliver, 102)]
			ev.Time = l.Events[len(l.Events)-1].Time
			l.Events = append(l.Events, ev)
		}, []string{"E7"}},
		{"unknown message", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			l.Events = append(l.Events, Event{Kind: EventDeliver, Time: l.Events[len(l.Events)-1].Time, MsgID: 999, Sender: 2})
		}, []string{"E8"}},
		{"wrong sender", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			l.Events[evAt(t, l, EventDeliver, 201)].Sender = 3
		}, []string{"E8"}},
		{"delivered before sent", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			i := evAt(t, l, EventSend, 202)
			l.Events[i].Time = l.Events[len(l.Events)-1].Time + 1
			moveEv(l, i, len(l.Events)-1)
		}, []string{"E8"}},
		{"safe flag lost", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			i := evAt(t, l, EventDeliver, 302)
			l.Events[i].Safe, l.Events[i].HeldBy = false, nil
		}, []string{"E8"}},
		{"safe delivered before all held it", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			l.Events[evAt(t, l, EventDeliver, 302)].HeldBy = []uint32{1, 2}
		}, []string{"SAFE"}},
		{"membership event in a stable run", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			at := l.Events[len(l.Events)-1].Time
			next := RingID{Rep: 1, Seq: 8}
			l.Events = append(l.Events,
				Event{Kind: EventConf, Time: at, Conf: Transitional, Ring: next, Members: all123},
				Event{Kind: EventConf, Time: at, Conf: Regular, Ring: next, Members: all123})
		}, []string{"L5"}},
		{"crash in a stable run", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			l.Events = append(l.Events, Event{Kind: EventCrash, Time: l.Events[len(l.Events)-1].Time})
		}, []string{"L5"}},
		{"message never self-delivered", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			for i := range ls {
				l := &ls[i]
				j := evAt(t, l, EventDeliver, 102)
				l.Events = slices.Delete(l.Events, j, j+1)
			}
		}, []string{"L1"}},
		{"bad list algebra: joined", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			l.Events[confAt(t, l, Regular, ringS)].Joined = []uint32{1, 2}
		}, []string{"E4"}},
		{"bad list algebra: unsorted", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			l.Events[confAt(t, l, Regular, ringS)].Joined = []uint32{3, 1, 2}
		}, []string{"E4"}},
		{"bad list algebra: left", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			l.Events[confAt(t, l, Transitional, r2)].Left = nil
		}, []string{"E4"}},
		{"trans joined not empty", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			l.Events[confAt(t, l, Transitional, ringS)].Joined = []uint32{2}
		}, []string{"E1"}},
		{"REG without TRANS", cleanStable, Options{Drained: true}, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			i := confAt(t, l, Transitional, ringS)
			l.Events = slices.Delete(l.Events, i, i+1)
		}, []string{"E1"}},
		{"TRANS and REG rings differ", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			l.Events[confAt(t, l, Transitional, r3)].Ring = RingID{3, 3}
		}, []string{"E1"}},
		{"ring seq goes back after restart", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			back := RingID{2, 3}
			l.Events[confAt(t, l, Transitional, r5)].Ring = back
			l.Events[confAt(t, l, Regular, r5)].Ring = back
		}, []string{"E2"}},
		{"self not in TRANS", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			i := confAt(t, l, Transitional, r3)
			l.Events[i].Members, l.Events[i].Left = nil, all123
			l.Events[confAt(t, l, Regular, r3)].Joined = []uint32{3}
		}, []string{"E3"}},
		{"same ring, other members", cleanStable, Options{Drained: true}, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			four := []uint32{1, 2, 3, 4}
			i := confAt(t, l, Regular, ringS)
			l.Events[i].Members, l.Events[i].Joined = four, four
			l.Events[evAt(t, l, EventDeliver, 302)].HeldBy = four
		}, []string{"E5"}},
		{"transitional disagreement", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			i := confAt(t, l, Transitional, r4)
			l.Events[i].Members, l.Events[i].Left = []uint32{2}, []uint32{1}
			l.Events[confAt(t, l, Regular, r4)].Joined = []uint32{1, 3}
		}, []string{"E6"}},
		{"origin disagreement", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			i := evAt(t, l, EventDeliver, 6)
			ev := Event{Kind: EventDeliver, Time: l.Events[i].Time, MsgID: 5, Sender: 1}
			l.Events = slices.Insert(l.Events, i+1, ev)
		}, []string{"E9"}},
		{"sender not a member", cleanStable, Options{Drained: true}, func(t *testing.T, ls []Log) {
			var at int64
			for _, l := range ls {
				at = max(at, l.Events[len(l.Events)-1].Time)
			}
			ls = append(ls, Log{Node: 4, Events: []Event{
				{Kind: EventSend, Time: at, MsgID: 401, Sender: 4},
				{Kind: EventCrash, Time: at},
			}})
			for i := range ls[:3] {
				ls[i].Events = append(ls[i].Events, Event{Kind: EventDeliver, Time: at + 1, MsgID: 401, Sender: 4})
			}
			checkWant(t, ls, Options{Drained: true}, []string{"E9"})
		}, nil},
		{"failure atomicity", cleanScenario, scen, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 2)
			moveEv(l, confAt(t, l, Transitional, r2), evAt(t, l, EventDeliver, 4))
		}, []string{"E12"}},
		{"transitional filter", cleanScenario, scen, func(t *testing.T, ls []Log) {
			for _, n := range []uint32{1, 2} {
				l := logOf(t, ls, n)
				moveEv(l, confAt(t, l, Transitional, r2), evAt(t, l, EventDeliver, 3))
			}
		}, []string{"E15"}},
		{"causality", cleanCausal, Options{Drained: true}, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 3)
			i := evAt(t, l, EventDeliver, 1)
			l.Events = slices.Delete(l.Events, i, i+1)
		}, []string{"E14"}},
		{"delivery before the first CONF", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			moveEv(l, evAt(t, l, EventDeliver, 101), 0)
			l.Events[0].Time = 1
		}, []string{"E1", "E11", "E8"}},
		{"delivery in the first transitional configuration", func() []Log {
			ring := RingID{3, 9}
			return []Log{{Node: 3, Events: []Event{
				{Kind: EventConf, Time: 1, Conf: Transitional, Ring: ring},
				{Kind: EventSend, Time: 2, MsgID: 1, Sender: 3},
				{Kind: EventDeliver, Time: 3, MsgID: 1, Sender: 3},
				{Kind: EventConf, Time: 4, Conf: Regular, Ring: ring, Members: []uint32{3}, Joined: []uint32{3}},
			}}}
		}, Options{Drained: true}, func(*testing.T, []Log) {}, []string{"E9"}},
		{"time runs back", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			l.Events[confAt(t, l, Regular, ringS)].Time = 1
		}, []string{"LOG"}},
		{"message id sent twice", cleanStable, stableDrained, func(t *testing.T, ls []Log) {
			l := logOf(t, ls, 1)
			i := evAt(t, l, EventSend, 102)
			l.Events = slices.Insert(l.Events, i+1, l.Events[i])
		}, []string{"LOG"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := cloneLogs(tc.base())
			tc.mut(t, logs)
			if tc.want != nil {
				checkWant(t, logs, tc.opt, tc.want)
			}
		})
	}
}

// checkWant asserts the exact set of invariants the logs break, and that
// every report names a node and carries a detail.
func checkWant(t *testing.T, logs []Log, opt Options, want []string) {
	t.Helper()
	vs := Check(logs, opt)
	if got := invariants(vs); !slices.Equal(got, want) {
		t.Errorf("broke %v, want exactly %v", got, want)
		dump(t, vs)
	}
	for _, v := range vs {
		if v.Node == 0 || v.Detail == "" {
			t.Errorf("report lacks node or detail: %v", v)
		}
	}
}

func TestViolationsCapped(t *testing.T) {
	logs := cleanStable()
	l := &logs[0]
	at := l.Events[len(l.Events)-1].Time
	for i := range 250 {
		l.Events = append(l.Events, Event{Kind: EventDeliver, Time: at, MsgID: uint64(10000 + i), Sender: 2})
		l.Events = append(l.Events, Event{Kind: EventDeliver, Time: at, MsgID: 101, Sender: 1})
	}
	vs := Check(logs, Options{})
	if len(vs) != 2*maxPerInvariant+1 {
		t.Fatalf("got %d violations, want %d", len(vs), 2*maxPerInvariant+1)
	}
	last := vs[len(vs)-1]
	if last.Invariant != "MORE" || !strings.Contains(last.Detail, "460 more violations not shown (E7 230, E8 230)") {
		t.Errorf("last entry %v", last)
	}
	// The total cap holds when many invariants flood.
	var r report
	for i := range 300 {
		r.add(string(rune('A'+i%20)), 1, 0, "x")
	}
	if vs := r.result(); len(vs) != maxViolations+1 || vs[maxViolations].Invariant != "MORE" {
		t.Errorf("total cap: %d entries", len(vs))
	}
}

func TestViolationString(t *testing.T) {
	v := Violation{Invariant: "E7", Node: 2, MsgID: 17, Detail: "delivered again"}
	if got, want := v.String(), "E7 node 2 msg 17: delivered again"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	v = Violation{Invariant: "MORE", Detail: "x"}
	if got, want := v.String(), "MORE: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRecorderCopies(t *testing.T) {
	r := NewRecorder([]uint32{5, 1})
	buf := []uint32{1, 5}
	r.Conf(1, 1, Regular, RingID{1, 1}, buf, nil, buf)
	held := []uint32{5, 1}
	r.Deliver(5, 2, 1, 9, true, held)
	r.Send(7, 3, 10, false) // unknown node: gets its own log
	buf[0], held[0] = 99, 99
	logs := r.Logs()
	if len(logs) != 3 || logs[0].Node != 5 || logs[1].Node != 1 || logs[2].Node != 7 {
		t.Fatalf("log order %+v", logs)
	}
	if m := logs[1].Events[0].Members; !slices.Equal(m, []uint32{1, 5}) {
		t.Errorf("members not copied: %v", m)
	}
	if h := logs[0].Events[0].HeldBy; !slices.Equal(h, []uint32{1, 5}) {
		t.Errorf("heldBy not copied and sorted: %v", h)
	}
	if s := logs[2].Events[0]; s.Sender != 7 || s.Kind != EventSend {
		t.Errorf("send %+v", s)
	}
	// Appending to a returned list must not clobber its neighbour.
	m := logs[1].Events[0].Members
	_ = append(m, 42)
	if j := logs[1].Events[0].Joined; !slices.Equal(j, []uint32{1, 5}) {
		t.Errorf("neighbour clobbered: %v", j)
	}
}

func TestRecorderManyNodes(t *testing.T) {
	var ids []uint32
	for i := range 100 {
		ids = append(ids, uint32(1000-i))
	}
	r := NewRecorder(ids[:10])
	for _, id := range ids {
		r.Crash(id, 1)
	}
	logs := r.Logs()
	if len(logs) != len(ids) {
		t.Fatalf("%d logs", len(logs))
	}
	for i, l := range logs {
		if l.Node != ids[i] || len(l.Events) != 1 {
			t.Fatalf("log %d: %+v", i, l)
		}
	}
}
