//go:build linux

package qbsem

import (
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// shmFile makes a file in /dev/shm of size bytes, maps it shared and
// removes both when the test ends. It returns the path and the mapping.
func shmFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	f, err := os.CreateTemp("/dev/shm", "gorosync-qbsem-test-*")
	if err != nil {
		t.Fatal(err)
	}
	path := f.Name()
	t.Cleanup(func() { os.Remove(path) })
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	return path, m
}

// semOffset is where libqb's ring header keeps its semaphore (§3.2).
const semOffset = 8208

func newSem(t *testing.T) (string, []byte, *Sem) {
	t.Helper()
	path, m := shmFile(t, 3*4096)
	s, err := At(m[semOffset:])
	if err != nil {
		t.Fatal(err)
	}
	s.Init()
	return path, m, s
}

func TestInitLayout(t *testing.T) {
	_, m := shmFile(t, 4096)
	b := m[64 : 64+Size]
	for i := range b {
		b[i] = 0xff
	}
	s, err := At(b)
	if err != nil {
		t.Fatal(err)
	}
	s.Init()
	want := make([]byte, Size)
	want[8] = 128
	if string(b) != string(want) {
		t.Fatalf("after Init: % x\nwant:       % x", b, want)
	}
	if s.Value() != 0 || s.Waiters() != 0 {
		t.Fatalf("value %d waiters %d", s.Value(), s.Waiters())
	}
}

func TestAtRejectsBadMemory(t *testing.T) {
	_, m := shmFile(t, 4096)
	if _, err := At(m[:Size-1]); err == nil {
		t.Error("31 bytes accepted")
	}
	if _, err := At(m[4 : 4+Size]); err == nil {
		t.Error("4-byte aligned memory accepted")
	}
}

func TestPostTryWaitValue(t *testing.T) {
	_, m, s := newSem(t)
	for range 3 {
		if err := s.Post(); err != nil {
			t.Fatal(err)
		}
	}
	if v := s.Value(); v != 3 {
		t.Fatalf("value %d after 3 posts", v)
	}
	if m[semOffset] != 3 {
		t.Fatalf("value word byte %d, want 3 (low half at offset 0)", m[semOffset])
	}
	for i := range 3 {
		if !s.TryWait() {
			t.Fatalf("trywait %d failed", i)
		}
	}
	if s.TryWait() {
		t.Fatal("trywait on 0 succeeded")
	}
	atomic.StoreUint64(s.data, 0x7fffffff)
	if err := s.Post(); !errors.Is(err, ErrOverflow) {
		t.Fatalf("post at SEM_VALUE_MAX: %v", err)
	}
	if s.Value() != 0x7fffffff {
		t.Fatal("a failed post changed the value")
	}
}

func TestWaitTimeout(t *testing.T) {
	_, _, s := newSem(t)
	start := time.Now()
	if err := s.Wait(50 * time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("wait on 0: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Fatalf("timed out after %v, want about 50ms", d)
	}
	if s.Waiters() != 0 || s.Value() != 0 {
		t.Fatalf("after timeout: waiters %d value %d", s.Waiters(), s.Value())
	}
	if err := s.Wait(0); !errors.Is(err, ErrTimeout) {
		t.Fatalf("zero timeout on 0: %v", err)
	}
	_ = s.Post()
	if err := s.Wait(0); err != nil {
		t.Fatalf("zero timeout with a token: %v", err)
	}
}

// waitForWaiters polls until n waiters are registered (bounded).
func waitForWaiters(t *testing.T, s *Sem, n uint32) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.Waiters() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("waiters %d, want %d", s.Waiters(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPostWakesGoWaiter(t *testing.T) {
	_, _, s := newSem(t)
	done := make(chan error, 1)
	go func() { done <- s.Wait(10 * time.Second) }()
	waitForWaiters(t, s, 1)
	start := time.Now()
	if err := s.Post(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter not woken")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("woken after %v", d)
	}
	if s.Waiters() != 0 || s.Value() != 0 {
		t.Fatalf("after wake: waiters %d value %d", s.Waiters(), s.Value())
	}
}

// TestTwoMappings: a post through one mapping of the file wakes a waiter
// that uses another mapping (the futex is shared, keyed by the file page).
func TestTwoMappings(t *testing.T) {
	path, _, s := newSem(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := unix.Mmap(int(f.Fd()), 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(m2) })
	s2, _ := At(m2[semOffset:])
	done := make(chan error, 1)
	go func() { done <- s2.Wait(10 * time.Second) }()
	waitForWaiters(t, s, 1)
	_ = s.Post()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiter on the second mapping not woken")
	}
}

func TestPostTryWaitAllocateNothing(t *testing.T) {
	_, _, s := newSem(t)
	if a := testing.AllocsPerRun(1000, func() {
		_ = s.Post()
		s.TryWait()
		_ = s.Value()
	}); a != 0 {
		t.Fatalf("%.1f allocations per post+trywait", a)
	}
}

func BenchmarkPostTryWait(b *testing.B) {
	f, err := os.CreateTemp("/dev/shm", "gorosync-qbsem-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	_ = f.Truncate(4096)
	m, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Munmap(m)
	s, _ := At(m)
	s.Init()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Post()
		s.TryWait()
	}
}
