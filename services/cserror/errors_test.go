package cserror

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestStrings(t *testing.T) {
	for e, want := range map[Error]string{
		OK: "success", ErrNotExist: "CS_ERR_NOT_EXIST", ErrLibrary: "CS_ERR_LIBRARY",
		ErrTryAgain: "CS_ERR_TRY_AGAIN", ErrNoSections: "CS_ERR_NO_SECTIONS",
		ErrTooManyGroups: "CS_ERR_TOO_MANY_GROUPS", ErrSecurity: "CS_ERR_SECURITY",
		29: "unknown error", 0: "unknown error", -1: "unknown error",
	} {
		if got := e.String(); got != want {
			t.Errorf("Error(%d).String() = %q, want %q", int32(e), got, want)
		}
	}
	if got := ErrBadHandle.Error(); got != "CS_ERR_BAD_HANDLE" {
		t.Errorf("ErrBadHandle.Error() = %q", got)
	}
	if got := Error(999).Error(); got != "cs_error 999" {
		t.Errorf("Error(999).Error() = %q", got)
	}
	if got := fmt.Sprint(ErrExist); got != "CS_ERR_EXIST" {
		t.Errorf("Sprint(ErrExist) = %q", got)
	}
}

func TestFromErrno(t *testing.T) {
	cases := []struct {
		err  error
		want Error
	}{
		{nil, OK},
		{ErrBusy, ErrBusy},
		{fmt.Errorf("wrapped: %w", ErrExist), ErrExist},
		{syscall.EAGAIN, ErrTryAgain},
		{syscall.ETIMEDOUT, ErrTryAgain},
		{syscall.ENOBUFS, ErrTryAgain},
		{syscall.EBADF, ErrBadHandle},
		{syscall.ENOMEM, ErrNoMemory},
		{syscall.EBADE, ErrFailedOperation},
		{syscall.ETIME, ErrTimeout},
		{syscall.EINVAL, ErrInvalidParam},
		{syscall.EACCES, ErrAccess},
		{syscall.EOVERFLOW, ErrNameTooLong},
		{syscall.ENOENT, ErrNotExist},
		{syscall.ENODEV, ErrNotExist},
		{syscall.ENOTSUP, ErrNotSupported},
		{syscall.EBADMSG, ErrMessageError},
		{syscall.E2BIG, ErrTooBig},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), ErrLibrary},
		{errors.New("other"), ErrLibrary},
		{context.DeadlineExceeded, ErrLibrary},
	}
	for _, c := range cases {
		if got := FromErrno(c.err); got != c.want {
			t.Errorf("FromErrno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestCode(t *testing.T) {
	cases := []struct {
		err  error
		want Error
	}{
		{nil, OK},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), ErrTimeout},
		{context.Canceled, ErrInterrupt},
		{errors.Join(ErrNotExist, context.Canceled), ErrNotExist},
		{syscall.EAGAIN, ErrTryAgain},
		{errors.New("other"), ErrLibrary},
	}
	for _, c := range cases {
		if got := Code(c.err); got != c.want {
			t.Errorf("Code(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
