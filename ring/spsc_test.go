package ring

import (
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestSPSCOrderAndBounds(t *testing.T) {
	r, err := NewSPSC(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	if r.Poll(func([]byte) { t.Fatal("polled an empty ring") }) {
		t.Fatal("empty ring reported a message")
	}
	for i := range 4 {
		if err := r.Offer([]byte{byte(i), byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if r.Len() != 4 {
		t.Fatalf("Len %d", r.Len())
	}
	if err := r.Offer([]byte{9}); !errors.Is(err, ErrFull) {
		t.Fatalf("fifth offer into 4 slots: %v", err)
	}
	if _, err := r.Claim(0); !errors.Is(err, ErrFull) {
		t.Fatalf("claim on a full ring: %v", err)
	}
	if err := r.Offer(make([]byte, 9)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	var got []byte
	for r.Poll(func(m []byte) { got = append(got, m...) }) {
	}
	if string(got) != "\x00\x00\x01\x01\x02\x02\x03\x03" || r.Len() != 0 {
		t.Fatalf("got %v, Len %d", got, r.Len())
	}
	for _, bad := range [][2]int{{3, 8}, {0, 8}, {1, 8}, {4, 0}} {
		if _, err := NewSPSC(bad[0], bad[1]); err == nil {
			t.Errorf("NewSPSC(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

func TestSPSCClaimCommit(t *testing.T) {
	r, _ := NewSPSC(2, 16)
	b, err := r.Claim(16)
	if err != nil || len(b) != 16 || cap(b) != 16 {
		t.Fatalf("claim: %d/%d %v", len(b), cap(b), err)
	}
	copy(b, "hello, world....")
	if r.Len() != 0 {
		t.Fatal("claimed slot visible before commit")
	}
	if b2, _ := r.Claim(16); &b2[0] != &b[0] {
		t.Fatal("a second claim before commit moved to another slot")
	}
	r.Commit(5)
	if !r.Poll(func(m []byte) {
		if string(m) != "hello" {
			t.Fatalf("got %q", m)
		}
	}) {
		t.Fatal("nothing to poll after commit")
	}
	// Each misuse on a fresh ring: a panicking Commit leaves its claim.
	for name, f := range map[string]func(r *SPSC){
		"commit without claim": func(r *SPSC) { r.Commit(0) },
		"commit past claim":    func(r *SPSC) { _, _ = r.Claim(3); r.Commit(4) },
	} {
		r, _ := NewSPSC(2, 16)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f(r)
		}()
	}
}

// TestSPSCStress: one producer goroutine, one consumer; every message
// arrives once, in order, with its content intact (run with -race).
func TestSPSCStress(t *testing.T) {
	const msgs = 200000
	r, _ := NewSPSC(64, 32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(0); i < msgs; {
			n := 8 + int(i%25)
			b, err := r.Claim(n)
			if err != nil {
				runtime.Gosched()
				continue
			}
			binary.LittleEndian.PutUint64(b, i)
			for j := 8; j < n; j++ {
				b[j] = byte(i + uint64(j))
			}
			r.Commit(n)
			i++
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	var next uint64
	check := func(m []byte) {
		if len(m) != 8+int(next%25) || binary.LittleEndian.Uint64(m) != next {
			t.Fatalf("message %d: %d bytes, seq %d", next, len(m), binary.LittleEndian.Uint64(m))
		}
		for j := 8; j < len(m); j++ {
			if m[j] != byte(next+uint64(j)) {
				t.Fatalf("message %d byte %d", next, j)
			}
		}
		next++
	}
	for next < msgs {
		if !r.Poll(check) {
			if time.Now().After(deadline) {
				t.Fatalf("stuck at %d", next)
			}
			runtime.Gosched()
		}
		if l := r.Len(); l < 0 || l > 64 {
			t.Fatalf("Len %d", l)
		}
	}
	<-done
	if r.Poll(func([]byte) {}) {
		t.Fatal("extra message")
	}
}

func TestSPSCAllocatesNothing(t *testing.T) {
	r, _ := NewSPSC(8, 64)
	msg := make([]byte, 40)
	fn := func([]byte) {}
	if a := testing.AllocsPerRun(1000, func() {
		_ = r.Offer(msg)
		b, _ := r.Claim(10)
		r.Commit(copy(b, msg))
		r.Poll(fn)
		r.Poll(fn)
		_ = r.Len()
	}); a != 0 {
		t.Fatalf("%.1f allocations per round", a)
	}
}

func BenchmarkSPSCOfferPoll(b *testing.B) {
	r, _ := NewSPSC(1024, 256)
	msg := make([]byte, 200)
	fn := func([]byte) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Offer(msg)
		r.Poll(fn)
	}
}
