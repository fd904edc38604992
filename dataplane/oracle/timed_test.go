package oracle

import (
	"slices"
	"strings"
	"testing"
)

// testBounds keep the leave bound the shortest, as BoundsFor does.
var testBounds = Bounds{CrashNs: 1000, LeaveNs: 300, MergeNs: 2000}

func TestTimedLiveness(t *testing.T) {
	four := []uint32{1, 2, 3, 4}
	for _, tc := range []struct {
		name   string
		nodes  []uint32
		run    func(w *world) (end int64) // 0: let Check take the last event
		bounds *Bounds
		want   []string // exact set of invariants
		n      int      // number of violations, when want is not empty
		stats  Stats
	}{
		{"crash, new ring in time", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.form(1100, 1, 2) // exactly at the deadline
			return 5000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Checked: 1}}},
		{"crash, new ring late", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.form(1101, 1, 2)
			return 5000
		}, &testBounds, []string{"L2"}, 2, Stats{Crash: Tally{Checked: 1}}},
		{"crash, new ring late after a loss burst is not judged", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.r.Disturb(600)
			w.form(1101, 1, 2)
			return 5000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"crash, never detected", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			return 5000
		}, &testBounds, []string{"L2"}, 2, Stats{Crash: Tally{Checked: 1}}},
		{"crash, one survivor late", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.form(500, 1)
			w.form(1500, 2)
			return 5000
		}, &testBounds, []string{"L2"}, 1, Stats{Crash: Tally{Checked: 1}}},
		{"two crashes at one instant", four, func(w *world) int64 {
			w.form(10, four...)
			w.crash(2, 100)
			w.crash(3, 100)
			w.form(900, 1, 4)
			return 5000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Checked: 2}}},
		{"two crashes at one instant, late", four, func(w *world) int64 {
			w.form(10, four...)
			w.crash(2, 100)
			w.crash(3, 100)
			w.form(1900, 1, 4)
			return 5000
		}, &testBounds, []string{"L2"}, 4, Stats{Crash: Tally{Checked: 2}}},
		{"crash, run ends before the deadline", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			return 500
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"crash, run ends before the deadline, ring already there", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.form(400, 1, 2)
			return 0 // ends with that REG
		}, &testBounds, nil, 0, Stats{Crash: Tally{Checked: 1}}},
		{"heal, run ends once merged", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.form(3500, all123...)
			return 3600
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 2}}},
		{"heal, run ends before merging", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			return 3600
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1, Skipped: 1}}},
		{"crash, end taken from the last event", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			return 0 // the crash is the last event: the deadline is beyond it
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"crash, bounds nil", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			return 5000
		}, nil, nil, 0, Stats{}},
		{"crash, crash bound zero", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			return 5000
		}, &Bounds{LeaveNs: 300, MergeNs: 2000}, nil, 0, Stats{}},
		{"second crash inside the window", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.crash(2, 500) // skips 3's check; 2 left a ring with 3 dead in it
			w.form(3000, 1)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 2}}},
		{"partition inside the crash window", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.r.Partition(300, [][]uint32{{1}, {2}})
			w.form(1500, 1)
			w.form(1500, 2)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}, Merge: Tally{Checked: 1}}},
		{"restart inside the crash window", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.crash(3, 100)
			w.restart(3, 400)
			w.form(600, all123...) // the survivors never formed a ring without 3
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"restart of a running node is a crash too", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.restart(3, 100)
			w.form(600, all123...)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"crash of a node in no ring", all123, func(w *world) int64 {
			w.form(10, 1, 2)
			w.crash(3, 100)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"crash of a node alone", all123, func(w *world) int64 {
			w.form(10, 1, 2)
			w.form(10, 3)
			w.crash(3, 100)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Checked: 1}}},
		{"leave, new ring in time", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.leave(3, 100)
			w.form(350, 1, 2)
			return 5000
		}, &testBounds, nil, 0, Stats{Leave: Tally{Checked: 1}}},
		{"leave, noticed only by token loss", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.leave(3, 100)
			w.form(900, 1, 2) // in the crash bound, not the leave bound
			return 5000
		}, &testBounds, []string{"L3"}, 2, Stats{Leave: Tally{Checked: 1}}},
		{"leave across a partition is not expected", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(50, [][]uint32{{1, 2}, {3}})
			w.leave(3, 100) // 1 and 2 cannot hear the LEAVE
			w.form(900, 1, 2)
			return 5000
		}, &testBounds, nil, 0, Stats{Leave: Tally{Skipped: 1}, Merge: Tally{Skipped: 1}}},
		{"leave, then restart and rejoin", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.leave(3, 100)
			w.form(350, 1, 2)
			w.restart(3, 1000)
			w.form(1100, all123...)
			return 5000
		}, &testBounds, nil, 0, Stats{Leave: Tally{Checked: 1}}},
		{"partition and heal, converged in time", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.form(3500, all123...)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 2}}},
		{"heal, merged late", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.form(5500, all123...)
			return 9000
		}, &testBounds, []string{"L4"}, 3, Stats{Merge: Tally{Checked: 2}}},
		{"heal, never merged", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			return 9000
		}, &testBounds, []string{"L4"}, 3, Stats{Merge: Tally{Checked: 2}}},
		{"heal, two rings of everyone", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.form(3500, all123...)
			// Node 3 alone reports a second ring holding everybody.
			w.seq++
			w.r.Conf(3, 3600, Transitional, RingID{3, w.seq}, []uint32{3}, []uint32{1, 2}, nil)
			w.r.Conf(3, 3600, Regular, RingID{3, w.seq}, all123, nil, []uint32{1, 2})
			return 9000
		}, &testBounds, []string{"L4"}, 1, Stats{Merge: Tally{Checked: 2}}},
		{"partition never split", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			return 9000
		}, &testBounds, []string{"L4"}, 3, Stats{Merge: Tally{Checked: 1}}},
		{"one-way cut the ring lives with", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Cut(100, 3, 1)
			return 9000
		}, &testBounds, nil, 0, Stats{}},
		{"heal after a cut", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Cut(100, 3, 1)
			w.r.Heal(3000)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1}}},
		{"partition and cut at one instant", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.r.Cut(100, 2, 1)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Skipped: 1}}},
		{"crash in a ring torn by a cut", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Cut(100, 2, 1)
			w.crash(3, 3000)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		// A one-way cut anywhere can draw the survivors into rounds with the
		// node that cannot hear them back (the simulator saw a leave take
		// 1.2 bounds so): no timer-derived bound applies.
		{"crash with a cut outside the ring is not checked", four, func(w *world) int64 {
			w.form(10, 1, 2, 3)
			w.form(10, 4)
			w.r.Cut(100, 4, 1)
			w.crash(3, 3000)
			w.form(3500, 1, 2)
			return 9000
		}, &testBounds, nil, 0, Stats{Crash: Tally{Skipped: 1}}},
		{"partition that splits and merges is not checked", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Partition(3000, [][]uint32{{1}, {2, 3}}) // never converges
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1, Skipped: 1}}},
		{"partition that only merges is checked", four, func(w *world) int64 {
			w.form(10, four...)
			w.r.Partition(100, [][]uint32{{1}, {2}, {3, 4}})
			w.form(1500, 1)
			w.form(1500, 2)
			w.form(1500, 3, 4)
			w.r.Partition(3000, [][]uint32{{1, 2}, {3, 4}}) // never merges
			return 9000
		}, &testBounds, []string{"L4"}, 2, Stats{Merge: Tally{Checked: 2}}},
		{"isolated node", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1}}},
		{"heal right after the partition", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.r.Heal(150) // nobody noticed: the ring stands
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1, Skipped: 1}}},
		{"crash inside the merge window", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.crash(3, 3100)
			w.form(4000, 1, 2) // no merge ever: skipped, and the crash is fine
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1, Skipped: 1}, Crash: Tally{Checked: 1}}},
		{"heal restarting a node at the same instant", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.crash(3, 2500)
			w.r.Heal(3000)
			w.restart(3, 3000)
			w.form(3500, all123...)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 2}, Crash: Tally{Skipped: 1}}},
		{"heal restarting a node at the same instant, never joined", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.crash(3, 2500)
			w.r.Heal(3000)
			w.restart(3, 3000)
			w.form(3500, 3)
			return 9000
		}, &testBounds, []string{"L4"}, 3, Stats{Merge: Tally{Checked: 2}, Crash: Tally{Skipped: 1}}},
		{"heal with a node down", all123, func(w *world) int64 {
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.crash(2, 1900)
			w.form(2500, 1)
			w.r.Heal(3000)
			w.form(3500, 1, 3)
			return 9000
		}, &testBounds, nil, 0, Stats{Merge: Tally{Checked: 1, Skipped: 1}, Crash: Tally{Checked: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := tc.nodes
			w := newWorld(nodes)
			end := tc.run(w)
			opt := Options{Faults: w.r.Faults(), Bounds: tc.bounds, EndNs: end}
			vs, st := CheckStats(w.r.Logs(), opt)
			if got := invariants(vs); !slices.Equal(got, tc.want) {
				t.Errorf("invariants %v, want %v", got, tc.want)
				dump(t, vs)
			} else if len(vs) != tc.n {
				t.Errorf("%d violations, want %d", len(vs), tc.n)
				dump(t, vs)
			}
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
			for _, v := range vs {
				if v.Node == 0 || v.Detail == "" {
					t.Errorf("report without node or detail: %v", v)
				}
			}
			if !slices.Equal(invariants(Check(w.r.Logs(), opt)), tc.want) {
				t.Errorf("Check and CheckStats disagree")
			}
		})
	}
}

