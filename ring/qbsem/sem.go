//go:build linux

package qbsem

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Size is sizeof(sem_t) in glibc on 64-bit targets.
const Size = 32

const (
	// sharedPrivate is what glibc stores in the privacy word of a
	// process-shared semaphore (its futex calls then omit the private flag).
	sharedPrivate = 128
	valueMax      = 0x7fffffff // SEM_VALUE_MAX
	waiterOne     = 1 << 32    // one registered waiter in the high half
	valueMask     = 1<<32 - 1

	futexWait = 0 // FUTEX_WAIT, shared (no FUTEX_PRIVATE_FLAG)
	futexWake = 1 // FUTEX_WAKE, shared
)

// ErrOverflow is returned by Post when the value is already SEM_VALUE_MAX
// (glibc's EOVERFLOW).
var ErrOverflow = errors.New("qbsem: semaphore value overflow")

// ErrTimeout is returned by Wait when no token arrived in time
// (glibc's ETIMEDOUT).
var ErrTimeout = errors.New("qbsem: wait timed out")

// Sem is a glibc sem_t in shared memory. It holds only pointers into the
// caller's mapping: the mapping must outlive the Sem.
type Sem struct {
	data    *uint64 // value (low half) and nwaiters (high half)
	private *int32
	rest    *[Size - 8]byte
}

// At returns the semaphore whose 32 bytes start at b[0]. b must be at
// least Size bytes, 8-byte aligned, and (to be seen by other processes)
// inside a MAP_SHARED mapping.
func At(b []byte) (*Sem, error) {
	if len(b) < Size {
		return nil, errors.New("qbsem: need 32 bytes for a sem_t")
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if uintptr(p)%8 != 0 {
		return nil, errors.New("qbsem: sem_t must be 8-byte aligned")
	}
	if !littleEndian() {
		return nil, errors.New("qbsem: only the little-endian glibc layout is implemented")
	}
	return &Sem{
		data:    (*uint64)(p),
		private: (*int32)(unsafe.Add(p, 8)),
		rest:    (*[Size - 8]byte)(unsafe.Add(p, 8)),
	}, nil
}

func littleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// Init makes the bytes what sem_init(sem, pshared=1, 0) leaves on glibc
// 2.36: value 0, no waiters, private = 128, the rest zero. Only the
// creator calls it, before any other process can see the semaphore.
func (s *Sem) Init() {
	*s.rest = [Size - 8]byte{}
	atomic.StoreInt32(s.private, sharedPrivate)
	atomic.StoreUint64(s.data, 0)
}

// Value is sem_getvalue: the current token count.
func (s *Sem) Value() uint32 { return uint32(atomic.LoadUint64(s.data) & valueMask) }

// Waiters is the number of processes or goroutines registered as blocked
// in a wait (the high half of the data word); for tests and diagnostics.
func (s *Sem) Waiters() uint32 { return uint32(atomic.LoadUint64(s.data) >> 32) }

// Post is sem_post: add one token and, if anyone was registered as a
// waiter before the add, wake one of them with a shared FUTEX_WAKE.
func (s *Sem) Post() error {
	for {
		d := atomic.LoadUint64(s.data)
		if d&valueMask == valueMax {
			return ErrOverflow
		}
		if atomic.CompareAndSwapUint64(s.data, d, d+1) {
			if d>>32 > 0 {
				s.futex(futexWake, 1, nil)
			}
			return nil
		}
	}
}

// TryWait is sem_trywait: take one token if there is one.
func (s *Sem) TryWait() bool {
	for {
		d := atomic.LoadUint64(s.data)
		if d&valueMask == 0 {
			return false
		}
		if atomic.CompareAndSwapUint64(s.data, d, d-1) {
			return true
		}
	}
}

// futex calls futex(2) on the value word (the low half of data, which is
// at offset 0 on little-endian). Errors are the caller's business: a wake
// cannot fail on a valid mapping, and a wait rechecks the word anyway.
func (s *Sem) futex(op, val uintptr, ts *unix.Timespec) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(s.data)), op, val,
		uintptr(unsafe.Pointer(ts)), 0, 0)
	return e
}
