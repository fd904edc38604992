package cserror

import (
	"context"
	"errors"
	"syscall"
)

// FromErrno maps an error to the cs_error_t corosync's libraries report
// for it (qb_to_cs_error, LIBQB_IPC_SPEC §5.0): nil is OK, an Error
// anywhere in the chain is itself, an errno anywhere in the chain is
// mapped, anything else is ErrLibrary.
func FromErrno(err error) Error {
	if err == nil {
		return OK
	}
	var e Error
	if errors.As(err, &e) {
		return e
	}
	var no syscall.Errno
	if !errors.As(err, &no) {
		return ErrLibrary
	}
	return errnoCode(no)
}

// Code is FromErrno for the Go clients, whose calls also end by their
// context: an expired one is ErrTimeout, a cancelled one ErrInterrupt (an
// Error in the chain still wins: it is the service's own answer).
func Code(err error) Error {
	var e Error
	switch {
	case err == nil:
		return OK
	case errors.As(err, &e):
		return e
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.Is(err, context.Canceled):
		return ErrInterrupt
	}
	return FromErrno(err)
}

// errnoCode is qb_to_cs_error's table.
func errnoCode(no syscall.Errno) Error {
	switch no {
	case syscall.EBADF:
		return ErrBadHandle
	case syscall.ENOMEM:
		return ErrNoMemory
	case syscall.ETIMEDOUT, syscall.EAGAIN, syscall.ENOMSG, syscall.ENOBUFS:
		return ErrTryAgain
	case syscall.EBADE:
		return ErrFailedOperation
	case syscall.ETIME:
		return ErrTimeout
	case syscall.EINVAL:
		return ErrInvalidParam
	case syscall.EBUSY:
		return ErrBusy
	case syscall.EACCES:
		return ErrAccess
	case syscall.EOVERFLOW:
		return ErrNameTooLong
	case syscall.EEXIST:
		return ErrExist
	case syscall.ENOSPC:
		return ErrNoSpace
	case syscall.EINTR:
		return ErrInterrupt
	case syscall.ENOENT, syscall.ENODEV:
		return ErrNotExist
	case syscall.ENOSYS, syscall.ENOTSUP:
		return ErrNotSupported
	case syscall.EBADMSG:
		return ErrMessageError
	case syscall.EMSGSIZE, syscall.E2BIG:
		return ErrTooBig
	}
	return ErrLibrary
}
