package cpg

import "github.com/gorosync/gorosync/services/cserror"

// Error is corosync's cs_error_t, the status every cpg reply carries; its
// values and texts are package cserror's.
type Error = cserror.Error
