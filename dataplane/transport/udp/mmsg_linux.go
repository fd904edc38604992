//go:build linux

package udp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// x/sys/unix wraps neither recvmmsg nor sendmmsg on Linux, but it does
// define Mmsghdr, Msghdr and Iovec with each architecture's layout, and the
// syscall numbers; the calls themselves are one Syscall6 each. Passing
// &hdrs[0] as a uintptr in the call expression is the pattern the unsafe
// rules allow; the arrays live in the Transport, so they stay put and alive.

// recvmmsg fills up to len(hdrs) messages without waiting.
func recvmmsg(fd int, hdrs []unix.Mmsghdr) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd),
		uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// sendmmsg sends up to len(hdrs) messages without waiting. It returns how
// many the kernel took; an error only if it took none.
func sendmmsg(fd int, hdrs []unix.Mmsghdr) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd),
		uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// sendmmsgFunc is sendmmsg, replaceable by tests that need the kernel to
// take part of a batch or refuse it (hard to provoke on loopback).
var sendmmsgFunc = sendmmsg
