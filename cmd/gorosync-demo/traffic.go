package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
)

// sizes are the message sizes of the traffic's phases, in bytes.
var sizes = [2]int{64, 1024}

// mark ends the 16 bytes every demo message starts with: the sender's
// node id and its sequence number (little-endian u32, u64), then mark
// (u32), so that a delivery of anything else is noticed.
const mark = 0x6f6d6564 // "demo"

// sent is one sender's result in one phase.
type sent struct {
	accepted uint64 // multicasts the service took
	tryAgain uint64 // CS_ERR_TRY_AGAIN answers (flow control)
	err      error
}

// windowFor bounds the messages of size bytes in flight: accepted by a
// daemon but not yet delivered to every client. A client then never falls
// further behind than that, which matters: the daemon disconnects a client
// that has 1024 events queued beyond its 1 MiB event ring (corosync queues
// without bound), and the demo's three receivers share the machine with
// three senders and three daemons. The ring's share is counted with 256
// bytes of event header per message (a cpg delivery has about 180).
func windowFor(size int) uint64 { return (1<<20)/uint64(size+256) + 1000 }

// flight counts the messages accepted by the daemons, for the window.
type flight struct {
	accepted atomic.Uint64
	window   uint64 // of the phase running
	ms       []*member
}

// full: window messages are accepted and not yet delivered everywhere.
func (f *flight) full() bool {
	lowest := f.accepted.Load()
	for _, m := range f.ms {
		lowest = min(lowest, m.got.delivered.Load())
	}
	return f.accepted.Load()-lowest >= f.window
}

// send multicasts size-byte messages for dur, as fast as the window and
// the service take them: on CS_ERR_TRY_AGAIN (the service's flow
// control) it sleeps a little and tries the same message again. The
// member's seq numbers its messages across phases.
func (m *member) send(ctx context.Context, f *flight, size int, dur time.Duration) sent {
	var r sent
	msg := make([]byte, size)
	binary.LittleEndian.PutUint32(msg[0:], m.node)
	binary.LittleEndian.PutUint32(msg[12:], mark)
	for end := time.Now().Add(dur); time.Now().Before(end); {
		if f.full() {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		binary.LittleEndian.PutUint64(msg[4:], m.seq)
		err := m.c.Mcast(ctx, agreed, msg)
		switch cserror.Code(err) {
		case cserror.OK:
			m.seq++
			r.accepted++
			f.accepted.Add(1)
		case cserror.ErrTryAgain:
			r.tryAgain++
			time.Sleep(100 * time.Microsecond)
		default:
			r.err = fmt.Errorf("cpg_mcast_joined on node %d: %w", m.node, err)
			return r
		}
	}
	return r
}

// phase runs every member's sender at once for dur, then waits until
// every client delivered every message accepted so far, and prints each
// node's rates: a node's rate is what it delivered of this size over the
// time from the phase's start to its last delivery (sending and draining
// the queues, so the rate is one the cluster sustains).
func phase(ms []*member, f *flight, k int, dur time.Duration) error {
	size := sizes[k]
	f.window = windowFor(size)
	start := time.Now()
	sendCtx, cancel := context.WithTimeout(context.Background(), dur+stepWait)
	defer cancel()
	out := make([]sent, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() { out[i] = m.send(sendCtx, f, size, dur) })
	}
	wg.Wait()
	var accepted uint64
	for i, r := range out {
		if r.err != nil {
			return r.err
		}
		accepted += ms[i].seq
	}
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), drainWait)
	defer cancelDrain()
	if err := drain(drainCtx, ms, accepted); err != nil {
		return err
	}
	for i, m := range ms {
		_, _, got, _ := m.got.snapshot()
		s := got[k]
		rate, mbs := 0.0, 0.0
		if secs := s.last.Sub(start).Seconds(); s.n > 0 && secs > 0 {
			rate, mbs = float64(s.n)/secs, float64(s.bytes)/secs/1e6
		}
		fmt.Printf("  %-5d %-6s %9d %10d %10d %12.0f %8.1f\n", m.node, sizeName(size), out[i].accepted, out[i].tryAgain,
			s.n, rate, mbs)
	}
	return nil
}

