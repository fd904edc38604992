package sam

import "syscall"

// std is the process's libsam: one per process, as in C.
var std = newLib(adoptChildFromEnv())

// Initialize is sam_initialize: timeoutMs is the health-check interval
// (0: only the child's death is detected), policy a base policy with
// optional flags. With PolicyQuorum the supervisor connects to the quorum
// service here and tracks changes. Errors: ErrBadHandle when called
// twice, ErrInvalidParam for a bad policy (or a negative interval),
// the quorum connection's error.
func Initialize(timeoutMs int, policy Policy) error {
	return std.initialize(timeoutMs, policy, Options{})
}

// InitializeOptions is Initialize with the service names and logger of
// opts.
func InitializeOptions(timeoutMs int, policy Policy, opts Options) error {
	return std.initialize(timeoutMs, policy, opts)
}

// Register is sam_register. In the original process it becomes the
// supervisor: with PolicyCMAP it registers in cmap, then runs instances
// of this binary (see the package documentation) and never returns
// unless that fails (ErrLibrary, or cmap's error); when an instance ends
// the supervision, the process exits with that instance's exit status.
// In an instance it returns the instance id: 1 for the first, one more
// for each restart. Error: ErrBadHandle unless initialized and not yet
// registered.
func Register() (instanceID uint32, err error) { return std.register() }

// Start is sam_start: health checking begins; HCSend must follow within
// every interval. With PolicyQuorum it blocks until the node is quorate.
// ErrBadHandle unless registered and stopped.
func Start() error { return std.start() }

// Stop is sam_stop: health checking ends. ErrBadHandle unless started.
func Stop() error { return std.stop() }

// HCSend is sam_hc_send: one heartbeat. ErrBadHandle unless started;
// ErrLibrary when the supervisor is gone.
func HCSend() error { return std.hcSend() }

// HCCallbackRegister is sam_hc_callback_register: from Start on, a
// goroutine sends the heartbeats (every interval/4) and calls cb once per
// interval; when cb returns an error the heartbeats stop, so the
// supervisor recovers by policy. cb nil switches back to HCSend.
// ErrBadHandle unless initialized or registered (not started);
// ErrInvalidParam with a zero interval, or nil as the first callback.
func HCCallbackRegister(cb func() error) error { return std.hcCallbackRegister(cb) }

// WarnSignalSet is sam_warn_signal_set: the signal sent one interval
// before SIGKILL (default SIGTERM; SIGKILL means no warning). The
// supervisor keeps it for later instances. ErrBadHandle unless
// initialized and not finalized; ErrInvalidParam outside 0..64.
func WarnSignalSet(sig syscall.Signal) error { return std.warnSignalSet(sig) }

// MarkFailed is sam_mark_failed (PolicyCMAP only, else ErrInvalidParam):
// the supervisor sets the cmap state "failed", kills this instance with
// SIGKILL and exits as with PolicyQuit, leaving the keys for the
// watchdog. ErrBadHandle unless registered.
func MarkFailed() error { return std.markFailed() }

// DataStore is sam_data_store: data (copied; nil or empty deletes it) is
// kept by the supervisor and given to every later instance. ErrBadHandle
// unless initialized and not finalized; ErrNoMemory above MaxDataSize.
func DataStore(data []byte) error { return std.dataStore(data) }

// DataRestore is sam_data_restore: copies the stored data into buf and
// returns its length. ErrInvalidParam for a nil buf or one shorter than
// the data; ErrBadHandle unless initialized and not finalized.
func DataRestore(buf []byte) (int, error) { return std.dataRestore(buf) }

// DataGetSize is sam_data_getsize: the stored data's length (0: none).
func DataGetSize() (int, error) { return std.dataGetSize() }

// Finalize is sam_finalize: stops health checking if started; every
// call returns ErrBadHandle afterwards (Initialize included).
// ErrBadHandle unless initialized and not finalized.
func Finalize() error { return std.finalize() }

// IsInstance reports whether this process was started by a SAM
// supervisor (an instance re-executed from main; see the package
// documentation).
func IsInstance() bool { return std.link != nil }