// TestTimedDetail pins what a report says: the fault, the deadline and
// what came instead.
func TestTimedDetail(t *testing.T) {
	w := newWorld(all123)
	w.form(10, all123...)
	w.crash(3, 100)
	w.form(500, 1)
	w.form(1500, 1, 2)
	vs := Check(w.r.Logs(), Options{Bounds: &testBounds, EndNs: 5000})
	if len(vs) != 1 {
		dump(t, vs)
		t.Fatalf("%d violations, want 1", len(vs))
	}
	v := vs[0]
	for _, s := range []string{"node 3 crashed at t=100", "by t=1100", "none", "came late", "REG(1.3) at t=1500"} {
		if v.Node != 2 || !strings.Contains(v.Detail, s) {
			t.Errorf("report %q (node %d) lacks %q", v.Detail, v.Node, s)
		}
	}
}

func TestFaultLog(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(logs []Log, faults []Event) ([]Log, []Event)
		want []string
	}{
		{"clean", func(l []Log, f []Event) ([]Log, []Event) { return l, f }, nil},
		{"partition in a node log", func(l []Log, f []Event) ([]Log, []Event) {
			l[0].Events = append(l[0].Events, Event{Kind: EventHeal, Time: 9000})
			return l, f
		}, []string{"LOG"}},
		{"crash in the fault log", func(l []Log, f []Event) ([]Log, []Event) {
			return l, append(f, Event{Kind: EventCrash, Time: 9000})
		}, []string{"LOG"}},
		{"fault log runs back", func(l []Log, f []Event) ([]Log, []Event) {
			return l, append(f, Event{Kind: EventHeal, Time: 1})
		}, []string{"LOG"}},
		{"node in two groups", func(l []Log, f []Event) ([]Log, []Event) {
			return l, append(f, Event{Kind: EventPartition, Time: 9000, Groups: [][]uint32{{1, 2}, {2, 3}}})
		}, []string{"LOG"}},
		{"cut in a node log", func(l []Log, f []Event) ([]Log, []Event) {
			l[1].Events = append(l[1].Events, Event{Kind: EventCut, Time: 9000, Link: [2]uint32{1, 2}})
			return l, f
		}, []string{"LOG"}},
		{"crash while down", func(l []Log, f []Event) ([]Log, []Event) {
			l[2].Events = append(l[2].Events, Event{Kind: EventCrash, Time: 9000})
			return l, f
		}, []string{"LOG"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(all123)
			w.form(10, all123...)
			w.r.Partition(100, [][]uint32{{1, 2}, {3}})
			w.form(1500, 1, 2)
			w.form(1500, 3)
			w.r.Heal(3000)
			w.form(3500, all123...)
			w.leave(3, 4000)
			w.form(4100, 1, 2)
			logs, faults := tc.mut(cloneLogs(w.r.Logs()), slices.Clone(w.r.Faults()))
			vs := Check(logs, Options{Faults: faults, Bounds: &testBounds, EndNs: 9000})
			if got := invariants(vs); !slices.Equal(got, tc.want) {
				t.Errorf("invariants %v, want %v", got, tc.want)
				dump(t, vs)
			}
		})
	}
}

