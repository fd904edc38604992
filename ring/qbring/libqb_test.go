//go:build linux

package qbring

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/gorosync/gorosync/ring/qbsem"
)

const (
	interopMaxMsg = 1000 // one page: 1024 words
	interopMsgs   = 5000 // ≥ 1000 laps with sizes up to the ring's limit
)

func interopArgs(base string, maxLen int, rest ...string) []string {
	return append([]string{base, fmt.Sprint(interopMaxMsg), fmt.Sprint(maxLen)}, rest...)
}

// waitWaiters waits (bounded) until a process is registered as a waiter
// on the ring's semaphore: the C peer is blocked in qb_rb_chunk_read.
func waitWaiters(t *testing.T, s *qbsem.Sem) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.Waiters() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the C reader never blocked on the semaphore")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLibqbReadsGo: libqb's qb_rb_chunk_read in a C process reads what a
// Go writer commits into a ring Go created, across > 1000 laps, and is
// woken from its semaphore wait by Go's post.
func TestLibqbReadsGo(t *testing.T) {
	bin := buildPeer(t)
	base := newBase(t)
	w, err := Create(base, interopMaxMsg, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(); w.Unlink() })
	max := w.MaxMsg()
	p := startPeer(t, bin, interopArgs(base, max, "read", fmt.Sprint(interopMsgs), "10000")...)
	p.expect(t, "ready")
	if rc := w.RefCount(); rc != 2 {
		t.Fatalf("ref_count %d with libqb attached", rc)
	}
	msg := make([]byte, max)
	deadline := time.Now().Add(30 * time.Second)
	var b backoff
	for s := uint64(0); s < interopMsgs; {
		if s%1000 == 0 { // let the reader block, then wake it
			waitWaiters(t, w.Sem())
			time.Sleep(20 * time.Millisecond)
		}
		n := sizeOf(s, max)
		fill(msg[:n], s)
		err := w.Write(msg[:n/3], msg[n/3:n])
		switch {
		case err == nil:
			s++
			b.reset()
		case errors.Is(err, ErrFull) && time.Now().Before(deadline):
			b.wait()
		default:
			t.Fatalf("message %d: %v", s, err)
		}
	}
	line := p.expect(t, "ok")
	var worst float64
	var blocked int
	fmt.Sscanf(line, "ok %g %d", &worst, &blocked)
	if worst > 2000 {
		t.Fatalf("libqb reader waited %.0f ms once: woken by its timeout, not by the Go post", worst)
	}
	if blocked < 5 {
		t.Fatalf("libqb reader blocked only %d times", blocked)
	}
	p.wait(t)
	if rc := w.RefCount(); rc != 1 {
		t.Fatalf("ref_count %d after libqb closed", rc)
	}
	if rd, wp := load(w.hword(offReadPt)), load(w.hword(offWritePt)); rd != wp || w.Sem().Value() != 0 {
		t.Fatalf("after the exchange read_pt %d write_pt %d semaphore %d", rd, wp, w.Sem().Value())
	}
	t.Logf("libqb read %d messages, %d laps of the ring; worst wait %.1f ms, %d blocking reads",
		interopMsgs, laps(max, len(w.data)), worst, blocked)
}

// laps is how many times the interop stream goes round a ring of size bytes.
func laps(max, size int) int {
	n := 0
	for s := range uint64(interopMsgs) {
		n += 8 + (sizeOf(s, max)+3)/4*4
	}
	return n / size
}

// TestGoReadsLibqb: Go reads what libqb's qb_rb_chunk_write commits into
// a ring Go created; Go's ReadWait is woken by glibc's sem_post; libqb's
// free-space rule sees the Go reader's read_pt (the C writer finds the
// ring full and retries).
func TestGoReadsLibqb(t *testing.T) {
	bin := buildPeer(t)
	base := newBase(t)
	r, err := Create(base, interopMaxMsg, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); r.Unlink() })
	max := r.MaxMsg()
	p := startPeer(t, bin, interopArgs(base, max, "write", fmt.Sprint(interopMsgs), "300")...)
	buf := make([]byte, max)
	want := make([]byte, max)
	start := time.Now()
	n, err := r.ReadWait(buf, 10*time.Second) // blocks until libqb posts
	if err != nil {
		t.Fatalf("first message: %v", err)
	}
	first := time.Since(start)
	if first > 3*time.Second {
		t.Fatalf("first message after %v: not woken by sem_post", first)
	}
	for s := uint64(0); ; {
		wn := sizeOf(s, max)
		fill(want[:wn], s)
		if n != wn || string(buf[:n]) != string(want[:wn]) {
			t.Fatalf("message %d: %d bytes, want %d", s, n, wn)
		}
		if s++; s == interopMsgs {
			break
		}
		if s == 10 { // let libqb fill the ring
			time.Sleep(100 * time.Millisecond)
		}
		if s%2 == 0 {
			n, err = r.ReadWait(buf, 10*time.Second)
		} else {
			var b backoff
			for n, err = r.Read(buf); errors.Is(err, ErrEmpty); n, err = r.Read(buf) {
				if time.Since(start) > 30*time.Second {
					t.Fatal("timed out")
				}
				b.wait()
			}
		}
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
	}
	line := p.expect(t, "ok")
	var eagain int
	fmt.Sscanf(line, "ok %d", &eagain)
	if eagain == 0 {
		t.Fatal("the libqb writer never found the ring full")
	}
	t.Logf("Go read %d messages from libqb; first ReadWait woke after %v; libqb found the ring full %d times",
		interopMsgs, first.Round(time.Millisecond), eagain)
	p.wait(t)
	if r.Sem().Value() != 0 || r.Sem().Waiters() != 0 {
		t.Fatalf("semaphore %d waiters %d", r.Sem().Value(), r.Sem().Waiters())
	}
}

