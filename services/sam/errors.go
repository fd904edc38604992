package sam

import (
	"errors"
	"strconv"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/quorum"
)

// Error is corosync's cs_error_t (TOTEM_SPEC §13), the result of every
// libsam call. Functions here return nil for CS_OK.
type Error int32

// The cs_error_t values libsam returns, and the ones it passes on from
// libcmap and libquorum.
const (
	ErrLibrary      Error = 2
	ErrTimeout      Error = 5
	ErrTryAgain     Error = 6
	ErrInvalidParam Error = 7
	ErrNoMemory     Error = 8
	ErrBadHandle    Error = 9
	ErrBusy         Error = 10
	ErrAccess       Error = 11
	ErrNotExist     Error = 12
	ErrNameTooLong  Error = 13
	ErrExist        Error = 14
	ErrInterrupt    Error = 16
	ErrNotSupported Error = 19
	ErrMessageError Error = 22
	ErrTooBig       Error = 26
)

var errNames = map[Error]string{
	1: "success", ErrLibrary: "CS_ERR_LIBRARY", 3: "CS_ERR_VERSION", 4: "CS_ERR_INIT",
	ErrTimeout: "CS_ERR_TIMEOUT", ErrTryAgain: "CS_ERR_TRY_AGAIN", ErrInvalidParam: "CS_ERR_INVALID_PARAM",
	ErrNoMemory: "CS_ERR_NO_MEMORY", ErrBadHandle: "CS_ERR_BAD_HANDLE", ErrBusy: "CS_ERR_BUSY",
	ErrAccess: "CS_ERR_ACCESS", ErrNotExist: "CS_ERR_NOT_EXIST", ErrNameTooLong: "CS_ERR_NAME_TOO_LONG",
	ErrExist: "CS_ERR_EXIST", 15: "CS_ERR_NO_SPACE", ErrInterrupt: "CS_ERR_INTERRUPT",
	17: "CS_ERR_NAME_NOT_FOUND", 18: "CS_ERR_NO_RESOURCES", ErrNotSupported: "CS_ERR_NOT_SUPPORTED",
	20: "CS_ERR_BAD_OPERATION", 21: "CS_ERR_FAILED_OPERATION", ErrMessageError: "CS_ERR_MESSAGE_ERROR",
	23: "CS_ERR_QUEUE_FULL", 24: "CS_ERR_QUEUE_NOT_AVAILABLE", 25: "CS_ERR_BAD_FLAGS",
	ErrTooBig: "CS_ERR_TOO_BIG", 27: "CS_ERR_NO_SECTIONS", 28: "CS_ERR_CONTEXT_NOT_FOUND",
	30: "CS_ERR_TOO_MANY_GROUPS", 100: "CS_ERR_SECURITY",
}

// Error is what cs_strerror prints ("CS_ERR_BAD_HANDLE", …), or
// "cs_error N" for a value corosync does not name.
func (e Error) Error() string {
	if s, ok := errNames[e]; ok {
		return s
	}
	return "cs_error " + strconv.Itoa(int(e))
}

// csOK is CS_OK on the wire of the parent's replies.
const csOK Error = 1

// toError maps nil to csOK and any other error to its cs_error_t: an
// Error as is, a libcmap or libquorum failure by libcmap's mapping (both
// are cs_error_t numbers; errno and context errors map as libqb's do).
func toError(err error) Error {
	if err == nil {
		return csOK
	}
	var e Error
	if errors.As(err, &e) {
		return e
	}
	var q quorum.Error
	if errors.As(err, &q) {
		return Error(q)
	}
	return Error(cmapclient.Code(err))
}

// fromCode turns a cs_error_t received from the parent into a result.
func fromCode(e Error) error {
	if e == csOK {
		return nil
	}
	return e
}
