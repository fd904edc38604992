package services_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/servicetest"
)

// recorder is an engine that logs every callback, for checking the sync
// engine's order. processRounds makes SyncProcess ask to be called again.
type recorder struct {
	id            uint16
	node          uint32
	log           *[]string
	processRounds int
	calls         int
	host          *services.Host
}

func (r *recorder) ID() uint16   { return r.id }
func (r *recorder) Name() string { return fmt.Sprint("svc", r.id) }
func (r *recorder) add(f string, a ...any) {
	*r.log = append(*r.log, fmt.Sprintf("n%d s%d ", r.node, r.id)+fmt.Sprintf(f, a...))
}
func (r *recorder) SyncInit(trans, members []uint32, ring services.RingID) {
	r.calls = 0
	r.add("init trans=%v members=%v", trans, members)
}
func (r *recorder) SyncProcess() bool {
	r.calls++
	if r.calls <= r.processRounds {
		return false
	}
	r.add("process done after %d calls", r.calls)
	return true
}
func (r *recorder) SyncActivate() { r.add("activate") }
func (r *recorder) SyncAbort()    { r.add("abort") }
func (r *recorder) Deliver(from uint32, fn uint16, msg []byte) {
	r.add("deliver from=%d fn=%d %q", from, fn, msg)
}

func newCluster(t *testing.T, ids []uint32, services_ []uint16, log *[]string) (*servicetest.Bus, map[uint32][]*recorder) {
	t.Helper()
	bus := servicetest.New()
	recs := map[uint32][]*recorder{}
	for _, id := range ids {
		var engines []services.Engine
		for _, s := range services_ {
			r := &recorder{id: s, node: id, log: log}
			recs[id] = append(recs[id], r)
			engines = append(engines, r)
		}
		n, err := bus.Add(id, engines...)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs[id] {
			r.host = n.Host
		}
	}
	return bus, recs
}

func filter(log []string, node string) []string {
	var out []string
	for _, l := range log {
		if strings.HasPrefix(l, node+" ") {
			out = append(out, l)
		}
	}
	return out
}

