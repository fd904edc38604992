package coroparse

import (
	"errors"
	"fmt"
)

// ErrConfig is wrapped by every *Error, so errors.Is(err, ErrConfig) tells
// a bad configuration from an I/O failure.
var ErrConfig = errors.New("coroparse: invalid configuration")

// Error is a configuration error at a place in a file.
type Error struct {
	File string
	Line int    // 1-based; 0 when the setting is missing from the file
	Key  string // the cmap key (or section path) concerned; may be empty
	Msg  string
}

func (e *Error) Error() string { return position(e.File, e.Line, e.Key, e.Msg) }

// Unwrap makes errors.Is(err, ErrConfig) true.
func (e *Error) Unwrap() error { return ErrConfig }

// Warning is something corosync would accept but that is probably not
// meant: a key corosync does not know, a duplicate, a deprecated setting.
type Warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (w Warning) String() string { return position(w.File, w.Line, w.Key, w.Msg) }

func position(file string, line int, key, msg string) string {
	var s string
	if line > 0 {
		s = fmt.Sprintf("%s:%d: ", file, line)
	} else {
		s = file + ": "
	}
	if key != "" {
		s += key + ": "
	}
	return s + msg
}
