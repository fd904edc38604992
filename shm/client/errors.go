//go:build linux

package client

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Error is a libqb IPC failure: the errno a libqb client would report,
// with a short text. The package's sentinel errors are *Error values, so
// errors.Is works both with them (errors.Is(err, ErrTryAgain)) and with the
// errno itself (errors.Is(err, unix.EAGAIN)).
type Error struct {
	Errno unix.Errno
	text  string
}

func (e *Error) Error() string { return "qb ipc: " + e.text + " (" + e.Errno.Error() + ")" }

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

// The errors the client returns. The hot paths (Request, Send, Recv,
// Claim, Commit, Event) return these values unwrapped; Dial wraps them with
// the service name.
var (
	// ErrTryAgain: the server asked the client to back off (flow control
	// value 1, handshake -EAGAIN: "not ready yet"), or a zero-copy Claim
	// found the request ring full. corosync clients map it to
	// CS_ERR_TRY_AGAIN.
	ErrTryAgain = &Error{unix.EAGAIN, "try again"}
	// ErrAccess: the server refused the client's uid/gid (handshake -EACCES).
	ErrAccess = &Error{unix.EACCES, "access denied"}
	// ErrNotConnected: the server hung up or released its end of the rings.
	ErrNotConnected = &Error{unix.ENOTCONN, "not connected"}
	// ErrTooBig: a message larger than the negotiated maximum, or a
	// socket-mode datagram the kernel refuses (EMSGSIZE).
	ErrTooBig = &Error{unix.EMSGSIZE, "message too big"}
	// ErrNoBuffers: a response or event larger than the caller's buffer;
	// the message has been consumed and dropped.
	ErrNoBuffers = &Error{unix.ENOBUFS, "message larger than the receive buffer"}
	// ErrNotSupported: the server has no such service (handshake -ENOSYS)
	// or offered a transport this client does not implement.
	ErrNotSupported = &Error{unix.ENOTSUP, "not supported"}
	// ErrBadMessage: a ring chunk without the committed magic.
	ErrBadMessage = &Error{unix.EBADMSG, "corrupt ring chunk"}
	// ErrConnRefused: nobody listens on the service's socket.
	ErrConnRefused = &Error{unix.ECONNREFUSED, "connection refused (is the server running?)"}
	// ErrInvalid: a malformed server reply or a bad argument.
	ErrInvalid = &Error{unix.EINVAL, "invalid argument or reply"}
	// ErrClosed: the client has been closed.
	ErrClosed = &Error{unix.EBADF, "client closed"}
)

// errnoError returns the sentinel for a known errno, otherwise a new *Error.
func errnoError(e unix.Errno) error {
	switch e {
	case 0:
		return nil
	case unix.EAGAIN:
		return ErrTryAgain
	case unix.EACCES:
		return ErrAccess
	case unix.ENOTCONN, unix.EPIPE, unix.ECONNRESET:
		return ErrNotConnected
	case unix.EMSGSIZE, unix.E2BIG:
		return ErrTooBig
	case unix.ENOBUFS:
		return ErrNoBuffers
	case unix.ENOSYS, unix.ENOTSUP:
		return ErrNotSupported
	case unix.EBADMSG:
		return ErrBadMessage
	case unix.ECONNREFUSED:
		return ErrConnRefused
	case unix.EINVAL:
		return ErrInvalid
	}
	return &Error{e, "system error"}
}

// asErrno extracts an errno from err (0 when it has none).
func asErrno(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}
