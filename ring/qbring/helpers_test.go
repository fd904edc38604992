//go:build linux

package qbring

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// newBase makes a private directory in /dev/shm that is removed with
// everything in it when the test ends, pass or fail, and returns a ring
// base name inside it.
func newBase(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "gorosync-qbring-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "qb-request-test")
}

// pair creates a ring and opens a second handle on it, both closed (and
// the files removed) when the test ends.
func pair(t testing.TB, maxMsg int) (creator, opener *Ring) {
	t.Helper()
	base := newBase(t)
	c, err := Create(base, maxMsg, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); c.Unlink() })
	o, err := Open(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return c, o
}

// fill writes message seq of length n: the sequence number (when it
// fits) and then a pattern that depends on seq and position.
func fill(b []byte, seq uint64) {
	i := 0
	if len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, seq)
		i = 8
	}
	for ; i < len(b); i++ {
		b[i] = byte(seq*31 + uint64(i)*7)
	}
}

// sizeOf is the length of message seq for a ring of max bytes: every
// size from 0 to max turns up, small ones more often.
func sizeOf(seq uint64, max int) int {
	x := seq*0x9E3779B97F4A7C15 ^ seq>>7
	switch x % 4 {
	case 0:
		return int(x>>8) % (max + 1)
	case 1:
		return int(x>>8) % 64
	case 2:
		return max - int(x>>8)%8
	default:
		return int(x>>8) % (max/2 + 1)
	}
}
func statOwner(t *testing.T, path string) [2]int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return [2]int{int(st.Uid), int(st.Gid)}
}

// backoff is what a test loop does when the ring is full or empty: yield
// to the other goroutine first, then sleep a little, so that the loops
// make progress on one P or on a loaded machine (where the other side is
// a C process) instead of spinning out their time slices.
type backoff int

func (b *backoff) wait() {
	if *b++; *b < 64 {
		runtime.Gosched()
	} else {
		time.Sleep(50 * time.Microsecond)
	}
}

func (b *backoff) reset() { *b = 0 }
