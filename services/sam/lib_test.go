package sam

import (
	"errors"
	"syscall"
	"testing"
)

func wantErr(t *testing.T, what string, err error, want Error) {
	t.Helper()
	if want == csOK {
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
		wantErr(t, "policy "+Error(p).Error(), newLib(nil).initialize(100, p, Options{}), ErrInvalidParam)
	}
	for _, p := range []Policy{PolicyQuit, PolicyRestart, PolicyCMAP | PolicyQuit, PolicyConfDB | PolicyRestart} {
		wantErr(t, "valid policy", newLib(nil).initialize(100, p, Options{}), csOK)
	}
	wantErr(t, "negative interval", newLib(nil).initialize(-1, PolicyQuit, Options{}), ErrInvalidParam)
	l := newLib(nil)
	wantErr(t, "first", l.initialize(0, PolicyQuit, Options{}), csOK)
	wantErr(t, "second", l.initialize(0, PolicyQuit, Options{}), ErrBadHandle)
}

func TestCallsBeforeInitialize(t *testing.T) {
	l := newLib(nil)
	_, err := l.register()
	wantErr(t, "register", err, ErrBadHandle)
	wantErr(t, "start", l.start(), ErrBadHandle)
	wantErr(t, "stop", l.stop(), ErrBadHandle)
	wantErr(t, "hc_send", l.hcSend(), ErrBadHandle)
	wantErr(t, "finalize", l.finalize(), ErrBadHandle)
	wantErr(t, "warn_signal_set", l.warnSignalSet(syscall.SIGUSR1), ErrBadHandle)
	wantErr(t, "mark_failed", l.markFailed(), ErrBadHandle)
	wantErr(t, "data_store", l.dataStore([]byte("x")), ErrBadHandle)
	_, err = l.dataGetSize()
	wantErr(t, "data_getsize", err, ErrBadHandle)
	_, err = l.dataRestore(make([]byte, 4))
	wantErr(t, "data_restore", err, ErrBadHandle)
	wantErr(t, "hc_callback_register", l.hcCallbackRegister(func() error { return nil }), ErrBadHandle)
}

// In the supervisor before Register the data and signal calls are local
// and the child-only ones refused.
func TestInitializedState(t *testing.T) {
	l := newLib(nil)
	wantErr(t, "init", l.initialize(100, PolicyRestart, Options{}), csOK)
	if l.warnSig != syscall.SIGTERM {
		t.Errorf("default warn signal %v", l.warnSig)
	}
	wantErr(t, "start", l.start(), ErrBadHandle)
	wantErr(t, "stop", l.stop(), ErrBadHandle)
	wantErr(t, "hc_send", l.hcSend(), ErrBadHandle)
	wantErr(t, "mark_failed", l.markFailed(), ErrBadHandle)
	wantErr(t, "warn_signal_set", l.warnSignalSet(syscall.SIGUSR2), csOK)
	wantErr(t, "warn_signal_set 65", l.warnSignalSet(65), ErrInvalidParam)
	if l.warnSig != syscall.SIGUSR2 {
		t.Errorf("warn signal %v", l.warnSig)
	}

	wantErr(t, "data_store", l.dataStore([]byte("hello")), csOK)
	if n, err := l.dataGetSize(); n != 5 || err != nil {
		t.Errorf("getsize %d %v", n, err)
	}
	_, err := l.dataRestore(make([]byte, 4))
	wantErr(t, "restore into 4 bytes", err, ErrInvalidParam)
	_, err = l.dataRestore(nil)
	wantErr(t, "restore into nil", err, ErrInvalidParam)
	buf := make([]byte, 8)
	if n, err := l.dataRestore(buf); n != 5 || err != nil || string(buf[:n]) != "hello" {
		t.Errorf("restore: %d %v %q", n, err, buf)
	}
	wantErr(t, "data_store nil", l.dataStore(nil), csOK)
	if n, _ := l.dataGetSize(); n != 0 {
		t.Errorf("size after deleting %d", n)
	}
	if n, err := l.dataRestore(make([]byte, 0)); n != 0 || err != nil {
		t.Errorf("restore of nothing: %d %v", n, err)
	}
	wantErr(t, "too much data", l.dataStore(make([]byte, MaxDataSize+1)), ErrNoMemory)

	wantErr(t, "first callback nil", l.hcCallbackRegister(nil), ErrInvalidParam)
	wantErr(t, "callback", l.hcCallbackRegister(func() error { return nil }), csOK)
	wantErr(t, "callback back to nil", l.hcCallbackRegister(nil), csOK)
	if l.hc != nil {
		t.Error("the supervisor started a health-check loop")
	}

	wantErr(t, "finalize", l.finalize(), csOK)
	wantErr(t, "finalize twice", l.finalize(), ErrBadHandle)
	wantErr(t, "data_store after finalize", l.dataStore([]byte("x")), ErrBadHandle)
	wantErr(t, "init after finalize", l.initialize(100, PolicyQuit, Options{}), ErrBadHandle)
}

func TestCallbackNeedsInterval(t *testing.T) {
	l := newLib(nil)
	wantErr(t, "init", l.initialize(0, PolicyQuit, Options{}), csOK)
	wantErr(t, "callback with interval 0", l.hcCallbackRegister(func() error { return nil }), ErrInvalidParam)
}

func TestErrorNames(t *testing.T) {
	if ErrBadHandle.Error() != "CS_ERR_BAD_HANDLE" || Error(999).Error() != "cs_error 999" {
		t.Errorf("%q %q", ErrBadHandle.Error(), Error(999).Error())
	}
	if toError(nil) != csOK || toError(ErrTryAgain) != ErrTryAgain || toError(errors.New("x")) != ErrLibrary {
		t.Error("toError mapping")
	}
}
