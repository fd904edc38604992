//go:build linux

package loop

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// pinToCPU binds the calling thread (the loop's locked OS thread) to cpu.
func pinToCPU(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("loop: pinning to CPU %d: %w", cpu, err)
	}
	return nil
}

// maxWaitFds bounds what one sleep watches (transport, waker, pollers).
const maxWaitFds = 16

// waitForWork sleeps until one of fds is readable or d passed (ppoll, so
// timers shorter than a millisecond are kept). A -1 is ignored.
func waitForWork(fds []int, d time.Duration) {
	var pfds [maxWaitFds]unix.PollFd
	n := min(len(fds), maxWaitFds)
	for i, fd := range fds[:n] {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	ts := unix.NsecToTimespec(int64(d))
	_, _ = unix.Ppoll(pfds[:n], &ts, nil) // EINTR and timeouts both just end the wait
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
