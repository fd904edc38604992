package cfg

import "github.com/gorosync/gorosync/services/cserror"

// Error is corosync's cs_error_t, the status every cfg reply carries; its
// values, texts and errno mapping (cserror.FromErrno) are package
// cserror's.
type Error = cserror.Error

// OK is CS_OK, the status of a reload that worked (the daemon compares
// ReloadResult.Status with it).
const OK = cserror.OK
