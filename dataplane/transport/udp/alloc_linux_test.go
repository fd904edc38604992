//go:build linux

package udp

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// sendRecv sends out from a and receives them on b into in, spinning a
// bounded number of times (loopback delivers within sendmmsg, so it rarely
// spins at all); it returns how many arrived. Nothing here allocates.
func sendRecv(a, b *Transport, out []transport.Outgoing, in []transport.Received) (int, error) {
	if err := a.Send(out); err != nil {
		return 0, err
	}
	got := 0
	for spins := 0; got < len(out) && spins < 100000; spins++ {
		n, err := b.Recv(in)
		if err != nil {
			return got, err
		}
		b.Release(in[:n])
		got += n
	}
	return got, nil
}

func TestZeroAllocs(t *testing.T) {
	trs := cluster(t, loop3[:2], nil)
	a, b := trs[0], trs[1]
	out := make([]transport.Outgoing, 16)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: bytes.Repeat([]byte{byte(i)}, 1024)}
	}
	in := make([]transport.Received, 64)
	var lost int
	var firstErr error
	allocs := testing.AllocsPerRun(200, func() {
		n, err := sendRecv(a, b, out, in)
		lost += len(out) - n
		if err != nil && firstErr == nil {
			firstErr = err
		}
	})
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	if allocs != 0 {
		t.Fatalf("Send of 16 frames + Recv + Release: %v allocations, want 0", allocs)
	}
	if lost != 0 {
		t.Fatalf("%d frames lost on loopback", lost)
	}
	// A broadcast and the unlisted path allocate nothing either.
	bc := []transport.Outgoing{{To: transport.Broadcast, Data: out[0].Data}}
	if allocs := testing.AllocsPerRun(100, func() { _ = a.Send(bc) }); allocs != 0 {
		t.Fatalf("Broadcast Send: %v allocations", allocs)
	}
	// Drain what the broadcasts left, within the time limit.
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		n, _ := b.Recv(in)
		if n == 0 {
			break
		}
		b.Release(in[:n])
	}
}

func BenchmarkSendRecv1KiB(bm *testing.B) {
	trs := cluster(bm, loop3[:2], nil) // batch 64
	a, b := trs[0], trs[1]
	out := make([]transport.Outgoing, 64)
	frame := bytes.Repeat([]byte{0x5a}, 1024)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: frame}
	}
	in := make([]transport.Received, 64)
	bm.SetBytes(1024)
	bm.ReportAllocs()
	bm.ResetTimer()
	received := 0
	start := time.Now()
	for sent := 0; sent < bm.N; {
		k := min(len(out), bm.N-sent)
		n, err := sendRecv(a, b, out[:k], in)
		if err != nil {
			bm.Fatal(err)
		}
		sent += k
		received += n
	}
	el := time.Since(start)
	bm.ReportMetric(float64(received)/el.Seconds(), "frames/s")
	bm.ReportMetric(float64(bm.N-received)/float64(bm.N), "loss")
}

// A 1 KiB broadcast to two peers: one copy, two datagrams.
func BenchmarkBroadcast1KiB(bm *testing.B) {
	trs := cluster(bm, loop3, nil)
	a := trs[0]
	out := make([]transport.Outgoing, 32)
	frame := bytes.Repeat([]byte{0x5a}, 1024)
	for i := range out {
		out[i] = transport.Outgoing{To: transport.Broadcast, Data: frame}
	}
	in := make([]transport.Received, 64)
	bm.SetBytes(1024)
	bm.ReportAllocs()
	bm.ResetTimer()
	received := 0
	start := time.Now()
	for sent := 0; sent < bm.N; {
		k := min(len(out), bm.N-sent)
		if err := a.Send(out[:k]); err != nil {
			bm.Fatal(err)
		}
		for _, r := range trs[1:] {
			for spins := 0; spins < 100000; spins++ {
				n, _ := r.Recv(in)
				r.Release(in[:n])
				received += n
				if n == 0 {
					break
				}
			}
		}
		sent += k
	}
	el := time.Since(start)
	bm.ReportMetric(float64(received)/el.Seconds(), "frames/s")
}
