// Package cserror owns corosync's cs_error_t (TOTEM_SPEC §13): the status
// every service reply carries and every corosync client library returns,
// its cs_strerror text, and libqb's errno mapping (qb_to_cs_error). The
// services (cfg, cmap, cpg, quorum, votequorum, sam) and their clients
// share this one type, so errors.As finds a cs_error_t whichever package
// produced it.
package cserror

import "strconv"

// Error is a cs_error_t. OK is success; any other value is usable as a Go
// error (functions that return error return nil for OK).
type Error int32

// The cs_error_t values (there is no 29).
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

var names = map[Error]string{
	OK: "success", ErrLibrary: "CS_ERR_LIBRARY", ErrVersion: "CS_ERR_VERSION", ErrInit: "CS_ERR_INIT",
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

// String is what corosync's cs_strerror prints: "success" for OK, the
// constant's name (CS_ERR_NOT_EXIST …) for a known error, "unknown error"
// otherwise. corosync's tools print this text.
func (e Error) String() string {
	if s, ok := names[e]; ok {
		return s
	}
	return "unknown error"
}

// Error is String for a value corosync names, "cs_error N" otherwise (a
// Go error should say what it got).
func (e Error) Error() string {
	if s, ok := names[e]; ok {
		return s
	}
	return "cs_error " + strconv.Itoa(int(e))
}
