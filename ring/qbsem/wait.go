//go:build linux

package qbsem

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Wait is sem_timedwait with a relative timeout, for a Go process that
// reads a ring a C process writes (the Go client's response and event
// rings). It takes a token if one is there; otherwise it registers as a
// waiter (the high half of the data word, which tells sem_post to issue a
// futex wake), sleeps in a shared FUTEX_WAIT on the value word expecting
// 0, and on waking tries to take a token and drop its registration in one
// CAS. On timeout it drops its registration and returns ErrTimeout. A
// timeout ≤ 0 makes Wait a TryWait that reports ErrTimeout on failure.
//
// The blocking futex call parks one OS thread for the duration, as any
// blocking system call does in Go.
func (s *Sem) Wait(timeout time.Duration) error {
	if s.TryWait() {
		return nil
	}
	if timeout <= 0 {
		return ErrTimeout
	}
	deadline := time.Now().Add(timeout)
	atomic.AddUint64(s.data, waiterOne)
	for {
		d := atomic.LoadUint64(s.data)
		if d&valueMask > 0 {
			if atomic.CompareAndSwapUint64(s.data, d, d-1-waiterOne) {
				return nil
			}
			continue
		}
		left := time.Until(deadline)
		if left <= 0 {
			atomic.AddUint64(s.data, ^uint64(waiterOne-1)) // −1<<32: deregister
			return ErrTimeout
		}
		ts := unix.NsecToTimespec(int64(left))
		// EAGAIN (value no longer 0), EINTR, ETIMEDOUT and a wake all
		// lead back to the check above.
		s.futex(futexWait, 0, &ts)
	}
}
