package client

import (
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The raw system calls of the hot paths: they take and return plain values
// (an errno, not an error interface) and never allocate.

// sockaddrLen is sizeof(struct sockaddr_un): libqb passes the full size for
// every abstract name, so the name is the 108-byte NUL-padded sun_path.
const sockaddrLen = uint32(unsafe.Sizeof(unix.RawSockaddrUnix{}))

// forceFSFile makes libqb (client and server alike) use filesystem
// sockets for the setup socket instead of abstract ones. A variable for
// the tests.
var forceFSFile = "/etc/libqb/force-filesystem-sockets"

// defaultSocketDir is SOCKETDIR of Debian's libqb 2.0.6 build.
const defaultSocketDir = "/tmp"

// abstractAddr is the libqb abstract address of name: NUL, name, NULs to
// the end of sun_path; its length is always sockaddrLen. Like libqb
// (snprintf into sun_path+1 with room for 107 bytes), a name longer than
// 106 bytes is cut to 106.
func abstractAddr(name string) (unix.RawSockaddrUnix, uint32, error) {
	var sa unix.RawSockaddrUnix
	if len(name) == 0 {
		return sa, 0, ErrInvalid
	}
	sa.Family = unix.AF_UNIX
	for i := 0; i < len(name) && i < len(sa.Path)-2; i++ {
		sa.Path[1+i] = int8(name[i])
	}
	return sa, sockaddrLen, nil
}

// filesystemAddr is a NUL-terminated path address, cut to 107 bytes as
// libqb's snprintf into sun_path does.
func filesystemAddr(path string) (unix.RawSockaddrUnix, uint32, error) {
	var sa unix.RawSockaddrUnix
	if len(path) == 0 {
		return sa, 0, ErrInvalid
	}
	sa.Family = unix.AF_UNIX
	n := min(len(path), len(sa.Path)-1)
	for i := 0; i < n; i++ {
		sa.Path[i] = int8(path[i])
	}
	return sa, uint32(2 + n + 1), nil
}

// setupAddr is the address of a service's setup socket, as libqb computes
// it: abstract unless the force-filesystem-sockets file exists.
func setupAddr(service, dir string) (unix.RawSockaddrUnix, uint32, error) {
	if _, err := os.Stat(forceFSFile); err == nil {
		if dir == "" {
			dir = defaultSocketDir
		}
		return filesystemAddr(dir + "/" + service)
	}
	return abstractAddr(service)
}

func rawConnect(fd int, sa *unix.RawSockaddrUnix, n uint32) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(sa)), uintptr(n))
	return e
}

func rawBind(fd int, sa *unix.RawSockaddrUnix, n uint32) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(sa)), uintptr(n))
	return e
}

// sendNB sends p without blocking and without SIGPIPE.
func sendNB(fd int, p []byte) (int, unix.Errno) {
	n, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))),
		uintptr(len(p)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

// recvNB receives into p without blocking. With flags MSG_TRUNC a datagram
// socket reports the datagram's full length even when p is shorter.
func recvNB(fd int, p []byte, flags int) (int, unix.Errno) {
	n, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))),
		uintptr(len(p)), uintptr(flags|unix.MSG_DONTWAIT), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

// poller waits on up to two descriptors; one per waiting goroutine (the
// send side and the event side each own one), kept on the heap so that
// the kernel is handed addresses that never move.
type poller struct {
	fds [2]unix.PollFd
	ts  unix.Timespec
}

// wait polls the first n descriptors for up to d (d < 0: no limit); EINTR
// counts as a timeout.
func (p *poller) wait(n int, d time.Duration) unix.Errno {
	for i := range p.fds {
		p.fds[i].Revents = 0
	}
	var ts *unix.Timespec
	if d >= 0 {
		p.ts = unix.NsecToTimespec(int64(d))
		ts = &p.ts
	}
	_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&p.fds[0])), uintptr(n),
		uintptr(unsafe.Pointer(ts)), 0, 0, 0)
	if e == unix.EINTR {
		return 0
	}
	return e
}

// hangup are the poll bits that mean the peer is gone.
const hangup = unix.POLLHUP | unix.POLLERR | unix.POLLNVAL | unix.POLLRDHUP

// setBufSize raises a socket buffer (SO_SNDBUF or SO_RCVBUF) to at least
// size, as libqb does; a privileged process bypasses net.core.[rw]mem_max
// with the FORCE variant, others get what the limit allows.
func setBufSize(fd, opt, force, size int) {
	cur, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, opt)
	if err == nil && cur > size {
		return
	}
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size) == nil {
		return
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, size)
}
