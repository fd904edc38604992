package sam

import (
	"errors"
	"syscall"
	"testing"

	"github.com/gorosync/gorosync/services/cserror"
)

func wantErr(t *testing.T, what string, err error, want Error) {
	t.Helper()
	if want == cserror.OK {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	var e Error
	if !errors.As(err, &e) || e != want {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func TestInitializePolicies(t *testing.T) {
	for _, p := range []Policy{0, 3, 4, PolicyQuorum, PolicyCMAP, PolicyQuorum | PolicyCMAP, 0x20 | PolicyQuit, -1} {
		wantErr(t, "policy "+Error(p).Error(), newLib(nil).initialize(100, p, Options{}), cserror.ErrInvalidParam)
	}
	for _, p := range []Policy{PolicyQuit, PolicyRestart, PolicyCMAP | PolicyQuit, PolicyConfDB | PolicyRestart} {
		wantErr(t, "valid policy", newLib(nil).initialize(100, p, Options{}), cserror.OK)
	}
	wantErr(t, "negative interval", newLib(nil).initialize(-1, PolicyQuit, Options{}), cserror.ErrInvalidParam)
	l := newLib(nil)
	wantErr(t, "first", l.initialize(0, PolicyQuit, Options{}), cserror.OK)
	wantErr(t, "second", l.initialize(0, PolicyQuit, Options{}), cserror.ErrBadHandle)
}

func TestCallsBeforeInitialize(t *testing.T) {
	l := newLib(nil)
	_, err := l.register()
	wantErr(t, "register", err, cserror.ErrBadHandle)
	wantErr(t, "start", l.start(), cserror.ErrBadHandle)
	wantErr(t, "stop", l.stop(), cserror.ErrBadHandle)
	wantErr(t, "hc_send", l.hcSend(), cserror.ErrBadHandle)
	wantErr(t, "finalize", l.finalize(), cserror.ErrBadHandle)
	wantErr(t, "warn_signal_set", l.warnSignalSet(syscall.SIGUSR1), cserror.ErrBadHandle)
	wantErr(t, "mark_failed", l.markFailed(), cserror.ErrBadHandle)
	wantErr(t, "data_store", l.dataStore([]byte("x")), cserror.ErrBadHandle)
	_, err = l.dataGetSize()
	wantErr(t, "data_getsize", err, cserror.ErrBadHandle)
	_, err = l.dataRestore(make([]byte, 4))
	wantErr(t, "data_restore", err, cserror.ErrBadHandle)
	wantErr(t, "hc_callback_register", l.hcCallbackRegister(func() error { return nil }), cserror.ErrBadHandle)
}

// In the supervisor before Register the data and signal calls are local
// and the child-only ones refused.
func TestInitializedState(t *testing.T) {
	l := newLib(nil)
	wantErr(t, "init", l.initialize(100, PolicyRestart, Options{}), cserror.OK)
	if l.warnSig != syscall.SIGTERM {
		t.Errorf("default warn signal %v", l.warnSig)
	}
	wantErr(t, "start", l.start(), cserror.ErrBadHandle)
	wantErr(t, "stop", l.stop(), cserror.ErrBadHandle)
	wantErr(t, "hc_send", l.hcSend(), cserror.ErrBadHandle)
	wantErr(t, "mark_failed", l.markFailed(), cserror.ErrBadHandle)
	wantErr(t, "warn_signal_set", l.warnSignalSet(syscall.SIGUSR2), cserror.OK)
	wantErr(t, "warn_signal_set 65", l.warnSignalSet(65), cserror.ErrInvalidParam)
	if l.warnSig != syscall.SIGUSR2 {
		t.Errorf("warn signal %v", l.warnSig)
	}

	wantErr(t, "data_store", l.dataStore([]byte("hello")), cserror.OK)
	if n, err := l.dataGetSize(); n != 5 || err != nil {
		t.Errorf("getsize %d %v", n, err)
	}
	_, err := l.dataRestore(make([]byte, 4))
	wantErr(t, "restore into 4 bytes", err, cserror.ErrInvalidParam)
	_, err = l.dataRestore(nil)
	wantErr(t, "restore into nil", err, cserror.ErrInvalidParam)
	buf := make([]byte, 8)
	if n, err := l.dataRestore(buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Errorf("restore: %d %v %q", n, err, buf)
	}
	wantErr(t, "data_store nil", l.dataStore(nil), cserror.OK)
	if n, _ := l.dataGetSize(); n != 0 {
		t.Errorf("size after deleting %d", n)
	}
	if n, err := l.dataRestore(make([]byte, 0)); n != 0 || err != nil {
		t.Errorf("restore of nothing: %d %v", n, err)
	}
	wantErr(t, "too much data", l.dataStore(make([]byte, MaxDataSize+1)), cserror.ErrNoMemory)

	wantErr(t, "first callback nil", l.hcCallbackRegister(nil), cserror.ErrInvalidParam)
	wantErr(t, "callback", l.hcCallbackRegister(func() error { return nil }), cserror.OK)
	wantErr(t, "callback back to nil", l.hcCallbackRegister(nil), cserror.OK)
	if l.hc != nil {
		t.Error("the supervisor started a health-check loop")
	}

	wantErr(t, "finalize", l.finalize(), cserror.OK)
	wantErr(t, "finalize twice", l.finalize(), cserror.ErrBadHandle)
	wantErr(t, "data_store after finalize", l.dataStore([]byte("x")), cserror.ErrBadHandle)
	wantErr(t, "init after finalize", l.initialize(100, PolicyQuit, Options{}), cserror.ErrBadHandle)
}

func TestCallbackNeedsInterval(t *testing.T) {
	l := newLib(nil)
	wantErr(t, "init", l.initialize(0, PolicyQuit, Options{}), cserror.OK)
	wantErr(t, "callback with interval 0", l.hcCallbackRegister(func() error { return nil }), cserror.ErrInvalidParam)
}

func TestErrorNames(t *testing.T) {
	if cserror.ErrBadHandle.Error() != "CS_ERR_BAD_HANDLE" || Error(999).Error() != "cs_error 999" {
		t.Errorf("%q %q", cserror.ErrBadHandle.Error(), Error(999).Error())
	}
	if toError(nil) != cserror.OK || toError(cserror.ErrTryAgain) != cserror.ErrTryAgain || toError(errors.New("x")) != cserror.ErrLibrary {
		t.Error("toError mapping")
	}
}