// TestIncarnations: LEAVE and RESTART end an incarnation as CRASH does, so
// a message queued before them need not reach its sender (L1), and the
// node counts as stopped on a stable ring (L5).
func TestIncarnations(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(r *Recorder, t int64)
		opt  Options
		want []string
	}{
		{"leave", func(r *Recorder, t int64) { r.Leave(3, t) }, Options{Drained: true}, nil},
		{"crash then restart", func(r *Recorder, t int64) { r.Crash(3, t); r.Restart(3, t+1) }, Options{Drained: true}, nil},
		{"restart alone", func(r *Recorder, t int64) { r.Restart(3, t) }, Options{Drained: true}, nil},
		{"leave on a stable ring", func(r *Recorder, t int64) { r.Leave(3, t) }, stableDrained, []string{"L5"}},
		{"restart on a stable ring", func(r *Recorder, t int64) { r.Restart(3, t) }, stableDrained, []string{"L5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c clock
			r := NewRecorder(all123)
			for _, n := range all123 {
				start(r, &c, n, ringS, all123)
			}
			r.Send(3, c.now(), 301, false) // never ordered
			tc.stop(r, c.now())
			checkWant(t, r.Logs(), tc.opt, tc.want)
		})
	}
	// Without a stop, the undelivered send is an L1 miss.
	var c clock
	r := NewRecorder(all123)
	for _, n := range all123 {
		start(r, &c, n, ringS, all123)
	}
	r.Send(3, c.now(), 301, false)
	checkWant(t, r.Logs(), Options{Drained: true}, []string{"L1"})
}