// TestGoOpensLibqbRing: a ring that libqb itself created
// (QB_RB_FLAG_CREATE|QB_RB_FLAG_SHARED_PROCESS, 4 bytes of user data, as
// a libqb server does) has exactly the header Create writes, and Go's
// Open side reads from it and writes to it.
func TestGoOpensLibqbRing(t *testing.T) {
	bin := buildPeer(t)
	base := newBase(t)
	goBase := base + "-go"
	ref, err := Create(goBase, interopMaxMsg, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close(); ref.Unlink() })
	max := ref.MaxMsg()
	p := startPeer(t, bin, interopArgs(base, max, "serve", fmt.Sprint(interopMsgs))...)
	p.expect(t, "created")

	// Same header bytes apart from the two path strings, same file sizes.
	cHdr, goHdr := mustRead(t, base+"-header"), mustRead(t, goBase+"-header")
	if len(cHdr) != len(goHdr) {
		t.Fatalf("header file: libqb %d bytes, Go %d", len(cHdr), len(goHdr))
	}
	for _, f := range [][2]int{{0, offHdrPath}, {offRefCount, len(cHdr)}} {
		if c, g := cHdr[f[0]:f[1]], goHdr[f[0]:f[1]]; string(c) != string(g) {
			t.Fatalf("header bytes %d..%d:\nlibqb % x\nGo    % x", f[0], f[1], c, g)
		}
	}
	for _, path := range [][2]string{{base + "-header", "hdr_path"}, {base + "-data", "data_path"}} {
		off := offHdrPath
		if path[1] == "data_path" {
			off = offDataPath
		}
		if got := string(cHdr[off : off+len(path[0])+1]); got != path[0]+"\x00" {
			t.Fatalf("libqb %s %q", path[1], got)
		}
	}
	if a, b := fileSizeOf(t, base+"-data"), fileSizeOf(t, goBase+"-data"); a != b || a != int64(DataSize(interopMaxMsg)) {
		t.Fatalf("data file: libqb %d bytes, Go %d", a, b)
	}

	r, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.RefCount() != 2 || r.MaxMsg() != max {
		t.Fatalf("ref_count %d, max %d", r.RefCount(), r.MaxMsg())
	}
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, max)
	want := make([]byte, max)
	deadline := time.Now().Add(30 * time.Second)
	for s := uint64(0); s < interopMsgs; {
		n, err := r.ReadWait(buf, 10*time.Second)
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		wn := sizeOf(s, max)
		fill(want[:wn], s)
		if n != wn || string(buf[:n]) != string(want[:wn]) {
			t.Fatalf("message %d: %d bytes, want %d", s, n, wn)
		}
		s++
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
	p.expect(t, "ready")
	if _, err := io.WriteString(p.stdin, "back\n"); err != nil {
		t.Fatal(err)
	}
	msg := make([]byte, max)
	var b backoff
	for s := uint64(0); s < interopMsgs; {
		n := sizeOf(s, max)
		fill(msg[:n], s)
		err := r.Write(msg[:n])
		switch {
		case err == nil:
			s++
			b.reset()
		case errors.Is(err, ErrFull) && time.Now().Before(deadline):
			b.wait()
		default:
			t.Fatalf("message %d: %v", s, err)
		}
	}
	p.expect(t, "ok")
	r.Close()
	p.wait(t)
	for _, f := range []string{base + "-header", base + "-data"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s still there after libqb's creator closed: %v", f, err)
		}
	}
}

func fileSizeOf(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
