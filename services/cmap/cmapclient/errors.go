package cmapclient

import (
	"context"
	"errors"

	"github.com/gorosync/gorosync/services/cmap"
	"golang.org/x/sys/unix"
)

// The cs_error_t values that package cmap does not name (it names those
// its service answers: cmap.OK, cmap.ErrInvalid, cmap.ErrNotExist, …).
const (
	ErrVersion           cmap.Error = 3
	ErrInit              cmap.Error = 4
	ErrTimeout           cmap.Error = 5
	ErrTryAgain          cmap.Error = 6
	ErrNoSpace           cmap.Error = 15
	ErrInterrupt         cmap.Error = 16
	ErrNameNotFound      cmap.Error = 17
	ErrNoResources       cmap.Error = 18
	ErrBadOperation      cmap.Error = 20
	ErrFailedOperation   cmap.Error = 21
	ErrMessage           cmap.Error = 22
	ErrQueueFull         cmap.Error = 23
	ErrQueueNotAvailable cmap.Error = 24
	ErrBadFlags          cmap.Error = 25
	ErrTooBig            cmap.Error = 26
	ErrContextNotFound   cmap.Error = 28
	ErrTooManyGroups     cmap.Error = 30
	ErrSecurity          cmap.Error = 100
)

var csNames = map[cmap.Error]string{
	cmap.ErrLibrary: "CS_ERR_LIBRARY", ErrVersion: "CS_ERR_VERSION", ErrInit: "CS_ERR_INIT",
	ErrTimeout: "CS_ERR_TIMEOUT", ErrTryAgain: "CS_ERR_TRY_AGAIN", cmap.ErrInvalid: "CS_ERR_INVALID_PARAM",
	cmap.ErrNoMemory: "CS_ERR_NO_MEMORY", cmap.ErrBadHandle: "CS_ERR_BAD_HANDLE", cmap.ErrBusy: "CS_ERR_BUSY",
	cmap.ErrAccess: "CS_ERR_ACCESS", cmap.ErrNotExist: "CS_ERR_NOT_EXIST", cmap.ErrNameLong: "CS_ERR_NAME_TOO_LONG",
	cmap.ErrExist: "CS_ERR_EXIST", ErrNoSpace: "CS_ERR_NO_SPACE", ErrInterrupt: "CS_ERR_INTERRUPT",
	ErrNameNotFound: "CS_ERR_NAME_NOT_FOUND", ErrNoResources: "CS_ERR_NO_RESOURCES",
	cmap.ErrNotSupp: "CS_ERR_NOT_SUPPORTED", ErrBadOperation: "CS_ERR_BAD_OPERATION",
	ErrFailedOperation: "CS_ERR_FAILED_OPERATION", ErrMessage: "CS_ERR_MESSAGE_ERROR",
	ErrQueueFull: "CS_ERR_QUEUE_FULL", ErrQueueNotAvailable: "CS_ERR_QUEUE_NOT_AVAILABLE",
	ErrBadFlags: "CS_ERR_BAD_FLAGS", ErrTooBig: "CS_ERR_TOO_BIG", cmap.ErrNoSection: "CS_ERR_NO_SECTIONS",
	ErrContextNotFound: "CS_ERR_CONTEXT_NOT_FOUND", ErrTooManyGroups: "CS_ERR_TOO_MANY_GROUPS",
	ErrSecurity: "CS_ERR_SECURITY",
}

// StrError is corosync's cs_strerror: "success" for CS_OK, the constant's
// name (CS_ERR_NOT_EXIST …) for a known error, "unknown error" otherwise.
func StrError(e cmap.Error) string {
	if e == cmap.OK {
		return "success"
	}
	if s, ok := csNames[e]; ok {
		return s
	}
	return "unknown error"
}

// IPCError is a failure of the connection rather than an answer of the
// service: Code is the cs_error_t libcmap would return for it, Err the
// cause (a shm/client error, a context error). errors.As finds the Code
// (a cmap.Error); errors.Is finds the cause.
type IPCError struct {
	Op   string
	Code cmap.Error
	Err  error
}

func (e *IPCError) Error() string {
	return "cmap " + e.Op + ": " + StrError(e.Code) + ": " + e.Err.Error()
}

// Unwrap returns the code and the cause.
func (e *IPCError) Unwrap() []error { return []error{e.Code, e.Err} }

// errBadReply: the server's reply is shorter than its message or has the
// wrong id.
var errBadReply = errors.New("malformed reply")

func ipcError(op string, err error) error {
	return &IPCError{Op: op, Code: Code(err), Err: err}
}

// Code is the cs_error_t of err: cmap.OK for nil, the service's code, the
// code of an IPCError, libcmap's mapping of an errno (qb_to_cs_error:
// EAGAIN → CS_ERR_TRY_AGAIN, ECONNREFUSED → CS_ERR_LIBRARY, …),
// CS_ERR_TIMEOUT for an expired context, CS_ERR_INTERRUPT for a cancelled
// one, CS_ERR_LIBRARY otherwise.
func Code(err error) cmap.Error {
	if err == nil {
		return cmap.OK
	}
	var e cmap.Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.Is(err, context.Canceled):
		return ErrInterrupt
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errnoCode(errno)
	}
	return cmap.ErrLibrary
}

// errnoCode is corosync's qb_to_cs_error for a negative libqb result.
func errnoCode(e unix.Errno) cmap.Error {
	switch e {
	case unix.EBADF:
		return cmap.ErrBadHandle
	case unix.ENOMEM:
		return cmap.ErrNoMemory
	case unix.ENOMSG, unix.ENOBUFS, unix.ETIMEDOUT, unix.EAGAIN:
		return ErrTryAgain
	case unix.EBADE:
		return ErrFailedOperation
	case unix.ETIME:
		return ErrTimeout
	case unix.EINVAL:
		return cmap.ErrInvalid
	case unix.EBUSY:
		return cmap.ErrBusy
	case unix.EACCES:
		return cmap.ErrAccess
	case unix.EOVERFLOW:
		return cmap.ErrNameLong
	case unix.EEXIST:
		return cmap.ErrExist
	case unix.ENOSPC:
		return ErrNoSpace
	case unix.EINTR:
		return ErrInterrupt
	case unix.ENOENT, unix.ENODEV:
		return cmap.ErrNotExist
	case unix.ENOSYS, unix.ENOTSUP:
		return cmap.ErrNotSupp
	case unix.EBADMSG:
		return ErrMessage
	case unix.EMSGSIZE, unix.E2BIG:
		return ErrTooBig
	}
	return cmap.ErrLibrary
}