func TestRecorderFaults(t *testing.T) {
	r := NewRecorder(all123)
	if r.Faults() != nil {
		t.Errorf("empty fault log %v", r.Faults())
	}
	groups := [][]uint32{{3, 1}, {2}}
	r.Partition(5, groups)
	groups[0][0] = 9
	r.Heal(7)
	r.Leave(2, 8)
	r.Restart(2, 9)
	r.Cut(10, 3, 1)
	f := r.Faults()
	if len(f) != 3 || f[0].Kind != EventPartition || f[0].Time != 5 || f[1].Kind != EventHeal || f[1].Time != 7 ||
		f[2].Kind != EventCut || f[2].Link != [2]uint32{3, 1} {
		t.Fatalf("faults %+v", f)
	}
	if g := f[0].Groups; len(g) != 2 || !slices.Equal(g[0], []uint32{1, 3}) || !slices.Equal(g[1], []uint32{2}) {
		t.Errorf("groups not copied and sorted: %v", g)
	}
	l := logOf(t, r.Logs(), 2)
	if len(l.Events) != 2 || l.Events[0].Kind != EventLeave || l.Events[1].Kind != EventRestart || l.Events[1].Time != 9 {
		t.Errorf("node 2 log %+v", l.Events)
	}
	for k, s := range map[EventKind]string{EventLeave: "LEAVE", EventRestart: "RESTART", EventPartition: "PARTITION", EventHeal: "HEAL", EventCut: "CUT"} {
		if k.String() != s {
			t.Errorf("%d.String() = %q", k, k.String())
		}
	}
}

// TestBoundsFor checks the derivation against corosync's timers (§3.13,
// sim's 1000 ms token): the crash bound covers token loss plus consensus,
// the leave bound stays below them (a leave must not wait for the token
// timeout), and the merge bound covers a crash detection.
func TestBoundsFor(t *testing.T) {
	const ms = int64(1_000_000)
	b := BoundsFor(3000*ms, 3600*ms, 50*ms, 200*ms, 2)
	if want := (Bounds{CrashNs: 12900 * ms, LeaveNs: 4200 * ms, MergeNs: 13600 * ms}); b != want {
		t.Errorf("BoundsFor(corosync defaults, 2 nodes) = %+v, want %+v", b, want)
	}
	for nodes := 1; nodes <= 16; nodes++ {
		token := 1000 * ms
		if nodes >= 3 {
			token += int64(nodes-2) * 650 * ms
		}
		consensus := token * 12 / 10
		b := BoundsFor(token, consensus, 50*ms, 200*ms, nodes)
		if !(b.CrashNs > token+consensus && b.LeaveNs > consensus && b.LeaveNs < token+consensus && b.MergeNs >= b.CrashNs) {
			t.Errorf("%d nodes: token %d consensus %d: %+v", nodes, token, consensus, b)
		}
	}
}
