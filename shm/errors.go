package shm

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

var (
	// ErrClosed: the connection is closed or closing.
	ErrClosed = errors.New("shm: connection closed")
	// ErrFull: the response could not be written now (ring full, datagram
	// queue full); the client is not reading its responses.
	ErrFull = errors.New("shm: would block")
	// ErrTooBig: the message is larger than the connection's max_msg_size.
	ErrTooBig = errors.New("shm: message larger than max_msg_size")
	// ErrStalled: the event queue overflowed; the connection is being
	// disconnected as a stalled client.
	ErrStalled = errors.New("shm: stalled client disconnected")
	// ErrServerClosed: the server is closed.
	ErrServerClosed = errors.New("shm: server closed")
)

// Errors of the connection-request parser (handshake step 5: libqb closes
// the socket silently for both).
var (
	errRequestLength  = errors.New("shm: connection request is not 24 bytes")
	errNotAuthRequest = errors.New("shm: first message is not QB_IPC_MSG_AUTHENTICATE")
)

// errnoOf maps an error to the errno a libqb server would put, negated,
// into the connection response.
func errnoOf(err error) unix.Errno {
	var e unix.Errno
	if errors.As(err, &e) && e != 0 {
		return e
	}
	return unix.EIO
}

// wrapErrno labels a raw errno with the operation.
func wrapErrno(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("shm: %s: %w", op, err)
}