// perSize is what one node delivered of one message size.
type perSize struct {
	n, bytes uint64
	last     time.Time // of the last delivery
}

// deliveries is what one client received, checked as it arrives: every
// sender's sequence numbers must come in order without gap or repeat, and
// the order of (sender, seq) over all senders is hashed (FNV-1a) so that
// the nodes' sequences can be compared.
type deliveries struct {
	mu        sync.Mutex
	delivered atomic.Uint64 // total, for the senders' window
	total     uint64
	hash      uint64
	next      map[uint32]uint64 // the next seq expected from each sender
	size      [len(sizes)]perSize
	broken    error // the first inconsistency
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (d *deliveries) init() { d.hash, d.next = fnvOffset, map[uint32]uint64{} }

// add records one delivery from node from.
func (d *deliveries) add(from uint32, msg []byte, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.broken != nil {
		return
	}
	k := sizeIndex(len(msg))
	if k < 0 || binary.LittleEndian.Uint32(msg[12:]) != mark || binary.LittleEndian.Uint32(msg) != from {
		d.broken = fmt.Errorf("a delivery from node %d of %d bytes is not a demo message of that node", from, len(msg))
		return
	}
	seq := binary.LittleEndian.Uint64(msg[4:])
	if want := d.next[from]; seq != want {
		d.broken = fmt.Errorf("node %d's message %d delivered when %d was due", from, seq, want)
		return
	}
	d.next[from] = seq + 1
	d.total++
	d.delivered.Store(d.total)
	d.hash = fnvAdd(d.hash, uint64(from), 4)
	d.hash = fnvAdd(d.hash, seq, 8)
	s := &d.size[k]
	s.n++
	s.bytes += uint64(len(msg))
	s.last = now
}

// fnvAdd hashes the n low bytes of v, little-endian first.
func fnvAdd(h, v uint64, n int) uint64 {
	for i := 0; i < n; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func sizeIndex(n int) int {
	for i, s := range sizes {
		if n == s {
			return i
		}
	}
	return -1
}

// snapshot copies the counters.
func (d *deliveries) snapshot() (total, hash uint64, size [len(sizes)]perSize, broken error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.total, d.hash, d.size, d.broken
}

// drain waits until every client delivered all accepted messages.
func drain(ctx context.Context, ms []*member, accepted uint64) error {
	for {
		behind := ""
		for _, m := range ms {
			total, _, _, broken := m.got.snapshot()
			if broken != nil {
				return fmt.Errorf("node %d's client: %w", m.node, broken)
			}
			if total != accepted {
				behind += fmt.Sprintf(" node %d: %d of %d", m.node, total, accepted)
			}
		}
		if behind == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for every delivery (%s): %w", behind[1:], errTimeout)
		case <-time.After(pollEvery / 5):
		}
	}
}

// traffic runs the phases and checks that the nodes delivered one
// sequence.
func traffic(ms []*member, dur time.Duration) error {
	fmt.Printf("\ntraffic: every client multicasts (agreed) %s messages for %v, then %s messages for %v,\n"+
		"         as fast as cpg's flow control (TRY_AGAIN) and at most %d / %d messages in flight allow\n",
		sizeName(sizes[0]), dur/2, sizeName(sizes[1]), dur/2, windowFor(sizes[0]), windowFor(sizes[1]))
	fmt.Printf("  %-5s %-6s %9s %10s %10s %12s %8s\n", "node", "size", "sent", "TRY_AGAIN", "delivered", "messages/s", "MB/s")
	f := &flight{ms: ms}
	for k := range sizes {
		if err := phase(ms, f, k, dur/2); err != nil {
			return err
		}
	}
	total, want, _, _ := ms[0].got.snapshot()
	for _, m := range ms[1:] {
		if n, h, _, _ := m.got.snapshot(); h != want || n != total {
			return fmt.Errorf("node %d delivered another sequence than node %d (%d messages, hash %016x; not %d, %016x)",
				m.node, ms[0].node, n, h, total, want)
		}
	}
	fmt.Printf("\norder: all %d nodes delivered the same %d messages in the same order "+
		"(every sender's in sequence, none missing or repeated; FNV-1a of the (sender, seq) order: %016x)\n",
		len(ms), total, want)
	return nil
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}
