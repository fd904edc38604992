package cpgtest

import (
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cpg"
)

// loopRing is a one-node ring: every exec message sent is delivered back
// on the next step, in order, from buffers reused across steps.
type loopRing struct {
	id    uint32
	host  *services.Host
	q     [][]byte
	n     int
	seq   uint64
	nowNs int64
}

func newLoopRing(t testing.TB, id uint32, e *cpg.Engine) *loopRing {
	l := &loopRing{id: id}
	h, err := services.New(services.Config{
		NodeID:  id,
		Engines: []services.Engine{e},
		Now:     func() int64 { return l.nowNs },
		Send:    l.send,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.SetHost(h)
	l.host = h
	return l
}

func (l *loopRing) send(msg []byte, _ bool) error {
	if l.n == len(l.q) {
		l.q = append(l.q, nil)
	}
	l.q[l.n] = append(l.q[l.n][:0], msg...)
	l.n++
	return nil
}

// form installs a new configuration of the node alone and runs its sync.
func (l *loopRing) form() {
	l.seq += 4
	ring := services.RingID{Rep: l.id, Seq: l.seq}
	members := []uint32{l.id}
	l.host.Conf(services.ConfChange{Kind: services.Transitional, Ring: ring, Members: members})
	l.host.Conf(services.ConfChange{Kind: services.Regular, Ring: ring, Members: members})
	for range 100 {
		if l.step() == 0 && !l.host.Syncing() {
			return
		}
	}
}

// step delivers what was sent (and what that sends), then polls the host.
func (l *loopRing) step() int {
	l.nowNs += 1_000_000
	work := l.host.Poll()
	for i := 0; i < l.n; i++ {
		l.host.Deliver(l.id, l.q[i])
		work++
	}
	l.n = 0
	return work
}
