//go:build linux

package qbring

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

// reset puts the shared ring back to the state Create leaves (empty) and
// forgets both handles' chunks in flight.
func reset(w, r *Ring) {
	clear(w.hdr[:12])
	store(w.hword(offWordSize), w.words)
	clear(w.data)
	w.sem.Init()
	w.claimed, w.peeked, r.claimed, r.peeked = false, false, false, false
}

// poke writes hostile input into the shared ring as a peer could: bytes
// 0..11 over write_pt, read_pt and word_size, byte 12 = semaphore tokens
// (mod 8), bytes 13..14 = where in the data file the rest goes (it wraps
// at the end of the file).
func poke(w *Ring, in []byte) {
	n := copy(w.hdr[:12], in)
	in = in[n:]
	if len(in) == 0 {
		return
	}
	for range in[0] % 8 {
		_ = w.sem.Post()
	}
	in = in[1:]
	if len(in) < 2 {
		return
	}
	off := int(binary.LittleEndian.Uint16(in)) % len(w.data)
	for _, b := range in[2:] {
		w.data[off] = b
		off = (off + 1) % len(w.data)
	}
}

// exercise runs the reader's and the writer's operations on a ring a
// peer may have scribbled on: they may fail, they must not panic or
// touch memory outside the mappings, and whatever they return must be
// within bounds.
func exercise(t *testing.T, w, r *Ring, buf []byte) {
	for range 4 {
		c, err := r.Peek()
		if err == nil {
			if len(c.A)+len(c.B) != c.Len || c.Len > r.MaxMsg() {
				t.Fatalf("peek returned %d+%d bytes for Len %d", len(c.A), len(c.B), c.Len)
			}
			var sum byte
			for _, b := range c.A {
				sum += b
			}
			for _, b := range c.B {
				sum += b
			}
			_ = sum
			r.Release()
		} else if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("peek: %v", err)
		}
		if n, err := r.Read(buf[:7]); err == nil && n > 7 {
			t.Fatalf("read %d bytes into 7", n)
		}
		if n, err := r.Read(buf); err == nil && n > len(buf) {
			t.Fatalf("read %d bytes into %d", n, len(buf))
		}
		_ = w.Write(buf[:11])
		if c, err := w.Claim(100); err == nil {
			if len(c.A)+len(c.B) != 100 {
				t.Fatalf("claim gave %d+%d bytes", len(c.A), len(c.B))
			}
			copy(c.A, buf)
			c.Len = 50
			_ = w.Commit(c)
		}
	}
}

// TestCorruptChunks: each kind of bad index, magic or length is reported
// as ErrCorrupt and the semaphore token is given back.
func TestCorruptChunks(t *testing.T) {
	w, r := pair(t, 0) // 1024 words
	le := binary.LittleEndian
	hdr := func(wp, rp uint32) []byte {
		b := make([]byte, 12)
		le.PutUint32(b, wp)
		le.PutUint32(b[4:], rp)
		le.PutUint32(b[8:], 1024)
		return b
	}
	chunk := func(at uint16, length, magic uint32) []byte {
		b := []byte{1, byte(at), byte(at >> 8), 0, 0, 0, 0, 0, 0, 0, 0}
		le.PutUint32(b[3:], length)
		le.PutUint32(b[7:], magic)
		return b
	}
	cat := func(a, b []byte) []byte { return append(append([]byte(nil), a...), b...) }
	for name, in := range map[string][]byte{
		"read_pt out of range":     cat(hdr(4, 1024), chunk(0, 5, magicCommitted)),
		"write_pt out of range":    cat(hdr(0xffffffff, 0), chunk(0, 5, magicCommitted)),
		"allocated, not committed": cat(hdr(4, 0), chunk(0, 5, magicAlloc)),
		"reclaimed":                cat(hdr(4, 0), chunk(0, 5, magicDead)),
		"length 2^32-1":            cat(hdr(4, 0), chunk(0, 0xffffffff, magicCommitted)),
		"length past write_pt":     cat(hdr(4, 0), chunk(0, 9, magicCommitted)),
		"length past the ring":     cat(hdr(0, 0), chunk(0, 4096, magicCommitted)),
	} {
		reset(w, r)
		poke(w, in)
		if _, err := r.Peek(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: peek %v", name, err)
		}
		if v := r.Sem().Value(); v != 1 {
			t.Errorf("%s: semaphore %d after a corrupt chunk, want the token back", name, v)
		}
	}
	// Controls: the same shapes made valid are read.
	for name, in := range map[string][]byte{
		"5 bytes":                  cat(hdr(4, 0), chunk(0, 5, magicCommitted)),
		"wraps the end":            cat(hdr(2, 1022), chunk(1022*4, 8, magicCommitted)),
		"equal indices, full ring": cat(hdr(10, 10), chunk(40, 4*1022-12, magicCommitted)),
	} {
		reset(w, r)
		poke(w, in)
		if _, err := r.Peek(); err != nil {
			t.Errorf("%s: peek %v", name, err)
		}
	}
	reset(w, r)
	poke(w, hdr(0, 5000))
	if _, err := w.Claim(1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("claim with read_pt out of range: %v", err)
	}
}

// TestHostileRandom scribbles random bytes over the header indices and
// the data, many times, and runs both sides on the result.
func TestHostileRandom(t *testing.T) {
	w, r := pair(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 8192)
	in := make([]byte, 64)
	for i := range 20000 {
		reset(w, r)
		if i%2 == 0 { // start from a valid ring sometimes
			for range rng.IntN(5) {
				_ = w.Write(buf[:rng.IntN(2000)])
			}
		}
		for j := range in {
			in[j] = byte(rng.Uint32())
		}
		n := rng.IntN(len(in))
		if rng.IntN(3) == 0 { // keep the indices small, near the data
			for j := 0; j < 12 && j < n; j++ {
				if j%4 != 0 {
					in[j] = 0
				}
			}
		}
		poke(w, in[:n])
		exercise(t, w, r, buf)
	}
}

// FuzzPeek: whatever a peer writes into the header's write_pt, read_pt
// and word_size, the semaphore and the data, Peek, Read, Release, Claim,
// Commit and Write must not panic or go out of bounds.
func FuzzPeek(f *testing.F) {
	w, r := pair(f, 0)
	buf := make([]byte, 8192)
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 0, 0, 5, 0, 0, 0, 0xa1, 0xa1, 0xa1, 0xa1, 'h', 'e', 'l', 'l', 'o'})
	f.Fuzz(func(t *testing.T, in []byte) {
		reset(w, r)
		poke(w, in)
		exercise(t, w, r, buf)
	})
}
