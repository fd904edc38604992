//go:build linux

package qbring

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/ring/qbsem"
)

// TestManyLaps: a writer goroutine and a reader goroutine, each with its
// own handle (as in two processes), pass messages of every size through a
// 1024-word ring for well over 1000 laps; order and content are checked.
func TestManyLaps(t *testing.T) {
	w, r := pair(t, 0)
	max := w.MaxMsg()
	const msgs = 40000
	var words uint64
	for s := range uint64(msgs) {
		words += 2 + (uint64(sizeOf(s, max))+3)/4
	}
	laps := words / uint64(w.words)
	if laps < 1000 {
		t.Fatalf("only %d laps", laps)
	}
	t.Logf("%d messages, %d laps of a %d-word ring", msgs, laps, w.words)
	deadline := time.Now().Add(60 * time.Second)
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() {
		msg := make([]byte, max)
		var b backoff
		for s := uint64(0); s < msgs; {
			n := sizeOf(s, max)
			fill(msg[:n], s)
			var err error
			switch s % 3 {
			case 0:
				err = w.Write(msg[:n])
			case 1:
				err = w.Write(msg[:n/2], msg[n/2:n])
			default: // claim more than needed, commit what was filled
				var c Chunk
				if c, err = w.Claim(min(n+5, max)); err == nil {
					k := copy(c.A, msg[:n])
					copy(c.B, msg[k:n])
					c.Len = n
					err = w.Commit(c)
				}
			}
			switch {
			case err == nil:
				s++
				b.reset()
			case errors.Is(err, ErrFull):
				if time.Now().After(deadline) {
					werr = errors.New("writer timed out")
					return
				}
				b.wait()
			default:
				werr = err
				return
			}
		}
	})
	buf := make([]byte, max)
	want := make([]byte, max)
	var b backoff
	for s := uint64(0); s < msgs; {
		var n int
		var err error
		if s%4 != 1 {
			n, err = r.Read(buf)
		} else { // block in the semaphore now and then
			n, err = r.ReadWait(buf, time.Second)
		}
		if errors.Is(err, ErrEmpty) || errors.Is(err, qbsem.ErrTimeout) {
			if time.Now().After(deadline) {
				t.Fatalf("reader timed out at %d (%v): write_pt %d read_pt %d semaphore %d/%d",
					s, err, load(r.hword(offWritePt)), load(r.hword(offReadPt)), r.Sem().Value(), r.Sem().Waiters())
			}
			b.wait()
			continue
		}
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		b.reset()
		wn := sizeOf(s, max)
		fill(want[:wn], s)
		if !bytes.Equal(buf[:n], want[:wn]) {
			t.Fatalf("message %d: got %d bytes, want %d (content differs: %v)", s, n, wn, n == wn)
		}
		s++
	}
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	if _, err := r.Peek(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("ring not empty at the end: %v", err)
	}
}

func TestAllocatesNothing(t *testing.T) {
	w, r := pair(t, 1000)
	msg := make([]byte, 300)
	head := make([]byte, 16)
	buf := make([]byte, 2000)
	if a := testing.AllocsPerRun(2000, func() {
		_ = w.Write(head, msg)
		_, _ = r.Read(buf)
		c, _ := w.Claim(100)
		c.Len = copy(c.A, msg)
		_ = w.Commit(c)
		if c, err := r.Peek(); err == nil {
			_ = c
			r.Release()
		}
		_ = w.Write(msg)
		_, _ = r.Read(buf[:10]) // too big: stays
		_, _ = r.Read(buf)
		_, _ = r.Read(buf) // empty
	}); a != 0 {
		t.Fatalf("%.1f allocations per round", a)
	}
}

func BenchmarkWriteRead(b *testing.B) {
	w, r := pair(b, 1<<20)
	head := make([]byte, 24)
	msg := make([]byte, 200)
	buf := make([]byte, 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		_ = w.Write(head, msg)
		_, _ = r.Read(buf)
	}
}
