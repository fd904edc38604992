//go:build linux

package qbring

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

func TestDataSize(t *testing.T) {
	for _, c := range [][2]int{{1 << 20, 1052672}, {0, 4096}, {4083, 4096}, {4084, 8192}, {12328, 16384}} {
		if got := DataSize(c[0]); got != c[1] {
			t.Errorf("DataSize(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

func TestCreateLayout(t *testing.T) {
	base := newBase(t)
	r, err := Create(base, 1<<20, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Unlink()
	defer r.Close()
	for path, size := range map[string]int64{base + "-header": 8252, base + "-data": 1052672} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != size || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: size %d mode %v, want %d 0600", path, st.Size(), st.Mode().Perm(), size)
		}
	}
	h, err := os.ReadFile(base + "-header")
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if w, rd, ws := le.Uint32(h[0:]), le.Uint32(h[4:]), le.Uint32(h[8:]); w != 0 || rd != 0 || ws != 263168 {
		t.Errorf("write_pt %d read_pt %d word_size %d", w, rd, ws)
	}
	cstr := func(b []byte) string { return string(b[:bytes.IndexByte(b, 0)]) }
	if p := cstr(h[12:4108]); p != base+"-header" {
		t.Errorf("hdr_path %q", p)
	}
	if p := cstr(h[4108:8204]); p != base+"-data" {
		t.Errorf("data_path %q", p)
	}
	if rc := int32(le.Uint32(h[8204:])); rc != 1 || r.RefCount() != 1 {
		t.Errorf("ref_count %d", rc)
	}
	if le.Uint64(h[8208:]) != 0 || le.Uint32(h[8216:]) != 128 {
		t.Errorf("sem_t % x", h[8208:8240])
	}
	if le.Uint32(h[8240:]) != 0 {
		t.Errorf("user data % x", h[8240:8244])
	}
	o, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	if r.RefCount() != 2 {
		t.Errorf("ref_count %d after Open", r.RefCount())
	}
	if o.DataPath() != base+"-data" || o.MaxMsg() < 1<<20 {
		t.Errorf("opened %q, max %d", o.DataPath(), o.MaxMsg())
	}
	r.SetFlowControl(2)
	if o.FlowControl() != 2 || le.Uint32(mustRead(t, base+"-header")[8240:]) != 2 {
		t.Error("flow-control word not shared at offset 8240")
	}
	o.Close()
	o.Close()
	if r.RefCount() != 1 {
		t.Errorf("ref_count %d after Close twice", r.RefCount())
	}
	if _, err := o.Claim(1); !errors.Is(err, ErrClosed) {
		t.Errorf("claim after close: %v", err)
	}
	if _, err := Create(base, 1<<20, -1, -1); err == nil {
		t.Error("Create over existing files succeeded")
	}
	r.Close()
	if err := r.Unlink(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(base + "-header"); !os.IsNotExist(err) {
		t.Error("header file left after Unlink")
	}
	if err := r.Unlink(); err != nil {
		t.Errorf("second Unlink: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreateChowns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	base := newBase(t)
	r, err := Create(base, 100, 65534, 65533)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Unlink()
	defer r.Close()
	for _, p := range []string{base + "-header", base + "-data"} {
		var st = statOwner(t, p)
		if st[0] != 65534 || st[1] != 65533 {
			t.Errorf("%s owned by %v", p, st)
		}
	}
}

func TestOpenRejectsBadHeader(t *testing.T) {
	w, _ := pair(t, 100)
	base := w.HeaderPath()[:len(w.HeaderPath())-len("-header")]
	for name, poke := range map[string]func(){
		"word_size 0":      func() { store(w.hword(offWordSize), 0) },
		"word_size huge":   func() { store(w.hword(offWordSize), 1<<31) },
		"word_size > file": func() { store(w.hword(offWordSize), 2048) },
		"no data path":     func() { w.hdr[offDataPath] = 0 },
		"missing data":     func() { copy(w.hdr[offDataPath:], "/dev/shm/nonexistent-gorosync\x00") },
	} {
		saved := append([]byte(nil), w.hdr[:HeaderSize]...)
		poke()
		if o, err := Open(base); err == nil {
			o.Close()
			t.Errorf("%s: Open succeeded", name)
		}
		copy(w.hdr, saved)
	}
	if w.RefCount() != 2 {
		t.Errorf("failed opens changed ref_count to %d", w.RefCount())
	}
}

func TestFullEmptyAndBoundaries(t *testing.T) {
	w, r := pair(t, 0) // 4096 bytes: 1024 words
	buf := make([]byte, 8192)
	if _, err := r.Peek(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("peek on empty: %v", err)
	}
	if _, err := r.Read(buf); !errors.Is(err, ErrEmpty) {
		t.Fatalf("read on empty: %v", err)
	}
	max := w.MaxMsg()
	if max != 4096-12 {
		t.Fatalf("MaxMsg %d", max)
	}
	if _, err := w.Claim(max + 1); !errors.Is(err, ErrTooBig) {
		t.Fatalf("claim over max: %v", err)
	}
	// The largest chunk fills the empty ring to the last word.
	msg := make([]byte, max)
	fill(msg, 1)
	if err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if wp := load(w.hword(offWritePt)); wp != 1023 {
		t.Fatalf("write_pt %d after a %d-byte chunk", wp, max)
	}
	if err := w.Write(); !errors.Is(err, ErrFull) {
		t.Fatalf("empty message into a full ring: %v", err)
	}
	if n, err := r.Read(buf); err != nil || !bytes.Equal(buf[:n], msg) {
		t.Fatalf("read back: %d %v", n, err)
	}
	// Now write_pt = read_pt = 1023 and the semaphore is 0: empty. The
	// next chunk has its length in the last word, its magic in word 0 and
	// its payload from word 1.
	if err := w.Write([]byte("wrap")); err != nil {
		t.Fatal(err)
	}
	if load(&w.dw[1023]) != 4 || load(&w.dw[0]) != magicCommitted || string(w.data[4:8]) != "wrap" {
		t.Fatalf("wrapped header: %x %x %q", w.dw[1023], w.dw[0], w.data[4:8])
	}
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "wrap" {
		t.Fatalf("wrapped read: %q %v", buf[:n], err)
	}
	if load(&w.dw[0]) != magicDead || load(&w.dw[1023]) != 0 {
		t.Fatal("reclaimed chunk not marked dead")
	}
	// Fill with 100-byte chunks (27 words) until full, counting by the
	// free-space rule, then one read makes room for one more.
	want := 0
	for free := 1024; free*4 >= 100+12; free -= 27 {
		want++
	}
	got := 0
	for w.Write(msg[:100]) == nil {
		got++
	}
	if got != want {
		t.Fatalf("%d chunks of 100 bytes fit, want %d", got, want)
	}
	if err := w.Write(msg[:100]); !errors.Is(err, ErrFull) {
		t.Fatal(err)
	}
	if _, err := r.Read(buf); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(msg[:100]); err != nil {
		t.Fatalf("after one read: %v", err)
	}
	for range got {
		if n, err := r.Read(buf); err != nil || n != 100 {
			t.Fatalf("drain: %d %v", n, err)
		}
	}
	if _, err := r.Read(buf); !errors.Is(err, ErrEmpty) {
		t.Fatalf("after drain: %v", err)
	}
}

// TestEqualIndicesWithTokensIsFull: write_pt == read_pt with a semaphore
// value > 0 means full, not empty (§3.4).
func TestEqualIndicesWithTokensIsFull(t *testing.T) {
	w, _ := pair(t, 0)
	if err := w.Sem().Post(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Claim(0); !errors.Is(err, ErrFull) {
		t.Fatalf("claim with equal indices and a token: %v", err)
	}
}

func TestReadTooBigKeepsChunk(t *testing.T) {
	w, r := pair(t, 200)
	if err := w.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 9)); !errors.Is(err, ErrTooBig) {
		t.Fatalf("read into 9 bytes: %v", err)
	}
	if v := r.Sem().Value(); v != 1 {
		t.Fatalf("semaphore %d after a refused read, want 1 (token given back)", v)
	}
	buf := make([]byte, 10)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "0123456789" {
		t.Fatalf("second read: %q %v", buf[:n], err)
	}
}

func TestPeekTwiceSameChunk(t *testing.T) {
	w, r := pair(t, 200)
	_ = w.Write([]byte("a"))
	_ = w.Write([]byte("b"))
	c1, err := r.Peek()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := r.Peek()
	if err != nil || string(c1.A) != "a" || string(c2.A) != "a" {
		t.Fatalf("peeks %q %q %v", c1.A, c2.A, err)
	}
	if v := r.Sem().Value(); v != 1 {
		t.Fatalf("semaphore %d after two peeks of one chunk", v)
	}
	r.Release()
	r.Release() // nothing peeked: no-op
	if c, err := r.Peek(); err != nil || string(c.A) != "b" {
		t.Fatalf("next peek %q %v", c.A, err)
	}
}

func TestClaimCommitRules(t *testing.T) {
	w, r := pair(t, 200)
	if err := w.Commit(Chunk{}); !errors.Is(err, ErrNoClaim) {
		t.Fatalf("commit without claim: %v", err)
	}
	c, err := w.Claim(50)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.A)+len(c.B) != 50 || c.Len != 50 {
		t.Fatalf("claim gave %d+%d bytes, Len %d", len(c.A), len(c.B), c.Len)
	}
	if load(&w.dw[1]) != magicAlloc {
		t.Fatal("claimed chunk not marked allocated")
	}
	if _, err := r.Peek(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("claimed chunk visible before commit: %v", err)
	}
	c.Len = 51
	if err := w.Commit(c); !errors.Is(err, ErrNoClaim) {
		t.Fatalf("commit past the claim: %v", err)
	}
	copy(c.A, "short")
	c.Len = 5
	if err := w.Commit(c); err != nil {
		t.Fatal(err)
	}
	if wp := load(w.hword(offWritePt)); wp != 2+2 {
		t.Fatalf("write_pt %d after a 5-byte chunk, want 4", wp)
	}
	buf := make([]byte, 200)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "short" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	if err := w.Write([]byte("ab"), nil, []byte("cd"), []byte("e")); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "abcde" {
		t.Fatalf("parts: %q %v", buf[:n], err)
	}
}
