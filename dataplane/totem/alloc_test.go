package totem

import (
	"testing"
)

// TestSteadyStateAllocatesNothing proves the hot path: submitting a message
// and carrying it through broadcast, token rotation, delivery and release on
// every node allocates nothing once buffers are warm.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	r := newTestRing(t, 3, nil)
	r.keep = false
	r.queue = make([]queued, 0, 1024)
	payload := make([]byte, 1000)
	frames := make([][]byte, 1024)
	for i := range frames {
		frames[i] = make([]byte, DefaultNetMTU)
	}
	// A zero-allocation network: frames are copied into a fixed ring of
	// buffers and the queue slice is reused.
	next := 0
	pump := func(n *Node) {
		rd := n.Ready()
		for _, f := range rd.Frames {
			for _, peer := range r.nodes {
				if (f.To == Broadcast && peer != n) || f.To == peer.id {
					b := frames[next%len(frames)][:len(f.Data)]
					next++
					copy(b, f.Data)
					r.queue = append(r.queue, queued{from: n.id, to: peer.id, data: b})
				}
			}
		}
		n.Advance()
	}
	cycle := func() {
		if err := r.nodes[next%3].Submit(payload, Agreed); err != nil {
			t.Fatal(err)
		}
		pump(r.nodes[next%3])
		target := r.nodes[0].Stats().Delivered + 1
		for steps := 0; steps < 10000 && (r.nodes[0].Stats().Delivered < target || r.nodes[2].Stats().Delivered < target); steps++ {
			if len(r.queue) == 0 {
				r.now += r.nodes[0].cfg.Timers.HoldNs
				for _, n := range r.nodes {
					n.Tick(r.now)
					pump(n)
				}
				continue
			}
			q := r.queue[0]
			r.queue = append(r.queue[:0], r.queue[1:]...)
			r.now += 1000
			n := r.node(q.to)
			_ = n.Step(r.now, q.data)
			pump(n)
		}
	}
	for range 2000 {
		cycle()
	}
	if allocs := testing.AllocsPerRun(500, cycle); allocs != 0 {
		t.Fatalf("%.2f allocations per submitted+delivered message, want 0", allocs)
	}
}
