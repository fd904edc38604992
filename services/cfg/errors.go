package cfg

import (
	"errors"
	"strconv"
	"syscall"
)

// Error is a corosync cs_error_t, the status every cfg reply carries.
type Error int32

// The cs_error_t values (TOTEM_SPEC §13).
const (
	OK                   Error = 1
	ErrLibrary           Error = 2
	ErrVersion           Error = 3
	ErrInit              Error = 4
	ErrTimeout           Error = 5
	ErrTryAgain          Error = 6
	ErrInvalidParam      Error = 7
	ErrNoMemory          Error = 8
	ErrBadHandle         Error = 9
	ErrBusy              Error = 10
	ErrAccess            Error = 11
	ErrNotExist          Error = 12
	ErrNameTooLong       Error = 13
	ErrExist             Error = 14
	ErrNoSpace           Error = 15
	ErrInterrupt         Error = 16
	ErrNameNotFound      Error = 17
	ErrNoResources       Error = 18
	ErrNotSupported      Error = 19
	ErrBadOperation      Error = 20
	ErrFailedOperation   Error = 21
	ErrMessageError      Error = 22
	ErrQueueFull         Error = 23
	ErrQueueNotAvailable Error = 24
	ErrBadFlags          Error = 25
	ErrTooBig            Error = 26
	ErrNoSections        Error = 27
	ErrContextNotFound   Error = 28
	ErrTooManyGroups     Error = 30
	ErrSecurity          Error = 100
)

var errorNames = map[Error]string{
	ErrLibrary: "CS_ERR_LIBRARY", ErrVersion: "CS_ERR_VERSION", ErrInit: "CS_ERR_INIT",
	ErrTimeout: "CS_ERR_TIMEOUT", ErrTryAgain: "CS_ERR_TRY_AGAIN", ErrInvalidParam: "CS_ERR_INVALID_PARAM",
	ErrNoMemory: "CS_ERR_NO_MEMORY", ErrBadHandle: "CS_ERR_BAD_HANDLE", ErrBusy: "CS_ERR_BUSY",
	ErrAccess: "CS_ERR_ACCESS", ErrNotExist: "CS_ERR_NOT_EXIST", ErrNameTooLong: "CS_ERR_NAME_TOO_LONG",
	ErrExist: "CS_ERR_EXIST", ErrNoSpace: "CS_ERR_NO_SPACE", ErrInterrupt: "CS_ERR_INTERRUPT",
	ErrNameNotFound: "CS_ERR_NAME_NOT_FOUND", ErrNoResources: "CS_ERR_NO_RESOURCES",
	ErrNotSupported: "CS_ERR_NOT_SUPPORTED", ErrBadOperation: "CS_ERR_BAD_OPERATION",
	ErrFailedOperation: "CS_ERR_FAILED_OPERATION", ErrMessageError: "CS_ERR_MESSAGE_ERROR",
	ErrQueueFull: "CS_ERR_QUEUE_FULL", ErrQueueNotAvailable: "CS_ERR_QUEUE_NOT_AVAILABLE",
	ErrBadFlags: "CS_ERR_BAD_FLAGS", ErrTooBig: "CS_ERR_TOO_BIG", ErrNoSections: "CS_ERR_NO_SECTIONS",
	ErrContextNotFound: "CS_ERR_CONTEXT_NOT_FOUND", ErrTooManyGroups: "CS_ERR_TOO_MANY_GROUPS",
	ErrSecurity: "CS_ERR_SECURITY",
}

// String is corosync's cs_strerror text: "success" for OK, the constant's
// name otherwise, "unknown error" for values corosync does not define.
func (e Error) String() string {
	if e == OK {
		return "success"
	}
	if s, ok := errorNames[e]; ok {
		return s
	}
	return "unknown error"
}

// Error makes a failed status usable as a Go error.
func (e Error) Error() string { return e.String() + " (" + strconv.Itoa(int(e)) + ")" }

// FromErrno maps an error to the cs_error_t corosync's libraries report
// for it (qb_to_cs_error, LIBQB_IPC_SPEC §5.0): an Error is itself, an
// errno anywhere in the chain is mapped, anything else is ErrLibrary; nil
// is OK.
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
