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

// waitForWork sleeps until fd is readable or d passed.
func waitForWork(fd int, d time.Duration) {
	if fd < 0 {
		time.Sleep(d)
		return
	}
	fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	ms := int(d.Milliseconds())
	if ms == 0 && d > 0 {
		ms = 1
	}
	_, _ = unix.Poll(fds[:], ms) // EINTR and timeouts both just end the wait
}
