package cpgclient_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cpg/cpgtest"
	"github.com/gorosync/gorosync/services/cserror"
)

func dial(t testing.TB, c *cpgtest.Cluster, node, pid uint32, flags uint32) *cpgclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := cpgclient.Initialize(ctx, cpgclient.Options{Service: c.Name(node), PID: pid, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// recv returns the next message, described.
func recv(t testing.TB, cl *cpgclient.Client) string {
	t.Helper()
	m, err := cl.Recv(ctx(t))
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return describe(m)
}

func describe(m *cpgclient.Message) string {
	switch m.Kind {
	case cpgclient.Deliver:
		return fmt.Sprintf("deliver %s from %d/%d: %d bytes", m.Group, m.NodeID, m.PID, len(m.Data))
	case cpgclient.Confchg:
		return fmt.Sprintf("confchg %s members %v left %v joined %v", m.Group, m.Members, m.Left, m.Joined)
	case cpgclient.TotemConfchg:
		return fmt.Sprintf("totem %d.%d %v", m.Ring.NodeID, m.Ring.Seq, m.TotemMembers)
	}
	return "?"
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func expect(t testing.TB, cl *cpgclient.Client, want string) {
	t.Helper()
	if got := recv(t, cl); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Two nodes, a client on each: joins, confchgs, messages of 64 B, 1 KiB,
// 64 KiB and 1 MiB (fragmented: above the atomic maximum) in order and
// intact, local node ids, membership, a leave.
func TestJoinMcastConfchg(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Nodes: []uint32{1, 2}})
	a, b := dial(t, c, 1, 101, 0), dial(t, c, 2, 202, cpg.FlagInitialTotemConf)
	g := []byte("grp")
	must(t, a.Join(ctx(t), g))
	expect(t, a, "confchg grp members [{1 101 -}] left [] joined [{1 101 join}]")
	must(t, b.Join(ctx(t), g))
	for _, cl := range []*cpgclient.Client{a, b} {
		expect(t, cl, "confchg grp members [{1 101 -} {2 202 -}] left [] joined [{2 202 join}]")
	}
	expect(t, b, "totem 1.4 [1 2]")
	if err := a.Join(ctx(t), g); !errors.Is(err, cserror.ErrExist) {
		t.Fatalf("join again: %v", err)
	}
	for _, node := range []uint32{1, 2} {
		cl := map[uint32]*cpgclient.Client{1: a, 2: b}[node]
		if id, err := cl.LocalGet(ctx(t)); err != nil || id != node {
			t.Fatalf("local get: %d %v", id, err)
		}
	}
	members, err := a.MembershipGet(ctx(t), g, nil)
	if err != nil || fmt.Sprint(members) != "[{1 101 -} {2 202 -}]" {
		t.Fatalf("membership: %v %v", members, err)
	}
	sizes := []int{64, 1 << 10, 64 << 10, 1 << 20}
	var sent [][]byte
	for i, n := range sizes {
		msg := bytes.Repeat([]byte{byte(i + 1)}, n)
		msg[0], msg[n-1] = 0xAA, 0x55
		must(t, a.Mcast(ctx(t), cpg.Agreed, msg))
		sent = append(sent, msg)
	}
	// b sends only after it has delivered a's messages: Mcast returns once
	// the message is queued, and a message b sent earlier could be ordered
	// between the 1 MiB message's fragments and so delivered before it.
	check := func(cl *cpgclient.Client, msgs [][]byte, from uint32, first int) {
		t.Helper()
		for i, want := range msgs {
			m, err := cl.Recv(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != cpgclient.Deliver || !bytes.Equal(m.Data, want) || m.PID != from {
				t.Fatalf("message %d: %s", first+i, describe(m))
			}
		}
	}
	check(b, sent, 101, 0)
	must(t, b.Mcast(ctx(t), cpg.Safe, []byte("safe")))
	check(a, sent, 101, 0)
	check(a, [][]byte{[]byte("safe")}, 202, len(sent))
	check(b, [][]byte{[]byte("safe")}, 202, len(sent))
	must(t, b.Leave(ctx(t), g))
	for _, cl := range []*cpgclient.Client{a, b} {
		expect(t, cl, "confchg grp members [{1 101 -}] left [{2 202 leave}] joined []")
	}
	must(t, b.Join(ctx(t), g)) // the documented cpg_leave: join again
	for _, cl := range []*cpgclient.Client{a, b} {
		expect(t, cl, "confchg grp members [{1 101 -} {2 202 -}] left [] joined [{2 202 join}]")
	}
}

// Iteration: all processes, group names only, one group.
func TestIteration(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Nodes: []uint32{1, 2}})
	clients := map[string]*cpgclient.Client{}
	for _, p := range []struct {
		node, pid uint32
		group     string
	}{{1, 11, "a"}, {2, 21, "b"}, {1, 12, "a"}, {2, 22, "a"}} {
		cl := dial(t, c, p.node, p.pid, 0)
		must(t, cl.Join(ctx(t), []byte(p.group)))
		recv(t, cl)
		clients[fmt.Sprint(p.pid)] = cl
	}
	cl := clients["11"]
	var stable bool
	for range 100 {
		if m, _ := cl.MembershipGet(ctx(t), []byte("a"), nil); len(m) == 3 {
			stable = true
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !stable {
		t.Fatal("group a never had 3 members")
	}
	walk := func(typ cpg.IterType, group []byte) string {
		it, err := cl.IterationInitialize(ctx(t), typ, group)
		must(t, err)
		var out []string
		for {
			e, err := it.Next(ctx(t))
			if errors.Is(err, cserror.ErrNoSections) {
				break
			}
			must(t, err)
			out = append(out, fmt.Sprintf("%s:%d/%d", e.Group, e.NodeID, e.PID))
		}
		must(t, it.Finalize(ctx(t)))
		return fmt.Sprint(out)
	}
	// corosync's order: groups newest-first (b's 2/21 comes after a's
	// 1/11 in process order), the first entry of a group, then the rest
	// in reverse.
	if got := walk(cpg.IterAll, nil); got != "[b:2/21 a:1/11 a:2/22 a:1/12]" {
		t.Errorf("ALL: %s", got)
	}
	if got := walk(cpg.IterNameOnly, nil); got != "[b:0/0 a:0/0]" {
		t.Errorf("NAME_ONLY: %s", got)
	}
	if got := walk(cpg.IterOneGroup, []byte("a")); got != "[a:1/11 a:2/22 a:1/12]" {
		t.Errorf("ONE_GROUP: %s", got)
	}
	if _, err := cl.IterationInitialize(ctx(t), cpg.IterAll, []byte("a")); !errors.Is(err, cserror.ErrInvalidParam) {
		t.Errorf("ALL with a group: %v", err)
	}
}

// Multicast and receive allocate nothing (the loopback server allocates
// nothing either, so the whole process is measured).
func TestAllocs(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Loopback: true})
	cl := dial(t, c, 1, 7, 0)
	must(t, cl.Join(ctx(t), []byte("g")))
	recv(t, cl)
	msg := make([]byte, 64)
	bg := context.Background()
	round := func() {
		if err := cl.Mcast(bg, cpg.Agreed, msg); err != nil {
			t.Fatal(err)
		}
		m, err := cl.Recv(bg)
		if err != nil || m.Kind != cpgclient.Deliver || len(m.Data) != 64 {
			t.Fatalf("recv: %v", err)
		}
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(500, round); n != 0 {
		t.Errorf("Mcast+Recv: %.2f allocs per message", n)
	}
	claim := func() {
		buf, err := cl.Claim(32)
		if err != nil {
			t.Fatal(err)
		}
		copy(buf, "zero copy")
		if err := cl.Commit(cpg.Agreed); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Recv(bg); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(500, claim); n != 0 {
		t.Errorf("Claim/Commit+Recv: %.2f allocs per message", n)
	}
}

// Dispatch modes: ALL drains what is pending without waiting;
// ONE_NONBLOCKING answers TRY_AGAIN when nothing is.
func TestDispatch(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Loopback: true})
	cl := dial(t, c, 1, 9, 0)
	if err := cl.Dispatch(ctx(t), cpgclient.DispatchOneNonblocking, func(*cpgclient.Message) {}); !errors.Is(err, cserror.ErrTryAgain) {
		t.Fatalf("nothing pending: %v", err)
	}
	must(t, cl.Join(ctx(t), []byte("g")))
	for i := range 3 {
		must(t, cl.Mcast(ctx(t), cpg.Agreed, []byte{byte(i)}))
	}
	var got []string
	for len(got) < 4 {
		must(t, cl.Dispatch(ctx(t), cpgclient.DispatchOne, func(m *cpgclient.Message) { got = append(got, describe(m)) }))
	}
	if got[0] != "confchg g members [{1 9 -}] left [] joined [{1 9 join}]" || got[3] != "deliver g from 1/9: 1 bytes" {
		t.Fatalf("got %q", got)
	}
	must(t, cl.Mcast(ctx(t), cpg.Agreed, []byte("x")))
	n := 0
	for end := time.Now().Add(5 * time.Second); n == 0 && time.Now().Before(end); time.Sleep(time.Millisecond) {
		must(t, cl.Dispatch(ctx(t), cpgclient.DispatchAll, func(*cpgclient.Message) { n++ }))
	}
	if n != 1 {
		t.Fatalf("DispatchAll ran %d callbacks, want 1", n)
	}
	if cl.FlowControlState() != cpgclient.FlowControlDisabled || cl.MaxAtomicMsgSize() != 1<<20-1024 {
		t.Fatal("flow control state or atomic size")
	}
}

// Multicasts sent while a sync runs arrive after it (the service holds
// them), in order, and nothing is lost.
func TestMcastAcrossSync(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Nodes: []uint32{1, 2}})
	a, b := dial(t, c, 1, 1, 0), dial(t, c, 2, 2, 0)
	must(t, a.Join(ctx(t), []byte("g")))
	must(t, b.Join(ctx(t), []byte("g")))
	c.Hold(true)
	c.Form(t, 1, 2) // a sync round starts and cannot finish while held
	var ids []int
	for i := range 20 {
		must(t, a.Mcast(ctx(t), cpg.Agreed, []byte{byte(i)}))
		ids = append(ids, i)
	}
	if !c.Until(t, 5*time.Second, func() bool { return c.Engines[1].Stats().Queued == 20 }) {
		t.Fatalf("queued %d, want 20", c.Engines[1].Stats().Queued)
	}
	c.Hold(false)
	for _, cl := range []*cpgclient.Client{a, b} {
		var got []int
		for len(got) < len(ids) {
			m, err := cl.Recv(ctx(t))
			must(t, err)
			if m.Kind == cpgclient.Deliver {
				got = append(got, int(m.Data[0]))
			}
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("delivered %v", got)
		}
	}
}
