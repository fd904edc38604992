package ring

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
)

func TestMPSCOrderAndBounds(t *testing.T) {
	r, err := NewMPSC(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := r.Offer([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Offer([]byte{9}); !errors.Is(err, ErrFull) {
		t.Fatalf("fifth offer into 4 slots: %v", err)
	}
	if err := r.Offer(make([]byte, 9)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	var got []byte
	r.Drain(10, func(m []byte) { got = append(got, m[0]) })
	if string(got) != "\x00\x01\x02\x03" {
		t.Fatalf("got %v", got)
	}
	if r.Poll(func([]byte) {}) {
		t.Fatal("polled an empty ring")
	}
	for _, bad := range [][2]int{{3, 8}, {0, 8}, {4, 0}} {
		if _, err := NewMPSC(bad[0], bad[1]); err == nil {
			t.Errorf("NewMPSC(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

// TestMPSCConcurrentProducers: four producers, one consumer; every message
// arrives exactly once and each producer's messages in its order.
func TestMPSCConcurrentProducers(t *testing.T) {
	const producers, each = 4, 20000
	r, err := NewMPSC(64, 16)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			var b [16]byte
			for i := 0; i < each; {
				binary.LittleEndian.PutUint64(b[:], uint64(p))
				binary.LittleEndian.PutUint64(b[8:], uint64(i))
				if r.Offer(b[:]) == nil {
					i++
				}
			}
		})
	}
	next := make([]uint64, producers)
	total := 0
	for total < producers*each {
		r.Drain(64, func(m []byte) {
			p, i := binary.LittleEndian.Uint64(m), binary.LittleEndian.Uint64(m[8:])
			if i != next[p] {
				t.Fatalf("producer %d: got message %d, want %d", p, i, next[p])
			}
			next[p]++
			total++
		})
	}
	wg.Wait()
}

func TestMPSCAllocatesNothing(t *testing.T) {
	r, _ := NewMPSC(8, 64)
	msg := make([]byte, 40)
	fn := func([]byte) {}
	if a := testing.AllocsPerRun(1000, func() {
		_ = r.Offer(msg)
		r.Poll(fn)
	}); a != 0 {
		t.Fatalf("%.1f allocations per offer+poll", a)
	}
}

func BenchmarkMPSCOfferPoll(b *testing.B) {
	r, _ := NewMPSC(1024, 256)
	msg := make([]byte, 200)
	fn := func([]byte) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Offer(msg)
		r.Poll(fn)
	}
}

func TestMPSCPollIfKeepsRefusedMessage(t *testing.T) {
	r, _ := NewMPSC(4, 8)
	_ = r.Offer([]byte("a"))
	_ = r.Offer([]byte("b"))
	if r.PollIf(func([]byte) bool { return false }) {
		t.Fatal("a refused message was taken")
	}
	var got string
	for r.PollIf(func(m []byte) bool { got += string(m); return true }) {
	}
	if got != "ab" {
		t.Fatalf("got %q after a refusal, want \"ab\"", got)
	}
}
