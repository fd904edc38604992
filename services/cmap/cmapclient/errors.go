package cmapclient

import (
	"errors"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// IPCError is a failure of the connection rather than an answer of the
// service: Code is the cs_error_t libcmap would return for it, Err the
// cause (a shm/client error, a context error). errors.As finds the Code
// (a cmap.Error); errors.Is finds the cause. cserror.Code(err) is the
// cs_error_t of any error this package returns.
type IPCError struct {
	Op   string
	Code cmap.Error
	Err  error
}

func (e *IPCError) Error() string {
	return "cmap " + e.Op + ": " + e.Code.String() + ": " + e.Err.Error()
}

// Unwrap returns the code and the cause.
func (e *IPCError) Unwrap() []error { return []error{e.Code, e.Err} }

// errBadReply: the server's reply is shorter than its message or has the
// wrong id.
var errBadReply = errors.New("malformed reply")

func ipcError(op string, err error) error {
	return &IPCError{Op: op, Code: cserror.Code(err), Err: err}
}
