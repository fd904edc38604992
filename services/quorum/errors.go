package quorum

import "github.com/gorosync/gorosync/services/cserror"

// Error is corosync's cs_error_t, the status every quorum and votequorum
// reply carries; its values and texts are package cserror's.
type Error = cserror.Error
