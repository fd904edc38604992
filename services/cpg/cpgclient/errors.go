package cpgclient

import (
	"errors"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
)

// IPCError is a failure of the connection rather than an answer of the
// service: Code is the cs_error_t libcpg would return for it, Err the
// cause. errors.As finds the Code (a cpg.Error); errors.Is the cause.
// cserror.Code(err) is the cs_error_t of any error this package returns.
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

func ipcError(op string, err error) error {
	return &IPCError{Op: op, Code: cserror.Code(err), Err: err}
}

// Code is the cs_error_t libcpg would return for err (cserror.Code).
func Code(err error) cpg.Error { return cserror.Code(err) }
