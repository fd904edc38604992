package shm

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw non-blocking socket calls for the Poll side: they return the errno
// itself (no error interface, no allocation).

// sendNB sends b on a stream socket without blocking and without SIGPIPE.
func sendNB(fd int, b []byte) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))),
		uintptr(len(b)), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// readNB reads into b without blocking.
func readNB(fd int, b []byte) (int, unix.Errno) {
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))),
		uintptr(len(b)), unix.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), 0
}

// maxIov bounds the parts of one gathered send; more are copied first.
const maxIov = 16

// writev sends parts as one datagram (or stream write) from the server's
// preallocated iovec array.
func (s *Server) writev(fd int, parts [][]byte, n int) unix.Errno {
	iov := s.iov[:0]
	if len(parts) > maxIov {
		b := s.gather[:0]
		for _, p := range parts {
			b = append(b, p...)
		}
		s.gather = b[:0]
		parts = [][]byte{b} // rare: more than maxIov parts
	}
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		iov = append(iov, unix.Iovec{Base: unsafe.SliceData(p)})
		iov[len(iov)-1].SetLen(len(p))
	}
	var base unsafe.Pointer
	if len(iov) > 0 {
		base = unsafe.Pointer(&iov[0])
	} else {
		base = unsafe.Pointer(&s.iov[0])
	}
	_, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(s.msgFor(base, len(iov))), unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	clear(s.iov[:len(iov)])
	return e
}

// msgFor fills the send msghdr for iovecs at base.
func (s *Server) msgFor(base unsafe.Pointer, n int) unsafe.Pointer {
	s.smsg = unix.Msghdr{Iov: (*unix.Iovec)(base)}
	s.smsg.SetIovlen(n)
	return unsafe.Pointer(&s.smsg)
}

// recvDgram receives one datagram into buf. n is the datagram's real
// length (MSG_TRUNC), larger than len(buf) when it did not fit; the
// sender's credentials come from SCM_CREDENTIALS.
func (s *Server) recvDgram(fd int, buf []byte) (n int, cred ucred, hasCred bool, e unix.Errno) {
	s.riov = unix.Iovec{Base: unsafe.SliceData(buf)}
	s.riov.SetLen(len(buf))
	s.rmsg = unix.Msghdr{Iov: &s.riov, Control: unsafe.SliceData(s.oob)}
	s.rmsg.SetIovlen(1)
	s.rmsg.SetControllen(len(s.oob))
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&s.rmsg)), unix.MSG_DONTWAIT|unix.MSG_TRUNC|unix.MSG_CMSG_CLOEXEC)
	s.riov.Base = nil
	if e != 0 {
		return 0, ucred{}, false, e
	}
	cred, hasCred = credsFromOOB(s.oob[:s.rmsg.Controllen])
	return int(r), cred, hasCred, 0
}
