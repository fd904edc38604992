package totempg

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// queueSink is a send queue: packets wait until broadcast pops them.
type queueSink struct {
	queue     [][]byte
	capacity  int
	broadcast [][]byte
	signals   int
}

func (q *queueSink) SubmitPacket(b []byte, safe bool) error {
	if len(q.queue) >= q.capacity {
		return errSinkFull
	}
	q.queue = append(q.queue, append([]byte(nil), b...))
	return nil
}
func (q *queueSink) Avail() int  { return q.capacity - len(q.queue) }
func (q *queueSink) Signal()     { q.signals++ }
func (q *queueSink) Queued() int { return len(q.queue) }
func (q *queueSink) DropQueued() { q.queue = q.queue[:0] }

// send broadcasts n queued packets (a token visit).
func (q *queueSink) send(n int) {
	n = min(n, len(q.queue))
	q.broadcast = append(q.broadcast, q.queue[:n]...)
	q.queue = q.queue[n:]
}

// TestResenderRestartsCutMessages: a configuration change lands while a
// large message is half broadcast. The old ring's members saw its head;
// after the change every receiver (a fresh Assembler: a node that joined,
// and one that reset its assemblies) must deliver it whole, exactly once,
// with the messages after it in order — and nothing fully broadcast before
// the change is sent again.
func TestResenderRestartsCutMessages(t *testing.T) {
	q := &queueSink{capacity: 100}
	r, err := NewResender(PacketSizeForNetMTU(1500), q)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(i, size int) []byte {
		b := bytes.Repeat([]byte{byte(i)}, size)
		copy(b, fmt.Sprintf("m%d", i))
		return b
	}
	sizes := []int{100, 5000, 20, 9000, 30}
	for i, size := range sizes[:2] {
		if err := r.Mcast(GroupsA, msg(i, size), false); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	q.send(1) // the old ring broadcast m0 and the head of m1
	oldRing := append([][]byte(nil), q.broadcast...)
	for i := 2; i < len(sizes); i++ {
		if err := r.Mcast(GroupsA, msg(i, sizes[i]), false); err != nil {
			t.Fatal(err)
		}
	}
	// The new ring is installed: cut messages go again, whole.
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	q.send(100)
	newRing := q.broadcast[len(oldRing):]

	deliver := func(packets [][]byte) []string {
		a := NewAssembler()
		var got []string
		for _, p := range packets {
			if err := a.Packet(1, p, false, func(_ uint32, m []byte) {
				_, payload, err := SplitGroups(m, false)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s/%d", payload[:2], len(payload)))
			}); err != nil {
				t.Fatal(err)
			}
		}
		return got
	}
	// An old member delivered m0 in the old ring, then reset at the change.
	if got := deliver(oldRing); fmt.Sprint(got) != "[m0/100]" {
		t.Fatalf("old ring delivered %v", got)
	}
	want := "[m1/5000 m2/20 m3/9000 m4/30]"
	if got := deliver(newRing); fmt.Sprint(got) != want {
		t.Fatalf("new ring delivered %v, want %v (a joiner and a reset old member alike)", got, want)
	}
	// Nothing is kept once everything went out.
	r.release()
	if r.head != len(r.msgs) || len(r.log) != 0 {
		t.Fatalf("%d messages still kept", len(r.msgs)-r.head)
	}
}

// TestResenderKeepsOrderWhenTheQueueIsShort: messages that do not fit the
// emptied queue at a restart go out on later flushes, and new messages wait
// behind them.
func TestResenderKeepsOrderWhenTheQueueIsShort(t *testing.T) {
	q := &queueSink{capacity: 16}
	r, err := NewResender(PacketSizeForNetMTU(1500), q)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := r.Mcast(GroupsA, bytes.Repeat([]byte{byte('a' + i)}, 6000), false); err != nil {
			t.Fatal(err)
		}
	}
	q.send(3) // a cut inside the first message
	q.broadcast = q.broadcast[:0]
	q.capacity = 5
	if err := r.Restart(); err != nil && !errors.Is(err, ErrTryAgain) {
		t.Fatal(err)
	}
	if err := r.Mcast(GroupsA, []byte("late"), false); !errors.Is(err, ErrTryAgain) {
		t.Fatalf("a new message overtook the ones being sent again: %v", err)
	}
	var newRing [][]byte
	for range 10 {
		q.send(100)
		newRing = append(newRing, q.broadcast...)
		q.broadcast = q.broadcast[:0]
		if err := r.Flush(); err != nil && !errors.Is(err, ErrTryAgain) {
			t.Fatal(err)
		}
		q.capacity = 8
	}
	a := NewAssembler()
	var got []byte
	for _, p := range newRing {
		_ = a.Packet(1, p, false, func(_ uint32, m []byte) {
			_, payload, _ := SplitGroups(m, false)
			got = append(got, payload[0])
		})
	}
	if string(got) != "ab" {
		t.Fatalf("delivered %q, want both messages whole and in order", got)
	}
}

// TestResenderMcastvKeepsThePiecesJoined: a message sent in pieces is
// delivered as the pieces back to back, and when a configuration change
// cuts it, the copy sent again is the same bytes.
func TestResenderMcastvKeepsThePiecesJoined(t *testing.T) {
	q := &queueSink{capacity: 100}
	r, err := NewResender(PacketSizeForNetMTU(1500), q)
	if err != nil {
		t.Fatal(err)
	}
	pieces := func(i int) [][]byte {
		return [][]byte{{0xff, byte(i), 0, 0}, bytes.Repeat([]byte{byte(i)}, 3000), []byte(fmt.Sprintf("end%d", i))}
	}
	var want [][]byte
	for i := range 3 {
		if err := r.Mcastv(GroupsA, pieces(i), false); err != nil {
			t.Fatal(err)
		}
		want = append(want, bytes.Join(pieces(i), nil))
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	q.send(1) // the change cuts message 0
	old := len(q.broadcast)
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	q.send(100)
	a := NewAssembler()
	var got [][]byte
	for _, p := range q.broadcast[old:] {
		if err := a.Packet(1, p, false, func(_ uint32, m []byte) {
			_, payload, err := SplitGroups(m, false)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, bytes.Clone(payload))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("delivered %d messages after the change, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("message %d: %d bytes, not the %d of its pieces joined", i, len(got[i]), len(want[i]))
		}
	}
}
