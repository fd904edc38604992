package cpgclient

import (
	"context"
	"errors"

	"github.com/gorosync/gorosync/services/cpg"
	"golang.org/x/sys/unix"
)

// IPCError is a failure of the connection rather than an answer of the
// service: Code is the cs_error_t libcpg would return for it, Err the
// cause. errors.As finds the Code (a cpg.Error); errors.Is the cause.
type IPCError struct {
	Op   string
	Code cpg.Error
	Err  error
}

func (e *IPCError) Error() string {
	return "cpg " + e.Op + ": " + e.Code.String() + ": " + e.Err.Error()
}

// Unwrap returns the code and the cause.
func (e *IPCError) Unwrap() []error { return []error{e.Code, e.Err} }

// errBadReply: a reply shorter than its layout, or with the wrong id.
var errBadReply = errors.New("malformed reply")

func ipcError(op string, err error) error { return &IPCError{Op: op, Code: Code(err), Err: err} }

// Code is the cs_error_t of err: cpg.OK for nil, the service's code, the
// code of an IPCError, libcpg's mapping of a libqb errno, CS_ERR_TIMEOUT
// for an expired context, CS_ERR_INTERRUPT for a cancelled one,
// CS_ERR_LIBRARY otherwise.
func Code(err error) cpg.Error {
	if err == nil {
		return cpg.OK
	}
	var e cpg.Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return cpg.ErrTimeout
	case errors.Is(err, context.Canceled):
		return cpg.ErrInterrupt
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errnoCode(errno)
	}
	return cpg.ErrLibrary
}

// errnoCode is corosync's qb_to_cs_error.
func errnoCode(e unix.Errno) cpg.Error {
	switch e {
	case unix.EBADF:
		return cpg.ErrBadHandle
	case unix.ENOMEM:
		return cpg.ErrNoMemory
	case unix.ENOMSG, unix.ENOBUFS, unix.ETIMEDOUT, unix.EAGAIN:
		return cpg.ErrTryAgain
	case unix.EBADE:
		return cpg.ErrFailedOperation
	case unix.ETIME:
		return cpg.ErrTimeout
	case unix.EINVAL:
		return cpg.ErrInvalidParam
	case unix.EBUSY:
		return cpg.ErrBusy
	case unix.EACCES:
		return cpg.ErrAccess
	case unix.EOVERFLOW:
		return cpg.ErrNameTooLong
	case unix.EEXIST:
		return cpg.ErrExist
	case unix.ENOSPC:
		return cpg.ErrNoSpace
	case unix.EINTR:
		return cpg.ErrInterrupt
	case unix.ENOENT, unix.ENODEV:
		return cpg.ErrNotExist
	case unix.ENOSYS, unix.ENOTSUP:
		return cpg.ErrNotSupported
	case unix.EBADMSG:
		return cpg.ErrMessageError
	case unix.EMSGSIZE, unix.E2BIG:
		return cpg.ErrTooBig
	}
	return cpg.ErrLibrary
}
