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

// waitForWork sleeps until fd or wake is readable or d passed (ppoll, so
// timers shorter than a millisecond are kept).
func waitForWork(fd, wake int, d time.Duration) {
	fds := [2]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(int64(d))
	_, _ = unix.Ppoll(fds[:], &ts, nil) // EINTR and timeouts both just end the wait; fd -1 is ignored
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
