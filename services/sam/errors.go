package sam

import "github.com/gorosync/gorosync/services/cserror"

// Error is corosync's cs_error_t (package cserror), the result of every
// libsam call. Functions here return nil for CS_OK.
type Error = cserror.Error

// toError maps nil to CS_OK and any other error to its cs_error_t: an
// Error (libsam's own, or a libcmap or libquorum answer) as is, errno and
// context errors as the clients' libraries map them.
func toError(err error) Error { return cserror.Code(err) }

// fromCode turns a cs_error_t received from the parent into a result.
func fromCode(e Error) error {
	if e == cserror.OK {
		return nil
	}
	return e
}
