//go:build linux

package loop

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pinToCPU binds the calling thread (the loop's locked OS thread) to cpu.
// undo gives the thread its former CPUs back: the thread goes back to the
// Go runtime after Run, and whatever ran on it next would be pinned too.
func pinToCPU(cpu int) (undo func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("loop: reading the thread's CPUs: %w", err)
	}
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("loop: pinning to CPU %d: %w", cpu, err)
	}
	return func() { _ = unix.SchedSetaffinity(0, &old) }, nil
}

// osYield lets any other runnable thread on this CPU run first.
func osYield() { _, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }

// maxWaitFds bounds what one sleep watches (transport, waker, pollers).
const maxWaitFds = 16

// waitForWork sleeps until one of fds is readable or d passed (ppoll, so
// timers shorter than a millisecond are kept). A -1 is ignored. It returns
// which were readable (bit i: fds[i]; 0 after a timeout), so that the
// pass after the wake-up touches only those.
func waitForWork(fds []int, d time.Duration) uint64 {
	var pfds [maxWaitFds]unix.PollFd
	n := min(len(fds), maxWaitFds)
	for i, fd := range fds[:n] {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	ts := unix.NsecToTimespec(int64(d))
	// A raw system call: the loop's thread keeps its P while it sleeps.
	// Through the runtime's syscall path, a sleep longer than ~20 µs lets
	// sysmon hand the P to another thread, and waking then takes extra
	// thread switches to get a P back before the loop runs; that showed as
	// tens of µs per token hop and per IPC round trip. The cost: a stop
	// of the world waits for the sleep to end, at most maxSleep.
	// EINTR and timeouts both just end the wait.
	_, _, _ = unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&pfds[0])), uintptr(n),
		uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	var ready uint64
	for i := range n {
		if pfds[i].Revents != 0 {
			ready |= 1 << i
		}
	}
	return ready
}

// newWaker makes the eventfd Submit writes to wake a sleeping loop.
func newWaker() (int, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("loop: eventfd: %w", err)
	}
	return fd, nil
}

var one = [8]byte{1}

// wake makes the waker readable.
func wake(fd int) { _, _ = unix.Write(fd, one[:]) }

// drainWaker resets the waker after a sleep and says whether it had been
// written.
func drainWaker(fd int) bool {
	var buf [8]byte
	n, _ := unix.Read(fd, buf[:])
	return n == 8
}

func closeWaker(fd int) { _ = unix.Close(fd) }
