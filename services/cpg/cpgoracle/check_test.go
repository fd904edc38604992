package cpgoracle

import (
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cpg"
)

// Hand-made logs: a correct run passes; each kind of violation is found.

var (
	pa = Addr{1, 11}
	pb = Addr{2, 22}
)

func a(x Addr, r cpg.Reason) cpg.Address { return cpg.Address{NodeID: x.Node, PID: x.PID, Reason: r} }

func m(xs ...Addr) []cpg.Address {
	var out []cpg.Address
	for _, x := range xs {
		out = append(out, a(x, 0))
	}
	return out
}

var ring = cpg.RingID{NodeID: 1, Seq: 8}

// twoJoined: both nodes in ring 1.8, a and b join "g" and each sends one
// message, delivered in order at both.
func twoJoined() (*Log, int, int) {
	l := New()
	for _, n := range []uint32{1, 2} {
		l.Node(n, NodeEvent{Regular: false, Ring: ring, Members: []uint32{n}})
		l.Node(n, NodeEvent{Regular: true, Ring: ring, Members: []uint32{1, 2}})
	}
	i, j := l.Proc(pa), l.Proc(pb)
	for _, p := range []int{i, j} {
		l.Record(p, Event{Kind: Totem, Ring: ring, Nodes: []uint32{1, 2}, Activation: true, Sync: true})
	}
	l.Record(i, Event{Kind: JoinReq, Group: "g"})
	l.Record(j, Event{Kind: JoinReq, Group: "g"})
	l.Record(i, Event{Kind: Confchg, Group: "g", Members: m(pa), Joined: []cpg.Address{a(pa, cpg.ReasonJoin)}})
	for _, p := range []int{i, j} {
		l.Record(p, Event{Kind: Confchg, Group: "g", Members: m(pa, pb), Joined: []cpg.Address{a(pb, cpg.ReasonJoin)}})
	}
	l.Record(i, Event{Kind: Send, MsgID: 1})
	l.Record(j, Event{Kind: Send, MsgID: 2})
	for _, p := range []int{i, j} {
		l.Record(p, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 1})
		l.Record(p, Event{Kind: Deliver, Group: "g", From: pb, MsgID: 2})
	}
	return l, i, j
}

func want(t *testing.T, l *Log, tag string) {
	t.Helper()
	v := l.Check()
	for _, s := range v {
		if strings.HasPrefix(s, tag) {
			return
		}
	}
	t.Errorf("no %s violation in %q", tag, v)
}

func TestCorrectRunPasses(t *testing.T) {
	l, _, _ := twoJoined()
	if v := l.Check(); len(v) != 0 {
		t.Fatalf("violations in a correct run: %q", v)
	}
}

func TestC1ConfchgBeforeJoin(t *testing.T) {
	l, _, _ := twoJoined()
	k := l.Proc(Addr{1, 33})
	l.Record(k, Event{Kind: Confchg, Group: "g", Members: m(pa, pb)})
	want(t, l, "C1")
}

func TestC1DeliverOutsideMembership(t *testing.T) {
	l, _, _ := twoJoined()
	k := l.Proc(Addr{1, 33})
	l.Record(k, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 1})
	want(t, l, "C1")
}

func TestC2BadAlgebra(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Confchg, Group: "g", Members: m(pa), Left: nil})
	want(t, l, "C2")
}

func TestC3Divergence(t *testing.T) {
	l, i, j := twoJoined()
	l.Record(i, Event{Kind: Send, MsgID: 3})
	l.Record(i, Event{Kind: Send, MsgID: 4})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 3})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 4})
	l.Record(j, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 4})
	want(t, l, "C3")
}

func TestC4ViewsDiffer(t *testing.T) {
	l, i, j := twoJoined()
	r2 := cpg.RingID{NodeID: 1, Seq: 12}
	for _, n := range []uint32{1, 2} {
		l.Node(n, NodeEvent{Regular: true, Ring: r2, Members: []uint32{1, 2}})
	}
	l.Record(j, Event{Kind: Confchg, Group: "g", Members: m(pb), Left: []cpg.Address{a(pa, cpg.ReasonNodeDown)}, Sync: true, Activation: true})
	for _, p := range []int{i, j} {
		l.Record(p, Event{Kind: Totem, Ring: r2, Nodes: []uint32{1, 2}, Activation: true, Sync: true})
	}
	want(t, l, "C4")
}

func TestC5Order(t *testing.T) {
	l, i, j := twoJoined()
	l.Record(i, Event{Kind: Send, MsgID: 3})
	l.Record(j, Event{Kind: Send, MsgID: 4})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 3, Sync: true})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pb, MsgID: 4, Sync: true})
	l.Record(j, Event{Kind: Deliver, Group: "g", From: pb, MsgID: 4, Sync: true})
	l.Record(j, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 3, Sync: true})
	want(t, l, "C5")
}

func TestC5Duplicate(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 1, Sync: true})
	want(t, l, "C5")
}

func TestC5NotSent(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pb, MsgID: 99, Sync: true})
	want(t, l, "C5")
}

func TestC5FIFO(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Send, MsgID: 3})
	l.Record(i, Event{Kind: Send, MsgID: 4})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 4, Sync: true})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pa, MsgID: 3, Sync: true})
	want(t, l, "C5")
}

func TestC5SelfDelivery(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Send, MsgID: 3})
	want(t, l, "C5")
}

func TestC6UnknownNode(t *testing.T) {
	l, i, _ := twoJoined()
	pc := Addr{3, 44}
	k := l.Proc(pc)
	l.Record(k, Event{Kind: Send, MsgID: 5})
	l.Record(i, Event{Kind: Deliver, Group: "g", From: pc, MsgID: 5})
	l.Record(k, Event{Kind: Exit})
	want(t, l, "C6")
}

func TestC7NodeDownInTrans(t *testing.T) {
	l, i, _ := twoJoined()
	l.Node(1, NodeEvent{Ring: cpg.RingID{NodeID: 1, Seq: 12}, Members: []uint32{1, 2}})
	l.Record(i, Event{Kind: Confchg, Group: "g", Members: m(pa), Left: []cpg.Address{a(pb, cpg.ReasonNodeDown)}, Sync: true})
	want(t, l, "C7")
}

func TestC7LeaveNotAsked(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Confchg, Group: "g", Members: m(pa), Left: []cpg.Address{a(pb, cpg.ReasonLeave)}})
	want(t, l, "C7")
}

func TestC7ProcDownAlive(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Confchg, Group: "g", Members: m(pa), Left: []cpg.Address{a(pb, cpg.ReasonProcDown)}})
	want(t, l, "C7")
}

func TestC8NotInstalled(t *testing.T) {
	l, i, _ := twoJoined()
	l.Record(i, Event{Kind: Totem, Ring: cpg.RingID{NodeID: 2, Seq: 99}, Nodes: []uint32{2}})
	want(t, l, "C8")
}
