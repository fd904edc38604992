package oracle

import (
	"slices"
	"sort"
	"testing"
)

// clock hands out strictly increasing virtual times so hand-built logs keep
// one global clock, as the simulator does.
type clock struct{ t int64 }

func (c *clock) now() int64 { c.t += 10; return c.t }

// cloneLogs copies the event slices so a mutation never leaks into the
// original. Node lists inside events are shared: mutations replace them.
func cloneLogs(logs []Log) []Log {
	out := make([]Log, len(logs))
	for i, l := range logs {
		out[i] = Log{Node: l.Node, Events: slices.Clone(l.Events)}
	}
	return out
}

func logOf(t testing.TB, logs []Log, node uint32) *Log {
	t.Helper()
	for i := range logs {
		if logs[i].Node == node {
			return &logs[i]
		}
	}
	t.Fatalf("no log for node %d", node)
	return nil
}

// evAt finds the first event of kind about msg (deliveries, sends).
func evAt(t testing.TB, l *Log, kind EventKind, msg uint64) int {
	t.Helper()
	for i, e := range l.Events {
		if e.Kind == kind && e.MsgID == msg {
			return i
		}
	}
	t.Fatalf("node %d: no %v of msg %d", l.Node, kind, msg)
	return -1
}

// confAt finds the CONF of the given kind and ring.
func confAt(t testing.TB, l *Log, kind ConfKind, ring RingID) int {
	t.Helper()
	for i, e := range l.Events {
		if e.Kind == EventConf && e.Conf == kind && e.Ring == ring {
			return i
		}
	}
	t.Fatalf("node %d: no %v(%v)", l.Node, kind, ring)
	return -1
}

// moveEv moves the event at from to index to (in the resulting slice),
// keeping times non-decreasing by taking the time of its new neighbour.
func moveEv(l *Log, from, to int) {
	ev := l.Events[from]
	l.Events = slices.Delete(l.Events, from, from+1)
	l.Events = slices.Insert(l.Events, to, ev)
	fixTimes(l)
}

// fixTimes restores non-decreasing times after a reordering by raising
// any time that runs back to its predecessor's.
func fixTimes(l *Log) {
	for i := 1; i < len(l.Events); i++ {
		if l.Events[i].Time < l.Events[i-1].Time {
			l.Events[i].Time = l.Events[i-1].Time
		}
	}
}

// invariants returns the sorted set of invariant names in a report.
func invariants(vs []Violation) []string {
	set := map[string]bool{}
	for _, v := range vs {
		set[v.Invariant] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dump(t testing.TB, vs []Violation) {
	t.Helper()
	for _, v := range vs {
		t.Log("  ", v)
	}
}