// Every member synchronises its services in ascending id, each activated
// only after every member finished its process step.
func TestSyncOrderAndBarriers(t *testing.T) {
	var log []string
	bus, recs := newCluster(t, []uint32{1, 2, 3}, []uint16{5, 0, 2}, &log)
	recs[2][0].processRounds = 3 // node 2's service 5 is slow
	bus.Form(1, 2, 3)
	bus.Run(100, 5)
	want := []string{
		"n1 s0 init trans=[1] members=[1 2 3]",
		"n1 s2 init trans=[1] members=[1 2 3]",
		"n1 s5 init trans=[1] members=[1 2 3]",
		"n1 s0 process done after 1 calls",
		"n1 s0 activate",
		"n1 s2 process done after 1 calls",
		"n1 s2 activate",
		"n1 s5 process done after 1 calls",
		"n1 s5 activate",
	}
	if got := filter(log, "n1"); !slices.Equal(got, want) {
		t.Fatalf("node 1:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Node 1's service 5 activates only after node 2's slow process.
	slow := slices.Index(log, "n2 s5 process done after 4 calls")
	act := slices.Index(log, "n1 s5 activate")
	if slow < 0 || act < slow {
		t.Fatalf("activation before the slow member's barrier:\n%s", strings.Join(log, "\n"))
	}
	for _, id := range []uint32{1, 2, 3} {
		h := bus.Node(id).Host
		if h.Syncing() || !h.SyncedOnce() || h.SyncRounds() != 1 {
			t.Fatalf("node %d: syncing=%v synced=%v rounds=%d", id, h.Syncing(), h.SyncedOnce(), h.SyncRounds())
		}
	}
}

// A configuration change in the middle of a round aborts the service being
// synchronised and starts again from SERVICE_BUILD; old-ring barriers are
// ignored.
func TestSyncAbortRestarts(t *testing.T) {
	var log []string
	bus, recs := newCluster(t, []uint32{1, 2, 3}, []uint16{0, 3}, &log)
	recs[3][1].processRounds = 1000 // node 3 never finishes service 3
	bus.Form(1, 2, 3)
	bus.Run(20, 50)
	if bus.Node(1).Host.SyncedOnce() {
		t.Fatal("sync completed while node 3 still processes")
	}
	log = log[:0]
	bus.Crash(3)
	bus.Form(1, 2)
	bus.Run(100, 5)
	n1 := filter(log, "n1")
	want := []string{
		"n1 s3 abort",
		"n1 s0 init trans=[1 2] members=[1 2]",
		"n1 s3 init trans=[1 2] members=[1 2]",
		"n1 s0 process done after 1 calls",
		"n1 s0 activate",
		"n1 s3 process done after 1 calls",
		"n1 s3 activate",
	}
	if !slices.Equal(n1, want) {
		t.Fatalf("node 1:\n%s\nwant\n%s", strings.Join(n1, "\n"), strings.Join(want, "\n"))
	}
	if h := bus.Node(2).Host; h.Syncing() || h.SyncRounds() != 1 || !slices.Equal(h.Members(), []uint32{1, 2}) {
		t.Fatalf("node 2: syncing=%v rounds=%d members=%v", h.Syncing(), h.SyncRounds(), h.Members())
	}
}

// A node with a service the others lack: they synchronise it as a no-op,
// so every node passes the same barriers.
func TestSyncUnknownServiceIsANoOp(t *testing.T) {
	var log []string
	bus := servicetest.New()
	a := &recorder{id: 0, node: 1, log: &log}
	b := &recorder{id: 7, node: 1, log: &log}
	c := &recorder{id: 0, node: 2, log: &log}
	if _, err := bus.Add(1, a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.Add(2, c); err != nil {
		t.Fatal(err)
	}
	bus.Form(1, 2)
	bus.Run(100, 5)
	for _, id := range []uint32{1, 2} {
		if h := bus.Node(id).Host; !h.SyncedOnce() {
			t.Fatalf("node %d did not complete sync", id)
		}
	}
	if !slices.Contains(log, "n1 s7 activate") {
		t.Fatalf("service 7 not activated on node 1:\n%s", strings.Join(log, "\n"))
	}
}

// Exec messages reach the engine on every member in one order, and are
// counted per function.
func TestExecMessagesRoutedAndCounted(t *testing.T) {
	var log []string
	bus, recs := newCluster(t, []uint32{1, 2}, []uint16{1}, &log)
	bus.Form(1, 2)
	bus.Run(100, 5)
	log = log[:0]
	if err := recs[1][0].host.Send(1, 4, []byte("ab"), []byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := recs[2][0].host.Send(1, 2, []byte("x")); err != nil {
		t.Fatal(err)
	}
	_ = recs[2][0].host.Send(9, 0, []byte("to nobody"))
	bus.Run(10, 2)
	for _, n := range []string{"n1", "n2"} {
		got := filter(log, n)
		want := []string{n + ` s1 deliver from=1 fn=4 "abc"`, n + ` s1 deliver from=2 fn=2 "x"`}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: %q", n, got)
		}
	}
	if tx, rx := recs[1][0].host.Counts(1, 4); tx != 1 || rx != 1 {
		t.Fatalf("counts fn 4 on node 1: tx %d rx %d", tx, rx)
	}
	if tx, rx := recs[1][0].host.Counts(1, 2); tx != 0 || rx != 1 {
		t.Fatalf("counts fn 2 on node 1: tx %d rx %d", tx, rx)
	}
}

// Garbage from a peer (short, unknown service, bad sync bodies) is dropped.
func TestDeliverDropsMalformed(t *testing.T) {
	var log []string
	bus, _ := newCluster(t, []uint32{1}, []uint16{0}, &log)
	h := bus.Node(1).Host
	for _, m := range [][]byte{nil, {1}, {0xff, 0xff, 0, 0}, {0xff, 0xff, 1, 0, 1}, {0xff, 0xff, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0xff, 0xff}} {
		h.Deliver(2, m)
	}
	if len(log) != 0 {
		t.Fatalf("malformed messages reached the engine: %q", log)
	}
}

func TestNewRejectsDuplicateIDs(t *testing.T) {
	var log []string
	_, err := services.New(services.Config{Send: func([]byte, bool) error { return nil },
		Engines: []services.Engine{&recorder{id: 2, log: &log}, &recorder{id: 2, log: &log}}})
	if err == nil || !strings.Contains(err.Error(), "share id 2") {
		t.Fatalf("err = %v", err)
	}
}

func TestSendTooLarge(t *testing.T) {
	var sent int
	h, err := services.New(services.Config{Send: func([]byte, bool) error { sent++; return nil }, MaxMessageBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Send(1, 0, make([]byte, 96)); err != nil {
		t.Fatalf("100 bytes with the header: %v", err)
	}
	if err := h.SendSafe(1, 0, make([]byte, 90), make([]byte, 7)); !errors.Is(err, services.ErrTooLarge) || sent != 1 {
		t.Fatalf("101 bytes: %v (sent %d)", err, sent)
	}
}

// With SendParts the header and the parts go as they are, in order; more
// pieces than MaxSendParts go joined through Send; a refusal is
// ErrTryAgain and nothing is counted; nothing is allocated per message.
func TestSendParts(t *testing.T) {
	var joined, pieces [][]byte
	var log []string
	refuse := false
	h, err := services.New(services.Config{
		Engines: []services.Engine{&recorder{id: 7, log: &log}},
		Send:    func(msg []byte, _ bool) error { joined = append(joined, slices.Clone(msg)); return nil },
		SendParts: func(parts [][]byte, _ bool) error {
			if refuse {
				return errors.New("full")
			}
			pieces = slices.Clone(parts)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("body")
	if err := h.Send(7, 3, []byte("ab"), body); err != nil {
		t.Fatal(err)
	}
	if len(pieces) != 3 || string(pieces[0]) != "\x07\x00\x03\x00" || string(pieces[1]) != "ab" || &pieces[2][0] != &body[0] {
		t.Fatalf("pieces %q: want the header, then the caller's parts themselves", pieces)
	}
	if tx, _ := h.Counts(7, 3); tx != 1 {
		t.Fatalf("tx %d", tx)
	}
	many := make([][]byte, services.MaxSendParts)
	for i := range many {
		many[i] = []byte{byte('a' + i%26)}
	}
	if err := h.Send(7, 3, many...); err != nil || len(joined) != 1 || len(joined[0]) != services.HeaderSize+len(many) {
		t.Fatalf("%d parts: %v, joined %q", len(many), err, joined)
	}
	refuse = true
	if err := h.Send(7, 3, body); !errors.Is(err, services.ErrTryAgain) {
		t.Fatalf("refused: %v", err)
	}
	if tx, _ := h.Counts(7, 3); tx != 2 {
		t.Fatalf("tx %d after a refusal, want 2", tx)
	}
	quiet, err := services.New(services.Config{Send: func([]byte, bool) error { return nil },
		SendParts: func([][]byte, bool) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ab := []byte("ab")
	if n := testing.AllocsPerRun(100, func() { _ = quiet.SendSafe(7, 3, ab, body) }); n != 0 {
		t.Fatalf("%v allocations per SendParts message", n)
	}
}
